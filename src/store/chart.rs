//! Chart-ready data for the window's history views: no drawing here, no egui types.
//!
//! Day view: one cell per minute of the day (dominant state, flexion min/max), alert and break
//! markers with local times, and % upright per hour. Week and month: % upright and slouched
//! minutes per day, an hour-of-day × day matrix of % upright, and one plain sentence comparing
//! with the period before.

use chrono::{Datelike, NaiveDate, TimeZone};
use rusqlite::{Connection, params};

use crate::posture::PostureState;

use super::days::{Days, iso_week_monday, month_bounds};
use super::error::StoreError;
use super::query::{HourSummary, MONITORED, PeriodData, TimeAcc, accumulate, load_spans, pct1};
use super::record::{AlertKind, AlertOutcome};

/// One minute of the day chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinuteCell {
    /// UTC start of the minute, ms.
    pub start_ms: i64,
    /// The state with the most time in the minute (`None`: not monitored).
    pub state: Option<PostureState>,
    /// Flexion range over the minute's samples, degrees (`None`: no known angle).
    pub flexion_min_deg: Option<f64>,
    pub flexion_max_deg: Option<f64>,
}

/// An alert or reminder on the day chart.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertMarker {
    pub at_ms: i64,
    /// `HH:MM`, local.
    pub local_time: String,
    pub kind: AlertKind,
    pub outcome: AlertOutcome,
}

/// A break taken on the day chart: moving from `start_ms`, credited at `at_ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakMarker {
    pub start_ms: i64,
    pub at_ms: i64,
    pub local_time: String,
}

/// Everything the day view draws.
#[derive(Debug, Clone, PartialEq)]
pub struct DayChart {
    pub day: NaiveDate,
    pub start_ms: i64,
    pub end_ms: i64,
    /// Every minute of the day, in order.
    pub minutes: Vec<MinuteCell>,
    /// Slouch alerts and break reminders, held-back ones included (see their outcome).
    pub alerts: Vec<AlertMarker>,
    pub breaks: Vec<BreakMarker>,
    pub hours: Vec<HourSummary>,
}

/// The day view of `date`.
pub fn day_chart<Tz: TimeZone>(
    conn: &Connection,
    days: &Days<Tz>,
    date: NaiveDate,
) -> Result<DayChart, StoreError> {
    let data = PeriodData::load(conn, days, date, date)?;
    let (start_ms, end_ms) = days.day_range_ms(date);
    let bounds: Vec<i64> = (start_ms..=end_ms).step_by(60_000).collect();
    let per_minute = accumulate(&load_spans(conn, start_ms, end_ms)?, &bounds);
    let mut minutes: Vec<MinuteCell> = bounds
        .iter()
        .zip(&per_minute)
        .map(|(&start_ms, acc)| MinuteCell {
            start_ms,
            state: dominant(acc),
            flexion_min_deg: None,
            flexion_max_deg: None,
        })
        .collect();

    let first_minute = start_ms.div_euclid(60_000);
    let mut stmt = conn
        .prepare_cached(
            "SELECT minute, min(flexion_min_deg), max(flexion_max_deg) FROM minutes
             WHERE minute >= ?1 AND minute < ?2 GROUP BY minute",
        )
        .map_err(StoreError::sql("preparing the minute query"))?;
    let rows = stmt
        .query_map(params![first_minute, end_ms.div_euclid(60_000)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, f64>(1)?,
                r.get::<_, f64>(2)?,
            ))
        })
        .map_err(StoreError::sql("reading minutes"))?;
    for row in rows {
        let (minute, lo, hi) = row.map_err(StoreError::sql("reading a minute"))?;
        if let Some(cell) = usize::try_from(minute - first_minute)
            .ok()
            .and_then(|i| minutes.get_mut(i))
        {
            cell.flexion_min_deg = Some(lo);
            cell.flexion_max_deg = Some(hi);
        }
    }

    let mut stmt = conn
        .prepare_cached(
            "SELECT at_ms, kind, outcome FROM alerts WHERE at_ms >= ?1 AND at_ms < ?2
             ORDER BY at_ms",
        )
        .map_err(StoreError::sql("preparing the alert query"))?;
    let rows = stmt
        .query_map(params![start_ms, end_ms], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(StoreError::sql("reading alerts"))?;
    let mut alerts = Vec::new();
    for row in rows {
        let (at_ms, kind, outcome) = row.map_err(StoreError::sql("reading an alert"))?;
        let bad = |column, value: &str| StoreError::BadValue {
            column,
            value: value.to_string(),
        };
        alerts.push(AlertMarker {
            at_ms,
            local_time: days.local_hhmm(at_ms),
            kind: AlertKind::parse(&kind).ok_or_else(|| bad("alerts.kind", &kind))?,
            outcome: AlertOutcome::parse(&outcome)
                .ok_or_else(|| bad("alerts.outcome", &outcome))?,
        });
    }

    let mut stmt = conn
        .prepare_cached(
            "SELECT start_ms, at_ms FROM breaks WHERE at_ms >= ?1 AND at_ms < ?2 ORDER BY at_ms",
        )
        .map_err(StoreError::sql("preparing the break query"))?;
    let rows = stmt
        .query_map(params![start_ms, end_ms], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })
        .map_err(StoreError::sql("reading breaks"))?;
    let mut breaks = Vec::new();
    for row in rows {
        let (b_start, at_ms) = row.map_err(StoreError::sql("reading a break"))?;
        breaks.push(BreakMarker {
            start_ms: b_start,
            at_ms,
            local_time: days.local_hhmm(at_ms),
        });
    }

    let hours = data.day(0, true).hours.unwrap_or_default();
    Ok(DayChart {
        day: date,
        start_ms,
        end_ms,
        minutes,
        alerts,
        breaks,
        hours,
    })
}

/// The state with the most time (ties: the first in display order).
fn dominant(acc: &TimeAcc) -> Option<PostureState> {
    let mut best: Option<(PostureState, i64)> = None;
    for s in MONITORED {
        let ms = acc.state_ms[s.index()];
        if ms > 0 && best.is_none_or(|(_, b)| ms > b) {
            best = Some((s, ms));
        }
    }
    best.map(|(s, _)| s)
}

/// A week (ISO, Monday first) or a calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// The ISO week holding this day.
    Week(NaiveDate),
    Month {
        year: i32,
        month: u32,
    },
}

impl Period {
    /// First and last day.
    pub fn bounds(self) -> Result<(NaiveDate, NaiveDate), StoreError> {
        match self {
            Self::Week(d) => {
                let monday = iso_week_monday(d);
                Ok((monday, monday + chrono::Duration::days(6)))
            }
            Self::Month { year, month } => month_bounds(year, month),
        }
    }

    /// The period just before.
    pub fn previous(self) -> Result<Self, StoreError> {
        Ok(match self {
            Self::Week(d) => Self::Week(iso_week_monday(d) - chrono::Duration::days(7)),
            Self::Month { year, month } => {
                let (first, _) = month_bounds(year, month)?;
                let before = first.pred_opt().ok_or(StoreError::BadDate {
                    what: "month",
                    value: format!("{year}-{month:02}"),
                })?;
                Self::Month {
                    year: before.year(),
                    month: before.month(),
                }
            }
        })
    }

    fn noun(self) -> &'static str {
        match self {
            Self::Week(_) => "week",
            Self::Month { .. } => "month",
        }
    }
}

/// One day's bar in the week or month view.
#[derive(Debug, Clone, PartialEq)]
pub struct DayBar {
    pub day: NaiveDate,
    pub monitored_s: f64,
    /// `None` without calibrated monitored time.
    pub upright_pct: Option<f64>,
    pub slouched_min: f64,
}

/// This period against the one before.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub upright_pct: Option<f64>,
    pub previous_upright_pct: Option<f64>,
    /// Days of this period without any monitored time.
    pub days_without_data: u32,
    /// E.g. "upright 78% this week, up 6 points on the week before; 2 days without data."
    pub sentence: String,
}

/// Everything the week and month views draw.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodChart {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: Vec<DayBar>,
    /// `hour_by_day[d][h]`: % upright in local clock hour `h` (0–23) of day `d`, `None` without
    /// calibrated time.
    pub hour_by_day: Vec<[Option<f64>; 24]>,
    pub comparison: Comparison,
}

/// The week or month view.
pub fn period_chart<Tz: TimeZone>(
    conn: &Connection,
    days: &Days<Tz>,
    period: Period,
) -> Result<PeriodChart, StoreError> {
    let (from, to) = period.bounds()?;
    let data = PeriodData::load(conn, days, from, to)?;
    let bars = data
        .dates
        .iter()
        .zip(&data.day_acc)
        .map(|(&day, acc)| DayBar {
            day,
            monitored_s: acc.monitored_ms() as f64 / 1000.0,
            upright_pct: acc.upright_share().map(pct1),
            slouched_min: acc.state_ms[PostureState::Slouched.index()] as f64 / 60_000.0,
        })
        .collect();
    let hour_by_day = data
        .hours
        .iter()
        .zip(&data.hour_acc)
        .map(|(slots, accs)| {
            let mut by_hour = [TimeAcc::default(); 24];
            for (slot, acc) in slots.iter().zip(accs) {
                if let Some(h) = by_hour.get_mut(slot.hour as usize) {
                    h.add(acc);
                }
            }
            by_hour.map(|acc| acc.upright_share().map(pct1))
        })
        .collect();
    let (this, _, with_data) = data.totals();
    let (prev_from, prev_to) = period.previous()?.bounds()?;
    let (prev, _, _) = PeriodData::load(conn, days, prev_from, prev_to)?.totals();
    let days_without_data = data.dates.len() as u32 - with_data;
    let comparison = compare(
        period.noun(),
        this.upright_share(),
        prev.upright_share(),
        days_without_data,
    );
    Ok(PeriodChart {
        from,
        to,
        days: bars,
        hour_by_day,
        comparison,
    })
}

/// The comparison sentence. Percentages are whole, the change in whole points.
pub(crate) fn compare(
    noun: &str,
    upright: Option<f64>,
    previous: Option<f64>,
    days_without_data: u32,
) -> Comparison {
    let mut sentence = match (upright, previous) {
        (None, _) => format!("no data this {noun}"),
        (Some(now), None) => {
            format!("upright {now:.0}% this {noun}; no data the {noun} before to compare")
        }
        (Some(now), Some(before)) => {
            let points = now.round() - before.round();
            let change = if points > 0.0 {
                format!("up {points:.0} points on the {noun} before")
            } else if points < 0.0 {
                format!("down {:.0} points on the {noun} before", -points)
            } else {
                format!("the same as the {noun} before")
            };
            format!("upright {now:.0}% this {noun}, {change}")
        }
    };
    match (upright, days_without_data) {
        (None, _) | (_, 0) => {}
        (Some(_), 1) => sentence.push_str("; 1 day without data"),
        (Some(_), n) => sentence.push_str(&format!("; {n} days without data")),
    }
    sentence.push('.');
    Comparison {
        upright_pct: upright.map(pct1),
        previous_upright_pct: previous.map(pct1),
        days_without_data,
        sentence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_comparison_is_one_plain_sentence() {
        assert_eq!(
            compare("week", Some(78.2), Some(72.4), 0).sentence,
            "upright 78% this week, up 6 points on the week before."
        );
        assert_eq!(
            compare("month", Some(70.0), Some(73.0), 2).sentence,
            "upright 70% this month, down 3 points on the month before; 2 days without data."
        );
        assert_eq!(
            compare("week", Some(70.0), None, 1).sentence,
            "upright 70% this week; no data the week before to compare; 1 day without data."
        );
        assert_eq!(
            compare("week", None, Some(50.0), 7).sentence,
            "no data this week."
        );
        assert_eq!(
            compare("week", Some(50.4), Some(49.6), 0).sentence,
            "upright 50% this week, the same as the week before."
        );
    }

    #[test]
    fn the_previous_month_of_january_is_december() {
        assert_eq!(
            Period::Month {
                year: 2027,
                month: 1
            }
            .previous()
            .ok(),
            Some(Period::Month {
                year: 2026,
                month: 12
            })
        );
    }
}
