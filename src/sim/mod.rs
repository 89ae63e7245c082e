//! A physically based simulated wearer, for tests and the demo.
//!
//! A [`Script`] says what the wearer does (calibrate, sit, type, slouch, reach, lean back,
//! swivel, walk); a [`Simulator`] plays it through a rigid-trunk body model and a sensor
//! clipped to the back, streaming [`ImuSample`](crate::sample::ImuSample)s together with
//! [`TruthSample`]s. The day is computed sample by sample, so memory does not grow with its
//! length.
//!
//! # Conventions (shared with the main crate's angle code)
//!
//! * World frame: z up (opposite gravity), x/y horizontal. Quaternions are Hamilton;
//!   `world_from_X` maps vectors expressed in frame X into the world.
//! * Trunk frame T (when upright): x forward out of the chest, y to the wearer's left, z up the
//!   spine.
//! * True trunk orientation: `world_from_trunk = Rz(heading) · Rx(lateral) · Ry(flexion)`
//!   (each `UnitQuaternion::from_axis_angle`). Flexion θ is positive for a forward bend
//!   (Ry tilts the trunk's z toward +x). Lateral φ is positive for a side bend to the wearer's
//!   **right** (a positive rotation about +x tilts the trunk's z toward −y).
//! * World-up in the trunk frame is then `u = world_from_trunk⁻¹ · ẑ =
//!   (−sin θ cos φ, sin φ, cos θ cos φ)`, so `flexion = atan2(−u.x, u.z)` and
//!   `lateral = asin(u.y)` recover θ and φ exactly (for |θ| < 90°), independent of heading.
//! * Mounting: `M = trunk_from_sensor` ([`Simulator::mount`]), any rotation (uniformly random
//!   by default); `world_from_sensor = world_from_trunk · M`.
//! * Accelerometer: specific force in the sensor frame in g,
//!   `M⁻¹ · world_from_trunk⁻¹ · (p̈ / 9.81 m/s² + ẑ)`, where `p` is the sensor position
//!   `hip + world_from_trunk · (−0.10, 0, 0.45) m`. At rest it reads the world-up vector in the
//!   sensor frame (+1 g up).
//! * Gyroscope: body-frame angular velocity of `world_from_sensor` in deg/s (so
//!   `q(t + dt) ≈ q(t) · exp(ω dt)`), plus a constant per-axis bias and white noise.
//!
//! Both sensor channels come from exact analytic derivatives of one trajectory: integrating the
//! gyro (minus [`Simulator::gyro_bias_dps`]) from the true start orientation reproduces the
//! truth, and the accelerometer equals gravity plus the true linear acceleration.

pub mod device;
pub mod export;
mod jet;
pub mod rng;
pub mod script;
pub mod wearer;

// The script, one file per job: its words, compiling them into motion, the random texture on
// top, the truth derived from it, and the random desk day. `script` re-exports the public items.
mod compile;
mod random_day;
mod texture;
mod truth;
mod vocabulary;

pub use rng::Rng;
pub use script::{
    Activity, ActivityKind, CALIBRATION_LEAN_DEG, CALIBRATION_TOTAL_S, CalibrationWindows, Episode,
    EpisodeKind, SLOUCH_HOLD_S, SLOUCH_THRESHOLD_DEG, STEADY_SETTLE_S, Script, Segment,
    WALK_OVERHEAD_S, WalkSpec, WalkTurn,
};
pub use wearer::{
    G_MPS2, Mount, SENSOR_IN_TRUNK_M, SimOptions, Simulator, TrunkState, TruthSample,
};
