//! The day view: totals, time per flexion band, then three plots on one time axis (hours since
//! the day's start, labelled in local clock time): the state minute by minute, the forward bend
//! per minute (min–max) with the threshold and the alert and break markers, and % upright per
//! hour. What is drawn is prepared once per load ([`DayData::new`]), not per frame.

use chrono::{Local, NaiveDate};
use egui::{RichText, Stroke, Ui};
use egui_plot::{
    Bar, BarChart, FilledArea, GridMark, HLine, HoverPosition, MarkerShape, Plot, PlotPoints,
    Points, Polygon, Text,
};

use crate::format::human_duration;
use crate::posture::PostureState;
use crate::store::chart::DayChart;
use crate::store::days::HourSlot;
use crate::store::{AlertKind, AlertOutcome, DaySummary, Days};

use super::super::theme;
use super::{Swatch, card, long_date, state_colour, state_words, swatch};

const MS_PER_HOUR: f64 = 3_600_000.0;
/// Width of every plot's left axis, points, so the three plots share one time axis on screen.
const Y_AXIS_W: f32 = 46.0;
/// The forward-bend plot's fixed range, degrees (covers the ISO 11226 bands up to beyond 60°).
const FLEXION_RANGE_DEG: (f64, f64) = (-30.0, 90.0);

/// A run of minutes in one state, hours since the day's start.
struct Run {
    from_h: f64,
    to_h: f64,
    state: PostureState,
}

/// Consecutive minutes with a known angle: a step outline (two points per minute) of the
/// minimum and maximum, degrees, over hours since the day's start.
struct Stretch {
    xs: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
}

/// One loaded day, ready to draw.
pub(in crate::ui) struct DayData {
    pub summary: DaySummary,
    pub chart: DayChart,
    /// The day's clock hours, aligned with `chart.hours`.
    slots: Vec<HourSlot>,
    days: Days<Local>,
    runs: Vec<Run>,
    stretches: Vec<Stretch>,
    /// The monitored part of the day, whole hours, hours since the day's start.
    x_range: (f64, f64),
    /// The whole history is empty (only looked up when this day is).
    pub history_empty: bool,
}

impl DayData {
    pub(super) fn new(
        summary: DaySummary,
        chart: DayChart,
        slots: Vec<HourSlot>,
        days: Days<Local>,
        history_empty: bool,
    ) -> Self {
        let start = chart.start_ms;
        let h = |ms: i64| (ms - start) as f64 / MS_PER_HOUR;
        let minute_h = 1.0 / 60.0;
        let mut runs: Vec<Run> = Vec::new();
        let mut stretches: Vec<Stretch> = Vec::new();
        let mut open_stretch = false;
        let (mut first, mut last) = (None, None);
        // The minute before, when it was in a state: runs merge only across whole minutes.
        let mut previous: Option<PostureState> = None;
        for m in &chart.minutes {
            let x = h(m.start_ms);
            if let Some(state) = m.state {
                first.get_or_insert(x);
                last = Some(x + minute_h);
                match runs.last_mut() {
                    Some(r) if previous == Some(state) && r.state == state => r.to_h = x + minute_h,
                    _ => runs.push(Run {
                        from_h: x,
                        to_h: x + minute_h,
                        state,
                    }),
                }
            }
            previous = m.state;
            match (m.flexion_min_deg, m.flexion_max_deg) {
                (Some(lo), Some(hi)) => {
                    if !open_stretch {
                        stretches.push(Stretch {
                            xs: Vec::new(),
                            lo: Vec::new(),
                            hi: Vec::new(),
                        });
                        open_stretch = true;
                    }
                    if let Some(s) = stretches.last_mut() {
                        for xx in [x, x + minute_h] {
                            s.xs.push(xx);
                            s.lo.push(lo);
                            s.hi.push(hi);
                        }
                    }
                }
                _ => open_stretch = false,
            }
        }
        let day_h = h(chart.end_ms);
        let x_range = match (first, last) {
            (Some(a), Some(b)) => {
                let a = f64::floor(a);
                (a, f64::ceil(b).max(a + 1.0).min(day_h.max(a + 1.0)))
            }
            _ => (0.0, day_h),
        };
        Self {
            summary,
            chart,
            slots,
            days,
            runs,
            stretches,
            x_range,
            history_empty,
        }
    }

    fn hours_of(&self, ms: i64) -> f64 {
        (ms - self.chart.start_ms) as f64 / MS_PER_HOUR
    }

    /// Local `HH:MM` of a point on the time axis.
    fn clock(&self, x_h: f64) -> String {
        self.days
            .local_hhmm(self.chart.start_ms + (x_h * MS_PER_HOUR).round() as i64)
    }

    /// Hover text for a minute: its time, state, angle range, and the markers in it.
    fn minute_text(&self, x_h: f64) -> Option<String> {
        let i = usize::try_from((x_h * 60.0).floor() as i64).ok()?;
        let m = self.chart.minutes.get(i)?;
        let mut text = format!(
            "{} · {}",
            self.days.local_hhmm(m.start_ms),
            state_words(m.state)
        );
        if let (Some(lo), Some(hi)) = (m.flexion_min_deg, m.flexion_max_deg) {
            if (hi - lo).abs() < 0.5 {
                text.push_str(&format!(" · forward bend {lo:.0}°"));
            } else {
                text.push_str(&format!(" · forward bend {lo:.0}° to {hi:.0}°"));
            }
        }
        let near = |at: i64| (at - m.start_ms).abs() < 90_000;
        for a in self.chart.alerts.iter().filter(|a| near(a.at_ms)) {
            text.push_str(&format!(
                "\n{} {} ({})",
                a.local_time,
                match a.kind {
                    AlertKind::Slouch => "slouch alert",
                    AlertKind::BreakReminder => "break reminder",
                },
                outcome_words(a.outcome)
            ));
        }
        for b in self.chart.breaks.iter().filter(|b| near(b.at_ms)) {
            text.push_str(&format!("\n{} break taken", b.local_time));
        }
        Some(text)
    }

    /// Hover text for an hour bar.
    fn hour_text(&self, x_h: f64) -> Option<String> {
        let (slot, hour) = self
            .slots
            .iter()
            .zip(&self.chart.hours)
            .find(|(s, _)| self.hours_of(s.start_ms) <= x_h && x_h < self.hours_of(s.end_ms))?;
        let span = format!(
            "{}–{}",
            self.days.local_hhmm(slot.start_ms),
            self.days.local_hhmm(slot.end_ms)
        );
        Some(if hour.monitored_s > 0.0 {
            format!(
                "{span} · {:.1}% upright · {} monitored · {} slouched",
                hour.upright_pct,
                human_duration(hour.monitored_s),
                human_duration(hour.slouched_s)
            )
        } else {
            format!("{span} · not monitored")
        })
    }
}

fn outcome_words(o: AlertOutcome) -> &'static str {
    match o {
        AlertOutcome::Open => "open",
        AlertOutcome::Corrected => "corrected",
        AlertOutcome::Snoozed => "snoozed",
        AlertOutcome::Ignored => "ignored",
        AlertOutcome::HeldBack => "held back",
    }
}

/// Time-axis marks: every 15 min, hour and 3 hours (the plot labels those with room).
fn time_marks(input: egui_plot::GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    let mut out = Vec::new();
    let first = (lo * 4.0).ceil() as i64;
    let last = (hi * 4.0).floor() as i64;
    for q in first..=last {
        let step_size = if q % 12 == 0 {
            3.0
        } else if q % 4 == 0 {
            1.0
        } else {
            0.25
        };
        out.push(GridMark {
            value: q as f64 / 4.0,
            step_size,
        });
    }
    out
}

/// The day's totals, its flexion bands and its plots.
pub(in crate::ui) fn day_ui(ui: &mut Ui, d: &DayData, threshold_deg: f64, today: NaiveDate) {
    let f = &d.summary.figures;
    if f.monitored_s <= 0.0 {
        ui.add_space(24.0);
        ui.label(
            RichText::new(format!("No data on {}.", long_date(d.chart.day)))
                .size(17.0)
                .strong()
                .color(theme::ink(ui)),
        );
        ui.label(
            RichText::new(if d.chart.day == today {
                "Nothing recorded yet today: once the sensor is worn, the day fills in here \
                 every few seconds."
            } else {
                "The sensor was not worn, or spinewatch was not running, that day."
            })
            .color(theme::MUTED),
        );
        return;
    }
    totals_ui(ui, d);
    ui.add_space(4.0);
    bands_ui(ui, d);
    ui.add_space(4.0);
    legend_ui(ui);
    let link = egui::Id::unique(("history_day_link", d.chart.day));
    state_plot(ui, d, link);
    flexion_plot(ui, d, threshold_deg, link);
    hours_plot(ui, d, link);
}

fn totals_ui(ui: &mut Ui, d: &DayData) {
    let f = &d.summary.figures;
    let calibrated_s = f.monitored_s - f.state_s.uncalibrated;
    let upright = if calibrated_s > 0.0 {
        format!("{:.1}%", f.upright_pct)
    } else {
        "–".to_string()
    };
    let mut alerts_detail = format!(
        "{} corrected, {} snoozed",
        f.alerts_corrected, f.alerts_snoozed
    );
    if f.alerts_held_back > 0 {
        alerts_detail.push_str(&format!(", {} held back", f.alerts_held_back));
    }
    ui.horizontal_wrapped(|ui| {
        card(
            ui,
            "Monitored",
            &human_duration(f.monitored_s),
            &format!("uncalibrated {}", human_duration(f.state_s.uncalibrated)),
            "Time the sensor was worn and read this day",
        );
        card(
            ui,
            "Upright",
            &upright,
            &format!("{} upright", human_duration(f.state_s.upright)),
            "Share of calibrated time spent upright",
        );
        card(
            ui,
            "Slouch episodes",
            &f.slouch_episodes.to_string(),
            &format!("longest {}", human_duration(f.longest_slouch_s)),
            &format!("Slouched for {} in all", human_duration(f.state_s.slouched)),
        );
        card(
            ui,
            "Slouch alerts",
            &f.slouch_alerts.to_string(),
            &alerts_detail,
            &format!(
                "{} alerts were left unanswered (a repeat followed)",
                f.alerts_ignored
            ),
        );
        card(
            ui,
            "Breaks taken",
            &f.breaks_taken.to_string(),
            &format!("{} reminders", f.break_reminders),
            "Breaks of at least the minimum length, and the reminders to take one",
        );
        card(
            ui,
            "Sensor gaps",
            &f.sensor_gaps.to_string(),
            "readings missing",
            "Times the sensor's readings stopped for longer than the gap setting",
        );
    });
}

/// Time per flexion band (ISO 11226): a stacked bar and the three times in words.
fn bands_ui(ui: &mut Ui, d: &DayData) {
    let b = &d.summary.figures.flexion_bands_s;
    let bands = [
        ("Under 20°", b.under_20, theme::OI_GREEN, "acceptable"),
        (
            "20–60°",
            b.from_20_to_60,
            theme::OI_ORANGE,
            "acceptable only for limited holding times",
        ),
        (
            "Over 60°",
            b.over_60,
            theme::OI_VERMILLION,
            "not acceptable",
        ),
    ];
    let total: f64 = bands.iter().map(|(_, s, _, _)| s).sum();
    ui.horizontal(|ui| {
        ui.label(
            RichText::new("Forward bend (ISO 11226)")
                .strong()
                .color(theme::ink(ui)),
        );
        let (rect, _) = ui.allocate_exact_size(egui::vec2(220.0, 14.0), egui::Sense::hover());
        let mut x = rect.left();
        for (_, s, colour, _) in bands {
            if total > 0.0 && s > 0.0 {
                let w = rect.width() * (s / total) as f32;
                ui.painter().rect_filled(
                    egui::Rect::from_min_size(
                        egui::pos2(x, rect.top()),
                        egui::vec2(w, rect.height()),
                    ),
                    0.0,
                    colour,
                );
                x += w;
            }
        }
        for (name, s, colour, meaning) in bands {
            swatch(ui, colour, Swatch::Square);
            let share = if total > 0.0 { 100.0 * s / total } else { 0.0 };
            ui.label(format!("{name}: {} ({share:.0}%)", human_duration(s)))
                .on_hover_text(format!("{name} forward bend: {meaning} (ISO 11226)"));
        }
    });
}

fn legend_ui(ui: &mut Ui) {
    ui.horizontal_wrapped(|ui| {
        for state in [
            PostureState::Upright,
            PostureState::Slouched,
            PostureState::LeaningBack,
            PostureState::Moving,
            PostureState::Uncalibrated,
        ] {
            swatch(ui, state_colour(state), Swatch::Square);
            ui.label(
                RichText::new(state_words(Some(state)))
                    .small()
                    .color(theme::ink(ui)),
            );
        }
        ui.add_space(10.0);
        for (mark, colour, words) in [
            (Swatch::Down, theme::OI_PURPLE, "slouch alert"),
            (Swatch::HollowDown, theme::OI_PURPLE, "held back"),
            (Swatch::Diamond, theme::OI_SKY, "break reminder"),
            (Swatch::Up, theme::OI_BLACK, "break taken"),
            (Swatch::Line, theme::OI_VERMILLION, "slouch threshold"),
        ] {
            swatch(ui, colour, mark);
            ui.label(RichText::new(words).small().color(theme::ink(ui)));
        }
    });
}

/// A plot on the day's time axis, fixed to the monitored hours.
fn time_plot<'a>(id: &str, d: &'a DayData, link: egui::Id, height: f32) -> Plot<'a> {
    Plot::new((id, d.chart.day))
        .height(height)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        // The hover text comes from the label formatter; a vertical cursor runs through all
        // three plots (linked).
        .show_x(true)
        .show_y(false)
        .show_crosshair(true)
        .y_axis_min_width(Y_AXIS_W)
        .link_cursor(link, [true, false])
        .x_grid_spacer(time_marks)
        .x_axis_formatter(move |mark, _| d.clock(mark.value))
}

fn state_plot(ui: &mut Ui, d: &DayData, link: egui::Id) {
    ui.label(
        RichText::new("State, minute by minute")
            .strong()
            .color(theme::ink(ui)),
    );
    let (x0, x1) = d.x_range;
    time_plot("history_day_states", d, link, 44.0)
        .show_axes([false, true])
        .show_grid([true, false])
        .y_grid_spacer(|_| {
            vec![GridMark {
                value: 0.5,
                step_size: 1.0,
            }]
        })
        .y_axis_formatter(|_, _| "state".into())
        .label_formatter(move |pos| d.minute_text(hover_x(pos)))
        .show(ui, |plot| {
            plot.set_plot_bounds_x(x0..=x1);
            plot.set_plot_bounds_y(0.0..=1.0);
            for r in &d.runs {
                let c = state_colour(r.state);
                plot.polygon(
                    Polygon::new(
                        state_words(Some(r.state)),
                        PlotPoints::new(vec![
                            [r.from_h, 0.0],
                            [r.to_h, 0.0],
                            [r.to_h, 1.0],
                            [r.from_h, 1.0],
                        ]),
                    )
                    .fill_color(c)
                    .stroke(Stroke::new(0.5, c))
                    .allow_hover(false),
                );
            }
        });
}

fn flexion_plot(ui: &mut Ui, d: &DayData, threshold_deg: f64, link: egui::Id) {
    ui.label(
        RichText::new("Forward bend per minute (lowest to highest), degrees")
            .strong()
            .color(theme::ink(ui)),
    );
    let (x0, x1) = d.x_range;
    let (y0, y1) = FLEXION_RANGE_DEG;
    let ink = theme::ink(ui);
    time_plot("history_day_flexion", d, link, 165.0)
        .y_grid_spacer(egui_plot::uniform_grid_spacer(|_| [10.0, 20.0, 60.0]))
        .y_axis_formatter(|mark, _| format!("{:.0}°", mark.value))
        .label_formatter(move |pos| d.minute_text(hover_x(pos)))
        .show(ui, |plot| {
            plot.set_plot_bounds_x(x0..=x1);
            plot.set_plot_bounds_y(y0..=y1);
            plot.hline(
                HLine::new("slouch threshold", threshold_deg)
                    .color(theme::OI_VERMILLION)
                    .style(egui_plot::LineStyle::dashed_loose())
                    .allow_hover(false),
            );
            plot.text(
                Text::new(
                    "threshold label",
                    egui_plot::PlotPoint::new(x1, threshold_deg),
                    RichText::new(format!("slouch threshold {threshold_deg:.0}°"))
                        .small()
                        .color(theme::OI_VERMILLION),
                )
                .anchor(egui::Align2::RIGHT_BOTTOM)
                .allow_hover(false),
            );
            for s in &d.stretches {
                plot.add(
                    FilledArea::new("forward bend", &s.xs, &s.lo, &s.hi)
                        .fill_color(ink.gamma_multiply(0.35))
                        .stroke(Stroke::new(1.0, ink.gamma_multiply(0.8)))
                        .allow_hover(false),
                );
            }
            let top = y1 - 4.0;
            let alerts = |held: bool, kind: AlertKind| -> Vec<[f64; 2]> {
                d.chart
                    .alerts
                    .iter()
                    .filter(|a| a.kind == kind && (a.outcome == AlertOutcome::HeldBack) == held)
                    .map(|a| [d.hours_of(a.at_ms), top])
                    .collect()
            };
            for (held, filled) in [(false, true), (true, false)] {
                plot.points(
                    Points::new("slouch alert", alerts(held, AlertKind::Slouch))
                        .shape(MarkerShape::Down)
                        .color(theme::OI_PURPLE)
                        .filled(filled)
                        .radius(5.0)
                        .allow_hover(false),
                );
                plot.points(
                    Points::new("break reminder", alerts(held, AlertKind::BreakReminder))
                        .shape(MarkerShape::Diamond)
                        .color(theme::OI_SKY)
                        .filled(filled)
                        .radius(5.0)
                        .allow_hover(false),
                );
            }
            let breaks: Vec<[f64; 2]> = d
                .chart
                .breaks
                .iter()
                .map(|b| [d.hours_of(b.at_ms), y0 + 4.0])
                .collect();
            plot.points(
                Points::new("break taken", breaks)
                    .shape(MarkerShape::Up)
                    .color(theme::OI_BLACK)
                    .radius(5.0)
                    .allow_hover(false),
            );
        });
}

fn hours_plot(ui: &mut Ui, d: &DayData, link: egui::Id) {
    ui.label(
        RichText::new("Upright per hour, % of calibrated time")
            .strong()
            .color(theme::ink(ui)),
    );
    let (x0, x1) = d.x_range;
    let bars: Vec<Bar> = d
        .slots
        .iter()
        .zip(&d.chart.hours)
        .filter(|(_, h)| h.monitored_s > 0.0)
        .map(|(s, h)| {
            let (a, b) = (d.hours_of(s.start_ms), d.hours_of(s.end_ms));
            Bar::new((a + b) / 2.0, h.upright_pct)
                .width((b - a) * 0.8)
                .fill(theme::OI_GREEN)
                .stroke(Stroke::NONE)
        })
        .collect();
    time_plot("history_day_hours", d, link, 105.0)
        .y_grid_spacer(egui_plot::uniform_grid_spacer(|_| [10.0, 25.0, 50.0]))
        .y_axis_formatter(|mark, _| {
            // 0 sits on the time labels' corner.
            if mark.value.abs() < 1e-9 {
                String::new()
            } else {
                format!("{:.0}%", mark.value)
            }
        })
        .label_formatter(move |pos| d.hour_text(hover_x(pos)))
        .show(ui, |plot| {
            plot.set_plot_bounds_x(x0..=x1);
            plot.set_plot_bounds_y(0.0..=105.0);
            plot.bar_chart(
                BarChart::new("upright per hour", bars)
                    .color(theme::OI_GREEN)
                    .allow_hover(false),
            );
        });
}

/// The time-axis value under the pointer.
fn hover_x(pos: &HoverPosition<'_>) -> f64 {
    match pos {
        HoverPosition::NearDataPoint { position, .. } | HoverPosition::Elsewhere { position } => {
            position.x
        }
    }
}
