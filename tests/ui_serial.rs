//! The window on a live serial sensor, with `spinewatch simulate --pty` standing in for it:
//! the configured port is opened at start-up, samples flow into the live view, and unplugging
//! it is said in words.
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{rig_in, tempdir};
use spinewatch::app::Settings;
use spinewatch::app::engine::StartSource;
use spinewatch::app::state::save_settings;
use spinewatch::source::{LinkState, SourceKind};

#[test]
fn a_live_sensor_shows_in_the_window_and_unplugging_it_is_reported() {
    let dir = tempdir();
    let link = dir.path().join("sensor-link");
    let mut sim = Command::new(env!("CARGO_BIN_EXE_spinewatch"))
        .args([
            "simulate",
            "--pty",
            "--minutes",
            "10",
            "--seed",
            "2",
            "--link",
        ])
        .arg(&link)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = sim.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("sim-stdout".into())
        .spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.starts_with("pty:") => break,
            Ok(_) => {}
            Err(e) => panic!("simulator did not start: {e}"),
        }
    }

    let settings = Settings {
        port: Some(link.display().to_string()),
        ..Settings::default()
    };
    save_settings(&dir.path().join("settings.json"), &settings).unwrap_or_else(|e| panic!("{e}"));
    let mut rig = rig_in(dir, StartSource::Auto, 100);
    assert_eq!(rig.engine.source_kind(), SourceKind::Serial);

    let flowing = |rig: &mut common::Rig| {
        for _ in 0..200 {
            std::thread::sleep(Duration::from_millis(25));
            rig.engine.tick();
            if rig.read(|s| s.ring.len() > 100) {
                return true;
            }
        }
        false
    };
    assert!(flowing(&mut rig), "no samples from the simulated sensor");
    rig.harness.run();
    assert!(rig.has_text("100 Hz"));
    assert!(rig.has_text("checksum errors"));

    let _ = sim.kill();
    let _ = sim.wait();
    let mut said = false;
    for _ in 0..200 {
        std::thread::sleep(Duration::from_millis(25));
        rig.engine.tick();
        if rig.read(|s| !matches!(s.link, LinkState::Connected)) {
            rig.harness.run();
            said = rig.has_text("Sensor unplugged")
                || rig.has_text("silent")
                || rig.has_text("Looking for the sensor");
            if said {
                break;
            }
        }
    }
    assert!(said, "link: {:?}", rig.read(|s| s.link.clone()));
}
