//! `spinewatch import FILE.csv...`: recorded sessions into the history, at the files' own times,
//! through the same session driver (the headless replay plus the history as one more sink), so
//! an imported file's history says what `replay --headless` reports for it.
//!
//! Importing the same file twice changes nothing (found by content hash); a file overlapping
//! history already there is refused, naming the overlap, unless `--replace`.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use clap::Args;

use crate::format::human_duration;
use crate::paths::Paths;
use crate::posture::Config;
use crate::session::{CalibrationWindows, SessionError, SessionReader};
use crate::store::{
    HashingReader, History, HistoryRecorder, SessionInfo, SessionSource, StartTime, StoreError,
};

use super::replay::{ReplayError, ReplayOptions, ReplayReport, run_with};
use super::{CliError, load_config, print_stdout};

#[derive(Args)]
pub struct ImportArgs {
    /// Session CSVs (each carries `# started=` metadata, as every recording does).
    #[arg(required = true, value_name = "FILE.csv")]
    pub files: Vec<PathBuf>,
    /// Calibration windows in session seconds (as for `replay --headless`).
    #[arg(long, value_name = "U0:U1,F0:F1")]
    pub calibrate: Option<CalibrationWindows>,
    /// When the first row was taken (RFC 3339 with offset, e.g. 2026-11-24T09:00:00+01:00), for
    /// files without `# started=`.
    #[arg(long, value_name = "RFC3339")]
    pub start: Option<String>,
    /// Replace history the file overlaps (its sessions are deleted first).
    #[arg(long)]
    pub replace: bool,
    /// Settings JSON (thresholds and delays), as for replay.
    #[arg(long, value_name = "CONFIG.json")]
    pub config: Option<PathBuf>,
    /// Skip malformed rows (counted) instead of refusing the file.
    #[arg(long)]
    pub skip_bad_rows: bool,
    /// The history file (default: history.sqlite in the per-user data directory).
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
}

/// What importing one file did.
#[derive(Debug)]
pub enum ImportOutcome {
    Imported {
        report: Box<ReplayReport>,
        started: DateTime<Utc>,
        replaced: Vec<SessionInfo>,
    },
    /// The same content is in the history already.
    AlreadyThere(SessionInfo),
}

/// Why a file could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Replay(#[from] ReplayError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}: cannot read it: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: the file does not say when it was recorded (no `# started=`); give --start RFC3339", path.display())]
    NoStart { path: PathBuf },
    #[error("{}: `{text}` is not an RFC 3339 time with an offset (like 2026-11-24T09:00:00+01:00)", path.display())]
    BadStart { path: PathBuf, text: String },
    #[error("{}: it has no samples", path.display())]
    Empty { path: PathBuf },
    #[error("{}: overlaps history already there ({}); use --replace to replace it", path.display(), describe(overlap))]
    Overlaps {
        path: PathBuf,
        overlap: Vec<SessionInfo>,
    },
}

fn describe(sessions: &[SessionInfo]) -> String {
    sessions
        .iter()
        .map(|s| {
            format!(
                "session {} '{}' {} to {}",
                s.id,
                s.label,
                utc_text(s.start_ms),
                utc_text(s.end_ms)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn utc_text(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_else(|| format!("{ms} ms"))
}

/// Options of one import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub calibrate: Option<CalibrationWindows>,
    /// For files without `# started=`.
    pub start: Option<DateTime<Utc>>,
    pub replace: bool,
    pub config: Config,
    pub skip_bad_rows: bool,
}

/// Parses `--start` / `# started=`.
pub fn parse_start(path: &Path, text: &str) -> Result<DateTime<Utc>, ImportError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| ImportError::BadStart {
            path: path.to_path_buf(),
            text: text.chars().take(60).collect(),
        })
}

/// Imports one file into `history`.
pub fn import_file(
    history: &Arc<History>,
    path: &Path,
    opts: &ImportOptions,
) -> Result<ImportOutcome, ImportError> {
    // One pass before the replay: the content hash (the same file again?), when it happened
    // and how long it is (the reader streams; the hash sees every byte it reads).
    let file = std::fs::File::open(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let input = BufReader::with_capacity(1 << 16, HashingReader::new(file));
    let mut reader = SessionReader::new(input, path)?.skip_bad_rows(true);
    let mut first_t = None;
    let mut last_t = 0.0;
    while let Some(s) = reader.next_sample()? {
        first_t.get_or_insert(s.t_s);
        last_t = s.t_s;
    }
    let started_text = reader
        .meta()
        .other
        .iter()
        .find(|(k, _)| k == "started")
        .map(|(_, text)| text.clone());
    // Read to its end: every byte went through the hash.
    let hash = reader.into_input().into_inner().finish();
    if let Some(existing) = history.session_with_hash(hash)? {
        return Ok(ImportOutcome::AlreadyThere(existing));
    }
    let started = match started_text {
        Some(text) => parse_start(path, &text)?,
        None => opts.start.ok_or_else(|| ImportError::NoStart {
            path: path.to_path_buf(),
        })?,
    };
    let Some(first_t) = first_t else {
        return Err(ImportError::Empty {
            path: path.to_path_buf(),
        });
    };
    let start_ms = started.timestamp_millis();
    let end_ms = start_ms + ((last_t - first_t) * 1000.0).round() as i64;
    let overlap = history.sessions_overlapping(start_ms, end_ms.max(start_ms + 1))?;
    if !overlap.is_empty() && !opts.replace {
        return Err(ImportError::Overlaps {
            path: path.to_path_buf(),
            overlap,
        });
    }
    for s in &overlap {
        history.delete_session(s.id)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let mut sink = HistoryRecorder::new(
        Arc::clone(history),
        SessionSource::File { name, hash },
        StartTime::At {
            utc_s: started.timestamp_micros() as f64 / 1e6,
        },
        &opts.config,
        true,
    );
    let replay = ReplayOptions {
        input: path.to_path_buf(),
        calibrate: opts.calibrate,
        config: opts.config.clone(),
        angles: None,
        events: None,
        skip_bad_rows: opts.skip_bad_rows,
        no_stored_calibration: false,
    };
    let report = run_with(&replay, &mut [&mut sink])?;
    history.flush()?;
    Ok(ImportOutcome::Imported {
        report: Box::new(report),
        started,
        replaced: overlap,
    })
}

/// `spinewatch import`.
pub fn main(args: ImportArgs) -> Result<(), CliError> {
    let config = load_config(args.config.as_ref())?;
    let start = match &args.start {
        Some(text) => Some(parse_start(Path::new("--start"), text).map_err(import_error)?),
        None => None,
    };
    let path = args
        .history
        .clone()
        .unwrap_or_else(|| Paths::for_user().history_file);
    let history = Arc::new(History::open(&path, Default::default()).map_err(store_error)?);
    if history.is_read_only() {
        return Err(CliError::Usage(format!(
            "{}; close it to import",
            match history.status() {
                crate::store::HistoryStatus::ReadOnly { message, .. } => message,
                _ => "the history is read only".into(),
            }
        )));
    }
    let opts = ImportOptions {
        calibrate: args.calibrate,
        start,
        replace: args.replace,
        config,
        skip_bad_rows: args.skip_bad_rows,
    };
    let mut out = String::new();
    for file in &args.files {
        match import_file(&history, file, &opts).map_err(import_error)? {
            ImportOutcome::AlreadyThere(s) => out.push_str(&format!(
                "{}: already in the history (session {}, from {}); nothing changed\n",
                file.display(),
                s.id,
                utc_text(s.start_ms)
            )),
            ImportOutcome::Imported {
                report,
                started,
                replaced,
            } => {
                for w in &report.warnings {
                    eprintln!("spinewatch: warning: {w}");
                }
                out.push_str(&format!(
                    "{}: imported from {} ({} monitored, {} slouch alerts, calibration {}){}\n",
                    file.display(),
                    started.to_rfc3339_opts(SecondsFormat::Secs, true),
                    human_duration(report.summary.monitored_s),
                    report.summary.rules.slouch_alerts,
                    report.calibration_note,
                    if replaced.is_empty() {
                        String::new()
                    } else {
                        format!("; replaced {}", describe(&replaced))
                    }
                ));
            }
        }
    }
    print_stdout(&out);
    Ok(())
}

fn import_error(e: ImportError) -> CliError {
    CliError::Import(Box::new(e))
}

fn store_error(e: StoreError) -> CliError {
    CliError::Import(Box::new(ImportError::Store(e)))
}
