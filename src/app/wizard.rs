//! The two-step calibration wizard, run on the pipeline thread in session time (so it works the
//! same on a live sensor and on a replayed session at any speed): sit upright and still, then
//! lean forward slowly and come back. Each step has a countdown; a failed check says what went
//! wrong and the wizard offers to retry.

use crate::fusion::Pose;
use crate::pipeline::WindowCapture;
use crate::posture::{Calibration, CalibrationError, Config};
use crate::sample::ImuSample;
use crate::session::CalibrationWindows;

use super::store::WizardView;

/// Length of step 1 (sit upright and still), seconds.
pub const UPRIGHT_S: f64 = 8.0;
/// The first seconds of step 1 are not used (settling into the pose).
pub const SETTLE_S: f64 = 2.0;
/// Length of step 2 (lean forward slowly, hold, come back), seconds.
pub const LEAN_S: f64 = 11.0;

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Idle,
    Waiting,
    Upright { start_s: f64 },
    Lean { start_s: f64 },
    Finished(WizardView),
}

/// What a finished wizard produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Calibrated(Calibration),
    Failed(String),
}

/// The wizard's state machine.
#[derive(Debug, Clone)]
pub struct Wizard {
    phase: Phase,
    capture: WindowCapture,
    windows: Option<CalibrationWindows>,
    now_s: f64,
    moving: bool,
    lean_deg: f64,
}

impl Default for Wizard {
    fn default() -> Self {
        Self::new()
    }
}

impl Wizard {
    pub fn new() -> Self {
        Self {
            phase: Phase::Idle,
            capture: WindowCapture::default(),
            windows: None,
            now_s: 0.0,
            moving: false,
            lean_deg: 0.0,
        }
    }

    /// Starts (or restarts) at the next sample.
    pub fn start(&mut self) {
        *self = Self::new();
        self.phase = Phase::Waiting;
    }

    pub fn cancel(&mut self) {
        *self = Self::new();
    }

    /// Collecting samples (not idle, not finished).
    pub fn running(&self) -> bool {
        matches!(
            self.phase,
            Phase::Waiting | Phase::Upright { .. } | Phase::Lean { .. }
        )
    }

    pub fn view(&self) -> WizardView {
        match &self.phase {
            Phase::Idle => WizardView::Idle,
            Phase::Waiting => WizardView::Waiting,
            Phase::Upright { start_s } => WizardView::Upright {
                remaining_s: (start_s + UPRIGHT_S - self.now_s).max(0.0),
                total_s: UPRIGHT_S,
                moving: self.moving,
            },
            Phase::Lean { start_s } => WizardView::Lean {
                remaining_s: (start_s + LEAN_S - self.now_s).max(0.0),
                total_s: LEAN_S,
                lean_deg: self.lean_deg,
            },
            Phase::Finished(v) => v.clone(),
        }
    }

    fn fail(&mut self, step: u8, reason: String) -> Option<Outcome> {
        self.phase = Phase::Finished(WizardView::Failed {
            step,
            reason: reason.clone(),
        });
        Some(Outcome::Failed(reason))
    }

    /// Feeds one sample and its pose; returns the outcome when the wizard finishes.
    pub fn feed(
        &mut self,
        s: &ImuSample,
        pose: &Pose,
        config: &Config,
        previous: Option<&Calibration>,
    ) -> Option<Outcome> {
        self.now_s = s.t_s;
        let rate_dps = (s.gyro_dps - pose.gyro_bias_dps).norm();
        self.moving = rate_dps > config.calibration.upright_max_rate_dps;
        match self.phase {
            Phase::Waiting => {
                let t = s.t_s;
                self.windows = Some(CalibrationWindows {
                    upright_s: (t + SETTLE_S, t + UPRIGHT_S),
                    forward_s: (t + UPRIGHT_S, t + UPRIGHT_S + LEAN_S),
                });
                self.phase = Phase::Upright { start_s: t };
                None
            }
            Phase::Upright { start_s } => {
                let windows = self.windows?;
                self.capture.add(&windows, s, pose);
                if s.t_s < start_s + UPRIGHT_S {
                    return None;
                }
                // Checked on its own (as both windows) so stillness is judged before the lean.
                let upright = &self.capture.upright;
                match Calibration::from_windows(upright, upright, None, &config.calibration) {
                    Err(e @ CalibrationError::UprightNotStill { .. })
                    | Err(e @ CalibrationError::EmptyWindow { .. }) => self.fail(1, e.to_string()),
                    _ => {
                        self.phase = Phase::Lean { start_s: s.t_s };
                        None
                    }
                }
            }
            Phase::Lean { start_s } => {
                let windows = self.windows?;
                self.capture.add(&windows, s, pose);
                let up: nalgebra::Vector3<f64> = self.capture.upright.iter().map(|c| c.up_s).sum();
                if let Some(up) = up.try_normalize(1e-9) {
                    let deg = pose.up_in_sensor().angle(&up).to_degrees();
                    self.lean_deg = self.lean_deg.max(deg);
                }
                if s.t_s < start_s + LEAN_S {
                    return None;
                }
                match self.capture.calibrate(config, previous) {
                    Ok(c) => {
                        self.phase = Phase::Finished(WizardView::Succeeded {
                            lean_deg: self.lean_deg,
                        });
                        Some(Outcome::Calibrated(c))
                    }
                    Err(e) => self.fail(2, e.to_string()),
                }
            }
            Phase::Idle | Phase::Finished(_) => None,
        }
    }
}
