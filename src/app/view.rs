//! The window's data as one more sink of the session driver: the current posture and for how
//! long, the flexion ring of the last hour, plot markers, the recent events, the sensor-moved
//! verdict. It writes into the engine's working copy of [`Shared`]; the engine publishes that
//! copy as a snapshot (see [`super::publish`]).

use std::sync::Arc;
use std::time::Duration;

use crate::pipeline::Summary;
use crate::posture::{Calibration, Event, MovedDetector, MovedSettings, PostureState};
use crate::session::{CalibrationOrigin, Fact, Sink, SinkError};

use super::publish::RingDelta;
use super::store::Shared;

/// Recent events kept for the window (and for comparing modes in tests).
pub const EVENT_LOG_CAP: usize = 2000;

/// The window's side of a session.
pub struct LiveView {
    /// The engine's working copy of what the window shows (its ring stays empty: ring data
    /// travels in `ring`).
    pub shared: Shared,
    /// Flexion points since the last publish.
    pub ring: RingDelta,
    moved: MovedDetector,
    moved_settings: MovedSettings,
    last_state: Option<PostureState>,
    /// Events since the engine last took them (to present them).
    pending: Vec<Event>,
    /// A calibration took effect since the engine last looked.
    calibrated: Option<(Calibration, CalibrationOrigin)>,
    /// Monotonic time now and when the last sample arrived (silence is judged by wall time since
    /// the last sample, never by comparing the wall clock with sample time).
    pub now_mono: Duration,
    pub last_sample_mono: Duration,
    /// Samples since the measured rate was last computed.
    pub samples_counted: u64,
    /// Something the window draws changed since the last publish.
    pub changed: bool,
    /// Something that should wake the window at once changed.
    pub urgent: bool,
}

impl LiveView {
    pub fn new(shared: Shared) -> Self {
        Self {
            shared,
            ring: RingDelta::default(),
            moved: MovedDetector::default(),
            moved_settings: MovedSettings::default(),
            last_state: None,
            pending: Vec::new(),
            calibrated: None,
            now_mono: Duration::ZERO,
            last_sample_mono: Duration::ZERO,
            samples_counted: 0,
            changed: true,
            urgent: true,
        }
    }

    pub fn set_moved_settings(&mut self, settings: MovedSettings) {
        self.moved_settings = settings;
    }

    /// A new session starts: nothing of the last one is shown.
    pub fn reset(&mut self) {
        let sh = &mut self.shared;
        sh.wizard = super::store::WizardView::Idle;
        sh.markers = Arc::default();
        sh.events = Arc::default();
        sh.banner = None;
        sh.toast = None;
        sh.posture = None;
        sh.state_since_s = 0.0;
        sh.now_s = 0.0;
        sh.sensor_moved = false;
        sh.measured_rate_hz = None;
        sh.summary = Summary::default();
        self.ring.clear();
        self.moved.reset();
        self.last_state = None;
        self.pending.clear();
        self.calibrated = None;
        self.last_sample_mono = self.now_mono;
        self.samples_counted = 0;
        self.urgent = true;
    }

    /// Events to present since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.pending)
    }

    /// The calibration that took effect since the last call.
    pub fn take_calibrated(&mut self) -> Option<(Calibration, CalibrationOrigin)> {
        self.calibrated.take()
    }

    /// The posture went to `no_data` (a live source fell silent).
    pub fn no_data(&mut self, update: crate::pipeline::PostureUpdate) {
        if self.shared.posture.map(|p| p.state) != Some(PostureState::NoData) {
            self.shared.posture = Some(update);
            self.shared.state_since_s = update.t_s;
            self.last_state = Some(PostureState::NoData);
            self.urgent = true;
        }
    }
}

impl Sink for LiveView {
    fn fact(&mut self, fact: &Fact<'_>) -> Result<(), SinkError> {
        match fact {
            Fact::Sample { sample, step } => {
                let t = sample.t_s;
                self.samples_counted += 1;
                self.last_sample_mono = self.now_mono;
                let state = step.posture.state;
                if self.last_state != Some(state) {
                    self.last_state = Some(state);
                    self.shared.state_since_s = t;
                }
                if let Some(moved) =
                    self.moved
                        .update(&self.moved_settings, &step.posture, step.pose.flags.resting)
                {
                    self.shared.sensor_moved = moved;
                    self.urgent = true;
                }
                self.ring.push(t, step.posture.flexion_deg);
                self.shared.posture = Some(step.posture);
                self.shared.now_s = t;
                self.changed = true;
            }
            Fact::Event(e) => {
                let log = Arc::make_mut(&mut self.shared.events);
                if log.len() >= EVENT_LOG_CAP {
                    log.pop_front();
                }
                log.push_back((*e).clone());
                self.pending.push((*e).clone());
                self.changed = true;
            }
            Fact::Calibrated {
                calibration,
                origin,
                ..
            } => {
                self.shared.calibrated = true;
                self.shared.sensor_moved = false;
                self.moved.reset();
                self.calibrated = Some((**calibration, *origin));
                self.urgent = true;
            }
            Fact::Info(info) => {
                self.shared.source = (*info).clone();
                self.urgent = true;
            }
            Fact::Finished { summary } => {
                self.shared.summary = (*summary).clone();
                self.urgent = true;
            }
        }
        Ok(())
    }
}
