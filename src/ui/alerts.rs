//! The alert banner (slouch or break) with snooze choices, and the short positive toast.

use egui::{Align, Layout, RichText, Ui};

use crate::app::command::SnoozeLength;
use crate::app::store::{Banner, BannerKind, Toast};
use crate::app::{Command, EngineHandle};
use crate::format::human_duration;

use super::theme;

pub fn banner_ui(ui: &mut Ui, banner: &Banner, snooze_default_min: u32, handle: &EngineHandle) {
    let fill = match banner.kind {
        BannerKind::Slouch { .. } => theme::banner_slouch(ui),
        BannerKind::Break { .. } => theme::banner_break(ui),
    };
    egui::Frame::new()
        .fill(fill)
        .corner_radius(10.0)
        .inner_margin(egui::Margin::symmetric(16, 12))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            match &banner.kind {
                BannerKind::Slouch {
                    held_s,
                    flexion_deg,
                } => {
                    ui.label(
                        RichText::new("Time to sit up")
                            .size(18.0)
                            .strong()
                            .color(theme::BAD),
                    );
                    ui.label(format!(
                        "You have been slouching for {} ({flexion_deg:.0}° forward). Sit back \
                         against the backrest, shoulders back, chin slightly tucked.",
                        human_duration(*held_s)
                    ));
                    ui.horizontal_wrapped(|ui| {
                        let mut lengths = vec![
                            SnoozeLength::Minutes(30),
                            SnoozeLength::Minutes(60),
                            SnoozeLength::UntilTomorrow,
                        ];
                        let default = SnoozeLength::Minutes(snooze_default_min);
                        if !lengths.contains(&default) {
                            lengths.insert(0, default);
                        }
                        for length in lengths {
                            if ui.button(format!("Snooze {}", length.label())).clicked() {
                                handle.send(Command::Snooze(length));
                            }
                        }
                        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                            if ui.button("Dismiss").clicked() {
                                handle.send(Command::DismissBanner);
                            }
                        });
                    });
                }
                BannerKind::Break {
                    exercise,
                    dose,
                    how,
                } => {
                    ui.label(
                        RichText::new("Time for a short break")
                            .size(18.0)
                            .strong()
                            .color(theme::BACK),
                    );
                    ui.label(format!("Try: {exercise}, {dose}."));
                    if !how.is_empty() {
                        ui.label(RichText::new(how.as_str()).color(theme::MUTED));
                    }
                    ui.horizontal(|ui| {
                        if ui.button("Mark break done").clicked() {
                            handle.send(Command::BreakDone);
                        }
                        if ui.button("Dismiss").clicked() {
                            handle.send(Command::DismissBanner);
                        }
                    });
                }
            }
        });
    ui.add_space(8.0);
}

pub fn toast_ui(ui: &mut Ui, toast: &Toast) {
    egui::Frame::new()
        .fill(theme::toast(ui))
        .corner_radius(10.0)
        .inner_margin(egui::Margin::symmetric(16, 10))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(
                RichText::new(toast.text.as_str())
                    .color(theme::GOOD)
                    .strong(),
            );
        });
    ui.add_space(8.0);
}
