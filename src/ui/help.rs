//! What the app does, that it is not a medical device, and when to see a clinician.

use egui::{RichText, Ui};

use super::theme;

pub fn help_ui(ui: &mut Ui) {
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.set_max_width(720.0);
        ui.heading("What spinewatch does");
        ui.label(
            "A small motion sensor clipped to your upper back tells spinewatch how far your \
             back bends forward or to the side, relative to your own upright posture (that is \
             what calibration records). When you stay slouched for a while — by default 20° or \
             more for a minute — it reminds you, and after long sitting it suggests a short \
             movement break. Brief reaches, leaning back and walking never trigger an alert.",
        );
        ui.add_space(6.0);
        ui.label(
            "Reminders can be snoozed for 30 minutes, an hour or until tomorrow; meeting mode and \
             quiet hours hold them back. Everything is adjustable under Settings.",
        );
        ui.add_space(12.0);
        ui.heading("Not a medical device");
        ui.label(
            "spinewatch is a posture habit tool. It does not diagnose, treat or prevent any \
             condition, and its angles are estimates from a consumer sensor.",
        );
        ui.add_space(12.0);
        ui.heading(RichText::new("See a clinician, not an app, if you have").color(theme::BAD));
        for flag in [
            "numbness, tingling or weakness in the legs",
            "loss of bladder or bowel control",
            "severe pain that does not improve",
            "back pain lasting more than a few weeks",
        ] {
            ui.label(format!("•  {flag}"));
        }
        ui.add_space(12.0);
        ui.heading("Good sitting, in short");
        ui.label(
            "Back against the backrest with lumbar support, shoulders back, chin slightly \
             tucked. Break up long sitting: a short walk or a few standing back extensions every \
             45 minutes or so. When lifting, bend the knees and keep the load close.",
        );
        ui.add_space(12.0);
        ui.heading("Without a window");
        ui.label(
            RichText::new(
                "spinewatch replay FILE --headless   ·   spinewatch --help for every command",
            )
            .monospace(),
        );
    });
}
