//! Every threshold and delay, with units in the key names, loadable from JSON.
//!
//! Defaults follow the posture guidance (`guidance.md`): slouched at ≥ 20° held 60 s, released
//! below 15° for 3 s, repeated every 5 min; a break reminder after 45 min of sitting without a
//! movement break of at least 2 min.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::calibration::CalibrationSettings;
use super::moved::MovedSettings;
use crate::fusion::FusionSettings;

/// The whole configuration of the posture pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Flexion at or beyond which the wearer counts as slouched, degrees.
    pub slouch_threshold_deg: f64,
    /// A slouch episode ends only once flexion stays below this, degrees.
    pub slouch_release_deg: f64,
    /// …for this long, seconds (a brief straighten-up does not reset the clock).
    pub slouch_release_s: f64,
    /// How long a slouch must be held before the first alert, seconds.
    pub slouch_delay_s: f64,
    /// While still slouched, repeat the alert this often, seconds.
    pub slouch_repeat_s: f64,
    /// Flexion at or below which the wearer is leaning back (never an alert), degrees.
    pub lean_back_threshold_deg: f64,
    /// Remind after this much sitting without a movement break, seconds.
    pub break_interval_s: f64,
    /// Movement that lasts at least this long counts as a break, seconds.
    pub break_min_s: f64,
    /// If still sitting after a reminder, remind again this often, seconds.
    pub break_repeat_s: f64,
    /// Standard deviation of the specific-force magnitude in the gait band (below about 3 Hz)
    /// above which the wearer may be walking (walking gives 0.1–0.3 g there; typing, knocks and
    /// a bouncing knee at 4–12 Hz are mostly filtered out), g.
    pub moving_accel_std_g: f64,
    /// Window of that standard deviation, seconds.
    pub activity_window_s: f64,
    /// Slowest step rate that counts as walking, Hz (slow walking is about 1.5 steps/s).
    pub gait_min_hz: f64,
    /// Fastest step rate that counts as walking, Hz (brisk walking is about 2.5 steps/s;
    /// typing bursts, desk knocks and knee bouncing run at 4–12 Hz).
    pub gait_max_hz: f64,
    /// Activity must last this long to count as moving, seconds.
    pub moving_enter_s: f64,
    /// Stillness must last this long to stop counting as moving, seconds.
    pub moving_exit_s: f64,
    /// A gap between samples longer than this is reported as a sensor gap, seconds.
    pub sensor_gap_s: f64,
    /// Orientation filter settings.
    pub fusion: FusionSettings,
    /// Calibration acceptance limits.
    pub calibration: CalibrationSettings,
    /// When the resting pose says the sensor moved on the body (the window offers to
    /// recalibrate).
    pub moved: MovedSettings,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            slouch_threshold_deg: 20.0,
            slouch_release_deg: 15.0,
            slouch_release_s: 3.0,
            slouch_delay_s: 60.0,
            slouch_repeat_s: 300.0,
            lean_back_threshold_deg: -10.0,
            break_interval_s: 45.0 * 60.0,
            break_min_s: 120.0,
            break_repeat_s: 15.0 * 60.0,
            moving_accel_std_g: 0.06,
            activity_window_s: 1.0,
            gait_min_hz: 1.0,
            gait_max_hz: 3.0,
            moving_enter_s: 2.0,
            moving_exit_s: 4.0,
            sensor_gap_s: 1.0,
            fusion: FusionSettings::default(),
            calibration: CalibrationSettings::default(),
            moved: MovedSettings::default(),
        }
    }
}

/// Allowed range of every numeric key (JSON pointer, min, max), inclusive: the one table the
/// config loader, the settings validation and the settings form all use.
pub const RANGES: &[(&str, f64, f64)] = &[
    ("/slouch_threshold_deg", 5.0, 90.0),
    ("/slouch_release_deg", 0.0, 90.0),
    ("/slouch_release_s", 0.0, 600.0),
    ("/slouch_delay_s", 0.0, 3600.0),
    ("/slouch_repeat_s", 10.0, 86_400.0),
    ("/lean_back_threshold_deg", -90.0, 0.0),
    ("/break_interval_s", 60.0, 86_400.0),
    ("/break_min_s", 5.0, 3600.0),
    ("/break_repeat_s", 60.0, 86_400.0),
    ("/moving_accel_std_g", 0.005, 2.0),
    ("/activity_window_s", 0.1, 10.0),
    ("/gait_min_hz", 0.3, 5.0),
    ("/gait_max_hz", 0.5, 6.0),
    ("/moving_enter_s", 0.0, 60.0),
    ("/moving_exit_s", 0.0, 60.0),
    ("/sensor_gap_s", 0.01, 60.0),
    ("/fusion/tau_acc_s", 0.1, 60.0),
    ("/fusion/bias_sigma_init_dps", 0.0, 10.0),
    ("/fusion/bias_clip_dps", 0.0, 20.0),
    ("/fusion/rest_min_s", 0.1, 60.0),
    ("/fusion/rest_gyro_threshold_dps", 0.1, 50.0),
    ("/fusion/rest_accel_threshold_g", 0.001, 1.0),
    ("/fusion/reinit_gap_s", 0.01, 3600.0),
    ("/fusion/initialising_s", 0.0, 60.0),
    ("/fusion/static_accel_std_g", 0.0, 0.5),
    ("/fusion/static_tau_s", 0.01, 10.0),
    ("/calibration/upright_max_spread_deg", 0.5, 45.0),
    ("/calibration/upright_max_rate_dps", 1.0, 500.0),
    ("/calibration/min_lean_deg", 3.0, 80.0),
    ("/calibration/max_lean_swerve_deg", 1.0, 90.0),
    ("/calibration/max_turn_from_previous_deg", 1.0, 180.0),
    ("/moved/far_lateral_deg", 5.0, 90.0),
    ("/moved/far_flexion_min_deg", -90.0, 0.0),
    ("/moved/far_flexion_max_deg", 10.0, 90.0),
    ("/moved/near_lateral_deg", 0.0, 90.0),
    ("/moved/near_flexion_min_deg", -90.0, 0.0),
    ("/moved/near_flexion_max_deg", 0.0, 90.0),
    ("/moved/after_s", 1.0, 3600.0),
];

/// The allowed range of a key (`"/slouch_delay_s"`, `"/fusion/tau_acc_s"`), inclusive.
pub fn range_of(pointer: &str) -> Option<(f64, f64)> {
    RANGES
        .iter()
        .find(|(p, _, _)| *p == pointer)
        .map(|&(_, min, max)| (min, max))
}

/// A configuration that cannot be used, naming the key and what it allows.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigError {
    Io {
        path: String,
        message: String,
    },
    Syntax {
        message: String,
    },
    WrongType {
        key: String,
        expected: &'static str,
    },
    OutOfRange {
        key: String,
        value: f64,
        min: f64,
        max: f64,
    },
    Inconsistent {
        message: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, message } => write!(f, "{path}: {message}"),
            Self::Syntax { message } => write!(f, "not valid JSON: {message}"),
            Self::WrongType { key, expected } => write!(f, "'{key}' must be {expected}"),
            Self::OutOfRange {
                key,
                value,
                min,
                max,
            } => write!(
                f,
                "'{key}' is {}, allowed range {min} to {max}",
                compact(*value)
            ),
            Self::Inconsistent { message } => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Characters of a key from the file quoted in a warning.
const QUOTE_MAX_CHARS: usize = 60;

/// `text` from a file for a message: at most [`QUOTE_MAX_CHARS`] characters, "…" when cut
/// (a hand-edited file may hold a key thousands of characters long).
pub(crate) fn quote_short(text: &str) -> String {
    let mut out: String = text.chars().take(QUOTE_MAX_CHARS).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// A message from serde for a person, at most about 200 characters: serde quotes a wrong value
/// whole (`invalid type: string "…5000 characters…", expected u32`), so a long one keeps its
/// start and its end (what was expected) and loses the middle.
pub(crate) fn message_short(text: &str) -> String {
    const HEAD: usize = 120;
    const TAIL: usize = 60;
    let n = text.chars().count();
    if n <= HEAD + TAIL + 3 {
        return text.to_string();
    }
    let head: String = text.chars().take(HEAD).collect();
    let tail: String = text.chars().skip(n - TAIL).collect();
    format!("{head} … {tail}")
}

/// `v` for a message: as written for ordinary values, in exponent form beyond (`1e308` rather
/// than its 309 digits).
fn compact(v: f64) -> String {
    if v == 0.0 || (1e-6..1e16).contains(&v.abs()) {
        v.to_string()
    } else {
        format!("{v:e}")
    }
}

/// A loaded configuration and the warnings (unknown keys) met on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigLoad {
    pub config: Config,
    pub warnings: Vec<String>,
}

impl Config {
    /// Parses a JSON object of settings. Keys not given keep their defaults; an unknown key is a
    /// warning; a wrong type or an out-of-range value is an error naming the key.
    pub fn from_json_str(text: &str) -> Result<ConfigLoad, ConfigError> {
        let user: Value = serde_json::from_str(text).map_err(|e| ConfigError::Syntax {
            message: message_short(&e.to_string()),
        })?;
        let mut merged =
            serde_json::to_value(Config::default()).map_err(|e| ConfigError::Syntax {
                message: e.to_string(),
            })?;
        let mut warnings = Vec::new();
        merge(&mut merged, &user, "", &mut warnings)?;
        let config: Config = serde_json::from_value(merged).map_err(|e| ConfigError::Syntax {
            message: message_short(&e.to_string()),
        })?;
        config.validate()?;
        Ok(ConfigLoad { config, warnings })
    }

    /// Checks every range and the relations between keys.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let value = serde_json::to_value(self).map_err(|e| ConfigError::Syntax {
            message: e.to_string(),
        })?;
        for &(pointer, min, max) in RANGES {
            let Some(v) = value.pointer(pointer).and_then(Value::as_f64) else {
                continue;
            };
            if !(min..=max).contains(&v) {
                return Err(ConfigError::OutOfRange {
                    key: key_name(pointer),
                    value: v,
                    min,
                    max,
                });
            }
        }
        if self.slouch_release_deg > self.slouch_threshold_deg {
            return Err(ConfigError::Inconsistent {
                message: format!(
                    "'slouch_release_deg' ({}) must not exceed 'slouch_threshold_deg' ({})",
                    self.slouch_release_deg, self.slouch_threshold_deg
                ),
            });
        }
        if self.gait_min_hz >= self.gait_max_hz {
            return Err(ConfigError::Inconsistent {
                message: format!(
                    "'gait_min_hz' ({}) must be below 'gait_max_hz' ({})",
                    self.gait_min_hz, self.gait_max_hz
                ),
            });
        }
        Ok(())
    }

    /// The configuration as pretty JSON (what a settings file holds).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

fn key_name(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

/// Copies `user` into `base` key by key, checking each key exists and has the same JSON type.
fn merge(
    base: &mut Value,
    user: &Value,
    prefix: &str,
    warnings: &mut Vec<String>,
) -> Result<(), ConfigError> {
    let Value::Object(user) = user else {
        return Err(ConfigError::WrongType {
            key: if prefix.is_empty() {
                "(top level)".into()
            } else {
                prefix.into()
            },
            expected: "an object of settings",
        });
    };
    let Value::Object(base) = base else {
        return Ok(());
    };
    for (key, value) in user {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        let Some(slot) = base.get_mut(key) else {
            warnings.push(format!("unknown setting '{}' ignored", quote_short(&full)));
            continue;
        };
        match (&*slot, value) {
            (Value::Object(_), _) => merge(slot, value, &full, warnings)?,
            (Value::Number(_), Value::Number(_)) | (Value::Bool(_), Value::Bool(_)) => {
                *slot = value.clone();
            }
            (Value::Number(_), _) => {
                return Err(ConfigError::WrongType {
                    key: full,
                    expected: "a number",
                });
            }
            (Value::Bool(_), _) => {
                return Err(ConfigError::WrongType {
                    key: full,
                    expected: "true or false",
                });
            }
            _ => *slot = value.clone(),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fuzz regression (tests/fuzz/config.rs, dedicated run): -3.59549788118996e-238 written by
    /// `to_json` read back as -3.5954978811899595e-238 (serde_json's default float parser is not
    /// correctly rounded), so saved settings did not reload as saved.
    #[test]
    fn saved_numbers_read_back_exactly() {
        let mut c = Config::default();
        c.moved.far_flexion_min_deg = -3.59549788118996e-238;
        let back = Config::from_json_str(&c.to_json()).map(|l| l.config);
        assert_eq!(back, Ok(c));
    }

    /// Fuzz regressions (tests/fuzz/config.rs): an unknown key thousands of characters long was
    /// quoted whole in its warning, and 1e308 was printed with all its 309 digits.
    #[test]
    fn messages_stay_short_whatever_the_file_holds() {
        let key = "k".repeat(3000);
        let l =
            Config::from_json_str(&format!(r#"{{"{key}": 1}}"#)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(l.warnings.len(), 1);
        assert!(l.warnings[0].len() < 100, "{}", l.warnings[0]);
        let e = Config::from_json_str(r#"{"slouch_threshold_deg": 1e308}"#)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("'slouch_threshold_deg' is 1e308, allowed range 5 to 90")
        );
    }

    #[test]
    fn defaults_follow_the_guidance_and_validate() {
        let c = Config::default();
        assert_eq!(
            (
                c.slouch_threshold_deg,
                c.slouch_delay_s,
                c.slouch_release_deg
            ),
            (20.0, 60.0, 15.0)
        );
        assert_eq!(
            (c.break_interval_s, c.break_min_s, c.slouch_repeat_s),
            (2700.0, 120.0, 300.0)
        );
        assert_eq!(c.validate(), Ok(()));
        let back = Config::from_json_str(&c.to_json()).map(|l| l.config);
        assert_eq!(back, Ok(c));
    }

    #[test]
    fn partial_files_keep_defaults_and_unknown_keys_warn() {
        let l = Config::from_json_str(
            r#"{"slouch_delay_s": 30, "colour": "red", "fusion": {"tau_acc_s": 2.5, "x": 1}}"#,
        );
        let l = l.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(l.config.slouch_delay_s, 30.0);
        assert_eq!(l.config.fusion.tau_acc_s, 2.5);
        assert_eq!(l.config.slouch_threshold_deg, 20.0);
        assert_eq!(
            l.warnings,
            vec![
                "unknown setting 'colour' ignored",
                "unknown setting 'fusion.x' ignored"
            ]
        );
    }

    #[test]
    fn errors_name_the_key_and_the_range() {
        let e = Config::from_json_str(r#"{"slouch_threshold_deg": 120}"#)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("'slouch_threshold_deg' is 120, allowed range 5 to 90")
        );
        let e = Config::from_json_str(r#"{"fusion": {"tau_acc_s": -1}}"#)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("'fusion.tau_acc_s' is -1, allowed range 0.1 to 60")
        );
        let e = Config::from_json_str(r#"{"slouch_delay_s": "soon"}"#)
            .err()
            .map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("'slouch_delay_s' must be a number"));
        let e = Config::from_json_str(r#"{"slouch_release_deg": 25}"#).err();
        assert!(matches!(e, Some(ConfigError::Inconsistent { .. })));
        assert!(matches!(
            Config::from_json_str("{"),
            Err(ConfigError::Syntax { .. })
        ));
        assert!(matches!(
            Config::from_json_str("[1]"),
            Err(ConfigError::WrongType { .. })
        ));
    }
}
