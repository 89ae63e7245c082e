//! The date picker: a month grid of day buttons in a popup (egui has none without
//! `egui_extras`). Days with data are marked; days after today cannot be picked.

use chrono::{Datelike, Months, NaiveDate};
use egui::{RichText, Ui};

use super::super::theme;

/// What the wearer did in the calendar this frame.
pub(super) enum Picked {
    Nothing,
    Day(NaiveDate),
    /// Moved to another month (its first day).
    Month(NaiveDate),
}

/// The month starting on `first`. `marks`: days with data (`None` while loading); `picked`: the
/// day shown now.
pub(super) fn calendar_ui(
    ui: &mut Ui,
    first: NaiveDate,
    marks: Option<&[NaiveDate]>,
    picked: NaiveDate,
    today: NaiveDate,
) -> Picked {
    let mut out = Picked::Nothing;
    ui.set_min_width(250.0);
    ui.horizontal(|ui| {
        let earlier = first.checked_sub_months(Months::new(1));
        if ui
            .add_enabled(earlier.is_some(), egui::Button::new("<").small())
            .accessible_name("Calendar: previous month")
            .clicked()
            && let Some(m) = earlier
        {
            out = Picked::Month(m);
        }
        ui.label(
            RichText::new(first.format("%B %Y").to_string())
                .strong()
                .color(theme::ink(ui)),
        );
        let later = first
            .checked_add_months(Months::new(1))
            .filter(|m| *m <= today);
        if ui
            .add_enabled(later.is_some(), egui::Button::new(">").small())
            .accessible_name("Calendar: next month")
            .clicked()
            && let Some(m) = later
        {
            out = Picked::Month(m);
        }
    });
    let lead = first.weekday().num_days_from_monday() as usize;
    egui::Grid::new(("history_calendar", first))
        .spacing([3.0, 3.0])
        .show(ui, |ui| {
            for name in ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"] {
                ui.label(RichText::new(name).small().color(theme::MUTED));
            }
            ui.end_row();
            for _ in 0..lead {
                ui.label("");
            }
            let mut column = lead;
            for day in first.iter_days().take_while(|d| d.month() == first.month()) {
                let has_data = marks.is_some_and(|m| m.contains(&day));
                let mut text = RichText::new(day.day().to_string());
                if has_data {
                    text = text.strong().color(egui::Color32::WHITE);
                }
                let mut button = egui::Button::new(text)
                    .min_size(egui::vec2(30.0, 24.0))
                    .selected(day == picked);
                if has_data && day != picked {
                    button = button.fill(theme::OI_GREEN);
                }
                if day == today {
                    button = button.stroke(egui::Stroke::new(1.5, theme::ink(ui)));
                }
                let words = match marks {
                    None => "",
                    Some(_) if has_data => ", with data",
                    Some(_) => ", no data",
                };
                let response = ui
                    .add_enabled(day <= today, button)
                    .accessible_name(format!("{}{words}", day.format("%-d %B %Y")));
                if response.clicked() {
                    out = Picked::Day(day);
                }
                column += 1;
                if column.is_multiple_of(7) {
                    ui.end_row();
                }
            }
        });
    ui.horizontal(|ui| {
        super::swatch(ui, theme::OI_GREEN, super::Swatch::Square);
        ui.label(
            RichText::new(if marks.is_some() {
                "days with data"
            } else {
                "looking for days with data…"
            })
            .small()
            .color(theme::MUTED),
        );
    });
    out
}
