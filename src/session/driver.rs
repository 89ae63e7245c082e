//! The one session driver: it owns the whole run of a session, whatever feeds it (the headless
//! replay's CSV reader, `spinewatch record`'s serial sensor, the window's live sensor, demo
//! wearer and replay player, the player's overview scan), so every mode computes the same thing
//! by construction. (The headless replay runs the orientation filter's first half ahead, on a
//! thread of its own: [`FilterAhead`], tested to give the same session bit for bit.)
//!
//! Source events go in ([`SessionDriver::feed`]); the driver runs each sample through the
//! [`Pipeline`], applies calibrations found in the stream (stored between rows, or captured from
//! calibration windows), turns lost/back into events and restarts the orientation after a loss,
//! and closes the session with [`SessionDriver::finish`]. What happens comes out as one stream of
//! typed [`Fact`]s, handed to every [`Sink`] in order: the angles and events files, the CSV
//! recorder, the history, the window's data.

use std::io;
use std::path::Path;

use crate::fusion::{FilterOutput, OrientationFilter};
use crate::pipeline::{Pipeline, Step, Summary, WindowCapture};
use crate::posture::{Calibration, CalibrationError, Config, Event, EventKind};
use crate::sample::ImuSample;
use crate::source::{SourceEvent, SourceInfo};

use super::marks::SessionMark;
use super::meta::{CalibrationWindows, SessionMeta};
use super::{SessionError, SessionReader};

/// Where a calibration in force came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalibrationOrigin {
    /// `--calibrate` windows, computed before the first sample.
    CommandLine,
    /// A calibration stored in the file (its metadata, or a line between rows).
    StoredInFile,
    /// The file's `calibration_windows`, computed before the first sample.
    WindowsInFile,
    /// Poses captured during this session (`record --calibrate`, a file's
    /// `calibration_capture`, the demo wearer's own poses), applied once the windows are over.
    Captured,
    /// The calibration wizard.
    Wizard,
    /// The wearer's saved calibration (settings), used from the first sample.
    Saved,
}

impl CalibrationOrigin {
    /// Words for a summary line.
    pub fn describe(self) -> &'static str {
        match self {
            Self::CommandLine => "from --calibrate windows",
            Self::StoredInFile => "stored in the file",
            Self::WindowsInFile => "from the file's calibration windows",
            Self::Captured => "captured from the calibration poses during the session",
            Self::Wizard => "from the calibration wizard",
            Self::Saved => "the wearer's saved calibration",
        }
    }
}

/// One thing that happened in a session, handed to every sink in the order it happened.
#[derive(Debug, Clone, Copy)]
pub enum Fact<'a> {
    /// A sample and what the pipeline made of it (orientation, angles, state).
    Sample {
        sample: &'a ImuSample,
        step: &'a Step,
    },
    /// An event: the rules' alerts, reminders and gaps, sensor lost and back, calibrations taken
    /// or failed. Events caused by a sample come right after its `Sample` fact.
    Event(&'a Event),
    /// A calibration takes effect from the next sample on (`t_s`: the sample it followed).
    Calibrated {
        t_s: f64,
        calibration: &'a Calibration,
        origin: CalibrationOrigin,
    },
    /// The source described itself anew (device identity, rate).
    Info(&'a SourceInfo),
    /// The session is over; its summary.
    Finished { summary: &'a Summary },
}

/// A sink failed to take a fact: which one and why. The driver still hands the fact to the
/// other sinks; the caller decides whether the session goes on (the window stops recording and
/// says so; the headless replay stops).
#[derive(Debug, thiserror::Error)]
#[error("{what}: {source}")]
pub struct SinkError {
    /// What was being written, for the message: "/tmp/angles.csv", "the recording …".
    pub what: String,
    #[source]
    pub source: io::Error,
}

impl SinkError {
    pub fn new(what: impl Into<String>, source: io::Error) -> Self {
        Self {
            what: what.into(),
            source,
        }
    }

    /// For a file sink: the error names the file.
    pub fn at(path: &Path, source: io::Error) -> Self {
        Self::new(path.display().to_string(), source)
    }
}

/// Something that consumes a session's facts.
pub trait Sink {
    fn fact(&mut self, fact: &Fact<'_>) -> Result<(), SinkError>;
}

/// A closure as a sink (tests, small tools).
pub struct FnSink<F>(pub F);

impl<F: FnMut(&Fact<'_>) -> Result<(), SinkError>> Sink for FnSink<F> {
    fn fact(&mut self, fact: &Fact<'_>) -> Result<(), SinkError> {
        (self.0)(fact)
    }
}

/// Hands `fact` to every sink; the first failure is returned after all have had it.
fn deliver(sinks: &mut [&mut dyn Sink], fact: &Fact<'_>) -> Result<(), SinkError> {
    let mut first = None;
    for sink in sinks.iter_mut() {
        if let Err(e) = sink.fact(fact)
            && first.is_none()
        {
            first = Some(e);
        }
    }
    first.map_or(Ok(()), Err)
}

/// How captured calibration poses are applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CaptureMode {
    /// Applied at the first sample this long after the second window ends, seconds (0: at once;
    /// the demo waits until its wearer is back upright).
    pub apply_after_s: f64,
    /// Applied only if the session is still uncalibrated then (the demo's self-calibration never
    /// replaces one the wearer made).
    pub only_if_uncalibrated: bool,
}

impl CaptureMode {
    /// As `record --calibrate` does: apply at the first sample after the windows.
    pub const AT_END: CaptureMode = CaptureMode {
        apply_after_s: 0.0,
        only_if_uncalibrated: false,
    };
}

#[derive(Debug, Clone)]
struct Capture {
    windows: CalibrationWindows,
    mode: CaptureMode,
    poses: WindowCapture,
}

/// The running session. See the module docs.
pub struct SessionDriver {
    pipeline: Pipeline,
    origin: Option<CalibrationOrigin>,
    /// `--calibrate` was given: calibrations in the stream do not replace it.
    calibration_locked: bool,
    capture: Option<Capture>,
    events: Vec<Event>,
    finished: bool,
}

impl SessionDriver {
    /// A new session; `rate_hint_hz` (metadata or device identity) lets the filter start on the
    /// first sample.
    pub fn new(config: Config, rate_hint_hz: Option<f64>) -> Self {
        Self {
            pipeline: Pipeline::new(config, rate_hint_hz),
            origin: None,
            calibration_locked: false,
            capture: None,
            events: Vec::new(),
            finished: false,
        }
    }

    /// Starts the session with the calibration a file or the settings bring (no fact: it is in
    /// force from the first sample).
    pub fn with_start(mut self, start: &StartCalibration) -> Self {
        self.pipeline.set_calibration(start.calibration);
        self.origin = start.calibration.map(|_| start.origin);
        self.calibration_locked = start.origin == CalibrationOrigin::CommandLine;
        if let Some(windows) = start.capture {
            self.capture(windows, CaptureMode::AT_END);
        }
        self
    }

    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    pub fn config(&self) -> &Config {
        self.pipeline.config()
    }

    /// New settings, applied live.
    pub fn set_config(&mut self, config: Config) {
        self.pipeline.set_config(config);
    }

    pub fn calibration(&self) -> Option<&Calibration> {
        self.pipeline.calibration()
    }

    pub fn calibration_origin(&self) -> Option<CalibrationOrigin> {
        self.origin
    }

    /// Summary so far (a finished session's includes the slouch it closed).
    pub fn summary(&self) -> Summary {
        self.pipeline.summary()
    }

    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Captures calibration poses in `windows` (session seconds) and applies them per `mode`.
    pub fn capture(&mut self, windows: CalibrationWindows, mode: CaptureMode) {
        self.capture = Some(Capture {
            windows,
            mode,
            poses: WindowCapture::default(),
        });
    }

    /// Stops a capture (the wizard took over).
    pub fn cancel_capture(&mut self) {
        self.capture = None;
    }

    pub fn capturing(&self) -> Option<CalibrationWindows> {
        self.capture.as_ref().map(|c| c.windows)
    }

    /// Takes one source event.
    pub fn feed(
        &mut self,
        event: SourceEvent,
        sinks: &mut [&mut dyn Sink],
    ) -> Result<(), SinkError> {
        match event {
            SourceEvent::Sample(s) => self.sample(&s, sinks).map(|_| ()),
            SourceEvent::Lost { t_s, reason } => {
                self.mark(SessionMark::SensorLost { t_s, reason }, sinks)
            }
            SourceEvent::Back { t_s, gap_s } => {
                self.mark(SessionMark::SensorBack { t_s, gap_s }, sinks)
            }
            SourceEvent::Calibration { calibration, .. } => {
                self.mark(SessionMark::Calibration(calibration), sinks)
            }
            SourceEvent::Info(info) => deliver(sinks, &Fact::Info(&info)),
            SourceEvent::End { .. } => self.finish(sinks).map(|_| ()),
        }
    }

    /// Runs one sample through the pipeline; returns its step.
    pub fn sample(
        &mut self,
        s: &ImuSample,
        sinks: &mut [&mut dyn Sink],
    ) -> Result<Step, SinkError> {
        let step = self.pipeline.process(s, &mut self.events);
        self.after_step(s, &step, sinks).map(|()| step)
    }

    /// [`Self::sample`] for a sample the [`FilterAhead`] filtered.
    pub fn sample_filtered(
        &mut self,
        s: &ImuSample,
        out: &FilterOutput,
        sinks: &mut [&mut dyn Sink],
    ) -> Result<(), SinkError> {
        let step = self.pipeline.process_filtered(s, out, &mut self.events);
        self.after_step(s, &step, sinks)
    }

    /// Hands out the orientation filter to run ahead of the driver (see [`FilterAhead`]); until
    /// it is given back with [`Self::filter_back`], samples come in by [`Self::sample_filtered`].
    pub fn filter_ahead(&mut self) -> FilterAhead {
        FilterAhead {
            filter: self.pipeline.take_filter(),
        }
    }

    /// Takes back the filter [`Self::filter_ahead`] handed out, before [`Self::finish`] (its
    /// restarts are in the summary).
    pub fn filter_back(&mut self, ahead: FilterAhead) {
        self.pipeline.give_filter(ahead.filter);
    }

    /// What follows a sample's step: the capture of calibration poses, the sinks, the events.
    fn after_step(
        &mut self,
        s: &ImuSample,
        step: &Step,
        sinks: &mut [&mut dyn Sink],
    ) -> Result<(), SinkError> {
        let mut calibrated = None;
        if let Some(capture) = &mut self.capture {
            capture.poses.add(&capture.windows, s, &step.pose);
            if s.t_s > capture.windows.end_s() + capture.mode.apply_after_s {
                let result = capture
                    .poses
                    .calibrate(self.pipeline.config(), self.pipeline.calibration());
                let wanted =
                    !capture.mode.only_if_uncalibrated || self.pipeline.calibration().is_none();
                self.capture = None;
                match result {
                    Ok(c) if wanted => calibrated = Some(c),
                    Ok(_) => {}
                    Err(e) => self.events.push(failed_event(s.t_s, &e)),
                }
            }
        }
        let mut result = deliver(sinks, &Fact::Sample { sample: s, step });
        if let Err(e) = self.drain_events(sinks) {
            result = result.and(Err(e));
        }
        if let Some(c) = calibrated {
            let r = self.calibrate(s.t_s, c, CalibrationOrigin::Captured, sinks);
            result = result.and(r);
        }
        result
    }

    /// A mark between rows of a replayed file, or the live source's lost / back.
    pub fn mark(
        &mut self,
        mark: SessionMark,
        sinks: &mut [&mut dyn Sink],
    ) -> Result<(), SinkError> {
        let t_s = self.pipeline.last().map_or(0.0, |s| s.posture.t_s);
        if mark.restarts_orientation() {
            // The sensor may have been moved while away: start the orientation over.
            self.pipeline.restart_filter();
        }
        match mark {
            SessionMark::SensorLost { t_s, reason } => {
                self.events.push(Event {
                    time_s: t_s,
                    kind: EventKind::SensorLost { reason },
                });
                self.drain_events(sinks)
            }
            SessionMark::SensorBack { t_s, gap_s } => {
                self.events.push(Event {
                    time_s: t_s,
                    kind: EventKind::SensorBack { gap_s },
                });
                self.drain_events(sinks)
            }
            SessionMark::Calibration(text) => {
                if self.calibration_locked {
                    return Ok(());
                }
                match Calibration::from_metadata(&text) {
                    // The same calibration again (a replay that captured it already): nothing new.
                    Ok(c) if self.pipeline.calibration() == Some(&c) => Ok(()),
                    Ok(c) => self.calibrate(t_s, c, CalibrationOrigin::StoredInFile, sinks),
                    Err(e) => {
                        self.events.push(failed_event(t_s, &e));
                        self.drain_events(sinks)
                    }
                }
            }
        }
    }

    /// Applies a calibration from the next sample on (wizard, capture, a file's mark).
    pub fn calibrate(
        &mut self,
        t_s: f64,
        calibration: Calibration,
        origin: CalibrationOrigin,
        sinks: &mut [&mut dyn Sink],
    ) -> Result<(), SinkError> {
        // Used as it is stored (six decimals), so a replay that reads it back from the
        // recording computes exactly what the live run did.
        let calibration =
            Calibration::from_metadata(&calibration.to_metadata()).unwrap_or(calibration);
        self.pipeline.set_calibration(Some(calibration));
        self.origin = Some(origin);
        let mut result = deliver(
            sinks,
            &Fact::Calibrated {
                t_s,
                calibration: &calibration,
                origin,
            },
        );
        self.events.push(Event {
            time_s: t_s,
            kind: EventKind::Calibrated {
                calibration: calibration.to_metadata(),
            },
        });
        if let Err(e) = self.drain_events(sinks) {
            result = result.and(Err(e));
        }
        result
    }

    /// Forgets the calibration (the wearer moved the sensor).
    pub fn clear_calibration(&mut self) {
        self.pipeline.set_calibration(None);
        self.origin = None;
    }

    /// The calibration wizard restarts the orientation (the wearer sits down anew).
    pub fn restart_filter(&mut self) {
        self.pipeline.restart_filter();
    }

    /// Alerts are held back until session time `until_s` (`None`: not any more).
    pub fn snooze(
        &mut self,
        now_s: f64,
        until_s: Option<f64>,
        sinks: &mut [&mut dyn Sink],
    ) -> Result<(), SinkError> {
        self.pipeline.snooze(now_s, until_s, &mut self.events);
        self.drain_events(sinks)
    }

    /// The session is over (end of file, recording stopped, source closed): closes a slouch
    /// still going so the summary counts it, and hands the summary to the sinks. Only the first
    /// call does anything.
    pub fn finish(&mut self, sinks: &mut [&mut dyn Sink]) -> Result<Summary, SinkError> {
        if self.finished {
            return Ok(self.summary());
        }
        self.finished = true;
        self.pipeline.finish(&mut self.events);
        let mut result = self.drain_events(sinks);
        let summary = self.summary();
        if let Err(e) = deliver(sinks, &Fact::Finished { summary: &summary }) {
            result = result.and(Err(e));
        }
        result.map(|()| summary)
    }

    /// Hands the events gathered to the sinks. Most samples have none: the check is inlined
    /// where a sample ends (a call per sample cost a replay's driver ~2 %).
    #[inline]
    fn drain_events(&mut self, sinks: &mut [&mut dyn Sink]) -> Result<(), SinkError> {
        if self.events.is_empty() {
            Ok(())
        } else {
            self.deliver_events(sinks)
        }
    }

    fn deliver_events(&mut self, sinks: &mut [&mut dyn Sink]) -> Result<(), SinkError> {
        let mut result = Ok(());
        for e in self.events.drain(..) {
            if let Err(err) = deliver(sinks, &Fact::Event(&e)) {
                result = result.and(Err(err));
            }
        }
        result
    }
}

/// The session's orientation filter, run ahead of its driver: the headless replay runs its
/// filter half ([`OrientationFilter::filter`], VQF: three quarters of a sample's work) on a
/// thread of its own, so on two cores it overlaps with everything else. It sees the same stream
/// as the driver (samples and, between them, marks, in order) and restarts where the driver
/// would have, so the poses are exactly those [`SessionDriver::sample`] computes.
pub struct FilterAhead {
    filter: OrientationFilter,
}

impl FilterAhead {
    /// Appends the filter half's output for every sample in `samples` to `outs`, in order.
    pub fn filter(&mut self, samples: &[ImuSample], outs: &mut Vec<FilterOutput>) {
        outs.extend(samples.iter().map(|s| self.filter.filter(s)));
    }

    /// A mark between rows: the orientation restarts where the driver restarts it.
    pub fn mark(&mut self, mark: &SessionMark) {
        if mark.restarts_orientation() {
            self.filter.restart();
        }
    }
}

fn failed_event(t_s: f64, e: &CalibrationError) -> Event {
    Event {
        time_s: t_s,
        kind: EventKind::CalibrationFailed {
            reason: e.to_string(),
        },
    }
}

/// The calibration a recorded session starts with, decided the same way by the headless replay,
/// the window's player and its overview scan: `--calibrate` windows win; then a calibration
/// stored in the file; then the file's calibration windows (computed before the first sample);
/// then poses captured live (applied where the live run applied them).
#[derive(Debug, Clone, PartialEq)]
pub struct StartCalibration {
    pub calibration: Option<Calibration>,
    pub origin: CalibrationOrigin,
    /// Poses to capture during the session (the file's `calibration_capture`).
    pub capture: Option<CalibrationWindows>,
    /// Why a stored calibration could not be used (the session is then replayed without it).
    pub warning: Option<String>,
}

impl StartCalibration {
    pub const NONE: StartCalibration = StartCalibration {
        calibration: None,
        origin: CalibrationOrigin::StoredInFile,
        capture: None,
        warning: None,
    };

    /// A calibration known before the session (the wearer's saved one).
    pub fn known(calibration: Option<Calibration>, origin: CalibrationOrigin) -> Self {
        Self {
            calibration,
            origin,
            ..Self::NONE
        }
    }

    /// One line for the summary or the player.
    pub fn describe(&self) -> String {
        match (&self.calibration, &self.capture, &self.warning) {
            (Some(_), _, _) => self.origin.describe().to_string(),
            (None, Some(w), _) => {
                format!("captured from the calibration poses at {w} s, as when it was recorded")
            }
            (None, None, Some(w)) => format!("none ({w})"),
            (None, None, None) => "none (angles empty, state uncalibrated)".into(),
        }
    }
}

/// Why the calibration of a file could not be decided (only `--calibrate` is fatal: the wearer
/// asked for it).
#[derive(Debug, thiserror::Error)]
pub enum StartCalibrationError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("calibration rejected: {0}")]
    Calibration(#[from] CalibrationError),
    #[error("calibration windows {windows} end after the session does ({last_s:.3} s)")]
    WindowOutsideSession {
        windows: CalibrationWindows,
        last_s: f64,
    },
}

impl StartCalibration {
    /// Decides the start calibration of the file at `path` (see the type's docs). A stored
    /// calibration or stored windows that cannot be used become a warning, not an error: the
    /// session is still worth replaying.
    pub fn for_file(
        path: &Path,
        meta: &SessionMeta,
        command_line: Option<&CalibrationWindows>,
        config: &Config,
        skip_bad_rows: bool,
    ) -> Result<StartCalibration, StartCalibrationError> {
        if let Some(w) = command_line {
            let c = calibrate_from_windows(path, w, config, skip_bad_rows)?;
            return Ok(Self::known(Some(c), CalibrationOrigin::CommandLine));
        }
        let mut warning = None;
        if let Some(text) = &meta.calibration {
            match Calibration::from_metadata(text) {
                Ok(c) => return Ok(Self::known(Some(c), CalibrationOrigin::StoredInFile)),
                Err(e) => warning = Some(format!("the stored calibration is unusable: {e}")),
            }
        }
        if let Some(w) = &meta.calibration_windows {
            match calibrate_from_windows(path, w, config, skip_bad_rows) {
                Ok(c) => return Ok(Self::known(Some(c), CalibrationOrigin::WindowsInFile)),
                Err(StartCalibrationError::Session(e)) => return Err(e.into()),
                Err(e) => {
                    warning = Some(format!("the stored calibration windows are unusable: {e}"))
                }
            }
        }
        Ok(StartCalibration {
            capture: meta.calibration_capture,
            warning,
            ..Self::NONE
        })
    }
}

/// Runs the first part of a session through the orientation filter alone and calibrates from
/// the two windows. The filter is deterministic, so the poses match the full replay's exactly.
pub fn calibrate_from_windows(
    path: &Path,
    windows: &CalibrationWindows,
    config: &Config,
    skip_bad_rows: bool,
) -> Result<Calibration, StartCalibrationError> {
    let mut reader = SessionReader::open(path)?.skip_bad_rows(skip_bad_rows);
    let mut filter = crate::fusion::OrientationFilter::new(config.fusion, reader.meta().rate_hz);
    let mut capture = WindowCapture::default();
    let mut last_s = f64::NEG_INFINITY;
    while let Some(s) = reader.next_sample()? {
        last_s = s.t_s;
        if s.t_s > windows.end_s() {
            break;
        }
        let pose = filter.update(&s);
        capture.add(windows, &s, &pose);
    }
    if last_s < windows.end_s() {
        return Err(StartCalibrationError::WindowOutsideSession {
            windows: *windows,
            last_s,
        });
    }
    Ok(capture.calibrate(config, None)?)
}

/// A sink that keeps the events (tests, the cross-mode comparison).
#[derive(Debug, Default)]
pub struct EventLog {
    pub events: Vec<Event>,
    pub summary: Option<Summary>,
}

impl Sink for EventLog {
    fn fact(&mut self, fact: &Fact<'_>) -> Result<(), SinkError> {
        match fact {
            Fact::Event(e) => self.events.push((*e).clone()),
            Fact::Finished { summary } => self.summary = Some((*summary).clone()),
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 100 Hz: upright for 3 s, then leaning 30° forward (about the sensor's y axis) to 6 s,
    /// then upright again to `end_s`.
    fn samples(end_s: f64) -> Vec<ImuSample> {
        let lean = 30f64.to_radians();
        (0..)
            .map(|i| f64::from(i) * 0.01)
            .take_while(|t| *t <= end_s)
            .map(|t| {
                let a = if (3.0..6.0).contains(&t) {
                    [lean.sin(), 0.0, lean.cos()]
                } else {
                    [0.0, 0.0, 1.0]
                };
                ImuSample::new((t * 100.0).round() / 100.0, a, [0.0; 3])
            })
            .collect()
    }

    fn windows() -> CalibrationWindows {
        CalibrationWindows {
            upright_s: (0.5, 2.5),
            forward_s: (3.0, 6.0),
        }
    }

    /// Every fact as a short word, in order.
    #[derive(Default)]
    struct Trace(Vec<String>);

    impl Sink for Trace {
        fn fact(&mut self, fact: &Fact<'_>) -> Result<(), SinkError> {
            self.0.push(match fact {
                Fact::Sample { .. } => "sample".into(),
                Fact::Event(e) => e.kind.name().to_string(),
                Fact::Calibrated { origin, .. } => format!("calibrated:{origin:?}"),
                Fact::Info(_) => "info".into(),
                Fact::Finished { .. } => "finished".into(),
            });
            Ok(())
        }
    }

    fn without_samples(trace: &Trace) -> Vec<&str> {
        trace
            .0
            .iter()
            .map(String::as_str)
            .filter(|s| *s != "sample")
            .collect()
    }

    #[test]
    fn captured_poses_apply_after_the_windows_and_say_so() {
        let mut d = SessionDriver::new(Config::default(), Some(100.0));
        d.capture(windows(), CaptureMode::AT_END);
        let mut trace = Trace::default();
        let mut applied_at = None;
        for s in samples(8.0) {
            d.sample(&s, &mut [&mut trace])
                .unwrap_or_else(|e| panic!("{e}"));
            if applied_at.is_none() && d.calibration().is_some() {
                applied_at = Some(s.t_s);
            }
        }
        assert_eq!(applied_at, Some(6.01), "the first sample after the windows");
        assert_eq!(d.calibration_origin(), Some(CalibrationOrigin::Captured));
        assert_eq!(d.capturing(), None);
        assert_eq!(
            without_samples(&trace),
            ["calibrated:Captured", "calibrated"]
        );
        // Stored as six decimals and used as stored.
        let c = d
            .calibration()
            .copied()
            .unwrap_or_else(|| panic!("calibrated"));
        assert_eq!(Calibration::from_metadata(&c.to_metadata()).ok(), Some(c));
    }

    #[test]
    fn a_failed_capture_is_an_event_and_the_session_stays_uncalibrated() {
        let mut d = SessionDriver::new(Config::default(), Some(100.0));
        // Both windows upright: no lean to learn forward from.
        d.capture(
            CalibrationWindows {
                upright_s: (0.5, 1.5),
                forward_s: (1.5, 2.5),
            },
            CaptureMode::AT_END,
        );
        let mut trace = Trace::default();
        for s in samples(2.9) {
            d.sample(&s, &mut [&mut trace])
                .unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(d.calibration().is_none());
        assert_eq!(without_samples(&trace), ["calibration_failed"]);
    }

    #[test]
    fn stream_calibrations_apply_once_unless_the_command_line_set_one() {
        let text = "up=0,0,1;forward=1,0,0";
        let mut d = SessionDriver::new(Config::default(), None);
        let mut trace = Trace::default();
        d.mark(SessionMark::Calibration(text.into()), &mut [&mut trace])
            .unwrap_or_else(|e| panic!("{e}"));
        // The same again (a replay that captured it already): nothing new.
        d.mark(SessionMark::Calibration(text.into()), &mut [&mut trace])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            without_samples(&trace),
            ["calibrated:StoredInFile", "calibrated"]
        );
        d.mark(
            SessionMark::Calibration("up=0,0,0".into()),
            &mut [&mut trace],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            trace.0.last().map(String::as_str),
            Some("calibration_failed")
        );

        let start = StartCalibration::known(
            Calibration::from_metadata("up=0,0,1;forward=0,1,0").ok(),
            CalibrationOrigin::CommandLine,
        );
        let mut locked = SessionDriver::new(Config::default(), None).with_start(&start);
        let mut trace = Trace::default();
        locked
            .mark(SessionMark::Calibration(text.into()), &mut [&mut trace])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(trace.0.is_empty());
        assert_eq!(
            locked.calibration_origin(),
            Some(CalibrationOrigin::CommandLine)
        );
    }

    /// Every sample's step and every other fact, in order, with the summary at the end.
    #[derive(Default)]
    struct Steps(Vec<String>);

    impl Sink for Steps {
        fn fact(&mut self, fact: &Fact<'_>) -> Result<(), SinkError> {
            self.0.push(match fact {
                Fact::Sample { step, .. } => format!("{step:?}"),
                Fact::Event(e) => format!("{e:?}"),
                Fact::Calibrated { calibration, .. } => format!("{calibration:?}"),
                Fact::Info(_) => "info".into(),
                Fact::Finished { summary } => format!("{summary:?}"),
            });
            Ok(())
        }
    }

    #[test]
    fn the_filter_run_ahead_gives_the_same_session_bit_for_bit() {
        // Calibration captured from windows, a sensor lost and back (the orientation restarts),
        // a gap long enough to restart the filter by itself, and the end.
        let mut all = samples(8.0);
        for s in &mut all[500..] {
            s.t_s += 5.0;
        }
        let marks_at = 250;
        let marks = [
            SessionMark::SensorLost {
                t_s: 2.49,
                reason: "unplugged".into(),
            },
            SessionMark::SensorBack {
                t_s: 2.5,
                gap_s: 0.01,
            },
        ];
        let run = |ahead: bool| {
            let mut d = SessionDriver::new(Config::default(), Some(100.0));
            d.capture(windows(), CaptureMode::AT_END);
            let mut steps = Steps::default();
            let mut filter = ahead.then(|| d.filter_ahead());
            let mut outs = Vec::new();
            for (i, chunk) in [&all[..marks_at], &all[marks_at..]].into_iter().enumerate() {
                if i == 1 {
                    for m in &marks {
                        if let Some(f) = &mut filter {
                            f.mark(m);
                        }
                        d.mark(m.clone(), &mut [&mut steps])
                            .unwrap_or_else(|e| panic!("{e}"));
                    }
                }
                if let Some(f) = &mut filter {
                    outs.clear();
                    f.filter(chunk, &mut outs);
                    for (s, out) in chunk.iter().zip(&outs) {
                        d.sample_filtered(s, out, &mut [&mut steps])
                            .unwrap_or_else(|e| panic!("{e}"));
                    }
                } else {
                    for s in chunk {
                        d.sample(s, &mut [&mut steps])
                            .unwrap_or_else(|e| panic!("{e}"));
                    }
                }
            }
            if let Some(f) = filter {
                d.filter_back(f);
            }
            d.finish(&mut [&mut steps])
                .unwrap_or_else(|e| panic!("{e}"));
            steps.0
        };
        let (plain, ahead) = (run(false), run(true));
        assert_eq!(
            plain.len(),
            all.len() + 6,
            "{:?}",
            &plain[plain.len() - 6..]
        );
        assert!(plain.iter().any(|f| f.contains("filter_restarts: 1")));
        assert!(plain.iter().any(|f| f.contains("restarted: true")));
        for (i, (p, a)) in plain.iter().zip(&ahead).enumerate() {
            assert_eq!(p, a, "fact {i}");
        }
        assert_eq!(plain.len(), ahead.len());
    }

    #[test]
    fn lost_and_back_are_events_and_back_restarts_the_orientation() {
        let mut d = SessionDriver::new(Config::default(), Some(100.0));
        let mut trace = Trace::default();
        let mut log = EventLog::default();
        let all = samples(4.0);
        let (before, after) = all.split_at(200);
        for s in before {
            d.sample(s, &mut [&mut trace, &mut log])
                .unwrap_or_else(|e| panic!("{e}"));
        }
        d.feed(
            SourceEvent::Lost {
                t_s: 1.99,
                reason: "unplugged".into(),
            },
            &mut [&mut trace, &mut log],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        d.feed(
            SourceEvent::Back {
                t_s: 2.0,
                gap_s: 0.01,
            },
            &mut [&mut trace, &mut log],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        for (i, s) in after.iter().enumerate() {
            let step = d
                .sample(s, &mut [&mut trace, &mut log])
                .unwrap_or_else(|e| panic!("{e}"));
            // The orientation starts over.
            assert_eq!(step.pose.flags.initialising, i < 100, "{i}");
        }
        assert_eq!(without_samples(&trace), ["sensor_lost", "sensor_back"]);
        assert_eq!(log.events[1].time_s, 2.0);
    }

    #[test]
    fn finishing_closes_a_running_slouch_once() {
        let cal = Calibration::from_metadata("up=0,0,1;forward=1,0,0").ok();
        let start = StartCalibration::known(cal, CalibrationOrigin::StoredInFile);
        let mut d = SessionDriver::new(Config::default(), Some(100.0)).with_start(&start);
        let lean = 35f64.to_radians();
        let mut log = EventLog::default();
        for i in 0..(100 * 100) {
            // Gravity tilting back in the sensor frame: the trunk leans forward.
            let s = ImuSample::new(
                f64::from(i) * 0.01,
                [-lean.sin(), 0.0, lean.cos()],
                [0.0; 3],
            );
            d.sample(&s, &mut [&mut log])
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let summary = d.finish(&mut [&mut log]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(summary.rules.slouch_episodes, 1, "{:?}", log.events);
        assert!(log.events.iter().any(|e| e.kind.name() == "slouch_end"));
        assert_eq!(log.summary.as_ref(), Some(&summary));
        let again = d.finish(&mut [&mut log]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again, summary);
        assert_eq!(
            log.events
                .iter()
                .filter(|e| e.kind.name() == "slouch_end")
                .count(),
            1
        );
    }

    #[test]
    fn a_failing_sink_does_not_starve_the_others() {
        let mut d = SessionDriver::new(Config::default(), None);
        let mut failing =
            FnSink(|_: &Fact<'_>| Err(SinkError::new("the disk", io::Error::other("full"))));
        let mut log = EventLog::default();
        let s = ImuSample::new(0.0, [0.0, 0.0, 1.0], [0.0; 3]);
        d.sample(&s, &mut [&mut log])
            .unwrap_or_else(|e| panic!("{e}"));
        let gap = ImuSample::new(5.0, [0.0, 0.0, 1.0], [0.0; 3]);
        let err = d.sample(&gap, &mut [&mut failing, &mut log]).err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("the disk: full")
        );
        assert_eq!(log.events.len(), 1, "the gap still reached the other sink");
    }
}
