//! Errors that name the file, the line and the column, so a user can open the file and fix it.

use std::fmt;
use std::path::PathBuf;

/// What was wrong with a session file, and where.
#[derive(Debug)]
pub struct SessionError {
    /// The file (or a label such as `<stdin>`).
    pub file: PathBuf,
    /// 1-based line number, when the error belongs to a line.
    pub line: Option<u64>,
    /// The column name, when the error belongs to a field.
    pub column: Option<String>,
    pub kind: SessionErrorKind,
}

/// The kinds of problems a session file can have.
#[derive(Debug)]
pub enum SessionErrorKind {
    Io(std::io::Error),
    /// The file has no header line (empty, or only comments).
    NoHeader,
    /// A required column is absent from the header.
    MissingColumn,
    /// A row has a different number of fields than the header.
    ColumnCount {
        expected: usize,
        found: usize,
    },
    /// A field that must be a finite number is not.
    NotANumber {
        text: String,
    },
    /// A row's time is earlier than the previous row's.
    TimeBackwards {
        previous_s: f64,
        found_s: f64,
    },
    /// A row is not valid UTF-8 text.
    NotText,
    /// A line longer than any session row can be (`bytes` long); it was not kept.
    LineTooLong {
        bytes: usize,
    },
    /// A value beyond what a sensor can measure (the protocol's physical limits).
    OutOfRange {
        value: f64,
        limit: f64,
        unit: &'static str,
    },
    /// A lone row far ahead of the rows around it (a corrupt time): the next row comes back.
    TimeOutlier {
        previous_s: f64,
        found_s: f64,
    },
    /// A row time beyond [`TIME_LIMIT_S`](super::reader::TIME_LIMIT_S) either way (a corrupt
    /// field: no session spans centuries).
    TimeOutOfRange {
        value_s: f64,
    },
}

impl SessionError {
    pub(crate) fn new(file: &std::path::Path, line: Option<u64>, kind: SessionErrorKind) -> Self {
        Self {
            file: file.to_path_buf(),
            line,
            column: None,
            kind,
        }
    }

    pub(crate) fn with_column(mut self, column: &str) -> Self {
        self.column = Some(column.to_string());
        self
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ": column '{column}'")?;
        }
        match &self.kind {
            SessionErrorKind::Io(e) => write!(f, ": {e}"),
            SessionErrorKind::NoHeader => write!(
                f,
                ": no header line (expected one starting time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps)"
            ),
            SessionErrorKind::MissingColumn => {
                write!(f, ": required column missing from the header")
            }
            SessionErrorKind::ColumnCount { expected, found } => {
                write!(
                    f,
                    ": expected {expected} fields like the header, found {found}"
                )
            }
            SessionErrorKind::NotANumber { text } => {
                write!(f, ": not a finite number: '{}'", text.escape_debug())
            }
            SessionErrorKind::TimeBackwards {
                previous_s,
                found_s,
            } => write!(
                f,
                ": time goes backwards ({found_s} s after {previous_s} s on the previous row)"
            ),
            SessionErrorKind::NotText => write!(f, ": line is not valid UTF-8 text"),
            SessionErrorKind::LineTooLong { bytes } => write!(
                f,
                ": line of {bytes} bytes is far longer than a session row (at most {} bytes)",
                super::reader::MAX_LINE_BYTES
            ),
            SessionErrorKind::OutOfRange { value, limit, unit } => write!(
                f,
                ": {value} {unit} is beyond what a sensor measures (±{limit} {unit})"
            ),
            SessionErrorKind::TimeOutlier {
                previous_s,
                found_s,
            } => write!(
                f,
                ": time jumps to {found_s} s from {previous_s} s and the next row comes back: a corrupt time"
            ),
            SessionErrorKind::TimeOutOfRange { value_s } => write!(
                f,
                ": time {value_s:e} s is beyond any session time (±{:e} s)",
                super::reader::TIME_LIMIT_S
            ),
        }
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            SessionErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}
