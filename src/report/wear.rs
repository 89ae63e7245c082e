//! Wear time and data completeness.
//!
//! **Definition.** Wear time is the monitored time (`monitored_s` of `history --json`). A day's
//! *wear span* runs from its first to its last monitored instant; **data completeness** is wear
//! time over wear span, summed over the days of the period. It says how much of the time the
//! sensor was on the wearer's back it actually delivered data (dropouts, an unplugged sensor and
//! the app not running while worn lower it); it does not judge how long the sensor was worn —
//! the report has no notion of working hours, so a half day of perfect data is 100 %.

use rusqlite::{Connection, OptionalExtension, params};

use crate::store::StoreError;
use crate::store::query::pct1;
use crate::store::record::QUARTER_HOUR_MS;

/// A day's or a period's wear.
#[derive(Debug, Clone, PartialEq)]
pub struct Wear {
    /// Monitored time, seconds (the store's `monitored_s`).
    pub monitored_s: f64,
    /// From the first to the last monitored instant of each day, summed, seconds.
    pub span_s: f64,
    /// A day's first and last monitored local times, `HH:MM` (`None` for a period or a day
    /// without data).
    pub first_last: Option<(String, String)>,
}

impl Wear {
    /// A day: `span` = (span in seconds, first `HH:MM`, last `HH:MM`).
    pub fn new(monitored_s: f64, span: Option<(f64, String, String)>) -> Self {
        match span {
            Some((span_s, first, last)) => Self {
                monitored_s,
                span_s,
                first_last: Some((first, last)),
            },
            None => Self {
                monitored_s,
                span_s: 0.0,
                first_last: None,
            },
        }
    }

    /// A period: its monitored time and the sum of its days' spans.
    pub fn total<'a>(monitored_s: f64, days: impl Iterator<Item = &'a Wear>) -> Self {
        Self {
            monitored_s,
            span_s: days.map(|d| d.span_s).sum(),
            first_last: None,
        }
    }

    /// Wear time over wear span, percent to one decimal; `None` without a span.
    pub fn completeness_pct(&self) -> Option<f64> {
        (self.span_s > 0.0).then(|| pct1((100.0 * self.monitored_s / self.span_s).min(100.0)))
    }
}

/// The first and last monitored instants within `[from_ms, to_ms)`, UTC ms (intervals clipped
/// to the range), `None` without data.
pub fn monitored_span_ms(
    conn: &Connection,
    from_ms: i64,
    to_ms: i64,
) -> Result<Option<(i64, i64)>, StoreError> {
    // Intervals never cross a quarter hour, so the start index finds every overlapping one.
    let row: (Option<i64>, Option<i64>) = conn
        .query_row(
            "SELECT min(max(start_ms, ?1)), max(min(end_ms, ?2)) FROM intervals
             WHERE start_ms >= ?3 AND start_ms < ?2 AND end_ms > ?1",
            params![from_ms, to_ms, from_ms - QUARTER_HOUR_MS],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|source| StoreError::Sql {
            doing: "reading the wear span",
            source,
        })?;
    Ok(match row {
        (Some(a), Some(b)) if b > a => Some((a, b)),
        _ => None,
    })
}

/// The first and last monitored instants of the whole history, UTC ms.
pub fn history_span_ms(conn: &Connection) -> Result<Option<(i64, i64)>, StoreError> {
    conn.query_row(
        "SELECT min(start_ms), max(end_ms) FROM intervals",
        [],
        |r| Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, Option<i64>>(1)?)),
    )
    .optional()
    .map(|row| match row {
        Some((Some(a), Some(b))) => Some((a, b)),
        _ => None,
    })
    .map_err(|source| StoreError::Sql {
        doing: "reading the history's span",
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completeness_is_wear_time_over_wear_span() {
        let day = Wear::new(3600.0, Some((4000.0, "08:00".into(), "09:06".into())));
        assert_eq!(day.completeness_pct(), Some(90.0));
        let empty = Wear::new(0.0, None);
        assert_eq!(empty.completeness_pct(), None);
        let total = Wear::total(3600.0, [&day, &empty].into_iter());
        assert_eq!(total.span_s, 4000.0);
        assert_eq!(total.completeness_pct(), Some(90.0));
    }
}
