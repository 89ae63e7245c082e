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
            self.id_buf.extend_from_slice(buf.get(..n).unwrap_or_default());
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
