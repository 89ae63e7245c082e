//! The long-term history: posture intervals, per-minute flexion, alerts, breaks, gaps,
//! calibrations and sessions in one SQLite file (`history.sqlite` in the per-user data
//! directory).
//!
//! ```text
//! pipeline thread                      history-writer thread              any thread
//! HistoryFeed ── Record (try_send) ──▶ batch, commit ≤ 5 s / urgent ──▶  history.sqlite (WAL)
//!  (pure, per sample: a few adds)      keeps & retries when failing      ◀── queries, charts
//! ```
//!
//! - [`feed`]: samples and events → intervals (merged, cut at UTC quarter hours), minutes,
//!   alerts with their outcome. The rules are documented there.
//! - [`writer`]: the thread, its batching, failure handling and [`HistoryStatus`].
//! - [`schema`]: pragmas, schema v1, migrations by `user_version`; newer files refused untouched.
//! - [`lock`]: one writer per file; a second instance opens read only and is told the pid.
//! - [`days`]: local days (any `chrono::TimeZone`, DST, the day-start setting).
//! - [`query`]: the `spinewatch history --json` contract and text tables; [`chart`]: chart-ready
//!   data; [`export`]: CSV files.
//! - [`hash`]: the stable content hash of imported files.
//!
//! [`History`] is the app's handle; [`Store`] is the same database used synchronously on one
//! thread (tests, benchmarks, tools).
//!
//! # Feeding it from a session
//!
//! ```text
//! let history = History::open(&data_dir.join("history.sqlite"), HistoryOptions::default())?;
//! // at the session's start (t0_s: the session time at which the wall clock was read)
//! let mut feed = history.begin_session(
//!     SessionStart { source: SessionSource::Live { device }, started_utc_s, t0_s },
//!     FeedOptions::from_config(pipeline.config()),   // imports: FeedOptions::for_import(..)
//! );
//! // per sample, after Pipeline::process
//! feed.sample(step.posture.t_s, step.posture.state, step.posture.flexion_deg);
//! // per event the pipeline (or the live source) produced, in order
//! for e in &events { feed.event(e); }
//! // when the wearer snoozes in answer to an alert; when an alert is held back
//! feed.snoozed(now_s);
//! feed.held_back(now_s, AlertKind::Slouch, HoldReason::Meeting);
//! // at the end: Pipeline::finish's events first, then
//! feed.finish(last_t_s);
//! // the window polls
//! history.status();   // Ok | Failing { message, pending, dropped } | ReadOnly { message, holder_pid }
//! ```

pub mod chart;
pub mod days;
pub mod error;
pub mod export;
pub mod feed;
pub mod hash;
mod history;
pub mod lock;
pub mod query;
pub mod record;
pub mod schema;
pub mod sink;
pub mod synth;
pub mod write;
pub mod writer;

use std::path::Path;

use chrono::{NaiveDate, TimeZone};
use rusqlite::Connection;

pub use chart::{DayChart, Period, PeriodChart};
pub use days::Days;
pub use error::StoreError;
pub use feed::{FeedOptions, HistoryFeed};
pub use hash::{ContentHash, ContentHasher, HashingReader};
pub use history::{History, HistoryOptions, HistorySink};
pub use query::{DaySummary, PeriodSummary, SessionInfo};
pub use record::{
    AlertKind, AlertOutcome, HoldReason, Record, RecordSink, SessionSource, SessionStart,
    SessionToken,
};
pub use sink::{HistoryRecorder, StartTime};
pub use write::{Applier, DeleteReport, Deletion};
pub use writer::{FaultSwitch, HistoryStatus, WriterOptions};

/// The history database on the calling thread, without lock or writer thread: apply records,
/// query. For tests, benchmarks and tools; the app uses [`History`].
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    applier: Applier,
}

impl Store {
    /// A fresh in-memory database at the current schema.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Ok(Self {
            conn: schema::open_in_memory()?,
            applier: Applier::new(),
        })
    }

    /// A database file, created or migrated as needed (no instance lock: only for a file no
    /// [`History`] has open for writing).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Self {
            conn: schema::open_for_writing(path)?,
            applier: Applier::new(),
        })
    }

    /// Writes records in one transaction.
    pub fn apply(&mut self, records: &[Record]) -> Result<write::ApplyReport, StoreError> {
        self.applier.apply(&mut self.conn, records)
    }

    pub fn session_id(&self, token: SessionToken) -> Option<i64> {
        self.applier.session_id(token)
    }

    pub fn delete(&mut self, what: Deletion) -> Result<DeleteReport, StoreError> {
        let report = write::delete(&mut self.conn, what)?;
        if let Deletion::Session { id } = what {
            self.applier.forget_session_id(id);
        }
        Ok(report)
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn day<Tz: TimeZone>(
        &self,
        days: &Days<Tz>,
        date: NaiveDate,
    ) -> Result<DaySummary, StoreError> {
        query::day(&self.conn, days, date)
    }

    pub fn week<Tz: TimeZone>(
        &self,
        days: &Days<Tz>,
        date: NaiveDate,
    ) -> Result<PeriodSummary, StoreError> {
        query::week(&self.conn, days, date)
    }

    pub fn month<Tz: TimeZone>(
        &self,
        days: &Days<Tz>,
        year: i32,
        month: u32,
    ) -> Result<PeriodSummary, StoreError> {
        query::month(&self.conn, days, year, month)
    }

    pub fn day_chart<Tz: TimeZone>(
        &self,
        days: &Days<Tz>,
        date: NaiveDate,
    ) -> Result<DayChart, StoreError> {
        chart::day_chart(&self.conn, days, date)
    }

    pub fn period_chart<Tz: TimeZone>(
        &self,
        days: &Days<Tz>,
        period: Period,
    ) -> Result<PeriodChart, StoreError> {
        chart::period_chart(&self.conn, days, period)
    }
}
