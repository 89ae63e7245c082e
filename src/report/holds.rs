//! The longest holds above the slouch threshold: the store's slouch episodes (`slouches`, the
//! same rows `slouch_episodes` and `longest_slouch_s` count — flexion at or beyond the slouch
//! threshold, 20° by default, held at least the alert delay, ended once back below the release
//! angle), with the peak flexion of the slouched intervals inside each. ISO 11226 accepts
//! 20–60° only for limited holding times (about a minute near 60°, a few minutes near 20°), so
//! how long and how deep the longest ones were is what a physical therapist looks at.

use rusqlite::{Connection, params};

use crate::store::StoreError;
use crate::store::record::QUARTER_HOUR_MS;

/// Holds listed in a report.
pub const SHOWN: usize = 5;

/// One sustained slouch.
#[derive(Debug, Clone, PartialEq)]
pub struct Hold {
    /// UTC ms.
    pub start_ms: i64,
    pub end_ms: i64,
    /// Seconds, as the pipeline measured it.
    pub duration_s: f64,
    /// Slouch alerts it got.
    pub alerts: u32,
    /// The highest flexion stored for its slouched intervals, degrees.
    pub peak_flexion_deg: Option<f64>,
    /// When it started, for people (filled in by the report; empty from [`longest`]).
    pub when: String,
}

fn sql(doing: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sql { doing, source }
}

/// The `limit` longest holds that started in `[from_ms, to_ms)`, longest first (ties: earlier
/// first).
pub fn longest(
    conn: &Connection,
    from_ms: i64,
    to_ms: i64,
    limit: usize,
) -> Result<Vec<Hold>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT start_ms, end_ms, duration_s, alerts FROM slouches
             WHERE start_ms >= ?1 AND start_ms < ?2 ORDER BY duration_s DESC, start_ms LIMIT ?3",
        )
        .map_err(sql("preparing the hold query"))?;
    let rows = stmt
        .query_map(
            params![from_ms, to_ms, i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, f64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            },
        )
        .map_err(sql("reading holds"))?;
    let mut out = Vec::new();
    for row in rows {
        let (start_ms, end_ms, duration_s, alerts) = row.map_err(sql("reading a hold"))?;
        let peak: Option<f64> = conn
            .query_row(
                "SELECT max(flexion_max_deg) FROM intervals
                 WHERE start_ms >= ?1 AND start_ms < ?2 AND end_ms > ?3 AND state = 'slouched'",
                params![start_ms - QUARTER_HOUR_MS, end_ms, start_ms],
                |r| r.get(0),
            )
            .map_err(sql("reading a hold's peak flexion"))?;
        out.push(Hold {
            start_ms,
            end_ms,
            duration_s,
            alerts: u32::try_from(alerts).unwrap_or(0),
            peak_flexion_deg: peak,
            when: String::new(),
        });
    }
    Ok(out)
}
