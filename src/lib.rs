//! spinewatch: a posture monitor for a clip-on accelerometer + gyroscope.
//!
//! Data flows one way: transport (bytes) → protocol (frames) → [`fusion`] (orientation) →
//! [`posture`] (angles, states, rules) → recorder/store → UI. The [`pipeline`] runs the stages in
//! order and is the one implementation shared by the headless replay, the live link and the GUI.

pub mod app;
pub mod format;
pub mod fusion;
pub mod gui;
pub mod number;
pub mod pipeline;
pub mod posture;
pub mod protocol;
pub mod record;
pub mod replay;
pub mod sample;
pub mod session;
pub mod sim;
pub mod source;
pub mod store;
pub mod transport;
pub mod ui;

pub use sample::ImuSample;
