//! The calibration wizard: two guided steps with countdowns, reasons when a step fails, retry.

use egui::{ProgressBar, RichText, Ui};

use crate::app::store::WizardView;
use crate::app::{Command, EngineHandle};

use super::figure::figure_ui;
use super::theme;

fn step_header(ui: &mut Ui, step: u8, title: &str) {
    ui.label(
        RichText::new(format!("Calibration · step {step} of 2"))
            .color(theme::MUTED)
            .small(),
    );
    ui.heading(RichText::new(title).strong());
}

fn countdown(ui: &mut Ui, remaining_s: f64, total_s: f64) {
    ui.add_space(6.0);
    ui.label(
        RichText::new(format!("{:.0} s", remaining_s.ceil()))
            .size(48.0)
            .strong()
            .color(theme::ink(ui)),
    );
    let done = (1.0 - remaining_s / total_s).clamp(0.0, 1.0) as f32;
    ui.add(ProgressBar::new(done).desired_width(420.0));
}

/// The wizard panel (shown instead of the live view while it runs).
pub fn wizard_ui(ui: &mut Ui, view: &WizardView, handle: &EngineHandle) {
    egui::Frame::new()
        .fill(theme::card(ui))
        .stroke(egui::Stroke::new(1.0, theme::card_line(ui)))
        .corner_radius(10.0)
        .inner_margin(egui::Margin::same(20))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            match view {
                WizardView::Idle => {}
                WizardView::Waiting => {
                    ui.heading("Calibration");
                    ui.label("Waiting for sensor data…");
                }
                WizardView::Upright {
                    remaining_s,
                    total_s,
                    moving,
                } => {
                    pose_hint(ui, 0.0, "Like this: upright, back against the backrest");
                    step_header(ui, 1, "Sit upright and still");
                    ui.label(
                        "Sit back in your chair the way you sit when sitting well: back against \
                         the backrest, shoulders relaxed, eyes on the screen. Keep still until \
                         the countdown ends.",
                    );
                    countdown(ui, *remaining_s, *total_s);
                    if *moving {
                        ui.label(RichText::new("Hold still…").color(theme::WARN).strong());
                    } else {
                        ui.label(RichText::new("Good, keep still.").color(theme::GOOD));
                    }
                }
                WizardView::Lean {
                    remaining_s,
                    total_s,
                    lean_deg,
                } => {
                    pose_hint(ui, 30.0, "Like this: about 30° forward, then back");
                    step_header(ui, 2, "Lean forward slowly, then sit back up");
                    ui.label(
                        "Lean forward from the hips, slowly and straight ahead, to about 30°. \
                         Hold for a moment, then come back to upright.",
                    );
                    countdown(ui, *remaining_s, *total_s);
                    let colour = if *lean_deg >= 10.0 {
                        theme::GOOD
                    } else {
                        theme::MUTED
                    };
                    ui.label(
                        RichText::new(format!("Deepest lean so far: {lean_deg:.0}°")).color(colour),
                    );
                }
                WizardView::Succeeded { lean_deg } => {
                    ui.heading(RichText::new("Calibrated").color(theme::GOOD).strong());
                    ui.label(format!(
                        "Your upright posture is now 0°, and forward is where you leaned \
                         ({lean_deg:.0}°). Recalibrate whenever you move the sensor."
                    ));
                    ui.add_space(8.0);
                    if ui.button("Done").clicked() {
                        handle.send(Command::CancelCalibration);
                    }
                    return;
                }
                WizardView::Failed { step, reason } => {
                    ui.heading(
                        RichText::new(format!("Step {step} did not work"))
                            .color(theme::BAD)
                            .strong(),
                    );
                    ui.label(capitalise(reason));
                    ui.add_space(8.0);
                    ui.horizontal(|ui| {
                        if ui.button("Try again").clicked() {
                            handle.send(Command::StartCalibration);
                        }
                        if ui.button("Cancel").clicked() {
                            handle.send(Command::CancelCalibration);
                        }
                    });
                    return;
                }
            }
            ui.add_space(8.0);
            if ui.button("Cancel").clicked() {
                handle.send(Command::CancelCalibration);
            }
        });
}

/// The target pose, drawn at the right of the step.
fn pose_hint(ui: &mut Ui, flexion_deg: f64, caption: &str) {
    let right = egui::Rect::from_min_size(
        egui::pos2(ui.max_rect().right() - 230.0, ui.max_rect().top()),
        egui::vec2(230.0, 250.0),
    );
    // A child the layout does not see, so the steps' text keeps its place on the left.
    let mut child = ui.new_child(egui::UiBuilder::new().max_rect(right));
    child.vertical_centered(|ui| {
        figure_ui(ui, Some(flexion_deg), None, theme::BACK);
        ui.label(RichText::new(caption).small().color(theme::MUTED));
    });
    ui.set_max_width((ui.available_width() - 250.0).max(200.0));
    ui.set_min_height(250.0);
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str() + ".",
        None => String::new(),
    }
}
