//! The calibrations behind a period's angles: how often the wearer calibrated in it, and the
//! calibration in force (the last one taken in the period, else the last one before it).
//! The stored detail of a calibration is its two sensor-frame axes, `up=x,y,z;forward=x,y,z`
//! (unit vectors); of a failed attempt, why it failed.

use rusqlite::{Connection, OptionalExtension, params};

use crate::store::StoreError;

/// One calibration (or a failed attempt).
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationEvent {
    /// UTC ms.
    pub at_ms: i64,
    /// For people, local (filled in by the report).
    pub when: String,
    pub ok: bool,
    /// The calibration (`up=…;forward=…`) or why it was rejected.
    pub detail: String,
}

/// Calibrations of a period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CalibrationSummary {
    /// Calibrations taken in the period.
    pub taken: u32,
    /// Attempts rejected in the period.
    pub failed: u32,
    /// The last calibration taken in the period.
    pub last_in_period: Option<CalibrationEvent>,
    /// Without one in the period: the last taken before it (still in force at its start, as
    /// far as the history knows).
    pub before_period: Option<CalibrationEvent>,
}

impl CalibrationSummary {
    /// Fills in the `when` labels: `in_period` for times inside the period, `before` for the
    /// one before it (which needs its full date).
    pub fn with_local_times(
        mut self,
        in_period: impl Fn(i64) -> String,
        before: impl Fn(i64) -> String,
    ) -> Self {
        if let Some(e) = &mut self.last_in_period {
            e.when = in_period(e.at_ms);
        }
        if let Some(e) = &mut self.before_period {
            e.when = before(e.at_ms);
        }
        self
    }
}

fn sql(doing: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sql { doing, source }
}

/// Calibrations in `[from_ms, to_ms)` and, without one, the last before.
pub fn summary(
    conn: &Connection,
    from_ms: i64,
    to_ms: i64,
) -> Result<CalibrationSummary, StoreError> {
    let row = |r: &rusqlite::Row<'_>| {
        Ok(CalibrationEvent {
            at_ms: r.get(0)?,
            when: String::new(),
            ok: r.get(1)?,
            detail: r.get(2)?,
        })
    };
    let mut stmt = conn
        .prepare_cached(
            "SELECT at_ms, ok, detail FROM calibrations WHERE at_ms >= ?1 AND at_ms < ?2
             ORDER BY at_ms",
        )
        .map_err(sql("preparing the calibration query"))?;
    let events = stmt
        .query_map(params![from_ms, to_ms], row)
        .map_err(sql("reading calibrations"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql("reading calibrations"))?;
    let mut out = CalibrationSummary::default();
    for e in events {
        if e.ok {
            out.taken += 1;
            out.last_in_period = Some(e);
        } else {
            out.failed += 1;
        }
    }
    if out.last_in_period.is_none() {
        out.before_period = conn
            .query_row(
                "SELECT at_ms, ok, detail FROM calibrations WHERE at_ms < ?1 AND ok
                 ORDER BY at_ms DESC LIMIT 1",
                params![from_ms],
                row,
            )
            .optional()
            .map_err(sql("reading the calibration before the period"))?;
    }
    Ok(out)
}
