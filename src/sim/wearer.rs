//! The wearer's body and the sensor on it: script pose → trunk kinematics → IMU readings.
//!
//! Model: the trunk is a rigid segment pivoting about the hip. The sensor sits on the back,
//! `SENSOR_IN_TRUNK_M = (−0.10, 0, 0.45)` m from the pivot in the trunk frame, so its world
//! position is `p = hip + world_from_trunk · r`. The hip is fixed while seated, rises 0.45 m
//! when standing up, and while walking moves at the walking speed along the heading with step
//! bounce, surge and sway. The accelerometer reports the specific force
//! `sensor_from_world · (p̈ / 9.81 + ẑ)` in g, the gyroscope the body-frame angular velocity of
//! `world_from_sensor` in deg/s. Both are computed in closed form from exact time derivatives
//! of the same trajectory (see `jet.rs`), so they are mutually consistent to rounding error.

use std::f64::consts::{PI, TAU};

use nalgebra::{Matrix3, Quaternion, Rotation3, UnitQuaternion, Vector3};

use super::rng::Rng;
use super::script::{Activity, PoseJets, Script, wrap_deg};
use crate::sample::ImuSample;

/// Gravity (m/s²) used to express accelerations in g, as the sensor convention prescribes.
pub const G_MPS2: f64 = 9.81;
/// Sensor position relative to the hip pivot in the trunk frame (m): 10 cm behind the spine
/// axis (on the back), 45 cm up.
pub const SENSOR_IN_TRUNK_M: [f64; 3] = [-0.10, 0.0, 0.45];

const DEG: f64 = PI / 180.0;

/// How the sensor is attached to the trunk (`trunk_from_sensor`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mount {
    /// Any orientation at all, uniformly distributed over rotations (drawn from the seed).
    /// Why the default: the main crate must not assume how the clip is worn.
    Random,
    /// The clip as usually worn: sensor x up the spine, y to the wearer's left, z out of the
    /// back (`Ry(−90°)`), then tilted by up to 10° about a random axis for a sloppy clip.
    Typical,
    /// Exactly this `trunk_from_sensor`.
    Fixed(UnitQuaternion<f64>),
}

/// Simulator settings. Out-of-range values are clamped, not rejected.
#[derive(Debug, Clone, PartialEq)]
pub struct SimOptions {
    /// Output rate (Hz), clamped to 25–1000 (non-finite → 100).
    pub rate_hz: f64,
    /// Seed for the mount, bias, noise and dropouts (the script has its own seed).
    pub seed: u64,
    /// Sensor mounting.
    pub mount: Mount,
    /// Constant gyroscope bias (deg/s per sensor axis); `None` draws each axis uniformly in
    /// ±`max_gyro_bias_dps`.
    pub gyro_bias_dps: Option<[f64; 3]>,
    /// Bound (deg/s) for a randomly drawn bias.
    pub max_gyro_bias_dps: f64,
    /// White gyroscope noise σ (deg/s per axis).
    pub gyro_noise_dps: f64,
    /// White accelerometer noise σ (g per axis).
    pub accel_noise_g: f64,
    /// Probability per sample that a dropout burst starts there (clamped to 0–1).
    pub dropout_prob: f64,
    /// Longest dropout burst (samples); bursts are uniformly 1..=this long.
    pub dropout_max_samples: u32,
    /// One long gap `(start_s, duration_s)` with no samples, to exercise re-initialisation.
    pub long_gap: Option<(f64, f64)>,
    /// Round outputs to 1e-5 g and 1e-3 deg/s, like a typical serial protocol.
    pub quantize: bool,
}

impl Default for SimOptions {
    /// 100 Hz, seed 0, random mount, random bias up to ±1 deg/s, gyro noise 0.05 deg/s,
    /// accel noise 0.004 g, dropouts starting with probability 2e-4 per sample (about one
    /// burst per 50 s at 100 Hz), bursts up to 20 samples, no long gap, quantized.
    fn default() -> Self {
        Self {
            rate_hz: 100.0,
            seed: 0,
            mount: Mount::Random,
            gyro_bias_dps: None,
            max_gyro_bias_dps: 1.0,
            gyro_noise_dps: 0.05,
            accel_noise_g: 0.004,
            dropout_prob: 2e-4,
            dropout_max_samples: 20,
            long_gap: None,
            quantize: true,
        }
    }
}

impl SimOptions {
    /// A perfect sensor: no bias, no noise, no dropouts, no rounding; random mount from `seed`.
    /// Why: consistency tests compare against truth without statistical slack.
    pub fn ideal(rate_hz: f64, seed: u64) -> Self {
        Self {
            rate_hz,
            seed,
            gyro_bias_dps: Some([0.0; 3]),
            gyro_noise_dps: 0.0,
            accel_noise_g: 0.0,
            dropout_prob: 0.0,
            quantize: false,
            ..Self::default()
        }
    }
}

/// Ground truth for one emitted sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TruthSample {
    /// Same time (s) as the sample.
    pub t_s: f64,
    /// Spine flexion (deg, positive forward) relative to upright.
    pub flexion_deg: f64,
    /// Side bend (deg, positive to the wearer's right).
    pub lateral_deg: f64,
    /// Heading of the trunk's forward axis (deg, in (−180, 180], counter-clockwise from world x).
    pub heading_deg: f64,
    /// What the wearer is doing.
    pub activity: Activity,
    /// True sensor orientation.
    pub world_from_sensor: UnitQuaternion<f64>,
    /// True trunk orientation `Rz(heading)·Rx(lateral)·Ry(flexion)`.
    pub world_from_trunk: UnitQuaternion<f64>,
}

/// Full trunk state at one instant, for tests that need more than the angles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrunkState {
    /// Time (s).
    pub t_s: f64,
    /// Flexion θ (deg).
    pub flexion_deg: f64,
    /// Side bend φ (deg, positive right).
    pub lateral_deg: f64,
    /// Heading ψ (deg, wrapped to (−180, 180]).
    pub heading_deg: f64,
    /// `Rz(ψ)·Rx(φ)·Ry(θ)`.
    pub world_from_trunk: UnitQuaternion<f64>,
    /// Angular velocity of the trunk in the trunk frame (rad/s).
    pub omega_trunk_rps: Vector3<f64>,
    /// Specific force at the sensor location in the trunk frame (g).
    pub specific_force_trunk_g: Vector3<f64>,
    /// What the wearer is doing.
    pub activity: Activity,
}

/// Kinematics derived from a pose, in the trunk frame.
struct Kinematics {
    world_from_trunk: Matrix3<f64>,
    omega_trunk_rps: Vector3<f64>,
    specific_force_trunk_g: Vector3<f64>,
}

/// Builds `R = Rz(ψ)·Rx(φ)·Ry(θ)` with its derivatives, then ω = vee(Rᵀ·Ṙ) and the specific
/// force `Rᵀ·((hip̈ + R̈·r)/g + ẑ)`.
fn kinematics(p: &PoseJets) -> Kinematics {
    let (st, ct) = (p.flex_deg * DEG).sin_cos();
    let (sf, cf) = (p.lat_deg * DEG).sin_cos();
    let (sp, cp) = (p.heading_deg * DEG).sin_cos();
    // Rx(φ)·Ry(θ) = [[cθ, 0, sθ], [sφ sθ, cφ, −sφ cθ], [−cφ sθ, sφ, cφ cθ]]; then Rz(ψ) mixes
    // the first two rows.
    let sf_st = sf * st;
    let sf_ct = sf * ct;
    let r00 = cp * ct - sp * sf_st;
    let r01 = -(sp * cf);
    let r02 = cp * st + sp * sf_ct;
    let r10 = sp * ct + cp * sf_st;
    let r11 = cp * cf;
    let r12 = sp * st - cp * sf_ct;
    let r20 = -(cf * st);
    let r21 = sf;
    let r22 = cf * ct;
    let r = Matrix3::new(
        r00.v, r01.v, r02.v, r10.v, r11.v, r12.v, r20.v, r21.v, r22.v,
    );
    let rd = Matrix3::new(
        r00.d, r01.d, r02.d, r10.d, r11.d, r12.d, r20.d, r21.d, r22.d,
    );
    let om = r.transpose() * rd;
    let omega = Vector3::new(
        0.5 * (om[(2, 1)] - om[(1, 2)]),
        0.5 * (om[(0, 2)] - om[(2, 0)]),
        0.5 * (om[(1, 0)] - om[(0, 1)]),
    );
    let [rx, _, rz] = SENSOR_IN_TRUNK_M;
    let arm = Vector3::new(
        r00.a * rx + r02.a * rz,
        r10.a * rx + r12.a * rz,
        r20.a * rx + r22.a * rz,
    );
    let [hx, hy, hz] = p.hip_acc_mps2;
    let a_world = Vector3::new(hx, hy, hz) + arm;
    let f_world = a_world / G_MPS2 + Vector3::z();
    Kinematics {
        world_from_trunk: r,
        omega_trunk_rps: omega,
        specific_force_trunk_g: r.transpose() * f_world,
    }
}

fn quat_from_matrix(r: &Matrix3<f64>) -> UnitQuaternion<f64> {
    UnitQuaternion::from_rotation_matrix(&Rotation3::from_matrix_unchecked(*r))
}

impl Script {
    /// The full trunk state at `t_s` (clamped to the script).
    pub fn trunk_state(&self, t_s: f64) -> TrunkState {
        let mut cursor = self.piece_index(t_s);
        let pose = self.pose_at(t_s, &mut cursor);
        let k = kinematics(&pose);
        TrunkState {
            t_s,
            flexion_deg: pose.flex_deg.v,
            lateral_deg: pose.lat_deg.v,
            heading_deg: wrap_deg(pose.heading_deg.v),
            world_from_trunk: quat_from_matrix(&k.world_from_trunk),
            omega_trunk_rps: k.omega_trunk_rps,
            specific_force_trunk_g: k.specific_force_trunk_g,
            activity: pose.activity,
        }
    }
}

/// Streams `(ImuSample, TruthSample)` pairs for a script, one per sample time
/// `t = n / rate_hz` for `n = 0, 1, …` while `t ≤ script.duration_s()`, minus dropouts.
///
/// Memory is constant in the length of the day: each sample is computed on demand.
#[derive(Debug, Clone)]
pub struct Simulator {
    script: Script,
    rate_hz: f64,
    mount: UnitQuaternion<f64>,
    sensor_from_trunk: Matrix3<f64>,
    bias_dps: Vector3<f64>,
    gyro_noise_dps: f64,
    accel_noise_g: f64,
    dropout_prob: f64,
    dropout_max: u32,
    long_gap: Option<(f64, f64)>,
    quantize: bool,
    noise_rng: Rng,
    drop_rng: Rng,
    next_n: u64,
    last_n: u64,
    skip: u32,
    cursor: usize,
}

fn non_negative(x: f64, fallback: f64) -> f64 {
    if x.is_finite() { x.max(0.0) } else { fallback }
}

/// Uniformly random rotation (Shoemake 1992).
fn random_rotation(rng: &mut Rng) -> UnitQuaternion<f64> {
    let (u1, u2, u3) = (rng.uniform(), rng.uniform(), rng.uniform());
    let (a, b) = ((1.0 - u1).sqrt(), u1.sqrt());
    let (s2, c2) = (TAU * u2).sin_cos();
    let (s3, c3) = (TAU * u3).sin_cos();
    UnitQuaternion::from_quaternion(Quaternion::new(b * c3, a * s2, a * c2, b * s3))
}

impl Simulator {
    /// Prepares a simulator; nothing is generated until iteration.
    pub fn new(script: Script, options: SimOptions) -> Self {
        let rate_hz = if options.rate_hz.is_finite() {
            options.rate_hz.clamp(25.0, 1000.0)
        } else {
            100.0
        };
        let seed = options.seed;
        let mut mount_rng = Rng::stream(seed, 1);
        let mount = match options.mount {
            Mount::Random => random_rotation(&mut mount_rng),
            Mount::Typical => {
                let nominal = UnitQuaternion::from_axis_angle(&Vector3::y_axis(), -PI / 2.0);
                let axis = random_rotation(&mut mount_rng) * Vector3::z_axis();
                let tilt = mount_rng.range(0.0, 10.0) * DEG;
                nominal * UnitQuaternion::from_axis_angle(&axis, tilt)
            }
            Mount::Fixed(q) => q,
        };
        let bias_dps = match options.gyro_bias_dps {
            Some(b) => Vector3::from(b).map(|x| if x.is_finite() { x } else { 0.0 }),
            None => {
                let mut r = Rng::stream(seed, 2);
                let m = non_negative(options.max_gyro_bias_dps, 1.0);
                Vector3::from_fn(|_, _| r.range(-m, m))
            }
        };
        let last_n = (script.duration_s() * rate_hz + 1e-9).floor().max(0.0) as u64;
        let long_gap = options
            .long_gap
            .filter(|(t, d)| t.is_finite() && d.is_finite() && *d > 0.0);
        Self {
            rate_hz,
            sensor_from_trunk: mount.inverse().to_rotation_matrix().into_inner(),
            mount,
            bias_dps,
            gyro_noise_dps: non_negative(options.gyro_noise_dps, 0.0),
            accel_noise_g: non_negative(options.accel_noise_g, 0.0),
            dropout_prob: non_negative(options.dropout_prob, 0.0).min(1.0),
            dropout_max: options.dropout_max_samples.max(1),
            long_gap,
            quantize: options.quantize,
            noise_rng: Rng::stream(seed, 3),
            drop_rng: Rng::stream(seed, 4),
            next_n: 0,
            last_n,
            skip: 0,
            cursor: 0,
            script,
        }
    }

    /// The sensor mounting, `trunk_from_sensor`.
    pub fn mount(&self) -> UnitQuaternion<f64> {
        self.mount
    }

    /// The constant gyroscope bias (deg/s, sensor frame) added to every sample.
    pub fn gyro_bias_dps(&self) -> Vector3<f64> {
        self.bias_dps
    }

    /// The output rate actually used (Hz, after clamping).
    pub fn rate_hz(&self) -> f64 {
        self.rate_hz
    }

    /// The script being played.
    pub fn script(&self) -> &Script {
        &self.script
    }

    fn sample_at(&mut self, t: f64) -> (ImuSample, TruthSample) {
        let pose = self.script.pose_at(t, &mut self.cursor);
        let k = kinematics(&pose);
        let mut gyro = self.sensor_from_trunk * k.omega_trunk_rps * (180.0 / PI) + self.bias_dps;
        let mut accel = self.sensor_from_trunk * k.specific_force_trunk_g;
        if self.gyro_noise_dps > 0.0 {
            for g in gyro.iter_mut() {
                *g += self.gyro_noise_dps * self.noise_rng.gaussian();
            }
        }
        if self.accel_noise_g > 0.0 {
            for a in accel.iter_mut() {
                *a += self.accel_noise_g * self.noise_rng.gaussian();
            }
        }
        if self.quantize {
            accel = accel.map(|x| (x * 1e5).round() * 1e-5);
            gyro = gyro.map(|x| (x * 1e3).round() * 1e-3);
        }
        let world_from_trunk = quat_from_matrix(&k.world_from_trunk);
        (
            ImuSample {
                t_s: t,
                accel_g: accel,
                gyro_dps: gyro,
            },
            TruthSample {
                t_s: t,
                flexion_deg: pose.flex_deg.v,
                lateral_deg: pose.lat_deg.v,
                heading_deg: wrap_deg(pose.heading_deg.v),
                activity: pose.activity,
                world_from_sensor: world_from_trunk * self.mount,
                world_from_trunk,
            },
        )
    }
}

impl Iterator for Simulator {
    type Item = (ImuSample, TruthSample);

    fn next(&mut self) -> Option<Self::Item> {
        while self.next_n <= self.last_n {
            let n = self.next_n;
            self.next_n += 1;
            let t = n as f64 / self.rate_hz;
            if let Some((g0, gd)) = self.long_gap
                && t >= g0
                && t < g0 + gd
            {
                continue;
            }
            if self.skip > 0 {
                self.skip -= 1;
                continue;
            }
            // The first sample is never dropped so consumers always see the start.
            if n > 0 && self.dropout_prob > 0.0 && self.drop_rng.chance(self.dropout_prob) {
                // This sample plus 0..max−1 more: bursts of 1..=max samples.
                self.skip = self.drop_rng.below(u64::from(self.dropout_max)) as u32;
                continue;
            }
            return Some(self.sample_at(t));
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.last_n + 1).saturating_sub(self.next_n);
        (0, usize::try_from(left).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::script::{
        ActivityKind, SLOUCH_HOLD_S, SLOUCH_THRESHOLD_DEG, Segment, WalkSpec,
    };
    use proptest::prelude::*;

    fn active_script() -> Script {
        Script::from_segments(vec![
            Segment::Calibrate,
            Segment::Typing {
                duration_s: 8.0,
                flexion_deg: 3.0,
                lateral_deg: -2.0,
            },
            Segment::Reach {
                move_s: 0.8,
                hold_s: 2.0,
                flexion_deg: 45.0,
                lateral_deg: 8.0,
            },
            Segment::Turn {
                duration_s: 1.5,
                heading_change_deg: 90.0,
            },
            Segment::Slouch {
                creep_s: 4.0,
                hold_s: 5.0,
                flexion_deg: 30.0,
                lateral_deg: -4.0,
            },
            Segment::LeanBack {
                duration_s: 6.0,
                flexion_deg: -15.0,
            },
            Segment::Walk(WalkSpec::new(30.0)),
            Segment::Upright {
                duration_s: 5.0,
                flexion_deg: 2.0,
                lateral_deg: 1.0,
            },
        ])
    }

    fn flex_lat_from(world_from_trunk: &UnitQuaternion<f64>) -> (f64, f64) {
        let u = world_from_trunk.inverse() * Vector3::z();
        ((-u.x).atan2(u.z).to_degrees(), u.y.asin().to_degrees())
    }

    fn angle_deg(a: &UnitQuaternion<f64>, b: &UnitQuaternion<f64>) -> f64 {
        a.angle_to(b).to_degrees()
    }

    #[test]
    fn euler_convention_round_trips() {
        let (th, ph, ps) = (25.0_f64, -7.0_f64, 130.0_f64);
        let q = UnitQuaternion::from_axis_angle(&Vector3::z_axis(), ps.to_radians())
            * UnitQuaternion::from_axis_angle(&Vector3::x_axis(), ph.to_radians())
            * UnitQuaternion::from_axis_angle(&Vector3::y_axis(), th.to_radians());
        let (f, l) = flex_lat_from(&q);
        assert!((f - th).abs() < 1e-9 && (l - ph).abs() < 1e-9);
        // Positive lateral tilts the spine toward the wearer's right (−y of the trunk).
        let right = UnitQuaternion::from_axis_angle(&Vector3::x_axis(), 0.2) * Vector3::z();
        assert!(right.y < 0.0);
        // And the simulator's matrix is the same rotation.
        let s = Script::from_segments(vec![Segment::Upright {
            duration_s: 10.0,
            flexion_deg: th,
            lateral_deg: ph,
        }]);
        let st = s.trunk_state(9.0);
        let (f, l) = flex_lat_from(&st.world_from_trunk);
        assert!((f - st.flexion_deg).abs() < 1e-9 && (l - st.lateral_deg).abs() < 1e-9);
        let rebuilt = UnitQuaternion::from_axis_angle(&Vector3::z_axis(), st.heading_deg * DEG)
            * UnitQuaternion::from_axis_angle(&Vector3::x_axis(), st.lateral_deg * DEG)
            * UnitQuaternion::from_axis_angle(&Vector3::y_axis(), st.flexion_deg * DEG);
        assert!(angle_deg(&rebuilt, &st.world_from_trunk) < 1e-9);
    }

    #[test]
    fn truth_angles_recoverable_from_sensor_orientation() {
        let sim = Simulator::new(Script::random_day(12.0, 5), SimOptions::ideal(25.0, 5));
        let m_inv = sim.mount().inverse();
        let mut count = 0;
        for (_, truth) in sim {
            let wt = truth.world_from_sensor * m_inv;
            let (f, l) = flex_lat_from(&wt);
            assert!((f - truth.flexion_deg).abs() < 1e-8, "{f} vs {truth:?}");
            assert!((l - truth.lateral_deg).abs() < 1e-8);
            assert!(angle_deg(&wt, &truth.world_from_trunk) < 1e-6);
            count += 1;
        }
        assert_eq!(count, 12 * 60 * 25 + 1);
    }

    /// Integrates body rates sample to sample with the average of the two rates.
    fn integrate(
        q: UnitQuaternion<f64>,
        w0: &Vector3<f64>,
        w1: &Vector3<f64>,
        dt: f64,
    ) -> UnitQuaternion<f64> {
        let w = (w0 + w1) * 0.5 * DEG;
        // Second-order commutator correction for a rate that changes direction in the step.
        let corr = w0.cross(w1) * (DEG * DEG * dt / 12.0);
        q * UnitQuaternion::from_scaled_axis((w + corr) * dt)
    }

    #[test]
    fn gyro_integrates_to_true_orientation() {
        for rate in [100.0, 1000.0] {
            let opts = SimOptions {
                gyro_noise_dps: 0.0,
                accel_noise_g: 0.0,
                dropout_prob: 0.0,
                quantize: false,
                ..SimOptions::ideal(rate, 9)
            };
            let opts = SimOptions {
                gyro_bias_dps: None,
                ..opts
            };
            let mut sim = Simulator::new(active_script(), opts);
            let bias = sim.gyro_bias_dps();
            assert!(bias.norm() > 0.0);
            let Some((s0, t0)) = sim.next() else {
                panic!("no samples")
            };
            let dur = sim.script().duration_s();
            assert!(dur > 60.0);
            let mut q = t0.world_from_sensor;
            let mut w_prev = s0.gyro_dps - bias;
            let mut t_prev = s0.t_s;
            let mut worst: f64 = 0.0;
            for (s, truth) in sim.by_ref() {
                let w = s.gyro_dps - bias;
                q = integrate(q, &w_prev, &w, s.t_s - t_prev);
                w_prev = w;
                t_prev = s.t_s;
                worst = worst.max(angle_deg(&q, &truth.world_from_sensor));
            }
            let tol = if rate >= 1000.0 { 0.001 } else { 0.05 };
            eprintln!("rate {rate}: drift {worst}°");
            assert!(worst < tol, "rate {rate}: drift {worst}°");
        }
    }

    #[test]
    fn gyro_matches_orientation_finite_differences() {
        let sim = Simulator::new(active_script(), SimOptions::ideal(1000.0, 3));
        let all: Vec<_> = sim.collect();
        for w in all.windows(3).step_by(7) {
            let (q0, q2) = (w[0].1.world_from_sensor, w[2].1.world_from_sensor);
            let dt = w[2].0.t_s - w[0].0.t_s;
            let fd = (q0.inverse() * q2).scaled_axis() / dt * (180.0 / PI);
            let err = (fd - w[1].0.gyro_dps).norm();
            assert!(err < 0.02 * (1.0 + fd.norm()), "t {} err {err}", w[1].0.t_s);
        }
    }

    #[test]
    fn accel_matches_position_second_difference_when_seated() {
        // Seated, the hip is fixed, so p = R·r and p̈ must equal (f − ẑ)·g in the world frame.
        let script = Script::from_segments(vec![
            Segment::Reach {
                move_s: 0.7,
                hold_s: 1.0,
                flexion_deg: 45.0,
                lateral_deg: 10.0,
            },
            Segment::Turn {
                duration_s: 1.0,
                heading_change_deg: 120.0,
            },
            Segment::Typing {
                duration_s: 5.0,
                flexion_deg: 4.0,
                lateral_deg: 2.0,
            },
        ]);
        let h = 1e-4;
        let r = Vector3::from(SENSOR_IN_TRUNK_M);
        let mut n = 0;
        let mut t = 0.05;
        while t < script.duration_s() - 0.05 {
            let [a, b, c] = [t - h, t, t + h].map(|x| script.trunk_state(x));
            let p = |s: &TrunkState| s.world_from_trunk * r;
            let acc = (p(&a) - 2.0 * p(&b) + p(&c)) / (h * h);
            let f_world = b.world_from_trunk * b.specific_force_trunk_g;
            let err_mps2 = ((f_world - Vector3::z()) * G_MPS2 - acc).norm();
            // Typing adds hip jitter that p = R·r does not see; it stays below ≈0.02 g.
            let bound = if b.activity.kind == ActivityKind::Typing {
                0.25
            } else {
                5e-3
            };
            assert!(err_mps2 < bound, "t {t}: {err_mps2} m/s²");
            n += 1;
            t += 0.013;
        }
        assert!(n > 500);
    }

    #[test]
    fn accel_at_rest_is_up_in_sensor_frame() {
        let script = Script::from_segments(vec![Segment::Calibrate]);
        let w = script
            .calibration_windows()
            .map(|c| c.upright_s)
            .unwrap_or((0.0, 0.0));
        let ideal: Vec<_> = Simulator::new(script.clone(), SimOptions::ideal(100.0, 2)).collect();
        for (s, truth) in ideal.iter().filter(|(s, _)| s.t_s > w.0 && s.t_s < w.1) {
            let up = truth.world_from_sensor.inverse() * Vector3::z();
            assert!((s.accel_g - up).norm() < 2e-3, "{:?} vs {up:?}", s.accel_g);
        }
        // With default noise, the one-second mean is within a few noise-σ/√100.
        let noisy: Vec<_> = Simulator::new(
            script,
            SimOptions {
                seed: 2,
                dropout_prob: 0.0,
                ..SimOptions::default()
            },
        )
        .collect();
        let win: Vec<_> = noisy
            .iter()
            .filter(|(s, _)| s.t_s >= 4.0 && s.t_s < 5.0)
            .collect();
        let mean = win.iter().map(|(s, _)| s.accel_g).sum::<Vector3<f64>>() / win.len() as f64;
        let up = win[50].1.world_from_sensor.inverse() * Vector3::z();
        assert!((mean - up).norm() < 3e-3, "{mean:?} vs {up:?}");
    }

    #[test]
    fn walking_has_step_bounce() {
        let script = Script::from_segments(vec![Segment::Walk(WalkSpec::new(60.0))]);
        let ep = script.episodes()[0].clone();
        let (m0, m1) = ep.moving_s.unwrap_or((0.0, 0.0));
        let vert: Vec<(f64, f64)> = Simulator::new(script, SimOptions::ideal(100.0, 4))
            .filter(|(s, _)| s.t_s > m0 + 5.0 && s.t_s < m1 - 5.0)
            .map(|(s, tr)| (s.t_s, (tr.world_from_sensor * s.accel_g).z))
            .collect();
        let n = vert.len() as f64;
        let mean = vert.iter().map(|v| v.1).sum::<f64>() / n;
        let sd = (vert.iter().map(|v| (v.1 - mean).powi(2)).sum::<f64>() / n).sqrt();
        assert!((mean - 1.0).abs() < 0.02, "mean {mean}");
        assert!(sd > 0.15 && sd < 0.45, "sd {sd}");
        let crossings = vert
            .windows(2)
            .filter(|w| (w[0].1 - mean).signum() != (w[1].1 - mean).signum())
            .count() as f64;
        let span = vert[vert.len() - 1].0 - vert[0].0;
        let hz = crossings / 2.0 / span;
        assert!((1.7..2.1).contains(&hz), "bounce at {hz} Hz");
        // Seated and still, by contrast, nothing bounces.
        let still = Script::from_segments(vec![Segment::Upright {
            duration_s: 20.0,
            flexion_deg: 2.0,
            lateral_deg: 0.0,
        }]);
        for (s, tr) in Simulator::new(still, SimOptions::ideal(100.0, 4)) {
            assert!(((tr.world_from_sensor * s.accel_g).z - 1.0).abs() < 2e-3);
        }
    }

    #[test]
    fn typing_adds_small_jitter() {
        let script = Script::from_segments(vec![Segment::Typing {
            duration_s: 30.0,
            flexion_deg: 3.0,
            lateral_deg: 0.0,
        }]);
        let mut worst: f64 = 0.0;
        let mut sum2 = 0.0;
        let mut n = 0.0;
        for (s, tr) in Simulator::new(script, SimOptions::ideal(200.0, 4)) {
            if s.t_s > 3.0 {
                let up = tr.world_from_sensor.inverse() * Vector3::z();
                let d = (s.accel_g - up).norm();
                worst = worst.max(d);
                sum2 += d * d;
                n += 1.0;
            }
        }
        let rms = (sum2 / n).sqrt();
        eprintln!("typing worst {worst} rms {rms}");
        assert!(worst < 0.035 && rms > 0.005, "worst {worst} rms {rms}");
    }

    #[test]
    fn deterministic_per_seed_and_mounts_differ() {
        let opts = SimOptions {
            seed: 77,
            dropout_prob: 0.01,
            ..SimOptions::default()
        };
        let a: Vec<_> = Simulator::new(Script::random_day(3.0, 1), opts.clone()).collect();
        let b: Vec<_> = Simulator::new(Script::random_day(3.0, 1), opts).collect();
        assert_eq!(a, b);
        let mounts: Vec<_> = (0..5)
            .map(|seed| {
                Simulator::new(Script::random_day(1.0, 1), SimOptions::ideal(100.0, seed)).mount()
            })
            .collect();
        for i in 0..mounts.len() {
            for j in i + 1..mounts.len() {
                assert!(angle_deg(&mounts[i], &mounts[j]) > 1.0);
            }
        }
        let typical = Simulator::new(
            Script::random_day(1.0, 1),
            SimOptions {
                mount: Mount::Typical,
                ..SimOptions::ideal(100.0, 8)
            },
        )
        .mount();
        // Sensor x runs up the spine to within the 10° clip tilt.
        assert!((typical * Vector3::x()).dot(&Vector3::z()) > (10.0 * DEG).cos() - 1e-9);
        let fixed = UnitQuaternion::from_euler_angles(0.1, 0.2, 0.3);
        let sim = Simulator::new(
            Script::random_day(1.0, 1),
            SimOptions {
                mount: Mount::Fixed(fixed),
                gyro_bias_dps: Some([0.5, -0.25, 0.0]),
                ..SimOptions::ideal(100.0, 8)
            },
        );
        assert_eq!(sim.mount(), fixed);
        assert_eq!(sim.gyro_bias_dps(), Vector3::new(0.5, -0.25, 0.0));
    }

    #[test]
    fn dropouts_and_long_gap_make_gaps() {
        let script = Script::random_day(5.0, 2);
        let opts = SimOptions {
            dropout_prob: 0.005,
            long_gap: Some((60.0, 5.0)),
            ..SimOptions::default()
        };
        let times: Vec<f64> = Simulator::new(script, opts).map(|(s, _)| s.t_s).collect();
        let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|g| *g > 0.0));
        let short = gaps.iter().filter(|g| **g > 0.015 && **g < 1.0).count();
        assert!(short > 3, "only {short} dropout gaps");
        assert!(gaps.iter().filter(|g| **g < 1.0).all(|g| *g <= 0.21 + 1e-9));
        let long: Vec<usize> = (0..gaps.len()).filter(|&i| gaps[i] > 1.0).collect();
        assert_eq!(long.len(), 1);
        assert!(times[long[0]] < 60.0 && times[long[0] + 1] >= 65.0);
        assert!(gaps[long[0]] >= 5.0);
    }

    #[test]
    fn extreme_rates_work() {
        for rate in [25.0, 1000.0] {
            let script = Script::random_day(2.0, 6);
            let dur = script.duration_s();
            let sim = Simulator::new(script, SimOptions::ideal(rate, 1));
            let samples: Vec<_> = sim.collect();
            assert_eq!(samples.len() as f64, (dur * rate).floor() + 1.0);
            for w in samples.windows(2) {
                assert!((w[1].0.t_s - w[0].0.t_s - 1.0 / rate).abs() < 1e-9);
            }
            assert!(
                samples
                    .iter()
                    .all(|(s, _)| s.accel_g.iter().all(|x| x.is_finite()))
            );
        }
        assert_eq!(
            Simulator::new(Script::random_day(1.0, 1), SimOptions::ideal(5000.0, 1)).rate_hz(),
            1000.0
        );
    }

    #[test]
    fn flexion_is_smooth_and_episodes_match_truth() {
        let sim = Simulator::new(Script::random_day(40.0, 21), SimOptions::ideal(100.0, 21));
        let mut prev: Option<TruthSample> = None;
        for (_, tr) in sim {
            if let Some(p) = prev {
                // Fastest move: a 50° reach in 0.6 s peaks at ≈156°/s, 1.6° per 10 ms.
                assert!((tr.flexion_deg - p.flexion_deg).abs() < 2.0);
                assert!((tr.lateral_deg - p.lateral_deg).abs() < 2.0);
            }
            prev = Some(tr);
        }
    }

    #[test]
    #[ignore = "throughput measurement; run with --release -- --ignored --nocapture"]
    fn throughput() {
        let script = Script::random_day(8.0 * 60.0, 1);
        let start = std::time::Instant::now();
        let opts = match std::env::var("SIM_VARIANT").as_deref() {
            Ok("ideal") => SimOptions::ideal(100.0, 0),
            _ => SimOptions::default(),
        };
        let sim = Simulator::new(script, opts);
        let mut n = 0u64;
        let mut acc = 0.0;
        for (s, t) in sim {
            acc += s.accel_g.x + t.flexion_deg;
            n += 1;
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{n} samples in {secs:.3} s = {:.2} M samples/s (checksum {acc:.3})",
            n as f64 / secs / 1e6
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]
        #[test]
        fn random_days_have_required_content(seed in any::<u64>(), minutes in 30.0f64..150.0) {
            let s = Script::random_day(minutes, seed);
            prop_assert!((s.duration_s() - minutes * 60.0).abs() < 1e-6);
            let eps = s.episodes();
            for w in eps.windows(2) {
                prop_assert!(w[0].start_s < w[0].end_s);
                prop_assert!(w[0].end_s <= w[1].start_s + 1e-9);
            }
            let has = |k: ActivityKind| eps.iter().any(|e| e.kind == k);
            prop_assert!(eps.iter().any(|e| e.kind == ActivityKind::Slouch && e.sustained));
            prop_assert!(has(ActivityKind::Reach));
            prop_assert!(has(ActivityKind::LeanBack));
            prop_assert!(has(ActivityKind::Walk));
            for e in eps {
                match e.kind {
                    ActivityKind::Reach => {
                        prop_assert!(!e.sustained);
                        prop_assert!(e.end_s - e.start_s <= 15.0 + 1e-9);
                    }
                    ActivityKind::Slouch => prop_assert!(e.above_20_s.is_some()),
                    ActivityKind::Walk => {
                        let (a, b) = e.moving_s.unwrap_or((0.0, 0.0));
                        prop_assert!(b - a >= 120.0);
                    }
                    _ => {}
                }
            }
            prop_assert!(s.calibration_windows().is_some());
            // Every stretch of ≥ 60 s above 20° is a sustained slouch episode's, so alert tests
            // can match alerts to episodes one to one.
            for (a, b) in s.spans_above(SLOUCH_THRESHOLD_DEG) {
                if b - a >= SLOUCH_HOLD_S {
                    let owner = eps.iter().find(|e| {
                        e.sustained_from_s.is_some_and(|f| (f - a).abs() < 1e-6)
                    });
                    prop_assert!(owner.is_some_and(|e| e.kind == ActivityKind::Slouch));
                }
            }
            let walk = eps.iter().find(|e| e.kind == ActivityKind::Walk);
            if let Some(w) = walk {
                let mid = 0.5 * (w.start_s + w.end_s);
                prop_assert!(s.activity_at(mid).is_moving());
                prop_assert!(!s.activity_at(w.start_s - 1.0).is_moving());
            }
        }
    }
}
