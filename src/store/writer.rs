//! The `history-writer` thread: owns the write connection, commits in batches.
//!
//! The pipeline thread never waits for it: records go through a bounded channel with
//! `try_send`; while the channel is half full heartbeats are skipped (each is superseded by the
//! next or by the finished record, so nothing is lost), and a record that finds it full is
//! dropped and counted instead of blocking (an import, [`super::FeedOptions::for_import`],
//! waits instead). The thread moves records into its pending batch at once and commits
//! `commit_every_s` after the first record of a batch, or at once when a record is urgent (an
//! alert, an episode end, the end of a session), on `flush`, and before it stops. WAL plus committed batches mean a crash or a kill
//! loses at most the batch not yet committed (≤ 5 s, plus a feed heartbeat of 1 s) and never
//! damages the database.
//!
//! **When writing fails** (disk full, directory or file read only, I/O error) the batch is kept
//! (up to `max_pending` records; beyond that new records are dropped and counted, except session
//! starts and ends) and retried every `retry_every_s`; the status turns to
//! [`HistoryStatus::Failing`] once, with one log line, and back to `Ok` when a retry succeeds.
//! Growing intervals and minutes replace their earlier versions in the batch, so a long outage
//! keeps about one record per state change and per minute. An error that would fail again (a
//! constraint, a damaged row) is not retried: the batch is written record by record and the
//! records that fail are dropped, counted and logged.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::error::StoreError;
use super::record::{Record, RecordSink, SessionToken};
use super::schema;
use super::write::{Applier, DeleteReport, Deletion};

/// Writer settings (seconds and record counts).
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Longest a record waits before its batch is committed, seconds.
    pub commit_every_s: f64,
    /// How often a failing write is tried again, seconds.
    pub retry_every_s: f64,
    /// Records kept while writing fails (about a day of a live session at one state change a
    /// minute, in a few tens of MB at most).
    pub max_pending: usize,
    /// Records in flight between the feed and the thread. A live session sends about two a
    /// second (heartbeats) and the thread drains the channel continuously, so this covers
    /// half an hour of a stalled disk; the channel's slots are allocated up front (~130 bytes
    /// each), so it is kept small.
    pub channel_capacity: usize,
    /// For tests: while switched on, every commit fails as on a full disk.
    pub fault: Option<FaultSwitch>,
}

impl Default for WriterOptions {
    fn default() -> Self {
        Self {
            commit_every_s: 5.0,
            retry_every_s: 10.0,
            max_pending: 200_000,
            channel_capacity: 4096,
            fault: None,
        }
    }
}

/// A test switch that makes the writer's commits fail with SQLite's "database or disk is full"
/// (`SQLITE_FULL`), the error a full disk gives, before the transaction starts. Tests run as
/// root, where a read-only directory does not stop writes, and a full filesystem needs a mount
/// a test cannot rely on; this exercises the same path (keep, count, notice, retry, resume).
/// [`FaultSwitch::set_read_only`] fails them as a read-only filesystem does (`SQLITE_READONLY`).
#[derive(Debug, Clone, Default)]
pub struct FaultSwitch {
    full: Arc<AtomicBool>,
    read_only: Arc<AtomicBool>,
}

impl FaultSwitch {
    pub fn new() -> Self {
        Self::default()
    }

    /// The disk is full (`true`) or has room again.
    pub fn set(&self, failing: bool) {
        self.full.store(failing, Ordering::SeqCst);
    }

    /// The data directory is read only (`true`) or writable again.
    pub fn set_read_only(&self, read_only: bool) {
        self.read_only.store(read_only, Ordering::SeqCst);
    }

    /// The error a commit gets now, if any.
    fn error(&self) -> Option<StoreError> {
        if self.read_only.load(Ordering::SeqCst) {
            Some(simulated(
                rusqlite::ffi::SQLITE_READONLY,
                "attempt to write a readonly database (simulated by the test fault switch)",
            ))
        } else if self.full.load(Ordering::SeqCst) {
            Some(simulated(
                rusqlite::ffi::SQLITE_FULL,
                "database or disk is full (simulated by the test fault switch)",
            ))
        } else {
            None
        }
    }
}

/// How the history is doing, for the window's status line. Cheap to read.
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryStatus {
    /// Writing normally.
    Ok,
    /// Writing fails; `pending` records are kept and retried, `dropped` were lost (the queue was
    /// full or a record was rejected). Monitoring is unaffected.
    Failing {
        message: String,
        pending: usize,
        dropped: u64,
    },
    /// Another spinewatch writes this history; this one can only show it.
    ReadOnly {
        message: String,
        holder_pid: Option<u32>,
    },
}

/// Shared between the thread and the handles.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) status: Mutex<Option<HistoryStatus>>,
    /// How many times the status turned to `Failing` (each turn is one notice).
    pub(crate) failure_notices: AtomicU64,
    /// Records lost: channel full, queue full, or rejected.
    pub(crate) dropped: AtomicU64,
    /// Records sent and not yet taken by the thread.
    pub(crate) in_flight: AtomicUsize,
    /// Heartbeats not sent because the channel was half full (superseded: nothing lost).
    pub(crate) skipped_heartbeats: AtomicU64,
}

impl Shared {
    pub(crate) fn status(&self) -> HistoryStatus {
        match self.status.lock() {
            Ok(s) => s.clone().unwrap_or(HistoryStatus::Ok),
            Err(poisoned) => poisoned.into_inner().clone().unwrap_or(HistoryStatus::Ok),
        }
    }

    pub(crate) fn set_status(&self, status: HistoryStatus) {
        match self.status.lock() {
            Ok(mut s) => *s = Some(status),
            Err(poisoned) => *poisoned.into_inner() = Some(status),
        }
    }
}

pub(crate) enum Msg {
    Record(Record, bool),
    /// Commit now and answer.
    Flush(SyncSender<Result<(), StoreError>>),
    Delete(Deletion, SyncSender<Result<DeleteReport, StoreError>>),
    /// The database id of a session of this process.
    SessionId(SessionToken, SyncSender<Option<i64>>),
    Stop,
}

/// The feed's side of the channel. Live, it never blocks: a heartbeat is skipped while the
/// channel is half full (the next one or the finished record supersedes it), and a record that
/// finds the channel full is dropped and counted. For imports it waits for room instead.
#[derive(Debug, Clone)]
pub struct WriterSender {
    tx: SyncSender<Msg>,
    shared: Arc<Shared>,
    capacity: usize,
    wait_when_full: bool,
}

impl WriterSender {
    pub(crate) fn new(
        tx: SyncSender<Msg>,
        shared: Arc<Shared>,
        capacity: usize,
        wait_when_full: bool,
    ) -> Self {
        Self {
            tx,
            shared,
            capacity,
            wait_when_full,
        }
    }
}

impl RecordSink for WriterSender {
    fn send(&mut self, record: Record, urgent: bool) {
        let in_flight = &self.shared.in_flight;
        if record.is_heartbeat() && in_flight.load(Ordering::Relaxed) >= self.capacity / 2 {
            self.shared
                .skipped_heartbeats
                .fetch_add(1, Ordering::Relaxed);
            return;
        }
        // Counted before sending, so the thread never takes one that is not counted yet.
        in_flight.fetch_add(1, Ordering::Relaxed);
        let msg = Msg::Record(record, urgent);
        let sent = if self.wait_when_full {
            self.tx.send(msg).is_ok()
        } else {
            match self.tx.try_send(msg) {
                Ok(()) => true,
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
            }
        };
        if !sent {
            in_flight.fetch_sub(1, Ordering::Relaxed);
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A sink for a read-only history: records are counted as not written and discarded.
#[derive(Debug, Clone, Default)]
pub struct Discard {
    pub discarded: u64,
}

impl RecordSink for Discard {
    fn send(&mut self, _record: Record, _urgent: bool) {
        self.discarded += 1;
    }
}

/// The thread's state.
pub(crate) struct Writer {
    path: PathBuf,
    conn: Option<Connection>,
    applier: Applier,
    pending: Vec<Record>,
    /// Position in `pending` of the latest version of a growing interval or minute.
    replace_at: HashMap<(SessionToken, u8, i64), usize>,
    urgent: bool,
    /// When the first record of the pending batch arrived.
    batch_since: Option<Instant>,
    /// Set while writing fails: when to try again.
    retry_at: Option<Instant>,
    opts: WriterOptions,
    shared: Arc<Shared>,
}

impl Writer {
    pub(crate) fn new(
        path: PathBuf,
        conn: Option<Connection>,
        opts: WriterOptions,
        shared: Arc<Shared>,
    ) -> Self {
        // Without a connection (the file could not be opened yet), start by retrying.
        let retry_at = conn
            .is_none()
            .then(|| Instant::now() + Duration::from_secs_f64(opts.retry_every_s.max(0.001)));
        Self {
            path,
            conn,
            applier: Applier::new(),
            pending: Vec::new(),
            replace_at: HashMap::new(),
            urgent: false,
            batch_since: None,
            retry_at,
            opts,
            shared,
        }
    }

    /// Runs until `Stop` or until every sender is gone, committing what is pending on the way
    /// out.
    pub(crate) fn run(mut self, rx: Receiver<Msg>) {
        let commit_every = Duration::from_secs_f64(self.opts.commit_every_s.max(0.0));
        let retry_every = Duration::from_secs_f64(self.opts.retry_every_s.max(0.001));
        loop {
            let now = Instant::now();
            let wait = match (self.retry_at, self.batch_since) {
                (Some(retry), _) => retry.saturating_duration_since(now),
                (None, Some(_)) if self.urgent => Duration::ZERO,
                (None, Some(since)) => (since + commit_every).saturating_duration_since(now),
                (None, None) => Duration::from_secs(3600),
            };
            let msg = rx.recv_timeout(wait);
            let mut stop = false;
            match msg {
                Ok(m) => stop = self.handle(m),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => stop = true,
            }
            // Take whatever else is already queued into the same batch.
            while !stop {
                match rx.try_recv() {
                    Ok(m) => stop = self.handle(m),
                    Err(_) => break,
                }
            }
            let now = Instant::now();
            let due = match (self.retry_at, self.batch_since) {
                (Some(retry), _) => now >= retry,
                (None, Some(since)) => self.urgent || now >= since + commit_every,
                (None, None) => false,
            };
            if stop || due {
                // The result is in the status (and was logged); there is nobody to hand it to.
                let _result = self.commit(retry_every);
            }
            if stop {
                return;
            }
        }
    }

    /// Handles one message; `true` means stop.
    fn handle(&mut self, msg: Msg) -> bool {
        match msg {
            Msg::Record(record, urgent) => {
                self.shared.in_flight.fetch_sub(1, Ordering::Relaxed);
                self.enqueue(record, urgent);
                false
            }
            Msg::Flush(reply) => {
                let result = self.commit(Duration::from_secs_f64(self.opts.retry_every_s));
                // The asker may have given up waiting; nothing to do then.
                let _sent = reply.send(result);
                false
            }
            Msg::Delete(what, reply) => {
                let result = self
                    .commit(Duration::from_secs_f64(self.opts.retry_every_s))
                    .and_then(|()| self.delete(what));
                let _sent = reply.send(result);
                false
            }
            Msg::SessionId(token, reply) => {
                let _sent = reply.send(self.applier.session_id(token));
                false
            }
            Msg::Stop => true,
        }
    }

    fn enqueue(&mut self, record: Record, urgent: bool) {
        if let Some(key) = record.replace_key() {
            if let Some(&i) = self.replace_at.get(&key) {
                self.pending[i] = record;
                self.urgent |= urgent;
                return;
            }
            if self.pending.len() >= self.opts.max_pending {
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            self.replace_at.insert(key, self.pending.len());
        } else if self.pending.len() >= self.opts.max_pending
            && !matches!(
                record,
                Record::SessionStarted { .. } | Record::SessionEnded { .. }
            )
        {
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.pending.push(record);
        self.urgent |= urgent;
        self.batch_since.get_or_insert_with(Instant::now);
    }

    fn connection(&mut self) -> Result<&mut Connection, StoreError> {
        if self.conn.is_none() {
            self.conn = Some(schema::open_for_writing(&self.path)?);
        }
        match self.conn.as_mut() {
            Some(conn) => Ok(conn),
            None => Err(StoreError::WriterGone),
        }
    }

    /// Writes the pending batch. On a transient failure the batch is kept and a retry planned.
    fn commit(&mut self, retry_every: Duration) -> Result<(), StoreError> {
        if self.pending.is_empty() && self.conn.is_some() {
            self.retry_at = None;
            self.batch_since = None;
            self.urgent = false;
            return Ok(());
        }
        let result = self.try_write();
        match result {
            Ok(rejected) => {
                if rejected > 0 {
                    self.shared
                        .dropped
                        .fetch_add(rejected as u64, Ordering::Relaxed);
                }
                self.pending.clear();
                self.replace_at.clear();
                self.urgent = false;
                self.batch_since = None;
                if self.retry_at.take().is_some() {
                    tracing::info!("history: writing works again; the kept records are stored");
                }
                self.shared.set_status(HistoryStatus::Ok);
                Ok(())
            }
            Err(e) => {
                let pending = self.pending.len();
                let dropped = self.shared.dropped.load(Ordering::Relaxed);
                let message = format!(
                    "history not saved: {e}; {pending} records kept, retrying every {} s",
                    retry_every.as_secs_f64()
                );
                if self.retry_at.is_none() {
                    // One notice per outage, however many retries fail.
                    self.shared.failure_notices.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!("{message}");
                }
                if matches!(e, StoreError::Open { .. }) {
                    self.conn = None;
                }
                self.shared.set_status(HistoryStatus::Failing {
                    message,
                    pending,
                    dropped,
                });
                self.retry_at = Some(Instant::now() + retry_every);
                Err(e)
            }
        }
    }

    /// Returns the number of records rejected (written around).
    fn try_write(&mut self) -> Result<usize, StoreError> {
        if let Some(e) = self.opts.fault.as_ref().and_then(FaultSwitch::error) {
            return Err(e);
        }
        let pending = std::mem::take(&mut self.pending);
        let mut applier = std::mem::take(&mut self.applier);
        let result = match self.connection() {
            Ok(conn) => match applier.apply(conn, &pending) {
                // Records of a session whose start was lost cannot be stored: count them.
                Ok(report) => Ok(report.orphaned),
                Err(e) if !e.is_transient() => {
                    tracing::warn!("history batch failed ({e}); writing it record by record");
                    applier.apply_tolerant(conn, &pending).map(|(_, n)| n)
                }
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        self.applier = applier;
        self.pending = pending;
        result
    }

    fn delete(&mut self, what: Deletion) -> Result<DeleteReport, StoreError> {
        let conn = self.connection()?;
        let report = super::write::delete(conn, what)?;
        if let Deletion::Session { id } = what {
            self.applier.forget_session_id(id);
        }
        Ok(report)
    }
}

fn simulated(code: std::ffi::c_int, message: &str) -> StoreError {
    StoreError::Sql {
        doing: "committing a history batch",
        source: rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(code),
            Some(message.into()),
        ),
    }
}
