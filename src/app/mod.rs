//! The desktop app's engine: everything the window shows is computed here, on the pipeline
//! thread, and published as snapshots ([`store::Shared`]) the UI reads. The UI sends
//! [`Command`]s back. No egui type appears in this module, so the whole app can be driven and
//! tested without a window.

pub mod alerts;
pub mod allocator;
pub mod clock;
pub mod command;
pub mod engine;
pub mod notifier;
pub mod ports;
pub mod publish;
pub mod recording;
pub mod replay_control;
pub mod snooze;
pub mod sound;
pub mod state;
pub mod status;
pub mod store;
pub mod today;
pub mod view;
pub mod wizard;

pub use clock::{Clock, SystemClock};
pub use command::{Command, ReplaySpeed, SnoozeLength, SourceChoice};
pub use engine::{Engine, EngineFaults, EngineHandle, EngineOptions, Waker};
pub use state::{Paths, Settings};
pub use store::Shared;
