//! Live recording: a session CSV written as samples arrive, that survives a crash.
//!
//! Rows collect in memory and reach the file only on [`Recorder::flush`], in whole rows, so the
//! file is a valid session CSV at every instant: killing the process (even with SIGKILL) loses at
//! most what arrived since the last flush. Flushes happen at least once a second, by wall-clock
//! time or session time, whichever comes first; `sync_data` (the data reaching the disk, not just
//! the page cache, which matters for power loss rather than crashes) every 10 s and at the end.
//! The `spinewatch record` command and the GUI's record button share this type.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
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
}

/// A file sink that writes only when flushed, so the file always ends with a whole row.
struct RowSink {
    file: File,
    pending: Vec<u8>,
}

impl Write for RowSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            // One write call of whole rows: a crash lands before or after it, not inside a row.
            self.file.write_all(&self.pending)?;
            self.pending.clear();
        }
        Ok(())
    }
}

impl Drop for RowSink {
    /// A recording dropped without `finish` (an early return on some other error) still keeps
    /// the rows it holds: they are whole rows, so writing them is always safe.
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Records samples to a session CSV. See the module docs for the durability promise.
pub struct Recorder {
    writer: SessionWriter<RowSink>,
    path: PathBuf,
    options: RecorderOptions,
    last_flush: Instant,
    last_sync: Instant,
    last_flush_t: Option<f64>,
    first_t: Option<f64>,
    last_t: Option<f64>,
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
        let named = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(named)?;
        }
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(named)?;
        let sink = RowSink {
            file,
            pending: Vec::with_capacity(64 * 1024),
        };
        let mut writer = SessionWriter::new(sink, meta).map_err(named)?;
        writer.flush().map_err(named)?;
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
        self.last_flush = Instant::now();
        self.last_flush_t = self.last_t.or(self.last_flush_t);
        if self.last_sync.elapsed() >= self.options.sync_every {
            self.writer.get_ref().file.sync_data()?;
            self.last_sync = Instant::now();
        }
        Ok(())
    }

    /// Flushes and syncs everything; the recording is complete.
    pub fn finish(mut self) -> io::Result<RecordingStats> {
        self.writer.flush()?;
        self.writer.get_ref().file.sync_data()?;
        self.stats.flushes += 1;
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
