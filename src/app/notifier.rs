//! Desktop notifications, sent from a worker thread so the pipeline thread never waits on
//! D-Bus. When no notification service answers, the failure is reported once and alerts show
//! in the window's banner only (the banner always shows anyway).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

pub use super::alerts::AlertKind;
use crate::desktop::notify_actions::{self, AlertNotification, Choice, Outcome, Shown};

/// Somewhere alerts can be sent besides the banner.
pub trait Notifier: Send {
    /// Queues a notification; never blocks.
    fn notify(&mut self, title: &str, body: &str);
    /// Queues an alert's notification. A notifier that can offer the alert's buttons ("Snooze
    /// 30 min", "Done"…) does; by default it is a plain notification.
    fn alert(&mut self, _kind: AlertKind, title: &str, body: &str) {
        self.notify(title, body);
    }
    /// `Some(true)` once one was shown, `Some(false)` once one failed, `None` before.
    fn works(&self) -> Option<bool>;
    /// Plays the alert chime if this notifier can (see [`super::sound`]); never blocks.
    fn chime(&mut self) {}
}

/// Where the wearer's choices on notification buttons go: the window forwards them to the
/// engine as the same [`super::Command`]s its own buttons send (see `ui::desktop`). Called on
/// a notifier thread.
pub type ChoiceSink = Arc<dyn Fn(Choice) + Send + Sync>;

/// What the worker thread is asked to do.
enum Job {
    Notify(String, String),
    Alert(AlertKind, String, String),
    Chime,
}

const UNKNOWN: u8 = 0;
const WORKS: u8 = 1;
const FAILS: u8 = 2;

/// Notifications through the desktop's notification service (notify-rust, pure-Rust D-Bus).
/// With a [`ChoiceSink`], alerts carry their buttons where the server supports actions; each
/// notification with buttons is waited on by a thread of its own (at most
/// [`notify_actions::MAX_WAIT`]), so the worker is free for the next one.
pub struct DesktopNotifier {
    tx: Option<SyncSender<Job>>,
    status: Arc<AtomicU8>,
}

impl DesktopNotifier {
    /// Plain notifications only (nothing would receive a button's click).
    pub fn new() -> Self {
        Self::start(None)
    }

    /// Alerts with buttons where the server has the `actions` capability; the wearer's
    /// choices go to `on_choice`.
    pub fn with_actions(on_choice: impl Fn(Choice) + Send + Sync + 'static) -> Self {
        Self::start(Some(Arc::new(on_choice)))
    }

    fn start(on_choice: Option<ChoiceSink>) -> Self {
        let status = Arc::new(AtomicU8::new(UNKNOWN));
        let (tx, rx) = mpsc::sync_channel::<Job>(4);
        let worker_status = Arc::clone(&status);
        let spawned = std::thread::Builder::new()
            .name("notifier".into())
            .spawn(move || {
                let mut chime_file = None;
                for job in rx {
                    let shown = match job {
                        Job::Chime => {
                            play_chime(&mut chime_file);
                            continue;
                        }
                        Job::Notify(title, body) => notify_actions::show_plain(&title, &body),
                        Job::Alert(kind, title, body) => match &on_choice {
                            None => notify_actions::show_plain(&title, &body),
                            Some(sink) => {
                                let alert = AlertNotification { kind, title, body };
                                notify_actions::show(&alert).map(|shown| await_choice(shown, sink))
                            }
                        },
                    };
                    match shown {
                        Ok(()) => worker_status.store(WORKS, Ordering::Relaxed),
                        Err(e) => {
                            if worker_status.swap(FAILS, Ordering::Relaxed) != FAILS {
                                tracing::warn!("{e}");
                            }
                        }
                    }
                }
            });
        let tx = match spawned {
            Ok(_) => Some(tx),
            Err(e) => {
                tracing::warn!("no notifier thread: {e}");
                status.store(FAILS, Ordering::Relaxed);
                None
            }
        };
        Self { tx, status }
    }
}

/// Waits for the click on a notification with buttons (on its own thread) and hands the choice
/// to `sink`; a plain one has nothing to wait for.
fn await_choice(shown: Shown, sink: &ChoiceSink) {
    if matches!(shown, Shown::Plain) {
        return;
    }
    let sink = Arc::clone(sink);
    if let Err(e) = notify_actions::spawn_wait(shown, move |outcome| deliver(outcome, &*sink)) {
        // Shown all the same; only its buttons will do nothing.
        tracing::warn!("{e}");
    }
}

/// Hands a chosen action to `sink`; closing, expiring or withdrawing chooses nothing.
fn deliver(outcome: Outcome, sink: &(dyn Fn(Choice) + Send + Sync)) {
    match outcome {
        Outcome::Chosen(choice) => sink(choice),
        Outcome::Closed | Outcome::Withdrawn | Outcome::ShownWithoutButtons => {}
    }
}

impl Default for DesktopNotifier {
    fn default() -> Self {
        Self::new()
    }
}

/// Plays the chime on the worker thread, writing the WAV to the temp folder on first use.
fn play_chime(file: &mut Option<std::path::PathBuf>) {
    let Some(player) = super::sound::player() else {
        return;
    };
    if file.is_none() {
        match super::sound::write_chime(&std::env::temp_dir()) {
            Ok(p) => *file = Some(p),
            Err(e) => {
                tracing::warn!("alert chime not written: {e}");
                return;
            }
        }
    }
    if let Some(wav) = file.as_deref()
        && let Err(e) = super::sound::play(player, wav)
    {
        tracing::warn!("alert chime not played with {}: {e}", player.display());
    }
}

impl DesktopNotifier {
    fn send(&mut self, job: Job) {
        if let Some(tx) = &self.tx {
            match tx.try_send(job) {
                Ok(()) | Err(TrySendError::Full(_)) => {}
                Err(TrySendError::Disconnected(_)) => self.tx = None,
            }
        }
    }
}

impl Notifier for DesktopNotifier {
    fn notify(&mut self, title: &str, body: &str) {
        self.send(Job::Notify(title.to_string(), body.to_string()));
    }

    fn alert(&mut self, kind: AlertKind, title: &str, body: &str) {
        self.send(Job::Alert(kind, title.to_string(), body.to_string()));
    }

    fn chime(&mut self) {
        self.send(Job::Chime);
    }

    fn works(&self) -> Option<bool> {
        match self.status.load(Ordering::Relaxed) {
            WORKS => Some(true),
            FAILS => Some(false),
            _ => None,
        }
    }
}

/// Keeps notifications in memory (tests, and `--no-notifications`).
#[derive(Clone, Default)]
pub struct MemoryNotifier {
    pub sent: Arc<Mutex<Vec<(String, String)>>>,
    /// The kind of each alert among `sent`, in order.
    pub alerts: Arc<Mutex<Vec<AlertKind>>>,
    /// How many chimes were asked for.
    pub chimes: Arc<Mutex<u32>>,
}

impl Notifier for MemoryNotifier {
    fn notify(&mut self, title: &str, body: &str) {
        if let Ok(mut sent) = self.sent.lock() {
            sent.push((title.to_string(), body.to_string()));
        }
    }

    fn alert(&mut self, kind: AlertKind, title: &str, body: &str) {
        if let Ok(mut alerts) = self.alerts.lock() {
            alerts.push(kind);
        }
        self.notify(title, body);
    }

    fn chime(&mut self) {
        if let Ok(mut n) = self.chimes.lock() {
            *n += 1;
        }
    }

    fn works(&self) -> Option<bool> {
        Some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Command, SnoozeLength};
    use crate::desktop::notify_actions::{buttons, choice_for};

    /// The choices `outcome` hands on.
    fn delivered(outcome: Outcome) -> Vec<Choice> {
        let got = Arc::new(Mutex::new(Vec::new()));
        let into = Arc::clone(&got);
        deliver(outcome, &move |c| {
            if let Ok(mut v) = into.lock() {
                v.push(c);
            }
        });
        got.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// The buttons on the notification send what the banner's own buttons send
    /// (`ui::alerts`: "Snooze 30 min", "Dismiss", "Mark break done").
    #[test]
    fn each_button_reaches_the_sink_as_the_windows_command() {
        let expected = [
            (
                AlertKind::Slouch,
                Command::Snooze(SnoozeLength::Minutes(30)),
            ),
            (AlertKind::Slouch, Command::DismissBanner),
            (AlertKind::BreakReminder, Command::BreakDone),
            (AlertKind::BreakReminder, Command::DismissBanner),
        ];
        let mut got = Vec::new();
        for kind in [AlertKind::Slouch, AlertKind::BreakReminder] {
            for b in buttons(kind) {
                let choice = choice_for(kind, b.id).unwrap_or_else(|| panic!("{b:?}"));
                for c in delivered(Outcome::Chosen(choice)) {
                    match c {
                        Choice::Engine(command) => got.push((kind, command)),
                        Choice::OpenWindow => panic!("{b:?} opened the window"),
                    }
                }
            }
        }
        assert_eq!(got, expected);
        assert_eq!(
            delivered(Outcome::Chosen(Choice::OpenWindow)),
            [Choice::OpenWindow]
        );
    }

    #[test]
    fn no_choice_sends_nothing() {
        for o in [
            Outcome::Closed,
            Outcome::Withdrawn,
            Outcome::ShownWithoutButtons,
        ] {
            assert!(delivered(o).is_empty());
        }
    }

    #[test]
    fn memory_notifier_keeps_the_alert_kinds() {
        let mut m = MemoryNotifier::default();
        m.alert(AlertKind::BreakReminder, "Time for a short break", "…");
        m.notify("spinewatch keeps watching", "…");
        assert_eq!(
            m.alerts.lock().map(|a| a.clone()).unwrap_or_default(),
            [AlertKind::BreakReminder]
        );
        assert_eq!(m.sent.lock().map(|s| s.len()).unwrap_or(0), 2);
    }
}
