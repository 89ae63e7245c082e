//! Streaming decoder: any chunking of serial bytes in, [`Frame`]s out.
//!
//! Design: a line (or `$` record) that lies wholly inside one pushed chunk is parsed in place;
//! only a line split across chunks is copied into a buffer bounded by [`MAX_LINE_LEN`]. Numbers
//! are parsed straight from bytes. Nothing is allocated per sample line, so decoding runs at
//! hundreds of MB/s — far above any serial link.

use super::crc::crc16;
use super::encode::is_token_byte;
use super::error::DecodeError;
use super::frame::{
    Command, CommandName, DeviceIdentity, Frame, LineFormat, Nak, NakReason, SampleFrame,
};
use super::{
    ACCEL_LIMIT_G, GYRO_LIMIT_DPS, IDENTITY_TOKEN_MAX, LINE_TAG, MAX_LINE_LEN, PLAIN_TIME_MAX_S,
    PROTOCOL_VERSION, RATE_HZ_MAX, RATE_HZ_MIN, RAW_COUNT_LIMIT, TIME_JUMP_SLACK_US,
    VIB_DURATION_MAX_MS, VIB_STRENGTH_MAX_PCT,
};
use crate::number::{parse_f64, parse_u32};

/// How the decoder interprets what the line itself does not say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecoderSettings {
    /// Sample rate in Hz assumed until the device states one (identity line or `RATE` ack).
    /// Only used to judge device-time jumps and to re-anchor time after one. Default 100 Hz.
    pub nominal_rate_hz: f64,
    /// Raw accelerometer counts per g on `a/g:` lines. Default 16384 (MPU6050 at ±2 g, the
    /// i2cdevlib `MPU6050_raw` default).
    pub raw_accel_counts_per_g: f64,
    /// Raw gyroscope counts per deg/s on `a/g:` lines. Default 131 (MPU6050 at ±250 deg/s).
    pub raw_gyro_counts_per_dps: f64,
    /// Accept the legacy formats (plain six/seven numbers, `a/g:` raw lines). Default `true`;
    /// with `false` every non-`$` line is ignored.
    pub accept_legacy: bool,
}

impl Default for DecoderSettings {
    fn default() -> Self {
        Self {
            nominal_rate_hz: 100.0,
            raw_accel_counts_per_g: 16384.0,
            raw_gyro_counts_per_dps: 131.0,
            accept_legacy: true,
        }
    }
}

impl DecoderSettings {
    /// Replaces unusable values (non-finite, zero or negative) with the defaults, so the decoder
    /// never divides by zero whatever the caller passes.
    fn sanitised(self) -> Self {
        let d = Self::default();
        let ok = |v: f64| v.is_finite() && v > 0.0;
        Self {
            nominal_rate_hz: if ok(self.nominal_rate_hz) {
                self.nominal_rate_hz.min(f64::from(RATE_HZ_MAX) * 1000.0)
            } else {
                d.nominal_rate_hz
            },
            raw_accel_counts_per_g: if ok(self.raw_accel_counts_per_g) {
                self.raw_accel_counts_per_g
            } else {
                d.raw_accel_counts_per_g
            },
            raw_gyro_counts_per_dps: if ok(self.raw_gyro_counts_per_dps) {
                self.raw_gyro_counts_per_dps
            } else {
                d.raw_gyro_counts_per_dps
            },
            accept_legacy: self.accept_legacy,
        }
    }
}

/// Running counts since the decoder was created. All counters saturate instead of wrapping.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecoderStats {
    /// Bytes pushed.
    pub bytes: u64,
    /// Lines decoded into a frame (any kind).
    pub frames_ok: u64,
    /// `$SW1` lines whose CRC did not match (dropped).
    pub checksum_failures: u64,
    /// Lines rejected for any other reason: bad syntax, field count, number, range, token,
    /// unsupported `$` prefix, binary garbage, a line cut short by a following `$` (dropped).
    pub malformed_lines: u64,
    /// Lines longer than [`MAX_LINE_LEN`] bytes (dropped).
    pub overlong_lines: u64,
    /// Harmless lines skipped: free text such as a sketch's start-up banner, and checksum-valid
    /// `$SW1` records of a type this version does not know (forward compatibility).
    pub ignored_lines: u64,
    /// Times the sequence number skipped forward.
    pub sequence_gaps: u64,
    /// Sum of the sequence numbers skipped: samples lost between device and decoder.
    pub samples_dropped: u64,
    /// Times the sequence number went backwards or repeated (device reset).
    pub sequence_resets: u64,
    /// Device-time jumps (see "Device time" in `firmware-protocol.md`).
    pub time_jumps: u64,
}

/// Streaming decoder of the spinewatch line protocol (and the accepted legacy formats).
///
/// Feed it bytes in chunks of any size with [`push`](Self::push); each complete line yields at
/// most one [`Frame`]. Bad lines are counted in [`stats`](Self::stats) and never stop decoding.
#[derive(Debug, Clone)]
pub struct Decoder {
    /// Bytes of a record split across pushes; never longer than [`MAX_LINE_LEN`].
    buf: Vec<u8>,
    /// Inside an overlong record: drop bytes until the next terminator.
    discarding: bool,
    /// Length of the overlong record so far, for the error report.
    discarded_len: usize,
    state: State,
}

#[derive(Debug, Clone)]
struct State {
    settings: DecoderSettings,
    stats: DecoderStats,
    last_error: Option<DecodeError>,
    last_seq: Option<u32>,
    /// Sample rate stated by the device (identity or `RATE` ack), in Hz.
    device_rate_hz: Option<f64>,
    clock: Clock,
}

/// A decoded line before the stream state (sequence, clock) is applied.
enum Record {
    Sample {
        seq: Option<u32>,
        stamp: Option<Stamp>,
        accel_g: [f64; 3],
        gyro_dps: [f64; 3],
        format: LineFormat,
    },
    Other(Frame),
    Ignored,
}

/// A device timestamp as it appears on the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stamp {
    /// The device's 32-bit microsecond counter (`$SW1` samples); wraps every 2^32 µs.
    Wrapping32(u32),
    /// Seconds column of a seven-value plain line, converted to µs; does not wrap.
    Plain(i64),
}

/// Unwraps device time into a monotonic `u64` µs count.
#[derive(Debug, Clone, Copy, Default)]
struct Clock {
    /// Last stamp seen and the unwrapped time given to it.
    last: Option<(Stamp, u64)>,
}

impl Clock {
    /// Unwrapped time for `stamp`. `gap` is how many sample periods the sequence says passed
    /// (`None` after a sequence reset: re-anchor). Returns the time and a jump, if any.
    fn advance(
        &mut self,
        stamp: Stamp,
        gap: Option<u64>,
        period_us: f64,
    ) -> (u64, Option<DecodeError>) {
        let (time, jump) = match self.last {
            None => (
                match stamp {
                    Stamp::Wrapping32(raw) => u64::from(raw),
                    Stamp::Plain(us) => us.max(0).unsigned_abs(),
                },
                None,
            ),
            Some((prev_stamp, prev_time)) => {
                let gap_periods = gap.unwrap_or(1);
                // period_us <= 1e6 and gap < 2^32, so this stays far inside u64.
                let expected = (gap_periods as f64 * period_us).round() as u64;
                match (gap, prev_stamp, stamp) {
                    (Some(_), Stamp::Wrapping32(a), Stamp::Wrapping32(b)) => {
                        let d = b.wrapping_sub(a);
                        let step = if d < 1 << 31 {
                            i64::from(d)
                        } else {
                            i64::from(d) - (1i64 << 32)
                        };
                        judge(prev_time, step, expected)
                    }
                    (Some(_), Stamp::Plain(a), Stamp::Plain(b)) => {
                        judge(prev_time, b.saturating_sub(a), expected)
                    }
                    // Sequence reset or format change: no comparable previous stamp.
                    _ => (prev_time.saturating_add(expected), None),
                }
            }
        };
        debug_assert!(self.last.is_none_or(|(_, t)| time >= t));
        self.last = Some((stamp, time));
        (time, jump)
    }
}

/// Applies the time-jump rule to one step (see `firmware-protocol.md`, "Device time").
fn judge(prev_time: u64, step_us: i64, expected_us: u64) -> (u64, Option<DecodeError>) {
    let jump = DecodeError::TimeJump {
        step_us,
        expected_us,
    };
    if step_us < 0 {
        // Backwards and not a rollover: keep time monotonic by assuming the nominal step.
        (prev_time.saturating_add(expected_us), Some(jump))
    } else {
        let step = step_us.unsigned_abs();
        let limit = expected_us
            .saturating_mul(2)
            .saturating_add(TIME_JUMP_SLACK_US);
        let time = prev_time.saturating_add(step);
        (time, (step > limit).then_some(jump))
    }
}

fn bump(counter: &mut u64) {
    *counter = counter.saturating_add(1);
}

impl Decoder {
    /// A decoder with no stream history. Unusable settings values fall back to the defaults.
    pub fn new(settings: DecoderSettings) -> Self {
        Self {
            buf: Vec::with_capacity(MAX_LINE_LEN),
            discarding: false,
            discarded_len: 0,
            state: State {
                settings: settings.sanitised(),
                stats: DecoderStats::default(),
                last_error: None,
                last_seq: None,
                device_rate_hz: None,
                clock: Clock::default(),
            },
        }
    }

    /// Decodes `bytes`, calling `on_frame` for every complete line that decodes.
    ///
    /// A trailing partial line is kept until a later push completes it (or [`flush`](Self::flush)).
    pub fn push<F: FnMut(Frame)>(&mut self, bytes: &[u8], on_frame: &mut F) {
        self.push_events(bytes, &mut |event| {
            if let Ok(frame) = event {
                on_frame(frame);
            }
        });
    }

    /// Like [`push`](Self::push), but also hands over every error and stream anomaly, in stream
    /// order (an anomaly comes just before the sample frame it concerns).
    pub fn push_events<F: FnMut(Result<Frame, DecodeError>)>(
        &mut self,
        bytes: &[u8],
        sink: &mut F,
    ) {
        let stats = &mut self.state.stats;
        stats.bytes = stats
            .bytes
            .saturating_add(u64::try_from(bytes.len()).unwrap_or(u64::MAX));
        let mut start = 0usize;
        let mut search = 0usize;
        loop {
            let tail = bytes.get(search..).unwrap_or_default();
            let Some(offset) = tail.iter().position(|&b| matches!(b, b'\n' | b'\r' | b'$')) else {
                self.append(bytes.get(start..).unwrap_or_default());
                return;
            };
            let pos = search + offset;
            self.end_record(bytes.get(start..pos).unwrap_or_default(), sink);
            // `$` starts the next record and belongs to it; a line terminator belongs to none.
            start = if bytes.get(pos) == Some(&b'$') {
                pos
            } else {
                pos + 1
            };
            search = pos + 1;
        }
    }

    /// Treats buffered bytes as a complete line (end of a file or of a replay) and decodes them.
    pub fn flush<F: FnMut(Frame)>(&mut self, on_frame: &mut F) {
        self.flush_events(&mut |event| {
            if let Ok(frame) = event {
                on_frame(frame);
            }
        });
    }

    /// [`flush`](Self::flush) with errors, like [`push_events`](Self::push_events).
    pub fn flush_events<F: FnMut(Result<Frame, DecodeError>)>(&mut self, sink: &mut F) {
        if !self.buf.is_empty() || self.discarding {
            self.end_record(&[], sink);
        }
    }

    /// Forgets the stream (partial line, last sequence number, device clock and stated rate) but
    /// keeps the statistics — for a reconnect, after which the device restarts its counters.
    /// Device time may restart from a lower value after this.
    pub fn reset_stream(&mut self) {
        self.buf.clear();
        self.discarding = false;
        self.discarded_len = 0;
        self.state.last_seq = None;
        self.state.device_rate_hz = None;
        self.state.clock = Clock::default();
    }

    /// Counts since creation.
    pub fn stats(&self) -> DecoderStats {
        self.state.stats
    }

    /// The most recent error or anomaly, if any.
    pub fn last_error(&self) -> Option<DecodeError> {
        self.state.last_error
    }

    /// Returns the most recent error or anomaly and clears it (to report each only once).
    pub fn take_last_error(&mut self) -> Option<DecodeError> {
        self.state.last_error.take()
    }

    /// Settings in force (after replacing unusable values).
    pub fn settings(&self) -> DecoderSettings {
        self.state.settings
    }

    /// Sample rate in Hz the device last stated (identity line or `RATE` ack), if any.
    pub fn device_rate_hz(&self) -> Option<f64> {
        self.state.device_rate_hz
    }

    /// Bytes of an incomplete line waiting for its terminator.
    pub fn pending_len(&self) -> usize {
        if self.discarding {
            self.discarded_len
        } else {
            self.buf.len()
        }
    }

    /// Adds bytes of a record that continues past the current chunk, enforcing the length bound.
    fn append(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if self.discarding {
            self.discarded_len = self.discarded_len.saturating_add(bytes.len());
        } else if self.buf.len().saturating_add(bytes.len()) > MAX_LINE_LEN {
            self.discarding = true;
            self.discarded_len = self.buf.len().saturating_add(bytes.len());
            self.buf.clear();
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// Completes the current record with `tail` (the bytes up to its terminator) and decodes it.
    fn end_record<F: FnMut(Result<Frame, DecodeError>)>(&mut self, tail: &[u8], sink: &mut F) {
        if self.buf.is_empty() && !self.discarding {
            if tail.len() > MAX_LINE_LEN {
                self.state.reject(
                    DecodeError::LineTooLong {
                        len: tail.len(),
                        max: MAX_LINE_LEN,
                    },
                    sink,
                );
            } else {
                self.state.decode_line(tail, sink);
            }
            return;
        }
        self.append(tail);
        if self.discarding {
            let len = self.discarded_len;
            self.discarding = false;
            self.discarded_len = 0;
            self.state.reject(
                DecodeError::LineTooLong {
                    len,
                    max: MAX_LINE_LEN,
                },
                sink,
            );
        } else {
            self.state.decode_line(&self.buf, sink);
        }
        self.buf.clear();
    }
}

impl State {
    fn period_us(&self) -> f64 {
        1e6 / self.device_rate_hz.unwrap_or(self.settings.nominal_rate_hz)
    }

    /// Counts a rejected line and reports it.
    fn reject<F: FnMut(Result<Frame, DecodeError>)>(&mut self, error: DecodeError, sink: &mut F) {
        let stats = &mut self.stats;
        match error {
            DecodeError::ChecksumMismatch { .. } => bump(&mut stats.checksum_failures),
            DecodeError::LineTooLong { .. } => bump(&mut stats.overlong_lines),
            _ => bump(&mut stats.malformed_lines),
        }
        self.report(error, sink);
    }

    fn report<F: FnMut(Result<Frame, DecodeError>)>(&mut self, error: DecodeError, sink: &mut F) {
        self.last_error = Some(error);
        sink(Err(error));
    }

    /// Decodes one complete line or `$` record (terminator already removed).
    fn decode_line<F: FnMut(Result<Frame, DecodeError>)>(&mut self, line: &[u8], sink: &mut F) {
        let line = line.trim_ascii();
        if line.is_empty() {
            return;
        }
        let record = match line.strip_prefix(b"$") {
            Some(body) => parse_sw1(body),
            None if self.settings.accept_legacy => parse_legacy(line, &self.settings),
            None => Ok(Record::Ignored),
        };
        match record {
            Err(error) => self.reject(error, sink),
            Ok(Record::Ignored) => bump(&mut self.stats.ignored_lines),
            Ok(Record::Other(frame)) => {
                match &frame {
                    Frame::Identity(id) => self.device_rate_hz = Some(f64::from(id.rate_hz)),
                    Frame::Ack(Command::SetRate { rate_hz }) => {
                        self.device_rate_hz = Some(f64::from(*rate_hz));
                    }
                    _ => {}
                }
                bump(&mut self.stats.frames_ok);
                sink(Ok(frame));
            }
            Ok(Record::Sample {
                seq,
                stamp,
                accel_g,
                gyro_dps,
                format,
            }) => {
                let gap = self.track_sequence(seq, sink);
                let device_time_us = stamp.map(|stamp| {
                    let period = self.period_us();
                    let (time, jump) = self.clock.advance(stamp, gap, period);
                    if let Some(jump) = jump {
                        bump(&mut self.stats.time_jumps);
                        self.report(jump, sink);
                    }
                    time
                });
                bump(&mut self.stats.frames_ok);
                sink(Ok(Frame::Sample(SampleFrame {
                    seq,
                    device_time_us,
                    accel_g,
                    gyro_dps,
                    format,
                })));
            }
        }
    }

    /// Updates sequence tracking; returns the sample periods elapsed (`None` after a reset).
    fn track_sequence<F: FnMut(Result<Frame, DecodeError>)>(
        &mut self,
        seq: Option<u32>,
        sink: &mut F,
    ) -> Option<u64> {
        let Some(seq) = seq else {
            return Some(1);
        };
        let previous = self.last_seq.replace(seq);
        let Some(previous) = previous else {
            return Some(1);
        };
        let step = seq.wrapping_sub(previous);
        if step == 1 {
            Some(1)
        } else if step == 0 || step >= 1 << 31 {
            bump(&mut self.stats.sequence_resets);
            self.report(
                DecodeError::SequenceReset {
                    previous,
                    found: seq,
                },
                sink,
            );
            None
        } else {
            let dropped = step - 1;
            bump(&mut self.stats.sequence_gaps);
            self.stats.samples_dropped = self
                .stats
                .samples_dropped
                .saturating_add(u64::from(dropped));
            self.report(
                DecodeError::SequenceGap {
                    expected: previous.wrapping_add(1),
                    found: seq,
                    dropped,
                },
                sink,
            );
            Some(u64::from(step))
        }
    }
}

/// Parses a `$SW1` record; `body` is everything after `$`.
fn parse_sw1(body: &[u8]) -> Result<Record, DecodeError> {
    let Some(after_tag) = body.strip_prefix(LINE_TAG) else {
        return Err(DecodeError::UnsupportedVersion);
    };
    if after_tag.first() != Some(&b',') {
        return Err(DecodeError::UnsupportedVersion);
    }
    let star = body
        .iter()
        .position(|&b| b == b'*')
        .ok_or(DecodeError::MissingChecksum)?;
    let (content, checksum) = body.split_at(star);
    let found = match checksum {
        [b'*', a, b, c, d] => parse_hex4([*a, *b, *c, *d]).ok_or(DecodeError::BadChecksumField)?,
        _ => return Err(DecodeError::BadChecksumField),
    };
    let expected = crc16(content);
    if expected != found {
        return Err(DecodeError::ChecksumMismatch { expected, found });
    }
    // content = "SW1," + type + ("," + args)?
    let rest = content.get(LINE_TAG.len() + 1..).unwrap_or_default();
    let (kind, args) = match rest.iter().position(|&b| b == b',') {
        Some(comma) => (
            rest.get(..comma).unwrap_or_default(),
            rest.get(comma + 1..).unwrap_or_default(),
        ),
        None => (rest, &[][..]),
    };
    match kind {
        b"S" => parse_sample(args),
        b"I" => parse_identity(args).map(|id| Record::Other(Frame::Identity(id))),
        b"C" => parse_command(args).map(|c| Record::Other(Frame::Command(c))),
        b"A" => parse_command(args).map(|c| Record::Other(Frame::Ack(c))),
        b"N" => parse_nak(args).map(|n| Record::Other(Frame::Nak(n))),
        // A valid line of a record type added after version 1: skip it, don't call it an error.
        _ => Ok(Record::Ignored),
    }
}

fn parse_hex4(digits: [u8; 4]) -> Option<u16> {
    digits.iter().try_fold(0u16, |acc, &b| {
        let v = match b {
            b'0'..=b'9' => b - b'0',
            b'A'..=b'F' => b - b'A' + 10,
            b'a'..=b'f' => b - b'a' + 10,
            _ => return None,
        };
        Some((acc << 4) | u16::from(v))
    })
}

/// Splits `args` on commas into exactly `N` fields.
fn split_fields<'a, const N: usize>(
    args: &'a [u8],
    record: &'static str,
) -> Result<[&'a [u8]; N], DecodeError> {
    let mut fields: [&[u8]; N] = [&[]; N];
    let mut count = 0usize;
    for field in args.split(|&b| b == b',') {
        if let Some(slot) = fields.get_mut(count) {
            *slot = field;
        }
        count = count.saturating_add(1);
    }
    if count == N {
        Ok(fields)
    } else {
        Err(DecodeError::FieldCount {
            record,
            expected: N,
            found: count,
        })
    }
}

const ACCEL_FIELDS: [&str; 3] = ["ax", "ay", "az"];
const GYRO_FIELDS: [&str; 3] = ["gx", "gy", "gz"];

fn number(field: &'static str, bytes: &[u8], limit: f64) -> Result<f64, DecodeError> {
    let v = parse_f64(bytes).ok_or(DecodeError::BadNumber { field })?;
    if v.abs() > limit {
        return Err(DecodeError::OutOfRange { field });
    }
    Ok(v)
}

fn vector(
    fields: [&'static str; 3],
    values: [&[u8]; 3],
    limit: f64,
) -> Result<[f64; 3], DecodeError> {
    let [a, b, c] = values;
    let [fa, fb, fc] = fields;
    Ok([
        number(fa, a, limit)?,
        number(fb, b, limit)?,
        number(fc, c, limit)?,
    ])
}

fn parse_sample(args: &[u8]) -> Result<Record, DecodeError> {
    let [seq, t_us, ax, ay, az, gx, gy, gz] = split_fields::<8>(args, "sample")?;
    let seq = parse_u32(seq).ok_or(DecodeError::BadNumber { field: "seq" })?;
    let t_us = parse_u32(t_us).ok_or(DecodeError::BadNumber { field: "t_us" })?;
    Ok(Record::Sample {
        seq: Some(seq),
        stamp: Some(Stamp::Wrapping32(t_us)),
        accel_g: vector(ACCEL_FIELDS, [ax, ay, az], ACCEL_LIMIT_G)?,
        gyro_dps: vector(GYRO_FIELDS, [gx, gy, gz], GYRO_LIMIT_DPS)?,
        format: LineFormat::Sw1,
    })
}

fn bounded_u32(field: &'static str, bytes: &[u8], min: u32, max: u32) -> Result<u32, DecodeError> {
    let v = parse_u32(bytes).ok_or(DecodeError::BadNumber { field })?;
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(DecodeError::OutOfRange { field })
    }
}

/// A bounded u32 narrowed to `T`; `max` must fit in `T`, so the conversion cannot fail.
fn bounded<T: TryFrom<u32>>(
    field: &'static str,
    bytes: &[u8],
    min: u32,
    max: u32,
) -> Result<T, DecodeError> {
    T::try_from(bounded_u32(field, bytes, min, max)?).map_err(|_| DecodeError::OutOfRange { field })
}

fn token<'a>(field: &'static str, bytes: &'a [u8]) -> Result<&'a [u8], DecodeError> {
    if bytes.is_empty()
        || bytes.len() > IDENTITY_TOKEN_MAX
        || !bytes.iter().all(|&b| is_token_byte(b))
    {
        Err(DecodeError::BadToken { field })
    } else {
        Ok(bytes)
    }
}

fn parse_identity(args: &[u8]) -> Result<DeviceIdentity, DecodeError> {
    let mut firmware = None;
    let mut model = None;
    let mut acc_range_g = None;
    let mut gyro_range_dps = None;
    let mut rate_hz = None;
    let mut battery_pct = None;
    for field in args.split(|&b| b == b',') {
        let eq = field
            .iter()
            .position(|&b| b == b'=')
            .ok_or(DecodeError::BadToken { field: "identity" })?;
        let key = field.get(..eq).unwrap_or_default();
        let value = field.get(eq + 1..).unwrap_or_default();
        match key {
            b"fw" => firmware = Some(token("fw", value)?),
            b"model" => model = Some(token("model", value)?),
            b"acc_range_g" => {
                acc_range_g = Some(bounded("acc_range_g", value, 1, ACCEL_LIMIT_G as u32)?);
            }
            b"gyro_range_dps" => {
                gyro_range_dps = Some(bounded("gyro_range_dps", value, 1, GYRO_LIMIT_DPS as u32)?);
            }
            b"rate_hz" => {
                rate_hz = Some(bounded(
                    "rate_hz",
                    value,
                    u32::from(RATE_HZ_MIN),
                    u32::from(RATE_HZ_MAX),
                )?);
            }
            b"battery_pct" => battery_pct = Some(bounded("battery_pct", value, 0, 100)?),
            // Keys added by later firmware are skipped, so new optional fields don't break hosts.
            _ => {}
        }
    }
    let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
    Ok(DeviceIdentity {
        protocol_version: PROTOCOL_VERSION,
        firmware: text(firmware.ok_or(DecodeError::MissingField { field: "fw" })?),
        model: text(model.ok_or(DecodeError::MissingField { field: "model" })?),
        acc_range_g: acc_range_g.ok_or(DecodeError::MissingField {
            field: "acc_range_g",
        })?,
        gyro_range_dps: gyro_range_dps.ok_or(DecodeError::MissingField {
            field: "gyro_range_dps",
        })?,
        rate_hz: rate_hz.ok_or(DecodeError::MissingField { field: "rate_hz" })?,
        battery_pct,
    })
}

fn parse_command(args: &[u8]) -> Result<Command, DecodeError> {
    let name = args.split(|&b| b == b',').next().unwrap_or_default();
    match name {
        b"ID" => {
            split_fields::<1>(args, "ID command")?;
            Ok(Command::Identify)
        }
        b"RATE" => {
            let [_, hz] = split_fields::<2>(args, "RATE command")?;
            Ok(Command::SetRate {
                rate_hz: bounded(
                    "rate_hz",
                    hz,
                    u32::from(RATE_HZ_MIN),
                    u32::from(RATE_HZ_MAX),
                )?,
            })
        }
        b"VIB" => {
            let [_, ms, pct] = split_fields::<3>(args, "VIB command")?;
            Ok(Command::Vibrate {
                duration_ms: bounded("duration_ms", ms, 0, u32::from(VIB_DURATION_MAX_MS))?,
                strength_pct: bounded("strength_pct", pct, 0, u32::from(VIB_STRENGTH_MAX_PCT))?,
            })
        }
        _ => Err(DecodeError::UnknownCommand),
    }
}

fn parse_nak(args: &[u8]) -> Result<Nak, DecodeError> {
    let [command, reason] = split_fields::<2>(args, "nak")?;
    Ok(Nak {
        command: CommandName::from_token(token("nak command", command)?),
        reason: NakReason::from_token(token("nak reason", reason)?),
    })
}

/// Parses the legacy formats: `a/g:` raw lines and plain 6/7-number lines. Other text is ignored.
fn parse_legacy(line: &[u8], settings: &DecoderSettings) -> Result<Record, DecodeError> {
    if !line
        .iter()
        .all(|&b| b == b'\t' || (0x20..=0x7E).contains(&b))
    {
        return Err(DecodeError::BadToken { field: "line" });
    }
    let is_blank = |b: &u8| *b == b' ' || *b == b'\t';
    if let Some(rest) = line.strip_prefix(b"a/g:") {
        let mut raw = [0.0f64; 6];
        let mut count = 0usize;
        for field in rest.split(is_blank).filter(|f| !f.is_empty()) {
            let v = number("raw count", field, RAW_COUNT_LIMIT)?;
            if let Some(slot) = raw.get_mut(count) {
                *slot = v;
            }
            count = count.saturating_add(1);
        }
        if count != 6 {
            return Err(DecodeError::FieldCount {
                record: "a/g line",
                expected: 6,
                found: count,
            });
        }
        let [ax, ay, az, gx, gy, gz] = raw;
        let a = settings.raw_accel_counts_per_g;
        let g = settings.raw_gyro_counts_per_dps;
        let accel_g = [ax / a, ay / a, az / a];
        let gyro_dps = [gx / g, gy / g, gz / g];
        check_limits(&accel_g, &gyro_dps)?;
        return Ok(Record::Sample {
            seq: None,
            stamp: None,
            accel_g,
            gyro_dps,
            format: LineFormat::MpuRaw,
        });
    }

    if let [.., b'*', a, b, c, d] = line
        && parse_hex4([*a, *b, *c, *d]).is_some()
    {
        return Err(DecodeError::MissingStart);
    }
    let starts_numeric = line
        .first()
        .is_some_and(|&b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b','));
    if !starts_numeric {
        return Ok(Record::Ignored);
    }

    let mut values = [0.0f64; 7];
    let mut count = 0usize;
    let mut store = |v: f64| {
        if let Some(slot) = values.get_mut(count) {
            *slot = v;
        }
        count = count.saturating_add(1);
    };
    if line.contains(&b',') {
        let mut fields = line
            .split(|&b| b == b',')
            .map(<[u8]>::trim_ascii)
            .peekable();
        while let Some(field) = fields.next() {
            if field.is_empty() && fields.peek().is_none() {
                break; // one trailing comma, as some sketches print
            }
            store(parse_f64(field).ok_or(DecodeError::BadNumber {
                field: "plain value",
            })?);
        }
    } else {
        for field in line.split(is_blank).filter(|f| !f.is_empty()) {
            store(parse_f64(field).ok_or(DecodeError::BadNumber {
                field: "plain value",
            })?);
        }
    }

    let (format, stamp, [ax, ay, az, gx, gy, gz]) = match (count, values) {
        (6, [ax, ay, az, gx, gy, gz, _]) => (LineFormat::Plain, None, [ax, ay, az, gx, gy, gz]),
        (7, [t, ax, ay, az, gx, gy, gz]) => {
            if !(0.0..=PLAIN_TIME_MAX_S).contains(&t) {
                return Err(DecodeError::OutOfRange { field: "t_s" });
            }
            // t <= 1e9 s, so t * 1e6 < 2^63 and the cast is exact enough and cannot saturate.
            let us = (t * 1e6).round() as i64;
            (
                LineFormat::PlainTimed,
                Some(Stamp::Plain(us)),
                [ax, ay, az, gx, gy, gz],
            )
        }
        _ => {
            return Err(DecodeError::FieldCount {
                record: "plain line",
                expected: 6,
                found: count,
            });
        }
    };
    let accel_g = [ax, ay, az];
    let gyro_dps = [gx, gy, gz];
    check_limits(&accel_g, &gyro_dps)?;
    Ok(Record::Sample {
        seq: None,
        stamp,
        accel_g,
        gyro_dps,
        format,
    })
}

fn check_limits(accel_g: &[f64; 3], gyro_dps: &[f64; 3]) -> Result<(), DecodeError> {
    for (v, field) in accel_g.iter().zip(ACCEL_FIELDS) {
        if v.abs() > ACCEL_LIMIT_G {
            return Err(DecodeError::OutOfRange { field });
        }
    }
    for (v, field) in gyro_dps.iter().zip(GYRO_FIELDS) {
        if v.abs() > GYRO_LIMIT_DPS {
            return Err(DecodeError::OutOfRange { field });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{encode_ack, encode_command, encode_identity, encode_nak, encode_sample};
    use proptest::prelude::*;

    fn sample(seq: u32, t_us: u64, accel_g: [f64; 3], gyro_dps: [f64; 3]) -> SampleFrame {
        SampleFrame {
            seq: Some(seq),
            device_time_us: Some(t_us),
            accel_g,
            gyro_dps,
            format: LineFormat::Sw1,
        }
    }

    fn line(frame: &SampleFrame) -> Vec<u8> {
        let mut out = Vec::new();
        encode_sample(frame, &mut out);
        out
    }

    /// Decodes `bytes` split into the given chunk sizes (cycled); returns frames and stats.
    fn decode_chunked(bytes: &[u8], chunks: &[usize]) -> (Vec<Frame>, DecoderStats) {
        let mut decoder = Decoder::new(DecoderSettings::default());
        let mut frames = Vec::new();
        let mut rest = bytes;
        let mut i = 0;
        while !rest.is_empty() {
            let n = chunks
                .get(i % chunks.len().max(1))
                .copied()
                .unwrap_or(1)
                .clamp(1, rest.len());
            let (head, tail) = rest.split_at(n);
            decoder.push(head, &mut |f| frames.push(f));
            rest = tail;
            i += 1;
        }
        decoder.flush(&mut |f| frames.push(f));
        (frames, decoder.stats())
    }

    fn decode(bytes: &[u8]) -> (Vec<Frame>, DecoderStats) {
        decode_chunked(bytes, &[usize::MAX])
    }

    fn samples(frames: &[Frame]) -> Vec<SampleFrame> {
        frames
            .iter()
            .filter_map(|f| match f {
                Frame::Sample(s) => Some(*s),
                _ => None,
            })
            .collect()
    }

    fn stream(n: u32) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..n {
            let f = sample(
                i,
                1_000 + u64::from(i) * 10_000,
                [0.01, -0.99, 0.05],
                [1.25, -0.5, 0.03],
            );
            encode_sample(&f, &mut out);
        }
        out
    }

    #[test]
    fn empty_input_yields_nothing() {
        let (frames, stats) = decode(b"");
        assert!(frames.is_empty());
        assert_eq!(stats, DecoderStats::default());
        let mut d = Decoder::new(DecoderSettings::default());
        d.push(&[], &mut |_| panic!("no frame expected"));
        d.flush(&mut |_| panic!("no frame expected"));
        assert_eq!(d.pending_len(), 0);
    }

    #[test]
    fn byte_by_byte_equals_all_at_once() {
        let bytes = stream(50);
        let whole = decode(&bytes);
        let bytewise = decode_chunked(&bytes, &[1]);
        let odd = decode_chunked(&bytes, &[3, 7, 1, 64, 13]);
        assert_eq!(whole.0.len(), 50);
        assert_eq!(whole, bytewise);
        assert_eq!(whole, odd);
        assert_eq!(whole.1.frames_ok, 50);
        assert_eq!(whole.1.bytes, bytes.len() as u64);
    }

    #[test]
    fn corrupted_byte_costs_one_line() {
        let mut bytes = stream(10);
        // Change a digit in the 5th line's accel field without touching its CRC.
        let fifth = bytes
            .split(|&b| b == b'\n')
            .take(4)
            .map(|l| l.len() + 1)
            .sum::<usize>();
        let pos = fifth + 12;
        if let Some(b) = bytes.get_mut(pos) {
            *b = if *b == b'1' { b'2' } else { b'1' };
        }
        let (frames, stats) = decode(&bytes);
        assert_eq!(frames.len(), 9);
        assert_eq!(stats.checksum_failures, 1);
        assert_eq!(stats.sequence_gaps, 1);
        assert_eq!(stats.samples_dropped, 1);
        assert_eq!(stats.time_jumps, 0);
    }

    #[test]
    fn resyncs_after_garbage_partial_and_overlong_lines() {
        let mut bytes = b"\xff\xfe garbage\x00\r\n,0.0121,-0.99*1234\r\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', 1000));
        bytes.extend_from_slice(b"\n");
        bytes.extend(stream(3));
        // A line whose newline was lost runs into the next `$`: both still decode.
        let mut merged = line(&sample(3, 31_000, [0.0; 3], [0.0; 3]));
        merged.truncate(merged.len() - 2);
        bytes.extend(merged);
        bytes.extend(line(&sample(4, 41_000, [0.0; 3], [0.0; 3])));
        for chunks in [&[usize::MAX][..], &[1], &[5, 300, 2]] {
            let (frames, stats) = decode_chunked(&bytes, chunks);
            assert_eq!(samples(&frames).len(), 5, "{chunks:?}");
            assert_eq!(stats.overlong_lines, 1);
            assert_eq!(stats.malformed_lines, 2); // binary garbage, partial line
            assert_eq!(stats.sequence_gaps, 0);
        }
    }

    #[test]
    fn overlong_line_of_exact_limit_is_kept() {
        let mut bytes = vec![b' '; MAX_LINE_LEN - 8];
        bytes.extend_from_slice(b"1 2 3 4 5 6\n".get(..).unwrap_or_default());
        let (frames, stats) = decode(&bytes);
        assert_eq!(stats.overlong_lines, 1);
        assert!(frames.is_empty());
        let mut bytes = vec![b' '; MAX_LINE_LEN - 11];
        bytes.extend_from_slice(b"1 2 3 4 5 6\n");
        assert_eq!(decode_chunked(&bytes, &[1]).0.len(), 1);
    }

    #[test]
    fn rollover_is_unwrapped() {
        let mut bytes = Vec::new();
        for (seq, t) in [
            (1u32, 4_294_957_000u64),
            (2, 4_294_967_000),
            (3, 4_294_977_000),
        ] {
            bytes.extend(line(&sample(seq, t, [0.0; 3], [0.0; 3])));
        }
        let (frames, stats) = decode(&bytes);
        let times: Vec<_> = samples(&frames).iter().map(|s| s.device_time_us).collect();
        assert_eq!(
            times,
            [
                Some(4_294_957_000),
                Some(4_294_967_000),
                Some(4_294_977_000)
            ]
        );
        assert_eq!(stats.time_jumps, 0);
    }

    #[test]
    fn time_jumps_and_sequence_resets() {
        let mut bytes = Vec::new();
        for (seq, t) in [
            (10u32, 5_000_000u64),
            (11, 1_000),     // backwards: jump, re-anchored to 5_010_000
            (12, 11_000),    // normal step from the new raw value
            (13, 5_000_000), // forward by ~5 s with gap 1: jump, kept
            (0, 200),        // device reset: sequence reset, time re-anchored
            (1, 10_200),
        ] {
            bytes.extend(line(&sample(seq, t, [0.0; 3], [0.0; 3])));
        }
        let (frames, stats) = decode(&bytes);
        let times: Vec<_> = samples(&frames)
            .iter()
            .filter_map(|s| s.device_time_us)
            .collect();
        assert_eq!(
            times,
            [
                5_000_000, 5_010_000, 5_020_000, 10_009_000, 10_019_000, 10_029_000
            ]
        );
        assert_eq!(stats.time_jumps, 2);
        assert_eq!(stats.sequence_resets, 1);
        assert_eq!(stats.sequence_gaps, 0);
    }

    #[test]
    fn long_gap_is_not_a_time_jump() {
        let mut bytes = line(&sample(u32::MAX - 1, 0, [0.0; 3], [0.0; 3]));
        // 1000 samples lost across the sequence wrap; time moved accordingly.
        bytes.extend(line(&sample(999, 10_010_000, [0.0; 3], [0.0; 3])));
        let (frames, stats) = decode(&bytes);
        assert_eq!(samples(&frames).len(), 2);
        assert_eq!(stats.sequence_gaps, 1);
        assert_eq!(stats.samples_dropped, 1000);
        assert_eq!(stats.time_jumps, 0);
    }

    #[test]
    fn identity_rate_sets_the_period() {
        let mut bytes = Vec::new();
        let id = DeviceIdentity {
            protocol_version: 1,
            firmware: "t".into(),
            model: "MPU6050".into(),
            acc_range_g: 4,
            gyro_range_dps: 500,
            rate_hz: 10,
            battery_pct: None,
        };
        encode_identity(&id, &mut bytes);
        // 10 Hz: a 250 ms step with gap 1 is within 2 × 100 ms + 100 ms.
        bytes.extend(line(&sample(1, 0, [0.0; 3], [0.0; 3])));
        bytes.extend(line(&sample(2, 250_000, [0.0; 3], [0.0; 3])));
        let (frames, stats) = decode(&bytes);
        assert_eq!(frames.len(), 3);
        assert_eq!(stats.time_jumps, 0);
        assert_eq!(frames.first(), Some(&Frame::Identity(id)));
    }

    #[test]
    fn commands_acks_and_naks_round_trip() {
        let commands = [
            Command::Identify,
            Command::SetRate { rate_hz: 50 },
            Command::Vibrate {
                duration_ms: 300,
                strength_pct: 80,
            },
        ];
        let nak = Nak {
            command: CommandName::Rate,
            reason: NakReason::Range,
        };
        let mut bytes = Vec::new();
        for c in &commands {
            encode_command(c, &mut bytes);
            encode_ack(c, &mut bytes);
        }
        encode_nak(&nak, &mut bytes);
        let (frames, stats) = decode(&bytes);
        let expected: Vec<Frame> = commands
            .iter()
            .flat_map(|c| [Frame::Command(*c), Frame::Ack(*c)])
            .chain([Frame::Nak(nak)])
            .collect();
        assert_eq!(frames, expected);
        assert_eq!(stats.frames_ok, 7);
    }

    #[test]
    fn legacy_formats() {
        let text = b"Initializing I2C devices...\r\n\
            0.01,-0.99,0.05,1.2,-0.5,0.0\r\n\
            0.01\t-0.99\t0.05\t1.2\t-0.5\t0.0\r\n\
            0.01  -0.99 0.05 1.2 -0.5 0.0 \r\n\
            0.01, -0.99, 0.05, 1.2, -0.5, 0.0,\r\n\
            12.5,0.01,-0.99,0.05,1.2,-0.5,0.0\r\n\
            a/g:\t-1202\t356\t16290\t-131\t262\t13\r\n\
            1,2,3\r\n\
            1,,2,3,4,5\r\n";
        let (frames, stats) = decode(text);
        let s = samples(&frames);
        assert_eq!(s.len(), 6);
        assert_eq!(stats.ignored_lines, 1);
        assert_eq!(stats.malformed_lines, 2);
        for plain in s.iter().take(4) {
            assert_eq!(plain.format, LineFormat::Plain);
            assert_eq!(plain.device_time_us, None);
            assert_eq!(plain.accel_g, [0.01, -0.99, 0.05]);
            assert_eq!(plain.gyro_dps, [1.2, -0.5, 0.0]);
        }
        let timed = s.get(4).copied();
        assert_eq!(timed.map(|t| t.format), Some(LineFormat::PlainTimed));
        assert_eq!(timed.and_then(|t| t.device_time_us), Some(12_500_000));
        let raw = s.get(5).copied();
        assert_eq!(raw.map(|r| r.format), Some(LineFormat::MpuRaw));
        assert_eq!(raw.map(|r| r.accel_g[2]), Some(16290.0 / 16384.0));
        assert_eq!(raw.map(|r| r.gyro_dps[0]), Some(-1.0));
    }

    #[test]
    fn legacy_can_be_disabled() {
        let settings = DecoderSettings {
            accept_legacy: false,
            ..DecoderSettings::default()
        };
        let mut d = Decoder::new(settings);
        let mut n = 0;
        d.push(b"0.01,-0.99,0.05,1.2,-0.5,0.0\n", &mut |_| n += 1);
        assert_eq!(n, 0);
        assert_eq!(d.stats().ignored_lines, 1);
    }

    #[test]
    fn errors_are_reported_with_fields() {
        let mut d = Decoder::new(DecoderSettings::default());
        let mut events = Vec::new();
        d.push_events(b"$SW1,C,ID*0000\n$SW2,C,ID*0000\n$SW1,C,ID\n", &mut |e| {
            events.push(e)
        });
        let expected_crc = crc16(b"SW1,C,ID");
        assert_eq!(
            events,
            [
                Err(DecodeError::ChecksumMismatch {
                    expected: expected_crc,
                    found: 0
                }),
                Err(DecodeError::UnsupportedVersion),
                Err(DecodeError::MissingChecksum),
            ]
        );
        assert_eq!(d.last_error(), Some(DecodeError::MissingChecksum));
        assert_eq!(d.take_last_error(), Some(DecodeError::MissingChecksum));
        assert_eq!(d.last_error(), None);
    }

    #[test]
    fn unknown_record_types_are_ignored_not_errors() {
        let content = b"SW1,T,36.5";
        let mut bytes = b"$".to_vec();
        bytes.extend_from_slice(content);
        bytes.push(b'*');
        crate::protocol::encode::write_hex4(&mut bytes, crc16(content));
        bytes.extend_from_slice(b"\r\n");
        let (frames, stats) = decode(&bytes);
        assert!(frames.is_empty());
        assert_eq!(stats.ignored_lines, 1);
        assert_eq!(stats.malformed_lines, 0);
    }

    #[test]
    fn bad_settings_fall_back_to_defaults() {
        let d = Decoder::new(DecoderSettings {
            nominal_rate_hz: 0.0,
            raw_accel_counts_per_g: f64::NAN,
            raw_gyro_counts_per_dps: -1.0,
            accept_legacy: true,
        });
        assert_eq!(d.settings(), DecoderSettings::default());
    }

    #[test]
    fn to_imu_sample_keeps_units() {
        let f = sample(1, 2_500_000, [0.1, 0.2, 0.3], [1.0, 2.0, 3.0]);
        assert_eq!(f.device_time_s(), Some(2.5));
        let s = f.to_imu_sample(7.0);
        assert_eq!(s.t_s, 7.0);
        assert_eq!(s.accel_g.z, 0.3);
        assert_eq!(s.gyro_dps.y, 2.0);
    }

    fn finite(limit: f64) -> impl Strategy<Value = f64> {
        -limit..=limit
    }

    proptest! {
        #[test]
        fn encoded_frames_decode_within_resolution(
            start_seq in any::<u32>(),
            start_t in any::<u32>(),
            steps in proptest::collection::vec((1u32..4, 0u32..30_000), 1..40),
            values in proptest::collection::vec((proptest::array::uniform3(finite(64.0)), proptest::array::uniform3(finite(8000.0))), 40),
            chunks in proptest::collection::vec(1usize..200, 1..8),
        ) {
            let mut bytes = Vec::new();
            let mut expected = Vec::new();
            let (mut seq, mut t) = (start_seq, u64::from(start_t));
            for (i, (dseq, dt)) in steps.iter().enumerate() {
                let (accel, gyro) = values.get(i).copied().unwrap_or_default();
                let f = sample(seq, t, accel, gyro);
                encode_sample(&f, &mut bytes);
                expected.push(f);
                seq = seq.wrapping_add(*dseq);
                t += u64::from(*dt) * u64::from(*dseq);
            }
            let (frames, stats) = decode_chunked(&bytes, &chunks);
            let got = samples(&frames);
            prop_assert_eq!(got.len(), expected.len());
            prop_assert_eq!(stats.time_jumps, 0);
            prop_assert_eq!(stats.sequence_resets, 0);
            for (g, e) in got.iter().zip(&expected) {
                prop_assert_eq!(g.seq, e.seq);
                prop_assert_eq!(g.device_time_us, e.device_time_us);
                prop_assert_eq!(g.format, LineFormat::Sw1);
                for (a, b) in g.accel_g.iter().zip(e.accel_g) {
                    prop_assert!((a - b).abs() <= 0.5e-4 + 1e-12, "{} vs {}", a, b);
                }
                for (a, b) in g.gyro_dps.iter().zip(e.gyro_dps) {
                    prop_assert!((a - b).abs() <= 0.5e-2 + 1e-9, "{} vs {}", a, b);
                }
            }
        }

        #[test]
        fn identities_round_trip(
            fw in "[!-~]{1,32}",
            model in "[A-Za-z0-9_.-]{1,32}",
            acc in 1u16..=64,
            gyro in 1u16..=8000,
            rate in 1u16..=1000,
            battery in proptest::option::of(0u8..=100),
        ) {
            let id = DeviceIdentity {
                protocol_version: 1,
                firmware: fw.replace([',', '*', '$', '='], "_"),
                model,
                acc_range_g: acc,
                gyro_range_dps: gyro,
                rate_hz: rate,
                battery_pct: battery,
            };
            let mut bytes = Vec::new();
            encode_identity(&id, &mut bytes);
            let (frames, _) = decode_chunked(&bytes, &[1]);
            prop_assert_eq!(frames, vec![Frame::Identity(id)]);
        }
    }
}
