//! Filter settings in real units, converted once into VQF's parameters.

use serde::{Deserialize, Serialize};

/// Orientation filter settings. Every field carries its unit in its name.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FusionSettings {
    /// Time constant of the accelerometer low-pass in the inertial frame, in seconds. Larger trusts
    /// the gyroscope longer, which rides out typing and walking; smaller corrects drift faster.
    /// VQF's default, 3 s, is what the accuracy figures in BENCHMARKS.md use.
    pub tau_acc_s: f64,
    /// Estimate the gyroscope bias while the sensor is moving.
    pub motion_bias_estimation: bool,
    /// Estimate the gyroscope bias while the sensor rests (fast and precise; a desk worker rests a lot).
    pub rest_bias_estimation: bool,
    /// Initial bias uncertainty, deg/s.
    pub bias_sigma_init_dps: f64,
    /// Bias estimates are clipped to this magnitude, deg/s.
    pub bias_clip_dps: f64,
    /// How long the sensor must be still before rest is detected, seconds.
    pub rest_min_s: f64,
    /// Rest detection: gyroscope deviation threshold, deg/s.
    pub rest_gyro_threshold_dps: f64,
    /// Rest detection: accelerometer deviation threshold, g.
    pub rest_accel_threshold_g: f64,
    /// A gap between samples longer than this (seconds) re-initialises the filter: the gyroscope
    /// cannot be integrated across it, so the orientation restarts from the accelerometer.
    pub reinit_gap_s: f64,
    /// How long after a (re)start the orientation is flagged as still initialising, seconds.
    pub initialising_s: f64,
    /// Posture up-vector: while the specific force is this steady (standard deviation, g) the
    /// sensor is quasi-static and the accelerometer alone gives the inclination; above twice
    /// this, the filter's estimate is used; in between, a blend.
    pub static_accel_std_g: f64,
    /// Time constant of the quasi-static accelerometer average and of the blend, seconds.
    pub static_tau_s: f64,
}

impl FusionSettings {
    /// Defaults: VQF's published defaults, with the gap and initialising times chosen for a worn
    /// sensor whose USB link may drop out.
    pub const DEFAULT: Self = Self {
        tau_acc_s: 3.0,
        motion_bias_estimation: true,
        rest_bias_estimation: true,
        bias_sigma_init_dps: 0.5,
        bias_clip_dps: 2.0,
        rest_min_s: 1.5,
        rest_gyro_threshold_dps: 2.0,
        rest_accel_threshold_g: 0.5 / STANDARD_GRAVITY,
        reinit_gap_s: 1.0,
        initialising_s: 1.0,
        static_accel_std_g: 0.01,
        static_tau_s: 0.4,
    };

    /// VQF's parameters (which take m/s² and rad/s internally) from these settings.
    pub(crate) fn vqf_params(&self) -> vqf_rs::Params {
        vqf_rs::Params {
            tau_acc: self.tau_acc_s,
            motion_bias_est_enabled: self.motion_bias_estimation,
            rest_bias_est_enabled: self.rest_bias_estimation,
            mag_dist_rejection_enabled: false,
            bias_sigma_init: self.bias_sigma_init_dps,
            bias_clip: self.bias_clip_dps,
            rest_min_t: self.rest_min_s,
            rest_th_gyr: self.rest_gyro_threshold_dps,
            rest_th_acc: self.rest_accel_threshold_g * STANDARD_GRAVITY,
            ..Default::default()
        }
    }
}

impl Default for FusionSettings {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Standard gravity in m/s², to turn g into the m/s² VQF's thresholds are written in.
pub const STANDARD_GRAVITY: f64 = 9.80665;
