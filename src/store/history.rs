//! The app's handle on its history: the instance lock, the writer thread, a reader connection.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use chrono::{NaiveDate, TimeZone};
use rusqlite::Connection;

use super::chart::{DayChart, Period, PeriodChart};
use super::days::Days;
use super::error::StoreError;
use super::export::ExportReport;
use super::feed::{FeedOptions, HistoryFeed};
use super::hash::ContentHash;
use super::lock::{self, InstanceLock, LockOutcome};
use super::query::{DaySummary, PeriodSummary, SessionInfo};
use super::record::{SessionStart, SessionToken};
use super::schema;
use super::write::{DeleteReport, Deletion};
use super::writer::{HistoryStatus, Msg, Shared, Writer, WriterOptions, WriterSender};
use super::{chart, export, query};

/// Options for [`History::open`].
#[derive(Debug, Clone, Default)]
pub struct HistoryOptions {
    pub writer: WriterOptions,
}

struct WriterHandle {
    tx: SyncSender<Msg>,
    capacity: usize,
    thread: Option<JoinHandle<()>>,
}

/// The history database as the app uses it: one writer per file (this process, when it got the
/// lock), queries from any thread. Without the lock it is read only: queries work, feeds
/// discard, and [`History::status`] says who holds it.
pub struct History {
    path: PathBuf,
    writer: Option<WriterHandle>,
    reader: Mutex<Option<Connection>>,
    shared: Arc<Shared>,
    next_token: AtomicU64,
    _lock: Option<InstanceLock>,
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History")
            .field("path", &self.path)
            .field("read_only", &self.writer.is_none())
            .field("status", &self.status())
            .finish()
    }
}

/// Where a session's records go: the writer, or nowhere in a read-only history.
#[derive(Debug, Clone)]
pub enum HistorySink {
    Writer(WriterSender),
    ReadOnly(super::writer::Discard),
}

impl super::record::RecordSink for HistorySink {
    fn send(&mut self, record: super::record::Record, urgent: bool) {
        match self {
            Self::Writer(w) => w.send(record, urgent),
            Self::ReadOnly(d) => d.send(record, urgent),
        }
    }
}

impl History {
    /// Opens `path` (normally `history.sqlite` in the per-user data directory), creating and
    /// migrating it as needed, and starts the `history-writer` thread. If another process holds
    /// `history.sqlite.lock`, opens it read only instead (see [`HistoryStatus::ReadOnly`]).
    ///
    /// Refused (and left untouched): a database from a newer spinewatch, a file that is not a
    /// database. A failure to write (disk full, read-only directory) is not an error here: the
    /// writer keeps the records and retries, and the status says so.
    pub fn open(path: &Path, opts: HistoryOptions) -> Result<Self, StoreError> {
        let shared = Arc::new(Shared::default());
        // On a fresh account the data folder may not exist yet (`record` before the window
        // ever ran): make it, or say why not.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                doing: "cannot create the history's folder",
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let held = match lock::try_acquire(path)? {
            LockOutcome::Acquired(l) => l,
            LockOutcome::HeldBy { pid } => {
                let reader = schema::open_for_reading(path)?;
                let who = pid.map_or("another spinewatch".to_string(), |p| {
                    format!("another spinewatch (pid {p})")
                });
                let message = format!(
                    "{who} is recording the history in {}; this one shows it read only",
                    path.display()
                );
                tracing::info!("{message}");
                shared.set_status(HistoryStatus::ReadOnly {
                    message,
                    holder_pid: pid,
                });
                return Ok(Self {
                    path: path.to_path_buf(),
                    writer: None,
                    reader: Mutex::new(Some(reader)),
                    shared,
                    next_token: AtomicU64::new(0),
                    _lock: None,
                });
            }
        };
        let conn = match schema::open_for_writing(path) {
            Ok(conn) => Some(conn),
            Err(e) if e.is_transient() => {
                // Monitoring goes on; the writer keeps what comes and retries the file.
                let message = format!(
                    "history not saved: {e}; records kept, retrying every {} s",
                    opts.writer.retry_every_s
                );
                tracing::warn!("{message}");
                shared.failure_notices.fetch_add(1, Ordering::Relaxed);
                shared.set_status(HistoryStatus::Failing {
                    message,
                    pending: 0,
                    dropped: 0,
                });
                None
            }
            Err(e) => return Err(e),
        };
        let capacity = opts.writer.channel_capacity.max(2);
        let (tx, rx) = mpsc::sync_channel(capacity);
        let writer = Writer::new(path.to_path_buf(), conn, opts.writer, Arc::clone(&shared));
        let thread = std::thread::Builder::new()
            .name("history-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|source| StoreError::Io {
                doing: "cannot start the history writer for",
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            writer: Some(WriterHandle {
                tx,
                capacity,
                thread: Some(thread),
            }),
            reader: Mutex::new(None),
            shared,
            next_token: AtomicU64::new(0),
            _lock: Some(held),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How writing goes (cheap: a lock and a small clone). Poll it for the status line.
    pub fn status(&self) -> HistoryStatus {
        self.shared.status()
    }

    /// How many times writing started failing (one notice per outage, not per retry).
    pub fn failure_notices(&self) -> u64 {
        self.shared.failure_notices.load(Ordering::Relaxed)
    }

    /// Records lost so far (queue full or rejected).
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Heartbeats skipped because the writer was behind (nothing lost: each is superseded).
    pub fn skipped_heartbeats(&self) -> u64 {
        self.shared.skipped_heartbeats.load(Ordering::Relaxed)
    }

    pub fn is_read_only(&self) -> bool {
        self.writer.is_none()
    }

    /// Starts recording a session: returns the feed the pipeline thread drives.
    pub fn begin_session(
        &self,
        start: SessionStart,
        opts: FeedOptions,
    ) -> HistoryFeed<HistorySink> {
        let token = SessionToken(self.next_token.fetch_add(1, Ordering::Relaxed));
        let sink = match &self.writer {
            Some(w) => HistorySink::Writer(WriterSender::new(
                w.tx.clone(),
                Arc::clone(&self.shared),
                w.capacity,
                opts.wait_when_full,
            )),
            None => HistorySink::ReadOnly(Default::default()),
        };
        HistoryFeed::new(sink, token, start, opts)
    }

    fn ask<T>(&self, msg: impl FnOnce(SyncSender<T>) -> Msg) -> Result<T, StoreError> {
        let Some(w) = &self.writer else {
            return Err(StoreError::ReadOnly {
                reason: match self.status() {
                    HistoryStatus::ReadOnly { message, .. } => message,
                    _ => "no writer".into(),
                },
            });
        };
        let (reply_tx, reply_rx) = mpsc::sync_channel(1);
        w.tx.send(msg(reply_tx))
            .map_err(|_| StoreError::WriterGone)?;
        reply_rx.recv().map_err(|_| StoreError::WriterGone)
    }

    /// Commits everything sent so far and waits for it (not for the pipeline thread).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.ask(Msg::Flush)?
    }

    /// The database id of a session begun here, once written.
    pub fn session_id(&self, token: SessionToken) -> Result<Option<i64>, StoreError> {
        self.ask(|reply| Msg::SessionId(token, reply))
    }

    /// Runs a query on the reader connection (opened on first use).
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut guard = match self.reader.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if guard.is_none() {
            *guard = Some(schema::open_for_reading(&self.path)?);
        }
        match guard.as_ref() {
            Some(conn) => f(conn),
            None => Err(StoreError::WriterGone),
        }
    }

    pub fn day<Tz: TimeZone>(
        &self,
        days: &Days<Tz>,
        date: NaiveDate,
    ) -> Result<DaySummary, StoreError> {
        self.read(|c| query::day(c, days, date))
    }

    pub fn week<Tz: TimeZone>(
        &self,
        days: &Days<Tz>,
        date: NaiveDate,
    ) -> Result<PeriodSummary, StoreError> {
        self.read(|c| query::week(c, days, date))
    }

    pub fn month<Tz: TimeZone>(
        &self,
        days: &Days<Tz>,
        year: i32,
        month: u32,
    ) -> Result<PeriodSummary, StoreError> {
        self.read(|c| query::month(c, days, year, month))
    }

    pub fn day_chart<Tz: TimeZone>(
        &self,
        days: &Days<Tz>,
        date: NaiveDate,
    ) -> Result<DayChart, StoreError> {
        self.read(|c| chart::day_chart(c, days, date))
    }

    pub fn period_chart<Tz: TimeZone>(
        &self,
        days: &Days<Tz>,
        period: Period,
    ) -> Result<PeriodChart, StoreError> {
        self.read(|c| chart::period_chart(c, days, period))
    }

    pub fn session_with_hash(&self, hash: ContentHash) -> Result<Option<SessionInfo>, StoreError> {
        self.read(|c| query::session_with_hash(c, hash))
    }

    pub fn sessions_overlapping(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<SessionInfo>, StoreError> {
        self.read(|c| query::sessions_overlapping(c, from_ms, to_ms))
    }

    pub fn export<Tz: TimeZone>(
        &self,
        days: &Days<Tz>,
        dir: &Path,
    ) -> Result<ExportReport, StoreError>
    where
        Tz::Offset: std::fmt::Display,
    {
        self.read(|c| export::export(c, days, dir))
    }

    /// Deletes one session and all its records (`import --replace`), after committing what is
    /// pending.
    pub fn delete_session(&self, id: i64) -> Result<DeleteReport, StoreError> {
        self.ask(|reply| Msg::Delete(Deletion::Session { id }, reply))?
    }

    /// Deletes everything in `[from_ms, to_ms)` UTC (see [`Deletion::Range`]).
    pub fn delete_range(&self, from_ms: i64, to_ms: i64) -> Result<DeleteReport, StoreError> {
        self.ask(|reply| Msg::Delete(Deletion::Range { from_ms, to_ms }, reply))?
    }

    /// Deletes everything before the start of local day `date`.
    pub fn delete_before<Tz: TimeZone>(
        &self,
        days: &Days<Tz>,
        date: NaiveDate,
    ) -> Result<DeleteReport, StoreError> {
        let cutoff_ms = days.day_start_ms(date);
        self.ask(|reply| Msg::Delete(Deletion::Before { cutoff_ms }, reply))?
    }

    /// Stops the writer after its last commit and reports how that commit went.
    pub fn close(mut self) -> Result<(), StoreError> {
        let flushed = if self.writer.is_some() {
            self.flush()
        } else {
            Ok(())
        };
        self.stop_writer();
        flushed
    }

    fn stop_writer(&mut self) {
        if let Some(mut w) = self.writer.take() {
            // The thread also stops when the channel closes; Stop just makes it prompt.
            if w.tx.send(Msg::Stop).is_err() {
                tracing::debug!("history writer already gone");
            }
            if let Some(t) = w.thread.take()
                && t.join().is_err()
            {
                tracing::error!("the history writer panicked");
            }
        }
    }
}

impl Drop for History {
    /// Commits what is pending and stops the writer. Feeds still alive keep a sender; the thread
    /// ends at `Stop` regardless, and their later records are counted as dropped.
    fn drop(&mut self) {
        self.stop_writer();
    }
}
