//! Persisted per-user settings (serde JSON in the user's config directory), kept apart from
//! runtime handles. A settings file that cannot be read is renamed aside and the app starts on
//! defaults with a warning; it never stops the app.

use std::fmt;
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::posture::Config;
use crate::posture::config::{message_short, quote_short};

/// Allowed length of the banner's main "Snooze" button, minutes (the form reads this too).
pub const SNOOZE_DEFAULT_MIN_RANGE: (u32, u32) = (5, 480);

/// Baud rates offered for a serial sensor.
pub const BAUD_RATES: [u32; 6] = [9600, 38_400, 57_600, 115_200, 230_400, 460_800];

/// Quiet hours: alerts are held back between `start` and `end` (local `HH:MM`; may wrap past
/// midnight).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QuietHours {
    pub enabled: bool,
    pub start: String,
    pub end: String,
}

impl Default for QuietHours {
    fn default() -> Self {
        Self {
            enabled: false,
            start: "18:00".into(),
            end: "08:00".into(),
        }
    }
}

/// Minutes after midnight of an `HH:MM` text.
pub fn parse_hhmm(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

impl QuietHours {
    /// Whether `minute_of_day` (0–1439) falls inside, when enabled and valid.
    pub fn contains(&self, minute_of_day: u32) -> bool {
        // Asked every engine round: no parsing while they are off.
        if !self.enabled {
            return false;
        }
        let (Some(a), Some(b)) = (parse_hhmm(&self.start), parse_hhmm(&self.end)) else {
            return false;
        };
        if a <= b {
            (a..b).contains(&minute_of_day)
        } else {
            minute_of_day >= a || minute_of_day < b
        }
    }
}

/// Everything the wearer can set, persisted between runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Thresholds and delays of the posture pipeline (same keys as `--config` files).
    pub posture: Config,
    /// Send a vibrate command to the sensor with each alert (if it has a motor).
    pub vibration: bool,
    /// Play a short chime with alerts (through the desktop's sound player; see `app::sound`).
    /// Off by default.
    pub sound: bool,
    /// Desktop notifications (the in-app banner always shows).
    pub notifications: bool,
    /// Serial port of the sensor (`None`: detect).
    pub port: Option<String>,
    pub baud: u32,
    /// Length of the banner's main "Snooze" button, minutes.
    pub snooze_default_min: u32,
    pub quiet_hours: QuietHours,
    /// The wearer's calibration for the serial sensor (`up=x,y,z;forward=x,y,z`).
    pub calibration: Option<String>,
    /// When the history's day begins, minutes after local midnight (for people who work past
    /// midnight; 0 to 720).
    pub day_starts_at_min: u32,
    /// Closing the window hides it to the tray (when a tray host shows the icon; otherwise
    /// closing quits, so the app never runs on invisibly).
    pub close_to_tray: bool,
    /// Start spinewatch (minimised) when the desktop session starts: an XDG autostart entry.
    pub start_at_login: bool,
    /// Units of a plain-line sketch: `auto`, or forced as `g,dps`, `mps2,rads`,
    /// `raw:16384,131` (see `protocol::Units`).
    pub serial_units: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            posture: Config::default(),
            vibration: false,
            sound: false,
            notifications: true,
            port: None,
            baud: 115_200,
            snooze_default_min: 30,
            quiet_hours: QuietHours::default(),
            calibration: None,
            day_starts_at_min: 0,
            close_to_tray: true,
            start_at_login: false,
            serial_units: "auto".into(),
        }
    }
}

/// A setting that cannot be used, in words for the settings panel.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingsError(pub String);

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SettingsError {}

impl Settings {
    /// Checks every value (the posture ranges come from [`Config::validate`]).
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.posture
            .validate()
            .map_err(|e| SettingsError(e.to_string()))?;
        if !BAUD_RATES.contains(&self.baud) {
            return Err(SettingsError(format!(
                "baud {} is not one of {BAUD_RATES:?}",
                self.baud
            )));
        }
        if let Err(e) = self.serial_units.parse::<crate::protocol::Units>() {
            return Err(SettingsError(format!("serial_units: {e}")));
        }
        if self.day_starts_at_min > 720 {
            return Err(SettingsError(
                "the day must start between 00:00 and 12:00".into(),
            ));
        }
        let (lo, hi) = SNOOZE_DEFAULT_MIN_RANGE;
        if !(lo..=hi).contains(&self.snooze_default_min) {
            return Err(SettingsError(
                "the default snooze must be 5 to 480 minutes".into(),
            ));
        }
        for (name, t) in [
            ("start", &self.quiet_hours.start),
            ("end", &self.quiet_hours.end),
        ] {
            if parse_hhmm(t).is_none() {
                return Err(SettingsError(format!(
                    "quiet hours {name} '{}' is not a time like 18:30",
                    quote_short(t)
                )));
            }
        }
        Ok(())
    }

    /// Parses a settings file's text. The posture part goes through [`Config::from_json_str`]
    /// (unknown keys warn, bad values are errors).
    pub fn from_json_str(text: &str) -> Result<(Settings, Vec<String>), SettingsError> {
        let mut value: Value = serde_json::from_str(text).map_err(|e| {
            SettingsError(format!("not valid JSON: {}", message_short(&e.to_string())))
        })?;
        let mut warnings = Vec::new();
        let posture = match value.as_object_mut().and_then(|o| o.remove("posture")) {
            Some(p) => {
                let load = Config::from_json_str(&p.to_string())
                    .map_err(|e| SettingsError(format!("posture: {e}")))?;
                warnings.extend(load.warnings.into_iter().map(|w| format!("posture: {w}")));
                load.config
            }
            None => Config::default(),
        };
        let mut settings: Settings = serde_json::from_value(value).map_err(|e| {
            SettingsError(format!(
                "not a settings file: {}",
                message_short(&e.to_string())
            ))
        })?;
        settings.posture = posture;
        settings.validate()?;
        Ok((settings, warnings))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

pub use crate::paths::Paths;

/// Settings as loaded, with what went wrong on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedSettings {
    pub settings: Settings,
    /// For the wearer: unknown keys, or why the file was set aside.
    pub warnings: Vec<String>,
    /// The file on disk could not be read or set aside: it must not be saved over.
    pub keep_file: bool,
}

/// Loads settings. A missing file gives defaults quietly; a broken one is renamed to
/// `settings.json.broken` (so nothing is lost) and defaults are used, with a warning.
pub fn load_settings(path: &Path) -> LoadedSettings {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return LoadedSettings {
                settings: Settings::default(),
                warnings: Vec::new(),
                keep_file: false,
            };
        }
        Err(e) => {
            // Unreadable (permissions, a directory): left as it is and never written over.
            return LoadedSettings {
                settings: Settings::default(),
                warnings: vec![format!(
                    "could not read {}: {e}; using default settings (changes are not saved over it)",
                    path.display()
                )],
                keep_file: true,
            };
        }
    };
    let parsed = std::str::from_utf8(&bytes)
        .map_err(|e| SettingsError(format!("not UTF-8 text: {e}")))
        .and_then(Settings::from_json_str);
    match parsed {
        Ok((settings, warnings)) => LoadedSettings {
            settings,
            warnings: warnings
                .into_iter()
                .map(|w| format!("{}: {w}", path.display()))
                .collect(),
            keep_file: false,
        },
        Err(e) => {
            let (kept, keep_file) = match set_aside(path) {
                Ok(aside) => (format!("it was kept as {}", aside.display()), false),
                Err(err) => (
                    format!("it could not be set aside ({err}) and is left untouched"),
                    true,
                ),
            };
            LoadedSettings {
                settings: Settings::default(),
                warnings: vec![format!(
                    "settings file {} could not be used ({e}); {kept} and defaults are in use",
                    path.display()
                )],
                keep_file,
            }
        }
    }
}

/// Renames a broken settings file to the first free `settings.json.broken`,
/// `settings.json.broken-2`, … so no earlier broken file is ever replaced.
fn set_aside(path: &Path) -> std::io::Result<std::path::PathBuf> {
    let base = path.with_extension("json.broken");
    let mut aside = base.clone();
    let mut n = 1;
    while aside.exists() {
        n += 1;
        aside = std::path::PathBuf::from(format!("{}-{n}", base.display()));
    }
    fs::rename(path, &aside)?;
    Ok(aside)
}

/// Saves settings atomically (write a temporary file, then rename over the old one).
pub fn save_settings(path: &Path, settings: &Settings) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    fs::write(&tmp, settings.to_json())?;
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fuzz regression (tests/fuzz/config.rs): serde quotes a wrong value whole, so a 5000-byte
    /// string where a number belongs gave a 5 KB message; and a quiet-hours time was quoted
    /// whole too.
    #[test]
    fn a_long_wrong_value_gives_a_short_message() {
        let long = "x".repeat(5000);
        for text in [
            format!(r#"{{"baud": "{long}"}}"#),
            format!(r#"{{"quiet_hours": {{"start": "{long}"}}}}"#),
            format!(r#"{{"posture": {{"{long}": 1}}}}"#),
        ] {
            let message = match Settings::from_json_str(&text) {
                Err(e) => e.to_string(),
                Ok((_, warnings)) => warnings.join("; "),
            };
            assert!(
                !message.is_empty() && message.len() < 300,
                "{}: {message}",
                message.len()
            );
        }
        let e = Settings::from_json_str(&format!(r#"{{"baud": "{long}"}}"#))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.ends_with("expected u32"), "{e}");
    }

    #[test]
    fn defaults_round_trip_and_validate() {
        let s = Settings::default();
        assert_eq!(s.validate(), Ok(()));
        let back = Settings::from_json_str(&s.to_json()).map(|(s, _)| s);
        assert_eq!(back, Ok(s));
    }

    #[test]
    fn every_broken_file_is_kept_and_a_non_utf8_one_too() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("settings.json");
        fs::write(&path, [0xff, 0xfe, b'{']).unwrap_or_else(|e| panic!("{e}"));
        let first = load_settings(&path);
        assert!(!first.keep_file);
        assert!(first.warnings[0].contains("UTF-8"), "{:?}", first.warnings);
        assert!(!path.exists());
        fs::write(&path, "{ broken again").unwrap_or_else(|e| panic!("{e}"));
        load_settings(&path);
        let kept = |name: &str| fs::read(dir.path().join(name)).unwrap_or_default();
        assert_eq!(kept("settings.json.broken"), [0xff, 0xfe, b'{']);
        assert_eq!(kept("settings.json.broken-2"), b"{ broken again");
    }

    #[test]
    fn a_file_that_cannot_be_set_aside_is_never_saved_over() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        // A directory where the file should be: unreadable as settings, and cannot be renamed
        // onto an existing directory of the aside name.
        let path = dir.path().join("settings.json");
        fs::create_dir_all(&path).unwrap_or_else(|e| panic!("{e}"));
        let loaded = load_settings(&path);
        assert!(loaded.keep_file, "{:?}", loaded.warnings);
    }

    #[test]
    fn a_broken_file_is_kept_aside_and_defaults_used() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("settings.json");
        fs::write(&path, "{ not json").unwrap_or_else(|e| panic!("{e}"));
        let loaded = load_settings(&path);
        assert_eq!(loaded.settings, Settings::default());
        assert_eq!(loaded.warnings.len(), 1);
        assert!(loaded.warnings[0].contains("settings.json.broken"));
        assert!(dir.path().join("settings.json.broken").exists());

        fs::write(&path, r#"{"posture": {"slouch_threshold_deg": 200}}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        let loaded = load_settings(&path);
        assert!(loaded.warnings[0].contains("slouch_threshold_deg"));
    }

    #[test]
    fn saved_settings_load_back() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("sub").join("settings.json");
        let s = Settings {
            vibration: true,
            port: Some("/dev/ttyACM0".into()),
            ..Settings::default()
        };
        save_settings(&path, &s).unwrap_or_else(|e| panic!("{e}"));
        let loaded = load_settings(&path);
        assert_eq!(loaded.settings, s);
        assert!(loaded.warnings.is_empty());
    }

    #[test]
    fn quiet_hours_wrap_past_midnight() {
        let q = QuietHours {
            enabled: true,
            start: "22:00".into(),
            end: "07:30".into(),
        };
        assert!(q.contains(23 * 60));
        assert!(q.contains(60));
        assert!(!q.contains(12 * 60));
        assert!(!q.contains(7 * 60 + 30));
        assert_eq!(parse_hhmm("25:00"), None);
    }
}
