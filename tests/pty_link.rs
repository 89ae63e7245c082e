//! The live sensor link end to end, with `spinewatch simulate --pty` standing in for the hardware:
//! data integrity at 100 Hz and 1 kHz, faults counted and nothing else lost, unplug and replug,
//! SIGKILL of the recorder, wrong-baud/garbage and silent devices, and `spinewatch ports`.
//!
//! Where the point is data integrity the simulator streams as fast as the link reads
//! (`--speed max`; the pty pushes back), so ten simulated minutes take seconds.
#![cfg(unix)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serialport::SerialPort;
use spinewatch::ImuSample;
use spinewatch::cli::record::{RecordOptions, RecordReport, record};
use spinewatch::session::{SessionMeta, read_all};
use spinewatch::source::serial::{SerialOptions, SerialSource};
use spinewatch::source::{LinkState, SampleSource};

#[path = "common/proc.rs"]
mod proc;
use proc::{BIN, Proc};

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"))
}

/// Starts `simulate --pty` with a link in `dir`; returns the process and the link.
fn simulator(dir: &Path, extra: &[&str]) -> (Proc, PathBuf) {
    let link = dir.join("sensor-link");
    let sent = dir.join("sent.csv");
    let mut args = vec![
        "simulate",
        "--pty",
        "--link",
        link.to_str().unwrap_or_default(),
        "--sent",
        sent.to_str().unwrap_or_default(),
    ];
    args.extend_from_slice(extra);
    let mut sim = Proc::spawn(&args, &[]);
    sim.expect_line("pty:", Duration::from_secs(30));
    (sim, link)
}

/// Records from `port` in-process (the library the `record` command and the GUI use) until the
/// simulator has finished and had time to drain.
fn record_until_sim_ends(
    sim: &mut Proc,
    port: &Path,
    dir: &Path,
    within: Duration,
) -> (RecordReport, String, SerialSource) {
    let stop = Arc::new(AtomicBool::new(false));
    let mut source = SerialSource::open(SerialOptions {
        port: Some(port.display().to_string()),
        baud: 115_200,
    });
    let opts = RecordOptions {
        out: Some(dir.join("rec.csv")),
        events: Some(dir.join("events.jsonl")),
        ..Default::default()
    };
    let flag = Arc::clone(&stop);
    let report = thread::scope(|scope| {
        let recording = thread::Builder::new()
            .name("test-record".into())
            .spawn_scoped(scope, || record(&mut source, &opts, &stop, &mut |_line| {}))
            .unwrap_or_else(|e| panic!("thread: {e}"));
        let sim_out = sim.wait_output(within);
        // The simulator lingered a second before closing; give the consumer one more poll.
        thread::sleep(Duration::from_millis(300));
        flag.store(true, Ordering::Relaxed);
        let report = recording
            .join()
            .unwrap_or_else(|_| panic!("record thread panicked"))
            .unwrap_or_else(|e| panic!("record: {e}"));
        (report, sim_out)
    });
    (report.0, report.1, source)
}

fn read_session(path: &Path) -> (SessionMeta, Vec<ImuSample>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    read_all(&bytes[..], &path.display().to_string()).unwrap_or_else(|e| panic!("{e}"))
}

/// Asserts `got` is exactly `sent` (times to the microsecond; values as written, i.e. within the
/// protocol's resolution of 1e-4 g and 1e-2 deg/s of what the simulated sensor measured).
fn assert_same_samples(got: &[ImuSample], sent: &[ImuSample]) {
    assert_eq!(got.len(), sent.len(), "recorded vs sent sample count");
    for (i, (g, s)) in got.iter().zip(sent).enumerate() {
        assert!(
            (g.t_s - s.t_s).abs() < 1e-6
                && (g.accel_g - s.accel_g).amax() < 1e-9
                && (g.gyro_dps - s.gyro_dps).amax() < 1e-9,
            "sample {i} differs: recorded {g:?}, sent {s:?}"
        );
    }
    // No duplicates: strictly increasing time.
    assert!(got.windows(2).all(|w| w[1].t_s > w[0].t_s));
}

/// Parses `key N` out of the simulator's summary line.
fn count(summary: &str, key: &str) -> u64 {
    summary
        .split([',', ';', '('])
        .map(str::trim)
        .find_map(|part| {
            let (k, v) = part.rsplit_once(' ')?;
            (k.trim() == key).then(|| v.parse().ok()).flatten()
        })
        .unwrap_or_else(|| panic!("no '{key}' in {summary:?}"))
}

fn summary_line(out: &str) -> &str {
    out.lines()
        .find(|l| l.starts_with("sent "))
        .unwrap_or_else(|| panic!("no summary in {out:?}"))
}

#[test]
fn ten_minutes_at_100_hz_arrive_complete_and_exact() {
    let dir = tempdir();
    let (mut sim, link) = simulator(
        dir.path(),
        &[
            "--minutes",
            "10",
            "--rate-hz",
            "100",
            "--speed",
            "max",
            "--seed",
            "3",
        ],
    );
    let (report, sim_out, _source) =
        record_until_sim_ends(&mut sim, &link, dir.path(), Duration::from_secs(240));
    let (meta, got) = read_session(&dir.path().join("rec.csv"));
    let (_, sent) = read_session(&dir.path().join("sent.csv"));
    assert_eq!(sent.len(), 60_001, "{sim_out}");
    assert_same_samples(&got, &sent);
    assert_eq!(meta.rate_hz, Some(100.0));
    assert!(
        meta.device
            .as_deref()
            .is_some_and(|d| d.contains("spinewatch-sim")),
        "{meta:?}"
    );
    let l = report.link;
    assert_eq!(
        (l.checksum_failures, l.malformed_lines, l.dropped_samples),
        (0, 0, 0)
    );
    assert_eq!(report.summary.samples, 60_001);
}

#[test]
fn two_minutes_at_1_khz_through_the_record_command() {
    let dir = tempdir();
    let (mut sim, link) = simulator(
        dir.path(),
        &[
            "--minutes",
            "2",
            "--rate-hz",
            "1000",
            "--speed",
            "max",
            "--seed",
            "4",
        ],
    );
    let rec = dir.path().join("rec.csv");
    let mut recorder = Proc::spawn(
        &[
            "record",
            "--port",
            link.to_str().unwrap_or_default(),
            "--out",
            rec.to_str().unwrap_or_default(),
        ],
        &[],
    );
    sim.wait_output(Duration::from_secs(240));
    thread::sleep(Duration::from_millis(500));
    recorder.interrupt(); // Ctrl-C: ends cleanly with a summary
    let out = recorder.wait_output(Duration::from_secs(30));
    assert!(out.contains("recorded         120001 samples"), "{out}");
    assert!(
        out.contains("0 checksum failures, 0 malformed lines, 0 samples dropped"),
        "{out}"
    );
    let (meta, got) = read_session(&rec);
    let (_, sent) = read_session(&dir.path().join("sent.csv"));
    assert_eq!(sent.len(), 120_001);
    assert_same_samples(&got, &sent);
    assert_eq!(meta.rate_hz, Some(1000.0));
}

#[test]
fn faults_are_counted_and_nothing_else_is_lost() {
    let dir = tempdir();
    let (mut sim, link) = simulator(
        dir.path(),
        &[
            "--minutes",
            "2",
            "--rate-hz",
            "100",
            "--speed",
            "max",
            "--seed",
            "5",
            "--garbage-every-s",
            "1.5",
            "--corrupt-checksum-prob",
            "0.01",
            "--drop-prob",
            "0.01",
        ],
    );
    let (report, sim_out, _source) =
        record_until_sim_ends(&mut sim, &link, dir.path(), Duration::from_secs(120));
    let summary = summary_line(&sim_out);
    let (dropped, corrupted, garbage) = (
        count(summary, "dropped"),
        count(summary, "corrupted"),
        count(summary, "garbage lines"),
    );
    assert!(dropped > 50 && corrupted > 50 && garbage > 50, "{summary}");
    let l = report.link;
    assert_eq!(l.checksum_failures, corrupted, "{summary}");
    assert_eq!(l.malformed_lines, garbage, "{summary}");
    // Every line that never arrived intact shows up as a sequence gap.
    assert_eq!(l.dropped_samples, dropped + corrupted, "{summary}");
    let (_, got) = read_session(&dir.path().join("rec.csv"));
    let (_, sent) = read_session(&dir.path().join("sent.csv"));
    assert_same_samples(&got, &sent);
}

#[test]
fn vibrate_goes_over_the_same_port_and_is_acknowledged() {
    let dir = tempdir();
    let (mut sim, link) = simulator(
        dir.path(),
        &["--minutes", "0.5", "--rate-hz", "50", "--speed", "2"],
    );
    let mut source = SerialSource::open(SerialOptions {
        port: Some(link.display().to_string()),
        baud: 115_200,
    });
    let mut events = Vec::new();
    let end = Instant::now() + Duration::from_secs(20);
    while source.link().0 != LinkState::Connected || source.info().rate_hz.is_none() {
        assert!(Instant::now() < end, "never connected: {:?}", source.link());
        source.poll(&mut events);
        thread::sleep(source.poll_interval());
    }
    assert_eq!(source.info().rate_hz, Some(50.0));
    let acks_before = source.link().1.acks;
    assert!(source.vibrate(300, 80));
    while source.link().1.acks == acks_before {
        assert!(Instant::now() < end, "no ack for the vibrate command");
        source.poll(&mut events);
        thread::sleep(source.poll_interval());
    }
    drop(source);
    sim.interrupt();
    sim.wait_output(Duration::from_secs(20));
    let err = sim.stderr_text();
    assert!(err.contains("vibrate 300 ms at 80%"), "{err}");
}

#[test]
fn unplug_and_replug_is_survived_and_the_gap_is_marked() {
    let dir = tempdir();
    let link = dir.path().join("sensor-link");
    let env = [("SPINEWATCH_SIM_LINK", link.as_path())];
    // 40 simulated seconds at 4x: a 3 s pause at 8 s, unplugged from 20 s to 26 s.
    let mut sim = Proc::spawn(
        &[
            "simulate",
            "--pty",
            "--minutes",
            "0.67",
            "--speed",
            "4",
            "--pause-at",
            "8:3",
            "--disconnect-at",
            "20:6",
        ],
        &env,
    );
    sim.expect_line("pty:", Duration::from_secs(30));
    let rec = dir.path().join("rec.csv");
    let events = dir.path().join("events.jsonl");
    // No --port: the recorder finds the simulator's link, and finds it again after the unplug.
    let mut recorder = Proc::spawn(
        &[
            "record",
            "--out",
            rec.to_str().unwrap_or_default(),
            "--events",
            events.to_str().unwrap_or_default(),
        ],
        &env,
    );
    let sim_out = sim.wait_output(Duration::from_secs(90));
    assert!(sim_out.contains("reconnected: "), "{sim_out}");
    thread::sleep(Duration::from_millis(500));
    recorder.interrupt();
    let out = recorder.wait_output(Duration::from_secs(30));
    assert!(out.contains(" 1 reconnects"), "{out}");

    let text = std::fs::read_to_string(&rec).unwrap_or_default();
    let lost = text
        .lines()
        .position(|l| l.starts_with("# sensor_lost time_s="))
        .unwrap_or_else(|| panic!("no sensor_lost mark in the CSV"));
    let back = text
        .lines()
        .position(|l| l.starts_with("# sensor_back time_s="))
        .unwrap_or_else(|| panic!("no sensor_back mark in the CSV"));
    assert!(lost < back);
    let (_, got) = read_session(&rec);
    // The unplug lasted 6 simulated seconds = 1.5 s real; the session time shows a gap at
    // least that long (plus the time to find the sensor again) and data on both sides.
    let gap = got
        .windows(2)
        .map(|w| w[1].t_s - w[0].t_s)
        .fold(0.0, f64::max);
    assert!(gap > 1.0, "largest gap {gap} s");
    assert!(got.last().is_some_and(|s| s.t_s > 15.0 / 4.0));

    let events = std::fs::read_to_string(&events).unwrap_or_default();
    for kind in ["sensor_lost", "sensor_back", "sensor_gap"] {
        assert!(
            events.contains(&format!("\"kind\":\"{kind}\"")),
            "no {kind} in {events}"
        );
    }
}

#[test]
fn sigkill_leaves_a_valid_session_missing_at_most_a_second() {
    let dir = tempdir();
    let (mut sim, link) = simulator(
        dir.path(),
        &["--minutes", "1", "--rate-hz", "100", "--seed", "9"],
    );
    let rec = dir.path().join("rec.csv");
    let mut recorder = Proc::spawn(
        &[
            "record",
            "--port",
            link.to_str().unwrap_or_default(),
            "--out",
            rec.to_str().unwrap_or_default(),
        ],
        &[],
    );
    // Let it record about three seconds.
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = std::fs::read_to_string(&rec)
            .map(|t| t.lines().filter(|l| !l.starts_with('#')).count())
            .unwrap_or(0);
        if rows > 300 {
            break;
        }
        assert!(Instant::now() < end, "recording did not grow");
        thread::sleep(Duration::from_millis(50));
    }
    let _ = recorder.child.kill(); // SIGKILL
    let _ = recorder.child.wait();
    let (_, got) = read_session(&rec); // parses: the file ends with a whole row
    sim.interrupt();
    sim.wait_output(Duration::from_secs(20));
    let (_, sent) = read_session(&dir.path().join("sent.csv"));
    assert!(sent.len() >= got.len());
    // Whatever reached the file is exactly what was sent.
    assert_same_samples(&got, &sent[..got.len()]);
    // The simulator stops delivering as soon as the port closes, so what it sent beyond the file
    // is what the recorder held in memory (at most 1 s) plus the lines in flight in the pty and
    // the link (tens of milliseconds; a slow CI machine gets a margin).
    let missing_s = sent.len().saturating_sub(got.len()) as f64 / 100.0;
    assert!(missing_s <= 1.5, "{missing_s} s lost");
}

/// A pty whose master side the test drives.
fn pty_pair() -> (serialport::TTYPort, String) {
    let (master, slave) =
        serialport::TTYPort::pair().unwrap_or_else(|e| panic!("pseudo-terminal: {e}"));
    let path = slave.name().unwrap_or_else(|| panic!("pty has no name"));
    drop(slave);
    (master, path)
}

fn wait_for_state(source: &mut SerialSource, want: fn(&LinkState) -> bool) -> LinkState {
    let end = Instant::now() + Duration::from_secs(10);
    let mut events = Vec::new();
    loop {
        source.poll(&mut events);
        let state = source.link().0;
        if want(&state) {
            return state;
        }
        assert!(Instant::now() < end, "link stayed {state:?}");
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn garbage_only_device_reports_no_valid_frames() {
    let (mut master, path) = pty_pair();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    // A device at another baud rate: bytes with the high bit set, and line breaks.
    let writer = thread::Builder::new()
        .name("test-garbage".into())
        .spawn(move || {
            let mut i = 0u8;
            while !flag.load(Ordering::Relaxed) {
                let line: Vec<u8> = (0..24).map(|k| 0x80 | i.wrapping_add(k)).collect();
                let _ = master.write_all(&line);
                let _ = master.write_all(b"\r\n");
                i = i.wrapping_add(7);
                thread::sleep(Duration::from_millis(20));
            }
        })
        .unwrap_or_else(|e| panic!("thread: {e}"));
    let mut source = SerialSource::open(SerialOptions {
        port: Some(path),
        baud: 115_200,
    });
    let state = wait_for_state(&mut source, |s| {
        matches!(s, LinkState::NoValidFrames { .. })
    });
    assert_eq!(state, LinkState::NoValidFrames { baud: 115_200 });
    assert!(state.to_string().contains("no valid frames at 115200 baud"));
    assert!(source.link().1.malformed_lines > 10);
    stop.store(true, Ordering::Relaxed);
    let _ = writer.join();
}

#[test]
fn silent_device_and_missing_port_are_reported() {
    let (_master, path) = pty_pair();
    let mut source = SerialSource::open(SerialOptions {
        port: Some(path),
        baud: 115_200,
    });
    let state = wait_for_state(&mut source, |s| matches!(s, LinkState::Silent { .. }));
    assert!(state.to_string().contains("silent"), "{state}");

    let mut missing = SerialSource::open(SerialOptions {
        port: Some("/dev/spinewatch-no-such-port".into()),
        baud: 115_200,
    });
    let state = wait_for_state(
        &mut missing,
        |s| matches!(s, LinkState::Reconnecting { attempt, .. } if *attempt >= 2),
    );
    let text = state.to_string();
    assert!(text.contains("not found (unplugged?)"), "{text}");
}

#[test]
fn ports_lists_the_simulator_as_a_sensor() {
    let dir = tempdir();
    let (_sim, link) = simulator(dir.path(), &["--minutes", "1"]);
    let out = Command::new(BIN)
        .args(["ports", "--timeout-s", "1.5"])
        .env("SPINEWATCH_SIM_LINK", &link)
        .output()
        .unwrap_or_else(|e| panic!("ports: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with(link.to_str().unwrap_or_default()))
        .unwrap_or_else(|| panic!("simulator link not listed: {text}"));
    assert!(line.contains("spinewatch simulator"), "{line}");
    assert!(line.contains("answered identify"), "{line}");
    assert!(text.contains("sensor(s) found at 115200 baud"), "{text}");
}

#[test]
fn explicit_port_reconnects_through_the_link_with_lost_and_back_events() {
    let dir = tempdir();
    // 24 simulated seconds at 4x; unplugged from 8 s to 12 s (1 s real).
    let (mut sim, link) = simulator(
        dir.path(),
        &[
            "--minutes",
            "0.4",
            "--rate-hz",
            "50",
            "--speed",
            "4",
            "--disconnect-at",
            "8:4",
        ],
    );
    let mut source = SerialSource::open(SerialOptions {
        port: Some(link.display().to_string()),
        baud: 115_200,
    });
    let mut events = Vec::new();
    let mut states = Vec::new();
    let end = Instant::now() + Duration::from_secs(60);
    while sim.child.try_wait().ok().flatten().is_none() {
        assert!(Instant::now() < end, "simulator did not finish");
        source.poll(&mut events);
        let state = source.link().0;
        if !matches!(state, LinkState::Connected) {
            states.push(state);
        }
        thread::sleep(source.poll_interval());
    }
    source.poll(&mut events);
    use spinewatch::source::SourceEvent;
    let lost = events
        .iter()
        .position(|e| matches!(e, SourceEvent::Lost { .. }))
        .unwrap_or_else(|| panic!("no Lost event"));
    let back = events
        .iter()
        .position(|e| matches!(e, SourceEvent::Back { .. }))
        .unwrap_or_else(|| panic!("no Back event"));
    assert!(lost < back);
    if let Some(SourceEvent::Back { gap_s, .. }) = events.get(back) {
        // The device kept running, so the gap is measured by its clock (4x real time here):
        // the 4 s unplugged plus the time the link took to reopen (a few backoff steps).
        assert!(*gap_s > 3.9 && *gap_s < 16.0, "gap {gap_s}");
    }
    assert!(
        states
            .iter()
            .any(|s| matches!(s, LinkState::Reconnecting { .. })),
        "{states:?}"
    );
    assert_eq!(source.link().1.reconnects, 1);
    let times: Vec<f64> = spinewatch::source::serial::samples(&events)
        .map(|s| s.t_s)
        .collect();
    assert!(times.windows(2).all(|w| w[1] > w[0]), "time not monotonic");
}

#[test]
fn plain_lines_without_device_time_are_timed_by_arrival() {
    let (mut master, path) = pty_pair();
    let mut source = SerialSource::open(SerialOptions {
        port: Some(path),
        baud: 115_200,
    });
    // Wait until the port is open (the reader sends ID then), then play a 50 Hz legacy sketch.
    let mut events = Vec::new();
    let end = Instant::now() + Duration::from_secs(10);
    let mut id = [0u8; 64];
    loop {
        assert!(Instant::now() < end, "the source never opened the port");
        if matches!(master.bytes_to_read(), Ok(n) if n > 0) {
            let _ = master.read(&mut id);
            break;
        }
        source.poll(&mut events);
        thread::sleep(Duration::from_millis(10));
    }
    for _ in 0..75 {
        let _ = master.write_all(b"0.0123,-0.9981,0.0456,1.25,-0.50,0.03\r\n");
        thread::sleep(Duration::from_millis(20));
        source.poll(&mut events);
    }
    let end = Instant::now() + Duration::from_secs(3);
    while Instant::now() < end {
        source.poll(&mut events);
        thread::sleep(Duration::from_millis(20));
    }
    assert!(!source.info().device_time);
    let times: Vec<f64> = spinewatch::source::serial::samples(&events)
        .map(|s| s.t_s)
        .collect();
    assert_eq!(times.len(), 75);
    assert!(times.windows(2).all(|w| w[1] > w[0]));
    // 74 intervals of about 20 ms (host timing jitter allowed).
    let span = times.last().copied().unwrap_or(0.0) - times.first().copied().unwrap_or(0.0);
    assert!(span > 1.2 && span < 2.5, "span {span} s");
}
