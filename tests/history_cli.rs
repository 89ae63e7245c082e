//! The history from the command line: an imported file's history says what `replay --headless`
//! reports for it; importing twice changes nothing; overlaps are refused unless --replace; files
//! without a start time need --start; SIGKILL of `record` while it writes history leaves a
//! database that opens, checks `ok` and holds everything committed; a second instance reads.
#![cfg(unix)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use spinewatch::cli::import::{ImportOptions, ImportOutcome, import_file};
use spinewatch::cli::replay::{ReplayOptions, run};
use spinewatch::posture::PostureState;
use spinewatch::store::{Days, History, HistoryOptions};

const BIN: &str = env!("CARGO_BIN_EXE_spinewatch");

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

fn sw(home: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("SPINEWATCH_HOME", home)
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A simulated session with `# started=` in its metadata.
fn session(dir: &Path, name: &str, minutes: u32, seed: u32, started: &str) -> std::path::PathBuf {
    let raw = dir.join(format!("{name}.raw.csv"));
    let out = sw(
        dir,
        &[
            "simulate",
            "--minutes",
            &minutes.to_string(),
            "--seed",
            &seed.to_string(),
            "--out",
            raw.to_str().unwrap_or_default(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let body = std::fs::read_to_string(&raw).unwrap_or_default();
    let path = dir.join(format!("{name}.csv"));
    std::fs::write(&path, format!("# started={started}\n{body}")).unwrap_or_else(|e| panic!("{e}"));
    path
}

#[test]
fn an_imported_file_has_the_history_its_replay_reports() {
    let dir = tempdir();
    let path = session(dir.path(), "a", 30, 3, "2026-11-24T09:00:00+00:00");
    let history = Arc::new(
        History::open(
            &dir.path().join("history.sqlite"),
            HistoryOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{e}")),
    );
    let outcome =
        import_file(&history, &path, &ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(outcome, ImportOutcome::Imported { .. }));
    let replay = run(&ReplayOptions {
        input: path.clone(),
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let days = Days::new(chrono::Utc, 0).unwrap_or_else(|e| panic!("{e}"));
    let day = history
        .day(
            &days,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let f = &day.figures;
    let s = &replay.summary;
    let near = |a: f64, b: f64| (a - b).abs() <= 1.0;
    assert!(
        near(f.monitored_s, s.monitored_s),
        "{} vs {}",
        f.monitored_s,
        s.monitored_s
    );
    assert!(near(
        f.state_s.upright,
        s.state_s[PostureState::Upright.index()]
    ));
    assert!(near(
        f.state_s.slouched,
        s.state_s[PostureState::Slouched.index()]
    ));
    assert!(near(
        f.state_s.moving,
        s.state_s[PostureState::Moving.index()]
    ));
    assert_eq!(f.slouch_alerts, s.rules.slouch_alerts);
    assert_eq!(f.slouch_episodes, s.rules.slouch_episodes);
    assert!(near(f.longest_slouch_s, s.rules.longest_slouch_s));
    assert_eq!(f.breaks_taken, s.rules.breaks_taken);
    assert!(s.rules.slouch_alerts > 0, "a day worth comparing");

    // The same file again: nothing changes.
    let again =
        import_file(&history, &path, &ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(again, ImportOutcome::AlreadyThere(_)));
}

#[test]
fn the_import_and_history_commands_keep_their_contract() {
    let dir = tempdir();
    let home = dir.path();
    let a = session(home, "a", 20, 4, "2026-11-24T09:00:00+00:00");
    let out = sw(home, &["import", a.to_str().unwrap_or_default()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = sw(home, &["import", a.to_str().unwrap_or_default()]);
    assert!(
        text(&out.stdout).contains("nothing changed"),
        "{}",
        text(&out.stdout)
    );

    // Another file over the same time: refused, naming the overlap; --replace replaces.
    let b = session(home, "b", 20, 5, "2026-11-24T09:10:00+00:00");
    let out = sw(home, &["import", b.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("overlaps") && err.contains("a.csv"), "{err}");
    let out = sw(
        home,
        &["import", b.to_str().unwrap_or_default(), "--replace"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    // No start time: one line asking for --start.
    let raw = home.join("a.raw.csv");
    let out = sw(home, &["import", raw.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--start"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stderr).lines().count(), 1);

    // The JSON contract.
    let out = sw(home, &["history", "--day", "2026-11-24", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    for key in [
        "day",
        "monitored_s",
        "state_s",
        "upright_pct",
        "slouch_episodes",
        "longest_slouch_s",
        "slouch_alerts",
        "alerts_corrected",
        "alerts_snoozed",
        "break_reminders",
        "breaks_taken",
        "sensor_gaps",
        "flexion_bands_s",
        "hours",
    ] {
        assert!(v.get(key).is_some(), "no {key} in {v}");
    }
    assert!(
        (v["monitored_s"].as_f64().unwrap_or(0.0) - 1200.0).abs() < 2.0,
        "{v}"
    );
    let out = sw(home, &["history", "--week", "2026-11-24", "--json"]);
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["days"].as_array().map(Vec::len), Some(7));
    assert_eq!(v["from"], "2026-11-23");
    let out = sw(home, &["history", "--month", "2026-11", "--json"]);
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["days"].as_array().map(Vec::len), Some(30));
    // A table for people; export; pruning.
    let out = sw(home, &["history", "--day", "2026-11-24"]);
    assert!(
        text(&out.stdout).contains("slouch episodes"),
        "{}",
        text(&out.stdout)
    );
    let export = home.join("export");
    let out = sw(
        home,
        &["history", "--export", export.to_str().unwrap_or_default()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(export.join("intervals.csv").exists() && export.join("events.csv").exists());
    let out = sw(home, &["history", "--delete-before", "2026-11-25"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = sw(home, &["history", "--day", "2026-11-24", "--json"]);
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["monitored_s"].as_f64(), Some(0.0));
}

#[test]
fn sigkill_of_record_while_it_writes_history_loses_only_the_last_seconds() {
    let dir = tempdir();
    let home = dir.path();
    let link = home.join("link");
    let mut sim = Command::new(BIN)
        .args([
            "simulate",
            "--pty",
            "--minutes",
            "30",
            "--speed",
            "20",
            "--link",
            link.to_str().unwrap_or_default(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let end = Instant::now() + Duration::from_secs(20);
    while !link.exists() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut record = Command::new(BIN)
        .args([
            "record",
            "--port",
            link.to_str().unwrap_or_default(),
            "--calibrate",
            "0:10,13:16",
        ])
        .env("SPINEWATCH_HOME", home)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    // 20× real time: 25 s of wall clock is ~8 simulated minutes, several 5 s commits.
    std::thread::sleep(Duration::from_secs(25));
    record.kill().unwrap_or_else(|e| panic!("{e}"));
    record.wait().unwrap_or_else(|e| panic!("{e}"));
    sim.kill().unwrap_or_default();
    sim.wait().unwrap_or_else(|e| panic!("{e}"));

    let db = home.join("history.sqlite");
    let conn = rusqlite_check(&db);
    assert_eq!(conn.0, "ok");
    // Everything up to the last commit is there: several simulated minutes of intervals.
    assert!(conn.1 > 120.0, "only {} s of intervals survived", conn.1);
    // The next start opens it and writes (the lock went with the killed process).
    let h = History::open(&db, HistoryOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(!h.is_read_only());
}

/// `PRAGMA integrity_check` and the seconds of intervals stored, from a plain connection.
fn rusqlite_check(db: &Path) -> (String, f64) {
    let c = rusqlite::Connection::open(db).unwrap_or_else(|e| panic!("{e}"));
    let check: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    let ms: i64 = c
        .query_row(
            "SELECT COALESCE(SUM(end_ms - start_ms), 0) FROM intervals",
            [],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    (check, ms as f64 / 1000.0)
}

#[test]
fn a_second_instance_reads_the_history_and_says_who_writes_it() {
    let dir = tempdir();
    let home = dir.path();
    let a = session(home, "a", 10, 6, "2026-11-24T09:00:00+00:00");
    let out = sw(home, &["import", a.to_str().unwrap_or_default()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let first = History::open(&home.join("history.sqlite"), HistoryOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!first.is_read_only());
    // The command line still reads while this process holds the writer.
    let out = sw(home, &["history", "--day", "2026-11-24", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("\"monitored_s\":6"),
        "{}",
        text(&out.stdout)
    );
    // Importing needs the writer: refused with who holds it.
    let out = sw(home, &["import", a.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("another spinewatch"),
        "{}",
        text(&out.stderr)
    );
}
