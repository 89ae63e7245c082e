//! `spinewatch report` as a user runs it: the history and settings from `$SPINEWATCH_HOME`
//! (or `--history`), the output file refused when it exists (unless `--force`), and one-line
//! errors with exit status 2 for a missing or empty history, a period without data, an unknown
//! output format, and bad period options.

#[path = "report_fixture.rs"]
mod fixture;

use std::path::Path;
use std::process::{Command, Output};

use chrono::FixedOffset;
use fixture::write_history;

fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).unwrap_or_else(|| panic!("offset"))
}

/// Runs `spinewatch` with `home` as `$SPINEWATCH_HOME`, in UTC.
fn spinewatch(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spinewatch"))
        .args(args)
        .env("SPINEWATCH_HOME", home)
        .env("TZ", "UTC")
        .env_remove("SPINEWATCH_LOG")
        .output()
        .unwrap_or_else(|e| panic!("running spinewatch: {e}"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Fails with one line on stderr and status 2; returns the line.
fn one_line_error(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(o));
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with("spinewatch: error: "), "{err:?}");
    err
}

fn home_with_history() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write_history(&home.path().join("history.sqlite"), &utc());
    home
}

#[test]
fn a_week_report_uses_the_home_history_and_settings_and_never_overwrites() {
    let home = home_with_history();
    std::fs::write(
        home.path().join("settings.json"),
        r#"{ "posture": { "slouch_threshold_deg": 25 } }"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = home.path().join("week.html");
    let out_s = out.to_string_lossy().into_owned();
    let o = spinewatch(
        home.path(),
        &["report", "--week", "2026-11-25", "--out", &out_s],
    );
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("wrote {out_s} (HTML, 2026-11-23 to 2026-11-29)\n")
    );
    let html = std::fs::read_to_string(&out).unwrap_or_else(|e| panic!("{e}"));
    assert!(html.contains("Week report: ISO week 48 of 2026"));
    // The thresholds shown are the settings file's, and the page says where they came from.
    assert!(html.contains(r#"data-key="report.slouch_threshold_deg" data-value="25""#));
    assert!(html.contains("≥ 25° flexion"));
    assert!(html.contains("From the settings file"));

    // The report exists now: refused without --force, and left as it was.
    std::fs::write(&out, "keep me").unwrap_or_else(|e| panic!("{e}"));
    let o = spinewatch(
        home.path(),
        &["report", "--week", "2026-11-25", "--out", &out_s],
    );
    let err = one_line_error(&o);
    assert!(
        err.contains("already exists (use --force to replace it)"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap_or_default(), "keep me");
    let o = spinewatch(
        home.path(),
        &["report", "--week", "2026-11-25", "--out", &out_s, "--force"],
    );
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert!(
        std::fs::read_to_string(&out)
            .unwrap_or_default()
            .starts_with("<!DOCTYPE html>")
    );
}

#[test]
fn a_day_png_and_a_month_html_from_an_explicit_history() {
    let data = home_with_history();
    // An empty home: the history comes from --history, the thresholds are the defaults.
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let history = data.path().join("history.sqlite");
    let history_s = history.to_string_lossy().into_owned();
    let png = home.path().join("day.PNG");
    let o = spinewatch(
        home.path(),
        &[
            "report",
            "--day",
            "2026-11-24",
            "--history",
            &history_s,
            "--out",
            &png.to_string_lossy(),
        ],
    );
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("{e}"));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let info = png::Decoder::new(std::io::Cursor::new(&bytes))
        .read_info()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((info.info().width, info.info().height), (1240, 1754));

    let html = home.path().join("month.html");
    let o = spinewatch(
        home.path(),
        &[
            "report",
            "--month",
            "2026-11",
            "--history",
            &history_s,
            "--out",
            &html.to_string_lossy(),
        ],
    );
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let page = std::fs::read_to_string(&html).unwrap_or_else(|e| panic!("{e}"));
    assert!(page.contains("Month report: November 2026"));
    assert!(page.contains("Defaults: there is no settings file"));
    // Reading the history did not change it into something else, nor leave files behind
    // beside the report.
    let left: Vec<String> = std::fs::read_dir(home.path())
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    let mut left = left;
    left.sort();
    assert_eq!(left, vec!["day.PNG", "month.html"]);
    // The history was read without taking the instance lock (no lock file was made), so a
    // spinewatch starting meanwhile would have become its writer.
    assert!(!data.path().join("history.sqlite.lock").exists());
}

#[test]
fn a_report_can_be_made_while_spinewatch_is_writing_the_history() {
    let home = home_with_history();
    // This test process plays the running app: it holds the lock and the writer.
    let app = spinewatch::store::History::open(
        &home.path().join("history.sqlite"),
        spinewatch::store::HistoryOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(!app.is_read_only());
    let out = home.path().join("day.html");
    let o = spinewatch(
        home.path(),
        &[
            "report",
            "--day",
            "2026-11-27",
            "--out",
            &out.to_string_lossy(),
        ],
    );
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert!(
        std::fs::read_to_string(&out)
            .unwrap_or_default()
            .contains("Friday 27 November 2026")
    );
    assert!(!app.is_read_only());
    app.close().unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn missing_or_empty_histories_and_bad_options_are_one_line_errors() {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = home.path().join("r.html");
    let out_s = out.to_string_lossy().into_owned();

    // No history at all: not created by asking.
    let o = spinewatch(
        home.path(),
        &["report", "--day", "2026-11-24", "--out", &out_s],
    );
    let err = one_line_error(&o);
    assert!(err.contains("no posture history at"), "{err}");
    assert!(!home.path().join("history.sqlite").exists());
    assert!(!out.exists());

    // A zero-length file.
    std::fs::write(home.path().join("history.sqlite"), "").unwrap_or_else(|e| panic!("{e}"));
    let o = spinewatch(
        home.path(),
        &["report", "--day", "2026-11-24", "--out", &out_s],
    );
    assert!(one_line_error(&o).contains("no posture history at"));

    // A database with no data yet.
    std::fs::remove_file(home.path().join("history.sqlite")).unwrap_or_else(|e| panic!("{e}"));
    drop(
        spinewatch::store::Store::open(&home.path().join("history.sqlite"))
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let o = spinewatch(
        home.path(),
        &["report", "--week", "2026-11-24", "--out", &out_s],
    );
    let err = one_line_error(&o);
    assert!(
        err.ends_with(
            "no posture data from 2026-11-23 to 2026-11-29 (the history has no data yet)\n"
        ),
        "{err}"
    );
    assert!(!out.exists());

    // Not a format we write.
    let o = spinewatch(
        home.path(),
        &["report", "--day", "2026-11-24", "--out", "r.pdf"],
    );
    assert!(one_line_error(&o).contains("must end in .html or .png"));

    // Periods: exactly one, well formed.
    for args in [
        vec!["report", "--out", &out_s],
        vec![
            "report",
            "--day",
            "2026-11-24",
            "--week",
            "2026-11-24",
            "--out",
            &out_s,
        ],
        vec!["report", "--month", "2026-13", "--out", &out_s],
        vec!["report", "--day", "24.11.2026", "--out", &out_s],
    ] {
        let o = spinewatch(home.path(), &args);
        one_line_error(&o);
    }
}
