//! `spinewatch report`: a day, an ISO week or a month of the posture history as one
//! self-contained HTML file or a PNG of the same page (see [`crate::report`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::{ArgGroup, Args};

use crate::paths::Paths;
use crate::report::{self, Format, ReportError, ReportPeriod, Thresholds};
use crate::store::StoreError;
use crate::store::days::{Days, parse_day, parse_month};
use crate::store::schema::open_for_reading;

use super::print_stdout;

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("period").required(true).args(["day", "week", "month"])))]
pub struct ReportArgs {
    /// One day.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = day_arg)]
    pub day: Option<NaiveDate>,
    /// The ISO week (Monday to Sunday) holding this day.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = day_arg)]
    pub week: Option<NaiveDate>,
    /// A calendar month.
    #[arg(long, value_name = "YYYY-MM", value_parser = month_arg)]
    pub month: Option<(i32, u32)>,
    /// The file to write: .html (one self-contained page) or .png (the page as an A4 image at
    /// 150 dpi). It must not exist yet, unless --force.
    #[arg(long, value_name = "FILE.html|FILE.png")]
    pub out: PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    pub force: bool,
    /// The history database (default: history.sqlite in the per-user data directory, or in
    /// $SPINEWATCH_HOME).
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// The settings file whose thresholds the report shows (default: the app's settings.json,
    /// or the one in $SPINEWATCH_HOME). Without one, the defaults are shown, and the report says
    /// so.
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
}

fn day_arg(text: &str) -> Result<NaiveDate, String> {
    parse_day(text).map_err(|e| e.to_string())
}

fn month_arg(text: &str) -> Result<(i32, u32), String> {
    parse_month(text).map_err(|e| e.to_string())
}

/// Why `report` failed (one line each).
#[derive(Debug, thiserror::Error)]
pub enum ReportCommandError {
    #[error("say which period: --day YYYY-MM-DD, --week YYYY-MM-DD or --month YYYY-MM")]
    NoPeriod,
    #[error("{}: the report must end in .html or .png", path.display())]
    UnknownFormat { path: PathBuf },
    #[error("{} already exists (use --force to replace it)", path.display())]
    OutputExists { path: PathBuf },
    #[error(
        "no posture history at {} yet (spinewatch records one while it runs with a sensor)",
        path.display()
    )]
    NoHistory { path: PathBuf },
    #[error("{}: {source}", path.display())]
    History {
        path: PathBuf,
        #[source]
        source: StoreError,
    },
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ReportArgs {
    fn period(&self) -> Option<ReportPeriod> {
        match (self.day, self.week, self.month) {
            (Some(d), _, _) => Some(ReportPeriod::Day(d)),
            (_, Some(d), _) => Some(ReportPeriod::Week(d)),
            (_, _, Some((year, month))) => Some(ReportPeriod::Month { year, month }),
            _ => None,
        }
    }
}

/// Runs the command: prints one line saying what was written.
pub fn main(args: ReportArgs) -> Result<(), super::CliError> {
    let written = run(&args)?;
    print_stdout(&written);
    Ok(())
}

/// Writes the report; returns the line to print.
pub fn run(args: &ReportArgs) -> Result<String, ReportCommandError> {
    let format = Format::of_path(&args.out).ok_or_else(|| ReportCommandError::UnknownFormat {
        path: args.out.clone(),
    })?;
    // Checked first so that nothing is computed for a file that will not be written (and again
    // when writing: see write_out).
    if !args.force && args.out.exists() {
        return Err(ReportCommandError::OutputExists {
            path: args.out.clone(),
        });
    }
    // clap's group makes one of them required; checked for callers that build the args.
    let period = args.period().ok_or(ReportCommandError::NoPeriod)?;
    let paths = Paths::for_user();
    let history_path = args.history.clone().unwrap_or(paths.history_file);
    // Opening would fail on a missing file; an empty one is a history never written to.
    let is_empty = std::fs::metadata(&history_path).map_or(true, |m| m.len() == 0);
    if is_empty {
        return Err(ReportCommandError::NoHistory { path: history_path });
    }
    // Read only and without the instance lock (see report::HistorySource): a spinewatch that
    // starts while the report is made still becomes the history's writer.
    let history =
        open_for_reading(&history_path).map_err(|source| ReportCommandError::History {
            path: history_path.clone(),
            source,
        })?;
    let settings_file = args.settings.clone().unwrap_or(paths.settings_file);
    let thresholds = Thresholds::from_settings_file(&settings_file);
    // The same day boundary as `history` and the window (read without touching the file).
    let day_start_min = std::fs::read_to_string(&settings_file)
        .ok()
        .and_then(|t| crate::app::state::Settings::from_json_str(&t).ok())
        .map_or(0, |(s, _)| s.day_starts_at_min);
    let days = Days::in_local_zone(day_start_min)?;
    let generated = chrono::Local::now().format("%Y-%m-%d %H:%M").to_string();
    let data = report::build(&history, &days, period, thresholds, generated)?;
    let bytes = report::render(&data, format)?;
    drop(history);
    write_out(&args.out, &bytes, args.force)?;
    Ok(format!(
        "wrote {} ({}, {} to {})\n",
        args.out.display(),
        match format {
            Format::Html => "HTML",
            Format::Png => "PNG, A4 at 150 dpi",
        },
        data.from,
        data.to
    ))
}

impl From<StoreError> for ReportCommandError {
    fn from(e: StoreError) -> Self {
        Self::Report(ReportError::Store(e))
    }
}

/// Writes `bytes` to `path`: without `force` only if it does not exist (checked atomically by
/// the open); a failed write removes the partial file.
fn write_out(path: &Path, bytes: &[u8], force: bool) -> Result<(), ReportCommandError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            ReportCommandError::OutputExists {
                path: path.to_path_buf(),
            }
        } else {
            ReportCommandError::Write {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    if let Err(source) = file.write_all(bytes).and_then(|()| file.sync_all()) {
        drop(file);
        if let Err(e) = std::fs::remove_file(path) {
            tracing::warn!(
                "could not remove the partial report {}: {e}",
                path.display()
            );
        }
        return Err(ReportCommandError::Write {
            path: path.to_path_buf(),
            source,
        });
    }
    Ok(())
}
