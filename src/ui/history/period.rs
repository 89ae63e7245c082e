//! The week and month views: the comparison sentence, the period's totals, % upright per day
//! with a 7-day average, slouched minutes per day, and an hour-of-day × day heat map of %
//! upright. Days are at whole numbers on the x axis (0 = the period's first day).

use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};
use egui::{Color32, RichText, Stroke, Ui};
use egui_plot::{
    Bar, BarChart, GridMark, Heatmap, HoverPosition, Line, Plot, PlotPoint, PlotPoints, Text,
};

use crate::format::human_duration;
use crate::store::chart::PeriodChart;
use crate::store::{DaySummary, PeriodSummary};

use super::super::theme;
use super::{HistoryView, Swatch, card, swatch, title};

/// Days in the trend's window (today and the six before).
const TREND_DAYS: usize = 7;
/// Width of every plot's left axis, points (the bars and the heat map line up).
const Y_AXIS_W: f32 = 62.0;

/// One loaded week or month, ready to draw.
pub(in crate::ui) struct PeriodData {
    view: HistoryView,
    pub summary: PeriodSummary,
    pub chart: PeriodChart,
    /// Mean of the daily % upright over the 7 days ending on each day (days with calibrated
    /// time only; the six days before the period count too). `None`: no such day.
    trend: Vec<Option<f64>>,
    /// The heat map's columns: the clock hours with data in the period, at least 8 (hours).
    hour_span: (f64, f64),
    /// The whole history is empty (only looked up when this period is).
    pub history_empty: bool,
}

impl PeriodData {
    /// `lead_in`: the days just before the period (for the first days' averages).
    pub(super) fn new(
        view: HistoryView,
        summary: PeriodSummary,
        chart: PeriodChart,
        lead_in: &[DaySummary],
        history_empty: bool,
    ) -> Self {
        let series: Vec<Option<f64>> = lead_in
            .iter()
            .map(|d| {
                let f = &d.figures;
                (f.monitored_s - f.state_s.uncalibrated > 0.0).then_some(f.upright_pct)
            })
            .chain(chart.days.iter().map(|b| b.upright_pct))
            .collect();
        let trend = (0..chart.days.len())
            .map(|i| {
                let end = lead_in.len() + i;
                let window = &series[(end + 1).saturating_sub(TREND_DAYS)..=end];
                let values: Vec<f64> = window.iter().flatten().copied().collect();
                (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
            })
            .collect();
        let with_data = |h: &usize| chart.hour_by_day.iter().any(|day| day[*h].is_some());
        let hour_span = match ((0..24).find(with_data), (0..24).rfind(with_data)) {
            (Some(a), Some(b)) => {
                let (a, b) = (a as f64, b as f64 + 1.0);
                let pad = ((8.0 - (b - a)) / 2.0).max(0.0).ceil();
                ((a - pad).max(0.0), (b + pad).min(24.0))
            }
            _ => (7.0, 19.0),
        };
        Self {
            view,
            summary,
            chart,
            trend,
            hour_span,
            history_empty,
        }
    }

    fn date(&self, i: usize) -> NaiveDate {
        self.chart.from + TimeDelta::days(i as i64)
    }

    fn n(&self) -> usize {
        self.chart.days.len()
    }

    /// The day under a point of the x axis.
    fn day_at(&self, x: f64) -> Option<usize> {
        let i = x.round();
        (i >= 0.0 && (i as usize) < self.n()).then_some(i as usize)
    }

    /// A day's label on an axis: "Mon 2" in a week, "2" in a month.
    fn axis_day(&self, i: usize) -> String {
        let d = self.date(i);
        match self.view {
            HistoryView::Month => d.format("%-d").to_string(),
            _ => d.format("%a %-d").to_string(),
        }
    }

    /// Hover text for a day's bars.
    fn day_text(&self, x: f64, today: NaiveDate) -> Option<String> {
        let i = self.day_at(x)?;
        let date = self.date(i);
        let name = date.format("%a %-d %B").to_string();
        let (bar, day) = (self.chart.days.get(i)?, self.summary.days.get(i)?);
        if date > today {
            return Some(format!("{name}: not yet"));
        }
        if bar.monitored_s <= 0.0 {
            return Some(format!("{name}: no data"));
        }
        let upright = bar
            .upright_pct
            .map_or("no calibrated time".to_string(), |p| {
                format!("{p:.1}% upright")
            });
        let trend = self
            .trend
            .get(i)
            .copied()
            .flatten()
            .map_or(String::new(), |t| format!(" (7-day average {t:.1}%)"));
        Some(format!(
            "{name}: {upright}{trend}\n{} monitored · slouched {:.0} min · {} alerts · {} breaks",
            human_duration(bar.monitored_s),
            bar.slouched_min,
            day.figures.slouch_alerts,
            day.figures.breaks_taken
        ))
    }
}

/// Day marks on the x axis. Month labels are closer than the plot's label spacing wants, so
/// they claim a wider step (the grid is off in these plots).
fn day_marks(n: usize, view: HistoryView) -> impl Fn(egui_plot::GridInput) -> Vec<GridMark> {
    let step_size = if view == HistoryView::Month { 3.0 } else { 1.0 };
    move |_| {
        (0..n)
            .map(|i| GridMark {
                value: i as f64,
                step_size,
            })
            .collect()
    }
}

/// The sentence with a capital letter ("Upright 78% this week, up 6 points on the week before.").
fn sentence_case(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(in crate::ui) fn period_ui(ui: &mut Ui, d: &PeriodData, today: NaiveDate) {
    let noun = if d.view == HistoryView::Month {
        "month"
    } else {
        "week"
    };
    if d.summary.totals.days_with_data == 0 {
        ui.add_space(24.0);
        ui.label(
            RichText::new(format!(
                "No data this {noun} ({}).",
                title(d.view, d.chart.from)
            ))
            .size(17.0)
            .strong()
            .color(theme::ink(ui)),
        );
        ui.label(
            RichText::new("The sensor was not worn, or spinewatch was not running, on any day.")
                .color(theme::MUTED),
        );
        return;
    }
    ui.label(
        RichText::new(sentence_case(&d.chart.comparison.sentence))
            .size(17.0)
            .strong()
            .color(theme::ink(ui)),
    );
    let missing: Vec<String> = (0..d.n())
        .filter(|&i| d.date(i) <= today && d.chart.days[i].monitored_s <= 0.0)
        .map(|i| d.date(i).format("%a %-d %b").to_string())
        .collect();
    if !missing.is_empty() {
        ui.label(
            RichText::new(format!("No data: {}.", missing.join(", ")))
                .small()
                .color(theme::MUTED),
        );
    }
    ui.add_space(4.0);
    totals_ui(ui, d, today);
    ui.add_space(4.0);
    upright_plot(ui, d, today);
    slouch_plot(ui, d, today);
    heat_map(ui, d);
}

fn totals_ui(ui: &mut Ui, d: &PeriodData, today: NaiveDate) {
    let t = &d.summary.totals;
    let f = &t.figures;
    let so_far = (0..d.n()).filter(|&i| d.date(i) <= today).count();
    ui.horizontal_wrapped(|ui| {
        card(
            ui,
            "Monitored",
            &human_duration(f.monitored_s),
            &format!("uncalibrated {}", human_duration(f.state_s.uncalibrated)),
            "Time the sensor was worn and read in this period",
        );
        card(
            ui,
            "Upright",
            &format!("{:.1}%", f.upright_pct),
            "of calibrated time",
            "Share of the period's calibrated time spent upright",
        );
        card(
            ui,
            "Days with data",
            &format!("{} of {}", t.days_with_data, d.n()),
            &format!("{so_far} days so far"),
            "Days with any monitored time",
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
            &format!(
                "{} corrected, {} snoozed",
                f.alerts_corrected, f.alerts_snoozed
            ),
            "Alerts shown, and how they were answered",
        );
        card(
            ui,
            "Breaks taken",
            &f.breaks_taken.to_string(),
            &format!("{} reminders", f.break_reminders),
            "Breaks of at least the minimum length, and the reminders to take one",
        );
    });
}

/// A plot over the period's days.
fn days_plot<'a>(id: &str, d: &'a PeriodData, height: f32, today: NaiveDate) -> Plot<'a> {
    Plot::new((id, d.chart.from))
        .height(height)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        // Hover text from the label formatter (the plot needs an axis to hover on).
        .show_x(true)
        .show_y(false)
        .show_crosshair(false)
        .show_grid([false, true])
        .y_axis_min_width(Y_AXIS_W)
        .x_grid_spacer(day_marks(d.n(), d.view))
        .x_axis_formatter(move |mark, _| {
            d.day_at(mark.value)
                .map_or(String::new(), |i| d.axis_day(i))
        })
        .label_formatter(move |pos| d.day_text(hover_x(pos), today))
}

/// The "no data" labels of past days without data (no bar there).
fn no_data_labels(plot: &mut egui_plot::PlotUi<'_>, d: &PeriodData, today: NaiveDate, y: f64) {
    let words = if d.view == HistoryView::Month {
        "no\ndata"
    } else {
        "no data"
    };
    for (i, bar) in d.chart.days.iter().enumerate() {
        if d.date(i) > today {
            continue;
        }
        let text = if bar.monitored_s <= 0.0 {
            words
        } else if bar.upright_pct.is_none() {
            "uncali-\nbrated"
        } else {
            continue;
        };
        plot.text(
            Text::new(
                "no data",
                PlotPoint::new(i as f64, y),
                RichText::new(text).small().color(theme::MUTED),
            )
            .anchor(egui::Align2::CENTER_BOTTOM)
            .allow_hover(false),
        );
    }
}

fn upright_plot(ui: &mut Ui, d: &PeriodData, today: NaiveDate) {
    ui.horizontal(|ui| {
        ui.label(
            RichText::new("Upright per day, % of calibrated time")
                .strong()
                .color(theme::ink(ui)),
        );
        swatch(ui, theme::OI_GREEN, Swatch::Square);
        ui.label(RichText::new("day").small().color(theme::ink(ui)));
        swatch(ui, theme::ink(ui), Swatch::Line);
        ui.label(RichText::new("7-day average").small().color(theme::ink(ui)));
    });
    let bars: Vec<Bar> = d
        .chart
        .days
        .iter()
        .enumerate()
        .filter_map(|(i, b)| {
            b.upright_pct.map(|p| {
                Bar::new(i as f64, p)
                    .width(0.6)
                    .fill(theme::OI_GREEN)
                    .stroke(Stroke::NONE)
            })
        })
        .collect();
    let trend: Vec<[f64; 2]> = d
        .trend
        .iter()
        .enumerate()
        .filter(|(i, _)| d.date(*i) <= today)
        .filter_map(|(i, t)| t.map(|t| [i as f64, t]))
        .collect();
    let n = d.n() as f64;
    let ink = theme::ink(ui);
    days_plot("history_period_upright", d, 115.0, today)
        .y_grid_spacer(egui_plot::uniform_grid_spacer(|_| [10.0, 25.0, 50.0]))
        .y_axis_formatter(|mark, _| format!("{:.0}%", mark.value))
        .show(ui, |plot| {
            plot.set_plot_bounds_x(-0.5..=n - 0.5);
            plot.set_plot_bounds_y(0.0..=105.0);
            plot.bar_chart(
                BarChart::new("upright per day", bars)
                    .color(theme::OI_GREEN)
                    .allow_hover(false),
            );
            plot.line(
                Line::new("7-day average", PlotPoints::new(trend))
                    .color(ink)
                    .width(2.0)
                    .allow_hover(false),
            );
            no_data_labels(plot, d, today, 2.0);
        });
}

fn slouch_plot(ui: &mut Ui, d: &PeriodData, today: NaiveDate) {
    ui.label(
        RichText::new("Slouched per day, minutes")
            .strong()
            .color(theme::ink(ui)),
    );
    let top = d
        .chart
        .days
        .iter()
        .map(|b| b.slouched_min)
        .fold(10.0_f64, f64::max);
    let bars: Vec<Bar> = d
        .chart
        .days
        .iter()
        .enumerate()
        .filter(|(_, b)| b.monitored_s > 0.0)
        .map(|(i, b)| {
            Bar::new(i as f64, b.slouched_min)
                .width(0.6)
                .fill(theme::OI_VERMILLION)
                .stroke(Stroke::NONE)
        })
        .collect();
    let n = d.n() as f64;
    days_plot("history_period_slouch", d, 72.0, today)
        .y_grid_spacer(egui_plot::uniform_grid_spacer(|_| [5.0, 15.0, 60.0]))
        .y_axis_formatter(|mark, _| format!("{:.0} min", mark.value))
        .show(ui, |plot| {
            plot.set_plot_bounds_x(-0.5..=n - 0.5);
            plot.set_plot_bounds_y(0.0..=top * 1.1);
            plot.bar_chart(
                BarChart::new("slouched per day", bars)
                    .color(theme::OI_VERMILLION)
                    .allow_hover(false),
            );
            no_data_labels(plot, d, today, top * 0.02);
        });
}

/// The heat map's colour for a % upright: vermillion (0) through pale yellow (50) to green
/// (100); no calibrated time is left blank.
fn ramp(pct: f64) -> Color32 {
    if !pct.is_finite() {
        return Color32::TRANSPARENT;
    }
    let t = (pct / 100.0).clamp(0.0, 1.0) as f32;
    let mix = |a: Color32, b: Color32, t: f32| {
        let l = |x: u8, y: u8| (f32::from(x) + (f32::from(y) - f32::from(x)) * t).round() as u8;
        Color32::from_rgb(l(a.r(), b.r()), l(a.g(), b.g()), l(a.b(), b.b()))
    };
    if t < 0.5 {
        mix(theme::OI_VERMILLION, theme::OI_PALE_YELLOW, t * 2.0)
    } else {
        mix(theme::OI_PALE_YELLOW, theme::OI_GREEN, (t - 0.5) * 2.0)
    }
}

/// Hour of day × day, % upright. Rows run top to bottom from the period's first day.
fn heat_map(ui: &mut Ui, d: &PeriodData) {
    ui.horizontal(|ui| {
        ui.label(
            RichText::new("Upright by hour of day, % of calibrated time")
                .strong()
                .color(theme::ink(ui)),
        );
        for (pct, words) in [(0.0, "0%"), (50.0, "50%"), (100.0, "100%")] {
            swatch(ui, ramp(pct), Swatch::Square);
            ui.label(RichText::new(words).small().color(theme::ink(ui)));
        }
        ui.label(RichText::new("blank: no data").small().color(theme::MUTED));
    });
    let n = d.n();
    let mut values = Vec::with_capacity(n * 24);
    for row in 0..n {
        let day = n - 1 - row;
        let hours = d.chart.hour_by_day.get(day);
        for h in 0..24 {
            values.push(hours.and_then(|hs| hs[h]).unwrap_or(f64::NAN));
        }
    }
    let month = d.view == HistoryView::Month;
    let (h0, h1) = d.hour_span;
    let row_h = if month { 9.0 } else { 18.0 };
    let nf = n as f64;
    let response = Plot::new(("history_period_heat", d.chart.from))
        .height(row_h * n as f32 + 26.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .show_x(false)
        .show_y(false)
        .show_grid(false)
        .y_axis_min_width(Y_AXIS_W)
        .x_grid_spacer(|input| {
            let (lo, hi) = input.bounds;
            (lo.ceil().max(0.0) as i64..=hi.floor().min(24.0) as i64)
                .map(|h| GridMark {
                    value: h as f64,
                    step_size: if h % 3 == 0 { 3.0 } else { 1.0 },
                })
                .collect()
        })
        .x_axis_formatter(|mark, _| format!("{:02.0}:00", mark.value))
        .y_grid_spacer(move |_| {
            (0..n)
                .map(|row| GridMark {
                    value: row as f64 + 0.5,
                    step_size: if month { 7.0 } else { 1.5 },
                })
                .collect()
        })
        .y_axis_formatter(move |mark, _| {
            let row = mark.value.floor() as i64;
            let Ok(day) = usize::try_from(nf as i64 - 1 - row) else {
                return String::new();
            };
            let date = d.date(day);
            if !month {
                date.format("%a %-d").to_string()
            } else if date.weekday() == Weekday::Mon {
                date.format("Mon %-d").to_string()
            } else {
                String::new()
            }
        })
        .show(ui, |plot| {
            plot.set_plot_bounds_x(h0..=h1);
            plot.set_plot_bounds_y(0.0..=nf);
            plot.heatmap(
                Heatmap::new(values, 24)
                    .range(0.0, 100.0)
                    .custom_mapping(Box::new(ramp))
                    .formatter(Box::new(|v| {
                        if v.is_finite() {
                            format!("{v:.0}")
                        } else {
                            String::new()
                        }
                    }))
                    .show_labels(!month)
                    .name("upright by hour"),
            );
        });
    let text = response.response.hover_pos().and_then(|pos| {
        let v = response.transform.value_from_position(pos);
        let (hour, row) = (v.x.floor(), v.y.floor());
        if !(0.0..24.0).contains(&hour) || !(0.0..nf).contains(&row) {
            return None;
        }
        let day = n - 1 - row as usize;
        let h = hour as usize;
        let date = d.date(day).format("%a %-d %B");
        Some(match d.chart.hour_by_day.get(day).and_then(|hs| hs[h]) {
            Some(p) => format!("{date}, {h:02}:00–{:02}:00: {p:.1}% upright", h + 1),
            None => format!("{date}, {h:02}:00–{:02}:00: no data", h + 1),
        })
    });
    if let Some(t) = text {
        response.response.on_hover_text_at_pointer(t);
    }
}

fn hover_x(pos: &HoverPosition<'_>) -> f64 {
    match pos {
        HoverPosition::NearDataPoint { position, .. } | HoverPosition::Elsewhere { position } => {
            position.x
        }
    }
}
