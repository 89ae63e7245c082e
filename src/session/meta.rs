//! `# key=value` metadata carried at the top of a session file.

use std::fmt;
use std::str::FromStr;

/// Metadata read from (or to be written to) a session file's `# key=value` lines.
///
/// Known keys get typed fields; every other key is kept in `other` in file order so a rewrite
/// loses nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionMeta {
    /// `format`: version of the session format (currently 1).
    pub format_version: Option<u32>,
    /// `device`: free text identifying the sensor (model, firmware, port).
    pub device: Option<String>,
    /// `rate_hz`: the nominal sample rate in Hz, a hint for the orientation filter.
    pub rate_hz: Option<f64>,
    /// `calibration`: a stored calibration (`up=x,y,z;forward=x,y,z`, sensor-frame unit vectors).
    pub calibration: Option<String>,
    /// `calibration_windows`: where in this session the calibration poses were held; a replay
    /// calibrates from them before its first sample (the whole session is calibrated).
    pub calibration_windows: Option<CalibrationWindows>,
    /// `calibration_capture`: calibration poses captured live while this session was recorded
    /// (`record --calibrate`); a replay captures them the same way and applies the calibration
    /// where the live run did, once the second window is over, so it shows what the live run did.
    pub calibration_capture: Option<CalibrationWindows>,
    /// Every other key, in file order.
    pub other: Vec<(String, String)>,
}

impl SessionMeta {
    /// Takes one metadata line's key and value. Returns a warning when a known key's value
    /// cannot be understood (the value is then kept in `other` so nothing is lost).
    pub fn set(&mut self, key: &str, value: &str) -> Option<String> {
        let value = value.trim();
        // A value may be a whole 64 KiB line: the warning quotes its start only.
        let bad = |what: &str| {
            Some(format!(
                "metadata '{}': {what}: '{}'",
                short(key),
                short(value)
            ))
        };
        match key {
            "format" => match value.parse() {
                Ok(v) => self.format_version = Some(v),
                Err(_) => {
                    self.other.push((key.into(), value.into()));
                    return bad("not a version number");
                }
            },
            "device" => self.device = Some(value.to_string()),
            "rate_hz" => match value.parse::<f64>() {
                Ok(v) if v.is_finite() && v > 0.0 => self.rate_hz = Some(v),
                _ => {
                    self.other.push((key.into(), value.into()));
                    return bad("not a positive rate");
                }
            },
            "calibration" => self.calibration = Some(value.to_string()),
            "calibration_windows" | "calibration_capture" => match value.parse() {
                Ok(w) if key == "calibration_windows" => self.calibration_windows = Some(w),
                Ok(w) => self.calibration_capture = Some(w),
                Err(e) => {
                    self.other.push((key.into(), value.into()));
                    return bad(&e);
                }
            },
            _ => self.other.push((key.to_string(), value.to_string())),
        }
        None
    }

    /// All entries as `(key, value)` pairs, known keys first, in the order a writer emits them.
    pub fn entries(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(v) = self.format_version {
            out.push(("format".into(), v.to_string()));
        }
        if let Some(v) = &self.device {
            out.push(("device".into(), v.clone()));
        }
        if let Some(v) = self.rate_hz {
            out.push(("rate_hz".into(), v.to_string()));
        }
        if let Some(v) = &self.calibration {
            out.push(("calibration".into(), v.clone()));
        }
        if let Some(v) = &self.calibration_windows {
            out.push(("calibration_windows".into(), v.to_string()));
        }
        if let Some(v) = &self.calibration_capture {
            out.push(("calibration_capture".into(), v.to_string()));
        }
        out.extend(self.other.iter().cloned());
        out
    }
}

/// Characters of a key or value quoted in a warning.
const QUOTE_MAX_CHARS: usize = 40;

/// `text` cut to [`QUOTE_MAX_CHARS`] characters, with "…" when cut.
fn short(text: &str) -> String {
    let mut out: String = text.chars().take(QUOTE_MAX_CHARS).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
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

/// The two calibration windows in session seconds: upright `U0:U1`, then forward lean `F0:F1`.
///
/// Written `U0:U1,F0:F1`, the form of the replay's `--calibrate` option.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationWindows {
    pub upright_s: (f64, f64),
    pub forward_s: (f64, f64),
}

impl CalibrationWindows {
    /// The session time by which both windows are over, in seconds.
    pub fn end_s(&self) -> f64 {
        self.upright_s.1.max(self.forward_s.1)
    }
}

impl FromStr for CalibrationWindows {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let usage = "expected U0:U1,F0:F1 (seconds: upright window, then forward-lean window)";
        let (upright, forward) = s.split_once(',').ok_or_else(|| usage.to_string())?;
        let window = |part: &str, name: &str| -> Result<(f64, f64), String> {
            let (a, b) = part.split_once(':').ok_or_else(|| usage.to_string())?;
            let a: f64 = a.trim().parse().map_err(|_| usage.to_string())?;
            let b: f64 = b.trim().parse().map_err(|_| usage.to_string())?;
            if !(a.is_finite() && b.is_finite() && a >= 0.0 && b > a) {
                return Err(format!(
                    "{name} window {}:{} must start at or after 0 s and end after it starts",
                    compact(a),
                    compact(b)
                ));
            }
            Ok((a, b))
        };
        let upright_s = window(upright, "upright")?;
        let forward_s = window(forward, "forward-lean")?;
        // The wearer sits upright first, then leans: a lean window before the upright one ends
        // (swapped windows, a typo) would calibrate "upright" from the lean.
        if forward_s.0 < upright_s.1 {
            return Err(format!(
                "the forward-lean window {}:{} starts before the upright window {}:{} ends \
                 (expected U0:U1,F0:F1 with F0 >= U1)",
                compact(forward_s.0),
                compact(forward_s.1),
                compact(upright_s.0),
                compact(upright_s.1)
            ));
        }
        Ok(Self {
            upright_s,
            forward_s,
        })
    }
}

impl fmt::Display for CalibrationWindows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{},{}:{}",
            self.upright_s.0, self.upright_s.1, self.forward_s.0, self.forward_s.1
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fuzz regression (tests/fuzz/session.rs): a metadata value is a whole line (up to 64 KiB)
    /// and its warning quoted it whole; windows at 1e308 were printed with all their digits.
    #[test]
    fn warnings_quote_a_short_prefix() {
        let mut m = SessionMeta::default();
        let w = m.set("rate_hz", &"x".repeat(3000)).unwrap_or_default();
        assert!(w.starts_with("metadata 'rate_hz'") && w.len() < 150, "{w}");
        let w = m
            .set("calibration_windows", "0:1e308,1e308:inf")
            .unwrap_or_default();
        assert!(w.contains("1e308:inf") && w.len() < 200, "{w}");
    }

    #[test]
    fn windows_parse_and_print_round_trip() {
        let w: CalibrationWindows = "1:9,10.5:14".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(w.upright_s, (1.0, 9.0));
        assert_eq!(w.forward_s, (10.5, 14.0));
        assert_eq!(w.end_s(), 14.0);
        assert_eq!(w.to_string().parse::<CalibrationWindows>().ok(), Some(w));
    }

    #[test]
    fn bad_windows_say_what_is_expected() {
        for bad in [
            "",
            "1:2",
            "1:2,3",
            "a:2,3:4",
            "5:2,3:4",
            "-1:2,3:4",
            "13:16,0:10",
            "0:10,5:15",
        ] {
            let err = bad.parse::<CalibrationWindows>().err();
            assert!(err.is_some(), "{bad} should not parse");
        }
    }

    #[test]
    fn unknown_and_bad_keys_are_kept() {
        let mut m = SessionMeta::default();
        assert!(m.set("rate_hz", "100").is_none());
        assert!(m.set("rate_hz", "fast").is_some());
        assert!(m.set("operator", "me").is_none());
        assert_eq!(m.rate_hz, Some(100.0));
        assert_eq!(m.other.len(), 2);
        assert!(
            m.entries()
                .iter()
                .any(|(k, v)| k == "operator" && v == "me")
        );
    }
}
