//! The orientation filter adapter around VQF.

use nalgebra::{Quaternion, UnitQuaternion, Vector3};
use vqf_rs::VQF;

use super::settings::{FusionSettings, STANDARD_GRAVITY};
use crate::sample::ImuSample;

/// Conditions of the estimate a UI can show next to the angles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoseFlags {
    /// The filter started (or restarted) less than `initialising_s` ago; the inclination is
    /// settling.
    pub initialising: bool,
    /// The sensor is at rest (VQF's rest detection); the gyroscope bias is being learned.
    pub resting: bool,
    /// This sample restarted the filter after a gap longer than `reinit_gap_s`.
    pub restarted: bool,
    /// The measured specific force is far from 1 g (|‖a‖ − 1| > 0.1 g): the body is
    /// accelerating, so the accelerometer says little about gravity right now.
    pub accelerating: bool,
    /// The sensor is quasi-static: the posture up-vector comes (mostly) from the accelerometer.
    pub quasi_static: bool,
}

/// The filter's output for one sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pose {
    /// Time of the sample, seconds.
    pub t_s: f64,
    /// Rotation taking sensor-frame vectors into the earth frame (z up). Heading is arbitrary.
    pub world_from_sensor: UnitQuaternion<f64>,
    /// Current gyroscope bias estimate, deg/s (sensor frame).
    pub gyro_bias_dps: Vector3<f64>,
    /// The earth's up direction in the sensor frame (unit) for posture: the filter's estimate,
    /// or while the sensor is quasi-static, the averaged accelerometer (see `QuasiStatic`).
    pub up_s: Vector3<f64>,
    pub flags: PoseFlags,
}

impl Pose {
    /// The earth's up direction expressed in the sensor frame (unit vector): what calibration and
    /// the angles are computed from.
    pub fn up_in_sensor(&self) -> Vector3<f64> {
        self.up_s
    }

    /// The up direction implied by the orientation quaternion alone.
    pub fn filter_up_in_sensor(&self) -> Vector3<f64> {
        self.world_from_sensor
            .inverse_transform_vector(&Vector3::z())
    }
}

/// Quasi-static inclination from the accelerometer.
///
/// Why: VQF's rest detection cannot tell a slow, steady rotation (a slouch creeping in at
/// 0.2–0.5 deg/s) from gyroscope bias, so during such a creep its rest-bias estimate absorbs the
/// real rotation and the inclination lags by a degree or two — enough to delay a slouch alert by
/// several seconds. While the specific force is steady, though, the body is not accelerating and
/// the averaged accelerometer *is* the up direction, without lag from the bias. So the posture
/// up-vector follows the accelerometer when quasi-static and the filter otherwise, blended
/// smoothly. The orientation quaternion itself stays VQF's.
#[derive(Debug, Clone, Copy)]
struct QuasiStatic {
    mean_g: Option<Vector3<f64>>,
    var_g2: f64,
    weight: f64,
}

impl QuasiStatic {
    const fn new() -> Self {
        Self {
            mean_g: None,
            var_g2: 1.0,
            weight: 0.0,
        }
    }

    /// Updates with one sample and returns the blended up-vector.
    fn update(
        &mut self,
        settings: &FusionSettings,
        dt_s: f64,
        accel_g: &Vector3<f64>,
        filter_up: &Vector3<f64>,
    ) -> Vector3<f64> {
        let alpha = (dt_s / settings.static_tau_s).clamp(0.0, 1.0);
        let mean = match self.mean_g {
            None => *accel_g,
            Some(m) => {
                let d = accel_g - m;
                self.var_g2 += alpha * (d.norm_squared() - self.var_g2);
                m + d * alpha
            }
        };
        self.mean_g = Some(mean);
        let std_g = self.var_g2.sqrt();
        let lo = settings.static_accel_std_g;
        let target = if lo <= 0.0 || (mean.norm() - 1.0).abs() > 0.05 {
            0.0
        } else {
            ((2.0 * lo - std_g) / lo).clamp(0.0, 1.0)
        };
        self.weight += alpha * (target - self.weight);
        match mean.try_normalize(1e-9) {
            Some(acc_up) if self.weight > 1e-3 => (acc_up * self.weight
                + filter_up * (1.0 - self.weight))
                .try_normalize(1e-9)
                .unwrap_or(*filter_up),
            _ => *filter_up,
        }
    }
}

/// After this many samples at a new rate, the filter's coefficients follow the measured rate.
const RATE_TRACK_MIN_SAMPLES: u64 = 200;
/// Consecutive steps longer than 2.5 sample periods after which the rate is taken to be slower.
const RATE_TRACK_LONG_RUN: u32 = 50;
/// Relative difference between measured and configured sample period that triggers re-tuning.
const RATE_TRACK_TOLERANCE: f64 = 0.2;
/// Sample periods outside this range (seconds) are clamped: 1 kHz+ and slower than 1 Hz.
const DT_RANGE_S: (f64, f64) = (1e-4, 1.0);

/// Accelerometer + gyroscope → orientation, one sample at a time, using each sample's own
/// timestamp for the integration step.
pub struct OrientationFilter {
    settings: FusionSettings,
    rate_hint_hz: Option<f64>,
    vqf: Option<VQF>,
    /// Sample period the VQF coefficients were computed for, seconds.
    nominal_dt_s: f64,
    /// Running average of the measured sample period, seconds.
    dt_avg_s: f64,
    samples_since_tune: u64,
    /// Run of consecutive long steps (count, summed seconds).
    long_steps: (u32, f64),
    /// First sample after a (re)start when the rate is not known yet: fed once the second
    /// sample gives the period.
    pending: Option<ImuSample>,
    last_t_s: Option<f64>,
    started_at_s: f64,
    /// Bias carried over a restart: a gap does not change the gyroscope.
    carried_bias_rps: Option<[f64; 3]>,
    restart_pending: bool,
    /// A restart since the last output: the posture half starts its average over
    /// ([`FilterOutput::fresh`]).
    fresh: bool,
    restarts: u64,
    /// The posture half's state ([`OrientationFilter::finish`]).
    last: Option<Pose>,
    quasi_static: QuasiStatic,
}

/// What the filter half of [`OrientationFilter::update`] gives for one sample: VQF's raw
/// estimate and the conditions around it, before the posture half ([`OrientationFilter::finish`])
/// turns it into a [`Pose`].
///
/// Why two halves: VQF is three quarters of a sample's work and runs strictly in order, so the
/// headless replay runs this half alone on a thread of its own (`session::FilterAhead`) and the
/// rest, which needs only this and the sample, beside the posture on the driver's thread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FilterOutput {
    step: FilterStep,
    /// VQF's 6D quaternion (w, x, y, z), as it gave it.
    q: [f64; 4],
    /// VQF's (or the carried) gyroscope bias, rad/s.
    bias_rps: [f64; 3],
    /// The step the quasi-static average takes, seconds.
    dt_s: f64,
    /// Flags known to the filter half (`quasi_static` is the posture half's).
    flags: PoseFlags,
    /// The first estimate after a (re)start: checked against the accelerometer.
    first_after_start: bool,
    /// The filter restarted since the previous output: the quasi-static average starts over.
    fresh: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum FilterStep {
    /// VQF filtered the sample.
    Filtered,
    /// The rate is not known yet: the accelerometer's inclination stands in.
    Tilt,
    /// The sample was not used (not finite): the previous pose stands, or this default.
    Ignored { initialising: bool },
}

impl OrientationFilter {
    /// `rate_hint_hz` (e.g. from the session metadata) lets the first sample be filtered
    /// directly; without it the rate is measured from the first two samples.
    pub fn new(settings: FusionSettings, rate_hint_hz: Option<f64>) -> Self {
        Self {
            settings,
            rate_hint_hz: rate_hint_hz.filter(|r| r.is_finite() && *r > 0.0),
            vqf: None,
            nominal_dt_s: 0.01,
            dt_avg_s: 0.01,
            samples_since_tune: 0,
            long_steps: (0, 0.0),
            pending: None,
            last_t_s: None,
            started_at_s: 0.0,
            carried_bias_rps: None,
            restart_pending: false,
            fresh: false,
            restarts: 0,
            last: None,
            quasi_static: QuasiStatic::new(),
        }
    }

    pub fn settings(&self) -> &FusionSettings {
        &self.settings
    }

    /// How many times a gap restarted the filter.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// Sample period the filter is tuned for, seconds (the measured one once known).
    pub fn sample_period_s(&self) -> f64 {
        self.nominal_dt_s
    }

    /// Forgets the orientation (keeps the learned gyroscope bias), e.g. after the sensor was
    /// re-plugged.
    pub fn restart(&mut self) {
        if let Some(vqf) = &self.vqf {
            self.carried_bias_rps = Some(vqf.bias_estimate().0);
        }
        self.vqf = None;
        self.pending = None;
        self.last_t_s = None;
        self.restart_pending = true;
        self.fresh = true;
        self.quasi_static = QuasiStatic::new();
    }

    /// Takes over the posture half's state of `other`, the stand-in that ran
    /// [`Self::finish`] while this filter ran [`Self::filter`] elsewhere.
    pub fn adopt_posture_half(&mut self, other: &OrientationFilter) {
        self.last = other.last;
        self.quasi_static = other.quasi_static;
    }

    fn create(&mut self, dt_s: f64, t_s: f64) {
        let dt_s = dt_s.clamp(DT_RANGE_S.0, DT_RANGE_S.1);
        let mut vqf = VQF::new(dt_s, None, None, Some(self.settings.vqf_params()));
        if let Some(bias) = self.carried_bias_rps {
            vqf.set_bias_estimate(bias, None);
        }
        self.vqf = Some(vqf);
        self.nominal_dt_s = dt_s;
        self.dt_avg_s = dt_s;
        self.samples_since_tune = 0;
        self.long_steps = (0, 0.0);
        self.started_at_s = t_s;
    }

    /// Rebuilds VQF's coefficients for a new sample rate, keeping its whole state.
    fn retune(&mut self, dt_s: f64) {
        let Some(old) = &self.vqf else { return };
        let dt_s = dt_s.clamp(DT_RANGE_S.0, DT_RANGE_S.1);
        let state = *old.state();
        let mut vqf = VQF::new(dt_s, None, None, Some(self.settings.vqf_params()));
        *vqf.state_mut() = state;
        self.vqf = Some(vqf);
        self.nominal_dt_s = dt_s;
        self.samples_since_tune = 0;
    }

    fn feed(vqf: &mut VQF, s: &ImuSample, dt_s: f64) {
        let gyro_rps = s.gyro_dps.map(f64::to_radians);
        let accel_ms2 = s.accel_g * STANDARD_GRAVITY;
        vqf.update_gyr_with_ts([gyro_rps.x, gyro_rps.y, gyro_rps.z], dt_s);
        vqf.update_acc([accel_ms2.x, accel_ms2.y, accel_ms2.z]);
    }

    /// Filters one sample. Samples with non-finite values are ignored (the previous pose is
    /// returned with the new time).
    pub fn update(&mut self, s: &ImuSample) -> Pose {
        let out = self.filter(s);
        self.finish(s, &out)
    }

    /// The filter half of [`Self::update`]: VQF and what it needs (rate, restarts, the first
    /// sample's wait for a rate). Touches none of the posture half's state.
    pub fn filter(&mut self, s: &ImuSample) -> FilterOutput {
        let finite = s.t_s.is_finite()
            && s.accel_g.iter().all(|v| v.is_finite())
            && s.gyro_dps.iter().all(|v| v.is_finite());
        if !finite {
            return self.output(FilterStep::Ignored { initialising: true });
        }

        let gap_s = self.last_t_s.map(|t| s.t_s - t);
        if gap_s.is_some_and(|g| g > self.settings.reinit_gap_s) {
            self.restart();
            self.restarts += 1;
        }
        let restarted = std::mem::take(&mut self.restart_pending) && self.vqf.is_none();
        let first_after_start = self.vqf.is_none();

        if self.vqf.is_none() {
            if let Some(rate) = self.rate_hint_hz {
                self.create(1.0 / rate, s.t_s);
            } else if let Some(p) = self.pending.take().filter(|p| s.t_s > p.t_s) {
                let dt = s.t_s - p.t_s;
                self.create(dt, p.t_s);
                if let Some(vqf) = &mut self.vqf {
                    Self::feed(vqf, &p, self.nominal_dt_s);
                }
                self.last_t_s = Some(p.t_s);
            } else {
                // Rate unknown until the next sample: show the accelerometer's inclination.
                self.pending = Some(*s);
                self.last_t_s = Some(s.t_s);
                let mut out = self.output(FilterStep::Tilt);
                out.bias_rps = self.carried_bias_rps.unwrap_or_default();
                out.flags = PoseFlags {
                    initialising: true,
                    restarted,
                    accelerating: is_accelerating(&s.accel_g),
                    resting: false,
                    quasi_static: false,
                };
                return out;
            }
        }

        let dt_s = match self.last_t_s {
            Some(t) => (s.t_s - t).max(0.0),
            None => self.nominal_dt_s,
        };
        // Track the real rate from ordinary steps (not gaps), so a device that changes its rate
        // keeps correctly tuned filters.
        if dt_s > 0.0 && dt_s < 2.5 * self.nominal_dt_s {
            self.long_steps = (0, 0.0);
            self.dt_avg_s += 0.01 * (dt_s - self.dt_avg_s);
            self.samples_since_tune += 1;
            if self.samples_since_tune > RATE_TRACK_MIN_SAMPLES
                && (self.dt_avg_s / self.nominal_dt_s - 1.0).abs() > RATE_TRACK_TOLERANCE
            {
                self.retune(self.dt_avg_s);
            }
        } else if dt_s >= 2.5 * self.nominal_dt_s {
            // A dropout is an isolated long step; a long run of them means the real rate is far
            // below the one announced (a wrong `rate_hz` hint): follow it.
            let (n, sum) = &mut self.long_steps;
            *n += 1;
            *sum += dt_s;
            if *n >= RATE_TRACK_LONG_RUN {
                let dt = *sum / f64::from(*n);
                self.long_steps = (0, 0.0);
                self.retune(dt);
                self.dt_avg_s = self.nominal_dt_s;
            }
        }
        let Some(vqf) = &mut self.vqf else {
            // Unreachable in practice: create() always sets it. Keep the last pose.
            return self.output(FilterStep::Ignored {
                initialising: false,
            });
        };
        Self::feed(vqf, s, dt_s.min(DT_RANGE_S.1));
        self.last_t_s = Some(s.t_s);

        let q = vqf.quat_6d();
        let (bias_rps, _sigma) = vqf.bias_estimate();
        let resting = vqf.rest_detected();
        FilterOutput {
            step: FilterStep::Filtered,
            q: [q.0, q.1, q.2, q.3],
            bias_rps,
            dt_s,
            flags: PoseFlags {
                initialising: s.t_s - self.started_at_s < self.settings.initialising_s,
                resting,
                restarted,
                accelerating: is_accelerating(&s.accel_g),
                quasi_static: false,
            },
            first_after_start,
            fresh: std::mem::take(&mut self.fresh),
        }
    }

    /// An output with nothing in it but `step` (and the restart news).
    fn output(&mut self, step: FilterStep) -> FilterOutput {
        FilterOutput {
            step,
            q: [1.0, 0.0, 0.0, 0.0],
            bias_rps: [0.0; 3],
            dt_s: 0.0,
            flags: PoseFlags::default(),
            first_after_start: false,
            fresh: std::mem::take(&mut self.fresh),
        }
    }

    /// The posture half of [`Self::update`]: the pose of `s` from the filter half's `out` (the
    /// orientation as a unit quaternion, the posture up-vector with its quasi-static blend).
    /// Touches none of the filter half's state.
    pub fn finish(&mut self, s: &ImuSample, out: &FilterOutput) -> Pose {
        if out.fresh {
            self.quasi_static = QuasiStatic::new();
        }
        let (world_from_sensor, dt_s) = match out.step {
            FilterStep::Ignored { initialising } => {
                return self.last.map_or_else(
                    || Pose {
                        t_s: s.t_s,
                        world_from_sensor: UnitQuaternion::identity(),
                        gyro_bias_dps: Vector3::zeros(),
                        up_s: Vector3::z(),
                        flags: PoseFlags {
                            initialising,
                            ..Default::default()
                        },
                    },
                    |p| Pose { t_s: s.t_s, ..p },
                );
            }
            FilterStep::Tilt => (tilt_from_accel(&s.accel_g), 0.0),
            FilterStep::Filtered => {
                let [w, i, j, k] = out.q;
                let mut world_from_sensor =
                    UnitQuaternion::from_quaternion(Quaternion::new(w, i, j, k));
                if out.first_after_start {
                    // VQF's very first estimate can be off when the accelerometer points
                    // straight down; the accelerometer's own inclination is the better answer
                    // for that one sample.
                    let up = world_from_sensor.inverse_transform_vector(&Vector3::z());
                    if s.accel_g.norm() > 0.0 && up.angle(&s.accel_g) > 5f64.to_radians() {
                        world_from_sensor = tilt_from_accel(&s.accel_g);
                    }
                }
                (world_from_sensor, out.dt_s)
            }
        };
        let filter_up = world_from_sensor.inverse_transform_vector(&Vector3::z());
        let up_s = self
            .quasi_static
            .update(&self.settings, dt_s, &s.accel_g, &filter_up);
        let pose = Pose {
            t_s: s.t_s,
            world_from_sensor,
            gyro_bias_dps: Vector3::from(out.bias_rps).map(f64::to_degrees),
            up_s,
            flags: PoseFlags {
                quasi_static: out.step == FilterStep::Filtered && self.quasi_static.weight > 0.5,
                ..out.flags
            },
        };
        self.last = Some(pose);
        pose
    }
}

fn is_accelerating(accel_g: &Vector3<f64>) -> bool {
    (accel_g.norm() - 1.0).abs() > 0.1
}

/// The orientation (with zero heading choice) whose up direction is the measured specific force.
fn tilt_from_accel(accel_g: &Vector3<f64>) -> UnitQuaternion<f64> {
    if accel_g.norm() == 0.0 {
        return UnitQuaternion::identity();
    }
    UnitQuaternion::rotation_between(accel_g, &Vector3::z()).unwrap_or_else(|| {
        // Antiparallel: upside down; any half turn about a horizontal axis will do.
        UnitQuaternion::from_axis_angle(&Vector3::x_axis(), std::f64::consts::PI)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn still(t: f64, up: Vector3<f64>, bias: [f64; 3]) -> ImuSample {
        ImuSample::new(t, [up.x, up.y, up.z], bias)
    }

    #[test]
    fn the_two_halves_apart_give_update_exactly() {
        // No rate hint (the first sample waits for a rate), a slow lean (the quasi-static
        // blend), non-finite samples, a gap that restarts, and restarts from outside.
        let samples: Vec<ImuSample> = (0..3000)
            .map(|i| {
                let t = f64::from(i) * 0.01 + if i >= 1500 { 4.0 } else { 0.0 };
                let a = (f64::from(i) * 0.02).to_radians();
                let mut s = still(t, Vector3::new(a.sin(), 0.1, a.cos()), [0.4, -0.2, 0.1]);
                if i % 997 == 0 {
                    s.accel_g.x = f64::NAN;
                }
                s
            })
            .collect();
        let restarts_at = [700, 701, 2200];
        let mut whole = OrientationFilter::new(FusionSettings::default(), None);
        let mut ahead = OrientationFilter::new(FusionSettings::default(), None);
        let mut stand_in = OrientationFilter::new(FusionSettings::default(), None);
        stand_in.adopt_posture_half(&ahead);
        for (i, s) in samples.iter().enumerate() {
            if restarts_at.contains(&i) {
                whole.restart();
                ahead.restart();
                stand_in.restart();
            }
            let out = ahead.filter(s);
            assert_eq!(whole.update(s), stand_in.finish(s, &out), "sample {i}");
        }
        assert_eq!(whole.restarts(), 1);
        assert_eq!(ahead.restarts(), 1);
        ahead.adopt_posture_half(&stand_in);
        let next = still(35.0, Vector3::z(), [0.0; 3]);
        assert_eq!(whole.update(&next), ahead.update(&next));
    }

    #[test]
    fn at_rest_the_up_vector_matches_the_accelerometer_and_bias_is_learned() {
        let up = Vector3::new(0.3, -0.5, 0.8).normalize();
        let mut f = OrientationFilter::new(FusionSettings::default(), None);
        let mut pose = None;
        for i in 0..3000 {
            pose = Some(f.update(&still(i as f64 * 0.01, up, [0.4, -0.3, 0.2])));
        }
        let pose = pose.unwrap_or_else(|| panic!("no pose"));
        assert!(pose.up_in_sensor().angle(&up).to_degrees() < 0.2);
        assert!(pose.flags.resting);
        assert!(!pose.flags.initialising);
        assert!(
            (pose.gyro_bias_dps - Vector3::new(0.4, -0.3, 0.2)).norm() < 0.05,
            "{}",
            pose.gyro_bias_dps
        );
    }

    #[test]
    fn first_sample_upside_down_is_right_immediately() {
        let mut f = OrientationFilter::new(FusionSettings::default(), Some(100.0));
        let p = f.update(&still(0.0, -Vector3::z(), [0.0; 3]));
        assert!(p.up_in_sensor().angle(&-Vector3::z()).to_degrees() < 1.0);
        let mut g = OrientationFilter::new(FusionSettings::default(), None);
        let p = g.update(&still(0.0, -Vector3::z(), [0.0; 3]));
        assert!(p.up_in_sensor().angle(&-Vector3::z()).to_degrees() < 1.0);
        assert!(p.flags.initialising);
    }

    #[test]
    fn a_long_gap_restarts_and_keeps_the_bias() {
        let up = Vector3::z();
        let mut f = OrientationFilter::new(FusionSettings::default(), None);
        for i in 0..2000 {
            f.update(&still(i as f64 * 0.01, up, [0.5, 0.0, 0.0]));
        }
        let before = f.update(&still(20.0, up, [0.5, 0.0, 0.0]));
        // The sensor comes back 10 s later, tilted 90°.
        let tilted = Vector3::x();
        let p = f.update(&still(30.0, tilted, [0.5, 0.0, 0.0]));
        assert!(p.flags.restarted && p.flags.initialising);
        assert_eq!(f.restarts(), 1);
        assert!(p.up_in_sensor().angle(&tilted).to_degrees() < 1.0);
        let p = f.update(&still(30.01, tilted, [0.5, 0.0, 0.0]));
        assert!(!p.flags.restarted);
        assert!(p.up_in_sensor().angle(&tilted).to_degrees() < 1.0);
        assert!((p.gyro_bias_dps - before.gyro_bias_dps).norm() < 0.05);
    }

    #[test]
    fn follows_rotation_at_irregular_rates() {
        // Rotate 90° about x at 30 deg/s with jittered sample spacing around 25 Hz.
        let mut f = OrientationFilter::new(FusionSettings::default(), None);
        let mut t = 0.0;
        let mut angle: f64 = 0.0;
        let mut k = 0u32;
        while t < 10.0 {
            let rate = if (2.0..5.0).contains(&t) { 30.0 } else { 0.0 };
            let up = Vector3::new(0.0, angle.to_radians().sin(), angle.to_radians().cos());
            let p = f.update(&ImuSample::new(t, [up.x, up.y, up.z], [rate, 0.0, 0.0]));
            if t > 6.0 {
                assert!(p.up_in_sensor().angle(&up).to_degrees() < 2.0);
            }
            k += 1;
            let dt = 0.04 * (1.0 + 0.3 * ((k * 7919 % 13) as f64 / 13.0 - 0.5));
            t += dt;
            angle += rate * dt;
        }
    }

    #[test]
    fn rate_is_measured_and_followed() {
        let mut f = OrientationFilter::new(FusionSettings::default(), Some(100.0));
        for i in 0..1000 {
            f.update(&still(i as f64 * 0.001, Vector3::z(), [0.0; 3]));
        }
        assert!(
            (f.sample_period_s() - 0.001).abs() < 0.0003,
            "{}",
            f.sample_period_s()
        );
    }

    #[test]
    fn a_rate_hint_far_too_high_is_corrected() {
        // Announced 1000 Hz, really 100 Hz.
        let mut f = OrientationFilter::new(FusionSettings::default(), Some(1000.0));
        for i in 0..500 {
            f.update(&still(i as f64 * 0.01, Vector3::z(), [0.0; 3]));
        }
        assert!(
            (f.sample_period_s() - 0.01).abs() < 0.001,
            "{}",
            f.sample_period_s()
        );
    }

    #[test]
    fn non_finite_input_is_ignored() {
        let mut f = OrientationFilter::new(FusionSettings::default(), None);
        f.update(&still(0.0, Vector3::z(), [0.0; 3]));
        let p = f.update(&ImuSample::new(0.01, [f64::NAN, 0.0, 1.0], [0.0; 3]));
        assert!(
            p.world_from_sensor
                .quaternion()
                .coords
                .iter()
                .all(|v| v.is_finite())
        );
    }
}
