//! Desktop notifications, sent from a worker thread so the pipeline thread never waits on
//! D-Bus. When no notification service answers, the failure is reported once and alerts show
//! in the window's banner only (the banner always shows anyway).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

/// Somewhere alerts can be sent besides the banner.
pub trait Notifier: Send {
    /// Queues a notification; never blocks.
    fn notify(&mut self, title: &str, body: &str);
    /// `Some(true)` once one was shown, `Some(false)` once one failed, `None` before.
    fn works(&self) -> Option<bool>;
    /// Plays the alert chime if this notifier can (see [`super::sound`]); never blocks.
    fn chime(&mut self) {}
}

/// What the worker thread is asked to do.
enum Job {
    Notify(String, String),
    Chime,
}

const UNKNOWN: u8 = 0;
const WORKS: u8 = 1;
const FAILS: u8 = 2;

/// Notifications through the desktop's notification service (notify-rust, pure-Rust D-Bus).
pub struct DesktopNotifier {
    tx: Option<SyncSender<Job>>,
    status: Arc<AtomicU8>,
}

impl DesktopNotifier {
    pub fn new() -> Self {
        let status = Arc::new(AtomicU8::new(UNKNOWN));
        let (tx, rx) = mpsc::sync_channel::<Job>(4);
        let worker_status = Arc::clone(&status);
        let spawned = std::thread::Builder::new()
            .name("notifier".into())
            .spawn(move || {
                let mut chime_file = None;
                for job in rx {
                    let (title, body) = match job {
                        Job::Notify(title, body) => (title, body),
                        Job::Chime => {
                            play_chime(&mut chime_file);
                            continue;
                        }
                    };
                    let shown = notify_rust::Notification::new()
                        .appname("spinewatch")
                        .summary(&title)
                        .body(&body)
                        .timeout(notify_rust::Timeout::Milliseconds(8000))
                        .show();
                    match shown {
                        Ok(_) => worker_status.store(WORKS, Ordering::Relaxed),
                        Err(e) => {
                            if worker_status.swap(FAILS, Ordering::Relaxed) != FAILS {
                                tracing::warn!("desktop notification failed: {e}");
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
    /// How many chimes were asked for.
    pub chimes: Arc<Mutex<u32>>,
}

impl Notifier for MemoryNotifier {
    fn notify(&mut self, title: &str, body: &str) {
        if let Ok(mut sent) = self.sent.lock() {
            sent.push((title.to_string(), body.to_string()));
        }
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
