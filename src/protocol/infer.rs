//! Recognising the units of plain lines from the data: the stream's units stage.
//!
//! The first [`UNITS_WINDOW`] plain samples are held back. Their median acceleration magnitude
//! is gravity at rest in the printed unit: about 1 in g, 9.81 in m/s², 16384, 8192, 4096 or 2048
//! in raw counts at ±2, ±4, ±8 or ±16 g. It picks the accelerometer unit among those the line's
//! names allow (a label `m/s^2` allows only that one, `a/g:` only raw counts); the gyroscope unit
//! comes from the names, else from the accelerometer's convention
//! ([`AccelUnit::usual_gyro`]). A time column without a named unit is in seconds, unless every
//! held time is a whole number: then milliseconds when they step by less than 200 (a sketch
//! printing `millis()` faster than 5 Hz), microseconds otherwise.
//!
//! Why the median over a window: one sample may be taken mid-movement, but a worn sensor spends
//! most of any quarter second near 1 g, and the candidates are at least a factor of two apart, so
//! a window's median within ±25 % of one of them names it without doubt. When none fits (a
//! sketch printing something else, a scale we do not know), the window is dropped — counted and
//! reported, not misread — and the next one is judged afresh. Memory: the window is allocated
//! once, [`UNITS_WINDOW`] samples.

use super::frame::LineFormat;
use super::record::{AccelHint, GyroHint, Hints, PlainSample, TimeUnit};
use super::units::{AccelUnit, GyroUnit, RAW_SCALES, SampleUnits, Scale, Units, UnitsStatus};

/// Plain samples held back to recognise their units: 16 (0.16 s at 100 Hz).
pub const UNITS_WINDOW: usize = 16;

/// How far the gravity reading may be from a candidate's and still name it: a factor of 1.25
/// either way (offsets of cheap sensors are a few percent; candidates are 2× apart at least).
const GRAVITY_TOLERANCE: f64 = 1.25;

/// Whole-number time steps below this are milliseconds, at or above it microseconds.
const MILLIS_BELOW: f64 = 200.0;

/// How the stream reads plain samples once decided.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Reading {
    pub units: SampleUnits,
    /// Unit of the time column (seconds when the samples have none).
    pub time: TimeUnit,
}

/// What the held samples share: a sample of another kind starts recognition again (the sketch
/// changed, or another one is printing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Kind {
    raw_prefix: bool,
    hints: Hints,
    timed: bool,
}

fn kind(s: &PlainSample) -> Kind {
    Kind {
        raw_prefix: s.format == LineFormat::MpuRaw,
        hints: s.hints,
        timed: s.time.is_some(),
    }
}

/// The units stage: holds plain samples until their units are known.
#[derive(Debug, Clone)]
pub(super) struct Recogniser {
    choice: Units,
    held: Vec<PlainSample>,
    decided: Option<(Kind, Reading)>,
    status: UnitsStatus,
}

/// What became of the held window.
pub(super) enum Verdict {
    /// Read the held samples this way.
    Read(Reading),
    /// No units fit; the held samples are to be dropped. `gravity` is what it read.
    Unrecognised { gravity: f64 },
}

impl Recogniser {
    pub(super) fn new(choice: Units) -> Self {
        Self {
            choice,
            held: Vec::with_capacity(UNITS_WINDOW),
            decided: None,
            status: UnitsStatus::Unknown,
        }
    }

    /// Forgets what it held and decided (a reconnect, a new header, new settings).
    pub(super) fn restart(&mut self, choice: Units) {
        self.choice = choice;
        self.held.clear();
        self.decided = None;
        self.status = UnitsStatus::Unknown;
    }

    pub(super) fn status(&self) -> UnitsStatus {
        self.status
    }

    /// The stream is `$SW1` samples: units by the protocol.
    pub(super) fn protocol(&mut self) {
        self.status = UnitsStatus::Protocol;
    }

    /// How to read `s` now, if that is known; else `None` and the caller holds it.
    pub(super) fn reading_for(&mut self, s: &PlainSample) -> Option<Reading> {
        let k = kind(s);
        match self.decided {
            Some((decided, reading)) if decided == k => return Some(reading),
            Some(_) => self.decided = None, // another kind of line: recognise afresh
            None => {}
        }
        // Forced units and no time to recognise: nothing to wait for.
        if let Units::Fixed(units) = self.choice
            && (s.time.is_none() || s.hints.time.is_some())
        {
            let reading = Reading {
                units,
                time: s.hints.time.unwrap_or(TimeUnit::Seconds),
            };
            self.decided = Some((k, reading));
            self.status = UnitsStatus::Forced(units);
            return Some(reading);
        }
        None
    }

    /// Whether `s` is of another kind than the samples held: the window ends before it.
    pub(super) fn ends_window(&self, s: &PlainSample) -> bool {
        self.held.first().is_some_and(|h| kind(h) != kind(s))
    }

    /// Holds `s` (of the kind held; see [`ends_window`](Self::ends_window)); returns true when
    /// the window is full and is to be judged.
    pub(super) fn hold(&mut self, s: PlainSample) -> bool {
        if self.held.len() < UNITS_WINDOW {
            self.held.push(s);
        }
        // Once a window fitted nothing that is what stands, until one fits.
        if !matches!(self.status, UnitsStatus::Unrecognised { .. }) {
            self.status = UnitsStatus::Recognising {
                held: self.held.len(),
            };
        }
        self.held.len() >= UNITS_WINDOW
    }

    /// Samples held now.
    pub(super) fn held_len(&self) -> usize {
        self.held.len()
    }

    /// Judges the held samples (the window is full, or the stream ended); the caller then takes
    /// them with [`take_held`](Self::take_held).
    pub(super) fn judge(&mut self) -> Option<Verdict> {
        let first = *self.held.first()?;
        let k = kind(&first);
        let gravity = median_magnitude(&self.held);
        let units = match self.choice {
            Units::Fixed(units) => Some(units),
            Units::Auto => accel_for(k, gravity).map(|accel| SampleUnits {
                accel,
                gyro: gyro_for(k.hints.gyro, accel),
            }),
        };
        let Some(units) = units else {
            self.status = UnitsStatus::Unrecognised { gravity };
            return Some(Verdict::Unrecognised { gravity });
        };
        let reading = Reading {
            units,
            time: k.hints.time.unwrap_or_else(|| time_unit(&self.held)),
        };
        self.decided = Some((k, reading));
        self.status = match self.choice {
            Units::Fixed(u) => UnitsStatus::Forced(u),
            Units::Auto => UnitsStatus::Recognised {
                units,
                gravity,
                labelled: k.hints.accel.is_some() || k.hints.gyro.is_some(),
            },
        };
        Some(Verdict::Read(reading))
    }

    /// Moves the held samples into `out` (emptied first), keeping the window's allocation.
    pub(super) fn take_held(&mut self, out: &mut Vec<PlainSample>) {
        out.clear();
        out.append(&mut self.held);
    }
}

/// The accelerometer unit whose gravity `gravity` reads, among those the line allows.
fn accel_for(k: Kind, gravity: f64) -> Option<AccelUnit> {
    let counts = RAW_SCALES.iter().map(|(a, _)| AccelUnit::Counts(*a));
    let physical = [AccelUnit::G, AccelUnit::MetresPerSecond2];
    let fits = |u: &AccelUnit| {
        let ratio = gravity / u.gravity();
        (1.0 / GRAVITY_TOLERANCE..=GRAVITY_TOLERANCE).contains(&ratio)
    };
    match (k.raw_prefix, k.hints.accel) {
        (true, _) | (false, Some(AccelHint::Counts)) => counts.clone().find(fits),
        (false, Some(AccelHint::G)) => Some(AccelUnit::G).filter(fits),
        (false, Some(AccelHint::MetresPerSecond2)) => {
            Some(AccelUnit::MetresPerSecond2).filter(fits)
        }
        (false, None) => physical.into_iter().chain(counts).find(fits),
    }
}

/// The gyroscope unit: as named, else the accelerometer's convention.
fn gyro_for(hint: Option<GyroHint>, accel: AccelUnit) -> GyroUnit {
    match (hint, accel) {
        (Some(GyroHint::DegreesPerSecond), _) => GyroUnit::DegreesPerSecond,
        (Some(GyroHint::RadiansPerSecond), _) => GyroUnit::RadiansPerSecond,
        (Some(GyroHint::Counts), AccelUnit::Counts(_)) | (None, _) => accel.usual_gyro(),
        (Some(GyroHint::Counts), _) => GyroUnit::Counts(Scale::GYRO_POWER_ON),
    }
}

/// The median magnitude of the held accelerations (printed unit).
fn median_magnitude(held: &[PlainSample]) -> f64 {
    let mut m = [0.0f64; UNITS_WINDOW];
    let n = held.len().min(UNITS_WINDOW);
    for (slot, s) in m.iter_mut().zip(held) {
        let [x, y, z] = s.accel;
        *slot = (x * x + y * y + z * z).sqrt();
    }
    let m = m.get_mut(..n).unwrap_or_default();
    m.sort_by(f64::total_cmp);
    match n {
        0 => f64::NAN,
        n if n % 2 == 1 => m.get(n / 2).copied().unwrap_or(f64::NAN),
        n => {
            (m.get(n / 2 - 1).copied().unwrap_or(f64::NAN)
                + m.get(n / 2).copied().unwrap_or(f64::NAN))
                / 2.0
        }
    }
}

/// The unit of an unnamed time column: whole numbers are milliseconds or microseconds by
/// their median step; anything else is seconds.
fn time_unit(held: &[PlainSample]) -> TimeUnit {
    let mut steps = [0.0f64; UNITS_WINDOW];
    let mut n = 0usize;
    let mut prev: Option<f64> = None;
    for t in held.iter().filter_map(|s| s.time) {
        if t.fract() != 0.0 {
            return TimeUnit::Seconds;
        }
        if let Some(p) = prev
            && t > p
            && let Some(slot) = steps.get_mut(n)
        {
            *slot = t - p;
            n += 1;
        }
        prev = Some(t);
    }
    let steps = steps.get_mut(..n).unwrap_or_default();
    if steps.is_empty() {
        return TimeUnit::Seconds;
    }
    steps.sort_by(f64::total_cmp);
    let median = steps.get(n / 2).copied().unwrap_or(0.0);
    if median < MILLIS_BELOW {
        TimeUnit::Milliseconds
    } else {
        TimeUnit::Microseconds
    }
}
