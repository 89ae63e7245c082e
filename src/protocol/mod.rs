//! The sensor's serial line protocol: decoding what the clip sends, encoding what the host sends.
//!
//! The wire format is specified in `firmware-protocol.md` at the top of the crate (protocol
//! version 1), which also holds a reference firmware. This module is pure: bytes in, frames out,
//! no I/O, no panics on any input, no allocation per sample line.
//!
//! ```
//! use spinewatch::protocol::{Decoder, DecoderSettings, Frame};
//!
//! let mut decoder = Decoder::new(DecoderSettings::default());
//! let mut samples = Vec::new();
//! // A plain sketch: its units are recognised from gravity at rest over the first lines.
//! for _ in 0..16 {
//!     decoder.push(b"0.01\t-0.99\t0.05\t1.2\t-0.5\t0.0\r\n", &mut |frame| {
//!         if let Frame::Sample(s) = frame {
//!             samples.push(s);
//!         }
//!     });
//! }
//! assert_eq!(samples.len(), 16);
//! assert_eq!(samples[0].device_time_us, None); // plain line: host must timestamp it
//! ```
//!
//! # Layout: one file per stage of the decoder
//!
//! * `framing` — bytes of any chunking into records: line assembly, the [`MAX_LINE_LEN`]
//!   bound, resynchronising on the next terminator or `$`;
//! * `sw1` — one checksummed `$SW1` record into a sample, identity, command, ack or nak;
//! * `plain` — the legacy lines: six or seven plain numbers, a header naming columns,
//!   `Label:value` pairs, i2cdevlib `a/g:` raw counts — their numbers as printed; `labels` —
//!   the names and unit words sketches print;
//! * `units`, `infer` — the units plain lines are in ([`Units`], [`UnitsStatus`]): forced, or
//!   recognised from the gravity reading at rest and the labels, samples held until known;
//! * `record` — what both parsers hand on (a sample before stream state) and their shared
//!   field checks;
//! * `stream` — the [`Decoder`]: sequence gaps and resets, device-time unwrapping and jumps,
//!   statistics;
//! * `foreign` — another device's protocol on the port (NMEA sentences), counted apart;
//! * `frame`, `error`, `encode`, `crc` — the output types, the errors, the host-side encoder
//!   and the checksum.

mod crc;
mod encode;
mod error;
mod foreign;
mod frame;
mod framing;
mod infer;
mod labels;
mod plain;
mod record;
mod stream;
mod sw1;
#[cfg(test)]
mod test_support;
mod units;

pub use crc::{CRC16_INIT, CRC16_POLY, crc16, crc16_update};
pub use encode::{encode_ack, encode_command, encode_identity, encode_nak, encode_sample};
pub use error::DecodeError;
pub use frame::{
    Command, CommandName, DeviceIdentity, Frame, LineFormat, Nak, NakReason, SampleFrame,
};
pub use infer::UNITS_WINDOW;
pub use stream::{Decoder, DecoderSettings, DecoderStats, is_other_protocol};
pub use units::{
    AccelUnit, GyroUnit, RAW_SCALES, STANDARD_GRAVITY_MPS2, SampleUnits, Scale, Units, UnitsError,
    UnitsStatus,
};

/// Protocol version implemented here; lines are tagged `$SW1`.
pub const PROTOCOL_VERSION: u8 = 1;

/// The tag after `$` that names protocol version 1.
pub(crate) const LINE_TAG: &[u8] = b"SW1";

/// Longest accepted line in bytes, excluding the terminator. Longer lines are dropped up to the
/// next `\r`, `\n` or `$` and counted as overlong; this also bounds the decoder's buffer.
pub const MAX_LINE_LEN: usize = 256;

/// Largest accepted acceleration magnitude per axis, in g (covers ±32 g sensors with margin).
pub const ACCEL_LIMIT_G: f64 = 64.0;

/// Largest accepted rotation-rate magnitude per axis, in deg/s (covers ±4000 deg/s sensors).
pub const GYRO_LIMIT_DPS: f64 = 8000.0;

/// Decimals a device prints for acceleration: resolution 0.0001 g.
pub const ACCEL_DECIMALS: u32 = 4;

/// Decimals a device prints for rotation rate: resolution 0.01 deg/s.
pub const GYRO_DECIMALS: u32 = 2;

/// Lowest sample rate a `RATE` command or identity may state, in Hz.
pub const RATE_HZ_MIN: u16 = 1;

/// Highest sample rate a `RATE` command or identity may state, in Hz.
pub const RATE_HZ_MAX: u16 = 1000;

/// Longest vibration a `VIB` command may ask for, in milliseconds.
pub const VIB_DURATION_MAX_MS: u16 = 5000;

/// Full vibration strength, in percent.
pub const VIB_STRENGTH_MAX_PCT: u8 = 100;

/// Longest identity text token (`fw`, `model`) in bytes.
pub const IDENTITY_TOKEN_MAX: usize = 32;

/// Extra forward device-time step tolerated before it counts as a jump, in microseconds
/// (see "Device time" in `firmware-protocol.md`): a step larger than
/// `2 × gap × period + TIME_JUMP_SLACK_US` is a time jump.
pub const TIME_JUMP_SLACK_US: u64 = 100_000;

/// Largest time accepted in the first column of a seven-value plain line, in seconds (~31 years).
pub const PLAIN_TIME_MAX_S: f64 = 1e9;

/// Largest magnitude of a plain value as printed, in any unit: a raw count of a 16-bit signed
/// sensor register (m/s², rad/s and g values are far below it).
pub const RAW_COUNT_LIMIT: f64 = 32768.0;
