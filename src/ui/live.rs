//! The live view: the angle in large type, the figure, the state in colour, today's counters and
//! the rolling flexion plot. Everything drawn comes from the engine's store.

use egui::{Align, Color32, Layout, RichText, Ui};
use egui_plot::{HLine, Line, Plot, PlotPoints, VLine};

use crate::app::store::{MarkerKind, Shared};
use crate::app::{Command, EngineHandle};
use crate::format::human_duration;
use crate::posture::PostureState;

use super::figure::figure_ui;
use super::theme;

/// Spans offered for the rolling plot, seconds.
pub const SPANS: [(f64, &str); 3] = [(120.0, "2 min"), (600.0, "10 min"), (3600.0, "1 h")];

/// What the live view needs from the store, copied out under the lock.
pub struct LiveData {
    pub state: PostureState,
    pub flexion: Option<f64>,
    pub lateral: Option<f64>,
    pub in_state_s: f64,
    pub today: crate::app::store::Today,
    pub threshold: f64,
    pub calibrated: bool,
    pub sensor_moved: bool,
    pub now_s: f64,
    /// `(bin start, min, max)` relative to now.
    pub bins: Vec<(f64, f32, f32)>,
    pub markers: Vec<(f64, MarkerKind)>,
    /// A recorded session is playing: counters are per session, not per day.
    pub replay: bool,
}

impl LiveData {
    pub fn from_shared(sh: &Shared, span_s: f64, bins: usize) -> Self {
        let now = sh.now_s;
        let t0 = now - span_s;
        Self {
            state: sh.state(),
            flexion: sh.posture.and_then(|p| p.flexion_deg),
            lateral: sh.posture.and_then(|p| p.lateral_deg),
            in_state_s: (now - sh.state_since_s).max(0.0),
            today: sh.today,
            threshold: sh.settings.posture.slouch_threshold_deg,
            calibrated: sh.calibrated,
            sensor_moved: sh.sensor_moved,
            now_s: now,
            bins: sh
                .ring
                .decimate(t0, now + 1e-6, bins)
                .into_iter()
                .map(|(t, lo, hi)| (t - now, lo, hi))
                .collect(),
            markers: sh
                .markers
                .iter()
                .filter(|m| m.t_s >= t0)
                .map(|m| (m.t_s - now, m.kind))
                .collect(),
            replay: sh.replay.is_some(),
        }
    }
}

const CARD_W: f32 = 150.0;

fn card(ui: &mut Ui, caption: &str, value: String) {
    egui::Frame::new()
        .fill(theme::card(ui))
        .stroke(egui::Stroke::new(1.0, theme::card_line(ui)))
        .corner_radius(8.0)
        .inner_margin(egui::Margin::symmetric(12, 8))
        .show(ui, |ui| {
            ui.set_width(CARD_W - 24.0);
            ui.vertical(|ui| {
                ui.label(RichText::new(caption).small().color(theme::MUTED));
                ui.label(
                    RichText::new(value)
                        .size(20.0)
                        .color(theme::ink(ui))
                        .strong(),
                );
            });
        });
}

/// The angle, figure, state and counters.
pub fn header_ui(ui: &mut Ui, d: &LiveData, handle: &EngineHandle) {
    let colour = theme::state_colour(d.state);
    if d.sensor_moved {
        callout(
            ui,
            theme::notice(ui),
            "The sensor seems to have moved: your resting posture is far from the calibrated one.",
            "Recalibrate",
            handle,
        );
    } else if !d.calibrated && d.state != PostureState::NoData {
        callout(
            ui,
            theme::banner_break(ui),
            "Calibrate once so spinewatch knows your upright posture (about 20 seconds).",
            "Calibrate now",
            handle,
        );
    }
    ui.horizontal(|ui| {
        figure_ui(ui, d.flexion, Some(d.threshold), colour);
        ui.add_space(12.0);
        ui.vertical(|ui| {
            ui.add_space(14.0);
            let big = match d.flexion {
                Some(f) => format!("{f:.0}°"),
                None => "–".into(),
            };
            ui.label(RichText::new(big).size(64.0).strong().color(colour))
                .on_hover_text("Forward bend relative to your calibrated upright posture");
            ui.label(RichText::new("forward bend").color(theme::MUTED));
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                egui::Frame::new()
                    .fill(colour)
                    .corner_radius(12.0)
                    .inner_margin(egui::Margin::symmetric(12, 4))
                    .show(ui, |ui| {
                        ui.label(
                            RichText::new(if d.replay && d.state == PostureState::NoData {
                                "No data yet"
                            } else {
                                theme::state_words(d.state)
                            })
                            .color(Color32::WHITE)
                            .strong()
                            .size(16.0),
                        );
                    });
                ui.label(
                    RichText::new(format!("for {}", human_duration(d.in_state_s)))
                        .color(theme::MUTED),
                );
            });
            if let Some(l) = d.lateral
                && l.abs() >= 10.0
            {
                let side = if l > 0.0 { "right" } else { "left" };
                ui.label(
                    RichText::new(format!("Side bend {:.0}° to the {side}", l.abs()))
                        .color(theme::WARN),
                );
            }
        });
        // Today's counters, right-aligned as a 2×2 grid.
        let cards_w = 2.0 * CARD_W + 10.0;
        ui.add_space((ui.available_width() - cards_w).max(8.0));
        ui.vertical(|ui| {
            ui.add_space(10.0);
            egui::Grid::new("today_cards")
                .spacing([10.0, 10.0])
                .show(ui, |ui| {
                    let (slouched, alerts) = if d.replay {
                        ("Slouched, this session", "Alerts, this session")
                    } else {
                        ("Slouched today", "Alerts today")
                    };
                    card(ui, slouched, human_duration(d.today.slouched_s));
                    card(ui, alerts, d.today.alerts.to_string());
                    ui.end_row();
                    card(
                        ui,
                        "Since last break",
                        human_duration(d.today.since_break_s),
                    );
                    card(ui, "Breaks taken", d.today.breaks.to_string());
                    ui.end_row();
                });
        });
    });
}

fn callout(ui: &mut Ui, fill: Color32, text: &str, button: &str, handle: &EngineHandle) {
    egui::Frame::new()
        .fill(fill)
        .corner_radius(8.0)
        .inner_margin(egui::Margin::symmetric(12, 8))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.label(RichText::new(text).color(theme::ink(ui)));
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    if ui.button(button).clicked() {
                        handle.send(Command::StartCalibration);
                    }
                });
            });
        });
    ui.add_space(6.0);
}

/// The rolling plot of flexion with the threshold and alert markers.
pub fn plot_ui(ui: &mut Ui, d: &LiveData, span_s: &mut f64) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("Forward bend over the last").strong());
        for (s, label) in SPANS {
            if ui.selectable_label(*span_s == s, label).clicked() {
                *span_s = s;
            }
        }
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            for (text, colour) in [
                ("calibrated", theme::GOOD),
                ("break reminder", theme::BACK),
                ("alert", theme::WARN),
            ] {
                ui.label(
                    RichText::new(format!("| {text}"))
                        .small()
                        .strong()
                        .color(colour),
                );
            }
        });
    });
    let mut points = Vec::with_capacity(d.bins.len() * 2);
    for &(t, lo, hi) in &d.bins {
        points.push([t, f64::from(lo)]);
        if hi != lo {
            points.push([t, f64::from(hi)]);
        }
    }
    let span = *span_s;
    let height = ui.available_height().clamp(140.0, 320.0);
    let ink = theme::ink(ui);
    Plot::new("live_flexion")
        .height(height)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .show_x(false)
        .show_y(false)
        .show_crosshair(false)
        .include_y(-20.0)
        .include_y(d.threshold + 20.0)
        .default_x_bounds(-span, 0.0)
        .auto_bounds([false, true])
        .x_grid_spacer(egui_plot::uniform_grid_spacer(move |_| {
            if span >= 3600.0 {
                [60.0, 300.0, 600.0]
            } else if span >= 600.0 {
                [10.0, 60.0, 120.0]
            } else {
                [5.0, 10.0, 20.0]
            }
        }))
        .y_grid_spacer(egui_plot::uniform_grid_spacer(|_| [5.0, 10.0, 20.0]))
        .x_axis_formatter(move |mark, _| {
            let s = -mark.value;
            if s.abs() < 0.5 {
                "now".into()
            } else if span >= 600.0 {
                format!("−{:.0} min", s / 60.0)
            } else {
                format!("−{:.0} s", s)
            }
        })
        .y_axis_formatter(|mark, _| format!("{:.0}°", mark.value))
        .show(ui, |plot| {
            plot.set_plot_bounds_x(-span..=0.0);
            plot.hline(
                HLine::new("slouch threshold", d.threshold)
                    .color(theme::BAD.gamma_multiply(0.7))
                    .style(egui_plot::LineStyle::dashed_loose()),
            );
            for &(t, kind) in &d.markers {
                let colour = match kind {
                    MarkerKind::SlouchAlert => theme::WARN,
                    MarkerKind::BreakReminder => theme::BACK,
                    MarkerKind::Calibrated => theme::GOOD,
                };
                plot.vline(VLine::new("marker", t).color(colour).width(1.5));
            }
            plot.line(
                Line::new("flexion", PlotPoints::new(points))
                    .color(ink)
                    .width(1.5),
            );
        });
}
