//! Hand experiments for the integrator (ignored; need a display, e.g. `xvfb-run`): which way of
//! "closing to the tray" eframe 0.37 supports here.
//!
//! ```sh
//! xvfb-run cargo test --test desktop_window_manual -- --ignored --nocapture --test-threads=1
//! ```
//!
//! - `hide_then_show`: `ViewportCommand::Visible(false)`, then `Visible(true)` sent from another
//!   thread (as a tray click would) — does the window come back and draw again?
//! - `close_then_run_again`: the window really closes (`run_native` returns) and a second
//!   `run_native` opens it again, the engine and tray living on outside it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

fn options() -> eframe::NativeOptions {
    eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("spinewatch experiment")
            .with_app_id("spinewatch")
            .with_inner_size([320.0, 200.0]),
        // The test harness runs tests off the main thread; winit refuses that unless told.
        event_loop_builder: Some(Box::new(|builder| {
            use winit::platform::x11::EventLoopBuilderExtX11;
            builder.with_any_thread(true);
        })),
        ..Default::default()
    }
}

/// Ends the process if the experiment hangs (a hidden window that never comes back).
fn watchdog(what: &'static str) {
    let spawned = std::thread::Builder::new()
        .name("watchdog".into())
        .spawn(move || {
            std::thread::sleep(Duration::from_secs(8));
            println!("RESULT {what}: hung (no frame after the request)");
            std::process::exit(3);
        });
    if let Err(e) = spawned {
        panic!("{e}");
    }
}

/// Hides itself at frame 3; a "tray" thread asks it to show again 700 ms later; it closes itself
/// after 3 s. Check the window's map state from outside meanwhile (`xdotool search
/// --onlyvisible`): hidden around 1 s, shown again around 2 s.
struct HideShow {
    frames: Arc<AtomicU32>,
    started: std::time::Instant,
    hidden: bool,
}

impl eframe::App for HideShow {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let n = self.frames.fetch_add(1, Ordering::SeqCst) + 1;
        ui.label(format!("frame {n}"));
        if n == 3 && !self.hidden {
            self.hidden = true;
            println!("hiding at {:?}", self.started.elapsed());
            ctx.send_viewport_cmd(egui::ViewportCommand::Visible(false));
            let shower = ctx.clone();
            let spawned = std::thread::Builder::new()
                .name("fake-tray".into())
                .spawn(move || {
                    std::thread::sleep(Duration::from_millis(700));
                    println!("tray: show");
                    shower.send_viewport_cmd(egui::ViewportCommand::Visible(true));
                    shower.send_viewport_cmd(egui::ViewportCommand::Focus);
                    shower.request_repaint();
                });
            if let Err(e) = spawned {
                panic!("{e}");
            }
        }
        if self.started.elapsed() > Duration::from_secs(3) {
            println!("RESULT hide_then_show: {n} frames in 3 s, closing");
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        } else {
            ctx.request_repaint_after(Duration::from_millis(50));
        }
    }
}

#[test]
#[ignore = "manual: needs a display"]
fn hide_then_show() {
    watchdog("hide_then_show");
    let frames = Arc::new(AtomicU32::new(0));
    let app_frames = Arc::clone(&frames);
    eframe::run_native(
        "hide",
        options(),
        Box::new(move |_| {
            Ok(Box::new(HideShow {
                frames: app_frames,
                started: std::time::Instant::now(),
                hidden: false,
            }))
        }),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    println!("frames in all: {}", frames.load(Ordering::SeqCst));
}

struct CloseAfter {
    frames: u32,
    run: u32,
}

impl eframe::App for CloseAfter {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frames += 1;
        ui.label(format!("run {} frame {}", self.run, self.frames));
        if self.frames >= 3 {
            println!(
                "RESULT close_then_run_again: run {} drew {} frames",
                self.run, self.frames
            );
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        } else {
            ui.ctx().request_repaint_after(Duration::from_millis(30));
        }
    }
}

#[test]
#[ignore = "manual: needs a display"]
fn close_then_run_again() {
    watchdog("close_then_run_again");
    for run in 1..=2 {
        eframe::run_native(
            "close",
            options(),
            Box::new(move |_| Ok(Box::new(CloseAfter { frames: 0, run }))),
        )
        .unwrap_or_else(|e| panic!("run {run}: {e}"));
    }
}
