//! The replay player's control: the open file, its calibration (decided by the same
//! [`StartCalibration`] rule as the headless replay), play / pause / speed / seek, and the
//! whole-session overview, scanned on a named thread by the same session driver.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, TryRecvError};

use crate::posture::{Calibration, Config, EventKind};
use crate::session::{
    CalibrationOrigin, Fact, FnSink, SessionDriver, SessionError, SinkError, StartCalibration,
    StartCalibrationError,
};
use crate::source::SampleSource;
use crate::source::replay::{ReplaySource, ReplaySpeed};

use super::store::{Overview, ReplayView};

/// Bins of the whole-session overview.
pub const OVERVIEW_BINS: usize = 1200;
/// Most per-slot min/max pairs the overview scan keeps (at 1 s each, 18 hours).
const MAX_SLOTS: usize = 65_536;

/// Why a file cannot be opened in the player.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Calibration(#[from] StartCalibrationError),
    /// The file could not be read to its end (the reason names file and line).
    #[error("{0}")]
    Read(String),
}

/// What a seek asks the engine to do.
pub enum Seek {
    /// Forward: the source runs on to the target.
    Forward,
    /// Back: a fresh session from the start, run unpaced to the target.
    Restart(Box<ReplaySource>),
}

/// The player's state besides the source itself.
pub struct ReplayControl {
    path: PathBuf,
    start: StartCalibration,
    note: String,
    batch: usize,
    scan_rx: Option<Receiver<Result<Overview, OpenError>>>,
    overview: Option<Overview>,
}

impl ReplayControl {
    /// Opens `path`: the source (paused at its start), the control, and the start calibration.
    pub fn open(
        path: &Path,
        config: &Config,
        batch: usize,
    ) -> Result<(ReplayControl, Box<ReplaySource>), OpenError> {
        let mut source = ReplaySource::open(path)?;
        source.set_batch(batch);
        // The player always skips malformed rows (and says how many).
        let start = StartCalibration::for_file(path, source.meta(), None, config, true)?;
        let note = match (&start.warning, &start.calibration, &start.capture) {
            (Some(w), _, _) => format!("{w}: replaying without it"),
            (None, None, None) => {
                "no calibration in the file: run the calibration wizard while it plays".into()
            }
            _ => start.describe(),
        };
        let mut control = ReplayControl {
            path: path.to_path_buf(),
            start,
            note,
            batch,
            scan_rx: None,
            overview: None,
        };
        control.start_scan(config);
        Ok((control, Box::new(source)))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The driver for a run from the file's start.
    pub fn new_driver(&self, config: &Config, rate_hint_hz: Option<f64>) -> SessionDriver {
        SessionDriver::new(config.clone(), rate_hint_hz).with_start(&self.start)
    }

    pub fn note(&self) -> &str {
        &self.note
    }

    /// The wearer calibrated with the wizard during the replay: later runs (seeks back, the
    /// overview) use it from the start.
    pub fn calibrated(&mut self, calibration: Calibration, config: &Config) {
        self.start = StartCalibration::known(Some(calibration), CalibrationOrigin::Wizard);
        self.note = "calibrated with the wizard during this replay".into();
        self.start_scan(config);
    }

    fn start_scan(&mut self, config: &Config) {
        let (tx, rx) = mpsc::channel();
        let path = self.path.clone();
        let config = config.clone();
        let start = self.start.clone();
        let spawned = std::thread::Builder::new()
            .name("replay-scan".into())
            .spawn(move || {
                // The player may have closed meanwhile; then nobody wants the overview.
                let _unwanted = tx.send(scan(&path, &config, &start));
            });
        self.scan_rx = spawned.is_ok().then_some(rx);
    }

    /// The overview, once the scan is done; `Some(Err)` once if it failed.
    pub fn poll_scan(&mut self) -> Option<Result<&Overview, OpenError>> {
        let rx = self.scan_rx.as_ref()?;
        match rx.try_recv() {
            Ok(Ok(o)) => {
                self.scan_rx = None;
                self.overview = Some(o);
                self.overview.as_ref().map(Ok)
            }
            Ok(Err(e)) => {
                self.scan_rx = None;
                Some(Err(e))
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.scan_rx = None;
                None
            }
        }
    }

    pub fn scanning(&self) -> bool {
        self.scan_rx.is_some()
    }

    pub fn overview(&self) -> Option<&Overview> {
        self.overview.as_ref()
    }

    /// Seeks `source` to `target_s`.
    pub fn seek(&self, source: &mut ReplaySource, target_s: f64) -> Result<Seek, SessionError> {
        if target_s > source.position_s() {
            source.seek_forward(target_s);
            return Ok(Seek::Forward);
        }
        let mut fresh = ReplaySource::open(&self.path)?;
        fresh.set_batch(self.batch);
        fresh.set_speed(source.speed());
        if source.playing() {
            fresh.play();
        }
        fresh.seek_forward(target_s);
        Ok(Seek::Restart(Box::new(fresh)))
    }

    /// The player's view of `source` now.
    pub fn view(&self, source: &ReplaySource) -> ReplayView {
        let (skipped, why) = source.skipped_rows();
        let mut note = self.note.clone();
        if skipped > 0 {
            note.push_str(&format!(
                "; {skipped} malformed rows skipped (first: {})",
                why.unwrap_or_default()
            ));
        }
        ReplayView {
            path: self.path.clone(),
            start_s: source.start_s().unwrap_or(0.0),
            end_s: self.overview.as_ref().map(|o| o.end_s),
            position_s: source.position_s(),
            playing: source.playing(),
            speed: source.speed(),
            seeking: source.seeking(),
            ended: source.ended(),
            overview: self.overview.clone(),
            calibration_note: note,
        }
    }
}

/// Runs the whole file through the session driver (the same code as the player and the
/// headless replay) for the overview plot: flexion min/max per bin and the alert times.
pub fn scan(path: &Path, config: &Config, start: &StartCalibration) -> Result<Overview, OpenError> {
    let mut source = ReplaySource::open(path)?;
    source.set_speed(ReplaySpeed::Max);
    source.set_batch(65_536);
    source.play();
    let mut driver = SessionDriver::new(config.clone(), source.meta().rate_hz).with_start(start);
    // Per-second min/max first (the length is unknown until the end), then merged into bins.
    let mut slots: Vec<(f32, f32)> = Vec::new();
    let mut width_s = 1.0f64;
    let mut alerts_s = Vec::new();
    let mut start_s = None;
    let mut end_s = 0.0;
    let mut sink = FnSink(|fact: &Fact<'_>| -> Result<(), SinkError> {
        match fact {
            Fact::Sample { sample, step } => {
                let t0 = *start_s.get_or_insert(sample.t_s);
                end_s = sample.t_s;
                // Slots of `width_s` seconds; a file spanning more slots than the cap (a long
                // day, or a corrupt time far in the future) halves the resolution instead of
                // growing without bound.
                let mut i = ((sample.t_s - t0).max(0.0) / width_s) as usize;
                while i >= MAX_SLOTS {
                    slots = slots.chunks(2).map(merge_min_max).collect();
                    width_s *= 2.0;
                    i = ((sample.t_s - t0).max(0.0) / width_s) as usize;
                }
                if slots.len() <= i {
                    slots.resize(i + 1, (f32::NAN, f32::NAN));
                }
                if let Some(f) = step.posture.flexion_deg {
                    let f = f as f32;
                    let (lo, hi) = &mut slots[i];
                    *lo = if lo.is_nan() { f } else { lo.min(f) };
                    *hi = if hi.is_nan() { f } else { hi.max(f) };
                }
            }
            Fact::Event(e) if matches!(e.kind, EventKind::SlouchAlert { .. }) => {
                alerts_s.push(e.time_s);
            }
            _ => {}
        }
        Ok(())
    });
    let mut events = Vec::new();
    let mut failure = None;
    while !driver.finished() {
        source.poll(&mut events);
        for e in events.drain(..) {
            if let crate::source::SourceEvent::End {
                error: Some(reason),
            } = &e
            {
                failure = Some(reason.clone());
            }
            // The overview sink never fails.
            let _never = driver.feed(e, &mut [&mut sink]);
        }
    }
    let FnSink(_) = sink;
    if let Some(reason) = failure {
        return Err(OpenError::Read(reason));
    }
    let per_bin = slots.len().div_ceil(OVERVIEW_BINS).max(1);
    let bins = slots.chunks(per_bin).map(merge_min_max).collect();
    Ok(Overview {
        start_s: start_s.unwrap_or(0.0),
        end_s,
        bins,
        alerts_s,
        threshold_deg: config.slouch_threshold_deg,
    })
}

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

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        path
    }

    #[test]
    fn the_overview_follows_a_calibration_between_rows() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut text = String::from("time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n");
        for i in 0..10 {
            if i == 6 {
                text.push_str("# calibration=up=0,0,1;forward=1,0,0\n");
            }
            text.push_str(&format!("{},0,0,1,0,0,0\n", f64::from(i) * 0.01));
        }
        let path = write(dir.path(), "mid.csv", &text);
        let overview = scan(&path, &Config::default(), &StartCalibration::NONE)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            overview.bins.iter().any(|(lo, _)| !lo.is_nan()),
            "flexion after the calibration"
        );
    }

    #[test]
    fn a_corrupt_time_far_in_the_future_does_not_blow_up_the_overview() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut text = String::from("time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n");
        for i in 0..100 {
            text.push_str(&format!("{},0,0,1,0,0,0\n", f64::from(i) * 0.01));
        }
        text.push_str("1e11,0,0,1,0,0,0\n1e300,0,0,1,0,0,0\n");
        let path = write(dir.path(), "odd.csv", &text);
        let cal = Calibration::from_metadata("up=0,0,1;forward=1,0,0").ok();
        let start = StartCalibration::known(cal, CalibrationOrigin::StoredInFile);
        let overview = scan(&path, &Config::default(), &start).unwrap_or_else(|e| panic!("{e}"));
        assert!(overview.bins.len() <= MAX_SLOTS);
        // Times beyond any session (±1e10 s) are bad rows, skipped by the player.
        assert_eq!(overview.end_s, 0.99);
    }

    #[test]
    fn a_bad_stored_calibration_is_a_note_not_a_failure() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let text = "# calibration=up=0,0,0;forward=0,0,0\ntime_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n0,0,0,1,0,0,0\n";
        let path = write(dir.path(), "bad.csv", text);
        let (control, _source) =
            ReplayControl::open(&path, &Config::default(), 100).unwrap_or_else(|e| panic!("{e}"));
        assert!(control.note().contains("unusable"), "{}", control.note());
    }
}
