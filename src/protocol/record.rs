//! What a line parser hands the stream: a [`Record`], before sequence and clock are applied.
//!
//! Why a separate step: a line on its own says what was measured (g, deg/s) and, for some
//! formats, a raw device timestamp; whether samples were lost and what the unwrapped device
//! time is depends on the lines before it, which only [`stream`](super::stream) knows. The
//! field checks shared by both parsers ([`sw1`](super::sw1) and [`plain`](super::plain)) live
//! here too, so both name and bound the axes the same way.

use super::error::DecodeError;
use super::frame::{Frame, LineFormat};
use super::{ACCEL_LIMIT_G, GYRO_LIMIT_DPS};
use crate::number::parse_f64;

/// A decoded line before the stream state (sequence, clock, units) is applied.
pub(super) enum Record {
    /// A sample in g and deg/s (a `$SW1` record, or a plain one its units have been applied to).
    Sample {
        seq: Option<u32>,
        stamp: Option<Stamp>,
        /// Specific force in g, sensor axes.
        accel_g: [f64; 3],
        /// Rotation rate in deg/s, sensor axes.
        gyro_dps: [f64; 3],
        format: LineFormat,
    },
    /// A plain sample line, its numbers as printed: the stream applies its units.
    Plain(PlainSample),
    /// A header line naming the columns of the plain lines after it.
    Header(Layout),
    Other(Frame),
    Ignored,
}

/// A plain sample line's numbers as printed, before its units are known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct PlainSample {
    /// Acceleration, sensor axes, in whatever unit the sketch prints.
    pub accel: [f64; 3],
    /// Rotation rate, sensor axes, in whatever unit the sketch prints.
    pub gyro: [f64; 3],
    /// The time column as printed (unit in `hints.time`, or to be recognised).
    pub time: Option<f64>,
    /// What the line itself says about its units.
    pub hints: Hints,
    pub format: LineFormat,
}

/// What a line says about its units: labels (`ax_g`, `gx(rad/s)`, `AccelZ:9.79 m/s^2`), a
/// header line, or the `a/g:` prefix (raw counts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Hints {
    pub accel: Option<AccelHint>,
    pub gyro: Option<GyroHint>,
    pub time: Option<TimeUnit>,
}

/// An acceleration unit a label names (raw counts without their scale, which the gravity
/// reading gives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AccelHint {
    G,
    MetresPerSecond2,
    Counts,
}

/// A rotation-rate unit a label names (raw counts without their scale).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GyroHint {
    DegreesPerSecond,
    RadiansPerSecond,
    Counts,
}

/// The unit of a plain line's time column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TimeUnit {
    Seconds,
    Milliseconds,
    Microseconds,
}

impl TimeUnit {
    /// Microseconds per unit.
    pub fn us(self) -> f64 {
        match self {
            TimeUnit::Seconds => 1e6,
            TimeUnit::Milliseconds => 1e3,
            TimeUnit::Microseconds => 1.0,
        }
    }
}

/// Most columns a header may name (more is not a sensor's header but text).
pub(super) const MAX_COLUMNS: usize = 32;

/// The columns of plain lines, from a header line: where each axis and the time are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Layout {
    /// Columns on each line (the lines after the header must have exactly these).
    pub columns: usize,
    /// Column of ax, ay, az, gx, gy, gz.
    pub axes: [usize; 6],
    /// Column of the time, if there is one.
    pub time: Option<usize>,
    /// Units the header names.
    pub hints: Hints,
}

/// A device timestamp as it appears on the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stamp {
    /// The device's 32-bit microsecond counter (`$SW1` samples); wraps every 2^32 µs.
    Wrapping32(u32),
    /// Seconds column of a seven-value plain line, converted to µs; does not wrap.
    Plain(i64),
}

/// Field names of the acceleration axes, as errors report them.
pub(super) const ACCEL_FIELDS: [&str; 3] = ["ax", "ay", "az"];
/// Field names of the rotation-rate axes, as errors report them.
pub(super) const GYRO_FIELDS: [&str; 3] = ["gx", "gy", "gz"];

/// A decimal number whose magnitude is at most `limit` (in the field's unit).
pub(super) fn number(field: &'static str, bytes: &[u8], limit: f64) -> Result<f64, DecodeError> {
    let v = parse_f64(bytes).ok_or(DecodeError::BadNumber { field })?;
    if v.abs() > limit {
        return Err(DecodeError::OutOfRange { field });
    }
    Ok(v)
}

/// Rejects a sample with any axis beyond the protocol limits (g, deg/s).
pub(super) fn check_limits(accel_g: &[f64; 3], gyro_dps: &[f64; 3]) -> Result<(), DecodeError> {
    for (v, field) in accel_g.iter().zip(ACCEL_FIELDS) {
        if !(-ACCEL_LIMIT_G..=ACCEL_LIMIT_G).contains(v) {
            return Err(DecodeError::OutOfRange { field });
        }
    }
    for (v, field) in gyro_dps.iter().zip(GYRO_FIELDS) {
        if !(-GYRO_LIMIT_DPS..=GYRO_LIMIT_DPS).contains(v) {
            return Err(DecodeError::OutOfRange { field });
        }
    }
    Ok(())
}
