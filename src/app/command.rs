//! What the UI asks the engine to do. Panels send these instead of mutating shared state.

use std::path::PathBuf;

use super::state::Settings;

/// How long a snooze lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnoozeLength {
    Minutes(u32),
    /// Until local midnight.
    UntilTomorrow,
}

impl SnoozeLength {
    /// Words for buttons and the status line.
    pub fn label(self) -> String {
        match self {
            Self::Minutes(60) => "1 h".into(),
            Self::Minutes(m) if m % 60 == 0 => format!("{} h", m / 60),
            Self::Minutes(m) => format!("{m} min"),
            Self::UntilTomorrow => "until tomorrow".into(),
        }
    }
}

pub use crate::source::replay::ReplaySpeed;

/// Where samples should come from.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceChoice {
    /// The built-in simulated wearer.
    Demo,
    /// A sensor on a serial port (`None`: find one).
    Serial { port: Option<String>, baud: u32 },
}

/// A request from the UI to the pipeline thread.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Start (or restart) the two-step calibration wizard.
    StartCalibration,
    /// Leave the wizard (keeps the previous calibration).
    CancelCalibration,
    /// Forget the calibration (e.g. after moving the sensor).
    ClearCalibration,
    Snooze(SnoozeLength),
    EndSnooze,
    SetMeetingMode(bool),
    /// New settings (already validated by the panel; the engine validates again).
    SetSettings(Box<Settings>),
    UseSource(SourceChoice),
    RefreshPorts,
    RefreshSessions,
    /// Open a recorded session in the replay player (paused at its start).
    OpenSession(PathBuf),
    /// Leave the replay and go back to the live source.
    CloseReplay,
    /// Import a recorded session into the history (as `spinewatch import` does), in the
    /// background; the result is a notice.
    ImportSession(PathBuf),
    StartRecording,
    StopRecording,
    ReplayPlay,
    ReplayPause,
    ReplaySpeed(ReplaySpeed),
    /// Seek to this session time, seconds.
    ReplaySeek(f64),
    DismissBanner,
    /// The wearer did the suggested break exercise.
    BreakDone,
    /// Show a desktop notification (the window says where it went when hidden to the tray).
    Notify {
        title: String,
        body: String,
    },
    Shutdown,
}
