//! The replay player's source: a recorded session read from disk and fed to the same session
//! driver as live data, paced at 1× to 60× or as fast as possible, with play, pause and seek.
//! Seeking forward keeps going from where it is; seeking back starts again from the beginning
//! (the engine makes a new source and a fresh driver), then runs unpaced up to the target, so
//! what is shown at any position is exactly what a run from the start produces. Marks between
//! rows (sensor lost / back, calibrations) come out as the source events they were live.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::sample::ImuSample;
use crate::session::{SessionError, SessionMark, SessionMeta, SessionReader};
use crate::source::{LinkState, LinkStats, SampleSource, SourceEvent, SourceInfo, SourceKind};

/// Samples handed over per poll when unpaced (keeps the engine responsive to commands).
pub const DEFAULT_BATCH: usize = 5_000;
/// A paced poll takes what is due, up to this many unpaced batches. Why more than one: the
/// engine polls every 100 ms while the window is hidden, and a 1 kHz file at 60× is due 6,000
/// samples a poll; one batch played it at 50×. The cap still bounds a round after a stall.
const PACED_BATCHES: usize = 4;

/// Replay speeds offered by the player.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplaySpeed {
    #[default]
    X1,
    X2,
    X5,
    X10,
    X60,
    /// As fast as the pipeline runs.
    Max,
}

impl ReplaySpeed {
    pub const ALL: [ReplaySpeed; 6] = [
        Self::X1,
        Self::X2,
        Self::X5,
        Self::X10,
        Self::X60,
        Self::Max,
    ];

    /// Session seconds per wall second (`None`: unpaced).
    pub fn factor(self) -> Option<f64> {
        match self {
            Self::X1 => Some(1.0),
            Self::X2 => Some(2.0),
            Self::X5 => Some(5.0),
            Self::X10 => Some(10.0),
            Self::X60 => Some(60.0),
            Self::Max => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::X1 => "1×",
            Self::X2 => "2×",
            Self::X5 => "5×",
            Self::X10 => "10×",
            Self::X60 => "60×",
            Self::Max => "as fast as possible",
        }
    }
}

/// A session file being replayed.
pub struct ReplaySource {
    path: PathBuf,
    reader: SessionReader<BufReader<File>>,
    /// Marks read just before the next sample to emit.
    pending_marks: Vec<SessionMark>,
    meta: SessionMeta,
    playing: bool,
    speed: ReplaySpeed,
    /// Wall instant and session time at which pacing was last anchored.
    anchor: Option<(Instant, f64)>,
    position_s: f64,
    start_s: Option<f64>,
    seek_target: Option<f64>,
    peeked: Option<ImuSample>,
    ended: bool,
    error: Option<String>,
    /// `SourceEvent::End` was emitted.
    end_sent: bool,
    stats: LinkStats,
    batch: usize,
}

impl ReplaySource {
    /// Opens a session (paused at its start). Malformed rows are skipped and counted.
    pub fn open(path: &Path) -> Result<Self, SessionError> {
        let reader = SessionReader::open(path)?.skip_bad_rows(true);
        let meta = reader.meta().clone();
        Ok(Self {
            path: path.to_path_buf(),
            reader,
            pending_marks: Vec::new(),
            meta,
            playing: false,
            speed: ReplaySpeed::X1,
            anchor: None,
            position_s: 0.0,
            start_s: None,
            seek_target: None,
            peeked: None,
            ended: false,
            error: None,
            end_sent: false,
            stats: LinkStats::default(),
            batch: DEFAULT_BATCH,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn meta(&self) -> &SessionMeta {
        &self.meta
    }

    /// Samples per poll when unpaced (tests use small batches to step finely).
    pub fn set_batch(&mut self, batch: usize) {
        self.batch = batch.max(1);
    }

    pub fn playing(&self) -> bool {
        self.playing
    }

    pub fn speed(&self) -> ReplaySpeed {
        self.speed
    }

    pub fn position_s(&self) -> f64 {
        self.position_s
    }

    pub fn start_s(&self) -> Option<f64> {
        self.start_s
    }

    pub fn ended(&self) -> bool {
        self.ended
    }

    pub fn seeking(&self) -> Option<f64> {
        self.seek_target
    }

    pub fn play(&mut self) {
        if !self.ended {
            self.playing = true;
            self.anchor = None;
        }
    }

    pub fn pause(&mut self) {
        self.playing = false;
        self.anchor = None;
    }

    pub fn set_speed(&mut self, speed: ReplaySpeed) {
        self.speed = speed;
        self.anchor = None;
    }

    /// Runs unpaced up to `target_s` (only forward; the engine restarts for a seek back).
    pub fn seek_forward(&mut self, target_s: f64) {
        if target_s > self.position_s && !self.ended {
            self.seek_target = Some(target_s);
        }
    }

    fn next(&mut self) -> Option<ImuSample> {
        if let Some(s) = self.peeked.take() {
            return Some(s);
        }
        if self.ended {
            return None;
        }
        match self.reader.next_sample() {
            Ok(Some(s)) => {
                // Marks written between rows belong just before this sample.
                self.reader.take_marks(&mut self.pending_marks);
                Some(s)
            }
            Ok(None) => {
                self.ended = true;
                None
            }
            Err(e) => {
                self.error = Some(e.to_string());
                self.ended = true;
                None
            }
        }
    }

    fn finish_if_ended(&mut self, out: &mut Vec<SourceEvent>) {
        if self.ended && self.peeked.is_none() && !self.end_sent {
            self.playing = false;
            self.seek_target = None;
            self.end_sent = true;
            // Marks after the last row (a sensor lost just before the recording stopped).
            self.reader.take_marks(&mut self.pending_marks);
            self.emit_marks(self.position_s, out);
            out.push(SourceEvent::End {
                error: self.error.take(),
            });
        }
    }

    /// Emits the marks read before the sample at `next_t_s` (a calibration is stamped with it:
    /// it applies from that sample on).
    fn emit_marks(&mut self, next_t_s: f64, out: &mut Vec<SourceEvent>) {
        for mark in self.pending_marks.drain(..) {
            out.push(match mark {
                SessionMark::SensorLost { t_s, reason } => SourceEvent::Lost { t_s, reason },
                SessionMark::SensorBack { t_s, gap_s } => SourceEvent::Back { t_s, gap_s },
                SessionMark::Calibration(calibration) => SourceEvent::Calibration {
                    t_s: next_t_s,
                    calibration,
                },
            });
        }
    }

    /// Rows skipped as malformed so far, and the first reason (the player says so).
    pub fn skipped_rows(&self) -> (u64, Option<String>) {
        let (n, first) = self.reader.skipped_rows();
        (n, first.map(|e| e.to_string()))
    }

    /// Emits samples with `t_s <= until_s`, at most `limit`. Returns whether `until_s` was
    /// reached (a later sample is waiting, or the file ended).
    fn emit_until(&mut self, until_s: f64, limit: usize, out: &mut Vec<SourceEvent>) -> bool {
        for _ in 0..limit {
            let Some(s) = self.next() else {
                return true;
            };
            if s.t_s > until_s {
                self.peeked = Some(s);
                return true;
            }
            self.start_s.get_or_insert(s.t_s);
            self.emit_marks(s.t_s, out);
            self.position_s = s.t_s;
            self.stats.frames_ok += 1;
            out.push(SourceEvent::Sample(s));
        }
        false
    }
}

impl SampleSource for ReplaySource {
    fn poll(&mut self, out: &mut Vec<SourceEvent>) {
        if let Some(target) = self.seek_target {
            if self.emit_until(target, self.batch, out) {
                self.seek_target = None;
                self.anchor = None;
            }
        } else if self.playing {
            match self.speed.factor() {
                None => {
                    self.emit_until(f64::INFINITY, self.batch, out);
                }
                Some(factor) => {
                    let now = Instant::now();
                    let (t0, p0) = *self.anchor.get_or_insert((now, self.position_s));
                    let until = p0 + (now - t0).as_secs_f64() * factor;
                    let cap = self.batch.saturating_mul(PACED_BATCHES);
                    if !self.emit_until(until, cap, out) {
                        // Could not keep up: re-anchor rather than build a backlog.
                        self.anchor = Some((now, self.position_s));
                    }
                }
            }
        }
        let (skipped, _) = self.reader.skipped_rows();
        self.stats.malformed_lines = skipped;
        self.finish_if_ended(out);
    }

    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: SourceKind::Replay,
            label: self
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| self.path.display().to_string()),
            port: None,
            rate_hz: self.meta.rate_hz,
            battery_pct: None,
            device_time: true,
            units: None,
        }
    }

    fn link(&self) -> (LinkState, LinkStats) {
        let state = if self.ended && self.peeked.is_none() {
            LinkState::Ended
        } else {
            LinkState::Connected
        };
        (state, self.stats)
    }

    fn poll_interval(&self) -> Duration {
        if self.seek_target.is_some() || (self.playing && self.speed == ReplaySpeed::Max) {
            Duration::ZERO
        } else if self.playing {
            Duration::from_millis(10)
        } else {
            Duration::from_millis(50)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1 kHz file at 60× is due 6,000 samples in a 100-ms round (the hidden window's): one
    /// poll must deliver them all, not one unpaced batch (which played it at 50×).
    #[test]
    fn a_paced_poll_takes_all_that_is_due_beyond_one_batch() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("khz.csv");
        let mut text = String::from("# rate_hz=1000\ntime_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n");
        for i in 0..30_000 {
            text.push_str(&format!("{:.3},0,0,1,0,0,0\n", f64::from(i) * 0.001));
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        let mut source = ReplaySource::open(&path).unwrap_or_else(|e| panic!("{e}"));
        source.set_speed(ReplaySpeed::X60);
        source.play();
        let mut out = Vec::new();
        source.poll(&mut out);
        out.clear();
        // At least 100 ms pass (a sleep never ends early): at least 6,000 samples are due.
        std::thread::sleep(Duration::from_millis(100));
        source.poll(&mut out);
        let samples = out
            .iter()
            .filter(|e| matches!(e, SourceEvent::Sample(_)))
            .count();
        assert!(
            samples >= 6_000,
            "{samples} samples in one 100-ms round at 60×"
        );
        assert!(samples <= DEFAULT_BATCH * PACED_BATCHES, "{samples}");
    }

    #[test]
    fn a_calibration_between_rows_is_emitted_just_before_the_sample_it_precedes() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("mid.csv");
        let mut text = String::from("time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n");
        for i in 0..10 {
            if i == 6 {
                text.push_str("# calibration=up=0,0,1;forward=1,0,0\n");
            }
            text.push_str(&format!("{},0,0,1,0,0,0\n", f64::from(i) * 0.01));
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        let mut source = ReplaySource::open(&path).unwrap_or_else(|e| panic!("{e}"));
        source.set_speed(ReplaySpeed::Max);
        source.set_batch(3);
        source.play();
        let mut out = Vec::new();
        for _ in 0..10 {
            source.poll(&mut out);
        }
        let order: Vec<String> = out
            .iter()
            .filter_map(|e| match e {
                SourceEvent::Sample(s) => Some(format!("{:.2}", s.t_s)),
                SourceEvent::Calibration { t_s, .. } => Some(format!("cal@{t_s:.2}")),
                _ => None,
            })
            .collect();
        assert_eq!(order[5..8], ["0.05", "cal@0.06", "0.06"]);
        assert_eq!(order.len(), 11);
        assert!(matches!(out.last(), Some(SourceEvent::End { error: None })));
    }

    #[test]
    fn lost_and_back_marks_come_out_as_source_events_in_file_order() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("marks.csv");
        let text = "time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n0,0,0,1,0,0,0\n\
# sensor_lost time_s=0.000000 reason=sensor unplugged\n# sensor_back time_s=3.000000 gap_s=3.000000\n\
3,0,0,1,0,0,0\n";
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        let mut source = ReplaySource::open(&path).unwrap_or_else(|e| panic!("{e}"));
        source.set_speed(ReplaySpeed::Max);
        source.play();
        let mut out = Vec::new();
        source.poll(&mut out);
        let kinds: Vec<&str> = out
            .iter()
            .map(|e| match e {
                SourceEvent::Sample(_) => "sample",
                SourceEvent::Lost { .. } => "lost",
                SourceEvent::Back { .. } => "back",
                SourceEvent::End { .. } => "end",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["sample", "lost", "back", "sample", "end"]);
    }
}
