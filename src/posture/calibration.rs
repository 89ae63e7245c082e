//! Two-pose calibration: sitting upright gives the neutral up direction, a forward lean gives the
//! sagittal (forward) axis. The sensor may be clipped on in any orientation; these two poses are
//! all that is needed to measure flexion and side bend relative to the wearer's own upright.

use std::fmt;

use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

/// One sample inside a calibration window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationSample {
    /// The earth's up direction in the sensor frame (unit vector), from the orientation filter.
    pub up_s: Vector3<f64>,
    /// Magnitude of the bias-corrected rotation rate, deg/s: tells whether the wearer held still.
    pub gyro_dps: f64,
}

/// Limits a calibration must meet. Angles in degrees, rates in deg/s.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CalibrationSettings {
    /// Largest wobble of the up direction allowed while sitting upright, degrees.
    pub upright_max_spread_deg: f64,
    /// Largest rotation rate allowed while sitting upright, deg/s.
    pub upright_max_rate_dps: f64,
    /// Smallest forward lean that defines the forward axis well, degrees.
    pub min_lean_deg: f64,
    /// Largest change of lean direction within the lean (a lean that swerves sideways), degrees.
    pub max_lean_swerve_deg: f64,
    /// Largest angle between this lean's direction and the previous calibration's forward axis
    /// when the sensor has not moved on the body, degrees.
    pub max_turn_from_previous_deg: f64,
}

impl Default for CalibrationSettings {
    fn default() -> Self {
        Self {
            upright_max_spread_deg: 4.0,
            upright_max_rate_dps: 15.0,
            min_lean_deg: 10.0,
            max_lean_swerve_deg: 25.0,
            max_turn_from_previous_deg: 45.0,
        }
    }
}

/// Why a calibration was rejected, with the numbers that decided it.
#[derive(Debug, Clone, PartialEq)]
pub enum CalibrationError {
    /// A window held no samples.
    EmptyWindow { which: &'static str },
    /// The wearer moved during the upright step.
    UprightNotStill { spread_deg: f64, max_rate_dps: f64 },
    /// The lean was too small to tell which way is forward.
    LeanTooSmall { lean_deg: f64, min_deg: f64 },
    /// The lean changed direction on the way (e.g. drifted sideways).
    LeanNotStraight { swerve_deg: f64, max_deg: f64 },
    /// With the sensor where it was, the lean went off to the side of the previous forward axis.
    LeanSideways { off_deg: f64, max_deg: f64 },
    /// A stored calibration could not be read. `text` is its start (at most 60 characters): a
    /// file's line may be 64 KiB long.
    Unreadable { text: String },
}

impl fmt::Display for CalibrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyWindow { which } => write!(f, "no sensor data in the {which} window"),
            Self::UprightNotStill {
                spread_deg,
                max_rate_dps,
            } => write!(
                f,
                "you moved while sitting upright (wobble {spread_deg:.1}°, turning up to {max_rate_dps:.0} deg/s): sit still for the upright step and try again"
            ),
            Self::LeanTooSmall { lean_deg, min_deg } => write!(
                f,
                "the forward lean was only {lean_deg:.1}°; lean forward at least {min_deg:.0}° from the hips and try again"
            ),
            Self::LeanNotStraight {
                swerve_deg,
                max_deg,
            } => write!(
                f,
                "the lean changed direction by {swerve_deg:.0}° (at most {max_deg:.0}°): lean straight forward, not to a side, and try again"
            ),
            Self::LeanSideways { off_deg, max_deg } => write!(
                f,
                "the lean went {off_deg:.0}° away from your previous forward direction (at most {max_deg:.0}°): lean straight forward; if you moved the sensor, clear the old calibration first"
            ),
            Self::Unreadable { text } => write!(
                f,
                "stored calibration '{text}' is not of the form up=x,y,z;forward=x,y,z"
            ),
        }
    }
}

impl std::error::Error for CalibrationError {}

/// The wearer's neutral posture in the sensor frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    up_s: Vector3<f64>,
    forward_s: Vector3<f64>,
}

impl Calibration {
    /// The up direction while sitting upright, in the sensor frame (unit).
    pub fn up_s(&self) -> &Vector3<f64> {
        &self.up_s
    }

    /// The wearer's forward direction in the sensor frame (unit, perpendicular to `up_s`).
    pub fn forward_s(&self) -> &Vector3<f64> {
        &self.forward_s
    }

    /// The wearer's left in the sensor frame (right-handed: up × forward).
    pub fn left_s(&self) -> Vector3<f64> {
        self.up_s.cross(&self.forward_s)
    }

    /// Builds a calibration from up-direction samples of the two windows, checking that the
    /// wearer sat still, then leaned far enough and straight forward.
    pub fn from_windows(
        upright: &[CalibrationSample],
        lean: &[CalibrationSample],
        previous: Option<&Calibration>,
        settings: &CalibrationSettings,
    ) -> Result<Self, CalibrationError> {
        if upright.is_empty() {
            return Err(CalibrationError::EmptyWindow { which: "upright" });
        }
        if lean.is_empty() {
            return Err(CalibrationError::EmptyWindow {
                which: "forward-lean",
            });
        }
        let sum: Vector3<f64> = upright.iter().map(|s| s.up_s).sum();
        let up_s = sum
            .try_normalize(1e-9)
            .ok_or(CalibrationError::UprightNotStill {
                spread_deg: 180.0,
                max_rate_dps: 0.0,
            })?;
        let spread_deg = upright
            .iter()
            .map(|s| s.up_s.angle(&up_s).to_degrees())
            .fold(0.0, f64::max);
        let max_rate_dps = upright.iter().map(|s| s.gyro_dps).fold(0.0, f64::max);
        if spread_deg > settings.upright_max_spread_deg
            || max_rate_dps > settings.upright_max_rate_dps
        {
            return Err(CalibrationError::UprightNotStill {
                spread_deg,
                max_rate_dps,
            });
        }

        // Leaning forward tilts the up direction backwards in the trunk frame, so the forward
        // axis is where up *was* minus where it went, taken perpendicular to up.
        let away = |v: &Vector3<f64>| {
            let d = up_s - v;
            d - up_s * d.dot(&up_s)
        };
        let lean_deg = lean
            .iter()
            .map(|s| s.up_s.angle(&up_s).to_degrees())
            .fold(0.0, f64::max);
        if lean_deg < settings.min_lean_deg {
            return Err(CalibrationError::LeanTooSmall {
                lean_deg,
                min_deg: settings.min_lean_deg,
            });
        }
        // Deeper parts of the lean weigh more (their direction is better defined).
        let total: Vector3<f64> = lean.iter().map(|s| away(&s.up_s)).sum();
        let Some(forward_s) = total.try_normalize(1e-9) else {
            return Err(CalibrationError::LeanTooSmall {
                lean_deg: 0.0,
                min_deg: settings.min_lean_deg,
            });
        };
        let deep_enough = (0.5 * lean_deg).max(0.5 * settings.min_lean_deg);
        let swerve_deg = lean
            .iter()
            .filter(|s| s.up_s.angle(&up_s).to_degrees() >= deep_enough)
            .filter_map(|s| away(&s.up_s).try_normalize(1e-9))
            .map(|d| d.angle(&forward_s).to_degrees())
            .fold(0.0, f64::max);
        if swerve_deg > settings.max_lean_swerve_deg {
            return Err(CalibrationError::LeanNotStraight {
                swerve_deg,
                max_deg: settings.max_lean_swerve_deg,
            });
        }
        if let Some(prev) = previous {
            // Same mounting (upright pose within 10°): forward cannot have turned much.
            if prev.up_s.angle(&up_s).to_degrees() < 10.0 {
                let off_deg = prev.forward_s.angle(&forward_s).to_degrees();
                if off_deg > settings.max_turn_from_previous_deg {
                    return Err(CalibrationError::LeanSideways {
                        off_deg,
                        max_deg: settings.max_turn_from_previous_deg,
                    });
                }
            }
        }
        Ok(Self { up_s, forward_s })
    }

    /// Calibration from bare up vectors (no stillness information), default limits.
    pub fn from_up_vectors(
        upright: &[Vector3<f64>],
        lean: &[Vector3<f64>],
        previous: Option<&Calibration>,
    ) -> Result<Self, CalibrationError> {
        let wrap = |v: &[Vector3<f64>]| -> Vec<CalibrationSample> {
            v.iter()
                .map(|&up_s| CalibrationSample {
                    up_s,
                    gyro_dps: 0.0,
                })
                .collect()
        };
        Self::from_windows(
            &wrap(upright),
            &wrap(lean),
            previous,
            &CalibrationSettings::default(),
        )
    }

    /// The form stored in session metadata and settings: `up=x,y,z;forward=x,y,z`.
    pub fn to_metadata(&self) -> String {
        let v = |v: &Vector3<f64>| format!("{:.6},{:.6},{:.6}", v.x, v.y, v.z);
        format!("up={};forward={}", v(&self.up_s), v(&self.forward_s))
    }

    /// Reads the metadata form back; the vectors are re-normalised and made perpendicular.
    pub fn from_metadata(text: &str) -> Result<Self, CalibrationError> {
        let bad = || CalibrationError::Unreadable {
            text: super::config::quote_short(text),
        };
        let mut up = None;
        let mut forward = None;
        for part in text.split(';') {
            let (key, value) = part.split_once('=').ok_or_else(bad)?;
            let nums: Vec<f64> = value
                .split(',')
                .map(|v| v.trim().parse::<f64>())
                .collect::<Result<_, _>>()
                .map_err(|_| bad())?;
            let [x, y, z] = nums[..] else {
                return Err(bad());
            };
            let v = Vector3::new(x, y, z);
            if !v.iter().all(|c| c.is_finite()) {
                return Err(bad());
            }
            match key.trim() {
                "up" => up = Some(v),
                "forward" => forward = Some(v),
                _ => return Err(bad()),
            }
        }
        let up_s = up.and_then(|u| direction(u, 1e-9)).ok_or_else(bad)?;
        let forward = forward.ok_or_else(bad)?;
        let forward_s = direction(forward - up_s * forward.dot(&up_s), 1e-6).ok_or_else(bad)?;
        Ok(Self { up_s, forward_s })
    }
}

/// `v` scaled to unit length; `None` if it is no longer than `min_norm` (no direction) or so
/// long that its length overflows: `try_normalize` divides by an infinite norm and returns a
/// zero vector for `1e308,1e308,1e308`, which then reads as a 90° slouch forever.
fn direction(v: Vector3<f64>, min_norm: f64) -> Option<Vector3<f64>> {
    let n = v.norm();
    (n.is_finite() && n > min_norm).then(|| v / n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fuzz regression (tests/fuzz/session.rs): `up=1e308,1e308,1e308` overflowed the norm to
    /// infinity and normalised to a zero vector, accepted as a calibration that reads every pose
    /// as a 90° slouch; the same for a forward vector. And an unreadable one was quoted whole.
    #[test]
    fn stored_vectors_whose_length_overflows_are_refused() {
        for text in [
            "up=1e308,1e308,1e308;forward=1,0,0",
            "up=0,0,1;forward=1e308,1e308,0",
        ] {
            assert!(Calibration::from_metadata(text).is_err(), "{text}");
        }
        let c = Calibration::from_metadata("up=0,0,1e100;forward=1e100,0,0")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!((c.up_s().norm() - 1.0).abs() < 1e-12);
        assert!((c.forward_s().norm() - 1.0).abs() < 1e-12);
        let long = format!("up={}", "9".repeat(5000));
        let e = Calibration::from_metadata(&long)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!e.is_empty() && e.len() < 200, "{}", e.len());
    }

    fn tilt(deg: f64, toward: Vector3<f64>) -> Vector3<f64> {
        // Up tilted away from `toward` (a forward lean moves up backwards).
        (Vector3::z() * deg.to_radians().cos() - toward * deg.to_radians().sin()).normalize()
    }

    fn upright() -> Vec<CalibrationSample> {
        (0..50)
            .map(|_| CalibrationSample {
                up_s: Vector3::z(),
                gyro_dps: 0.5,
            })
            .collect()
    }

    fn lean(max_deg: f64, toward: Vector3<f64>) -> Vec<CalibrationSample> {
        (0..=20)
            .map(|i| CalibrationSample {
                up_s: tilt(max_deg * i as f64 / 20.0, toward),
                gyro_dps: 10.0,
            })
            .collect()
    }

    #[test]
    fn finds_forward_from_the_lean() {
        let s = CalibrationSettings::default();
        let c = Calibration::from_windows(&upright(), &lean(30.0, Vector3::x()), None, &s);
        let c = c.unwrap_or_else(|e| panic!("{e}"));
        assert!(c.forward_s().angle(&Vector3::x()) < 1e-9);
        assert!(c.left_s().angle(&Vector3::y()) < 1e-9);
    }

    #[test]
    fn rejects_with_reasons() {
        let s = CalibrationSettings::default();
        let small = Calibration::from_windows(&upright(), &lean(5.0, Vector3::x()), None, &s);
        assert!(matches!(small, Err(CalibrationError::LeanTooSmall { .. })));
        assert!(
            small
                .err()
                .is_some_and(|e| e.to_string().contains("only 5.0°"))
        );

        let mut wobbly = upright();
        wobbly[3].up_s = tilt(8.0, Vector3::y());
        let r = Calibration::from_windows(&wobbly, &lean(30.0, Vector3::x()), None, &s);
        assert!(matches!(r, Err(CalibrationError::UprightNotStill { .. })));

        // Forward first, then swerving sideways.
        let mut swerve = lean(30.0, Vector3::x());
        swerve.extend(lean(30.0, Vector3::y()));
        let r = Calibration::from_windows(&upright(), &swerve, None, &s);
        assert!(
            matches!(r, Err(CalibrationError::LeanNotStraight { .. })),
            "{r:?}"
        );

        let previous = Calibration::from_windows(&upright(), &lean(30.0, Vector3::x()), None, &s)
            .unwrap_or_else(|e| panic!("{e}"));
        let r =
            Calibration::from_windows(&upright(), &lean(30.0, Vector3::y()), Some(&previous), &s);
        assert!(matches!(r, Err(CalibrationError::LeanSideways { .. })));
        let r = Calibration::from_windows(&upright(), &[], None, &s);
        assert!(matches!(r, Err(CalibrationError::EmptyWindow { .. })));
    }

    #[test]
    fn metadata_round_trips_and_bad_text_is_an_error() {
        let c = Calibration::from_up_vectors(
            &[Vector3::new(0.1, 0.2, 0.97).normalize()],
            &[tilt(25.0, Vector3::new(1.0, 0.3, 0.0).normalize())],
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let back = Calibration::from_metadata(&c.to_metadata()).unwrap_or_else(|e| panic!("{e}"));
        assert!(back.up_s().angle(c.up_s()) < 1e-5);
        assert!(back.forward_s().angle(c.forward_s()) < 1e-5);
        for bad in [
            "",
            "up=1,2",
            "up=0,0,1",
            "up=0,0,1;forward=0,0,1",
            "up=a,b,c;forward=1,0,0",
        ] {
            assert!(Calibration::from_metadata(bad).is_err(), "{bad}");
        }
    }
}
