//! The headless replay contract, driven through the real binary as scripts use it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const HEADER: &str = "time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps";

fn spinewatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spinewatch"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run spinewatch: {e}"))
}

/// `spinewatch replay SESSION --headless` followed by `extra` (paths given as `&Path`).
fn replay(session: &Path, extra: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spinewatch"))
        .arg("replay")
        .arg(session)
        .arg("--headless")
        .args(extra.iter().map(|a| a.as_ref()))
        .output()
        .unwrap_or_else(|e| panic!("cannot run spinewatch: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

/// A small session: upright (0–10 s), a 30° forward lean (12–16 s), then a 70 s slouch at 30°
/// and upright again, at 50 Hz, sensor mounted with x up the spine and z out of the back.
fn write_session(dir: &Path, extra_meta: &str) -> PathBuf {
    let mut s = String::from(extra_meta);
    s.push_str(HEADER);
    s.push('\n');
    let flexion_at = |t: f64| -> f64 {
        let ramp = |t0: f64, t1: f64| ((t - t0) / (t1 - t0)).clamp(0.0, 1.0);
        if t < 11.0 {
            0.0
        } else if t < 17.0 {
            30.0 * (ramp(11.0, 12.0) - ramp(16.0, 17.0))
        } else {
            30.0 * (ramp(20.0, 21.0) - ramp(100.0, 101.0))
        }
    };
    for i in 0..6000 {
        let t = f64::from(i) * 0.02;
        let f = flexion_at(t).to_radians();
        let rate = (flexion_at(t + 0.01) - flexion_at(t - 0.01)) / 0.02;
        // Sensor frame: x = trunk up, y = trunk left, z = trunk backward.
        // Up seen from the trunk during flexion θ: (−sin θ, 0, cos θ) in (fwd, left, up).
        let (fwd, up) = (-f.sin(), f.cos());
        s.push_str(&format!(
            "{t:.3},{:.5},0,{:.5},0,{:.3},0\n",
            up,
            -fwd,
            // Flexion is a rotation about the trunk's left axis = sensor y.
            rate
        ));
    }
    let path = dir.join("session.csv");
    std::fs::write(&path, s).unwrap_or_else(|e| panic!("{e}"));
    path
}

#[test]
fn replay_writes_angles_events_and_a_summary() {
    let dir = tmp();
    let session = write_session(dir.path(), "# rate_hz=50\n");
    let angles = dir.path().join("angles.csv");
    let events = dir.path().join("events.jsonl");
    let out = replay(
        &session,
        &[
            &"--calibrate",
            &"1:9,12.2:15.8",
            &"--angles",
            &angles,
            &"--events",
            &events,
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("monitored        2m 00s"), "{stdout}");
    assert!(stdout.contains("slouch episodes  1"), "{stdout}");

    let angles = std::fs::read_to_string(&angles).unwrap_or_default();
    let mut lines = angles.lines();
    assert_eq!(
        lines.next(),
        Some("time_s,flexion_deg,lateral_deg,qw,qx,qy,qz,state")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 6000, "one row per input sample");
    let at = |t: f64| &rows[(t / 0.02).round() as usize];
    let flexion = |row: &Vec<&str>| row[1].parse::<f64>().unwrap_or(f64::NAN);
    assert!(flexion(at(5.0)).abs() < 0.5, "{:?}", at(5.0));
    assert!((flexion(at(60.0)) - 30.0).abs() < 0.5, "{:?}", at(60.0));
    assert_eq!(at(60.0)[7], "slouched");
    assert_eq!(at(110.0)[7], "upright");
    let q: Vec<f64> = at(60.0)[3..7]
        .iter()
        .map(|v| v.parse().unwrap_or(f64::NAN))
        .collect();
    assert!((q.iter().map(|v| v * v).sum::<f64>() - 1.0).abs() < 1e-5);

    let events = std::fs::read_to_string(&events).unwrap_or_default();
    let events: Vec<serde_json::Value> = events
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, vec!["slouch_alert", "slouch_end"]);
    let alert_t = events[0]["time_s"].as_f64().unwrap_or(0.0);
    // Flexion reaches 20° at about 20.67 s; the alert is due 60 s later.
    assert!((alert_t - 80.7).abs() < 1.0, "alert at {alert_t}");
}

#[test]
fn without_calibration_angles_are_empty_but_orientation_is_written() {
    let dir = tmp();
    let session = write_session(dir.path(), "");
    let angles = dir.path().join("a.csv");
    let out = replay(&session, &[&"--angles", &angles]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let angles = std::fs::read_to_string(&angles).unwrap_or_default();
    let row: Vec<&str> = angles
        .lines()
        .nth(100)
        .unwrap_or_default()
        .split(',')
        .collect();
    assert_eq!(row.len(), 8);
    assert_eq!((row[1], row[2], row[7]), ("", "", "uncalibrated"));
    assert!(row[3].parse::<f64>().is_ok());
}

#[test]
fn a_calibration_stored_in_the_file_is_used() {
    let dir = tmp();
    // Sensor x = up, z = backward, so forward = −z.
    let session = write_session(dir.path(), "# calibration=up=1,0,0;forward=0,0,-1\n");
    let events = dir.path().join("e.jsonl");
    let out = replay(&session, &[&"--events", &events]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("stored in the file"));
    assert!(
        std::fs::read_to_string(&events)
            .unwrap_or_default()
            .contains("slouch_alert")
    );
}

#[test]
fn bad_input_exits_2_with_one_line_naming_file_line_and_column() {
    let dir = tmp();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!("{HEADER}\n0,0,0,1,0,0,0\n0.01,0,zz,1,0,0,0\n"),
    )
    .unwrap_or_default();
    let out = replay(&bad, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("bad.csv:3: column 'ay_g': not a finite number: 'zz'"),
        "{err}"
    );

    let out = replay(&bad, &[&"--skip-bad-rows"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("skipped 1 bad rows"));

    let missing = dir.path().join("missing.csv");
    let out = replay(&missing, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("missing.csv"));

    let out = replay(&bad, &[&"--calibrate", &"9:1,2:3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("U0:U1,F0:F1") || text(&out.stderr).contains("window"));
}

#[test]
fn config_problems_are_reported_by_key() {
    let dir = tmp();
    let session = write_session(dir.path(), "");
    let config = dir.path().join("c.json");
    std::fs::write(&config, r#"{"slouch_delay_s": 99999, "colour": 1}"#).unwrap_or_default();
    let args = |c: &Path| {
        vec![
            "replay".to_string(),
            session.display().to_string(),
            "--headless".into(),
            "--config".into(),
            c.display().to_string(),
        ]
    };
    let run = |c: &Path| {
        let a = args(c);
        spinewatch(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let out = run(&config);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("'slouch_delay_s' is 99999, allowed range 0 to 3600"));

    std::fs::write(&config, r#"{"slouch_delay_s": 30, "colour": 1}"#).unwrap_or_default();
    let out = run(&config);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("unknown setting 'colour' ignored"));
}

#[test]
fn a_calibration_that_cannot_work_says_why() {
    let dir = tmp();
    let session = write_session(dir.path(), "");
    // The "lean" window is actually upright.
    let out = replay(&session, &[&"--calibrate", &"1:4,5:9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("lean"), "{}", text(&out.stderr));
}

#[test]
fn usage_errors_are_one_line_and_exit_2() {
    for args in [
        &["replay", "--headless"][..],
        &["replay", "x.csv", "--headless", "--calibrate", "5:1,2:3"],
        &["replay", "x.csv", "--headless", "--no-such-option"],
    ] {
        let out = spinewatch(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("spinewatch: error: "), "{err}");
    }
    let help = spinewatch(&["replay", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(text(&help.stdout).contains("--calibrate"));
}

#[test]
fn a_slouch_running_to_the_end_of_the_file_is_counted() {
    let dir = tmp();
    // The session ends while still slouched (30° from 20 s to 120 s) if cut at 95 s.
    let full = write_session(dir.path(), "");
    let full_text = std::fs::read_to_string(&full).unwrap_or_default();
    let cut: String = full_text
        .lines()
        .take(1 + 4750)
        .map(|l| format!("{l}\n"))
        .collect();
    let session = dir.path().join("cut.csv");
    std::fs::write(&session, cut).unwrap_or_default();
    let events = dir.path().join("e.jsonl");
    let out = replay(
        &session,
        &[&"--calibrate", &"1:9,12.2:15.8", &"--events", &events],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("slouch episodes  1"),
        "{}",
        text(&out.stdout)
    );
    let events = std::fs::read_to_string(&events).unwrap_or_default();
    assert!(
        events
            .lines()
            .last()
            .is_some_and(|l| l.contains("slouch_end")),
        "{events}"
    );
}

#[test]
fn a_calibration_taken_during_a_recording_applies_from_where_it_was_written() {
    let dir = tmp();
    let full = write_session(dir.path(), "");
    let full_text = std::fs::read_to_string(&full).unwrap_or_default();
    // Header + 500 rows (10 s), then the calibration line, then the rest.
    let mut lines: Vec<&str> = full_text.lines().collect();
    lines.insert(501, "# calibration=up=1,0,0;forward=0,0,-1");
    let session = dir.path().join("mid.csv");
    std::fs::write(&session, lines.join("\n") + "\n").unwrap_or_default();
    let angles = dir.path().join("a.csv");
    let events = dir.path().join("e.jsonl");
    let out = replay(&session, &[&"--angles", &angles, &"--events", &events]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("stored in the file"),
        "{}",
        text(&out.stdout)
    );
    let angles = std::fs::read_to_string(&angles).unwrap_or_default();
    let rows: Vec<Vec<&str>> = angles
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 6000);
    assert_eq!((rows[499][1], rows[499][7]), ("", "uncalibrated"));
    assert!(
        rows[500][1].parse::<f64>().is_ok_and(|f| f.abs() < 1.0),
        "{:?}",
        rows[500]
    );
    assert!(
        std::fs::read_to_string(&events)
            .unwrap_or_default()
            .contains("slouch_alert")
    );
}
