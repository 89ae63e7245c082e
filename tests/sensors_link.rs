//! Real sensors and hostile input, end to end over real pseudo-terminals: a replugged sensor is
//! found again quickly every time, untimed sketches above 100 Hz are timed by their real rate,
//! and overlong lines are counted.
//!
//! The test plays the device on the pty's master side (`serialport::TTYPort::pair()`); dropping
//! the master is an unplug (the host's read fails), a new pair behind the same symlink is the
//! replug, as a udev rule does for hardware.
#![cfg(unix)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};
use spinewatch::protocol::{
    DeviceIdentity, LineFormat, SampleFrame, encode_identity, encode_sample,
};
use spinewatch::source::serial::{SerialOptions, SerialSource, samples};
use spinewatch::source::{LinkState, SampleSource, SourceEvent};

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"))
}

/// Points `link` at `target` atomically (a new symlink renamed over the old one).
fn relink(link: &Path, target: &str) {
    let tmp = link.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp).unwrap_or_else(|e| panic!("symlink: {e}"));
    std::fs::rename(&tmp, link).unwrap_or_else(|e| panic!("rename: {e}"));
}

/// The device end of a pty pair, reachable through `link`.
struct Device {
    master: TTYPort,
    id_buf: Vec<u8>,
}

impl Device {
    fn plug(link: &Path) -> Device {
        let (mut master, slave) =
            TTYPort::pair().unwrap_or_else(|e| panic!("pseudo-terminal: {e}"));
        let path = slave.name().unwrap_or_else(|| panic!("pty has no name"));
        drop(slave);
        master
            .set_timeout(Duration::from_millis(5))
            .unwrap_or_else(|e| panic!("timeout: {e}"));
        relink(link, &path);
        Device {
            master,
            id_buf: Vec::new(),
        }
    }

    /// Answers an `ID` command with an identity line, as the reference firmware does.
    fn serve(&mut self, rate_hz: u16) {
        if !matches!(self.master.bytes_to_read(), Ok(n) if n > 0) {
            return;
        }
        let mut buf = [0u8; 256];
        if let Ok(n) = self.master.read(&mut buf) {
            self.id_buf
                .extend_from_slice(buf.get(..n).unwrap_or_default());
        }
        if self.id_buf.windows(3).any(|w| w == b",ID") {
            self.id_buf.clear();
            let mut out = Vec::new();
            encode_identity(
                &DeviceIdentity {
                    protocol_version: 1,
                    firmware: "test-1".into(),
                    model: "MPU6050".into(),
                    acc_range_g: 4,
                    gyro_range_dps: 500,
                    rate_hz,
                    battery_pct: None,
                },
                &mut out,
            );
            let _ = self.master.write_all(&out);
        }
        if self.id_buf.len() > 1024 {
            self.id_buf.clear();
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        // Nobody has the slave open yet (or any more): the bytes are lost, as on hardware.
        let _ = self.master.write_all(bytes);
    }
}

fn sw1_line(seq: u32, t_us: u64) -> Vec<u8> {
    let mut out = Vec::new();
    encode_sample(
        &SampleFrame {
            seq: Some(seq),
            device_time_us: Some(t_us),
            accel_g: [0.01, -0.99, 0.05],
            gyro_dps: [0.5, -0.25, 0.0],
            format: LineFormat::Sw1,
        },
        &mut out,
    );
    out
}

fn open(link: &Path) -> SerialSource {
    SerialSource::open(SerialOptions {
        port: Some(link.display().to_string()),
        baud: 115_200,
    })
}

#[test]
fn a_replugged_sensor_is_found_within_about_a_second_every_time() {
    let dir = tempdir();
    let link: PathBuf = dir.path().join("sensor-link");
    let mut device = Device::plug(&link);
    let mut source = open(&link);
    let mut events = Vec::new();
    let (mut seq, mut t_us) = (0u32, 1_000_000u64);
    let mut found_after = Vec::new();
    for round in 0..6 {
        // Plugged: a healthy stretch of 100 Hz samples (longer than any "flapping" threshold).
        let plugged_at = Instant::now();
        let mut found = None;
        while plugged_at.elapsed() < Duration::from_millis(3000) {
            device.serve(100);
            device.send(&sw1_line(seq, t_us));
            seq = seq.wrapping_add(1);
            t_us += 10_000;
            source.poll(&mut events);
            if found.is_none() && source.link().0 == LinkState::Connected {
                found = Some(plugged_at.elapsed());
            }
            thread::sleep(Duration::from_millis(10));
        }
        let found = found.unwrap_or_else(|| panic!("round {round}: never connected"));
        if round > 0 {
            found_after.push(found);
        }
        // Unplugged for 2.5 s (the device keeps sampling, as a board on its own battery would).
        drop(device);
        let unplugged_at = Instant::now();
        while unplugged_at.elapsed() < Duration::from_millis(2500) {
            seq = seq.wrapping_add(1);
            t_us += 10_000;
            source.poll(&mut events);
            thread::sleep(Duration::from_millis(10));
        }
        device = Device::plug(&link);
    }
    let lost = events
        .iter()
        .filter(|e| matches!(e, SourceEvent::Lost { .. }))
        .count();
    let back = events
        .iter()
        .filter(|e| matches!(e, SourceEvent::Back { .. }))
        .count();
    eprintln!("replugs found after {found_after:?}");
    assert_eq!((lost, back), (6, 5), "{found_after:?}");
    for (i, d) in found_after.iter().enumerate() {
        assert!(
            *d <= Duration::from_millis(1200),
            "replug {} found after {d:?} (all: {found_after:?})",
            i + 1
        );
    }
    let times: Vec<f64> = samples(&events).map(|s| s.t_s).collect();
    assert!(times.windows(2).all(|w| w[1] > w[0]), "time not monotonic");
}

/// Plays a sketch on the master side of a fresh pty: `line(i)` every `period`, for `count`
/// lines, from its own named thread with absolute deadlines (no drift); returns the slave path.
fn sketch(
    count: usize,
    period: Duration,
    line: impl Fn(usize) -> Vec<u8> + Send + 'static,
) -> (String, thread::JoinHandle<()>) {
    let (mut master, slave) = TTYPort::pair().unwrap_or_else(|e| panic!("pseudo-terminal: {e}"));
    let path = slave.name().unwrap_or_else(|| panic!("pty has no name"));
    drop(slave);
    let handle = thread::Builder::new()
        .name("test-sketch".into())
        .spawn(move || {
            // Wait until the host has opened the port (it sends `ID` then).
            let end = Instant::now() + Duration::from_secs(10);
            while Instant::now() < end && !matches!(master.bytes_to_read(), Ok(n) if n > 0) {
                thread::sleep(Duration::from_millis(5));
            }
            thread::sleep(Duration::from_millis(100));
            let start = Instant::now();
            for i in 0..count {
                let due = start + period * u32::try_from(i).unwrap_or(u32::MAX);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    thread::sleep(wait);
                }
                let _ = master.write_all(&line(i));
            }
            // Keep the port open until the host has read everything.
            thread::sleep(Duration::from_millis(1500));
        })
        .unwrap_or_else(|e| panic!("thread: {e}"));
    (path, handle)
}

/// Polls `source` until `handle`'s sketch has finished; returns every event.
fn collect(source: &mut SerialSource, handle: thread::JoinHandle<()>) -> Vec<SourceEvent> {
    let mut events = Vec::new();
    while !handle.is_finished() {
        source.poll(&mut events);
        thread::sleep(source.poll_interval());
    }
    let _ = handle.join();
    source.poll(&mut events);
    events
}

#[test]
fn an_untimed_sketch_at_500_hz_is_timed_at_its_real_rate() {
    // 10 s of six plain numbers (g, deg/s) at 500 lines/s, no timestamps.
    let (path, handle) = sketch(5000, Duration::from_millis(2), |i| {
        let tilt = (i % 100) as f64 * 1e-4;
        format!("{tilt:.4} -0.9981 0.0456 1.25 -0.50 0.03\r\n").into_bytes()
    });
    let mut source = SerialSource::open(SerialOptions {
        port: Some(path),
        baud: 115_200,
    });
    let events = collect(&mut source, handle);
    let times: Vec<f64> = samples(&events).map(|s| s.t_s).collect();
    assert!(times.len() >= 4990, "{} samples", times.len());
    let mut intervals: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    intervals.sort_by(f64::total_cmp);
    let at = |q: f64| {
        intervals
            .get((q * intervals.len() as f64) as usize)
            .copied()
    };
    let tiny = intervals.iter().filter(|&&d| d <= 10e-6).count();
    let (p5, median, p95) = (at(0.05), at(0.5), at(0.95));
    eprintln!("intervals: 5% {p5:?}, median {median:?}, 95% {p95:?}, {tiny} at <= 10 us");
    assert_eq!(tiny, 0, "intervals of a microsecond");
    assert!(
        median.is_some_and(|m| (m - 0.002).abs() < 0.0002),
        "{median:?}"
    );
    assert!(p5.is_some_and(|p| p > 0.001), "5th percentile {p5:?}");
    assert!(p95.is_some_and(|p| p < 0.003), "95th percentile {p95:?}");
    // The measured rate is stated before the first sample (the filter's rate hint), and what
    // is stated is never a rough early guess.
    let first_sample = events
        .iter()
        .position(|e| matches!(e, SourceEvent::Sample(_)))
        .unwrap_or(usize::MAX);
    let stated: Vec<f64> = events
        .iter()
        .take(first_sample)
        .filter_map(|e| match e {
            SourceEvent::Info(info) => info.rate_hz,
            _ => None,
        })
        .collect();
    assert!(
        stated.iter().all(|r| (r - 500.0).abs() <= 5.0),
        "{stated:?}"
    );
    let rate = stated.last().copied();
    assert!(rate.is_some_and(|r| (r - 500.0).abs() <= 5.0), "{rate:?}");
    // The span is the sketch's 10 s (host timing: within a few tens of milliseconds).
    let span = times.last().copied().unwrap_or(0.0) - times.first().copied().unwrap_or(0.0);
    assert!((span - 9.998).abs() < 0.1, "span {span} s");
}

#[test]
fn one_device_clock_glitch_does_not_shift_the_session() {
    use spinewatch::cli::record::{RecordOptions, record};
    use std::sync::atomic::AtomicBool;
    // 100 Hz `$SW1` samples for 6 s; sample 100 (at 1 s) says its clock is 2000 s ahead.
    let (path, handle) = sketch(600, Duration::from_millis(10), |i| {
        let seq = u32::try_from(i).unwrap_or(u32::MAX);
        let t_us = 3_000_000 + 10_000 * i as u64;
        sw1_line(seq, if i == 100 { t_us + 2_000_000_000 } else { t_us })
    });
    let dir = tempdir();
    let out = dir.path().join("rec.csv");
    let mut source = SerialSource::open(SerialOptions {
        port: Some(path),
        baud: 115_200,
    });
    let opts = RecordOptions {
        seconds: Some(4.0),
        out: Some(out.clone()),
        ..Default::default()
    };
    let started = Instant::now();
    let stop = AtomicBool::new(false);
    let report =
        record(&mut source, &opts, &stop, &mut |_| {}).unwrap_or_else(|e| panic!("record: {e}"));
    let took = started.elapsed();
    let _ = handle.join();
    assert_eq!(report.link.time_jumps, 1, "{:?}", report.link);
    // About four seconds of samples (the clock of --seconds starts at launch, so the time to
    // connect is not recorded), recorded in about four seconds: not cut short by the glitch.
    let samples = report.recording.samples;
    assert!((340..=401).contains(&samples), "{samples} samples");
    assert!(took >= Duration::from_secs(4), "ended after {took:?}");
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let last_t: f64 = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(',').next()?.parse().ok())
        .next_back()
        .unwrap_or(f64::NAN);
    // No shift: the last sample is where 100 Hz puts it, not 2000 s later.
    let expected = (samples - 1) as f64 * 0.01;
    assert!(
        (last_t - expected).abs() < 0.011,
        "last sample at {last_t} s, not {expected} s"
    );
}

#[test]
fn overlong_lines_are_counted_as_malformed_and_memory_stays_bounded() {
    // 14.6 MB of 10 KB lines (printable junk, a sketch gone wrong), then valid samples.
    const LINES: usize = 1460;
    let (path, handle) = sketch(LINES + 300, Duration::from_micros(500), |i| {
        if i < LINES {
            let mut l: Vec<u8> = (0..10_238).map(|k| b"0123456789,. -"[k % 14]).collect();
            l.extend_from_slice(b"\r\n");
            l
        } else {
            let seq = u32::try_from(i).unwrap_or(0);
            sw1_line(seq, 10_000 * i as u64)
        }
    });
    let mut source = SerialSource::open(SerialOptions {
        port: Some(path),
        baud: 115_200,
    });
    let events = collect(&mut source, handle);
    let (_, stats) = source.link();
    assert_eq!(stats.malformed_lines, LINES as u64, "{stats:?}");
    assert_eq!(samples(&events).count(), 300);
    assert!(source.decoder_stats().overlong_lines == LINES as u64);
}

#[test]
fn a_sketch_in_mps2_and_rads_is_recognised_and_says_so() {
    use spinewatch::protocol::UnitsStatus;
    // 3 s of an Adafruit-style sketch at 100 Hz: six plain numbers in m/s² and rad/s.
    let (path, handle) = sketch(300, Duration::from_millis(10), |i| {
        let wobble = 0.01 * (i % 7) as f64;
        format!("{:.2} -0.34 9.79 0.01 -0.02 0.00\r\n", 0.12 + wobble).into_bytes()
    });
    let mut source = SerialSource::open(SerialOptions {
        port: Some(path.clone()),
        baud: 115_200,
    });
    let mut events = Vec::new();
    while samples(&events).count() < 100 {
        assert!(
            !handle.is_finished(),
            "only {} samples",
            samples(&events).count()
        );
        source.poll(&mut events);
        thread::sleep(source.poll_interval());
    }
    assert!(matches!(source.units(), UnitsStatus::Recognised { .. }));
    let label = source.info().label;
    assert!(label.contains("m/s^2 and rad/s"), "{label}");
    assert_eq!(
        source.units().metadata().as_deref(),
        Some("mps2,rads (recognised)")
    );
    events.extend(collect(&mut source, handle));
    let got: Vec<_> = samples(&events).copied().collect();
    assert_eq!(got.len(), 300, "every line, none lost while recognising");
    assert!(
        got.iter()
            .all(|s| (s.accel_g.z - 9.79 / 9.806_65).abs() < 1e-9)
    );
    assert!(
        got.iter()
            .all(|s| (s.gyro_dps.x - 0.01f64.to_degrees()).abs() < 1e-9)
    );
    // The label came out (in an Info event) before the first sample.
    let first_sample = events
        .iter()
        .position(|e| matches!(e, SourceEvent::Sample(_)))
        .unwrap_or(usize::MAX);
    assert!(
        events
            .iter()
            .take(first_sample)
            .any(|e| matches!(e, SourceEvent::Info(i) if i.label.contains("m/s^2 and rad/s")))
    );
}

#[test]
fn samples_in_units_that_fit_nothing_are_held_back_and_said() {
    use spinewatch::protocol::UnitsStatus;
    // Gravity at rest reads 3.7: not g, m/s² or raw counts. Then the user forces g,dps.
    let (path, handle) = sketch(300, Duration::from_millis(10), |_| {
        b"1.0 2.0 3.0 0.5 0.5 0.5\r\n".to_vec()
    });
    let mut source = SerialSource::open(SerialOptions {
        port: Some(path),
        baud: 115_200,
    });
    let mut events = Vec::new();
    let end = Instant::now() + Duration::from_secs(10);
    while !matches!(source.units(), UnitsStatus::Unrecognised { .. }) {
        assert!(Instant::now() < end, "units: {:?}", source.units());
        source.poll(&mut events);
        thread::sleep(source.poll_interval());
    }
    thread::sleep(Duration::from_millis(1200));
    source.poll(&mut events);
    assert_eq!(samples(&events).count(), 0, "no angles from unknown units");
    let label = source.info().label;
    assert!(label.contains("units could not be recognised"), "{label}");
    // Lines arrive and parse: the link is up, it is the units that are unknown.
    assert_eq!(source.link().0, LinkState::Connected);
    source.set_units("g,dps".parse().unwrap_or_else(|e| panic!("{e}")));
    let mut events = Vec::new();
    while samples(&events).count() < 50 {
        assert!(
            !handle.is_finished(),
            "{} samples once forced",
            samples(&events).count()
        );
        source.poll(&mut events);
        thread::sleep(source.poll_interval());
    }
    assert!(matches!(source.units(), UnitsStatus::Forced(_)));
    let label = source.info().label;
    assert!(label.contains("g and deg/s (as set)"), "{label}");
    let _ = collect(&mut source, handle);
}

#[test]
fn record_refuses_units_it_cannot_read() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_spinewatch"))
        .args(["record", "--units", "furlongs,fortnights", "--seconds", "1"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mps2,rads"), "{err}");
}
