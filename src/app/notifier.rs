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
}

const UNKNOWN: u8 = 0;
const WORKS: u8 = 1;
const FAILS: u8 = 2;

/// Notifications through the desktop's notification service (notify-rust, pure-Rust D-Bus).
pub struct DesktopNotifier {
    tx: Option<SyncSender<(String, String)>>,
    status: Arc<AtomicU8>,
}

impl DesktopNotifier {
    pub fn new() -> Self {
        let status = Arc::new(AtomicU8::new(UNKNOWN));
        let (tx, rx) = mpsc::sync_channel::<(String, String)>(4);
        let worker_status = Arc::clone(&status);
        let spawned = std::thread::Builder::new()
            .name("notifier".into())
            .spawn(move || {
                for (title, body) in rx {
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

impl Notifier for DesktopNotifier {
    fn notify(&mut self, title: &str, body: &str) {
        if let Some(tx) = &self.tx {
            match tx.try_send((title.to_string(), body.to_string())) {
                Ok(()) | Err(TrySendError::Full(_)) => {}
                Err(TrySendError::Disconnected(_)) => self.tx = None,
            }
        }
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
}

impl Notifier for MemoryNotifier {
    fn notify(&mut self, title: &str, body: &str) {
        if let Ok(mut sent) = self.sent.lock() {
            sent.push((title.to_string(), body.to_string()));
        }
    }

    fn works(&self) -> Option<bool> {
        Some(true)
    }
}
