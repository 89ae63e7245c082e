//! The window's side of living on the desktop: the tray icon's menu and state, hiding to the
//! tray on close (only when a tray host answers, so the app never runs on invisibly), starting
//! minimised, and raising the window when a second `spinewatch` asks. The parts themselves are
//! in `crate::desktop` (no egui there); this file turns their plain values into viewport
//! commands and engine commands.

use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::app::{Command, EngineHandle};
use crate::desktop::appearance::ColorScheme;
use crate::desktop::instance::{PrimaryInstance, Request};
use crate::desktop::notify_actions::Choice;
use crate::desktop::tray::{TrayAction, TrayService, TrayStatus};
use crate::desktop::window_state::{WindowState, WindowTracker};
use crate::posture::PostureState;

/// The tray status is refreshed at most this often (it is a D-Bus property update).
const TRAY_EVERY: Duration = Duration::from_secs(1);

/// A context the desktop threads can wake once the window exists.
pub type SharedCtx = Arc<Mutex<Option<egui::Context>>>;

/// Wakes the window from another thread.
pub fn wake(ctx: &SharedCtx) {
    if let Ok(guard) = ctx.lock()
        && let Some(c) = &*guard
    {
        c.request_repaint();
    }
}

/// The desktop integration of one window.
pub struct Desktop {
    pub tray: Option<TrayService>,
    pub tray_actions: Option<Receiver<TrayAction>>,
    pub instance: Option<PrimaryInstance>,
    pub requests: Option<Receiver<Request>>,
    /// What the wearer chose on a notification's buttons (see [`Desktop::with_notification_choices`]).
    pub notification_choices: Option<Receiver<Choice>>,
    /// The desktop's light/dark preference as the portal tells it (see `desktop::appearance`).
    appearance: Option<Receiver<ColorScheme>>,
    /// Remembers the window's size and place (`window.json`).
    window: Option<WindowTracker>,
    /// Start hidden (`--minimized`).
    pub start_minimized: bool,
    hidden: bool,
    quitting: bool,
    told_hidden: bool,
    first_frame: bool,
    last_tray: Option<Instant>,
    last_port: Option<Option<String>>,
}

impl Desktop {
    pub fn new(
        tray: Option<(TrayService, Receiver<TrayAction>)>,
        instance: Option<(PrimaryInstance, Receiver<Request>)>,
        start_minimized: bool,
    ) -> Self {
        let (tray, tray_actions) = match tray {
            Some((t, rx)) => (Some(t), Some(rx)),
            None => (None, None),
        };
        let (instance, requests) = match instance {
            Some((i, rx)) => (Some(i), Some(rx)),
            None => (None, None),
        };
        Self {
            tray,
            tray_actions,
            instance,
            requests,
            notification_choices: None,
            window: None,
            appearance: None,
            start_minimized,
            hidden: false,
            quitting: false,
            told_hidden: false,
            first_frame: true,
            last_tray: None,
            last_port: None,
        }
    }

    /// Takes the choices made on notification buttons (`app::notifier::DesktopNotifier::
    /// with_actions` sends them here): an engine command is sent as the window's own button
    /// would send it, a click on the notification's body shows the window.
    pub fn with_notification_choices(mut self, rx: Receiver<Choice>) -> Self {
        self.notification_choices = Some(rx);
        self
    }

    /// Remembers the window's size and position with `tracker`.
    pub fn with_window_tracker(mut self, tracker: WindowTracker) -> Self {
        self.window = Some(tracker);
        self
    }

    /// Follows the desktop's light or dark preference from these answers.
    pub fn with_appearance(mut self, rx: Receiver<ColorScheme>) -> Self {
        self.appearance = Some(rx);
        self
    }

    /// Writes the window's state if a change is still unwritten (the app is closing).
    pub fn on_exit(&mut self) {
        if let Some(t) = &mut self.window
            && let Some(s) = t.unwritten()
        {
            t.write(s);
        }
    }

    /// The window as it is now, if it can be measured: shown, not minimised. A maximised
    /// window keeps the size it had before, so un-maximising next time restores it.
    fn window_now(&self, ctx: &egui::Context) -> Option<WindowState> {
        if self.hidden {
            return None;
        }
        ctx.input(|i| {
            let v = i.viewport();
            if v.minimized == Some(true) || v.fullscreen == Some(true) {
                return None;
            }
            let maximized = v.maximized == Some(true);
            let last = self.window.as_ref().and_then(WindowTracker::last);
            if maximized {
                return last.map(|s| WindowState { maximized, ..s });
            }
            let inner = v.inner_rect?;
            Some(WindowState {
                inner_size_pt: [inner.width(), inner.height()],
                outer_pos_pt: v.outer_rect.map(|r| [r.min.x, r.min.y]),
                maximized,
            })
        })
    }

    fn tray_host(&self) -> bool {
        self.tray.as_ref().is_some_and(TrayService::host_present)
    }

    fn show(&mut self, ctx: &egui::Context, visible: bool) {
        self.hidden = !visible;
        ctx.send_viewport_cmd(egui::ViewportCommand::Visible(visible));
        if visible {
            ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(false));
            ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
        }
    }

    /// Runs before every frame (also while the window is hidden).
    pub fn logic(&mut self, ctx: &egui::Context, handle: &EngineHandle, close_to_tray: bool) {
        if self.first_frame {
            self.first_frame = false;
            if self.start_minimized {
                if self.tray_host() {
                    self.show(ctx, false);
                } else {
                    ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(true));
                }
            }
        }
        let mut actions = Vec::new();
        if let Some(rx) = &self.tray_actions {
            while let Ok(a) = rx.try_recv() {
                actions.push(a);
            }
        }
        for action in actions {
            match action {
                TrayAction::ToggleWindow => {
                    let visible = self.hidden;
                    self.show(ctx, visible);
                }
                TrayAction::Quit => {
                    self.quitting = true;
                    handle.send(Command::Shutdown);
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
                TrayAction::Engine(c) => {
                    let shows = TrayAction::Engine(c.clone()).shows_window();
                    handle.send(c);
                    if shows {
                        self.show(ctx, true);
                    }
                }
            }
        }
        if let Some(rx) = &self.appearance
            && let Some(scheme) = rx.try_iter().last()
        {
            crate::ui::theme::set_desktop_preference(ctx, scheme.dark());
        }
        let mut raise = false;
        if let Some(rx) = &self.notification_choices {
            while let Ok(choice) = rx.try_recv() {
                match choice {
                    Choice::Engine(c) => handle.send(c),
                    Choice::OpenWindow => raise = true,
                }
            }
        }
        if let Some(rx) = &self.requests {
            while let Ok(r) = rx.try_recv() {
                raise |= r == Request::Raise;
            }
        }
        if raise {
            self.show(ctx, true);
        }
        // Closing hides to the tray when a host shows the icon; otherwise it quits.
        if ctx.input(|i| i.viewport().close_requested())
            && !self.quitting
            && close_to_tray
            && self.tray_host()
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.show(ctx, false);
            if !self.told_hidden {
                self.told_hidden = true;
                handle.send(Command::Notify {
                    title: "spinewatch keeps watching".into(),
                    body: "It is in the tray (the posture icon): monitoring and alerts go on. Quit from its menu.".into(),
                });
            }
        }
        self.refresh_tray(handle);
        let now_state = self.window_now(ctx);
        if let Some(t) = &mut self.window
            && let Some(s) = t.observe(now_state, Instant::now())
        {
            t.write(s);
        }
    }

    fn refresh_tray(&mut self, handle: &EngineHandle) {
        if self.last_tray.is_some_and(|t| t.elapsed() < TRAY_EVERY) {
            return;
        }
        self.last_tray = Some(Instant::now());
        let (status, port) = handle.read(|sh| {
            (
                TrayStatus {
                    state: sh.posture.map_or(PostureState::NoData, |p| p.state),
                    flexion_deg: sh.posture.and_then(|p| p.flexion_deg),
                    slouched_today_s: sh.today.slouched_s,
                    snoozed: sh.snooze.until_s.is_some() || sh.snooze.quiet_hours,
                    meeting: sh.snooze.meeting,
                    recording: sh.recording.is_some(),
                    window_visible: !self.hidden,
                },
                sh.source.port.clone(),
            )
        });
        if let Some(t) = &mut self.tray {
            t.set_status(&status);
        }
        if self.last_port.as_ref() != Some(&port) {
            if let Some(i) = &self.instance {
                i.set_port(port.clone());
            }
            self.last_port = Some(port);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::clock::FixedClock;
    use crate::app::engine::StartSource;
    use crate::app::notifier::MemoryNotifier;
    use crate::app::{Engine, EngineOptions, Paths, SnoozeLength};

    fn engine(dir: &std::path::Path) -> (Engine, EngineHandle) {
        let noon = chrono::NaiveDate::from_ymd_opt(2025, 6, 2)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .unwrap_or_default();
        Engine::new(
            EngineOptions {
                paths: Paths::under(dir),
                start: StartSource::Demo,
                persist: false,
                ..EngineOptions::default()
            },
            Box::new(FixedClock(noon)),
            Box::new(MemoryNotifier::default()),
        )
    }

    /// A click on a notification's "Snooze 30 min" snoozes the engine as the banner's button
    /// does; a click on its body shows the hidden window.
    #[test]
    fn notification_choices_reach_the_engine_and_the_window() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (mut engine, handle) = engine(dir.path());
        let (tx, rx) = std::sync::mpsc::channel();
        let mut desktop = Desktop::new(None, None, false).with_notification_choices(rx);
        let ctx = egui::Context::default();
        desktop.logic(&ctx, &handle, true);
        engine.run_until_idle(100);
        assert_eq!(handle.read(|sh| sh.snooze.until_s), None);

        let snooze = Command::Snooze(SnoozeLength::Minutes(30));
        tx.send(Choice::Engine(snooze))
            .unwrap_or_else(|e| panic!("{e}"));
        desktop.logic(&ctx, &handle, true);
        engine.run_until_idle(100);
        let until = handle.read(|sh| sh.snooze.until_s);
        assert!(until.is_some(), "snoozed: {until:?}");

        desktop.hidden = true;
        tx.send(Choice::OpenWindow)
            .unwrap_or_else(|e| panic!("{e}"));
        desktop.logic(&ctx, &handle, true);
        assert!(!desktop.hidden, "shown again");
    }
}
