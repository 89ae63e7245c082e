//! spinewatch: a posture monitor for a clip-on accelerometer + gyroscope.
//!
//! Data flows one way: [`transport`] (bytes) → [`protocol`] (frames) → [`source`] (samples) →
//! [`fusion`] (orientation) → [`posture`] (angles, states, rules) → the [`session`] driver → sinks
//! (recorder, history, angles and events files, the window's data in [`app`]) → [`ui`]. The
//! driver runs the stages in order ([`pipeline`]) and is the one implementation shared by the
//! headless replay, `record`, the live window and its replay player. See ARCHITECTURE.md.

pub mod app;
pub mod cli;
pub mod desktop;
pub mod format;
pub mod fusion;
pub mod number;
pub mod paths;
pub mod pipeline;
pub mod posture;
pub mod priority;
pub mod protocol;
pub mod report;
pub mod sample;
pub mod session;
pub mod sim;
pub mod source;
pub mod store;
pub mod transport;
pub mod ui;

pub use sample::ImuSample;
