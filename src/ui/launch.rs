//! Opens the desktop app: starts the engine on its pipeline thread and runs the eframe window.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::app::engine::StartSource;
use crate::app::notifier::DesktopNotifier;
use crate::app::{Command, Engine, EngineOptions, SystemClock};
use std::sync::Mutex;
use std::sync::mpsc::Receiver;

use crate::desktop::instance::{
    Claim, InstanceName, PrimaryInstance, Request, channel_callback, claim,
};
use crate::desktop::tray::{TrayAction, TrayService, TrayStatus};
use crate::desktop::window_state::{self, WindowTracker};
use crate::paths::Paths;
use crate::ui::desktop::{Desktop, SharedCtx, wake};
use crate::ui::{FrameCounters, SpinewatchApp};

/// Default window size, logical points.
pub const WINDOW_SIZE: [f32; 2] = [1040.0, 700.0];

/// How to start the window.
#[derive(Debug, Clone, Default)]
pub struct GuiOptions {
    /// Open this session in the replay player instead of the live source.
    pub replay: Option<PathBuf>,
    /// Print frame and repaint counts every 5 s to stderr (for measuring).
    pub stats: bool,
    /// Start hidden in the tray (minimised where no tray host answers): how start at login
    /// runs it.
    pub minimized: bool,
}

/// Why the window could not run.
#[derive(Debug)]
pub enum GuiError {
    /// No X11 or Wayland display to open a window on.
    NoDisplay,
    Window(String),
}

impl fmt::Display for GuiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoDisplay => write!(
                f,
                "no display to open the window on (DISPLAY / WAYLAND_DISPLAY unset); the headless commands work without one: `spinewatch replay FILE --headless`, see `spinewatch --help`"
            ),
            Self::Window(e) => write!(f, "could not open the window: {e}"),
        }
    }
}

impl std::error::Error for GuiError {}

/// The app icon for the window (and the task bar), from the embedded PNGs.
fn window_icon() -> egui::IconData {
    match crate::desktop::assets::app_icon(256) {
        Ok(img) => egui::IconData {
            rgba: img.rgba,
            width: img.width,
            height: img.height,
        },
        Err(e) => {
            tracing::warn!("no window icon: {e}");
            egui::IconData::default()
        }
    }
}

fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

fn spawn_stats(counters: Arc<FrameCounters>, stop: Arc<AtomicBool>) {
    let spawned = std::thread::Builder::new()
        .name("stats".into())
        .spawn(move || {
            let started = Instant::now();
            let mut last = (Instant::now(), 0u64, 0u64);
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(500));
                if last.0.elapsed() < Duration::from_secs(5) {
                    continue;
                }
                let frames = counters.frames.load(Ordering::Relaxed);
                let logic = counters.logic.load(Ordering::Relaxed);
                let secs = last.0.elapsed().as_secs_f64();
                eprintln!(
                    "spinewatch stats: t={:.1} s: {} frames drawn in {secs:.1} s ({:.2}/s), {} logic passes; {frames} frames in total",
                    started.elapsed().as_secs_f64(),
                    frames - last.1,
                    (frames - last.1) as f64 / secs,
                    logic - last.2,
                );
                last = (Instant::now(), frames, logic);
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("no stats thread: {e}");
    }
}

/// This process as the first instance: the name, and the requests of later ones.
type Primary = (PrimaryInstance, Receiver<Request>);

/// One instance per user: the first process owns the name; a second raises the first window
/// and ends. `Ok(None)` means this process is the second and has done its job; `Ok(Some(None))`
/// that the check is unavailable here (the window runs anyway).
fn claim_instance(ctx: &SharedCtx, minimized: bool) -> Result<Option<Option<Primary>>, GuiError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let wake_ctx = Arc::clone(ctx);
    let name = InstanceName::for_current_user();
    match claim(&name, channel_callback(tx, move || wake(&wake_ctx))) {
        Ok(Claim::Primary(p)) => Ok(Some(Some((p, rx)))),
        Ok(Claim::Secondary(other)) => {
            if minimized {
                // Started at login while one already runs: nothing to show.
                println!("spinewatch is already running");
                return Ok(None);
            }
            match other.raise() {
                Ok(pid) => {
                    println!("spinewatch is already running (pid {pid}); raised its window");
                    Ok(None)
                }
                Err(e) => {
                    tracing::warn!("another spinewatch holds the name but did not answer: {e}");
                    Ok(Some(None))
                }
            }
        }
        Err(e) => {
            // Without the guarantee, but running: better than not starting.
            tracing::warn!("one-instance check unavailable: {e}");
            Ok(Some(None))
        }
    }
}

/// The tray icon, if a StatusNotifier host can be reached; its menu actions arrive on the
/// returned channel and wake the window.
fn start_tray(ctx: &SharedCtx) -> Option<(TrayService, Receiver<TrayAction>)> {
    let (tx, rx) = std::sync::mpsc::channel();
    let wake_ctx = Arc::clone(ctx);
    let on_action = move |a: TrayAction| {
        if tx.send(a).is_ok() {
            wake(&wake_ctx);
        }
    };
    let on_action = Mutex::new(on_action);
    match TrayService::start(&TrayStatus::default(), move |a| {
        if let Ok(f) = on_action.lock() {
            f(a);
        }
    }) {
        Ok(t) => Some((t, rx)),
        Err(e) => {
            tracing::info!("no tray icon: {e}");
            None
        }
    }
}

/// Runs the window until it is closed.
pub fn run(options: GuiOptions) -> Result<(), GuiError> {
    if !has_display() {
        return Err(GuiError::NoDisplay);
    }
    let ctx: SharedCtx = Arc::new(Mutex::new(None));
    let Some(instance) = claim_instance(&ctx, options.minimized)? else {
        return Ok(());
    };
    // Notification buttons answer on a notifier thread; the window forwards each choice (the
    // engine commands its own buttons send) and wakes to do it.
    let (choice_tx, choice_rx) = std::sync::mpsc::channel();
    let wake_ctx = Arc::clone(&ctx);
    let notifier = DesktopNotifier::with_actions(move |choice| {
        if choice_tx.send(choice).is_ok() {
            wake(&wake_ctx);
        }
    });
    let start = options
        .replay
        .clone()
        .map_or(StartSource::Auto, StartSource::Replay);
    let (engine, handle) = Engine::new(
        EngineOptions {
            start,
            ..EngineOptions::default()
        },
        Box::new(SystemClock::new()),
        Box::new(notifier),
    );
    let pipeline = engine
        .spawn()
        .map_err(|e| GuiError::Window(format!("could not start the pipeline thread: {e}")))?;
    let tray = start_tray(&ctx);
    let (scheme_tx, scheme_rx) = std::sync::mpsc::channel();
    let wake_ctx = Arc::clone(&ctx);
    if let Err(e) = crate::desktop::appearance::watch(move |scheme| {
        if scheme_tx.send(scheme).is_ok() {
            wake(&wake_ctx);
        }
    }) {
        tracing::info!("{e}");
    }
    let window_file = window_state::path_beside(&Paths::for_user().settings_file);
    let window = window_state::load_or_warn(&window_file);
    let app = SpinewatchApp::new(handle.clone()).with_desktop(
        Desktop::new(tray, instance, options.minimized)
            .with_notification_choices(choice_rx)
            .with_appearance(scheme_rx)
            .with_window_tracker(WindowTracker::new(window_file, window)),
    );
    let stop = Arc::new(AtomicBool::new(false));
    if options.stats {
        spawn_stats(app.counters(), Arc::clone(&stop));
    }
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("spinewatch")
        .with_app_id("spinewatch")
        .with_inner_size(window.map_or(WINDOW_SIZE, |w| w.inner_size_pt))
        .with_min_inner_size(window_state::MIN_SIZE_PT)
        .with_maximized(window.is_some_and(|w| w.maximized))
        .with_icon(window_icon());
    if let Some(pos) = window.and_then(|w| w.outer_pos_pt) {
        viewport = viewport.with_position(pos);
    }
    let native = eframe::NativeOptions {
        viewport,
        ..Default::default()
    };
    let waker_handle = handle.clone();
    let result = eframe::run_native(
        "spinewatch",
        native,
        Box::new(move |cc| {
            if let Ok(mut c) = ctx.lock() {
                *c = Some(cc.egui_ctx.clone());
            }
            let ctx = cc.egui_ctx.clone();
            waker_handle.set_waker(Box::new(move |after| ctx.request_repaint_after(after)));
            Ok(Box::new(app))
        }),
    );
    handle.send(Command::Shutdown);
    stop.store(true, Ordering::Relaxed);
    let _ = pipeline.join();
    result.map_err(|e| {
        let text = e.to_string();
        let lower = text.to_lowercase();
        if ["display", "x11", "wayland", "xopendisplay"]
            .iter()
            .any(|k| lower.contains(k))
        {
            GuiError::NoDisplay
        } else {
            GuiError::Window(text)
        }
    })
}
