//! Inputs the fuzz targets found failing, minimised, as ordinary tests of the whole path they
//! broke (the module-level regressions sit beside the code they fixed; see docs/fuzzing.md).

use std::sync::Arc;

use spinewatch::cli::import::{ImportOptions, ImportOutcome, import_file};
use spinewatch::store::{History, HistoryOptions};

const HEADER: &str = "time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n";

/// Imports `text` into a fresh history; returns the outcome's text and the sessions' spans.
fn import(text: &str, opts: &ImportOptions) -> (String, Vec<(i64, i64)>) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("session.csv");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let history = Arc::new(
        History::open(
            &dir.path().join("history.sqlite"),
            HistoryOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{e}")),
    );
    let outcome = match import_file(&history, &path, opts) {
        Ok(ImportOutcome::Imported { .. }) => "imported".to_string(),
        Ok(ImportOutcome::AlreadyThere(_)) => "already there".to_string(),
        Err(e) => e.to_string(),
    };
    let spans = history
        .sessions_overlapping(i64::MIN / 2, i64::MAX / 2)
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(|s| (s.start_ms, s.end_ms))
        .collect();
    (outcome, spans)
}

/// Found by `import`: a row at 1e300 s (after one at 0.01 s, and kept because the next row
/// went back further) made the import's session end `start_ms + span_ms` overflow: a panic in
/// a debug build, a wrapped end time in a release one. The row is now a bad row.
#[test]
fn a_row_at_1e300_seconds_does_not_overflow_the_import() {
    let text = format!(
        "# started=1970-01-01T00:00:01+00:00\n{HEADER}0.01,0,0,0,0,0,0\n-0.49,0,0,0,0,0,0\n\
         1e300,0,0,0,0,0,0\n-0.48,0,0,0,0,0,0"
    );
    let (outcome, _) = import(&text, &ImportOptions::default());
    assert!(
        outcome.contains(":4: column 'time_s': time goes backwards"),
        "{outcome}"
    );
    let skip = ImportOptions {
        skip_bad_rows: true,
        ..ImportOptions::default()
    };
    let (outcome, spans) = import(&text, &skip);
    assert_eq!(outcome, "imported");
    assert!(
        spans.iter().all(|(a, b)| a <= b && *b < 10_000),
        "{spans:?}"
    );
}

/// Found by `import`: a `# sensor_back time_s=1e308` mark reached the history feed, whose
/// millisecond time overflowed. The mark is now not a mark.
#[test]
fn a_mark_at_1e308_seconds_does_not_overflow_the_history() {
    let text = format!("{HEADER}0.01,0,0,0,0,0,0\n# sensor_back time_s=1e308 gap_s=0.00000");
    let opts = ImportOptions {
        start: chrono::DateTime::from_timestamp(1, 0),
        ..ImportOptions::default()
    };
    let (outcome, spans) = import(&text, &opts);
    assert_eq!(outcome, "imported");
    assert!(
        spans.iter().all(|(a, b)| a <= b && *b < 10_000),
        "{spans:?}"
    );
}
