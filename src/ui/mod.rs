//! The window: draws what the engine publishes and sends commands back. Each panel is a
//! `*_ui(ui, &state, …)` function; none computes posture.

pub mod alerts;
pub mod calibration;
pub mod desktop;
pub mod figure;
pub mod help;
pub mod history;
pub mod launch;
pub mod live;
pub mod replay;
pub mod settings;
pub mod theme;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use egui::{Align, Layout, RichText, Ui};

use crate::app::command::SnoozeLength;
use crate::app::status;
use crate::app::store::{Banner, ReplayView, Shared, Toast, WizardView};
use crate::app::{Command, EngineHandle};
use crate::format::human_duration;
use crate::source::SourceKind;

use live::LiveData;
use settings::SettingsForm;

/// Which page is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Live,
    Replay,
    History,
    Settings,
    Help,
}

/// Frames drawn and logic passes run, for `--stats`.
#[derive(Debug, Default)]
pub struct FrameCounters {
    pub frames: AtomicU64,
    pub logic: AtomicU64,
}

/// The app state that lives in the window (the engine holds the rest).
pub struct SpinewatchApp {
    handle: EngineHandle,
    pub tab: Tab,
    form: Option<SettingsForm>,
    open: replay::OpenForm,
    span_s: f64,
    drag_to: Option<f64>,
    styled: bool,
    counters: Arc<FrameCounters>,
    /// Tray, one instance, start minimised (the real window only; `None` in tests).
    desktop: Option<desktop::Desktop>,
    /// The History tab (public so tests can set its clock).
    pub history: history::HistoryPanel,
}

/// What one frame needs from the store, copied out under the lock.
struct FrameData {
    live: LiveData,
    source_label: String,
    source_kind: SourceKind,
    status: String,
    link_problem: Option<String>,
    banner: Option<Banner>,
    toast: Option<Toast>,
    wizard: WizardView,
    snooze_text: Option<String>,
    meeting: bool,
    recording: Option<String>,
    replay: Option<ReplayView>,
    notices: Vec<String>,
    settings: crate::app::Settings,
    sessions: std::sync::Arc<Vec<crate::app::store::SessionFile>>,
    sessions_dir: std::path::PathBuf,
    ports: Vec<crate::app::store::PortChoice>,
}

impl FrameData {
    fn from_shared(sh: &Shared, span_s: f64, bins: usize) -> Self {
        let snooze_text = if sh.snooze.meeting {
            Some("Meeting mode: alerts held back".into())
        } else if sh.snooze.quiet_hours {
            Some("Quiet hours: alerts held back".into())
        } else {
            sh.snooze.until_s.map(|u| {
                format!(
                    "Alerts snoozed ({}), {} left",
                    sh.snooze.label.clone().unwrap_or_default(),
                    human_duration(u - sh.now_s)
                )
            })
        };
        Self {
            live: LiveData::from_shared(sh, span_s, bins),
            source_label: sh.source.label.clone(),
            source_kind: sh.source.kind,
            status: status::status_line(sh),
            link_problem: status::link_problem(&sh.link),
            banner: sh.banner.clone(),
            toast: sh.toast.clone(),
            wizard: sh.wizard.clone(),
            snooze_text,
            meeting: sh.snooze.meeting,
            recording: sh.recording.as_ref().map(|r| {
                format!(
                    "Recording {} to {}",
                    replay::clock_time(r.duration_s),
                    r.path.display()
                )
            }),
            replay: sh.replay.clone(),
            notices: sh.notices.iter().cloned().collect(),
            settings: sh.settings.clone(),
            sessions: std::sync::Arc::clone(&sh.sessions),
            sessions_dir: sh.sessions_dir.clone(),
            ports: sh.ports.clone(),
        }
    }
}

impl SpinewatchApp {
    pub fn new(handle: EngineHandle) -> Self {
        Self {
            handle,
            tab: Tab::Live,
            form: None,
            open: replay::OpenForm::default(),
            span_s: live::SPANS[0].0,
            drag_to: None,
            styled: false,
            counters: Arc::new(FrameCounters::default()),
            desktop: None,
            history: history::HistoryPanel::default(),
        }
    }

    /// Gives the window its desktop integration (tray, instance, start minimised).
    pub fn with_desktop(mut self, desktop: desktop::Desktop) -> Self {
        self.desktop = Some(desktop);
        self
    }

    pub fn counters(&self) -> Arc<FrameCounters> {
        Arc::clone(&self.counters)
    }

    pub fn handle(&self) -> &EngineHandle {
        &self.handle
    }

    /// Draws the whole window into `ui` (also used by the UI tests).
    pub fn show(&mut self, ui: &mut Ui) {
        self.counters.frames.fetch_add(1, Ordering::Relaxed);
        if !self.styled {
            theme::apply(ui.ctx());
            self.styled = true;
        }
        let bins = ui.available_width().max(100.0) as usize;
        let span = self.span_s;
        let d = self
            .handle
            .read(|sh| FrameData::from_shared(sh, span, bins));
        if d.replay.is_some() && self.tab == Tab::Live && self.drag_to.is_none() {
            // A replay plays in the replay tab, with its controls.
            self.tab = Tab::Replay;
        }
        if self.form.is_none() {
            self.form = Some(SettingsForm::from_settings(&d.settings));
        }
        self.take_dropped_files(ui);

        egui::Panel::top("top_bar")
            .frame(
                egui::Frame::new()
                    .fill(theme::card(ui))
                    .inner_margin(egui::Margin::symmetric(14, 8)),
            )
            .show(ui, |ui| self.top_bar(ui, &d));
        egui::Panel::bottom("status_bar")
            .frame(
                egui::Frame::new()
                    .fill(theme::card(ui))
                    .inner_margin(egui::Margin::symmetric(14, 6)),
            )
            .show(ui, |ui| status_bar(ui, &d));
        // No fill: the window is cleared to the panel's colour (`clear_color` below), so
        // filling it again would make the software renderer paint most of the window's pixels
        // twice a frame.
        egui::CentralPanel::default()
            .frame(egui::Frame::new().inner_margin(egui::Margin::symmetric(18, 12)))
            .show(ui, |ui| self.central(ui, &d));
    }

    /// A session CSV dropped on the window opens in the player; anything else is refused with
    /// a word in the Replay view.
    fn take_dropped_files(&mut self, ui: &mut Ui) {
        let (dropped, hovering) = ui.input(|i| {
            // A file dropped from the web has only a name; nothing to open.
            let paths: Vec<std::path::PathBuf> = i
                .raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| p.is_absolute())
                .collect();
            (paths, !i.raw.hovered_files.is_empty())
        });
        if hovering {
            egui::Area::new(egui::Id::unique("drop_hint"))
                .order(egui::Order::Foreground)
                .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
                .show(ui.ctx(), |ui| {
                    egui::Frame::new()
                        .fill(theme::card(ui))
                        .stroke(egui::Stroke::new(2.0, theme::BACK))
                        .corner_radius(10.0)
                        .inner_margin(egui::Margin::same(18))
                        .show(ui, |ui| {
                            ui.label(
                                RichText::new("Drop a session CSV to open it in the player")
                                    .size(18.0)
                                    .color(theme::ink(ui)),
                            );
                        });
                });
        }
        match crate::desktop::file_chooser::pick_dropped(dropped.iter().map(|p| p.as_path())) {
            Ok(None) => {}
            Ok(Some(path)) => {
                self.open.problem = None;
                self.open.path_text = path.display().to_string();
                self.handle.send(Command::OpenSession(path.to_path_buf()));
                self.tab = Tab::Replay;
            }
            Err(words) => {
                self.open.problem = Some(words);
                self.tab = Tab::Replay;
            }
        }
    }

    fn top_bar(&mut self, ui: &mut Ui, d: &FrameData) {
        ui.horizontal(|ui| {
            ui.label(
                RichText::new("spinewatch")
                    .size(20.0)
                    .strong()
                    .color(theme::ink(ui)),
            );
            ui.add_space(12.0);
            for (tab, label) in [
                (Tab::Live, "Live"),
                (Tab::Replay, "Replay"),
                (Tab::History, "History"),
                (Tab::Settings, "Settings"),
                (Tab::Help, "Help"),
            ] {
                if ui.selectable_label(self.tab == tab, label).clicked() {
                    self.tab = tab;
                }
            }
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                let recording = d.recording.is_some();
                if recording {
                    if ui
                        .button(RichText::new("Stop recording").color(theme::BAD))
                        .clicked()
                    {
                        self.handle.send(Command::StopRecording);
                    }
                } else if ui
                    .add_enabled(
                        d.replay.is_none(),
                        egui::Button::new(RichText::new("Record").color(theme::BAD)),
                    )
                    .on_hover_text("Record the live data to a session file")
                    .clicked()
                {
                    self.handle.send(Command::StartRecording);
                }
                ui.menu_button("Snooze", |ui| {
                    for length in [
                        SnoozeLength::Minutes(30),
                        SnoozeLength::Minutes(60),
                        SnoozeLength::UntilTomorrow,
                    ] {
                        if ui.button(format!("For {}", length.label())).clicked() {
                            self.handle.send(Command::Snooze(length));
                        }
                    }
                    if ui.button("End snooze").clicked() {
                        self.handle.send(Command::EndSnooze);
                    }
                });
                let mut meeting = d.meeting;
                if ui.toggle_value(&mut meeting, "Meeting mode").changed() {
                    self.handle.send(Command::SetMeetingMode(meeting));
                }
                if ui.button("Calibrate").clicked() {
                    self.handle.send(Command::StartCalibration);
                    self.tab = if d.replay.is_some() {
                        Tab::Replay
                    } else {
                        Tab::Live
                    };
                }
                ui.separator();
                self.source_menu(ui, d);
            });
        });
    }

    fn source_menu(&mut self, ui: &mut Ui, d: &FrameData) {
        let colour = match (&d.link_problem, d.source_kind) {
            (Some(_), _) => theme::WARN,
            (None, SourceKind::Demo) => theme::BACK,
            (None, _) => theme::GOOD,
        };
        let label = RichText::new(format!("Source: {}", d.source_label))
            .color(colour)
            .strong();
        ui.menu_button(label, |ui| {
            ui.label(RichText::new("Source").small().color(theme::MUTED));
            if ui.button("Demo sensor (simulated wearer)").clicked() {
                self.handle
                    .send(Command::UseSource(crate::app::SourceChoice::Demo));
            }
            if d.ports.is_empty() {
                ui.label(RichText::new("No serial ports found").color(theme::MUTED));
            }
            for p in &d.ports {
                if ui
                    .button(format!("{} — {}", p.path, p.description))
                    .clicked()
                {
                    self.handle
                        .send(Command::UseSource(crate::app::SourceChoice::Serial {
                            port: Some(p.path.clone()),
                            baud: d.settings.baud,
                        }));
                }
            }
            if ui.button("Refresh ports").clicked() {
                self.handle.send(Command::RefreshPorts);
            }
            ui.separator();
            if ui.button("Open a recorded session…").clicked() {
                self.tab = Tab::Replay;
                self.handle.send(Command::RefreshSessions);
            }
        })
        .response
        .on_hover_text("Pick a port or open a recorded session");
    }

    fn central(&mut self, ui: &mut Ui, d: &FrameData) {
        if d.wizard.active() && matches!(self.tab, Tab::Live | Tab::Replay) {
            if let (Tab::Replay, Some(v)) = (self.tab, &d.replay) {
                replay::player_ui(ui, v, &self.handle, &mut self.drag_to);
                ui.add_space(10.0);
            }
            calibration::wizard_ui(ui, &d.wizard, &self.handle);
            return;
        }
        if matches!(self.tab, Tab::Live | Tab::Replay) {
            if let Some(b) = &d.banner {
                alerts::banner_ui(ui, b, d.settings.snooze_default_min, &self.handle);
            } else if let Some(t) = &d.toast {
                alerts::toast_ui(ui, t);
            }
        }
        match self.tab {
            Tab::Live => {
                live::header_ui(ui, &d.live, &self.handle);
                ui.add_space(8.0);
                live::plot_ui(ui, &d.live, &mut self.span_s);
            }
            Tab::Replay => match &d.replay {
                Some(v) => {
                    replay::player_ui(ui, v, &self.handle, &mut self.drag_to);
                    ui.add_space(10.0);
                    live::header_ui(ui, &d.live, &self.handle);
                    ui.add_space(6.0);
                    live::plot_ui(ui, &d.live, &mut self.span_s);
                }
                None => replay::open_ui(
                    ui,
                    &d.sessions,
                    &d.sessions_dir,
                    &mut self.open,
                    &self.handle,
                ),
            },
            Tab::Settings => {
                if let Some(form) = &mut self.form {
                    settings::settings_ui(
                        ui,
                        form,
                        &d.settings,
                        &d.ports,
                        d.live.calibrated,
                        &self.handle,
                    );
                }
            }
            Tab::History => {
                history::history_ui(ui, &mut self.history, self.handle.history(), &d.settings);
            }
            Tab::Help => help::help_ui(ui),
        }
    }
}

fn status_bar(ui: &mut Ui, d: &FrameData) {
    ui.horizontal(|ui| {
        match &d.link_problem {
            Some(p) => ui.label(RichText::new(p.as_str()).color(theme::WARN).strong()),
            None => ui.label(RichText::new(d.status.as_str()).color(theme::MUTED)),
        };
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if let Some(r) = &d.recording {
                ui.label(RichText::new(r.as_str()).color(theme::BAD));
            }
            if let Some(s) = &d.snooze_text {
                ui.label(RichText::new(s.as_str()).color(theme::BACK));
            }
            if d.live.today.held_back > 0 {
                ui.label(
                    RichText::new(format!("{} held back by snooze", d.live.today.held_back))
                        .color(theme::MUTED),
                );
            }
        });
    });
    if let Some(n) = d.notices.last() {
        ui.label(RichText::new(format!("Note: {n}")).color(theme::WARN));
    }
}

impl eframe::App for SpinewatchApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        // Called before every frame, and alone while the window is hidden: until `ui` runs
        // again, the engine stops waking the window for live data.
        self.counters.logic.fetch_add(1, Ordering::Relaxed);
        self.handle.set_visible(false);
        if !self.styled {
            // Before the desktop's light/dark preference is applied below.
            theme::apply(ctx);
            self.styled = true;
        }
        if let Some(d) = &mut self.desktop {
            let close_to_tray = self.handle.read(|sh| sh.settings.close_to_tray);
            d.logic(ctx, &self.handle, close_to_tray);
        }
    }

    /// The central panel's colour (light or dark), which the central panel then does not paint.
    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        visuals.panel_fill.to_normalized_gamma_f32()
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.handle.set_visible(true);
        self.show(ui);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if let Some(d) = &mut self.desktop {
            d.on_exit();
        }
        self.handle.send(Command::Shutdown);
    }
}
