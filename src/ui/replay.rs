//! The replay player: open a recorded session (path field or the list of recordings), play,
//! pause, speed, and seek by clicking or dragging on the whole-session overview.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, TryRecvError};

use egui::{Align, Layout, Pos2, RichText, Sense, Shape, Stroke, Ui, pos2, vec2};

use crate::app::command::ReplaySpeed;
use crate::app::store::{ReplayView, SessionFile};
use crate::app::{Command, EngineHandle};

use super::theme;

/// `m:ss` or `h:mm:ss`.
pub fn clock_time(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// What the open view keeps between frames.
#[derive(Debug, Default)]
pub struct OpenForm {
    /// The typed path (the fallback where no file chooser answers).
    pub path_text: String,
    /// Why the last attempt from this view failed (the engine's own notices say the rest).
    pub problem: Option<String>,
    /// The desktop's file chooser while it is up: the file picked, once it closes.
    chooser: Option<Receiver<Option<PathBuf>>>,
}

/// The file picker shown when no session is open.
pub fn open_ui(
    ui: &mut Ui,
    sessions: &[SessionFile],
    sessions_dir: &std::path::Path,
    form: &mut OpenForm,
    handle: &EngineHandle,
) {
    ui.heading("Open a recorded session");
    ui.label(
        RichText::new("Sessions are CSV files (time_s, ax_g … gz_dps) as written by the Record button or `spinewatch record`.")
            .color(theme::MUTED),
    );
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        if ui
            .button("Open demo session")
            .on_hover_text("A few minutes of the simulated wearer: a calibration, a slouch with its alert, a reach, a lean back and a walking break")
            .clicked()
        {
            match crate::desktop::demo::materialize(sessions_dir) {
                Ok(path) => {
                    form.problem = None;
                    handle.send(Command::OpenSession(path));
                }
                Err(e) => form.problem = Some(e.to_string()),
            }
        }
        ui.label(RichText::new("to try the player before recording anything").color(theme::MUTED));
    });
    ui.add_space(6.0);
    if let Some(rx) = &form.chooser {
        match rx.try_recv() {
            Ok(picked) => {
                form.chooser = None;
                if let Some(path) = picked {
                    form.path_text = path.display().to_string();
                    form.problem = None;
                    handle.send(Command::OpenSession(path));
                }
            }
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => form.chooser = None,
        }
    }
    let choosing = form.chooser.is_some();
    let mut choose = false;
    let path_text = &mut form.path_text;
    ui.horizontal(|ui| {
        let label = ui.label("Session file");
        let edit = ui.add(
            egui::TextEdit::singleline(path_text)
                .hint_text("/path/to/session.csv")
                .desired_width(420.0),
        );
        let edit = edit.labelled_by(label.id);
        let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if (ui.button("Open").clicked() || enter) && !path_text.trim().is_empty() {
            handle.send(Command::OpenSession(PathBuf::from(path_text.trim())));
        }
        choose = ui
            .add_enabled(!choosing, egui::Button::new("Choose file…"))
            .on_hover_text(
                "The desktop's file chooser (you can also drop a session CSV on the window)",
            )
            .clicked();
        if ui
            .button("Import session…")
            .on_hover_text("Add this recording to the history, at the time it was recorded")
            .clicked()
            && !path_text.trim().is_empty()
        {
            handle.send(Command::ImportSession(PathBuf::from(path_text.trim())));
        }
    });
    if choose {
        let (tx, rx) = mpsc::channel();
        let ctx = ui.ctx().clone();
        let started = crate::desktop::file_chooser::spawn_pick_session(
            sessions_dir.to_path_buf(),
            move |picked| {
                if tx.send(picked).is_ok() {
                    ctx.request_repaint();
                }
            },
        );
        match started {
            Ok(()) => form.chooser = Some(rx),
            Err(e) => form.problem = Some(format!("{e}; type the path instead")),
        }
    }
    if let Some(p) = &form.problem {
        ui.label(RichText::new(p.as_str()).color(theme::BAD));
    }
    ui.add_space(12.0);
    ui.horizontal(|ui| {
        ui.label(RichText::new("Recorded sessions").strong());
        ui.label(
            RichText::new(sessions_dir.display().to_string())
                .small()
                .color(theme::MUTED),
        );
        if ui.small_button("Refresh").clicked() {
            handle.send(Command::RefreshSessions);
        }
    });
    if sessions.is_empty() {
        ui.label(
            RichText::new("No recordings yet. Use Record on the live view.").color(theme::MUTED),
        );
    }
    egui::ScrollArea::vertical()
        .max_height(260.0)
        .show(ui, |ui| {
            for s in sessions {
                let name = s
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let text = format!("{name}   ({:.1} MB)", s.bytes as f64 / 1e6);
                if ui.button(text).clicked() {
                    handle.send(Command::OpenSession(s.path.clone()));
                }
            }
        });
}

/// Player controls and the overview.
pub fn player_ui(ui: &mut Ui, v: &ReplayView, handle: &EngineHandle, drag_to: &mut Option<f64>) {
    let name = v
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("Replay: {name}")).strong().size(16.0));
        ui.label(RichText::new(v.calibration_note.as_str()).color(theme::MUTED));
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if ui.button("Back to live").clicked() {
                handle.send(Command::CloseReplay);
            }
        });
    });
    ui.horizontal(|ui| {
        if v.playing {
            if ui.button("Pause").clicked() {
                handle.send(Command::ReplayPause);
            }
        } else if ui
            .add_enabled(!v.ended, egui::Button::new("Play"))
            .clicked()
        {
            handle.send(Command::ReplayPlay);
        }
        let mut speed = v.speed;
        egui::ComboBox::from_label("Speed")
            .selected_text(speed.label())
            .show_ui(ui, |ui| {
                for s in ReplaySpeed::ALL {
                    ui.selectable_value(&mut speed, s, s.label());
                }
            });
        if speed != v.speed {
            handle.send(Command::ReplaySpeed(speed));
        }
        let rel = v.position_s - v.start_s;
        let total = v.end_s.map(|e| clock_time(e - v.start_s));
        let text = match (total, v.seeking) {
            (_, Some(target)) => format!("seeking to {}…", clock_time(target - v.start_s)),
            (Some(total), None) => format!("{} / {total}", clock_time(rel)),
            (None, None) => clock_time(rel),
        };
        ui.label(RichText::new(text).monospace());
        if v.ended {
            ui.label(RichText::new("end of session").color(theme::MUTED));
        }
    });
    overview_ui(ui, v, handle, drag_to);
}

fn overview_ui(ui: &mut Ui, v: &ReplayView, handle: &EngineHandle, drag_to: &mut Option<f64>) {
    let size = vec2(ui.available_width(), 84.0);
    let (response, painter) = ui.allocate_painter(size, Sense::click_and_drag());
    let position = v.position_s;
    response.widget_info(|| egui::WidgetInfo::slider(true, position, "Session overview"));
    let r = response.rect;
    painter.rect_filled(r, 6.0, theme::card(ui));
    let Some(ov) = &v.overview else {
        painter.text(
            r.center(),
            egui::Align2::CENTER_CENTER,
            "Reading the whole session…",
            egui::FontId::proportional(13.0),
            theme::MUTED,
        );
        return;
    };
    let span = (ov.end_s - ov.start_s).max(1e-6);
    let x_of = |t: f64| r.left() + ((t - ov.start_s) / span) as f32 * r.width();
    let t_of = |x: f32| ov.start_s + f64::from((x - r.left()) / r.width()).clamp(0.0, 1.0) * span;
    let top = ov
        .bins
        .iter()
        .map(|b| b.1)
        .filter(|h| !h.is_nan())
        .fold(ov.threshold_deg as f32 + 20.0, f32::max);
    let bottom = ov
        .bins
        .iter()
        .map(|b| b.0)
        .filter(|l| !l.is_nan())
        .fold(-20.0f32, f32::min);
    let y_of = |deg: f32| r.bottom() - 6.0 - (deg - bottom) / (top - bottom) * (r.height() - 16.0);
    let n = ov.bins.len().max(1) as f32;
    for (i, &(lo, hi)) in ov.bins.iter().enumerate() {
        if lo.is_nan() {
            continue;
        }
        let x = r.left() + (i as f32 + 0.5) / n * r.width();
        let colour = if f64::from(hi) >= ov.threshold_deg {
            theme::BAD
        } else {
            theme::GOOD
        };
        painter.line_segment(
            [pos2(x, y_of(hi)), pos2(x, y_of(lo) + 0.5)],
            Stroke::new((r.width() / n).max(1.0), colour.gamma_multiply(0.8)),
        );
    }
    let ty = y_of(ov.threshold_deg as f32);
    painter.extend(Shape::dashed_line(
        &[pos2(r.left(), ty), pos2(r.right(), ty)],
        Stroke::new(1.0, theme::BAD.gamma_multiply(0.6)),
        5.0,
        4.0,
    ));
    for &t in &ov.alerts_s {
        let x = x_of(t);
        painter.add(Shape::convex_polygon(
            vec![
                pos2(x - 5.0, r.top() + 1.0),
                pos2(x + 5.0, r.top() + 1.0),
                pos2(x, r.top() + 9.0),
            ],
            theme::WARN,
            Stroke::NONE,
        ));
    }
    let head = |t: f64, c| {
        let x = x_of(t);
        Shape::line_segment(
            [Pos2::new(x, r.top()), Pos2::new(x, r.bottom())],
            Stroke::new(2.0, c),
        )
    };
    painter.add(head(v.seeking.unwrap_or(position), theme::ink(ui)));

    if let Some(p) = response.interact_pointer_pos() {
        let t = t_of(p.x);
        if response.dragged() {
            *drag_to = Some(t);
        }
        if response.clicked() || response.drag_stopped() {
            *drag_to = None;
            handle.send(Command::ReplaySeek(t));
        }
    }
    if let Some(t) = *drag_to {
        painter.add(head(t, theme::BACK));
    }
    response.on_hover_text("Click or drag to seek");
}
