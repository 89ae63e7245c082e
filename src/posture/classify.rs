//! Posture states from angles and movement.

use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

use super::angles::TrunkAngles;
use super::config::Config;

/// What the wearer is doing, as shown in the UI and written in the `state` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostureState {
    Upright,
    Slouched,
    LeaningBack,
    /// Walking or otherwise active (not a static posture).
    Moving,
    /// No calibration yet: orientation is known, flexion is not.
    Uncalibrated,
    /// No samples are arriving.
    NoData,
}

impl PostureState {
    /// Every state, in display order.
    pub const ALL: [PostureState; 6] = [
        Self::Upright,
        Self::Slouched,
        Self::LeaningBack,
        Self::Moving,
        Self::Uncalibrated,
        Self::NoData,
    ];

    /// The name used in files (`upright`, `leaning_back`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upright => "upright",
            Self::Slouched => "slouched",
            Self::LeaningBack => "leaning_back",
            Self::Moving => "moving",
            Self::Uncalibrated => "uncalibrated",
            Self::NoData => "no_data",
        }
    }

    /// Words for people ("leaning back").
    pub fn label(self) -> &'static str {
        match self {
            Self::Upright => "upright",
            Self::Slouched => "slouched",
            Self::LeaningBack => "leaning back",
            Self::Moving => "moving",
            Self::Uncalibrated => "uncalibrated",
            Self::NoData => "no sensor data",
        }
    }

    /// Index into [`Self::ALL`], for per-state tallies.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Tells activity from the accelerometer and posture from the angles, with hysteresis so the
/// state does not flicker at a threshold.
#[derive(Debug, Clone)]
pub struct StateClassifier {
    /// Running mean of |a|, g.
    mean_g: Option<f64>,
    /// Running variance of |a|, g².
    var_g2: f64,
    moving: bool,
    /// Since when the activity evidence disagrees with `moving`, seconds.
    pending_since_s: Option<f64>,
    slouched: bool,
}

impl Default for StateClassifier {
    fn default() -> Self {
        Self::new()
    }
}

impl StateClassifier {
    pub fn new() -> Self {
        Self {
            mean_g: None,
            var_g2: 0.0,
            moving: false,
            pending_since_s: None,
            slouched: false,
        }
    }

    /// Standard deviation of the specific-force magnitude over the recent window, g.
    pub fn activity_g(&self) -> f64 {
        self.var_g2.sqrt()
    }

    /// Forgets movement history (after a sensor gap).
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Classifies one sample. `dt_s` is the time since the previous sample; `angles` is `None`
    /// while uncalibrated.
    pub fn update(
        &mut self,
        cfg: &Config,
        t_s: f64,
        dt_s: f64,
        accel_g: &Vector3<f64>,
        angles: Option<&TrunkAngles>,
    ) -> PostureState {
        // Walking shakes the specific force by a few tenths of a g at step frequency; sitting,
        // typing and reaching barely move it. An exponential window of `activity_window_s`.
        let magnitude = accel_g.norm();
        let alpha = (dt_s / cfg.activity_window_s).clamp(0.0, 1.0);
        match self.mean_g {
            None => self.mean_g = Some(magnitude),
            Some(mean) => {
                let d = magnitude - mean;
                self.mean_g = Some(mean + alpha * d);
                self.var_g2 += alpha * (d * d - self.var_g2);
            }
        }
        let active = self.activity_g() > cfg.moving_accel_std_g;
        if active != self.moving {
            let since = *self.pending_since_s.get_or_insert(t_s);
            let hold = if active {
                cfg.moving_enter_s
            } else {
                cfg.moving_exit_s
            };
            if t_s - since >= hold {
                self.moving = active;
                self.pending_since_s = None;
            }
        } else {
            self.pending_since_s = None;
        }

        let Some(angles) = angles else {
            return if self.moving {
                PostureState::Moving
            } else {
                PostureState::Uncalibrated
            };
        };
        let flexion = angles.flexion_deg;
        self.slouched = flexion >= cfg.slouch_threshold_deg
            || (self.slouched && flexion >= cfg.slouch_release_deg);
        if self.moving {
            PostureState::Moving
        } else if self.slouched {
            PostureState::Slouched
        } else if flexion <= cfg.lean_back_threshold_deg {
            PostureState::LeaningBack
        } else {
            PostureState::Upright
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn angles(flexion_deg: f64) -> TrunkAngles {
        TrunkAngles {
            flexion_deg,
            lateral_deg: 0.0,
        }
    }

    #[test]
    fn slouch_has_hysteresis_and_lean_back_is_its_own_state() {
        let cfg = Config::default();
        let mut c = StateClassifier::new();
        let z = Vector3::z();
        let mut at = |t: f64, f: f64| c.update(&cfg, t, 0.01, &z, Some(&angles(f)));
        assert_eq!(at(0.0, 5.0), PostureState::Upright);
        assert_eq!(at(0.01, 18.0), PostureState::Upright);
        assert_eq!(at(0.02, 21.0), PostureState::Slouched);
        assert_eq!(at(0.03, 16.0), PostureState::Slouched);
        assert_eq!(at(0.04, 14.0), PostureState::Upright);
        assert_eq!(at(0.05, -12.0), PostureState::LeaningBack);
        let mut c = StateClassifier::new();
        assert_eq!(
            c.update(&cfg, 0.0, 0.01, &z, None),
            PostureState::Uncalibrated
        );
    }

    #[test]
    fn walking_bounce_is_moving_and_typing_jitter_is_not() {
        let cfg = Config::default();
        let run = |amplitude_g: f64, hz: f64| {
            let mut c = StateClassifier::new();
            let mut state = PostureState::NoData;
            for i in 0..1000 {
                let t = i as f64 * 0.01;
                let a = Vector3::new(
                    0.0,
                    0.0,
                    1.0 + amplitude_g * (std::f64::consts::TAU * hz * t).sin(),
                );
                state = c.update(&cfg, t, 0.01, &a, Some(&angles(3.0)));
            }
            state
        };
        assert_eq!(run(0.3, 1.9), PostureState::Moving);
        assert_eq!(run(0.02, 8.0), PostureState::Upright);
    }
}
