//! Opens the desktop app: starts the engine on its pipeline thread and runs the eframe window.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::app::engine::StartSource;
use crate::app::notifier::DesktopNotifier;
use crate::app::{Command, Engine, EngineOptions, SystemClock};
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

/// Runs the window until it is closed.
pub fn run(options: GuiOptions) -> Result<(), GuiError> {
    if !has_display() {
        return Err(GuiError::NoDisplay);
    }
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
        Box::new(DesktopNotifier::new()),
    );
    let pipeline = engine
        .spawn()
        .map_err(|e| GuiError::Window(format!("could not start the pipeline thread: {e}")))?;
    let app = SpinewatchApp::new(handle.clone());
    let stop = Arc::new(AtomicBool::new(false));
    if options.stats {
        spawn_stats(app.counters(), Arc::clone(&stop));
    }
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("spinewatch")
            .with_app_id("spinewatch")
            .with_inner_size(WINDOW_SIZE)
            .with_min_inner_size([760.0, 520.0]),
        ..Default::default()
    };
    let waker_handle = handle.clone();
    let result = eframe::run_native(
        "spinewatch",
        native,
        Box::new(move |cc| {
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
