//! Lines written between rows of a session CSV while it is recorded, in one format for every
//! writer (`spinewatch record` and the window's record button) and read back by every reader,
//! so a replay sees what the live run saw:
//!
//! ```text
//! # sensor_lost time_s=812.340000 reason=sensor unplugged
//! # sensor_back time_s=815.120000 gap_s=2.780000
//! # calibration=up=0.012,-0.998,0.051;forward=0.031,0.052,0.998
//! ```
//!
//! The sensor-lost and sensor-back lines are comments to any other CSV tool; the calibration line
//! is `# key=value` metadata that applies from the next row on.

use std::fmt;

use super::reader::TIME_LIMIT_S;

/// A mark met between rows.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionMark {
    /// The live sensor went away at session time `t_s` (seconds).
    SensorLost { t_s: f64, reason: String },
    /// The live sensor came back at `t_s` after `gap_s` seconds.
    SensorBack { t_s: f64, gap_s: f64 },
    /// A calibration taken during the recording (session-metadata form `up=…;forward=…`).
    Calibration(String),
}

/// Longest reason kept from a `sensor_lost` line, in bytes (a hostile file cannot grow memory).
const MAX_REASON_LEN: usize = 200;

impl SessionMark {
    /// Whether the orientation starts over at this mark: a sensor back from a loss may have
    /// been moved while away. One rule for the driver and the filter run ahead of it.
    pub fn restarts_orientation(&self) -> bool {
        matches!(self, SessionMark::SensorBack { .. })
    }

    /// The text of the comment line, without the leading `# `.
    pub fn line(&self) -> String {
        self.to_string()
    }

    /// Reads a comment line's text (after `#`), `None` if it is not a mark.
    pub fn parse(text: &str) -> Option<SessionMark> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("sensor_lost ") {
            let rest = rest.trim_start();
            let (time, reason) = match rest.split_once(" reason=") {
                Some((time, reason)) => (time, reason),
                None => (rest, ""),
            };
            let t_s = field(time, "time_s")?;
            let mut reason = reason.trim().to_string();
            if reason.len() > MAX_REASON_LEN {
                let mut cut = MAX_REASON_LEN;
                while !reason.is_char_boundary(cut) {
                    cut -= 1;
                }
                reason.truncate(cut);
            }
            return Some(SessionMark::SensorLost { t_s, reason });
        }
        if let Some(rest) = text.strip_prefix("sensor_back ") {
            let mut t_s = None;
            let mut gap_s = None;
            for part in rest.split_whitespace() {
                if let Some(v) = part.strip_prefix("time_s=") {
                    t_s = seconds(v);
                } else if let Some(v) = part.strip_prefix("gap_s=") {
                    gap_s = seconds(v).filter(|v| *v >= 0.0);
                }
            }
            return Some(SessionMark::SensorBack {
                t_s: t_s?,
                gap_s: gap_s?,
            });
        }
        let (key, value) = text.split_once('=')?;
        (key.trim() == "calibration").then(|| SessionMark::Calibration(value.trim().to_string()))
    }
}

/// `time_s=12.5` → 12.5 (a time rows may have, see [`seconds`]).
fn field(part: &str, name: &str) -> Option<f64> {
    seconds(part.trim().strip_prefix(name)?.strip_prefix('=')?)
}

/// A time or a gap in seconds, within what a row's time may be (±[`TIME_LIMIT_S`]): a mark at
/// 1e308 s is a corrupt line, and would overflow the history's millisecond times.
fn seconds(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|v| v.abs() <= TIME_LIMIT_S)
}

impl fmt::Display for SessionMark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SensorLost { t_s, reason } => {
                // One line: a reason with a line break would end the comment early.
                let reason: String = reason
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect();
                write!(f, "sensor_lost time_s={t_s:.6} reason={reason}")
            }
            Self::SensorBack { t_s, gap_s } => {
                write!(f, "sensor_back time_s={t_s:.6} gap_s={gap_s:.6}")
            }
            Self::Calibration(text) => write!(f, "calibration={text}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fuzz regression (tests/fuzz/import.rs): `# sensor_back time_s=1e308` was a mark, and its
    /// time overflowed the history's millisecond arithmetic (a panic in a debug build, a date
    /// centuries away in a release one). Times beyond what rows may hold are not marks.
    #[test]
    fn marks_at_absurd_times_are_not_marks() {
        for text in [
            "sensor_back time_s=1e308 gap_s=0",
            "sensor_back time_s=1 gap_s=1e300",
            "sensor_lost time_s=-1e20 reason=x",
            "sensor_back time_s=nan gap_s=1",
        ] {
            assert_eq!(SessionMark::parse(text), None, "{text}");
        }
        assert!(SessionMark::parse("sensor_back time_s=1e9 gap_s=2").is_some());
    }

    #[test]
    fn marks_round_trip_through_their_lines() {
        for mark in [
            SessionMark::SensorLost {
                t_s: 812.34,
                reason: "sensor unplugged".into(),
            },
            SessionMark::SensorBack {
                t_s: 815.12,
                gap_s: 2.78,
            },
            SessionMark::Calibration("up=0,0,1;forward=1,0,0".into()),
        ] {
            assert_eq!(
                SessionMark::parse(&mark.line()),
                Some(mark.clone()),
                "{mark}"
            );
        }
        assert_eq!(
            SessionMark::parse(" sensor_lost time_s=1.000000 reason=a\nb"),
            Some(SessionMark::SensorLost {
                t_s: 1.0,
                reason: "a\nb".into()
            })
        );
        let line = SessionMark::SensorLost {
            t_s: 1.0,
            reason: "a\nb".into(),
        }
        .line();
        assert!(!line.contains('\n'));
    }

    #[test]
    fn other_comments_are_not_marks() {
        for text in [
            "spinewatch session",
            "device=x",
            "sensor_lost",
            "sensor_lost time_s=abc reason=x",
            "sensor_back time_s=1",
            "sensor_back time_s=1 gap_s=-2",
        ] {
            assert_eq!(SessionMark::parse(text), None, "{text}");
        }
        let long = format!("sensor_lost time_s=1 reason={}", "é".repeat(500));
        match SessionMark::parse(&long) {
            Some(SessionMark::SensorLost { reason, .. }) => assert!(reason.len() <= 200),
            other => panic!("{other:?}"),
        }
    }
}
