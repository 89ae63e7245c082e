//! `spinewatch report`: one day, ISO week or month of the posture history as a page the wearer
//! can keep or hand to their physical therapist — a self-contained HTML file ([`html`]) or a PNG
//! of the same page ([`png`]).
//!
//! ```text
//! History / read-only ──store queries──▶ build() ──▶ ReportData ──▶ html::render ──▶ String (HTML)
//! Connection          ──bouts, wear,  ──▶                        └─▶ png::render  ──▶ PNG (A4)
//!                       holds, calibrations
//! ```
//!
//! Every figure that `spinewatch history --json` also gives is taken from the very same query
//! ([`crate::store::query`]: [`DaySummary`], [`PeriodSummary`]) and kept unchanged in
//! [`ReportData::summary`], so the two cannot disagree. What the store has no query for is read
//! here, from the same tables, on the same connection ([`HistorySource`]): sitting bouts ([`bouts`]), the span of worn
//! time of each day ([`wear`]), the longest holds ([`holds`]) and the calibrations
//! ([`calibration`]). Both renderers lay out the same content: the words and numbers come from
//! [`text`], the charts from [`charts`] as resolution-free shape lists that [`html`] writes as SVG
//! and [`png`] draws with plotters.

pub mod bouts;
pub mod calibration;
pub mod charts;
pub mod holds;
pub mod html;
pub mod png;
pub mod text;
pub mod wear;

use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, NaiveDate, Offset, TimeZone};
use rusqlite::Connection;

use crate::app::state::Settings;
use crate::posture::{Config, PostureState};
use crate::store::chart::{AlertMarker, Period};
use crate::store::days::{Days, iso_week_monday, month_bounds};
use crate::store::query::{self, DaySummary, Figures, PeriodSummary};
use crate::store::record::{AlertKind, AlertOutcome};
use crate::store::{History, StoreError, chart};

pub use bouts::{Bout, BoutStats};
pub use calibration::{CalibrationEvent, CalibrationSummary};
pub use holds::Hold;
pub use wear::Wear;

/// Why a report could not be made. One line each, for the command line.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The period has no monitored time at all: a page of zeros helps nobody.
    #[error("no posture data from {from} to {to} ({})", match history_span {
        Some((first, last)) => format!("the history has data from {first} to {last}"),
        None => "the history has no data yet".to_string(),
    })]
    NoData {
        from: NaiveDate,
        to: NaiveDate,
        /// First and last day with data in the whole history.
        history_span: Option<(NaiveDate, NaiveDate)>,
    },
    /// plotters failed while drawing the PNG (it reports its errors as text).
    #[error("cannot draw the PNG report: {message}")]
    Draw { message: String },
    /// The embedded font did not load (a build problem, not the wearer's).
    #[error("the embedded report font {name} cannot be read")]
    Font { name: &'static str },
    #[error("cannot encode the PNG report: {source}")]
    Encode {
        #[source]
        source: ::png::EncodingError,
    },
}

/// The period a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportPeriod {
    Day(NaiveDate),
    /// The ISO week (Monday to Sunday) holding this day.
    Week(NaiveDate),
    Month {
        year: i32,
        month: u32,
    },
}

impl ReportPeriod {
    /// First and last day.
    pub fn bounds(self) -> Result<(NaiveDate, NaiveDate), StoreError> {
        match self {
            Self::Day(d) => Ok((d, d)),
            Self::Week(d) => {
                let monday = iso_week_monday(d);
                Ok((monday, monday + Duration::days(6)))
            }
            Self::Month { year, month } => month_bounds(year, month),
        }
    }

    /// "day", "week" or "month".
    pub fn noun(self) -> &'static str {
        match self {
            Self::Day(_) => "day",
            Self::Week(_) => "week",
            Self::Month { .. } => "month",
        }
    }

    /// The page's heading, e.g. "Week report: ISO week 48 of 2026 (Mon 23 – Sun 29 November 2026)".
    pub fn title(self) -> Result<String, StoreError> {
        let (first, last) = self.bounds()?;
        Ok(match self {
            Self::Day(d) => format!("Day report: {}", d.format("%A %-d %B %Y")),
            Self::Week(_) => {
                let iso = first.iso_week();
                let span = if first.month() == last.month() {
                    format!(
                        "{} – {}",
                        first.format("%a %-d"),
                        last.format("%a %-d %B %Y")
                    )
                } else if first.year() == last.year() {
                    format!(
                        "{} – {}",
                        first.format("%a %-d %B"),
                        last.format("%a %-d %B %Y")
                    )
                } else {
                    format!(
                        "{} – {}",
                        first.format("%a %-d %B %Y"),
                        last.format("%a %-d %B %Y")
                    )
                };
                format!(
                    "Week report: ISO week {} of {} ({span})",
                    iso.week(),
                    iso.year()
                )
            }
            Self::Month { .. } => format!("Month report: {}", first.format("%B %Y")),
        })
    }
}

/// The store's figures for the period, exactly as `spinewatch history --json` prints them.
#[derive(Debug, Clone, PartialEq)]
pub enum Summary {
    /// `history --day`: the day with its hours.
    Day(DaySummary),
    /// `history --week` / `--month`: every day and the totals.
    Period(PeriodSummary),
}

impl Summary {
    /// The totals (a day's own figures for a day report).
    pub fn figures(&self) -> &Figures {
        match self {
            Self::Day(d) => &d.figures,
            Self::Period(p) => &p.totals.figures,
        }
    }

    /// Every day of the period, in order.
    pub fn days(&self) -> &[DaySummary] {
        match self {
            Self::Day(d) => std::slice::from_ref(d),
            Self::Period(p) => &p.days,
        }
    }

    /// Days with any monitored time.
    pub fn days_with_data(&self) -> u32 {
        match self {
            Self::Day(d) => u32::from(d.figures.monitored_s > 0.0),
            Self::Period(p) => p.totals.days_with_data,
        }
    }

    /// The `history --json` text of the same figures.
    pub fn to_json(&self) -> String {
        match self {
            Self::Day(d) => d.to_json(),
            Self::Period(p) => p.to_json(),
        }
    }
}

/// Where the thresholds shown in the report came from.
#[derive(Debug, Clone, PartialEq)]
pub enum ThresholdSource {
    /// The wearer's settings file.
    SettingsFile { path: PathBuf },
    /// No settings file: the built-in defaults, which the app then also uses.
    NoSettingsFile { path: PathBuf },
    /// A settings file that cannot be used (the app would set it aside and use defaults too).
    UnusableSettingsFile { path: PathBuf, reason: String },
    /// Defaults, without looking for a file (tests, previews).
    Defaults,
}

/// The posture thresholds in force, and where they came from. The history does not store the
/// settings a day was recorded with, so these are today's settings: the report says so.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub config: Config,
    pub source: ThresholdSource,
}

impl Thresholds {
    /// The built-in defaults.
    pub fn defaults() -> Self {
        Self {
            config: Config::default(),
            source: ThresholdSource::Defaults,
        }
    }

    /// The posture settings of the app's settings file (`settings.json`), defaults without one.
    /// Reads the file only: unlike [`crate::app::state::load_settings`], a broken file is left
    /// where it is (a report must not move the wearer's files), and defaults are shown.
    pub fn from_settings_file(path: &Path) -> Self {
        let path_buf = path.to_path_buf();
        match std::fs::read_to_string(path) {
            Ok(text) => match Settings::from_json_str(&text) {
                Ok((settings, _warnings)) => Self {
                    config: settings.posture,
                    source: ThresholdSource::SettingsFile { path: path_buf },
                },
                Err(e) => Self {
                    config: Config::default(),
                    source: ThresholdSource::UnusableSettingsFile {
                        path: path_buf,
                        reason: e.to_string(),
                    },
                },
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self {
                config: Config::default(),
                source: ThresholdSource::NoSettingsFile { path: path_buf },
            },
            Err(e) => Self {
                config: Config::default(),
                source: ThresholdSource::UnusableSettingsFile {
                    path: path_buf,
                    reason: e.to_string(),
                },
            },
        }
    }
}

/// One day's extra figures (beside its [`DaySummary`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DayDetail {
    pub date: NaiveDate,
    /// "Mon 23 Nov".
    pub label: String,
    pub wear: Wear,
    /// Sitting bouts that started this day.
    pub bouts: BoutStats,
}

/// One row of the hour-by-hour heat map: a day, or the one day of a day report.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatRow {
    pub date: NaiveDate,
    /// "Mon 23".
    pub label: String,
    /// `upright_pct[h]`: % of calibrated time upright in local clock hour `h` (the store's
    /// [`crate::store::PeriodChart::hour_by_day`]); `None` without calibrated time.
    pub upright_pct: [Option<f64>; 24],
}

/// One minute of the day report's timeline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimelineMinute {
    /// Hours since the start of the day.
    pub at_h: f64,
    /// The state with the most time in the minute.
    pub state: PostureState,
    /// Flexion range over the minute, degrees (`None`: no known angle, e.g. uncalibrated).
    pub flexion_min_deg: Option<f64>,
    pub flexion_max_deg: Option<f64>,
}

/// An alert, reminder or break on the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineMark {
    /// Hours since the start of the day.
    pub at_h: f64,
    /// `HH:MM`, local.
    pub local_time: String,
    /// `None` for a break taken.
    pub alert: Option<(AlertKind, AlertOutcome)>,
}

/// The day report's minute-by-minute chart, over the hours that have data.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// The window shown, hours since the start of the day (whole hours around the data).
    pub from_h: f64,
    pub to_h: f64,
    /// Axis ticks: hours since the start of the day, with the local clock time there.
    pub ticks: Vec<(f64, String)>,
    /// Monitored minutes only.
    pub minutes: Vec<TimelineMinute>,
    pub marks: Vec<TimelineMark>,
}

/// Sessions that contributed to the period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sources {
    pub sessions: u32,
    /// Distinct sensor labels of live sessions (port — firmware (model), or `demo`).
    pub devices: Vec<String>,
    /// Sessions imported from recorded files.
    pub imported: u32,
}

/// Everything a report shows, gathered from the history; the renderers only lay it out.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportData {
    pub period: ReportPeriod,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub title: String,
    /// When the report was made, as given to [`build`] (local time, for the footer).
    pub generated: String,
    /// The UTC offset(s) of the local times shown, e.g. "UTC+01:00".
    pub utc_offset: String,
    /// Minutes after local midnight at which each day starts.
    pub day_start_min: u32,
    /// The store's figures, unchanged.
    pub summary: Summary,
    /// Per day, in the order of [`Summary::days`].
    pub days: Vec<DayDetail>,
    /// The whole period's wear.
    pub wear: Wear,
    /// Sitting bouts that started in the period.
    pub bouts: BoutStats,
    /// The longest slouch holds of the period, longest first (at most [`holds::SHOWN`]).
    pub holds: Vec<Hold>,
    pub heat: Vec<HeatRow>,
    /// Day reports only.
    pub timeline: Option<Timeline>,
    /// Week and month reports: one sentence against the period before (the store's).
    pub comparison: Option<String>,
    pub calibration: CalibrationSummary,
    pub thresholds: Thresholds,
    pub sources: Sources,
}

impl ReportData {
    /// The totals: a day's figures, or the period's.
    pub fn figures(&self) -> &Figures {
        self.summary.figures()
    }

    pub fn is_day(&self) -> bool {
        matches!(self.period, ReportPeriod::Day(_))
    }
}

/// Where a report reads the history from: the app's [`History`] handle (its reader connection,
/// through [`History::read`]), or a plain connection opened read only with
/// [`crate::store::schema::open_for_reading`] — what `spinewatch report` uses, because it takes
/// no instance lock: [`History::open`] would make the command the history's writer for as long
/// as it runs, and a spinewatch starting meanwhile would then record nothing all day. Both run
/// the very same store queries.
pub trait HistorySource {
    fn with_conn<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError>;
}

impl HistorySource for History {
    fn with_conn<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.read(f)
    }
}

impl HistorySource for Connection {
    fn with_conn<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        f(self)
    }
}

/// Gathers a report of `period` from `history`, with days cut by `days`.
///
/// `generated` is printed in the footer (the caller's clock, so tests stay deterministic). A
/// period without any monitored time is [`ReportError::NoData`].
pub fn build<Tz: TimeZone>(
    history: &impl HistorySource,
    days: &Days<Tz>,
    period: ReportPeriod,
    thresholds: Thresholds,
    generated: String,
) -> Result<ReportData, ReportError> {
    let (first, last) = period.bounds()?;
    let summary = match period {
        ReportPeriod::Day(d) => Summary::Day(history.with_conn(|c| query::day(c, days, d))?),
        ReportPeriod::Week(d) => Summary::Period(history.with_conn(|c| query::week(c, days, d))?),
        ReportPeriod::Month { year, month } => {
            Summary::Period(history.with_conn(|c| query::month(c, days, year, month))?)
        }
    };
    if summary.figures().monitored_s <= 0.0 {
        let span = history.with_conn(wear::history_span_ms)?;
        return Err(ReportError::NoData {
            from: first,
            to: last,
            history_span: span.map(|(a, b)| (days.day_of_ms(a), days.day_of_ms(b - 1))),
        });
    }
    let from_ms = days.day_start_ms(first);
    let to_ms = days.day_range_ms(last).1;

    let all_bouts = history.with_conn(|c| bouts::sitting_bouts(c, from_ms, to_ms))?;
    let mut details = Vec::new();
    for day in summary.days() {
        let date = day_date(&day.day)?;
        let (start, end) = days.day_range_ms(date);
        let span = history.with_conn(|c| wear::monitored_span_ms(c, start, end))?;
        let day_bouts: Vec<Bout> = all_bouts
            .iter()
            .copied()
            .filter(|b| b.start_ms >= start && b.start_ms < end)
            .collect();
        details.push(DayDetail {
            date,
            label: date.format("%a %-d %b").to_string(),
            wear: Wear::new(
                day.figures.monitored_s,
                span.map(|(a, b)| {
                    (
                        (b - a) as f64 / 1000.0,
                        days.local_hhmm(a),
                        days.local_hhmm(b),
                    )
                }),
            ),
            bouts: BoutStats::of(&day_bouts, |ms| when(days, ms, period)),
        });
    }
    let wear = Wear::total(
        summary.figures().monitored_s,
        details.iter().map(|d| &d.wear),
    );
    let bouts = BoutStats::of(&all_bouts, |ms| when(days, ms, period));

    let holds = history
        .with_conn(|c| holds::longest(c, from_ms, to_ms, holds::SHOWN))?
        .into_iter()
        .map(|h| Hold {
            when: when(days, h.start_ms, period),
            ..h
        })
        .collect();

    let chart_period = match period {
        ReportPeriod::Day(d) | ReportPeriod::Week(d) => Period::Week(d),
        ReportPeriod::Month { year, month } => Period::Month { year, month },
    };
    let chart = history.with_conn(|c| chart::period_chart(c, days, chart_period))?;
    let heat = chart
        .days
        .iter()
        .zip(&chart.hour_by_day)
        .filter(|(bar, _)| bar.day >= first && bar.day <= last)
        .map(|(bar, hours)| HeatRow {
            date: bar.day,
            label: bar.day.format("%a %-d").to_string(),
            upright_pct: *hours,
        })
        .collect();
    let comparison = match period {
        ReportPeriod::Day(_) => None,
        _ => Some(chart.comparison.sentence.clone()),
    };
    let timeline = match period {
        ReportPeriod::Day(d) => Some(timeline(history, days, d)?),
        _ => None,
    };

    let calibration = history.with_conn(|c| calibration::summary(c, from_ms, to_ms))?;
    let calibration = calibration.with_local_times(
        |ms| when(days, ms, period),
        |ms| {
            format!(
                "{} {}",
                days.day_of_ms(ms).format("%a %-d %b %Y"),
                days.local_hhmm(ms)
            )
        },
    );

    let mut sources = Sources::default();
    for s in history.with_conn(|c| query::sessions_overlapping(c, from_ms, to_ms))? {
        sources.sessions += 1;
        if s.source == "file" {
            sources.imported += 1;
        } else if !sources.devices.contains(&s.label) {
            sources.devices.push(s.label);
        }
    }

    Ok(ReportData {
        period,
        from: first,
        to: last,
        title: period.title()?,
        generated,
        utc_offset: utc_offsets(days, from_ms, to_ms),
        day_start_min: days.day_start_min(),
        summary,
        days: details,
        wear,
        bouts,
        holds,
        heat,
        timeline,
        comparison,
        calibration,
        thresholds,
        sources,
    })
}

fn day_date(text: &str) -> Result<NaiveDate, StoreError> {
    crate::store::days::parse_day(text)
}

/// When something happened, for people: "10:42" in a day report, "Mon 23 Nov 10:42" otherwise.
fn when<Tz: TimeZone>(days: &Days<Tz>, ms: i64, period: ReportPeriod) -> String {
    match period {
        ReportPeriod::Day(_) => days.local_hhmm(ms),
        _ => format!(
            "{} {}",
            days.day_of_ms(ms).format("%a %-d %b"),
            days.local_hhmm(ms)
        ),
    }
}

/// "UTC+01:00", or "UTC+01:00 / UTC+02:00" when the offset changes within the period.
fn utc_offsets<Tz: TimeZone>(days: &Days<Tz>, from_ms: i64, to_ms: i64) -> String {
    let at = |ms: i64| {
        days.local(ms)
            .map(|t| format!("UTC{}", t.offset().fix()))
            .unwrap_or_else(|| "UTC".to_string())
    };
    let (a, b) = (at(from_ms), at(to_ms - 1));
    if a == b { a } else { format!("{a} / {b}") }
}

/// The day's minutes, alerts and breaks, over the whole hours that have data.
fn timeline<Tz: TimeZone>(
    history: &impl HistorySource,
    days: &Days<Tz>,
    date: NaiveDate,
) -> Result<Timeline, StoreError> {
    let chart = history.with_conn(|c| chart::day_chart(c, days, date))?;
    let hours_of = |ms: i64| (ms - chart.start_ms) as f64 / 3_600_000.0;
    let minutes: Vec<TimelineMinute> = chart
        .minutes
        .iter()
        .filter_map(|m| {
            Some(TimelineMinute {
                at_h: hours_of(m.start_ms),
                state: m.state?,
                flexion_min_deg: m.flexion_min_deg,
                flexion_max_deg: m.flexion_max_deg,
            })
        })
        .collect();
    let day_h = hours_of(chart.end_ms);
    let (from_h, to_h) = match (minutes.first(), minutes.last()) {
        (Some(a), Some(b)) => (
            a.at_h.floor().max(0.0),
            (b.at_h + 1.0 / 60.0).ceil().min(day_h),
        ),
        _ => (0.0, day_h),
    };
    // Ticks every hour, or every two when the window is long, labelled with the local clock.
    let step = if to_h - from_h > 12.0 { 2.0 } else { 1.0 };
    let mut ticks = Vec::new();
    let mut h = from_h;
    while h <= to_h + 1e-9 {
        let ms = chart.start_ms + (h * 3_600_000.0).round() as i64;
        ticks.push((h, days.local_hhmm(ms)));
        h += step;
    }
    let mark = |m: &AlertMarker| TimelineMark {
        at_h: hours_of(m.at_ms),
        local_time: m.local_time.clone(),
        alert: Some((m.kind, m.outcome)),
    };
    let mut marks: Vec<TimelineMark> = chart.alerts.iter().map(mark).collect();
    marks.extend(chart.breaks.iter().map(|b| TimelineMark {
        at_h: hours_of(b.at_ms),
        local_time: b.local_time.clone(),
        alert: None,
    }));
    marks.sort_by(|a, b| a.at_h.total_cmp(&b.at_h));
    Ok(Timeline {
        from_h,
        to_h,
        ticks,
        minutes,
        marks,
    })
}

/// The format an output file name asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Png,
}

impl Format {
    /// By extension (`.html`, `.htm`, `.png`, any case); `None` for anything else.
    pub fn of_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "html" | "htm" => Some(Self::Html),
            "png" => Some(Self::Png),
            _ => None,
        }
    }
}

/// The report in `format`: UTF-8 HTML or PNG bytes.
pub fn render(data: &ReportData, format: Format) -> Result<Vec<u8>, ReportError> {
    match format {
        Format::Html => Ok(html::render(data).into_bytes()),
        Format::Png => png::render(data),
    }
}
