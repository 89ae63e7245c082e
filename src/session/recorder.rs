//! Live recording: a session CSV written as samples arrive, that survives a crash.
//!
//! Rows collect in memory and reach the file only on [`Recorder::flush`], in whole rows, so the
//! file is a valid session CSV at every instant: killing the process (even with SIGKILL) loses at
//! most what arrived since the last flush. Flushes happen at least once a second, by wall-clock
//! time or session time, whichever comes first; `sync_data` (the data reaching the disk, not just
//! the page cache, which matters for power loss rather than crashes) every 10 s and at the end.
//! The `spinewatch record` command and the GUI's record button share this type.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use super::meta::SessionMeta;
use super::writer::SessionWriter;
use crate::sample::ImuSample;

/// How often recorded data is pushed to the file and to the disk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecorderOptions {
    /// Longest time rows stay in memory (wall clock or session time), the most a crash loses.
    pub flush_every: Duration,
    /// How often the file is synced to the disk (`File::sync_data`), for power loss.
    pub sync_every: Duration,
}

impl Default for RecorderOptions {
    /// Flush every second, sync every 10 s.
    fn default() -> Self {
        Self {
            flush_every: Duration::from_secs(1),
            sync_every: Duration::from_secs(10),
        }
    }
}

/// What a finished recording holds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RecordingStats {
    pub samples: u64,
    /// Comment lines (`# sensor_lost …`) written between rows.
    pub marks: u64,
    /// Session seconds from the first to the last sample.
    pub duration_s: f64,
    pub flushes: u64,
    /// Samples in the file as of the last successful write; the rest are held in memory.
    pub written_samples: u64,
    /// Session seconds from the last sample written to the last sample taken (0 when all are
    /// written).
    pub unwritten_s: f64,
}

/// Where whole rows land: a file that can be cut back to a length and synced.
pub trait RowFile: Write {
    /// Cuts the file back to `len` bytes and writes on from there.
    fn truncate_to(&mut self, len: u64) -> io::Result<()>;
    fn sync(&mut self) -> io::Result<()>;
}

impl RowFile for File {
    fn truncate_to(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)?;
        self.seek(SeekFrom::Start(len)).map(|_| ())
    }

    fn sync(&mut self) -> io::Result<()> {
        self.sync_data()
    }
}

/// What a [`DiskFault`] makes the recording's file do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskFaultKind {
    /// The filesystem is full: the next write stores part of its buffer, later ones fail with
    /// ENOSPC, as `write(2)` does.
    Full,
    /// The filesystem went read only (remounted, a pulled card): writes fail with EROFS.
    ReadOnly,
}

/// A test switch for the recording's file, like the history's
/// [`FaultSwitch`](crate::store::FaultSwitch): tests run as root, where a read-only directory
/// does not stop writes, and a full filesystem needs a mount a test cannot rely on. While on,
/// the real file fails as a full or read-only disk would; switched off, space has returned.
#[derive(Debug, Clone, Default)]
pub struct DiskFault {
    /// 0: off, 1: full, 2: read only.
    mode: Arc<AtomicU8>,
    /// A full disk has already taken its partial write.
    partial_done: Arc<AtomicBool>,
}

impl DiskFault {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(&self, fault: Option<DiskFaultKind>) {
        let mode = match fault {
            None => 0,
            Some(DiskFaultKind::Full) => 1,
            Some(DiskFaultKind::ReadOnly) => 2,
        };
        self.partial_done.store(false, Ordering::SeqCst);
        self.mode.store(mode, Ordering::SeqCst);
    }

    fn get(&self) -> Option<DiskFaultKind> {
        match self.mode.load(Ordering::SeqCst) {
            1 => Some(DiskFaultKind::Full),
            2 => Some(DiskFaultKind::ReadOnly),
            _ => None,
        }
    }
}

/// ENOSPC and EROFS, as the kernel reports them.
const ENOSPC: i32 = 28;
const EROFS: i32 = 30;

/// The recording's file, with the test switch in front of it when one is given.
pub struct DataFile {
    file: File,
    fault: Option<DiskFault>,
}

impl DataFile {
    pub fn new(file: File, fault: Option<DiskFault>) -> Self {
        Self { file, fault }
    }

    fn fault(&self) -> Option<DiskFaultKind> {
        self.fault.as_ref().and_then(DiskFault::get)
    }
}

impl Write for DataFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match (self.fault(), &self.fault) {
            (None, _) | (_, None) => self.file.write(buf),
            (Some(DiskFaultKind::ReadOnly), _) => Err(io::Error::from_raw_os_error(EROFS)),
            (Some(DiskFaultKind::Full), Some(f)) => {
                if buf.len() > 1 && !f.partial_done.swap(true, Ordering::SeqCst) {
                    // The last blocks of the disk take half a write: a torn row to cut off.
                    self.file.write(&buf[..buf.len() / 2])
                } else {
                    Err(io::Error::from_raw_os_error(ENOSPC))
                }
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl RowFile for DataFile {
    fn truncate_to(&mut self, len: u64) -> io::Result<()> {
        if self.fault() == Some(DiskFaultKind::ReadOnly) {
            return Err(io::Error::from_raw_os_error(EROFS));
        }
        self.file.truncate_to(len)
    }

    fn sync(&mut self) -> io::Result<()> {
        match self.fault() {
            Some(DiskFaultKind::ReadOnly) => Err(io::Error::from_raw_os_error(EROFS)),
            _ => self.file.sync(),
        }
    }
}

/// A file sink that writes only when flushed, so the file always ends with a whole row.
///
/// A write that fails part-way (a full disk) is cut back to the last whole row, and the rows stay
/// pending for the next flush: the file never holds a partial row, and never a row twice.
struct RowSink<F: RowFile> {
    file: F,
    pending: Vec<u8>,
    /// Bytes of whole rows known to be in the file.
    committed: u64,
}

impl<F: RowFile> Write for RowSink<F> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        // One write call of whole rows: a crash lands before or after it, not inside a row.
        match self.file.write_all(&self.pending) {
            Ok(()) => {
                self.committed += self.pending.len() as u64;
                self.pending.clear();
                Ok(())
            }
            Err(e) => {
                // Part of it may be in the file: cut that off again. If even that fails, the
                // reader of this file stops at the torn row and the error is reported anyway.
                if let Err(cut) = self.file.truncate_to(self.committed) {
                    tracing::warn!("could not cut a partial row off the recording: {cut}");
                }
                Err(e)
            }
        }
    }
}

impl<F: RowFile> Drop for RowSink<F> {
    /// A recording dropped without `finish` (an early return on some other error) still keeps
    /// the rows it holds: they are whole rows, and a failed write is cut back, so this is safe.
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            tracing::warn!("the last rows of a recording were lost: {e}");
        }
    }
}

/// Records samples to a session CSV. See the module docs for the durability promise.
pub struct Recorder<F: RowFile = File> {
    writer: SessionWriter<RowSink<F>>,
    path: PathBuf,
    options: RecorderOptions,
    last_flush: Instant,
    last_sync: Instant,
    last_flush_t: Option<f64>,
    first_t: Option<f64>,
    last_t: Option<f64>,
    /// Session time of the last sample a successful write took.
    written_t: Option<f64>,
    stats: RecordingStats,
}

impl Recorder {
    /// Creates `path` (and its folder) and writes the metadata and header at once, so even a
    /// recording killed in its first second is a valid (empty) session. Refuses to overwrite an
    /// existing file: an earlier recording is worth more than a typo.
    pub fn create(path: &Path, meta: &SessionMeta) -> io::Result<Recorder> {
        Self::with_options(path, meta, RecorderOptions::default())
    }

    pub fn with_options(
        path: &Path,
        meta: &SessionMeta,
        options: RecorderOptions,
    ) -> io::Result<Recorder> {
        let file = create_new(path)?;
        Recorder::on(file, path, meta, options).map_err(|e| named(path, e))
    }
}

impl Recorder<DataFile> {
    /// As [`Recorder::create`], with the test switch `fault` in front of the file if given.
    pub fn create_data(
        path: &Path,
        meta: &SessionMeta,
        fault: Option<DiskFault>,
    ) -> io::Result<Recorder<DataFile>> {
        let file = DataFile::new(create_new(path)?, fault);
        Recorder::on(file, path, meta, RecorderOptions::default()).map_err(|e| named(path, e))
    }
}

/// The error with the file's name in front.
fn named(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Creates `path` and its folder; never over an existing file.
fn create_new(path: &Path) -> io::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| named(path, e))?;
    }
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| named(path, e))
}

impl<F: RowFile> Recorder<F> {
    /// A recording onto an open, empty `file` (named `path` in messages).
    pub fn on(
        file: F,
        path: &Path,
        meta: &SessionMeta,
        options: RecorderOptions,
    ) -> io::Result<Self> {
        let sink = RowSink {
            file,
            pending: Vec::with_capacity(64 * 1024),
            committed: 0,
        };
        let mut writer = SessionWriter::new(sink, meta)?;
        writer.flush()?;
        let now = Instant::now();
        Ok(Recorder {
            writer,
            path: path.to_path_buf(),
            options,
            last_flush: now,
            last_sync: now,
            last_flush_t: None,
            first_t: None,
            last_t: None,
            written_t: None,
            stats: RecordingStats::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Counts so far.
    pub fn stats(&self) -> RecordingStats {
        RecordingStats {
            duration_s: match (self.first_t, self.last_t) {
                (Some(a), Some(b)) => b - a,
                _ => 0.0,
            },
            unwritten_s: match (self.written_t.or(self.first_t), self.last_t) {
                (Some(a), Some(b)) if self.stats.written_samples < self.stats.samples => {
                    (b - a).max(0.0)
                }
                _ => 0.0,
            },
            ..self.stats
        }
    }

    /// Appends a sample; flushes when a second has passed (wall clock or session time).
    pub fn push(&mut self, s: &ImuSample) -> io::Result<()> {
        self.writer.write_sample(s)?;
        self.stats.samples += 1;
        self.first_t.get_or_insert(s.t_s);
        self.last_t = Some(s.t_s);
        let by_session = self
            .last_flush_t
            .is_some_and(|t| s.t_s - t >= self.options.flush_every.as_secs_f64());
        if self.last_flush_t.is_none() {
            self.last_flush_t = Some(s.t_s);
        }
        if by_session || self.last_flush.elapsed() >= self.options.flush_every {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes a `# text` line between rows (e.g. `sensor_lost time_s=… reason=…`) and flushes:
    /// marks are rare and are exactly what one wants to survive a crash.
    pub fn mark(&mut self, text: &str) -> io::Result<()> {
        self.writer.write_comment(text)?;
        self.stats.marks += 1;
        self.flush()
    }

    /// Queues a `# text` line after the rows held so far, for the next flush (after a failed
    /// write, the line goes out with the kept rows when writing works again).
    pub fn note(&mut self, text: &str) -> io::Result<()> {
        self.writer.write_comment(text)?;
        self.stats.marks += 1;
        Ok(())
    }

    /// Queues a `# key=value` metadata line for the next flush, as [`Recorder::note`].
    pub fn note_meta(&mut self, key: &str, value: &str) -> io::Result<()> {
        self.writer.write_meta(key, value)
    }

    /// Writes a `# key=value` metadata line between rows (e.g. a calibration taken mid-session).
    pub fn set_meta(&mut self, key: &str, value: &str) -> io::Result<()> {
        self.writer.write_meta(key, value)?;
        self.flush()
    }

    /// Call when no samples arrive (sensor unplugged): flushes if a second has passed.
    pub fn tick(&mut self) -> io::Result<()> {
        if self.last_flush.elapsed() >= self.options.flush_every {
            self.flush()?;
        }
        Ok(())
    }

    /// Pushes buffered rows to the file (and to the disk every `sync_every`).
    pub fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()?;
        self.stats.flushes += 1;
        self.all_written();
        self.last_flush = Instant::now();
        self.last_flush_t = self.last_t.or(self.last_flush_t);
        if self.last_sync.elapsed() >= self.options.sync_every {
            self.writer.get_mut().file.sync()?;
            self.last_sync = Instant::now();
        }
        Ok(())
    }

    /// Every sample taken so far is in the file (after a successful write).
    fn all_written(&mut self) {
        self.stats.written_samples = self.stats.samples;
        self.written_t = self.last_t;
    }

    /// Flushes and syncs everything; the recording is complete.
    pub fn finish(mut self) -> io::Result<RecordingStats> {
        self.writer.flush()?;
        self.writer.get_mut().file.sync()?;
        self.stats.flushes += 1;
        self.all_written();
        Ok(self.stats())
    }
}

/// Metadata of a live recording: what the device said about itself, and when it started.
pub fn recording_meta(
    info: &crate::source::SourceInfo,
    start: &chrono::DateTime<chrono::Local>,
) -> SessionMeta {
    let mut meta = SessionMeta {
        device: Some(info.label.clone()),
        rate_hz: info.rate_hz,
        ..Default::default()
    };
    if let Some(p) = &info.port {
        meta.other.push(("port".into(), p.clone()));
    }
    meta.other.push((
        "time_base".into(),
        if info.device_time {
            "device".into()
        } else {
            "host_arrival".into()
        },
    ));
    meta.other
        .push(("started".into(), crate::paths::started_stamp(start)));
    meta
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::read_all;

    /// A file on a disk that fills up: after `room` bytes a write stores part of its buffer,
    /// then fails, as `write(2)` does with ENOSPC. Space can be given back.
    #[derive(Clone, Default)]
    struct FillingDisk {
        data: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
        room: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    }

    impl FillingDisk {
        fn bytes(&self) -> Vec<u8> {
            self.data.lock().map(|d| d.clone()).unwrap_or_default()
        }
    }

    impl Write for FillingDisk {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            use std::sync::atomic::Ordering;
            let mut data = self.data.lock().map_err(|_| io::Error::other("poisoned"))?;
            let room = self.room.load(Ordering::Relaxed).saturating_sub(data.len());
            if room == 0 {
                return Err(io::Error::from_raw_os_error(28)); // ENOSPC
            }
            let n = buf.len().min(room);
            data.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl RowFile for FillingDisk {
        fn truncate_to(&mut self, len: u64) -> io::Result<()> {
            let mut data = self.data.lock().map_err(|_| io::Error::other("poisoned"))?;
            data.truncate(usize::try_from(len).unwrap_or(usize::MAX));
            Ok(())
        }

        fn sync(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_never_leaves_a_torn_or_doubled_row() {
        use std::sync::atomic::Ordering;
        let disk = FillingDisk::default();
        disk.room.store(2_000, Ordering::Relaxed);
        let meta = SessionMeta::default();
        let options = RecorderOptions {
            flush_every: Duration::ZERO,
            sync_every: Duration::from_secs(3600),
        };
        let mut r = Recorder::on(disk.clone(), Path::new("full.csv"), &meta, options)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut failed = 0;
        for i in 0..200 {
            let s = ImuSample::new(f64::from(i) * 0.01, [0.0, 0.0, 1.0], [0.1, 0.2, 0.3]);
            if r.push(&s).is_err() {
                failed += 1;
            }
            // Valid CSV at every instant, whole rows only.
            let bytes = disk.bytes();
            assert!(bytes.ends_with(b"\n"), "torn at push {i}");
            let (_, rows) = read_all(&bytes[..], "full").unwrap_or_else(|e| panic!("{e}"));
            assert!(rows.windows(2).all(|w| w[1].t_s > w[0].t_s), "a row twice");
        }
        assert!(failed > 0, "the disk filled up");
        // Space comes back: the rows kept in memory reach the file, each once.
        disk.room.store(1 << 20, Ordering::Relaxed);
        r.flush().unwrap_or_else(|e| panic!("{e}"));
        let (_, rows) = read_all(&disk.bytes()[..], "full").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rows.len(), 200);
        drop(r);
        let (_, rows) = read_all(&disk.bytes()[..], "full").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rows.len(), 200, "nothing written again on drop");
    }

    #[test]
    fn file_is_valid_after_every_flush_and_holds_marks() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("sub").join("rec.csv");
        let meta = SessionMeta {
            device: Some("test".into()),
            rate_hz: Some(100.0),
            ..Default::default()
        };
        let mut r = Recorder::create(&path, &meta).unwrap_or_else(|e| panic!("{e}"));
        // Header only: already a valid, empty session.
        let text = std::fs::read(&path).unwrap_or_default();
        let (m, rows) = read_all(&text[..], "rec").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((m.rate_hz, rows.len()), (Some(100.0), 0));
        for i in 0..250 {
            let s = ImuSample::new(i as f64 * 0.01, [0.0, 0.0, 1.0], [0.1, 0.2, 0.3]);
            r.push(&s).unwrap_or_else(|e| panic!("{e}"));
            if i == 100 {
                r.mark("sensor_lost time_s=1.0 reason=test")
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
        // Flushed by session time: everything up to the last whole second is in the file.
        let text = std::fs::read(&path).unwrap_or_default();
        let (_, rows) = read_all(&text[..], "rec").unwrap_or_else(|e| panic!("{e}"));
        assert!(rows.len() >= 200, "{}", rows.len());
        let stats = r.finish().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((stats.samples, stats.marks), (250, 1));
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(text.contains("\n# sensor_lost time_s=1.0 reason=test\n"));
        let (_, rows) = read_all(text.as_bytes(), "rec").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rows.len(), 250);
        // Never overwrites.
        assert!(Recorder::create(&path, &meta).is_err());
    }
}
