//! The database file: pragmas, schema, and migrations by `PRAGMA user_version`.
//!
//! Version 0 is an empty (or new, zero-length) file; `MIGRATIONS[i]` takes version `i` to
//! `i + 1` in one transaction that also sets `user_version`, so a failed step leaves the file at
//! the version before it. A file whose version is newer than [`SCHEMA_VERSION`] is refused
//! before anything can write to it: its header is read with plain file I/O first, and the
//! version is checked again through SQLite (it may sit in a not yet checkpointed WAL) before the
//! first pragma that writes.

use std::io::Read;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::error::StoreError;

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Times are UTC Unix milliseconds (`*_ms`), durations milliseconds or seconds as named.
/// States, kinds and outcomes are the words used in files (`upright`, `slouch_alert`, …) so the
/// file reads well in the `sqlite3` shell.
const V1: &str = "
CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY,
    source          TEXT    NOT NULL CHECK (source IN ('live', 'file')),
    -- device label (live) or file name (imported)
    label           TEXT    NOT NULL,
    -- FNV-1a 64 of an imported file, 16 hex digits
    content_hash    TEXT,
    -- the wall clock at session time t0_s, as the session gave it
    started_utc_ms  INTEGER NOT NULL,
    t0_s            REAL    NOT NULL,
    -- added to every time of the session so that it does not overlap the one before it
    clock_shift_ms  INTEGER NOT NULL DEFAULT 0,
    start_ms        INTEGER NOT NULL,
    end_ms          INTEGER NOT NULL,
    finished        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_by_start ON sessions (start_ms);
CREATE INDEX sessions_by_hash ON sessions (content_hash) WHERE content_hash IS NOT NULL;

-- Monitored time in one state. Never crosses a UTC quarter hour, so local hours and days are
-- sums of whole intervals in every time zone.
CREATE TABLE intervals (
    session_id        INTEGER NOT NULL REFERENCES sessions (id),
    start_ms          INTEGER NOT NULL,
    end_ms            INTEGER NOT NULL,
    state             TEXT    NOT NULL CHECK (state IN
                          ('upright', 'slouched', 'leaning_back', 'moving', 'uncalibrated')),
    flexion_mean_deg  REAL,
    flexion_max_deg   REAL,
    under_20_ms       INTEGER NOT NULL,
    from_20_to_60_ms  INTEGER NOT NULL,
    over_60_ms        INTEGER NOT NULL,
    CHECK (end_ms > start_ms AND start_ms / 900000 = (end_ms - 1) / 900000)
);
CREATE INDEX intervals_by_start ON intervals (start_ms);

-- Flexion range per UTC minute (the day chart), minutes with a known angle only.
CREATE TABLE minutes (
    minute           INTEGER NOT NULL,
    session_id       INTEGER NOT NULL REFERENCES sessions (id),
    flexion_min_deg  REAL    NOT NULL,
    flexion_max_deg  REAL    NOT NULL,
    PRIMARY KEY (minute, session_id)
) WITHOUT ROWID;

CREATE TABLE alerts (
    id               INTEGER PRIMARY KEY,
    session_id       INTEGER NOT NULL REFERENCES sessions (id),
    seq              INTEGER NOT NULL,
    at_ms            INTEGER NOT NULL,
    kind             TEXT    NOT NULL CHECK (kind IN ('slouch_alert', 'break_reminder')),
    outcome          TEXT    NOT NULL CHECK (outcome IN
                         ('open', 'corrected', 'snoozed', 'ignored', 'held_back')),
    held_back_by     TEXT    CHECK (held_back_by IN ('snooze', 'meeting', 'quiet_hours')),
    slouch_start_ms  INTEGER,
    held_s           REAL,
    flexion_deg      REAL,
    repeat           INTEGER,
    sitting_s        REAL,
    exercise         TEXT,
    UNIQUE (session_id, seq)
);
CREATE INDEX alerts_by_time ON alerts (at_ms);

-- Sustained slouches (slouch_end), by the time they started.
CREATE TABLE slouches (
    session_id  INTEGER NOT NULL REFERENCES sessions (id),
    start_ms    INTEGER NOT NULL,
    end_ms      INTEGER NOT NULL,
    duration_s  REAL    NOT NULL,
    alerts      INTEGER NOT NULL
);
CREATE INDEX slouches_by_start ON slouches (start_ms);

CREATE TABLE breaks (
    session_id  INTEGER NOT NULL REFERENCES sessions (id),
    start_ms    INTEGER NOT NULL,
    at_ms       INTEGER NOT NULL
);
CREATE INDEX breaks_by_time ON breaks (at_ms);

CREATE TABLE gaps (
    session_id   INTEGER NOT NULL REFERENCES sessions (id),
    kind         TEXT    NOT NULL CHECK (kind IN ('gap', 'lost')),
    from_ms      INTEGER NOT NULL,
    duration_ms  INTEGER NOT NULL,
    reason       TEXT
);
CREATE INDEX gaps_by_time ON gaps (from_ms);

CREATE TABLE calibrations (
    session_id  INTEGER NOT NULL REFERENCES sessions (id),
    at_ms       INTEGER NOT NULL,
    ok          INTEGER NOT NULL,
    -- the calibration (ok) or why it was rejected
    detail      TEXT    NOT NULL
);
CREATE INDEX calibrations_by_time ON calibrations (at_ms);
";

/// `MIGRATIONS[i]` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [V1];

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The `user_version` in the file's header, read without SQLite (so nothing can be written):
/// `None` for a missing or empty file.
pub fn header_version(path: &Path) -> Result<Option<u32>, StoreError> {
    let io = |source| StoreError::Io {
        doing: "cannot read the header of",
        path: path.to_path_buf(),
        source,
    };
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let mut header = Vec::with_capacity(100);
    file.by_ref()
        .take(100)
        .read_to_end(&mut header)
        .map_err(io)?;
    if header.is_empty() {
        return Ok(None);
    }
    if header.len() < 100 || !header.starts_with(SQLITE_MAGIC) {
        return Err(StoreError::NotADatabase {
            path: path.to_path_buf(),
        });
    }
    // Offset 60: the user version, a 4-byte big-endian integer (sqlite.org/fileformat.html).
    Ok(Some(u32::from_be_bytes([
        header[60], header[61], header[62], header[63],
    ])))
}

fn too_new(path: &Path, found: u32) -> StoreError {
    StoreError::TooNew {
        path: path.to_path_buf(),
        found,
        supported: SCHEMA_VERSION,
    }
}

/// The schema version as SQLite sees it.
pub fn user_version(conn: &Connection) -> Result<u32, StoreError> {
    conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
        .map(|v| u32::try_from(v).unwrap_or(u32::MAX))
        .map_err(StoreError::sql("reading the schema version"))
}

/// Opens (creating if needed) the database for writing, refuses a newer one, sets the pragmas
/// and migrates it to [`SCHEMA_VERSION`].
pub fn open_for_writing(path: &Path) -> Result<Connection, StoreError> {
    if let Some(found) = header_version(path)?
        && found > SCHEMA_VERSION
    {
        return Err(too_new(path, found));
    }
    let open_err = |source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    };
    let mut conn = Connection::open(path).map_err(open_err)?;
    let found = user_version(&conn)?;
    if found > SCHEMA_VERSION {
        return Err(too_new(path, found));
    }
    configure_for_writing(&conn)?;
    migrate(&mut conn, SCHEMA_VERSION)?;
    Ok(conn)
}

/// An in-memory database at [`SCHEMA_VERSION`] (tests, benchmarks, previews).
pub fn open_in_memory() -> Result<Connection, StoreError> {
    let mut conn = Connection::open_in_memory().map_err(|source| StoreError::Open {
        path: ":memory:".into(),
        source,
    })?;
    // Same integrity rule as on disk; WAL and fsync do not apply to memory.
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(StoreError::sql("enabling foreign keys"))?;
    migrate(&mut conn, SCHEMA_VERSION)?;
    Ok(conn)
}

fn configure_for_writing(conn: &Connection) -> Result<(), StoreError> {
    // WAL: readers (the window's queries, `spinewatch history`, a second instance) never wait
    // for the writer nor it for them, and a commit only appends to the -wal file, so a crash or
    // a kill at any moment leaves the last committed batch intact.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(StoreError::sql("switching to WAL"))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!("history database stays in journal mode {mode} (WAL unavailable)");
    }
    // FULL, not NORMAL: under WAL, NORMAL already survives an app crash or kill, but a power
    // cut may lose the last commits. We commit at most every 5 s (plus rare urgent commits), so
    // the one fsync per commit that FULL adds costs nothing noticeable, and a power cut then
    // loses no more than a crash: at most the last batch.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(StoreError::sql("setting synchronous"))?;
    // Records point at their session; SQLite checks that only when asked, per connection.
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(StoreError::sql("enabling foreign keys"))?;
    set_busy_timeout(conn)
}

/// Wait up to 5 s when another connection holds a lock (a checkpoint, a second instance's
/// reader) instead of failing at once. rusqlite's default is the same; set here so it is said.
fn set_busy_timeout(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(StoreError::sql("setting the busy timeout"))
}

/// Opens the database for queries only. It must exist and be at [`SCHEMA_VERSION`] (the writer
/// migrates; a reader never does).
pub fn open_for_reading(path: &Path) -> Result<Connection, StoreError> {
    if let Some(found) = header_version(path)?
        && found > SCHEMA_VERSION
    {
        return Err(too_new(path, found));
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    set_busy_timeout(&conn)?;
    // A reader never writes, even by mistake.
    conn.pragma_update(None, "query_only", true)
        .map_err(StoreError::sql("making the reader query-only"))?;
    let found = user_version(&conn)?;
    if found > SCHEMA_VERSION {
        return Err(too_new(path, found));
    }
    if found < SCHEMA_VERSION {
        return Err(StoreError::ReadOnly {
            reason: format!(
                "{} is at schema version {found} and only its writer may upgrade it to \
                 {SCHEMA_VERSION}",
                path.display()
            ),
        });
    }
    Ok(conn)
}

/// Runs the migration steps from the current version up to `target`, each in its own
/// transaction. Returns the version reached.
pub fn migrate(conn: &mut Connection, target: u32) -> Result<u32, StoreError> {
    let mut version = user_version(conn)?;
    while version < target.min(SCHEMA_VERSION) {
        let next = version + 1;
        let step = |source| StoreError::Migration {
            from: version,
            to: next,
            source,
        };
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(step)?;
        tx.execute_batch(MIGRATIONS[version as usize])
            .map_err(step)?;
        tx.pragma_update(None, "user_version", next).map_err(step)?;
        tx.commit().map_err(step)?;
        tracing::info!("history schema migrated from version {version} to {next}");
        version = next;
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_database_migrates_to_the_current_version_once() {
        let mut conn = Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            migrate(&mut conn, SCHEMA_VERSION).ok(),
            Some(SCHEMA_VERSION)
        );
        assert_eq!(user_version(&conn).ok(), Some(SCHEMA_VERSION));
        // Running it again does nothing (no "table already exists").
        assert_eq!(
            migrate(&mut conn, SCHEMA_VERSION).ok(),
            Some(SCHEMA_VERSION)
        );
    }

    #[test]
    fn a_failed_step_leaves_the_version_before_it() {
        let mut conn = Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        // A table in the way makes step 0 → 1 fail half-way.
        conn.execute_batch("CREATE TABLE alerts (x)")
            .unwrap_or_else(|e| panic!("{e}"));
        let err = migrate(&mut conn, SCHEMA_VERSION);
        assert!(
            matches!(err, Err(StoreError::Migration { from: 0, to: 1, .. })),
            "{err:?}"
        );
        assert_eq!(user_version(&conn).ok(), Some(0));
        let sessions: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'sessions'",
                [],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sessions, 0, "the step's transaction was rolled back");
    }
}
