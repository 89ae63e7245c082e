//! The history import (`spinewatch import`: replay plus the SQLite store) on small hostile
//! session files, each into a fresh history file: any `# started=` (or none, or `--start`),
//! any rows (see the session target), skipped bad rows or not, replace or not.
//!
//! Properties: no panic (in the import, the replay thread or the history writer); the outcome
//! is an import or one short error; an imported file is found again by its content (a second
//! import changes nothing) and its session spans a sane time range; the history still opens.

use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::select;
use spinewatch::cli::import::{ImportOptions, ImportOutcome, import_file};
use spinewatch::store::{History, HistoryOptions};

use super::session::{CsvFile, small_csv_file};
use super::support;

const CI_CASES: u32 = 60;

/// Longest error accepted beyond the path (an overlap names the sessions it overlaps).
const TEXT_MAX: usize = 600;

#[derive(Debug, Clone)]
pub struct ImportCase {
    started: Option<String>,
    start_option: Option<i64>,
    file: CsvFile,
    skip_bad_rows: bool,
    twice: bool,
}

fn import_case() -> impl Strategy<Value = ImportCase> {
    (
        prop::option::weighted(
            0.9,
            prop_oneof![
                6 => (0i64..4_102_444_800).prop_map(|s| {
                    chrono::DateTime::from_timestamp(s, 0)
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default()
                }),
                1 => select(vec![
                    "9999-12-31T23:59:59+00:00",
                    "0000-01-01T00:00:00+00:00",
                    "2026-13-01T00:00:00Z",
                    "yesterday",
                    "",
                    "2026-03-29T02:30:00+01:00",
                ])
                .prop_map(str::to_string),
            ],
        ),
        prop::option::weighted(0.3, -62_000_000_000i64..253_000_000_000),
        small_csv_file(),
        any::<bool>(),
        prop::bool::weighted(0.3),
    )
        .prop_map(
            |(started, start_option, file, skip_bad_rows, twice)| ImportCase {
                started,
                start_option,
                file,
                skip_bad_rows,
                twice,
            },
        )
}

fn check_text(text: &str, path: &Path) -> Result<(), TestCaseError> {
    prop_assert!(
        text.len() <= TEXT_MAX + path.as_os_str().len(),
        "{} bytes: {}…",
        text.len(),
        text.chars().take(200).collect::<String>()
    );
    Ok(())
}

fn import_property(case: ImportCase) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut bytes = Vec::new();
    if let Some(s) = &case.started {
        bytes.extend_from_slice(format!("# started={s}\n").as_bytes());
    }
    bytes.extend(case.file.render());
    let path = dir.path().join("session.csv");
    std::fs::write(&path, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let db = dir.path().join("history.sqlite");
    let history = Arc::new(
        History::open(&db, HistoryOptions::default())
            .map_err(|e| TestCaseError::fail(format!("open: {e}")))?,
    );
    let opts = ImportOptions {
        start: case
            .start_option
            .and_then(|s| chrono::DateTime::from_timestamp(s, 0)),
        skip_bad_rows: case.skip_bad_rows,
        ..ImportOptions::default()
    };
    match import_file(&history, &path, &opts) {
        Ok(ImportOutcome::Imported { report, .. }) => {
            let text = format!("{:?}", report.summary);
            prop_assert!(!support::has_non_finite(&text), "summary: {}", text);
            let sessions = history
                .sessions_overlapping(i64::MIN / 2, i64::MAX / 2)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            for s in &sessions {
                prop_assert!(s.start_ms <= s.end_ms, "{:?}", s);
            }
            if case.twice {
                let again = import_file(&history, &path, &opts)
                    .map_err(|e| TestCaseError::fail(format!("second import: {e}")))?;
                prop_assert!(
                    matches!(again, ImportOutcome::AlreadyThere(_)),
                    "{:?}",
                    again
                );
            }
        }
        Ok(ImportOutcome::AlreadyThere(s)) => {
            return Err(TestCaseError::fail(format!(
                "a fresh history already holds {s:?}"
            )));
        }
        Err(e) => check_text(&e.to_string(), &path)?,
    }
    let history =
        Arc::try_unwrap(history).map_err(|_| TestCaseError::fail("the history is still shared"))?;
    history
        .close()
        .map_err(|e| TestCaseError::fail(format!("close: {e}")))?;
    // What was committed opens again.
    let again = History::open(&db, HistoryOptions::default())
        .map_err(|e| TestCaseError::fail(format!("reopen: {e}")))?;
    again
        .sessions_overlapping(i64::MIN / 2, i64::MAX / 2)
        .map_err(|e| TestCaseError::fail(format!("query after reopen: {e}")))?;
    Ok(())
}

#[test]
fn history_import() {
    support::run("import", CI_CASES, import_case(), import_property);
}

#[test]
#[ignore = "dedicated fuzz run: SPINEWATCH_FUZZ_CASES, see docs/fuzzing.md"]
fn dedicated_history_import() {
    support::run(
        "import",
        support::dedicated_cases("import"),
        import_case(),
        import_property,
    );
}
