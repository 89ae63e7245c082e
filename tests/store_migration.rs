//! Migrations by `PRAGMA user_version`: an empty file becomes v1, the committed v1 fixture opens
//! and reads, a newer database is refused and left byte-identical.

use std::path::Path;

use chrono::NaiveDate;
use rusqlite::Connection;
use spinewatch::store::schema::{self, SCHEMA_VERSION};
use spinewatch::store::{Days, History, HistoryOptions, Store, StoreError};

const FIXTURE_V1: &str = include_str!("fixtures/store/v1.sql");

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

fn tables(conn: &Connection) -> Vec<(String, String)> {
    let mut stmt = conn
        .prepare(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'
             ORDER BY name",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(|rows| rows.collect())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn journal_mode(path: &Path) -> String {
    Connection::open(path)
        .and_then(|c| c.query_row("PRAGMA journal_mode", [], |r| r.get(0)))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn an_empty_file_and_a_missing_file_become_version_1_in_wal_mode() {
    let dir = tmp();
    let empty = dir.path().join("empty.sqlite");
    std::fs::write(&empty, b"").unwrap_or_else(|e| panic!("{e}"));
    let missing = dir.path().join("missing.sqlite");
    for path in [&empty, &missing] {
        let history =
            History::open(path, HistoryOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        history.close().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(schema::header_version(path).ok().flatten(), Some(1));
        assert_eq!(journal_mode(path), "wal");
        let conn = Connection::open(path).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<String> = tables(&conn).into_iter().map(|(n, _)| n).collect();
        for t in [
            "sessions",
            "intervals",
            "minutes",
            "alerts",
            "slouches",
            "breaks",
            "gaps",
        ] {
            assert!(names.iter().any(|n| n == t), "{t} missing in {names:?}");
        }
    }
    // Opening again migrates nothing and keeps the data.
    let store = Store::open(&empty).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        schema::user_version(store.conn()).ok(),
        Some(SCHEMA_VERSION)
    );
}

/// The committed v1 file, as an older spinewatch left it.
fn fixture_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("history.sqlite");
    let conn = Connection::open(&path).unwrap_or_else(|e| panic!("{e}"));
    conn.execute_batch(FIXTURE_V1)
        .unwrap_or_else(|e| panic!("loading the v1 fixture: {e}"));
    path
}

#[test]
fn the_committed_v1_fixture_opens_and_reads() {
    let dir = tmp();
    let path = fixture_file(dir.path());
    assert_eq!(schema::header_version(&path).ok().flatten(), Some(1));
    let history = History::open(&path, HistoryOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let days = Days::new(chrono::Utc, 0).unwrap_or_else(|e| panic!("{e}"));
    let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default();
    let got = history.day(&days, day).unwrap_or_else(|e| panic!("{e}"));
    let f = &got.figures;
    assert_eq!(f.monitored_s, 1770.0);
    assert_eq!(f.state_s.upright, 1170.0);
    assert_eq!(f.state_s.slouched, 400.0);
    assert_eq!(f.state_s.moving, 200.0);
    assert_eq!(f.upright_pct, 66.1);
    assert_eq!((f.slouch_episodes, f.longest_slouch_s), (1, 400.0));
    assert_eq!((f.slouch_alerts, f.alerts_corrected), (2, 1));
    assert_eq!((f.breaks_taken, f.sensor_gaps), (1, 1));
    assert_eq!(f.flexion_bands_s.under_20, 1370.0);
    assert_eq!(f.flexion_bands_s.from_20_to_60, 400.0);
    let chart = history
        .day_chart(&days, day)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(chart.minutes[9 * 60 + 7].flexion_max_deg, Some(30.0));
    let hash = "0123456789abcdef".parse().unwrap_or_else(|e| panic!("{e}"));
    let session = history
        .session_with_hash(hash)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the fixture's session is found by its hash"));
    assert_eq!(session.label, "2026-11-24T09-00-00.csv");
    history.close().unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn the_fixture_has_the_schema_that_migration_creates() {
    // While v1 is current: a fresh database migrated to v1 has exactly the fixture's tables and
    // indexes, so the fixture is a faithful "previous schema" once v2 exists.
    let dir = tmp();
    let fixture = Connection::open(fixture_file(dir.path())).unwrap_or_else(|e| panic!("{e}"));
    let mut fresh = Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(schema::migrate(&mut fresh, 1).ok(), Some(1));
    assert_eq!(tables(&fixture), tables(&fresh));
}

#[test]
fn a_newer_database_is_refused_and_left_byte_identical() {
    let dir = tmp();
    for (name, wal) in [("rollback.sqlite", false), ("wal.sqlite", true)] {
        let path = dir.path().join(name);
        {
            let conn = Connection::open(&path).unwrap_or_else(|e| panic!("{e}"));
            if wal {
                let _mode: String = conn
                    .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            conn.execute_batch(
                "CREATE TABLE future (x); INSERT INTO future VALUES (42); PRAGMA user_version = 7;",
            )
            .unwrap_or_else(|e| panic!("{e}"));
        }
        let before = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
        let refused = History::open(&path, HistoryOptions::default());
        match &refused {
            Err(StoreError::TooNew {
                found, supported, ..
            }) => assert_eq!((*found, *supported), (7, SCHEMA_VERSION)),
            other => panic!("{name}: expected TooNew, got {other:?}"),
        }
        let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("version 7, newer than this spinewatch understands (up to 1)"),
            "{message}"
        );
        assert!(matches!(
            Store::open(&path),
            Err(StoreError::TooNew { found: 7, .. })
        ));
        assert!(matches!(
            schema::open_for_reading(&path),
            Err(StoreError::TooNew { found: 7, .. })
        ));
        let after = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(before == after, "{name} was changed");
        assert!(
            !dir.path().join(format!("{name}-wal")).exists(),
            "{name}: no WAL was created"
        );
    }
}

#[test]
fn a_file_that_is_not_a_database_is_refused_untouched() {
    let dir = tmp();
    let path = dir.path().join("history.sqlite");
    let text = "these are my notes, not a database\n".repeat(10);
    std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        History::open(&path, HistoryOptions::default()),
        Err(StoreError::NotADatabase { .. })
    ));
    assert_eq!(std::fs::read_to_string(&path).ok(), Some(text));
}
