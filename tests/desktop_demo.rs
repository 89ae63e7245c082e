//! The bundled demo session: what it holds when replayed headless, exactly as the window's
//! player replays it, and how it is regenerated.

use std::path::Path;
use std::process::Command;

use spinewatch::desktop::demo;

/// Regenerates `assets/demo-session.csv` from `desktop::demo::script()`:
/// `cargo test --test desktop_demo -- --ignored regenerate`.
#[test]
#[ignore = "writes assets/demo-session.csv; run by hand after changing the demo's script"]
fn regenerate() {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo-session.csv");
    demo::write_generated(&out).unwrap_or_else(|e| panic!("{e}"));
    let bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    println!("wrote {} ({bytes} bytes)", out.display());
}

/// The embedded copy, replayed by `spinewatch replay --headless`: calibrated from its stored
/// windows, one slouch alert, a break taken, the lean back seen.
#[test]
fn the_embedded_demo_replays_with_a_calibration_and_a_slouch_alert() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let session = demo::materialize(&dir.path().join("sessions")).unwrap_or_else(|e| panic!("{e}"));
    let events = dir.path().join("events.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_spinewatch"))
        .arg("replay")
        .arg(&session)
        .arg("--headless")
        .arg("--events")
        .arg(&events)
        .output()
        .unwrap_or_else(|e| panic!("cannot run spinewatch: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    println!("{stdout}\n{stderr}");
    let lines = std::fs::read_to_string(&events).unwrap_or_else(|e| panic!("{e}"));
    let kinds: Vec<String> = lines
        .lines()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"));
            v["kind"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    println!("{kinds:?}");
    let count = |k: &str| kinds.iter().filter(|x| *x == k).count();
    assert!(count("slouch_alert") >= 1, "{kinds:?}");
    assert_eq!(count("break_taken"), 1, "{kinds:?}");
    // One calibration: the two poses at the start, stored as the file's windows.
    assert!(
        stdout.contains("calibration      from the file's calibration windows"),
        "{stdout}"
    );
    assert_eq!(count("calibration_failed"), 0, "{kinds:?}");
    let csv = String::from_utf8_lossy(demo::SESSION_CSV);
    let calibrations = csv
        .lines()
        .filter(|l| l.starts_with("# calibration"))
        .collect::<Vec<_>>();
    assert_eq!(calibrations, ["# calibration_windows=0:10,13:16"]);
    let lean = stdout
        .lines()
        .find(|l| l.starts_with("time "))
        .and_then(|l| l.split("leaning back ").nth(1))
        .and_then(|r| r.split('%').next())
        .and_then(|p| p.parse::<f64>().ok())
        .unwrap_or(0.0);
    assert!(lean > 3.0, "the lean back: {stdout}");
}
