//! Applying records to the database: one transaction per batch, used by the writer thread and
//! directly by tests, benchmarks and tools ([`super::Store`]).
//!
//! **Clock jumps.** Within a session the feed's UTC mapping is monotonic. A session that would
//! begin before the end of a stored session that began before it (the wall clock went back, or
//! two recordings were cut from one) is moved later as a whole, by the smallest whole number of
//! quarter hours that clears that end: no two sessions overlap, and its intervals keep their
//! quarter-hour cuts (the price is a gap of under 15 min between the two).
//! The shift is kept in `sessions.clock_shift_ms` and every record of the session is moved by
//! it. A session entirely before the stored ones (an old file imported into a gap) is not moved;
//! the importer checks it against [`super::query::sessions_overlapping`] first.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::error::StoreError;
use super::record::{
    AlertRecord, IntervalRecord, QUARTER_HOUR_MS, Record, SessionSource, SessionToken,
};

/// What the applier remembers about a session of this process.
#[derive(Debug, Clone, Copy)]
struct SessionRow {
    id: i64,
    shift_ms: i64,
    start_ms: i64,
    end_ms: i64,
    /// The growing interval: its `seq` and row id (heartbeats update it in place).
    open_interval: Option<(u32, i64)>,
    /// `end_ms` moved in this batch: write it to `sessions` at the end.
    dirty: bool,
}

/// How a batch went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyReport {
    pub written: usize,
    /// Records of a session whose start never reached the database (dropped earlier).
    pub orphaned: usize,
}

/// Turns records into rows. Keeps, per session, its database id, clock shift and the row of its
/// growing interval; that state is restored when a batch fails, so a retry starts clean.
#[derive(Debug, Default)]
pub struct Applier {
    sessions: HashMap<SessionToken, SessionRow>,
}

impl Applier {
    pub fn new() -> Self {
        Self::default()
    }

    /// The database id of a session of this process, once its start is written.
    pub fn session_id(&self, token: SessionToken) -> Option<i64> {
        self.sessions.get(&token).map(|s| s.id)
    }

    /// Writes `records` in one `BEGIN IMMEDIATE` transaction: all or nothing.
    pub fn apply(
        &mut self,
        conn: &mut Connection,
        records: &[Record],
    ) -> Result<ApplyReport, StoreError> {
        let saved = self.sessions.clone();
        let result = self.apply_in_transaction(conn, records, false);
        if result.is_err() {
            self.sessions = saved;
        }
        result.map(|(report, _)| report)
    }

    /// Like [`Self::apply`], but a record that fails is skipped (its own savepoint is rolled
    /// back) instead of failing the batch. For errors that would fail again on retry (a
    /// constraint, a bad value). Returns the report and the number of records rejected.
    pub fn apply_tolerant(
        &mut self,
        conn: &mut Connection,
        records: &[Record],
    ) -> Result<(ApplyReport, usize), StoreError> {
        let saved = self.sessions.clone();
        let result = self.apply_in_transaction(conn, records, true);
        if result.is_err() {
            self.sessions = saved;
        }
        result
    }

    fn apply_in_transaction(
        &mut self,
        conn: &mut Connection,
        records: &[Record],
        tolerant: bool,
    ) -> Result<(ApplyReport, usize), StoreError> {
        let mut tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::sql("beginning a history batch"))?;
        let mut report = ApplyReport::default();
        let mut rejected = 0;
        for record in records {
            let outcome = if tolerant {
                let saved = self.sessions.clone();
                let sp = tx
                    .savepoint()
                    .map_err(StoreError::sql("opening a savepoint"))?;
                match self.apply_one(&sp, record) {
                    Ok(done) => {
                        sp.commit()
                            .map_err(StoreError::sql("releasing a savepoint"))?;
                        Ok(done)
                    }
                    Err(e) => {
                        // Dropping the savepoint rolls it back.
                        drop(sp);
                        self.sessions = saved;
                        tracing::warn!("history record rejected: {e}");
                        rejected += 1;
                        continue;
                    }
                }
            } else {
                self.apply_one(&tx, record)
            };
            if outcome? {
                report.written += 1;
            } else {
                report.orphaned += 1;
            }
        }
        self.write_session_ends(&mut tx)?;
        tx.commit()
            .map_err(StoreError::sql("committing a history batch"))?;
        for s in self.sessions.values_mut() {
            s.dirty = false;
        }
        Ok((report, rejected))
    }

    fn write_session_ends(&self, tx: &mut Transaction<'_>) -> Result<(), StoreError> {
        let mut stmt = tx
            .prepare_cached("UPDATE sessions SET end_ms = max(end_ms, ?1) WHERE id = ?2")
            .map_err(StoreError::sql("preparing the session end update"))?;
        for s in self.sessions.values().filter(|s| s.dirty) {
            stmt.execute(params![s.end_ms, s.id])
                .map_err(StoreError::sql("updating a session's end"))?;
        }
        Ok(())
    }

    /// Applies one record; `Ok(false)` when its session is unknown.
    fn apply_one(&mut self, tx: &Connection, record: &Record) -> Result<bool, StoreError> {
        if let Record::SessionStarted {
            session,
            source,
            started_utc_ms,
            t0_s,
        } = record
        {
            self.start_session(tx, *session, source, *started_utc_ms, *t0_s)?;
            return Ok(true);
        }
        let Some(row) = self.sessions.get_mut(&record.session()) else {
            return Ok(false);
        };
        let shift = row.shift_ms;
        let id = row.id;
        let mut reach = |end_ms: i64| {
            if end_ms > row.end_ms {
                row.end_ms = end_ms;
                row.dirty = true;
            }
        };
        match record {
            Record::SessionStarted { .. } => {}
            Record::Interval(iv) => {
                reach(iv.end_ms + shift);
                write_interval(tx, row, iv)?;
            }
            Record::Minute(m) => {
                reach(m.minute * 60_000 + shift);
                tx.prepare_cached(
                    "INSERT INTO minutes (minute, session_id, flexion_min_deg, flexion_max_deg)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (minute, session_id) DO UPDATE SET
                       flexion_min_deg = min(flexion_min_deg, excluded.flexion_min_deg),
                       flexion_max_deg = max(flexion_max_deg, excluded.flexion_max_deg)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        m.minute + shift / 60_000,
                        id,
                        m.flexion_min_deg,
                        m.flexion_max_deg
                    ])
                })
                .map_err(StoreError::sql("writing a minute"))?;
            }
            Record::Alert(a) => write_alert(tx, id, shift, a)?,
            Record::AlertOutcome { seq, outcome, .. } => {
                tx.prepare_cached(
                    "UPDATE alerts SET outcome = ?1 WHERE session_id = ?2 AND seq = ?3",
                )
                .and_then(|mut s| s.execute(params![outcome.as_str(), id, seq]))
                .map_err(StoreError::sql("setting an alert's outcome"))?;
            }
            Record::SlouchEpisode {
                start_ms,
                end_ms,
                duration_s,
                alerts,
                ..
            } => {
                tx.prepare_cached(
                    "INSERT INTO slouches (session_id, start_ms, end_ms, duration_s, alerts)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        id,
                        start_ms + shift,
                        end_ms + shift,
                        duration_s,
                        alerts
                    ])
                })
                .map_err(StoreError::sql("writing a slouch episode"))?;
            }
            Record::BreakTaken {
                start_ms, at_ms, ..
            } => {
                tx.prepare_cached(
                    "INSERT INTO breaks (session_id, start_ms, at_ms) VALUES (?1, ?2, ?3)",
                )
                .and_then(|mut s| s.execute(params![id, start_ms + shift, at_ms + shift]))
                .map_err(StoreError::sql("writing a break"))?;
            }
            Record::Gap {
                kind,
                from_ms,
                duration_ms,
                reason,
                ..
            } => {
                tx.prepare_cached(
                    "INSERT INTO gaps (session_id, kind, from_ms, duration_ms, reason)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        id,
                        kind.as_str(),
                        from_ms + shift,
                        duration_ms,
                        reason
                    ])
                })
                .map_err(StoreError::sql("writing a sensor gap"))?;
            }
            Record::Calibration {
                at_ms, ok, detail, ..
            } => {
                tx.prepare_cached(
                    "INSERT INTO calibrations (session_id, at_ms, ok, detail)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut s| s.execute(params![id, at_ms + shift, ok, detail]))
                .map_err(StoreError::sql("writing a calibration"))?;
            }
            Record::SessionEnded { end_ms, .. } => {
                reach(end_ms + shift);
                row.open_interval = None;
                tx.prepare_cached(
                    "UPDATE sessions SET end_ms = max(end_ms, ?1), finished = 1 WHERE id = ?2",
                )
                .and_then(|mut s| s.execute(params![end_ms + shift, id]))
                .map_err(StoreError::sql("ending a session"))?;
            }
        }
        Ok(true)
    }

    fn start_session(
        &mut self,
        tx: &Connection,
        token: SessionToken,
        source: &SessionSource,
        started_utc_ms: i64,
        t0_s: f64,
    ) -> Result<(), StoreError> {
        let stored: Option<i64> = tx
            .query_row(
                "SELECT max(end_ms) FROM sessions WHERE start_ms <= ?1",
                [started_utc_ms],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::sql("finding the previous session's end"))?
            .flatten();
        let in_memory = self
            .sessions
            .values()
            .filter(|s| s.start_ms <= started_utc_ms)
            .map(|s| s.end_ms)
            .max();
        let floor_ms = stored.max(in_memory);
        let shift_ms = match floor_ms {
            Some(floor) if floor > started_utc_ms => {
                let shift = (floor - started_utc_ms + QUARTER_HOUR_MS - 1) / QUARTER_HOUR_MS
                    * QUARTER_HOUR_MS;
                tracing::warn!(
                    "history: a session starts {:.3} s before the previous one ended (the clock \
                     went back?); stored {} s later",
                    (floor - started_utc_ms) as f64 / 1000.0,
                    shift / 1000
                );
                shift
            }
            _ => 0,
        };
        let (kind, label, hash) = match source {
            SessionSource::Live { device } => ("live", device.as_str(), None),
            SessionSource::File { name, hash } => ("file", name.as_str(), Some(hash.to_string())),
        };
        let start_ms = started_utc_ms + shift_ms;
        tx.prepare_cached(
            "INSERT INTO sessions (source, label, content_hash, started_utc_ms, t0_s,
                                   clock_shift_ms, start_ms, end_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        )
        .and_then(|mut s| {
            s.execute(params![
                kind,
                label,
                hash,
                started_utc_ms,
                t0_s,
                shift_ms,
                start_ms
            ])
        })
        .map_err(StoreError::sql("writing a session"))?;
        self.sessions.insert(
            token,
            SessionRow {
                id: tx.last_insert_rowid(),
                shift_ms,
                start_ms,
                end_ms: start_ms,
                open_interval: None,
                dirty: false,
            },
        );
        Ok(())
    }

    /// Forgets a session deleted from the database.
    pub(crate) fn forget_session_id(&mut self, id: i64) {
        self.sessions.retain(|_, s| s.id != id);
    }
}

fn write_interval(
    tx: &Connection,
    row: &mut SessionRow,
    iv: &IntervalRecord,
) -> Result<(), StoreError> {
    let shift = row.shift_ms;
    let state = iv.state.as_str();
    let [under, mid, over] = iv.bands_ms;
    let rowid = match row.open_interval {
        Some((seq, rowid)) if seq == iv.seq => {
            tx.prepare_cached(
                "UPDATE intervals SET end_ms = ?1, flexion_mean_deg = ?2, flexion_max_deg = ?3,
                   under_20_ms = ?4, from_20_to_60_ms = ?5, over_60_ms = ?6
                 WHERE rowid = ?7",
            )
            .and_then(|mut s| {
                s.execute(params![
                    iv.end_ms + shift,
                    iv.flexion_mean_deg,
                    iv.flexion_max_deg,
                    under,
                    mid,
                    over,
                    rowid
                ])
            })
            .map_err(StoreError::sql("updating an interval"))?;
            rowid
        }
        _ => {
            tx.prepare_cached(
                "INSERT INTO intervals (session_id, start_ms, end_ms, state, flexion_mean_deg,
                   flexion_max_deg, under_20_ms, from_20_to_60_ms, over_60_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    row.id,
                    iv.start_ms + shift,
                    iv.end_ms + shift,
                    state,
                    iv.flexion_mean_deg,
                    iv.flexion_max_deg,
                    under,
                    mid,
                    over
                ])
            })
            .map_err(StoreError::sql("writing an interval"))?;
            tx.last_insert_rowid()
        }
    };
    row.open_interval = iv.open.then_some((iv.seq, rowid));
    Ok(())
}

fn write_alert(tx: &Connection, id: i64, shift: i64, a: &AlertRecord) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO alerts (session_id, seq, at_ms, kind, outcome, held_back_by, slouch_start_ms,
           held_s, flexion_deg, repeat, sitting_s, exercise)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )
    .and_then(|mut s| {
        s.execute(params![
            id,
            a.seq,
            a.at_ms + shift,
            a.kind.as_str(),
            a.outcome.as_str(),
            a.held_back_by.map(|h| h.as_str()),
            a.slouch_start_ms.map(|ms| ms + shift),
            a.held_s,
            a.flexion_deg,
            a.repeat,
            a.sitting_s,
            a.exercise
        ])
    })
    .map_err(StoreError::sql("writing an alert"))?;
    Ok(())
}

/// What a delete removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeleteReport {
    pub sessions: usize,
    pub rows: usize,
}

/// What to delete (sent to the writer thread, which owns the write connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    /// One session and everything recorded in it (`import --replace`).
    Session { id: i64 },
    /// Everything in `[from_ms, to_ms)`. Intervals are at most a quarter hour long; one that
    /// overlaps the range is deleted whole. Sessions left empty are deleted.
    Range { from_ms: i64, to_ms: i64 },
    /// Everything before `cutoff_ms` (a local day start; see [`super::History::delete_before`]).
    Before { cutoff_ms: i64 },
}

const CHILD_TABLES: [&str; 7] = [
    "intervals",
    "minutes",
    "alerts",
    "slouches",
    "breaks",
    "gaps",
    "calibrations",
];

/// Runs a deletion in one transaction.
pub fn delete(conn: &mut Connection, what: Deletion) -> Result<DeleteReport, StoreError> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(StoreError::sql("beginning a delete"))?;
    let mut report = DeleteReport::default();
    let (from_ms, to_ms) = match what {
        Deletion::Session { id } => {
            for table in CHILD_TABLES {
                report.rows += tx
                    .execute(&format!("DELETE FROM {table} WHERE session_id = ?1"), [id])
                    .map_err(StoreError::sql("deleting a session's records"))?;
            }
            report.sessions += tx
                .execute("DELETE FROM sessions WHERE id = ?1", [id])
                .map_err(StoreError::sql("deleting a session"))?;
            tx.commit()
                .map_err(StoreError::sql("committing a delete"))?;
            return Ok(report);
        }
        Deletion::Range { from_ms, to_ms } => (from_ms, to_ms),
        Deletion::Before { cutoff_ms } => (i64::MIN, cutoff_ms),
    };
    let statements = [
        "DELETE FROM intervals WHERE start_ms < ?2 AND end_ms > ?1",
        "DELETE FROM minutes WHERE minute >= ?1 / 60000 AND minute < (?2 + 59999) / 60000",
        "DELETE FROM alerts WHERE at_ms >= ?1 AND at_ms < ?2",
        "DELETE FROM slouches WHERE start_ms >= ?1 AND start_ms < ?2",
        "DELETE FROM breaks WHERE at_ms >= ?1 AND at_ms < ?2",
        "DELETE FROM gaps WHERE from_ms >= ?1 AND from_ms < ?2",
        "DELETE FROM calibrations WHERE at_ms >= ?1 AND at_ms < ?2",
    ];
    for s in statements {
        report.rows += tx
            .execute(s, params![from_ms, to_ms])
            .map_err(StoreError::sql("deleting records in a range"))?;
    }
    // Sessions with nothing left: those lying inside the range.
    let inside = "SELECT id FROM sessions WHERE start_ms >= ?1 AND end_ms <= ?2";
    for table in CHILD_TABLES {
        tx.execute(
            &format!("DELETE FROM {table} WHERE session_id IN ({inside})"),
            params![from_ms, to_ms],
        )
        .map_err(StoreError::sql(
            "deleting the records of sessions in a range",
        ))?;
    }
    report.sessions += tx
        .execute(
            "DELETE FROM sessions WHERE start_ms >= ?1 AND end_ms <= ?2",
            params![from_ms, to_ms],
        )
        .map_err(StoreError::sql("deleting sessions in a range"))?;
    tx.commit()
        .map_err(StoreError::sql("committing a delete"))?;
    Ok(report)
}
