//! Files and commands made to break things (issue "Real sensors and hostile input"): outputs never
//! destroy files, unusable stored calibrations are warnings, `record --seconds` ends without
//! samples, `record` keeps data under `$SPINEWATCH_HOME`, SIGTERM ends `record` like Ctrl-C, and
//! swapped calibration windows are refused.
#![cfg(unix)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_spinewatch");

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

fn sw(home: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("SPINEWATCH_HOME", home)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap_or_default()
}

fn simulated(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("s.csv");
    let out = sw(dir, &["simulate", "--minutes", "2", "--out", p(&path)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    path
}

#[test]
fn outputs_never_destroy_inputs_or_existing_files() {
    let dir = tempdir();
    let s = simulated(dir.path());
    let before = std::fs::read(&s).unwrap_or_default();

    // The output is the input (even spelt differently).
    let same = dir.path().join(".").join("s.csv");
    let out = sw(
        dir.path(),
        &["replay", p(&s), "--headless", "--angles", p(&same)],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("input"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&s).unwrap_or_default(), before);

    // An existing file needs --force; two outputs that are one file are refused.
    let old = dir.path().join("old.jsonl");
    std::fs::write(&old, "keep me\n").unwrap_or_else(|e| panic!("{e}"));
    let out = sw(
        dir.path(),
        &["replay", p(&s), "--headless", "--events", p(&old)],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(&old).unwrap_or_default(),
        "keep me\n"
    );
    let out = sw(
        dir.path(),
        &[
            "replay",
            p(&s),
            "--headless",
            "--events",
            p(&old),
            "--force",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let x = dir.path().join("x.csv");
    let out = sw(
        dir.path(),
        &[
            "replay",
            p(&s),
            "--headless",
            "--angles",
            p(&x),
            "--events",
            p(&x),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!x.exists(), "nothing opened");

    // record refuses before opening anything: an old events file, or --out X --events X.
    let new = dir.path().join("new.csv");
    let keep = dir.path().join("keep.csv");
    std::fs::write(&keep, "an old recording\n").unwrap_or_else(|e| panic!("{e}"));
    for args in [
        vec![
            "record",
            "--port",
            "/nonexistent/tty",
            "--out",
            p(&new),
            "--events",
            p(&keep),
        ],
        vec![
            "record",
            "--port",
            "/nonexistent/tty",
            "--out",
            p(&x),
            "--events",
            p(&x),
        ],
    ] {
        let out = sw(dir.path(), &args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert_eq!(
        std::fs::read_to_string(&keep).unwrap_or_default(),
        "an old recording\n"
    );
    assert!(!new.exists() && !x.exists());

    // simulate over an existing file: refused, unless --force.
    let out = sw(
        dir.path(),
        &["simulate", "--minutes", "1", "--out", p(&keep)],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(&keep).unwrap_or_default(),
        "an old recording\n"
    );
}

#[test]
fn a_stored_calibration_that_cannot_be_met_is_a_warning_not_a_failure() {
    let dir = tempdir();
    let s = simulated(dir.path());
    let body = std::fs::read_to_string(&s).unwrap_or_default();
    // Windows beyond the end of a 2-minute session (a recording stopped before they ended).
    let cut = dir.path().join("cut.csv");
    std::fs::write(
        &cut,
        body.replace(
            "# calibration_windows=",
            "# calibration_windows=500:510,513:516\n# was=",
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = sw(dir.path(), &["replay", p(&cut), "--headless"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("unusable"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("calibration      none"),
        "{}",
        text(&out.stdout)
    );
    // --calibrate overrides; --no-stored-calibration ignores what is stored.
    let out = sw(
        dir.path(),
        &["replay", p(&cut), "--headless", "--calibrate", "0:10,13:16"],
    );
    assert!(
        text(&out.stdout).contains("from --calibrate"),
        "{}",
        text(&out.stdout)
    );
    let out = sw(
        dir.path(),
        &["replay", p(&s), "--headless", "--no-stored-calibration"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("none"), "{}", text(&out.stdout));
}

#[test]
fn record_seconds_counts_from_launch_when_no_sample_arrives() {
    let dir = tempdir();
    let started = Instant::now();
    let out = sw(
        dir.path(),
        &[
            "record",
            "--port",
            "/nonexistent/tty",
            "--seconds",
            "2",
            "--no-history",
        ],
    );
    let took = started.elapsed();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert!(
        text(&out.stdout).contains("no sample arrived"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn swapped_calibration_windows_are_refused() {
    let dir = tempdir();
    let s = simulated(dir.path());
    let out = sw(
        dir.path(),
        &["replay", p(&s), "--headless", "--calibrate", "13:16,0:10"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("starts before"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn record_keeps_its_files_under_spinewatch_home_and_ends_cleanly_on_sigterm() {
    let dir = tempdir();
    let home = dir.path();
    let link = home.join("link");
    let mut sim = Command::new(BIN)
        .args(["simulate", "--pty", "--minutes", "5", "--link", p(&link)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let end = Instant::now() + Duration::from_secs(20);
    while !link.exists() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    let record = Command::new(BIN)
        .args(["record", "--port", p(&link), "--no-history"])
        .env("SPINEWATCH_HOME", home)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_secs(4));
    let ok = Command::new("kill")
        .args(["-TERM", &record.id().to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok);
    let out = record.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    sim.kill().unwrap_or_default();
    sim.wait().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "SIGTERM ends like Ctrl-C: {:?}",
        out.status
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("slouch episodes"), "the summary: {stdout}");
    let sessions: Vec<_> = std::fs::read_dir(home.join("sessions"))
        .map(|d| d.filter_map(Result::ok).collect())
        .unwrap_or_default();
    assert_eq!(
        sessions.len(),
        1,
        "the recording went under SPINEWATCH_HOME"
    );
}
