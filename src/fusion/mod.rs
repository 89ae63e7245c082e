//! Orientation fusion: accelerometer + gyroscope → `world_from_sensor` (earth z up), with gyroscope
//! bias estimation and rest detection.
//!
//! The estimator is VQF (Laidig & Seel, Information Fusion 2023), the best published 6D filter, through
//! the `vqf-rs` crate, which reproduces the official C++ implementation exactly. This module is
//! the small adapter around it: real units in and out, the sample's own timestamps for dt, clean
//! re-initialisation after a long gap, and flags a UI can show.

mod filter;
mod settings;

pub use filter::{FilterOutput, OrientationFilter, Pose, PoseFlags};
pub use settings::FusionSettings;
