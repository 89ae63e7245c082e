//! The GUI's record button: the crash-safe [`session::Recorder`](crate::session::Recorder) (whole
//! rows flushed at least once a second, synced every 10 s) that `spinewatch record` uses too, with
//! times rebased so a recording starts at 0 s.

use std::fs;
use std::path::{Path, PathBuf};

use crate::sample::ImuSample;
use crate::session::{Recorder as SessionRecorder, SessionMeta};

use super::store::SessionFile;

/// An open recording. Times are rebased so the file starts at 0 s.
pub struct Recorder {
    inner: SessionRecorder,
    t0_s: Option<f64>,
    last_t_s: f64,
}

impl Recorder {
    /// Creates `dir/<start time>.csv` (the same naming as `spinewatch record`, e.g.
    /// `2026-11-23T07-30-00.csv`; `-2`, `-3`… if taken) and writes the metadata at once.
    pub fn start(dir: &Path, stamp: &str, meta: &SessionMeta) -> std::io::Result<Self> {
        let mut path = dir.join(format!("{stamp}.csv"));
        let mut n = 1;
        while path.exists() {
            n += 1;
            path = dir.join(format!("{stamp}-{n}.csv"));
        }
        Ok(Self {
            inner: SessionRecorder::create(&path, meta)?,
            t0_s: None,
            last_t_s: 0.0,
        })
    }

    pub fn path(&self) -> &Path {
        self.inner.path()
    }

    pub fn samples(&self) -> u64 {
        self.inner.stats().samples
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
        self.inner.push(&rebased)
    }

    /// A calibration taken during the recording.
    pub fn note_calibration(&mut self, text: &str) -> std::io::Result<()> {
        self.inner.set_meta("calibration", text)
    }

    pub fn comment(&mut self, text: &str) -> std::io::Result<()> {
        self.inner.mark(text)
    }

    /// Flushes if a second has passed since the last flush (for when no samples arrive).
    pub fn maybe_flush(&mut self) -> std::io::Result<()> {
        self.inner.tick()
    }

    pub fn finish(self) -> std::io::Result<PathBuf> {
        let path = self.inner.path().to_path_buf();
        self.inner.finish()?;
        Ok(path)
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
        let mut r = Recorder::start(dir.path(), "2025-01-01T09-00-00", &meta)
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
