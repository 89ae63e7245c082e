//! Equal by construction, pinned: one simulated hour with faults (dropped samples, garbage lines,
//! one unplug) recorded live by `spinewatch record` from `spinewatch simulate --pty --speed max`,
//! then replayed by `spinewatch replay --headless` and by the window's replay engine, gives the
//! same events (kinds and times to the microsecond, every field) and the same summary in all
//! three. They share the session driver; this test keeps it that way.
#![cfg(unix)]

use std::path::Path;
use std::thread;
use std::time::Duration;

use spinewatch::app::clock::FixedClock;
use spinewatch::app::engine::StartSource;
use spinewatch::app::notifier::MemoryNotifier;
use spinewatch::app::{Command as EngineCommand, Engine, EngineOptions, Paths, ReplaySpeed};
use spinewatch::posture::{Event, EventKind};

#[path = "common/proc.rs"]
mod proc;
use proc::Proc;

fn read_events(path: &Path) -> Vec<Event> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

/// The summary block of a command's output: from "monitored" to the end.
fn summary_block(stdout: &str) -> String {
    let start = stdout
        .find("monitored ")
        .unwrap_or_else(|| panic!("no summary in {stdout}"));
    stdout[start..].trim_end().to_string()
}

fn count(events: &[Event], kind: &str) -> usize {
    events.iter().filter(|e| e.kind.name() == kind).count()
}

#[test]
fn record_headless_replay_and_the_window_agree_on_a_faulty_hour() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let link = dir.path().join("sensor-link");
    let rec = dir.path().join("rec.csv");
    let live_events = dir.path().join("live.jsonl");
    let replay_events = dir.path().join("replay.jsonl");
    let link_s = link.display().to_string();

    let mut sim = Proc::spawn(
        &[
            "simulate",
            "--pty",
            "--minutes",
            "60",
            "--seed",
            "5",
            "--speed",
            "max",
            "--link",
            &link_s,
            "--drop-prob",
            "0.002",
            "--garbage-every-s",
            "45",
            "--disconnect-at",
            "1500:4",
        ],
        &[],
    );
    sim.expect_line("pty:", Duration::from_secs(30));
    let poses = sim.expect_line("calibration poses at ", Duration::from_secs(5));
    let windows = poses
        .trim_start_matches("calibration poses at ")
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_string();

    let mut recorder = Proc::spawn(
        &[
            "record",
            "--port",
            &link_s,
            "--calibrate",
            &windows,
            "--out",
            &rec.display().to_string(),
            "--events",
            &live_events.display().to_string(),
        ],
        &[],
    );
    let sim_out = sim.wait_output(Duration::from_secs(600));
    assert!(sim_out.contains("reconnected: "), "{sim_out}");
    thread::sleep(Duration::from_millis(800));
    recorder.interrupt();
    let record_out = recorder.wait_output(Duration::from_secs(60));

    // 1. What the live run saw.
    let live = read_events(&live_events);
    for kind in [
        "calibrated",
        "slouch_alert",
        "slouch_end",
        "sensor_gap",
        "sensor_lost",
        "sensor_back",
    ] {
        assert!(count(&live, kind) > 0, "no {kind} live: {record_out}");
    }

    // 2. The headless replay of the recording.
    let mut replay = Proc::spawn(
        &[
            "replay",
            &rec.display().to_string(),
            "--headless",
            "--events",
            &replay_events.display().to_string(),
        ],
        &[],
    );
    let replay_out = replay.wait_output(Duration::from_secs(300));
    let headless = read_events(&replay_events);
    assert_eq!(headless.len(), live.len(), "event count, headless vs live");
    for (h, l) in headless.iter().zip(&live) {
        assert_eq!(h, l, "headless vs live");
    }
    assert_eq!(summary_block(&replay_out), summary_block(&record_out));

    // 3. The window's replay engine, as fast as it goes.
    let (mut engine, handle) = Engine::new(
        EngineOptions {
            paths: Paths::under(dir.path()),
            start: StartSource::Replay(rec.clone()),
            replay_batch: 20_000,
            persist: false,
            demo_seed: 1,
        },
        Box::new(FixedClock(
            chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
                .and_then(|d| d.and_hms_opt(9, 0, 0))
                .unwrap_or_default(),
        )),
        Box::new(MemoryNotifier::default()),
    );
    handle.send(EngineCommand::ReplaySpeed(ReplaySpeed::Max));
    handle.send(EngineCommand::ReplayPlay);
    engine.run_until_idle(1_000_000);
    let (window, summary, ended) = handle.read(|s| {
        (
            s.events
                .iter()
                .filter(|e| !matches!(e.kind, EventKind::Snooze { .. }))
                .cloned()
                .collect::<Vec<_>>(),
            s.summary.to_string(),
            s.replay.as_ref().is_some_and(|r| r.ended),
        )
    });
    assert!(ended, "the replay reached its end");
    assert_eq!(window.len(), live.len(), "event count, window vs live");
    for (w, l) in window.iter().zip(&live) {
        assert_eq!(w, l, "window vs live");
    }
    assert_eq!(summary.trim_end(), summary_block(&record_out));
}
