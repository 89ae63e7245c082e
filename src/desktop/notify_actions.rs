//! Buttons on alert notifications, and what each one asks the engine to do.
//!
//! - Slouch alert: *Snooze 30 min* → [`Command::Snooze`] (30 min); *Sitting up* → the wearer has
//!   straightened up, so the alert has done its job: [`Command::DismissBanner`] clears the
//!   in-app banner too (the rules notice the better posture by themselves).
//! - Break reminder: *Done* → [`Command::BreakDone`]; *Later* → [`Command::DismissBanner`]. Not a
//!   snooze: a snooze would also silence slouch alerts. Dismissing leaves the break rule to
//!   remind again after `break_repeat_s` (15 min by default) if the wearer is still sitting.
//! - Clicking the notification's body (the `default` action) → [`Choice::OpenWindow`].
//!
//! [`show`] puts one on screen with notify-rust over D-Bus, with the buttons when the server
//! lists the `actions` capability and as a plain notification otherwise; [`Shown::wait`] (or
//! [`spawn_wait`] on a named thread) waits for the click. [`show_blocking`] and [`spawn_show`]
//! do both. `app::notifier::DesktopNotifier` shows on its worker thread (so it knows at once
//! whether notifications work) and waits on a thread per notification with buttons.

use std::time::Duration;

use crate::app::{Command, SnoozeLength};

pub use crate::app::alerts::AlertKind;

/// One button: the action id sent over D-Bus and the label shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Button {
    pub id: &'static str,
    pub label: &'static str,
}

/// The action id of a click on the notification itself (Desktop Notifications spec).
pub const DEFAULT_ACTION: &str = "default";

const SLOUCH_BUTTONS: [Button; 2] = [
    Button {
        id: "snooze-30",
        label: "Snooze 30 min",
    },
    Button {
        id: "sitting-up",
        label: "Sitting up",
    },
];

const BREAK_BUTTONS: [Button; 2] = [
    Button {
        id: "break-done",
        label: "Done",
    },
    Button {
        id: "later",
        label: "Later",
    },
];

/// The buttons an alert offers, in the order shown.
pub fn buttons(kind: AlertKind) -> &'static [Button] {
    match kind {
        AlertKind::Slouch => &SLOUCH_BUTTONS,
        AlertKind::BreakReminder => &BREAK_BUTTONS,
    }
}

/// What the wearer chose on a notification.
#[derive(Debug, Clone, PartialEq)]
pub enum Choice {
    /// Send this to the engine.
    Engine(Command),
    /// The notification itself was clicked: show and raise the window.
    OpenWindow,
}

/// The choice an action id stands for on this kind of alert (`None`: not one of its ids).
pub fn choice_for(kind: AlertKind, action_id: &str) -> Option<Choice> {
    let command = match (kind, action_id) {
        (_, DEFAULT_ACTION) => return Some(Choice::OpenWindow),
        (AlertKind::Slouch, "snooze-30") => Command::Snooze(SnoozeLength::Minutes(30)),
        (AlertKind::Slouch, "sitting-up") => Command::DismissBanner,
        (AlertKind::BreakReminder, "break-done") => Command::BreakDone,
        (AlertKind::BreakReminder, "later") => Command::DismissBanner,
        _ => return None,
    };
    Some(Choice::Engine(command))
}

/// An alert to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertNotification {
    pub kind: AlertKind,
    pub title: String,
    pub body: String,
}

/// How a shown notification ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A button (or the body) was clicked.
    Chosen(Choice),
    /// Closed, expired or dismissed without a choice, or an action id this alert does not have.
    Closed,
    /// No answer within [`MAX_WAIT`]; the notification was withdrawn.
    Withdrawn,
    /// The server has no `actions` capability: shown as a plain notification, nothing to wait for.
    ShownWithoutButtons,
}

/// The notification service could not be reached or refused the notification.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("desktop notification failed: {source}")]
    Server {
        #[source]
        source: notify_rust::error::Error,
    },
    #[error("could not start the notification thread: {source}")]
    Thread {
        #[source]
        source: std::io::Error,
    },
}

/// How long the banner stays up on servers that honour a timeout, ms. Servers that keep
/// notifications with buttons until clicked (GNOME) ignore it.
const DISPLAY_TIMEOUT_MS: u32 = 10_000;

/// Longest wait for a click. Past it the alert's moment is gone (the rules repeat it anyway), and
/// withdrawing it keeps the number of waiting threads bounded on servers that never report a
/// notification as closed.
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// A notification on screen.
pub enum Shown {
    /// With its buttons: [`Shown::wait`] for the wearer's choice.
    WithButtons {
        kind: AlertKind,
        handle: Box<notify_rust::NotificationHandle>,
    },
    /// The server has no `actions` capability: a plain notification, nothing to wait for.
    Plain,
}

impl std::fmt::Debug for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::WithButtons { kind, handle } => f
                .debug_struct("WithButtons")
                .field("kind", kind)
                .field("id", &handle.id())
                .finish(),
            Self::Plain => f.write_str("Plain"),
        }
    }
}

fn server(source: notify_rust::error::Error) -> NotifyError {
    NotifyError::Server { source }
}

/// The one way spinewatch builds a notification (plain ones and alerts alike).
fn notification(title: &str, body: &str) -> notify_rust::Notification {
    let mut n = notify_rust::Notification::new();
    n.appname("spinewatch")
        .icon("spinewatch")
        .summary(title)
        .body(body)
        .timeout(notify_rust::Timeout::Milliseconds(DISPLAY_TIMEOUT_MS));
    n
}

/// Shows a notification without buttons (a notice such as "spinewatch keeps watching").
pub fn show_plain(title: &str, body: &str) -> Result<(), NotifyError> {
    notification(title, body).show().map(drop).map_err(server)
}

/// Shows the alert, with its buttons where the server lists the `actions` capability (asked
/// first, so the buttons only appear where they can be clicked). Returns once it is on screen;
/// blocks on D-Bus, so call it on a worker thread.
pub fn show(alert: &AlertNotification) -> Result<Shown, NotifyError> {
    let has_actions = notify_rust::get_capabilities()
        .map_err(server)?
        .iter()
        .any(|c| c == "actions");
    let mut n = notification(&alert.title, &alert.body);
    if has_actions {
        n.action(DEFAULT_ACTION, "Open spinewatch");
        for b in buttons(alert.kind) {
            n.action(b.id, b.label);
        }
    }
    let handle = n.show().map_err(server)?;
    Ok(if has_actions {
        Shown::WithButtons {
            kind: alert.kind,
            handle: Box::new(handle),
        }
    } else {
        Shown::Plain
    })
}

impl Shown {
    /// Waits for the wearer's choice (up to [`MAX_WAIT`]); at once for a plain notification.
    pub fn wait(self) -> Outcome {
        match self {
            Self::WithButtons { kind, handle } => wait_for_choice(kind, &handle),
            Self::Plain => Outcome::ShownWithoutButtons,
        }
    }
}

/// Shows the alert and waits for the wearer's choice (up to [`MAX_WAIT`]): call it on a worker
/// thread, never on the UI or pipeline thread.
pub fn show_blocking(alert: &AlertNotification) -> Result<Outcome, NotifyError> {
    show(alert).map(Shown::wait)
}

/// Waits for the `ActionInvoked` or `NotificationClosed` signal of this notification, or for
/// [`MAX_WAIT`] to pass (then closes it).
fn wait_for_choice(kind: AlertKind, handle: &notify_rust::NotificationHandle) -> Outcome {
    use futures_lite::future;
    let answered = async {
        let mut outcome = Outcome::Closed;
        handle
            .wait_for_action_async(|response| {
                if let notify_rust::NotificationResponse::Action(id) = response {
                    outcome = choice_for(kind, id).map_or(Outcome::Closed, Outcome::Chosen);
                } else if let notify_rust::NotificationResponse::Default = response {
                    outcome = Outcome::Chosen(Choice::OpenWindow);
                }
            })
            .await;
        outcome
    };
    let deadline = async {
        async_io::Timer::after(MAX_WAIT).await;
        handle.close_async().await;
        Outcome::Withdrawn
    };
    future::block_on(future::or(answered, deadline))
}

/// Waits for the choice on `shown` on a new named thread and calls `on_outcome` there. Returns
/// at once.
pub fn spawn_wait(
    shown: Shown,
    on_outcome: impl FnOnce(Outcome) + Send + 'static,
) -> Result<(), NotifyError> {
    std::thread::Builder::new()
        .name("notify-actions".into())
        .spawn(move || on_outcome(shown.wait()))
        .map(drop)
        .map_err(|source| NotifyError::Thread { source })
}

/// [`show_blocking`] on a new named thread; `on_outcome` is called there with the result (send
/// the command to the engine, or note that notifications do not work). Returns at once.
pub fn spawn_show(
    alert: AlertNotification,
    on_outcome: impl FnOnce(Result<Outcome, NotifyError>) + Send + 'static,
) -> Result<(), NotifyError> {
    std::thread::Builder::new()
        .name("notify-actions".into())
        .spawn(move || on_outcome(show_blocking(&alert)))
        .map(drop)
        .map_err(|source| NotifyError::Thread { source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(kind: AlertKind, id: &str) -> Command {
        match choice_for(kind, id) {
            Some(Choice::Engine(c)) => c,
            other => panic!("{kind:?} {id}: {other:?}"),
        }
    }

    #[test]
    fn slouch_alert_buttons_snooze_or_dismiss() {
        let labels: Vec<_> = buttons(AlertKind::Slouch).iter().map(|b| b.label).collect();
        assert_eq!(labels, ["Snooze 30 min", "Sitting up"]);
        assert_eq!(
            engine(AlertKind::Slouch, "snooze-30"),
            Command::Snooze(SnoozeLength::Minutes(30))
        );
        assert_eq!(
            engine(AlertKind::Slouch, "sitting-up"),
            Command::DismissBanner
        );
    }

    #[test]
    fn break_reminder_buttons_mark_done_or_dismiss_without_snoozing() {
        let labels: Vec<_> = buttons(AlertKind::BreakReminder)
            .iter()
            .map(|b| b.label)
            .collect();
        assert_eq!(labels, ["Done", "Later"]);
        assert_eq!(
            engine(AlertKind::BreakReminder, "break-done"),
            Command::BreakDone
        );
        assert_eq!(
            engine(AlertKind::BreakReminder, "later"),
            Command::DismissBanner
        );
    }

    #[test]
    fn every_button_maps_and_foreign_ids_do_not() {
        for kind in [AlertKind::Slouch, AlertKind::BreakReminder] {
            for b in buttons(kind) {
                assert!(
                    matches!(choice_for(kind, b.id), Some(Choice::Engine(_))),
                    "{b:?}"
                );
            }
            assert_eq!(choice_for(kind, DEFAULT_ACTION), Some(Choice::OpenWindow));
            assert_eq!(choice_for(kind, "__closed"), None);
            assert_eq!(choice_for(kind, ""), None);
        }
        assert_eq!(choice_for(AlertKind::Slouch, "break-done"), None);
        assert_eq!(choice_for(AlertKind::BreakReminder, "snooze-30"), None);
    }
}
