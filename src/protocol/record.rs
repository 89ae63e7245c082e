//! What a line parser hands the stream: a [`Record`], before sequence and clock are applied.
//!
//! Why a separate step: a line on its own says what was measured (g, deg/s) and, for some
//! formats, a raw device timestamp; whether samples were lost and what the unwrapped device
//! time is depends on the lines before it, which only [`stream`](super::stream) knows. The
//! field checks shared by both parsers ([`sw1`](super::sw1) and [`plain`](super::plain)) live
//! here too, so both name and bound the axes the same way.

use super::error::DecodeError;
use super::frame::{Frame, LineFormat};
use crate::number::parse_f64;

/// A decoded line before the stream state (sequence, clock) is applied.
pub(super) enum Record {
    Sample {
        seq: Option<u32>,
        stamp: Option<Stamp>,
        /// Specific force in g, sensor axes.
        accel_g: [f64; 3],
        /// Rotation rate in deg/s, sensor axes.
        gyro_dps: [f64; 3],
        format: LineFormat,
    },
    Other(Frame),
    Ignored,
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
