//! The units a sketch prints its plain lines in, chosen by the user or recognised from the data.
//!
//! Why: hobby sketches print acceleration in g, in m/s² (the Adafruit Unified Sensor convention,
//! with rotation rates in rad/s) or as raw sensor counts, and nothing on a line of six numbers
//! says which. Read in the wrong units, a sensor at rest (`0.12 -0.34 9.79 …` in m/s²) becomes
//! 9.79 g and every angle after it is wrong, silently. So the decoder recognises the units from
//! the gravity magnitude at rest and from labels, states them ([`UnitsStatus`]), lets the user
//! force them ([`Units`], `record --units`), and holds samples back while it cannot tell.
//!
//! Text forms (`--units`, the recording's metadata): `auto`; otherwise `<accel>,<gyro>` with
//! `<accel>` one of `g`, `mps2` or `raw:<counts per g>` and `<gyro>` one of `dps`, `rads` or
//! `raw:<counts per deg/s>`; `raw:16384,131` is short for `raw:16384,raw:131`.

use std::fmt;
use std::str::FromStr;

/// Standard gravity, m/s² per g.
pub const STANDARD_GRAVITY_MPS2: f64 = 9.806_65;

/// Raw-count scales of the usual MPU6050-class full scales, in the order of the sensor's range
/// setting (AFS_SEL / FS_SEL 0–3): accelerometer counts per g for ±2, ±4, ±8, ±16 g, and the
/// gyroscope counts per deg/s for ±250, ±500, ±1000, ±2000 deg/s.
///
/// Why paired: sketches that configure the ranges usually set both registers to the same step,
/// and the power-on default is ±2 g with ±250 deg/s.
pub const RAW_SCALES: [(Scale, Scale); 4] = [
    (Scale(16384.0), Scale(131.0)),
    (Scale(8192.0), Scale(65.5)),
    (Scale(4096.0), Scale(32.8)),
    (Scale(2048.0), Scale(16.4)),
];

/// A raw-count scale: counts per g or per deg/s, finite and positive (so it compares exactly).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Scale(f64);

impl Scale {
    /// The gyroscope's power-on scale, 131 counts per deg/s (±250 deg/s).
    pub const GYRO_POWER_ON: Scale = Scale(131.0);

    /// A scale of `counts` per unit; `None` unless finite and positive.
    pub fn new(counts: f64) -> Option<Scale> {
        (counts.is_finite() && counts > 0.0).then_some(Scale(counts))
    }

    /// Counts per unit.
    pub fn get(self) -> f64 {
        self.0
    }
}

// Finite and positive by construction, so equality is total.
impl Eq for Scale {}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What an acceleration value is printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccelUnit {
    /// g (specific force; about 1 at rest).
    G,
    /// m/s² (about 9.81 at rest).
    MetresPerSecond2,
    /// Raw sensor counts, this many per g.
    Counts(Scale),
}

/// What a rotation-rate value is printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GyroUnit {
    /// deg/s.
    DegreesPerSecond,
    /// rad/s.
    RadiansPerSecond,
    /// Raw sensor counts, this many per deg/s.
    Counts(Scale),
}

impl AccelUnit {
    /// The value in g of `v` printed in this unit.
    pub fn to_g(self, v: f64) -> f64 {
        match self {
            AccelUnit::G => v,
            AccelUnit::MetresPerSecond2 => v / STANDARD_GRAVITY_MPS2,
            AccelUnit::Counts(s) => v / s.get(),
        }
    }

    /// What gravity reads at rest in this unit: the magnitude the units are recognised by.
    pub fn gravity(self) -> f64 {
        match self {
            AccelUnit::G => 1.0,
            AccelUnit::MetresPerSecond2 => STANDARD_GRAVITY_MPS2,
            AccelUnit::Counts(s) => s.get(),
        }
    }

    /// The gyroscope unit sketches printing this one usually use: deg/s with g (most g
    /// sketches convert both by hand), rad/s with m/s² (the Adafruit Unified Sensor
    /// convention), and the matching range step with raw counts ([`RAW_SCALES`]).
    pub fn usual_gyro(self) -> GyroUnit {
        match self {
            AccelUnit::G => GyroUnit::DegreesPerSecond,
            AccelUnit::MetresPerSecond2 => GyroUnit::RadiansPerSecond,
            AccelUnit::Counts(s) => GyroUnit::Counts(matching_gyro_scale(s)),
        }
    }

    fn words(self) -> String {
        match self {
            AccelUnit::G => "g".into(),
            AccelUnit::MetresPerSecond2 => "m/s^2".into(),
            AccelUnit::Counts(s) => format!("raw counts ({s} per g)"),
        }
    }
}

/// The gyroscope counts per deg/s that go with `accel` counts per g (same range step); the
/// power-on default 131 for a scale that is none of the usual ones.
fn matching_gyro_scale(accel: Scale) -> Scale {
    RAW_SCALES
        .iter()
        .find(|(a, _)| *a == accel)
        .map_or(Scale::GYRO_POWER_ON, |(_, g)| *g)
}

impl GyroUnit {
    /// The value in deg/s of `v` printed in this unit.
    pub fn to_dps(self, v: f64) -> f64 {
        match self {
            GyroUnit::DegreesPerSecond => v,
            GyroUnit::RadiansPerSecond => v.to_degrees(),
            GyroUnit::Counts(s) => v / s.get(),
        }
    }

    fn words(self) -> String {
        match self {
            GyroUnit::DegreesPerSecond => "deg/s".into(),
            GyroUnit::RadiansPerSecond => "rad/s".into(),
            GyroUnit::Counts(s) => format!("raw counts ({s} per deg/s)"),
        }
    }
}

/// The units of one line format: acceleration and rotation rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleUnits {
    pub accel: AccelUnit,
    pub gyro: GyroUnit,
}

impl SampleUnits {
    /// g and deg/s: the protocol's own units (and the session CSV's).
    pub const PROTOCOL: SampleUnits = SampleUnits {
        accel: AccelUnit::G,
        gyro: GyroUnit::DegreesPerSecond,
    };

    /// `accel` printed in g, `gyro` in deg/s.
    pub fn convert(&self, accel: [f64; 3], gyro: [f64; 3]) -> ([f64; 3], [f64; 3]) {
        (
            accel.map(|v| self.accel.to_g(v)),
            gyro.map(|v| self.gyro.to_dps(v)),
        )
    }

    /// For a person: "m/s^2 and rad/s".
    pub fn words(&self) -> String {
        format!("{} and {}", self.accel.words(), self.gyro.words())
    }
}

impl fmt::Display for SampleUnits {
    /// The `--units` form: `g,dps`, `mps2,rads`, `raw:16384,131`, `g,raw:131`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.accel {
            AccelUnit::G => write!(f, "g,")?,
            AccelUnit::MetresPerSecond2 => write!(f, "mps2,")?,
            AccelUnit::Counts(s) => write!(f, "raw:{s},")?,
        }
        match (self.accel, self.gyro) {
            (_, GyroUnit::DegreesPerSecond) => write!(f, "dps"),
            (_, GyroUnit::RadiansPerSecond) => write!(f, "rads"),
            (AccelUnit::Counts(_), GyroUnit::Counts(s)) => write!(f, "{s}"),
            (_, GyroUnit::Counts(s)) => write!(f, "raw:{s}"),
        }
    }
}

/// Which units plain lines are read in: recognised from the data, or as the user says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Units {
    /// Recognise them (gravity magnitude at rest, labels, header): the default.
    #[default]
    Auto,
    /// These, whatever the data look like.
    Fixed(SampleUnits),
}

/// Why a `--units` text could not be read. The text is not quoted back beyond a short prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitsError {
    #[error(
        "units {text:?}: expected auto, or <accel>,<gyro> with accel g, mps2 or raw:<counts per g> \
         and gyro dps, rads or raw:<counts per deg/s> (e.g. g,dps; mps2,rads; raw:16384,131)"
    )]
    Syntax {
        /// At most the first 32 characters of what was given.
        text: String,
    },
    #[error("units {text:?}: a raw scale must be a positive number of counts")]
    BadScale {
        /// At most the first 32 characters of what was given.
        text: String,
    },
}

/// At most the first 32 characters of `s`, for an error message.
fn prefix(s: &str) -> String {
    s.chars().take(32).collect()
}

fn scale(text: &str, whole: &str) -> Result<Scale, UnitsError> {
    text.trim()
        .parse::<f64>()
        .ok()
        .and_then(Scale::new)
        .ok_or_else(|| UnitsError::BadScale {
            text: prefix(whole),
        })
}

impl FromStr for Units {
    type Err = UnitsError;

    fn from_str(s: &str) -> Result<Units, UnitsError> {
        let syntax = || UnitsError::Syntax { text: prefix(s) };
        let text = s.trim().to_ascii_lowercase();
        if text == "auto" {
            return Ok(Units::Auto);
        }
        let (a, g) = text.split_once(',').ok_or_else(syntax)?;
        let accel = match a.trim() {
            "g" => AccelUnit::G,
            "mps2" | "m/s^2" | "m/s2" => AccelUnit::MetresPerSecond2,
            other => match other.strip_prefix("raw:") {
                Some(n) => AccelUnit::Counts(scale(n, s)?),
                None => return Err(syntax()),
            },
        };
        let gyro = match (g.trim(), accel) {
            ("dps" | "deg/s", _) => GyroUnit::DegreesPerSecond,
            ("rads" | "rad/s", _) => GyroUnit::RadiansPerSecond,
            (other, _) if other.starts_with("raw:") => {
                GyroUnit::Counts(scale(other.get(4..).unwrap_or_default(), s)?)
            }
            (other, AccelUnit::Counts(_)) => GyroUnit::Counts(scale(other, s)?),
            _ => return Err(syntax()),
        };
        Ok(Units::Fixed(SampleUnits { accel, gyro }))
    }
}

impl fmt::Display for Units {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Units::Auto => write!(f, "auto"),
            Units::Fixed(u) => write!(f, "{u}"),
        }
    }
}

/// What the decoder knows about the units of the samples it reads, for the status line, the
/// `record` output and the recording's metadata.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnitsStatus {
    /// No sample line yet.
    Unknown,
    /// `$SW1` samples: g and deg/s, by the protocol.
    Protocol,
    /// Plain lines, read in the units the user forced.
    Forced(SampleUnits),
    /// Plain lines held back while their units are recognised (`held` samples so far).
    Recognising { held: usize },
    /// Plain lines in units recognised from the gravity reading at rest (`gravity`, the median
    /// magnitude over the first samples, in the printed unit) and from labels or a header
    /// (`labelled`: they named at least one of the units).
    Recognised {
        units: SampleUnits,
        gravity: f64,
        labelled: bool,
    },
    /// Samples arrive but their units could not be recognised: gravity at rest reads `gravity`
    /// (printed unit), which fits none of the candidates. They are dropped, not misread.
    Unrecognised { gravity: f64 },
}

impl UnitsStatus {
    /// The units samples are read in, once known.
    pub fn units(&self) -> Option<SampleUnits> {
        match self {
            UnitsStatus::Protocol => Some(SampleUnits::PROTOCOL),
            UnitsStatus::Forced(u) | UnitsStatus::Recognised { units: u, .. } => Some(*u),
            _ => None,
        }
    }

    /// For the recording's metadata (`# units=…`): the `--units` form of the units the sensor
    /// printed and how they were found (`g,dps (protocol)`, `mps2,rads (recognised)`,
    /// `raw:8192,65.5 (forced)`), or `unrecognised` / `recognising`.
    pub fn metadata(&self) -> Option<String> {
        match self {
            UnitsStatus::Unknown => None,
            UnitsStatus::Protocol => Some(format!("{} (protocol)", SampleUnits::PROTOCOL)),
            UnitsStatus::Forced(u) => Some(format!("{u} (forced)")),
            UnitsStatus::Recognised { units, .. } => Some(format!("{units} (recognised)")),
            UnitsStatus::Recognising { .. } => Some("recognising".into()),
            UnitsStatus::Unrecognised { .. } => Some("unrecognised".into()),
        }
    }

    /// Whether `other` says the same thing to a person (the held count and a new gravity
    /// reading of the same outcome do not count as a change).
    pub fn same_outcome(&self, other: &UnitsStatus) -> bool {
        match (self, other) {
            (UnitsStatus::Recognising { .. }, UnitsStatus::Recognising { .. })
            | (UnitsStatus::Unrecognised { .. }, UnitsStatus::Unrecognised { .. }) => true,
            (
                UnitsStatus::Recognised { units: a, .. },
                UnitsStatus::Recognised { units: b, .. },
            ) => a == b,
            _ => self == other,
        }
    }
}

impl fmt::Display for UnitsStatus {
    /// One phrase for a person: "plain lines in m/s^2 and rad/s (recognised: gravity reads
    /// 9.79)", "samples arrive but their units could not be recognised (…)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnitsStatus::Unknown => write!(f, "no samples yet"),
            UnitsStatus::Protocol => write!(f, "g and deg/s (protocol)"),
            UnitsStatus::Forced(u) => write!(f, "plain lines in {} (as set)", u.words()),
            UnitsStatus::Recognising { .. } => write!(f, "plain lines, recognising their units"),
            UnitsStatus::Recognised {
                units,
                gravity,
                labelled,
            } => write!(
                f,
                "plain lines in {} (recognised: gravity reads {}{})",
                units.words(),
                significant(*gravity),
                if *labelled { ", as labelled" } else { "" }
            ),
            UnitsStatus::Unrecognised { gravity } => write!(
                f,
                "samples arrive but their units could not be recognised (gravity at rest \
                 reads {}, which is none of g ~1, m/s^2 ~9.81, raw counts ~16384/8192/4096/2048; \
                 set them with --units)",
                significant(*gravity)
            ),
        }
    }
}

/// `v` to three significant digits, for a person.
fn significant(v: f64) -> String {
    if !v.is_finite() {
        return "nothing usable".into();
    }
    let digits = if v.abs() >= 100.0 {
        0
    } else if v.abs() >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Units {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn text_forms_round_trip() {
        for s in [
            "auto",
            "g,dps",
            "mps2,rads",
            "raw:16384,131",
            "raw:8192,65.5",
            "g,rads",
            "mps2,dps",
            "raw:4096,dps",
            "g,raw:131",
        ] {
            assert_eq!(parse(s).to_string(), s);
        }
        assert_eq!(parse(" M/S^2 , rad/s ").to_string(), "mps2,rads");
        assert_eq!(parse("raw:16384,raw:131"), parse("raw:16384,131"));
        assert_eq!(Units::default(), Units::Auto);
    }

    #[test]
    fn bad_text_is_refused_quoting_a_short_prefix() {
        for s in [
            "",
            "g",
            "kg,dps",
            "g,rpm",
            "raw:0,131",
            "raw:x,131",
            "raw:16384,-1",
        ] {
            assert!(s.parse::<Units>().is_err(), "{s}");
        }
        let long = "x".repeat(10_000);
        let e = long
            .parse::<Units>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!e.is_empty() && e.len() < 300, "{}", e.len());
    }

    #[test]
    fn conversions_and_conventions() {
        let adafruit = SampleUnits {
            accel: AccelUnit::MetresPerSecond2,
            gyro: AccelUnit::MetresPerSecond2.usual_gyro(),
        };
        let (a, g) = adafruit.convert([0.0, 0.0, STANDARD_GRAVITY_MPS2], [std::f64::consts::PI; 3]);
        assert_eq!(a, [0.0, 0.0, 1.0]);
        assert!((g[0] - 180.0).abs() < 1e-9);
        let raw4 = AccelUnit::Counts(Scale(8192.0));
        assert_eq!(raw4.usual_gyro(), GyroUnit::Counts(Scale(65.5)));
        assert_eq!(raw4.to_g(8192.0), 1.0);
        assert_eq!(AccelUnit::G.usual_gyro(), GyroUnit::DegreesPerSecond);
    }
}
