//! From orientation to posture: calibration, flexion and side-bend angles, states, and the alert
//! rules. Everything here is a pure function of samples and the time passed in (no clock, no I/O),
//! so replay, live monitoring and tests agree exactly.

pub mod angles;
pub mod calibration;
pub mod classify;
pub mod config;
pub mod exercises;
pub mod moved;
pub mod rules;
#[cfg(test)]
mod test_rng;
mod trig;

pub use angles::{TrunkAngles, trunk_angles_deg};
pub use calibration::{Calibration, CalibrationError, CalibrationSample, CalibrationSettings};
pub use classify::{PostureState, StateClassifier};
pub use config::{Config, ConfigError, ConfigLoad, RANGES, range_of};
pub use moved::{MovedDetector, MovedSettings};
pub use rules::{Event, EventKind, Rules};
