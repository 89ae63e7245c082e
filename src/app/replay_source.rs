//! The replay player's source: a recorded session read from disk and fed to the same pipeline
//! as live data, paced at 1× to 60× or as fast as possible, with play, pause and seek. Seeking
//! forward keeps going from where it is; seeking back starts again from the beginning (the
//! engine makes a new source and a fresh pipeline), then runs unpaced up to the target, so what
//! is shown at any position is exactly what a run from the start produces.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::pipeline::Pipeline;
use crate::posture::{Calibration, Config, Event, EventKind};
use crate::replay::calibrate_from_windows;
use crate::sample::ImuSample;
use crate::session::{SessionError, SessionMeta, SessionReader};
use crate::source::{LinkState, LinkStats, SampleSource, SourceEvent, SourceInfo, SourceKind};

use super::command::ReplaySpeed;
use super::store::Overview;

/// Samples handed over per poll when unpaced (keeps the engine responsive to commands).
pub const DEFAULT_BATCH: usize = 5_000;
/// Bins of the whole-session overview.
pub const OVERVIEW_BINS: usize = 1200;

/// A session file being replayed.
pub struct ReplaySource {
    path: PathBuf,
    reader: SessionReader<BufReader<File>>,
    /// A calibration line read just before the next sample to emit.
    pending_calibration: Option<String>,
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
            pending_calibration: None,
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
                // A calibration written between rows belongs just before this sample.
                if let Some(c) = self.reader.take_calibration_change() {
                    self.pending_calibration = Some(c);
                }
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
        if self.ended && self.peeked.is_none() {
            self.playing = false;
            self.seek_target = None;
            if let Some(reason) = self.error.take() {
                out.push(SourceEvent::Lost {
                    t_s: self.position_s,
                    reason,
                });
            }
        }
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
            self.position_s = s.t_s;
            self.stats.frames_ok += 1;
            if let Some(calibration) = self.pending_calibration.take() {
                out.push(SourceEvent::Calibration {
                    t_s: s.t_s,
                    calibration,
                });
            }
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
                    if !self.emit_until(until, self.batch, out) {
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

/// The calibration a replayed file brings: stored in its metadata, or from its calibration
/// windows (as the headless replay does), with a note for the wearer.
pub fn file_calibration(
    path: &Path,
    meta: &SessionMeta,
    config: &Config,
) -> (Option<Calibration>, String) {
    if let Some(text) = &meta.calibration {
        return match Calibration::from_metadata(text) {
            Ok(c) => (Some(c), "calibration stored in the file".into()),
            Err(e) => (None, format!("stored calibration unusable: {e}")),
        };
    }
    if let Some(w) = &meta.calibration_windows {
        return match calibrate_from_windows(path, w, config, true) {
            Ok(c) => (
                Some(c),
                format!(
                    "calibrated from the file's calibration poses (upright {:.0}–{:.0} s, lean {:.0}–{:.0} s)",
                    w.upright_s.0, w.upright_s.1, w.forward_s.0, w.forward_s.1
                ),
            ),
            Err(e) => (None, format!("calibration windows unusable: {e}")),
        };
    }
    (
        None,
        "no calibration in the file: run the calibration wizard while it plays".into(),
    )
}

/// Runs the whole file through a pipeline (the same code as live) for the overview plot:
/// flexion min/max per bin and the alert times.
pub fn scan(
    path: &Path,
    config: &Config,
    calibration: Option<Calibration>,
) -> Result<Overview, SessionError> {
    let mut reader = SessionReader::open(path)?.skip_bad_rows(true);
    let mut pipeline = Pipeline::new(config.clone(), reader.meta().rate_hz);
    pipeline.set_calibration(calibration);
    let mut events: Vec<Event> = Vec::new();
    // Per-second min/max first (the length is unknown until the end), then merged into bins.
    let mut seconds: Vec<(f32, f32)> = Vec::new();
    let mut width_s = 1.0f64;
    let mut alerts_s = Vec::new();
    let mut start_s = None;
    let mut end_s = 0.0;
    while let Some(s) = reader.next_sample()? {
        if let Some(c) = reader
            .take_calibration_change()
            .and_then(|text| Calibration::from_metadata(&text).ok())
        {
            pipeline.set_calibration(Some(c));
        }
        let t0 = *start_s.get_or_insert(s.t_s);
        end_s = s.t_s;
        let step = pipeline.process(&s, &mut events);
        for e in events.drain(..) {
            if matches!(e.kind, EventKind::SlouchAlert { .. }) {
                alerts_s.push(e.time_s);
            }
        }
        // Slots of `width_s` seconds; a file spanning more slots than the cap (a long day, or a
        // corrupt time far in the future) halves the resolution instead of growing without bound.
        let mut i = ((s.t_s - t0).max(0.0) / width_s) as usize;
        while i >= MAX_SLOTS {
            seconds = seconds.chunks(2).map(merge_min_max).collect();
            width_s *= 2.0;
            i = ((s.t_s - t0).max(0.0) / width_s) as usize;
        }
        if seconds.len() <= i {
            seconds.resize(i + 1, (f32::NAN, f32::NAN));
        }
        if let Some(f) = step.posture.flexion_deg {
            let f = f as f32;
            let (lo, hi) = &mut seconds[i];
            *lo = if lo.is_nan() { f } else { lo.min(f) };
            *hi = if hi.is_nan() { f } else { hi.max(f) };
        }
    }
    let per_bin = seconds.len().div_ceil(OVERVIEW_BINS).max(1);
    let bins = seconds.chunks(per_bin).map(merge_min_max).collect();
    Ok(Overview {
        start_s: start_s.unwrap_or(0.0),
        end_s,
        bins,
        alerts_s,
        threshold_deg: config.slouch_threshold_deg,
    })
}

/// Most per-slot min/max pairs the overview scan keeps (at 1 s each, 18 hours).
const MAX_SLOTS: usize = 65_536;

/// Min and max over slots (NaN = empty slot).
fn merge_min_max(slots: &[(f32, f32)]) -> (f32, f32) {
    slots
        .iter()
        .fold((f32::NAN, f32::NAN), |(lo, hi), &(a, b)| {
            (
                if lo.is_nan() { a } else { lo.min(a) },
                if hi.is_nan() { b } else { hi.max(b) },
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let overview = scan(&path, &Config::default(), None).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            overview.bins.iter().any(|(lo, _)| !lo.is_nan()),
            "flexion after the calibration"
        );
    }

    #[test]
    fn a_corrupt_time_far_in_the_future_does_not_blow_up_the_overview() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("odd.csv");
        let mut text = String::from("time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n");
        for i in 0..100 {
            text.push_str(&format!("{},0,0,1,0,0,0\n", f64::from(i) * 0.01));
        }
        text.push_str("1e11,0,0,1,0,0,0\n1e300,0,0,1,0,0,0\n");
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        let cal = Calibration::from_metadata("up=0,0,1;forward=1,0,0").ok();
        let overview = scan(&path, &Config::default(), cal).unwrap_or_else(|e| panic!("{e}"));
        assert!(overview.bins.len() <= MAX_SLOTS);
        assert_eq!(overview.end_s, 1e300);
    }
}
