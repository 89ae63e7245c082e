//! Settings, validated as you type and applied live (each valid change is sent to the engine,
//! which persists it per user).

use egui::{RichText, Ui};

use crate::app::command::SourceChoice;
use crate::app::state::{BAUD_RATES, SNOOZE_DEFAULT_MIN_RANGE, Settings, parse_hhmm};
use crate::app::store::PortChoice;
use crate::app::{Command, EngineHandle};
use crate::posture::range_of;

use super::theme;

/// The form's text, kept while the wearer types.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingsForm {
    pub threshold_deg: String,
    pub delay_s: String,
    pub repeat_min: String,
    pub break_min: String,
    pub snooze_min: String,
    pub quiet_start: String,
    pub quiet_end: String,
    pub quiet_enabled: bool,
    pub notifications: bool,
    pub vibration: bool,
    pub sound: bool,
    pub close_to_tray: bool,
    pub start_at_login: bool,
    pub port: Option<String>,
    pub baud: u32,
    /// Units of a plain-line sketch (`auto` or a forced `ACCEL,GYRO`).
    pub serial_units: String,
    last_sent: Option<Settings>,
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

impl SettingsForm {
    pub fn from_settings(s: &Settings) -> Self {
        Self {
            threshold_deg: num(s.posture.slouch_threshold_deg),
            delay_s: num(s.posture.slouch_delay_s),
            repeat_min: num(s.posture.slouch_repeat_s / 60.0),
            break_min: num(s.posture.break_interval_s / 60.0),
            snooze_min: s.snooze_default_min.to_string(),
            quiet_start: s.quiet_hours.start.clone(),
            quiet_end: s.quiet_hours.end.clone(),
            quiet_enabled: s.quiet_hours.enabled,
            notifications: s.notifications,
            vibration: s.vibration,
            sound: s.sound,
            close_to_tray: s.close_to_tray,
            start_at_login: s.start_at_login,
            port: s.port.clone(),
            baud: s.baud,
            serial_units: s.serial_units.clone(),
            last_sent: Some(s.clone()),
        }
    }
}

/// Field problems, by field label.
#[derive(Debug, Default)]
struct Problems(Vec<(&'static str, String)>);

impl Problems {
    fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

pub const THRESHOLD: &str = "Slouch threshold (°)";
pub const DELAY: &str = "Alert after slouching for (s)";
pub const REPEAT: &str = "Repeat the alert every (min)";
pub const BREAK: &str = "Break reminder after sitting (min)";
pub const SNOOZE: &str = "Default snooze (min)";
pub const QUIET_FROM: &str = "Quiet from";
pub const QUIET_TO: &str = "Quiet until";

fn parse_in(
    text: &str,
    field: &'static str,
    lo: f64,
    hi: f64,
    problems: &mut Problems,
) -> Option<f64> {
    match text.trim().replace(',', ".").parse::<f64>() {
        Ok(v) if v.is_finite() && (lo..=hi).contains(&v) => Some(v),
        Ok(_) => {
            problems.0.push((
                field,
                format!("must be between {} and {}", num(lo), num(hi)),
            ));
            None
        }
        Err(_) => {
            problems.0.push((field, "must be a number".into()));
            None
        }
    }
}

/// The units a plain sketch may print, for the settings' choice.
const SERIAL_UNITS: [(&str, &str); 7] = [
    ("auto", "auto (recognise them)"),
    ("g,dps", "g and deg/s"),
    ("mps2,rads", "m/s² and rad/s (Adafruit)"),
    ("raw:16384,131", "raw counts, ±2 g and ±250 deg/s"),
    ("raw:8192,65.5", "raw counts, ±4 g and ±500 deg/s"),
    ("raw:4096,32.8", "raw counts, ±8 g and ±1000 deg/s"),
    ("raw:2048,16.4", "raw counts, ±16 g and ±2000 deg/s"),
];

/// A range from the table, or the fallback should a key ever go missing from it.
fn range_or(range: Option<(f64, f64)>, fallback: (f64, f64)) -> (f64, f64) {
    range.unwrap_or(fallback)
}

impl SettingsForm {
    /// The settings the form describes, or what is wrong with it.
    fn build(&self, base: &Settings) -> (Option<Settings>, Problems) {
        let mut p = Problems::default();
        // The ranges come from the one table the config loader uses (minutes where the form
        // asks for minutes).
        let (t0, t1) = range_or(range_of("/slouch_threshold_deg"), (5.0, 90.0));
        let (d0, d1) = range_or(range_of("/slouch_delay_s"), (0.0, 3600.0));
        let (r0, r1) = range_or(range_of("/slouch_repeat_s"), (10.0, 86_400.0));
        let (b0, b1) = range_or(range_of("/break_interval_s"), (60.0, 86_400.0));
        let (s0, s1) = SNOOZE_DEFAULT_MIN_RANGE;
        let threshold = parse_in(&self.threshold_deg, THRESHOLD, t0, t1, &mut p);
        let delay = parse_in(&self.delay_s, DELAY, d0, d1, &mut p);
        let repeat = parse_in(&self.repeat_min, REPEAT, r0 / 60.0, r1 / 60.0, &mut p);
        let brk = parse_in(&self.break_min, BREAK, b0 / 60.0, b1 / 60.0, &mut p);
        let snooze = parse_in(
            &self.snooze_min,
            SNOOZE,
            f64::from(s0),
            f64::from(s1),
            &mut p,
        );
        for (field, text) in [(QUIET_FROM, &self.quiet_start), (QUIET_TO, &self.quiet_end)] {
            if parse_hhmm(text).is_none() {
                p.0.push((field, "a time like 18:30".into()));
            }
        }
        let (Some(threshold), Some(delay), Some(repeat), Some(brk), Some(snooze)) =
            (threshold, delay, repeat, brk, snooze)
        else {
            return (None, p);
        };
        if !p.0.is_empty() {
            return (None, p);
        }
        let mut s = base.clone();
        s.posture.slouch_threshold_deg = threshold;
        // The episode ends 5° below the threshold (hysteresis), as in the defaults.
        s.posture.slouch_release_deg = (threshold - 5.0).max(0.0);
        s.posture.slouch_delay_s = delay;
        s.posture.slouch_repeat_s = repeat * 60.0;
        s.posture.break_interval_s = brk * 60.0;
        s.snooze_default_min = snooze.round() as u32;
        s.quiet_hours.enabled = self.quiet_enabled;
        s.quiet_hours.start = self.quiet_start.trim().to_string();
        s.quiet_hours.end = self.quiet_end.trim().to_string();
        s.notifications = self.notifications;
        s.vibration = self.vibration;
        s.sound = self.sound;
        s.close_to_tray = self.close_to_tray;
        s.start_at_login = self.start_at_login;
        s.port = self.port.clone();
        s.baud = self.baud;
        s.serial_units = self.serial_units.clone();
        if let Err(e) = s.validate() {
            p.0.push(("", e.to_string()));
            return (None, p);
        }
        (Some(s), p)
    }
}

fn field(ui: &mut Ui, label: &'static str, text: &mut String, problems: &Problems, hint: &str) {
    let l = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .desired_width(90.0)
            .clip_text(false),
    )
    .labelled_by(l.id);
    match problems.get(label) {
        Some(m) => ui.label(RichText::new(m).color(theme::BAD)),
        None => ui.label(RichText::new(hint).small().color(theme::MUTED)),
    };
    ui.end_row();
}

pub fn settings_ui(
    ui: &mut Ui,
    form: &mut SettingsForm,
    current: &Settings,
    ports: &[PortChoice],
    calibrated: bool,
    handle: &EngineHandle,
) {
    let (candidate, problems) = form.build(current);
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.heading("Alerts");
        egui::Grid::new("settings_alerts")
            .num_columns(3)
            .spacing([14.0, 8.0])
            .show(ui, |ui| {
                field(ui, THRESHOLD, &mut form.threshold_deg, &problems, "20° by default (ISO 11226 neutral zone ends at 20°)");
                field(ui, DELAY, &mut form.delay_s, &problems, "60 s by default: brief reaches never alert");
                field(ui, REPEAT, &mut form.repeat_min, &problems, "while still slouched");
                field(ui, BREAK, &mut form.break_min, &problems, "45 min by default; a 2-minute walk resets it");
                field(ui, SNOOZE, &mut form.snooze_min, &problems, "length of the banner's first snooze button");
            });
        ui.add_space(6.0);
        ui.checkbox(&mut form.notifications, "Desktop notifications");
        ui.checkbox(&mut form.vibration, "Vibrate the sensor with alerts");
        match crate::app::sound::player() {
            Some(player) => {
                ui.checkbox(&mut form.sound, "Sound")
                    .on_hover_text(format!("A short chime with alerts, played by {}", player.display()));
            }
            None => {
                let mut off = false;
                ui.add_enabled(false, egui::Checkbox::new(&mut off, "Sound"))
                    .on_disabled_hover_text("No sound player (pw-play, paplay or aplay) on this system; alerts use the banner, notifications and vibration.");
            }
        }
        ui.checkbox(&mut form.close_to_tray, "Closing the window hides it to the tray")
            .on_hover_text("Only where the desktop shows tray icons; elsewhere closing quits, so spinewatch never runs unseen.");
        ui.checkbox(&mut form.start_at_login, "Start at login")
            .on_hover_text("Starts spinewatch in the tray when you log in (an entry in ~/.config/autostart).");
        ui.horizontal(|ui| {
            ui.checkbox(&mut form.quiet_enabled, "Quiet hours");
        });
        egui::Grid::new("settings_quiet")
            .num_columns(3)
            .spacing([14.0, 8.0])
            .show(ui, |ui| {
                field(ui, QUIET_FROM, &mut form.quiet_start, &problems, "HH:MM, local time");
                field(ui, QUIET_TO, &mut form.quiet_end, &problems, "may wrap past midnight");
            });
        if let Some(m) = problems.get("") {
            ui.label(RichText::new(m).color(theme::BAD));
        }
        ui.add_space(12.0);
        ui.heading("Sensor");
        ui.horizontal(|ui| {
            let selected = form.port.clone().unwrap_or_else(|| "Detect automatically".into());
            egui::ComboBox::from_label("Serial port")
                .selected_text(selected)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut form.port, None, "Detect automatically");
                    for p in ports {
                        ui.selectable_value(
                            &mut form.port,
                            Some(p.path.clone()),
                            format!("{} — {}", p.path, p.description),
                        );
                    }
                });
            if ui.button("Refresh ports").clicked() {
                handle.send(Command::RefreshPorts);
            }
        });
        if ports.is_empty() {
            ui.label(RichText::new("No serial ports found.").small().color(theme::MUTED));
        }
        egui::ComboBox::from_label("Baud")
            .selected_text(form.baud.to_string())
            .show_ui(ui, |ui| {
                for b in BAUD_RATES {
                    ui.selectable_value(&mut form.baud, b, b.to_string());
                }
            });
        egui::ComboBox::from_label("Units of a plain sketch")
            .selected_text(form.serial_units.clone())
            .show_ui(ui, |ui| {
                for (value, words) in SERIAL_UNITS {
                    ui.selectable_value(&mut form.serial_units, value.to_string(), words);
                }
            })
            .response
            .on_hover_text("Sensors speaking the spinewatch protocol are always g and deg/s; a sketch printing plain numbers is recognised from gravity at rest unless you choose here.");
        ui.horizontal(|ui| {
            if ui.button("Connect to the sensor").clicked() {
                handle.send(Command::UseSource(SourceChoice::Serial {
                    port: form.port.clone(),
                    baud: form.baud,
                }));
            }
            if ui.button("Use the demo sensor").clicked() {
                handle.send(Command::UseSource(SourceChoice::Demo));
            }
        });
        ui.add_space(12.0);
        ui.heading("Calibration");
        ui.horizontal(|ui| {
            ui.label(if calibrated { "Calibrated." } else { "Not calibrated." });
            if ui.button("Recalibrate").clicked() {
                handle.send(Command::StartCalibration);
            }
            if ui.add_enabled(calibrated, egui::Button::new("Clear calibration")).clicked() {
                handle.send(Command::ClearCalibration);
            }
        });
        ui.add_space(12.0);
        match &candidate {
            Some(_) => ui.label(RichText::new("Changes apply immediately and are saved.").small().color(theme::MUTED)),
            None => ui.label(RichText::new("Fix the fields in red; the last valid settings stay in use.").small().color(theme::BAD)),
        };
    });
    if let Some(s) = candidate
        && form.last_sent.as_ref() != Some(&s)
    {
        form.last_sent = Some(s.clone());
        if s != *current {
            handle.send(Command::SetSettings(Box::new(s)));
        }
    }
}
