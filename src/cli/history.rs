//! `spinewatch history`: the posture history of a day, an ISO week or a month — a readable table,
//! or the JSON contract scripts rely on (see README) — plus export to CSV and pruning old history.
//! The numbers come from the same query code as the window's History view.

use std::path::PathBuf;

use clap::Args;

use crate::app::state::{load_settings, parse_hhmm};
use crate::paths::Paths;
use crate::store::days::{parse_day, parse_month};
use crate::store::{Days, History, HistoryOptions};

use super::{CliError, print_stdout};

#[derive(Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["day", "week", "month", "export", "delete_before"])))]
pub struct HistoryArgs {
    /// One day: YYYY-MM-DD (a local day; see --day-starts-at).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub day: Option<String>,
    /// The ISO week (Monday to Sunday) holding this day.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub week: Option<String>,
    /// A calendar month: YYYY-MM.
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<String>,
    /// Print JSON (one object) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Write sessions, intervals and events as CSV files into DIR.
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,
    /// Remove history from before this day (that day is kept).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub delete_before: Option<String>,
    /// When a day begins, local time (default: the setting, else 00:00), for people who work
    /// past midnight.
    #[arg(long, value_name = "HH:MM")]
    pub day_starts_at: Option<String>,
    /// The history file (default: history.sqlite in the per-user data directory).
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
}

/// `spinewatch history`.
pub fn main(args: HistoryArgs) -> Result<(), CliError> {
    let paths = Paths::for_user();
    let day_start_min = match &args.day_starts_at {
        Some(text) => parse_hhmm(text).ok_or_else(|| {
            CliError::Usage(format!(
                "--day-starts-at {text}: expected a time like 04:00"
            ))
        })?,
        None => {
            load_settings(&paths.settings_file)
                .settings
                .day_starts_at_min
        }
    };
    let days = Days::in_local_zone(day_start_min)?;
    let path = args.history.clone().unwrap_or(paths.history_file);
    if !path.exists() {
        return Err(CliError::Usage(format!(
            "{}: no history yet (it fills as the app or `spinewatch record` runs, or with `spinewatch import`)",
            path.display()
        )));
    }
    let history = History::open(&path, HistoryOptions::default())?;
    let text = if let Some(day) = &args.day {
        let summary = history.day(&days, parse_day(day)?)?;
        if args.json {
            summary.to_json() + "\n"
        } else {
            summary.to_string()
        }
    } else if let Some(day) = &args.week {
        let summary = history.week(&days, parse_day(day)?)?;
        if args.json {
            summary.to_json() + "\n"
        } else {
            summary.to_string()
        }
    } else if let Some(month) = &args.month {
        let (year, month) = parse_month(month)?;
        let summary = history.month(&days, year, month)?;
        if args.json {
            summary.to_json() + "\n"
        } else {
            summary.to_string()
        }
    } else if let Some(dir) = &args.export {
        std::fs::create_dir_all(dir).map_err(|source| CliError::Write {
            path: dir.clone(),
            source,
        })?;
        let report = history.export(&days, dir)?;
        format!(
            "exported {} sessions, {} intervals, {} events to {}\n",
            report.sessions,
            report.intervals,
            report.events,
            dir.display()
        )
    } else if let Some(day) = &args.delete_before {
        let report = history.delete_before(&days, parse_day(day)?)?;
        history.flush()?;
        format!(
            "removed {} sessions ({} rows) from before {day}\n",
            report.sessions, report.rows
        )
    } else {
        String::new()
    };
    let text = if text.ends_with('\n') {
        text
    } else {
        text + "\n"
    };
    print_stdout(&text);
    Ok(())
}
