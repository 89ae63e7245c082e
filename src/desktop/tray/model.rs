//! What the tray shows, as plain values: built from a [`TrayStatus`], it gives the icon, the
//! tooltip and the menu. No D-Bus here, so every line a person reads is unit-tested.

use crate::app::{Command, SnoozeLength};
use crate::posture::PostureState;

/// The engine's state as far as the tray cares. The integrator fills it from the engine's
/// snapshot (and the window's visibility) and hands it to [`super::TrayService::set_status`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrayStatus {
    /// The posture state; [`PostureState::NoData`] when no sensor is connected or it is silent.
    pub state: PostureState,
    /// Forward bend relative to calibrated upright, degrees (negative: leaning back); `None`
    /// while there is no calibrated reading.
    pub flexion_deg: Option<f64>,
    /// Time spent slouched since local midnight, seconds.
    pub slouched_today_s: f64,
    /// Alerts are snoozed (for some minutes or until tomorrow).
    pub snoozed: bool,
    /// Meeting mode is on (alerts held back).
    pub meeting: bool,
    /// A session is being recorded.
    pub recording: bool,
    /// The main window is shown (not hidden to the tray).
    pub window_visible: bool,
}

impl Default for TrayStatus {
    /// Before the engine reports anything: no sensor, nothing today, window shown.
    fn default() -> Self {
        Self {
            state: PostureState::NoData,
            flexion_deg: None,
            slouched_today_s: 0.0,
            snoozed: false,
            meeting: false,
            recording: false,
            window_visible: true,
        }
    }
}

/// Which of the four tray icons to show. Colours are from the Okabe-Ito palette, which stays
/// distinguishable with every common colour-vision deficiency, and each icon also has its own
/// figure, so colour is never the only cue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrayIcon {
    /// Sitting well, leaning back, or moving (bluish green, a straight back).
    Upright,
    /// Slouched (vermillion, a rounded back).
    Slouched,
    /// No posture reading: no sensor, a silent one, or not calibrated yet (grey, struck through).
    NoSensor,
    /// Alerts snoozed or meeting mode (blue, a "z").
    Snoozed,
}

impl TrayIcon {
    /// The icon's background colour, `[r, g, b]`.
    pub fn rgb(self) -> [u8; 3] {
        match self {
            Self::Upright => [0x00, 0x9e, 0x73],
            Self::Slouched => [0xd5, 0x5e, 0x00],
            Self::NoSensor => [0x66, 0x66, 0x66],
            Self::Snoozed => [0x00, 0x72, 0xb2],
        }
    }

    /// Words for the tray's title and for screen readers.
    pub fn label(self) -> &'static str {
        match self {
            Self::Upright => "upright",
            Self::Slouched => "slouched",
            Self::NoSensor => "no sensor",
            Self::Snoozed => "alerts snoozed",
        }
    }
}

/// What choosing a tray menu item (or clicking the icon) asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum TrayAction {
    /// Show the window if hidden, hide it if shown.
    ToggleWindow,
    /// Quit the app (the integrator stops the engine and closes the window).
    Quit,
    /// Send this to the engine.
    Engine(Command),
}

impl TrayAction {
    /// Whether the window should be shown as well: calibration is a wizard in the window.
    pub fn shows_window(&self) -> bool {
        matches!(self, Self::Engine(Command::StartCalibration))
    }
}

/// One line of the tray menu.
#[derive(Debug, Clone, PartialEq)]
pub enum TrayMenuItem {
    /// A plain item: `label` runs `action`.
    Item {
        label: String,
        action: TrayAction,
    },
    /// A checkbox: shows `checked`; choosing it runs `action` (which flips it).
    Check {
        label: String,
        checked: bool,
        action: TrayAction,
    },
    Separator,
}

impl TrayMenuItem {
    fn item(label: &str, action: TrayAction) -> Self {
        Self::Item {
            label: label.to_string(),
            action,
        }
    }

    /// The text shown, `None` for a separator.
    pub fn label(&self) -> Option<&str> {
        match self {
            Self::Item { label, .. } | Self::Check { label, .. } => Some(label),
            Self::Separator => None,
        }
    }

    /// What choosing it does, `None` for a separator.
    pub fn action(&self) -> Option<&TrayAction> {
        match self {
            Self::Item { action, .. } | Self::Check { action, .. } => Some(action),
            Self::Separator => None,
        }
    }
}

/// Everything the tray shows for one [`TrayStatus`]. Cheap to build; compare two to skip a
/// D-Bus update when nothing visible changed.
#[derive(Debug, Clone, PartialEq)]
pub struct TrayModel {
    pub icon: TrayIcon,
    /// One line, e.g. `12° forward · slouched 14 min today`.
    pub tooltip: String,
    pub menu: Vec<TrayMenuItem>,
}

impl TrayModel {
    pub fn new(status: &TrayStatus) -> Self {
        Self {
            icon: icon_for(status),
            tooltip: tooltip_for(status),
            menu: menu_for(status),
        }
    }
}

/// No reading beats snoozed (there is nothing to snooze), snoozed beats the posture (alerts are
/// off, which is what the wearer needs to see).
fn icon_for(status: &TrayStatus) -> TrayIcon {
    match status.state {
        PostureState::NoData | PostureState::Uncalibrated => TrayIcon::NoSensor,
        _ if status.snoozed || status.meeting => TrayIcon::Snoozed,
        PostureState::Slouched => TrayIcon::Slouched,
        PostureState::Upright | PostureState::LeaningBack | PostureState::Moving => {
            TrayIcon::Upright
        }
    }
}

fn tooltip_for(status: &TrayStatus) -> String {
    let now = match (status.state, status.flexion_deg) {
        (PostureState::NoData, _) => "No sensor".to_string(),
        (PostureState::Uncalibrated, _) | (_, None) => "Not calibrated".to_string(),
        (PostureState::Moving, _) => "Moving".to_string(),
        (_, Some(deg)) => bend_words(deg),
    };
    let mut parts = vec![
        now,
        format!("slouched {} today", duration_words(status.slouched_today_s)),
    ];
    if status.snoozed {
        parts.push("alerts snoozed".into());
    }
    if status.meeting {
        parts.push("meeting mode".into());
    }
    if status.recording {
        parts.push("recording".into());
    }
    parts.join(" · ")
}

/// `12° forward`, `8° back`, `0°`; whole degrees (the sensor is not better than that).
fn bend_words(deg: f64) -> String {
    let whole = deg.round();
    if whole >= 1.0 {
        format!("{whole:.0}° forward")
    } else if whole <= -1.0 {
        format!("{:.0}° back", -whole)
    } else {
        "0°".to_string()
    }
}

/// `0 min`, `14 min`, `1 h 5 min`, `2 h`; whole minutes, rounded down (never overstates).
fn duration_words(seconds: f64) -> String {
    let minutes = if seconds.is_finite() && seconds > 0.0 {
        (seconds / 60.0).floor() as u64
    } else {
        0
    };
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

fn menu_for(status: &TrayStatus) -> Vec<TrayMenuItem> {
    use TrayMenuItem::{Check, Separator};
    let engine = TrayAction::Engine;
    let window = if status.window_visible {
        "Hide window"
    } else {
        "Show window"
    };
    let mut menu = vec![
        TrayMenuItem::item(window, TrayAction::ToggleWindow),
        Separator,
        TrayMenuItem::item(
            "Snooze 30 min",
            engine(Command::Snooze(SnoozeLength::Minutes(30))),
        ),
        TrayMenuItem::item(
            "Snooze 1 h",
            engine(Command::Snooze(SnoozeLength::Minutes(60))),
        ),
        TrayMenuItem::item(
            "Snooze until tomorrow",
            engine(Command::Snooze(SnoozeLength::UntilTomorrow)),
        ),
    ];
    if status.snoozed {
        menu.push(TrayMenuItem::item(
            "Resume alerts",
            engine(Command::EndSnooze),
        ));
    }
    menu.extend([
        Check {
            label: "Meeting mode".into(),
            checked: status.meeting,
            action: engine(Command::SetMeetingMode(!status.meeting)),
        },
        Separator,
        TrayMenuItem::item("Calibrate…", engine(Command::StartCalibration)),
        if status.recording {
            TrayMenuItem::item("Stop recording", engine(Command::StopRecording))
        } else {
            TrayMenuItem::item("Start recording", engine(Command::StartRecording))
        },
        Separator,
        TrayMenuItem::item("Quit", TrayAction::Quit),
    ]);
    menu
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: PostureState, flexion_deg: Option<f64>) -> TrayStatus {
        TrayStatus {
            state,
            flexion_deg,
            ..TrayStatus::default()
        }
    }

    fn labels(model: &TrayModel) -> Vec<&str> {
        model.menu.iter().filter_map(TrayMenuItem::label).collect()
    }

    fn action_of<'a>(model: &'a TrayModel, label: &str) -> &'a TrayAction {
        model
            .menu
            .iter()
            .find(|i| i.label() == Some(label))
            .and_then(TrayMenuItem::action)
            .unwrap_or_else(|| panic!("no menu item {label:?} in {:?}", labels(model)))
    }

    #[test]
    fn the_tooltip_reads_as_in_the_issue() {
        let s = TrayStatus {
            slouched_today_s: 14.0 * 60.0 + 59.0,
            ..status(PostureState::Slouched, Some(12.4))
        };
        assert_eq!(
            TrayModel::new(&s).tooltip,
            "12° forward · slouched 14 min today"
        );
    }

    #[test]
    fn the_tooltip_says_back_no_sensor_and_what_is_on() {
        let back = status(PostureState::LeaningBack, Some(-8.2));
        assert_eq!(
            TrayModel::new(&back).tooltip,
            "8° back · slouched 0 min today"
        );
        let none = TrayStatus {
            slouched_today_s: 3900.0,
            ..status(PostureState::NoData, Some(30.0))
        };
        assert_eq!(
            TrayModel::new(&none).tooltip,
            "No sensor · slouched 1 h 5 min today"
        );
        let uncal = status(PostureState::Uncalibrated, None);
        assert!(
            TrayModel::new(&uncal)
                .tooltip
                .starts_with("Not calibrated · ")
        );
        let all = TrayStatus {
            snoozed: true,
            meeting: true,
            recording: true,
            slouched_today_s: 7200.0,
            ..status(PostureState::Upright, Some(0.3))
        };
        assert_eq!(
            TrayModel::new(&all).tooltip,
            "0° · slouched 2 h today · alerts snoozed · meeting mode · recording"
        );
    }

    #[test]
    fn a_nonsense_duration_reads_as_zero() {
        for s in [-5.0, f64::NAN, f64::NEG_INFINITY] {
            assert_eq!(duration_words(s), "0 min");
        }
    }

    #[test]
    fn the_icon_follows_state_with_no_reading_first_then_snooze() {
        let icon = |s: &TrayStatus| TrayModel::new(s).icon;
        assert_eq!(
            icon(&status(PostureState::Upright, Some(3.0))),
            TrayIcon::Upright
        );
        assert_eq!(
            icon(&status(PostureState::Moving, Some(3.0))),
            TrayIcon::Upright
        );
        assert_eq!(
            icon(&status(PostureState::LeaningBack, Some(-12.0))),
            TrayIcon::Upright
        );
        assert_eq!(
            icon(&status(PostureState::Slouched, Some(30.0))),
            TrayIcon::Slouched
        );
        assert_eq!(
            icon(&status(PostureState::NoData, None)),
            TrayIcon::NoSensor
        );
        assert_eq!(
            icon(&status(PostureState::Uncalibrated, None)),
            TrayIcon::NoSensor
        );
        let snoozed = |state, meeting: bool| TrayStatus {
            snoozed: !meeting,
            meeting,
            ..status(state, Some(30.0))
        };
        assert_eq!(
            icon(&snoozed(PostureState::Slouched, false)),
            TrayIcon::Snoozed
        );
        assert_eq!(
            icon(&snoozed(PostureState::Slouched, true)),
            TrayIcon::Snoozed
        );
        assert_eq!(
            icon(&snoozed(PostureState::NoData, false)),
            TrayIcon::NoSensor
        );
    }

    #[test]
    fn the_four_icon_colours_differ() {
        let all = [
            TrayIcon::Upright,
            TrayIcon::Slouched,
            TrayIcon::NoSensor,
            TrayIcon::Snoozed,
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a.rgb(), b.rgb(), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn the_menu_has_every_item_in_order() {
        let model = TrayModel::new(&status(PostureState::Upright, Some(2.0)));
        assert_eq!(
            labels(&model),
            [
                "Hide window",
                "Snooze 30 min",
                "Snooze 1 h",
                "Snooze until tomorrow",
                "Meeting mode",
                "Calibrate…",
                "Start recording",
                "Quit"
            ]
        );
        assert_eq!(action_of(&model, "Hide window"), &TrayAction::ToggleWindow);
        assert_eq!(action_of(&model, "Quit"), &TrayAction::Quit);
        let engine = |label| match action_of(&model, label) {
            TrayAction::Engine(c) => c.clone(),
            other => panic!("{label}: {other:?}"),
        };
        assert_eq!(
            engine("Snooze 30 min"),
            Command::Snooze(SnoozeLength::Minutes(30))
        );
        assert_eq!(
            engine("Snooze 1 h"),
            Command::Snooze(SnoozeLength::Minutes(60))
        );
        assert_eq!(
            engine("Snooze until tomorrow"),
            Command::Snooze(SnoozeLength::UntilTomorrow)
        );
        assert_eq!(engine("Meeting mode"), Command::SetMeetingMode(true));
        assert_eq!(engine("Calibrate…"), Command::StartCalibration);
        assert_eq!(engine("Start recording"), Command::StartRecording);
        assert!(action_of(&model, "Calibrate…").shows_window());
        assert!(!action_of(&model, "Snooze 1 h").shows_window());
    }

    #[test]
    fn the_menu_follows_window_meeting_recording_and_snooze() {
        let s = TrayStatus {
            window_visible: false,
            meeting: true,
            recording: true,
            snoozed: true,
            ..status(PostureState::Slouched, Some(25.0))
        };
        let model = TrayModel::new(&s);
        assert_eq!(labels(&model)[0], "Show window");
        assert_eq!(
            action_of(&model, "Stop recording"),
            &TrayAction::Engine(Command::StopRecording)
        );
        assert_eq!(
            action_of(&model, "Resume alerts"),
            &TrayAction::Engine(Command::EndSnooze)
        );
        let meeting = model
            .menu
            .iter()
            .find(|i| i.label() == Some("Meeting mode"));
        assert_eq!(
            meeting,
            Some(&TrayMenuItem::Check {
                label: "Meeting mode".into(),
                checked: true,
                action: TrayAction::Engine(Command::SetMeetingMode(false)),
            })
        );
    }
}
