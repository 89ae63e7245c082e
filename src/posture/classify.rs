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

/// Cut-off of the gait band's low-pass (two one-pole stages), Hz: the step rate of walking
/// (1.5–2.5 Hz) passes at 0.6–0.8 of its amplitude, typing bursts and desk knocks at 8 Hz at
/// a tenth, at 12 Hz at a twentieth.
const GAIT_LOWPASS_HZ: f64 = 3.0;
/// The rhythm detector's hysteresis as a fraction of the gait band's standard deviation (half
/// of it ignores the wiggles a step's harmonics add), and its floor, g.
const RHYTHM_HYSTERESIS: f64 = 0.5;
const RHYTHM_HYSTERESIS_MIN_G: f64 = 0.01;

/// Tells walking from the accelerometer and posture from the angles, with hysteresis so the
/// state does not flicker at a threshold.
///
/// Why not any acceleration variance: hard typing, knocks on the desk and a bouncing knee shake
/// the upper back by up to about 0.25 g at 4–12 Hz for seconds at a time. Counted as movement,
/// they pause a slouch's clock and pass for breaks. Walking is sustained gait: a vertical bounce
/// once per step, 1.5–2.5 times a second. So the classifier low-passes the specific-force
/// magnitude into the gait band, measures its spread there, and times its rhythm (upward swings
/// through a Schmitt trigger); the wearer is walking when the band is lively *and* the rhythm is
/// a step rate, for [`Config::moving_enter_s`].
#[derive(Debug, Clone)]
pub struct StateClassifier {
    /// Running mean of |a| (the slow part removed from the band), g.
    mean_g: Option<f64>,
    /// The two low-pass stages of |a| − mean, g.
    lp1_g: f64,
    lp2_g: f64,
    /// Running variance of the gait band, g².
    var_g2: f64,
    /// The Schmitt trigger's side (above +h) and the times of its last three upward swings
    /// (newest first), s.
    high: bool,
    ups_s: [Option<f64>; 3],
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
            lp1_g: 0.0,
            lp2_g: 0.0,
            var_g2: 0.0,
            high: false,
            ups_s: [None; 3],
            moving: false,
            pending_since_s: None,
            slouched: false,
        }
    }

    /// Standard deviation of the specific-force magnitude in the gait band over the recent
    /// window, g.
    pub fn activity_g(&self) -> f64 {
        self.var_g2.sqrt()
    }

    /// The rhythm of the gait band at `t_s`: swings per second over the last two, Hz; `None`
    /// when there is no rhythm as slow as `min_hz` (no swing for 1.5 of its periods).
    pub fn rhythm_hz(&self, t_s: f64, min_hz: f64) -> Option<f64> {
        let [Some(last), _, Some(first)] = self.ups_s else {
            return None;
        };
        let period_s = (last - first) / 2.0;
        let quiet_s = t_s - last;
        (period_s > 0.0 && quiet_s <= 1.5 / min_hz.max(1e-3)).then(|| 1.0 / period_s)
    }

    /// Forgets movement history (after a sensor gap).
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// One sample of |a| into the gait band: mean removal, low-pass, spread and rhythm.
    fn gait_band(&mut self, cfg: &Config, t_s: f64, dt_s: f64, magnitude_g: f64) {
        let Some(mean) = self.mean_g else {
            self.mean_g = Some(magnitude_g);
            return;
        };
        let window = (dt_s / cfg.activity_window_s).clamp(0.0, 1.0);
        self.mean_g = Some(mean + window * (magnitude_g - mean));
        let tau_s = 1.0 / (std::f64::consts::TAU * GAIT_LOWPASS_HZ);
        let lp = if dt_s > 0.0 {
            dt_s / (tau_s + dt_s)
        } else {
            0.0
        };
        self.lp1_g += lp * ((magnitude_g - mean) - self.lp1_g);
        self.lp2_g += lp * (self.lp1_g - self.lp2_g);
        let band = self.lp2_g;
        self.var_g2 += window * (band * band - self.var_g2);
        let h = (RHYTHM_HYSTERESIS * self.activity_g()).max(RHYTHM_HYSTERESIS_MIN_G);
        if !self.high && band > h {
            self.high = true;
            self.ups_s = [Some(t_s), self.ups_s[0], self.ups_s[1]];
        } else if self.high && band < -h {
            self.high = false;
        }
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
        self.gait_band(cfg, t_s, dt_s, accel_g.norm());
        // The band's spread is asked first: it is one comparison, and most of the time (sitting)
        // it already says no, so the rhythm (about 25 instructions) is not timed. Both are pure,
        // so the order changes nothing but the cost (9 M instructions of a 1-hour replay).
        let active = self.activity_g() > cfg.moving_accel_std_g
            && self
                .rhythm_hz(t_s, cfg.gait_min_hz)
                .is_some_and(|hz| (cfg.gait_min_hz..=cfg.gait_max_hz).contains(&hz));
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

    /// |a| over 10 s at `rate_hz` from `a(t)`, classified; the last state and whether any
    /// sample was `Moving`.
    fn classify(rate_hz: f64, a: impl Fn(f64) -> f64) -> (PostureState, bool) {
        let cfg = Config::default();
        let mut c = StateClassifier::new();
        let dt = 1.0 / rate_hz;
        let (mut last, mut any) = (PostureState::NoData, false);
        for i in 0..(10.0 * rate_hz) as usize {
            let t = i as f64 * dt;
            last = c.update(
                &cfg,
                t,
                dt,
                &Vector3::new(0.0, 0.0, a(t)),
                Some(&angles(25.0)),
            );
            any |= last == PostureState::Moving;
        }
        (last, any)
    }

    #[test]
    fn bursts_at_4_to_12_hz_are_not_walking_whatever_their_strength() {
        for rate in [50.0, 100.0, 500.0] {
            for hz in [4.0, 6.0, 8.0, 12.0] {
                for amp in [0.1, 0.25, 0.5] {
                    let (last, any) =
                        classify(rate, |t| 1.0 + amp * (std::f64::consts::TAU * hz * t).sin());
                    assert!(
                        !any,
                        "{amp} g at {hz} Hz ({rate} Hz sampling) taken for walking"
                    );
                    assert_eq!(last, PostureState::Slouched);
                }
            }
        }
    }

    #[test]
    fn steps_at_walking_rates_are_walking_at_any_sample_rate() {
        for rate in [50.0, 100.0, 500.0] {
            for hz in [1.5, 2.0, 2.5] {
                // A step: a bounce with its second harmonic, as the upper back feels it.
                let step = |t: f64| {
                    let w = std::f64::consts::TAU * hz * t;
                    1.0 + 0.2 * w.sin() + 0.08 * (2.0 * w).sin()
                };
                assert_eq!(
                    classify(rate, step).0,
                    PostureState::Moving,
                    "steps at {hz} Hz ({rate} Hz sampling)"
                );
            }
        }
    }

    #[test]
    fn knocks_on_the_desk_are_not_walking() {
        // A knock every 0.6 s: a sharp 0.4 g spike ringing at 10 Hz for 0.2 s.
        let knocks = |t: f64| {
            let since = t % 0.6;
            1.0 + 0.4 * (-since / 0.05).exp() * (std::f64::consts::TAU * 10.0 * since).cos()
        };
        assert!(!classify(100.0, knocks).1);
    }

    #[test]
    fn a_rhythm_that_stops_is_forgotten() {
        let cfg = Config::default();
        let mut c = StateClassifier::new();
        for i in 0..500 {
            let t = f64::from(i) * 0.01;
            let a = 1.0 + 0.3 * (std::f64::consts::TAU * 2.0 * t).sin();
            c.update(&cfg, t, 0.01, &Vector3::new(0.0, 0.0, a), None);
        }
        let hz = c.rhythm_hz(5.0, cfg.gait_min_hz).unwrap_or_default();
        assert!((hz - 2.0).abs() < 0.1, "rhythm {hz} Hz");
        assert_eq!(c.rhythm_hz(7.0, cfg.gait_min_hz), None);
    }

    /// A copy of the classifier as it was before its activity test was moved ahead of the
    /// rhythm, to check the move changes nothing.
    mod old {
        use super::super::{
            GAIT_LOWPASS_HZ, PostureState, RHYTHM_HYSTERESIS, RHYTHM_HYSTERESIS_MIN_G,
        };
        use crate::posture::angles::TrunkAngles;
        use crate::posture::config::Config;
        use nalgebra::Vector3;

        #[derive(Debug, Clone)]
        pub struct OldClassifier {
            /// Running mean of |a| (the slow part removed from the band), g.
            mean_g: Option<f64>,
            /// The two low-pass stages of |a| − mean, g.
            lp1_g: f64,
            lp2_g: f64,
            /// Running variance of the gait band, g².
            var_g2: f64,
            /// The Schmitt trigger's side (above +h) and the times of its last three upward swings
            /// (newest first), s.
            high: bool,
            ups_s: [Option<f64>; 3],
            moving: bool,
            /// Since when the activity evidence disagrees with `moving`, seconds.
            pending_since_s: Option<f64>,
            slouched: bool,
        }

        impl OldClassifier {
            pub fn new() -> Self {
                Self {
                    mean_g: None,
                    lp1_g: 0.0,
                    lp2_g: 0.0,
                    var_g2: 0.0,
                    high: false,
                    ups_s: [None; 3],
                    moving: false,
                    pending_since_s: None,
                    slouched: false,
                }
            }

            /// Standard deviation of the specific-force magnitude in the gait band over the recent
            /// window, g.
            pub fn activity_g(&self) -> f64 {
                self.var_g2.sqrt()
            }

            /// The rhythm of the gait band at `t_s`: swings per second over the last two, Hz; `None`
            /// when there is no rhythm as slow as `min_hz` (no swing for 1.5 of its periods).
            pub fn rhythm_hz(&self, t_s: f64, min_hz: f64) -> Option<f64> {
                let [Some(last), _, Some(first)] = self.ups_s else {
                    return None;
                };
                let period_s = (last - first) / 2.0;
                let quiet_s = t_s - last;
                (period_s > 0.0 && quiet_s <= 1.5 / min_hz.max(1e-3)).then(|| 1.0 / period_s)
            }

            /// Forgets movement history (after a sensor gap).
            pub fn reset(&mut self) {
                *self = Self::new();
            }

            /// One sample of |a| into the gait band: mean removal, low-pass, spread and rhythm.
            fn gait_band(&mut self, cfg: &Config, t_s: f64, dt_s: f64, magnitude_g: f64) {
                let Some(mean) = self.mean_g else {
                    self.mean_g = Some(magnitude_g);
                    return;
                };
                let window = (dt_s / cfg.activity_window_s).clamp(0.0, 1.0);
                self.mean_g = Some(mean + window * (magnitude_g - mean));
                let tau_s = 1.0 / (std::f64::consts::TAU * GAIT_LOWPASS_HZ);
                let lp = if dt_s > 0.0 {
                    dt_s / (tau_s + dt_s)
                } else {
                    0.0
                };
                self.lp1_g += lp * ((magnitude_g - mean) - self.lp1_g);
                self.lp2_g += lp * (self.lp1_g - self.lp2_g);
                let band = self.lp2_g;
                self.var_g2 += window * (band * band - self.var_g2);
                let h = (RHYTHM_HYSTERESIS * self.activity_g()).max(RHYTHM_HYSTERESIS_MIN_G);
                if !self.high && band > h {
                    self.high = true;
                    self.ups_s = [Some(t_s), self.ups_s[0], self.ups_s[1]];
                } else if self.high && band < -h {
                    self.high = false;
                }
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
                self.gait_band(cfg, t_s, dt_s, accel_g.norm());
                let stepping = self
                    .rhythm_hz(t_s, cfg.gait_min_hz)
                    .is_some_and(|hz| (cfg.gait_min_hz..=cfg.gait_max_hz).contains(&hz));
                let active = stepping && self.activity_g() > cfg.moving_accel_std_g;
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
    }

    use super::super::test_rng::Rng;

    /// The classifier gives exactly the old one's states and activity over long random streams:
    /// stretches of walking-like bounce at 1–3 Hz and of typing-like jitter at 4–12 Hz with
    /// changing strength, quiet sitting, uneven time steps, resets, samples without angles, and
    /// a config whose thresholds make walking easy to enter and leave.
    #[test]
    fn the_classifier_matches_the_old_one_exactly() {
        let easy = Config {
            moving_enter_s: 0.5,
            moving_exit_s: 0.7,
            moving_accel_std_g: 0.02,
            ..Config::default()
        };
        let mut seen = [0usize; 6];
        for (c, cfg) in [Config::default(), easy].iter().enumerate() {
            for seed in 1..=6u64 {
                let mut rng = Rng::seeded(seed, c as u64);
                let (mut new, mut old) = (StateClassifier::new(), old::OldClassifier::new());
                let (mut t, mut hz, mut amp) = (0.0, 2.0, 0.0);
                let mut flexion = 5.0;
                for _ in 0..100_000 {
                    if rng.unit() < 0.0005 {
                        // A new stretch: walking, jitter or stillness.
                        hz = 0.5 + rng.unit() * 12.0;
                        amp = [0.0, 0.01, 0.05, 0.2, 0.4][(rng.next() % 5) as usize];
                    }
                    if rng.unit() < 0.0002 {
                        new.reset();
                        old.reset();
                    }
                    let dt = match rng.next() % 200 {
                        0 => 0.0,
                        1 => 0.3,
                        2..=9 => rng.unit() * 0.05,
                        _ => 0.01,
                    };
                    t += dt;
                    let bounce = amp * (std::f64::consts::TAU * hz * t).sin();
                    let noise = (rng.unit() - 0.5) * 0.02;
                    let a = Vector3::new(noise, 0.1 * bounce, 1.0 + bounce + noise);
                    flexion = (flexion + (rng.unit() - 0.5) * 3.0).clamp(-30.0, 50.0);
                    let angles = angles(flexion);
                    let angles = (rng.unit() > 0.02).then_some(&angles);
                    let s_new = new.update(cfg, t, dt, &a, angles);
                    let s_old = old.update(cfg, t, dt, &a, angles);
                    assert_eq!(s_new, s_old, "config {c} seed {seed} at {t}");
                    assert_eq!(new.activity_g().to_bits(), old.activity_g().to_bits());
                    assert_eq!(
                        new.rhythm_hz(t, cfg.gait_min_hz).map(f64::to_bits),
                        old.rhythm_hz(t, cfg.gait_min_hz).map(f64::to_bits)
                    );
                    seen[s_new.index()] += 1;
                }
            }
        }
        // Every state but no_data (which the classifier never gives) came up often.
        assert!(seen[..5].iter().all(|&n| n > 1_000), "{seen:?}");
    }
}
