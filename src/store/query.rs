//! Day, week and month figures: the `spinewatch history --json` contract and its text table.
//!
//! A day's state times are its intervals clipped exactly to its `[start, end)`; a slouch belongs
//! to the day it started in, an alert, reminder or break to the day it happened in, a sensor gap
//! to the day it began in. `upright_pct` is upright time over calibrated monitored time
//! (monitored minus `uncalibrated`), to one decimal, 0 when there is none.

use std::fmt;

use chrono::{NaiveDate, TimeZone};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use crate::format::human_duration;
use crate::posture::PostureState;

use super::days::{Days, HourSlot, iso_week_monday, month_bounds};
use super::error::StoreError;
use super::hash::ContentHash;
use super::record::{AlertKind, AlertOutcome, QUARTER_HOUR_MS};

/// The five monitored states, in the order of the JSON and of [`PostureState::ALL`].
pub(crate) const MONITORED: [PostureState; 5] = [
    PostureState::Upright,
    PostureState::Slouched,
    PostureState::LeaningBack,
    PostureState::Moving,
    PostureState::Uncalibrated,
];

pub(crate) fn parse_state(text: &str) -> Option<PostureState> {
    MONITORED.into_iter().find(|s| s.as_str() == text)
}

/// A stored interval as queries use it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Span {
    pub start_ms: i64,
    pub end_ms: i64,
    pub state: PostureState,
    pub bands_ms: [i64; 3],
}

/// Intervals overlapping `[from_ms, to_ms)`, by start. Intervals never exceed a quarter hour,
/// so the index on `start_ms` finds them all from a quarter hour before `from_ms`.
pub(crate) fn load_spans(
    conn: &Connection,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<Span>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT start_ms, end_ms, state, under_20_ms, from_20_to_60_ms, over_60_ms
             FROM intervals WHERE start_ms >= ?1 AND start_ms < ?2 ORDER BY start_ms",
        )
        .map_err(StoreError::sql("preparing the interval query"))?;
    let mut rows = stmt
        .query(params![from_ms - QUARTER_HOUR_MS, to_ms])
        .map_err(StoreError::sql("reading intervals"))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(StoreError::sql("reading intervals"))? {
        let span = (|| -> rusqlite::Result<Option<Span>> {
            let end_ms: i64 = row.get(1)?;
            if end_ms <= from_ms {
                return Ok(None);
            }
            let state_text = row.get_ref(2)?.as_str()?;
            let Some(state) = parse_state(state_text) else {
                return Err(rusqlite::Error::InvalidColumnType(
                    2,
                    state_text.to_string(),
                    rusqlite::types::Type::Text,
                ));
            };
            Ok(Some(Span {
                start_ms: row.get(0)?,
                end_ms,
                state,
                bands_ms: [row.get(3)?, row.get(4)?, row.get(5)?],
            }))
        })()
        .map_err(StoreError::sql("reading an interval"))?;
        out.extend(span);
    }
    Ok(out)
}

/// Time per state and per flexion band in one bucket of time, ms.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct TimeAcc {
    /// Indexed by [`PostureState::index`] (`no_data` stays 0).
    pub state_ms: [i64; 6],
    /// Whole intervals add exact integers; a clipped one adds its share by time.
    pub bands_ms: [f64; 3],
}

impl TimeAcc {
    pub fn monitored_ms(&self) -> i64 {
        self.state_ms[..5].iter().sum()
    }

    fn calibrated_ms(&self) -> i64 {
        self.monitored_ms() - self.state_ms[PostureState::Uncalibrated.index()]
    }

    /// Upright share of calibrated time, percent, unrounded; `None` without calibrated time.
    pub fn upright_share(&self) -> Option<f64> {
        let calibrated = self.calibrated_ms();
        (calibrated > 0).then(|| {
            100.0 * self.state_ms[PostureState::Upright.index()] as f64 / calibrated as f64
        })
    }

    pub fn add(&mut self, other: &TimeAcc) {
        for (a, b) in self.state_ms.iter_mut().zip(other.state_ms) {
            *a += b;
        }
        for (a, b) in self.bands_ms.iter_mut().zip(other.bands_ms) {
            *a += b;
        }
    }
}

/// Adds each span's time to the buckets `[bounds[i], bounds[i + 1])` it overlaps (bounds sorted).
pub(crate) fn accumulate(spans: &[Span], bounds: &[i64]) -> Vec<TimeAcc> {
    let n = bounds.len().saturating_sub(1);
    let mut out = vec![TimeAcc::default(); n];
    for span in spans {
        let mut i = bounds
            .partition_point(|&b| b <= span.start_ms)
            .saturating_sub(1);
        while i < n && bounds[i] < span.end_ms {
            let from = span.start_ms.max(bounds[i]);
            let to = span.end_ms.min(bounds[i + 1]);
            if to > from {
                let acc = &mut out[i];
                acc.state_ms[span.state.index()] += to - from;
                let whole = from == span.start_ms && to == span.end_ms;
                let share = (to - from) as f64 / (span.end_ms - span.start_ms) as f64;
                for (a, b) in acc.bands_ms.iter_mut().zip(span.bands_ms) {
                    *a += if whole { b as f64 } else { b as f64 * share };
                }
            }
            i += 1;
        }
    }
    out
}

/// The bucket of `[bounds[i], bounds[i + 1])` holding `t_ms`.
pub(crate) fn bucket_of(bounds: &[i64], t_ms: i64) -> Option<usize> {
    let i = bounds.partition_point(|&b| b <= t_ms);
    (i > 0 && i < bounds.len()).then(|| i - 1)
}

/// Counted things of one day.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Counts {
    pub slouch_episodes: u32,
    pub longest_slouch_s: f64,
    pub slouch_alerts: u32,
    pub alerts_corrected: u32,
    pub alerts_snoozed: u32,
    pub alerts_ignored: u32,
    pub held_back: u32,
    pub break_reminders: u32,
    pub breaks_taken: u32,
    pub sensor_gaps: u32,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.slouch_episodes += o.slouch_episodes;
        self.longest_slouch_s = self.longest_slouch_s.max(o.longest_slouch_s);
        self.slouch_alerts += o.slouch_alerts;
        self.alerts_corrected += o.alerts_corrected;
        self.alerts_snoozed += o.alerts_snoozed;
        self.alerts_ignored += o.alerts_ignored;
        self.held_back += o.held_back;
        self.break_reminders += o.break_reminders;
        self.breaks_taken += o.breaks_taken;
        self.sensor_gaps += o.sensor_gaps;
    }
}

fn bad_value(column: &'static str, value: &str) -> StoreError {
    StoreError::BadValue {
        column,
        value: value.to_string(),
    }
}

/// Counts per day bucket (`bounds` = the day starts and the end).
fn load_counts(conn: &Connection, bounds: &[i64]) -> Result<Vec<Counts>, StoreError> {
    let n = bounds.len().saturating_sub(1);
    let mut out = vec![Counts::default(); n];
    let (Some(&from), Some(&to)) = (bounds.first(), bounds.last()) else {
        return Ok(out);
    };
    let read = StoreError::sql("reading alerts");
    let mut stmt = conn
        .prepare_cached("SELECT at_ms, kind, outcome FROM alerts WHERE at_ms >= ?1 AND at_ms < ?2")
        .map_err(StoreError::sql("preparing the alert query"))?;
    let mut rows = stmt.query(params![from, to]).map_err(read)?;
    while let Some(row) = rows.next().map_err(StoreError::sql("reading alerts"))? {
        let (at, kind, outcome) = (|| -> rusqlite::Result<_> {
            Ok((
                row.get::<_, i64>(0)?,
                row.get_ref(1)?.as_str()?.to_string(),
                row.get_ref(2)?.as_str()?.to_string(),
            ))
        })()
        .map_err(StoreError::sql("reading an alert"))?;
        let Some(i) = bucket_of(bounds, at) else {
            continue;
        };
        let kind = AlertKind::parse(&kind).ok_or_else(|| bad_value("alerts.kind", &kind))?;
        let outcome =
            AlertOutcome::parse(&outcome).ok_or_else(|| bad_value("alerts.outcome", &outcome))?;
        let c = &mut out[i];
        match (kind, outcome) {
            (_, AlertOutcome::HeldBack) => c.held_back += 1,
            (AlertKind::BreakReminder, _) => c.break_reminders += 1,
            (AlertKind::Slouch, o) => {
                c.slouch_alerts += 1;
                match o {
                    AlertOutcome::Corrected => c.alerts_corrected += 1,
                    AlertOutcome::Snoozed => c.alerts_snoozed += 1,
                    AlertOutcome::Ignored => c.alerts_ignored += 1,
                    AlertOutcome::Open | AlertOutcome::HeldBack => {}
                }
            }
        }
    }
    let times = |sql: &'static str, doing: &'static str| -> Result<Vec<(i64, f64)>, StoreError> {
        let mut stmt = conn.prepare_cached(sql).map_err(StoreError::sql(doing))?;
        let rows = stmt
            .query_map(params![from, to], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(StoreError::sql(doing))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(StoreError::sql(doing))
    };
    for (start, duration_s) in times(
        "SELECT start_ms, duration_s FROM slouches WHERE start_ms >= ?1 AND start_ms < ?2",
        "reading slouch episodes",
    )? {
        if let Some(i) = bucket_of(bounds, start) {
            out[i].slouch_episodes += 1;
            out[i].longest_slouch_s = out[i].longest_slouch_s.max(duration_s);
        }
    }
    for (at, _) in times(
        "SELECT at_ms, 0.0 FROM breaks WHERE at_ms >= ?1 AND at_ms < ?2",
        "reading breaks",
    )? {
        if let Some(i) = bucket_of(bounds, at) {
            out[i].breaks_taken += 1;
        }
    }
    for (at, _) in times(
        "SELECT from_ms, 0.0 FROM gaps WHERE kind = 'gap' AND from_ms >= ?1 AND from_ms < ?2",
        "reading sensor gaps",
    )? {
        if let Some(i) = bucket_of(bounds, at) {
            out[i].sensor_gaps += 1;
        }
    }
    Ok(out)
}

/// Seconds per monitored state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct StateSeconds {
    pub upright: f64,
    pub slouched: f64,
    pub leaning_back: f64,
    pub moving: f64,
    pub uncalibrated: f64,
}

/// Seconds per flexion band (ISO 11226).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct FlexionBands {
    pub under_20: f64,
    #[serde(rename = "20_to_60")]
    pub from_20_to_60: f64,
    pub over_60: f64,
}

/// The figures of a day (or of a period's totals).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub monitored_s: f64,
    pub state_s: StateSeconds,
    pub upright_pct: f64,
    pub slouch_episodes: u32,
    pub longest_slouch_s: f64,
    pub slouch_alerts: u32,
    pub alerts_corrected: u32,
    pub alerts_snoozed: u32,
    pub break_reminders: u32,
    pub breaks_taken: u32,
    pub sensor_gaps: u32,
    pub flexion_bands_s: FlexionBands,
    /// Not in the JSON contract: slouch alerts left unanswered, alerts held back.
    #[serde(skip)]
    pub alerts_ignored: u32,
    #[serde(skip)]
    pub alerts_held_back: u32,
}

pub(crate) fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// Percent to one decimal.
pub(crate) fn pct1(p: f64) -> f64 {
    (p * 10.0).round() / 10.0
}

impl Figures {
    pub(crate) fn new(t: &TimeAcc, c: &Counts) -> Self {
        let s = |state: PostureState| seconds(t.state_ms[state.index()]);
        Self {
            monitored_s: seconds(t.monitored_ms()),
            state_s: StateSeconds {
                upright: s(PostureState::Upright),
                slouched: s(PostureState::Slouched),
                leaning_back: s(PostureState::LeaningBack),
                moving: s(PostureState::Moving),
                uncalibrated: s(PostureState::Uncalibrated),
            },
            upright_pct: t.upright_share().map_or(0.0, pct1),
            slouch_episodes: c.slouch_episodes,
            longest_slouch_s: c.longest_slouch_s,
            slouch_alerts: c.slouch_alerts,
            alerts_corrected: c.alerts_corrected,
            alerts_snoozed: c.alerts_snoozed,
            break_reminders: c.break_reminders,
            breaks_taken: c.breaks_taken,
            sensor_gaps: c.sensor_gaps,
            flexion_bands_s: FlexionBands {
                under_20: t.bands_ms[0] / 1000.0,
                from_20_to_60: t.bands_ms[1] / 1000.0,
                over_60: t.bands_ms[2] / 1000.0,
            },
            alerts_ignored: c.alerts_ignored,
            alerts_held_back: c.held_back,
        }
    }
}

/// One local hour of a day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HourSummary {
    /// Local clock hour, 0–23.
    pub hour: u32,
    pub monitored_s: f64,
    pub upright_pct: f64,
    pub slouched_s: f64,
}

/// `spinewatch history --day YYYY-MM-DD --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DaySummary {
    /// `YYYY-MM-DD`.
    pub day: String,
    #[serde(flatten)]
    pub figures: Figures,
    /// Every local hour of the day, in order (only in a day query, not in a period's days).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<Vec<HourSummary>>,
}

/// A period's totals: the day figures summed (longest slouch: the longest), `upright_pct` over
/// the whole period, and how many days have any monitored time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodTotals {
    #[serde(flatten)]
    pub figures: Figures,
    pub days_with_data: u32,
}

/// `spinewatch history --week YYYY-MM-DD --json` / `--month YYYY-MM --json`: every day of the
/// period, a day without data with `monitored_s` 0.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodSummary {
    pub from: String,
    pub to: String,
    pub days: Vec<DaySummary>,
    pub totals: PeriodTotals,
}

impl DaySummary {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl PeriodSummary {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A period's data, per day and per local hour.
pub(crate) struct PeriodData {
    pub dates: Vec<NaiveDate>,
    /// Day `d`'s hours are `hours[d]`, with their times in `hour_acc[d]`.
    pub hours: Vec<Vec<HourSlot>>,
    pub hour_acc: Vec<Vec<TimeAcc>>,
    pub day_acc: Vec<TimeAcc>,
    pub counts: Vec<Counts>,
}

impl PeriodData {
    pub(crate) fn load<Tz: TimeZone>(
        conn: &Connection,
        days: &Days<Tz>,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Self, StoreError> {
        let dates: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
        let hours: Vec<Vec<HourSlot>> = dates.iter().map(|d| days.hours(*d)).collect();
        let mut bounds: Vec<i64> = hours.iter().flatten().map(|h| h.start_ms).collect();
        let mut day_bounds: Vec<i64> = dates.iter().map(|d| days.day_start_ms(*d)).collect();
        let end = last
            .succ_opt()
            .map_or(i64::MAX, |next| days.day_start_ms(next));
        bounds.push(end);
        day_bounds.push(end);
        let (from, to) = (day_bounds[0], end);
        let spans = load_spans(conn, from, to)?;
        let flat = accumulate(&spans, &bounds);
        let mut hour_acc = Vec::with_capacity(dates.len());
        let mut day_acc = Vec::with_capacity(dates.len());
        let mut at = 0;
        for h in &hours {
            let accs = flat[at..at + h.len()].to_vec();
            at += h.len();
            let mut total = TimeAcc::default();
            for a in &accs {
                total.add(a);
            }
            day_acc.push(total);
            hour_acc.push(accs);
        }
        let counts = load_counts(conn, &day_bounds)?;
        Ok(Self {
            dates,
            hours,
            hour_acc,
            day_acc,
            counts,
        })
    }

    pub(crate) fn day(&self, d: usize, with_hours: bool) -> DaySummary {
        let hours = with_hours.then(|| {
            self.hours[d]
                .iter()
                .zip(&self.hour_acc[d])
                .map(|(slot, acc)| HourSummary {
                    hour: slot.hour,
                    monitored_s: seconds(acc.monitored_ms()),
                    upright_pct: acc.upright_share().map_or(0.0, pct1),
                    slouched_s: seconds(acc.state_ms[PostureState::Slouched.index()]),
                })
                .collect()
        });
        DaySummary {
            day: self.dates[d].format("%Y-%m-%d").to_string(),
            figures: Figures::new(&self.day_acc[d], &self.counts[d]),
            hours,
        }
    }

    pub(crate) fn totals(&self) -> (TimeAcc, Counts, u32) {
        let mut t = TimeAcc::default();
        let mut c = Counts::default();
        let mut with_data = 0;
        for (acc, counts) in self.day_acc.iter().zip(&self.counts) {
            t.add(acc);
            c.add(counts);
            if acc.monitored_ms() > 0 {
                with_data += 1;
            }
        }
        (t, c, with_data)
    }

    fn summary(&self) -> PeriodSummary {
        let (t, c, days_with_data) = self.totals();
        let label = |d: Option<&NaiveDate>| {
            d.map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        };
        PeriodSummary {
            from: label(self.dates.first()),
            to: label(self.dates.last()),
            days: (0..self.dates.len()).map(|d| self.day(d, false)).collect(),
            totals: PeriodTotals {
                figures: Figures::new(&t, &c),
                days_with_data,
            },
        }
    }
}

/// One day's figures with its hours.
pub fn day<Tz: TimeZone>(
    conn: &Connection,
    days: &Days<Tz>,
    date: NaiveDate,
) -> Result<DaySummary, StoreError> {
    Ok(PeriodData::load(conn, days, date, date)?.day(0, true))
}

/// The ISO week (Monday to Sunday) holding `date`.
pub fn week<Tz: TimeZone>(
    conn: &Connection,
    days: &Days<Tz>,
    date: NaiveDate,
) -> Result<PeriodSummary, StoreError> {
    let monday = iso_week_monday(date);
    let sunday = monday + chrono::Duration::days(6);
    period(conn, days, monday, sunday)
}

/// A calendar month.
pub fn month<Tz: TimeZone>(
    conn: &Connection,
    days: &Days<Tz>,
    year: i32,
    month: u32,
) -> Result<PeriodSummary, StoreError> {
    let (first, last) = month_bounds(year, month)?;
    period(conn, days, first, last)
}

/// Any run of days, `first..=last`.
pub fn period<Tz: TimeZone>(
    conn: &Connection,
    days: &Days<Tz>,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<PeriodSummary, StoreError> {
    Ok(PeriodData::load(conn, days, first, last)?.summary())
}

/// A stored session, for the importer.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionInfo {
    pub id: i64,
    /// `live` or `file`.
    pub source: String,
    /// Device label or file name.
    pub label: String,
    pub content_hash: Option<ContentHash>,
    /// First and last stored time, UTC ms (after any clock shift).
    pub start_ms: i64,
    pub end_ms: i64,
    /// How far the session was moved so as not to overlap the one before, ms.
    pub clock_shift_ms: i64,
    /// The session ended normally (not cut by a crash).
    pub finished: bool,
}

const SESSION_COLUMNS: &str =
    "id, source, label, content_hash, start_ms, end_ms, clock_shift_ms, finished";

fn session_row(row: &Row<'_>) -> rusqlite::Result<SessionInfo> {
    let hash: Option<String> = row.get(3)?;
    Ok(SessionInfo {
        id: row.get(0)?,
        source: row.get(1)?,
        label: row.get(2)?,
        content_hash: hash.and_then(|h| h.parse().ok()),
        start_ms: row.get(4)?,
        end_ms: row.get(5)?,
        clock_shift_ms: row.get(6)?,
        finished: row.get(7)?,
    })
}

/// The imported session with this content hash, if any (the first, should there be several).
pub fn session_with_hash(
    conn: &Connection,
    hash: ContentHash,
) -> Result<Option<SessionInfo>, StoreError> {
    conn.query_row(
        &format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE content_hash = ?1 ORDER BY id LIMIT 1"
        ),
        [hash.to_string()],
        session_row,
    )
    .optional()
    .map_err(StoreError::sql("finding a session by content hash"))
}

/// Sessions whose `[start_ms, end_ms]` overlaps `[from_ms, to_ms)`, by start.
pub fn sessions_overlapping(
    conn: &Connection,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<SessionInfo>, StoreError> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE start_ms < ?2 AND end_ms > ?1
             ORDER BY start_ms"
        ))
        .map_err(StoreError::sql("preparing the session query"))?;
    let rows = stmt
        .query_map(params![from_ms, to_ms], session_row)
        .map_err(StoreError::sql("finding overlapping sessions"))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::sql("finding overlapping sessions"))
}

fn pct_text(monitored_s: f64, pct: f64) -> String {
    if monitored_s > 0.0 {
        format!("{pct:.1}%")
    } else {
        "—".to_string()
    }
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.state_s;
        writeln!(
            f,
            "monitored        {} — upright {} of calibrated time",
            human_duration(self.monitored_s),
            pct_text(self.monitored_s, self.upright_pct)
        )?;
        writeln!(
            f,
            "time             upright {}, slouched {}, leaning back {}, moving {}, uncalibrated {}",
            human_duration(s.upright),
            human_duration(s.slouched),
            human_duration(s.leaning_back),
            human_duration(s.moving),
            human_duration(s.uncalibrated)
        )?;
        writeln!(
            f,
            "flexion          under 20° {}, 20–60° {}, over 60° {}",
            human_duration(self.flexion_bands_s.under_20),
            human_duration(self.flexion_bands_s.from_20_to_60),
            human_duration(self.flexion_bands_s.over_60)
        )?;
        writeln!(
            f,
            "slouch episodes  {} (longest {}); {} alerts: {} corrected, {} snoozed, {} ignored; \
             {} held back",
            self.slouch_episodes,
            human_duration(self.longest_slouch_s),
            self.slouch_alerts,
            self.alerts_corrected,
            self.alerts_snoozed,
            self.alerts_ignored,
            self.alerts_held_back
        )?;
        write!(
            f,
            "breaks           {} taken, {} reminders; {} sensor gaps",
            self.breaks_taken, self.break_reminders, self.sensor_gaps
        )
    }
}

impl fmt::Display for DaySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.day)?;
        write!(f, "{}", self.figures)?;
        if let Some(hours) = &self.hours {
            writeln!(f)?;
            writeln!(f)?;
            write!(f, "hour  monitored     upright  slouched")?;
            for h in hours.iter().filter(|h| h.monitored_s > 0.0) {
                write!(
                    f,
                    "\n{:02}    {:<12}  {:>7}  {}",
                    h.hour,
                    human_duration(h.monitored_s),
                    pct_text(h.monitored_s, h.upright_pct),
                    human_duration(h.slouched_s)
                )?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for PeriodSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} to {}", self.from, self.to)?;
        writeln!(
            f,
            "day         monitored     upright  slouched      episodes  alerts  breaks"
        )?;
        for d in &self.days {
            let g = &d.figures;
            writeln!(
                f,
                "{}  {:<12}  {:>7}  {:<12}  {:>8}  {:>6}  {:>6}",
                d.day,
                human_duration(g.monitored_s),
                pct_text(g.monitored_s, g.upright_pct),
                human_duration(g.state_s.slouched),
                g.slouch_episodes,
                g.slouch_alerts,
                g.breaks_taken
            )?;
        }
        writeln!(
            f,
            "\ntotal ({} of {} days with data)",
            self.totals.days_with_data,
            self.days.len()
        )?;
        write!(f, "{}", self.totals.figures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start_ms: i64, end_ms: i64, state: PostureState, bands_ms: [i64; 3]) -> Span {
        Span {
            start_ms,
            end_ms,
            state,
            bands_ms,
        }
    }

    #[test]
    fn spans_are_clipped_exactly_and_bands_shared_by_time_only_when_cut() {
        let spans = [
            span(0, 100, PostureState::Upright, [100, 0, 0]),
            span(100, 300, PostureState::Slouched, [0, 200, 0]),
        ];
        let acc = accumulate(&spans, &[0, 100, 200, 300]);
        assert_eq!(acc[0].state_ms[PostureState::Upright.index()], 100);
        assert_eq!(acc[0].bands_ms, [100.0, 0.0, 0.0]);
        assert_eq!(acc[1].state_ms[PostureState::Slouched.index()], 100);
        assert_eq!(acc[1].bands_ms, [0.0, 100.0, 0.0]);
        assert_eq!(acc[2].monitored_ms(), 100);
        assert_eq!(bucket_of(&[0, 100, 200], 100), Some(1));
        assert_eq!(bucket_of(&[0, 100, 200], 200), None);
        assert_eq!(bucket_of(&[0, 100, 200], -1), None);
    }

    #[test]
    fn upright_share_leaves_out_uncalibrated_time() {
        let mut t = TimeAcc::default();
        t.state_ms[PostureState::Upright.index()] = 300;
        t.state_ms[PostureState::Slouched.index()] = 100;
        t.state_ms[PostureState::Uncalibrated.index()] = 600;
        assert_eq!(t.upright_share(), Some(75.0));
        assert_eq!(TimeAcc::default().upright_share(), None);
    }
}
