//! What can go wrong with the history database, with enough context to say it in one line.

use std::path::PathBuf;

/// An error of the history store. The SQLite or I/O error is kept as the source.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database was written by a newer spinewatch. It is left exactly as it is.
    #[error(
        "{} has history schema version {found}, newer than this spinewatch understands \
         (up to {supported}); it was not changed — update spinewatch to use it",
        path.display()
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    /// The file exists but is not an SQLite database.
    #[error("{} is not a spinewatch history database (no SQLite header)", path.display())]
    NotADatabase { path: PathBuf },
    /// Opening or creating the database failed.
    #[error("cannot open the history database {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// A schema migration step failed; the database stays at `from` (each step is one
    /// transaction).
    #[error("history schema migration from version {from} to {to} failed: {source}")]
    Migration {
        from: u32,
        to: u32,
        #[source]
        source: rusqlite::Error,
    },
    /// A statement failed.
    #[error("history database error while {doing}: {source}")]
    Sql {
        doing: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    /// A file (lock, header, export) could not be read or written.
    #[error("{doing} {}: {source}", path.display())]
    Io {
        doing: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// This instance opened the history read only because another spinewatch holds it.
    #[error("the history is open read only: {reason}")]
    ReadOnly { reason: String },
    /// The writer thread is gone (it stopped or could not be started).
    #[error("the history writer is not running")]
    WriterGone,
    /// A stored value is not one this version writes (a damaged or hand-edited database).
    #[error("unexpected value {value:?} in history column {column}")]
    BadValue { column: &'static str, value: String },
    /// A date or period given by the caller does not exist (e.g. a month 13).
    #[error("no such {what}: {value}")]
    BadDate { what: &'static str, value: String },
}

impl StoreError {
    /// Wraps an SQLite error with what was being done.
    pub(crate) fn sql(doing: &'static str) -> impl FnOnce(rusqlite::Error) -> Self {
        move |source| Self::Sql { doing, source }
    }

    /// True when retrying later may succeed: the disk is full, the file or directory is read
    /// only, the file is locked or busy, or an I/O error happened. A constraint violation or a
    /// bad value will fail again and is not retried.
    pub fn is_transient(&self) -> bool {
        let code = match self {
            Self::Sql { source, .. } | Self::Open { source, .. } => source.sqlite_error_code(),
            Self::Io { .. } | Self::WriterGone => return true,
            _ => return false,
        };
        use rusqlite::ErrorCode as C;
        matches!(
            code,
            Some(
                C::DiskFull
                    | C::ReadOnly
                    | C::CannotOpen
                    | C::DatabaseBusy
                    | C::DatabaseLocked
                    | C::SystemIoFailure
                    | C::PermissionDenied
                    | C::OutOfMemory
            )
        )
    }
}
