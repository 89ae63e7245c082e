//! Recording the live stream to a session CSV, crash-safe: metadata first, rows buffered and
//! flushed at least once a second, so a crash loses at most the last second.

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::sample::ImuSample;
use crate::session::{SessionMeta, SessionWriter};

use super::store::SessionFile;

const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// An open recording. Times are rebased so the file starts at 0 s.
pub struct Recorder {
    writer: SessionWriter<BufWriter<File>>,
    path: PathBuf,
    t0_s: Option<f64>,
    samples: u64,
    last_t_s: f64,
    last_flush: Instant,
}

impl Recorder {
    /// Creates `dir/spinewatch-<start time>.csv` and writes the metadata.
    pub fn start(dir: &Path, stamp: &str, meta: &SessionMeta) -> std::io::Result<Self> {
        fs::create_dir_all(dir)?;
        let mut path = dir.join(format!("spinewatch-{stamp}.csv"));
        let mut n = 1;
        while path.exists() {
            n += 1;
            path = dir.join(format!("spinewatch-{stamp}-{n}.csv"));
        }
        let file = File::create_new(&path)?;
        let mut writer = SessionWriter::new(BufWriter::with_capacity(1 << 16, file), meta)?;
        writer.flush()?;
        Ok(Self {
            writer,
            path,
            t0_s: None,
            samples: 0,
            last_t_s: 0.0,
            last_flush: Instant::now(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Recorded length, seconds.
    pub fn duration_s(&self) -> f64 {
        self.last_t_s
    }

    pub fn write(&mut self, s: &ImuSample) -> std::io::Result<()> {
        let t0 = *self.t0_s.get_or_insert(s.t_s);
        let mut rebased = *s;
        rebased.t_s = (s.t_s - t0).max(self.last_t_s);
        self.last_t_s = rebased.t_s;
        self.samples += 1;
        self.writer.write_sample(&rebased)
    }

    /// A calibration taken during the recording.
    pub fn note_calibration(&mut self, text: &str) -> std::io::Result<()> {
        self.writer.write_meta("calibration", text)
    }

    pub fn comment(&mut self, text: &str) -> std::io::Result<()> {
        self.writer.write_comment(text)
    }

    /// Flushes if a second has passed since the last flush.
    pub fn maybe_flush(&mut self) -> std::io::Result<()> {
        if self.last_flush.elapsed() >= FLUSH_EVERY {
            self.last_flush = Instant::now();
            self.writer.flush()?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<PathBuf> {
        self.writer.flush()?;
        self.writer.get_ref().get_ref().sync_all()?;
        Ok(self.path)
    }
}

/// Session CSVs in `dir`, newest name first.
pub fn list_sessions(dir: &Path) -> Vec<SessionFile> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<SessionFile> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "csv"))
        .map(|e| SessionFile {
            bytes: e.metadata().map(|m| m.len()).unwrap_or(0),
            path: e.path(),
        })
        .collect();
    files.sort_by(|a, b| b.path.cmp(&a.path));
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::read_all;

    #[test]
    fn rows_are_on_disk_after_a_flush_and_times_start_at_zero() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let meta = SessionMeta {
            rate_hz: Some(100.0),
            device: Some("Demo sensor".into()),
            ..Default::default()
        };
        let mut r = Recorder::start(dir.path(), "2025-01-01_09-00-00", &meta)
            .unwrap_or_else(|e| panic!("{e}"));
        for i in 0..10 {
            let s = ImuSample::new(50.0 + i as f64 * 0.01, [0.0, 0.0, 1.0], [0.0; 3]);
            r.write(&s).unwrap_or_else(|e| panic!("{e}"));
        }
        let path = r.finish().unwrap_or_else(|e| panic!("{e}"));
        let bytes = fs::read(&path).unwrap_or_default();
        let (meta, samples) = read_all(&bytes[..], "rec").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(meta.rate_hz, Some(100.0));
        assert_eq!(samples.len(), 10);
        assert_eq!(samples[0].t_s, 0.0);
        assert_eq!(list_sessions(dir.path()).len(), 1);
    }
}
