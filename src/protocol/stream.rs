//! The stream: sequence tracking, device-time unwrapping and statistics across records.
//!
//! [`Decoder`] ties the pipeline together: [`framing`](super::framing) cuts bytes into
//! records, [`sw1`](super::sw1) and [`plain`](super::plain) parse each into a
//! [`Record`], and the stream state here turns a sample record into a [`SampleFrame`]:
//!
//! * the sequence number (`$SW1` only) is checked against the previous one; a forward skip is
//!   a gap (that many samples lost), a repeat or a backward step a device reset;
//! * the device time is unwrapped past the 32-bit µs rollover into a monotonic `u64` µs count,
//!   and a step that is backwards or longer than `2 × gap × period + TIME_JUMP_SLACK_US` is a
//!   time jump (see "Device time" in `firmware-protocol.md`). The period comes from the rate
//!   the device stated (identity line or `RATE` ack), else from the settings (default 100 Hz).
//!
//! Why here and not in the parsers: these rules depend on the lines before, and a reconnect
//! ([`Decoder::reset_stream`]) must forget them while keeping the statistics. Nothing is
//! allocated per sample line, so decoding runs at hundreds of MB/s — far above any serial link.

use super::error::DecodeError;
use super::frame::{Command, Frame, LineFormat, SampleFrame};
use super::framing::Framer;
use super::infer::{Reading, Recogniser, UNITS_WINDOW, Verdict};
use super::record::{Layout, PlainSample, Record, Stamp, check_limits};
use super::units::{Units, UnitsStatus};
use super::{PLAIN_TIME_MAX_S, RATE_HZ_MAX, TIME_JUMP_SLACK_US, foreign, plain, sw1};

/// How the decoder interprets what the line itself does not say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecoderSettings {
    /// Sample rate in Hz assumed until the device states one (identity line or `RATE` ack).
    /// Only used to judge device-time jumps and to re-anchor time after one. Default 100 Hz.
    pub nominal_rate_hz: f64,
    /// Units of plain lines: recognised from the data ([`Units::Auto`], the default) or forced.
    /// `$SW1` records are always g and deg/s.
    pub units: Units,
    /// Accept the legacy formats (plain six/seven numbers, `a/g:` raw lines). Default `true`;
    /// with `false` every non-`$` line is ignored.
    pub accept_legacy: bool,
}

impl Default for DecoderSettings {
    fn default() -> Self {
        Self {
            nominal_rate_hz: 100.0,
            units: Units::Auto,
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
            units: self.units,
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
    /// Lines longer than [`MAX_LINE_LEN`](super::MAX_LINE_LEN) bytes (dropped), counted as soon
    /// as they pass it: a stream that never ends a line (a wrong baud rate) shows at once.
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
    /// Sample lines read: `$SW1` samples past their checksum and plain sample lines, whether
    /// delivered at once, held while their units are recognised, or dropped after. A source
    /// measures the line rate from it.
    pub sample_lines: u64,
    /// Plain samples dropped because their units could not be recognised.
    pub units_unrecognised: u64,
    /// `$` lines of another device's protocol: NMEA 0183 sentences with a valid XOR checksum
    /// (a GPS on the port). Also counted in `malformed_lines`; a source tells "wrong device"
    /// from "wrong baud rate" by it.
    pub foreign_lines: u64,
}

impl DecoderStats {
    /// Lines refused in any way: malformed, overlong, or failing their checksum.
    pub fn refused_lines(&self) -> u64 {
        self.malformed_lines
            .saturating_add(self.overlong_lines)
            .saturating_add(self.checksum_failures)
    }
}

/// Whether lines refused with no frame among them are another device's protocol rather than
/// noise (a wrong baud rate): NMEA sentences (`foreign`) are at least half of the `refused`
/// lines. The one rule for the serial source's status and the port probe.
pub fn is_other_protocol(refused: u64, foreign: u64) -> bool {
    foreign > 0 && foreign.saturating_mul(2) >= refused
}

/// Streaming decoder of the spinewatch line protocol (and the accepted legacy formats).
///
/// Feed it bytes in chunks of any size with [`push`](Self::push); each complete line yields at
/// most one [`Frame`]. Bad lines are counted in [`stats`](Self::stats) and never stop decoding.
#[derive(Debug, Clone)]
pub struct Decoder {
    framer: Framer,
    state: State,
}

/// Everything the decoder knows about the stream beyond the current line.
#[derive(Debug, Clone)]
struct State {
    settings: DecoderSettings,
    stats: DecoderStats,
    last_error: Option<DecodeError>,
    last_seq: Option<u32>,
    /// Sample rate stated by the device (identity or `RATE` ack), in Hz.
    device_rate_hz: Option<f64>,
    /// The device has sent a checksum-valid `$SW1` record: from then on its plain sample lines
    /// are line noise (see [`DecodeError::UncheckedLine`]).
    speaks_sw1: bool,
    clock: Clock,
    /// Column map of the last header line.
    layout: Option<Layout>,
    /// The units stage of plain lines.
    units: Recogniser,
    /// Held samples being delivered or dropped (allocated once, reused).
    released: Vec<PlainSample>,
}

/// Unwraps device time into a monotonic `u64` µs count, and judges each step against the
/// sequence (see "Device time" in `firmware-protocol.md`).
///
/// Why an anchor and a suspect rather than just the previous stamp: the sequence numbers say
/// how much time may have passed, so a stamp they contradict is either a lone glitch (a
/// corrupted-but-CRC-valid or misread clock: the next samples agree with the stamps before it)
/// or a clock that really moved (the next samples agree with it). Neither may shift the rest of
/// the session, so a contradicted stamp is never followed at once: it gets the time the sequence
/// implies and is kept as the suspect; the next sample then says which it was.
#[derive(Debug, Clone, Copy, Default)]
struct Clock {
    /// The last stamp the sequence agreed with, the time given to it, and the sample periods
    /// the sequence counted since.
    anchor: Option<(Stamp, u64, u64)>,
    /// A stamp the sequence contradicted (a time jump), the time given to it instead.
    suspect: Option<(Stamp, u64)>,
    /// The last time given, µs: the output never goes below it.
    last: u64,
}

/// The step from stamp `a` to stamp `b` in µs, if they are of one kind (a 32-bit device
/// counter: modulo 2^32, so a rollover is a small positive step).
fn step_us(a: Stamp, b: Stamp) -> Option<i64> {
    match (a, b) {
        (Stamp::Wrapping32(a), Stamp::Wrapping32(b)) => {
            let d = b.wrapping_sub(a);
            Some(if d < 1 << 31 {
                i64::from(d)
            } else {
                i64::from(d) - (1i64 << 32)
            })
        }
        (Stamp::Plain(a), Stamp::Plain(b)) => Some(b.saturating_sub(a)),
        _ => None,
    }
}

/// Whether a step of `step_us` fits `expected_us`: forward, and at most
/// `2 × expected + TIME_JUMP_SLACK_US`.
fn agrees(step_us: i64, expected_us: u64) -> bool {
    step_us >= 0
        && step_us.unsigned_abs()
            <= expected_us
                .saturating_mul(2)
                .saturating_add(TIME_JUMP_SLACK_US)
}

impl Clock {
    /// Unwrapped time for `stamp`. `gap` is how many sample periods the sequence says passed
    /// since the previous sample (`None` after a sequence reset: re-anchor). Returns the time
    /// and a jump, if any.
    fn advance(
        &mut self,
        stamp: Stamp,
        gap: Option<u64>,
        period_us: f64,
    ) -> (u64, Option<DecodeError>) {
        // period_us <= 1e6 and the periods counted stay far below 2^52, so this stays exact
        // enough and inside u64.
        let periods_us = |n: u64| (n as f64 * period_us).round() as u64;
        let Some((anchor, anchor_time, since)) = self.anchor else {
            let time = match stamp {
                Stamp::Wrapping32(raw) => u64::from(raw),
                Stamp::Plain(us) => us.max(0).unsigned_abs(),
            };
            return self.trust(stamp, time);
        };
        let (Some(k), Some(step)) = (gap, step_us(anchor, stamp)) else {
            // Sequence reset or format change: no comparable stamp; one nominal period on.
            let time = self.last.saturating_add(periods_us(gap.unwrap_or(1)));
            return self.trust(stamp, time);
        };
        let since = since.saturating_add(k);
        let expected = periods_us(since);
        if agrees(step, expected) {
            return self.trust(stamp, anchor_time.saturating_add(step.unsigned_abs()));
        }
        let expected_k = periods_us(k);
        if let Some((suspect, suspect_time)) = self.suspect
            && let Some(from_suspect) = step_us(suspect, stamp)
            && agrees(from_suspect, expected_k)
        {
            // The clock really moved at the suspect: follow it from the time the suspect got.
            let time = suspect_time.saturating_add(from_suspect.unsigned_abs());
            return self.trust(stamp, time);
        }
        // Contradicted by the sequence: counted, not followed. The sample gets the time the
        // sequence implies; the anchor stays.
        let time = self.last.saturating_add(expected_k);
        self.anchor = Some((anchor, anchor_time, since));
        self.suspect = Some((stamp, time));
        self.last = time;
        let jump = DecodeError::TimeJump {
            step_us: step,
            expected_us: expected,
        };
        (time, Some(jump))
    }

    /// Makes `stamp` the anchor at `time` (never below the last time given) and returns it.
    fn trust(&mut self, stamp: Stamp, time: u64) -> (u64, Option<DecodeError>) {
        let time = if self.anchor.is_some() {
            time.max(self.last)
        } else {
            time
        };
        self.anchor = Some((stamp, time, 0));
        self.suspect = None;
        self.last = time;
        (time, None)
    }
}

fn bump(counter: &mut u64) {
    *counter = counter.saturating_add(1);
}

impl Decoder {
    /// A decoder with no stream history. Unusable settings values fall back to the defaults.
    pub fn new(settings: DecoderSettings) -> Self {
        Self {
            framer: Framer::new(),
            state: State {
                settings: settings.sanitised(),
                stats: DecoderStats::default(),
                last_error: None,
                last_seq: None,
                device_rate_hz: None,
                speaks_sw1: false,
                clock: Clock::default(),
                layout: None,
                units: Recogniser::new(settings.units),
                released: Vec::with_capacity(UNITS_WINDOW),
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
        let state = &mut self.state;
        self.framer
            .push(bytes, &mut |record| state.take_record(record, sink));
        self.state.stats.overlong_lines = self.framer.overlong();
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
        let state = &mut self.state;
        self.framer
            .flush(&mut |record| state.take_record(record, sink));
        state.stats.overlong_lines = self.framer.overlong();
        // The stream ended: what is held is judged on what there is.
        state.judge_units(sink);
    }

    /// Forgets the stream (partial line, last sequence number, device clock and stated rate) but
    /// keeps the statistics — for a reconnect, after which the device restarts its counters.
    /// Device time may restart from a lower value after this.
    pub fn reset_stream(&mut self) {
        self.framer.reset();
        self.state.last_seq = None;
        self.state.device_rate_hz = None;
        self.state.speaks_sw1 = false;
        self.state.clock = Clock::default();
        self.state.layout = None;
        self.state.units.restart(self.state.settings.units);
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

    /// What is known about the units of the samples (for the status line and the metadata).
    pub fn units(&self) -> UnitsStatus {
        self.state.units.status()
    }

    /// Reads plain lines in `units` from now on (or recognises them again, [`Units::Auto`]);
    /// samples held while recognising are forgotten.
    pub fn set_units(&mut self, units: Units) {
        self.state.settings.units = units;
        self.state.units.restart(units);
    }

    /// Sample rate in Hz the device last stated (identity line or `RATE` ack), if any.
    pub fn device_rate_hz(&self) -> Option<f64> {
        self.state.device_rate_hz
    }

    /// Bytes of an incomplete line waiting for its terminator.
    pub fn pending_len(&self) -> usize {
        self.framer.pending_len()
    }

    /// Bytes the decoder holds allocated for a line split across pushes: at most
    /// [`MAX_LINE_LEN`](super::MAX_LINE_LEN) whatever arrives, so memory stays bounded (tests
    /// check it under floods of garbage and overlong lines).
    pub fn buffer_capacity(&self) -> usize {
        self.framer.capacity()
    }
}

impl State {
    /// Nominal sample period in µs: the device's stated rate, else the settings' rate.
    fn period_us(&self) -> f64 {
        1e6 / self.device_rate_hz.unwrap_or(self.settings.nominal_rate_hz)
    }

    /// Counts a rejected line and reports it.
    fn reject<F: FnMut(Result<Frame, DecodeError>)>(&mut self, error: DecodeError, sink: &mut F) {
        let stats = &mut self.stats;
        match error {
            DecodeError::ChecksumMismatch { .. } => bump(&mut stats.checksum_failures),
            // Counted by the framer when the line passed the limit.
            DecodeError::LineTooLong { .. } => {}
            _ => bump(&mut stats.malformed_lines),
        }
        self.report(error, sink);
    }

    /// Keeps `error` as the latest and hands it on; the caller has counted it.
    fn report<F: FnMut(Result<Frame, DecodeError>)>(&mut self, error: DecodeError, sink: &mut F) {
        self.last_error = Some(error);
        sink(Err(error));
    }

    /// Takes one record from the framer: decodes it, or counts it as overlong.
    fn take_record<F: FnMut(Result<Frame, DecodeError>)>(
        &mut self,
        record: Result<&[u8], DecodeError>,
        sink: &mut F,
    ) {
        match record {
            Ok(line) => self.decode_line(line, sink),
            Err(error) => self.reject(error, sink),
        }
    }

    /// Decodes one complete line or `$` record (terminator already removed).
    fn decode_line<F: FnMut(Result<Frame, DecodeError>)>(&mut self, line: &[u8], sink: &mut F) {
        let line = line.trim_ascii();
        if line.is_empty() {
            return;
        }
        let record = match line.strip_prefix(b"$") {
            Some(body) => {
                let record = sw1::parse_sw1(body);
                if matches!(record, Err(DecodeError::UnsupportedVersion))
                    && foreign::is_nmea_sentence(line)
                {
                    bump(&mut self.stats.foreign_lines);
                }
                // Any record past its checksum proves a protocol device: what plain samples
                // were held before it were line noise.
                if record.is_ok() && !self.speaks_sw1 {
                    self.speaks_sw1 = true;
                    self.drop_held(DecodeError::UncheckedLine, sink);
                }
                record
            }
            None if self.settings.accept_legacy => {
                match plain::parse_legacy(line, self.layout.as_ref()) {
                    Ok(Record::Plain(_)) if self.speaks_sw1 => Err(DecodeError::UncheckedLine),
                    Ok(Record::Header(_)) if self.speaks_sw1 => Ok(Record::Ignored),
                    other => other,
                }
            }
            None => Ok(Record::Ignored),
        };
        match record {
            Err(error) => self.reject(error, sink),
            Ok(Record::Ignored) => bump(&mut self.stats.ignored_lines),
            Ok(Record::Header(layout)) => {
                // A sketch (re)starting: its columns, and its units to recognise afresh.
                self.judge_units(sink);
                self.layout = Some(layout);
                self.units.restart(self.settings.units);
                bump(&mut self.stats.ignored_lines);
            }
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
            Ok(Record::Plain(sample)) => {
                bump(&mut self.stats.sample_lines);
                self.plain_sample(sample, sink);
            }
            Ok(Record::Sample {
                seq,
                stamp,
                accel_g,
                gyro_dps,
                format,
            }) => {
                bump(&mut self.stats.sample_lines);
                self.units.protocol();
                self.deliver(seq, stamp, accel_g, gyro_dps, format, sink);
            }
        }
    }

    /// A sample in g and deg/s through sequence and clock, out as a frame.
    fn deliver<F: FnMut(Result<Frame, DecodeError>)>(
        &mut self,
        seq: Option<u32>,
        stamp: Option<Stamp>,
        accel_g: [f64; 3],
        gyro_dps: [f64; 3],
        format: LineFormat,
        sink: &mut F,
    ) {
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

    /// A plain sample: read in its units if they are known, else held until they are.
    fn plain_sample<F: FnMut(Result<Frame, DecodeError>)>(
        &mut self,
        sample: PlainSample,
        sink: &mut F,
    ) {
        if let Some(reading) = self.units.reading_for(&sample) {
            self.deliver_plain(sample, reading, sink);
            return;
        }
        if self.units.ends_window(&sample) {
            self.judge_units(sink);
        }
        if self.units.hold(sample) {
            self.judge_units(sink);
        }
    }

    /// Judges the held samples' units and delivers them, or drops them if none fit.
    fn judge_units<F: FnMut(Result<Frame, DecodeError>)>(&mut self, sink: &mut F) {
        match self.units.judge() {
            None => {}
            Some(Verdict::Read(reading)) => {
                let mut held = std::mem::take(&mut self.released);
                self.units.take_held(&mut held);
                for sample in held.drain(..) {
                    self.deliver_plain(sample, reading, sink);
                }
                self.released = held;
            }
            Some(Verdict::Unrecognised { gravity }) => {
                let dropped = self.units.held_len();
                self.drop_held(
                    DecodeError::UnitsUnrecognised {
                        gravity_milli: (gravity * 1000.0).round().clamp(0.0, 1e15) as u64,
                        dropped: u32::try_from(dropped).unwrap_or(u32::MAX),
                    },
                    sink,
                );
            }
        }
    }

    /// Drops the held samples: counted and reported as `why` (unrecognised units once for the
    /// lot; line noise in a `$SW1` stream as one malformed line each).
    fn drop_held<F: FnMut(Result<Frame, DecodeError>)>(&mut self, why: DecodeError, sink: &mut F) {
        let mut held = std::mem::take(&mut self.released);
        self.units.take_held(&mut held);
        if !held.is_empty() {
            if let DecodeError::UnitsUnrecognised { .. } = why {
                let n = u64::try_from(held.len()).unwrap_or(u64::MAX);
                self.stats.units_unrecognised = self.stats.units_unrecognised.saturating_add(n);
                self.report(why, sink);
            } else {
                for _ in held.iter() {
                    self.reject(why, sink);
                }
            }
        }
        held.clear();
        self.released = held;
    }

    /// A plain sample in known units: converted to g, deg/s and µs, checked, delivered.
    fn deliver_plain<F: FnMut(Result<Frame, DecodeError>)>(
        &mut self,
        sample: PlainSample,
        reading: Reading,
        sink: &mut F,
    ) {
        let (accel_g, gyro_dps) = reading.units.convert(sample.accel, sample.gyro);
        if let Err(error) = check_limits(&accel_g, &gyro_dps) {
            self.reject(error, sink);
            return;
        }
        let stamp = match sample.time {
            None => None,
            Some(t) => {
                let us = t * reading.time.us();
                if !(0.0..=PLAIN_TIME_MAX_S * 1e6).contains(&us) {
                    self.reject(DecodeError::OutOfRange { field: "t_s" }, sink);
                    return;
                }
                // At most 1e15 µs, far inside i64.
                Some(Stamp::Plain(us.round() as i64))
            }
        };
        self.deliver(None, stamp, accel_g, gyro_dps, sample.format, sink);
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

#[cfg(test)]
mod tests {
    use super::super::test_support::{decode, line, sample, samples};
    use super::*;
    use crate::protocol::DeviceIdentity;
    use crate::protocol::encode_identity;

    #[test]
    fn nmea_sentences_are_counted_as_foreign_and_malformed() {
        let mut bytes = b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n\
            $GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n\
            $GPGGA,123519*00\r\n$XYZ\r\n"
            .to_vec();
        bytes.extend(line(&sample(1, 10_000, [0.0; 3], [0.0; 3])));
        let (frames, stats) = decode(&bytes);
        assert_eq!(samples(&frames).len(), 1);
        // Two real sentences; a bad XOR and a bare `$` tag are noise, not another device.
        assert_eq!(stats.foreign_lines, 2, "{stats:?}");
        assert_eq!(stats.malformed_lines, 4, "{stats:?}");
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
            (11, 1_000),     // backwards: jump, given 5_010_000 (one period on)
            (12, 11_000),    // one period after the jumped clock: it really moved, followed
            (13, 5_000_000), // forward by ~5 s with gap 1: jump, not followed
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
                5_000_000, 5_010_000, 5_020_000, 5_030_000, 5_040_000, 5_050_000
            ]
        );
        assert_eq!(stats.time_jumps, 2);
        assert_eq!(stats.sequence_resets, 1);
        assert_eq!(stats.sequence_gaps, 0);
    }

    /// Device times decoded from `(seq, raw t_us)` samples, and the stats.
    fn times_of(stamps: &[(u32, u64)]) -> (Vec<u64>, DecoderStats) {
        let mut bytes = Vec::new();
        for &(seq, t) in stamps {
            bytes.extend(line(&sample(seq, t, [0.0; 3], [0.0; 3])));
        }
        let (frames, stats) = decode(&bytes);
        let times = samples(&frames)
            .iter()
            .filter_map(|s| s.device_time_us)
            .collect();
        (times, stats)
    }

    #[test]
    fn a_lone_clock_glitch_the_sequence_contradicts_is_counted_not_followed() {
        // 100 Hz; sample 10 says 2000 s later, the next ones are normal again.
        let stamps: Vec<(u32, u64)> = (0..30u32)
            .map(|i| {
                let t = 1_000_000 + u64::from(i) * 10_000;
                (i, if i == 10 { t + 2_000_000_000 } else { t })
            })
            .collect();
        let (times, stats) = times_of(&stamps);
        let expected: Vec<u64> = (0..30u64).map(|i| 1_000_000 + i * 10_000).collect();
        assert_eq!(times, expected);
        assert_eq!(stats.time_jumps, 1);
        // The same backwards: one jump, nothing shifted.
        let stamps: Vec<(u32, u64)> = (0..30u32)
            .map(|i| {
                (
                    i,
                    5_000_000 + u64::from(i) * 10_000 - u64::from(i == 10) * 4_000_000,
                )
            })
            .collect();
        let (times, stats) = times_of(&stamps);
        let expected: Vec<u64> = (0..30u64).map(|i| 5_000_000 + i * 10_000).collect();
        assert_eq!(times, expected);
        assert_eq!(stats.time_jumps, 1);
    }

    #[test]
    fn a_clock_that_really_jumped_is_followed_from_where_it_stood() {
        // From sample 10 on the device clock reads 2000 s later and stays so: one jump, and the
        // spacing after it is the new clock's, continued from where time stood (no 2000 s hole).
        let stamps: Vec<(u32, u64)> = (0..30u32)
            .map(|i| {
                let t = 1_000_000 + u64::from(i) * 10_000;
                (i, if i >= 10 { t + 2_000_000_000 } else { t })
            })
            .collect();
        let (times, stats) = times_of(&stamps);
        let expected: Vec<u64> = (0..30u64).map(|i| 1_000_000 + i * 10_000).collect();
        assert_eq!(times, expected);
        assert_eq!(stats.time_jumps, 1);
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
    fn plain_lines_inside_a_checksummed_stream_are_malformed() {
        // Line noise that happens to read as six numbers, between a device's `$SW1` samples.
        let mut bytes = Vec::new();
        for i in 0..12u32 {
            bytes.extend(line(&sample(
                i,
                1_000 + u64::from(i) * 10_000,
                [0.0, 0.0, 1.0],
                [0.0; 3],
            )));
            if i % 4 == 1 {
                bytes.extend_from_slice(b"0.5 0.1 0.9 3 4 5\r\n");
            }
        }
        let (frames, stats) = decode(&bytes);
        let s = samples(&frames);
        assert_eq!(s.len(), 12);
        assert!(s.iter().all(|s| s.format == LineFormat::Sw1));
        assert_eq!(stats.malformed_lines, 3);
        // A reconnect may bring another device: plain lines are read again after it.
        let mut d = Decoder::new(DecoderSettings::default());
        d.push(&bytes, &mut |_| {});
        d.reset_stream();
        let mut plain = 0;
        for _ in 0..40 {
            d.push(b"0.01 -0.99 0.05 1.2 -0.5 0.0\r\n", &mut |f| {
                if matches!(f, Frame::Sample(s) if s.format == LineFormat::Plain) {
                    plain += 1;
                }
            });
        }
        d.flush(&mut |_| {});
        assert_eq!(plain, 40);
    }

    #[test]
    fn bad_settings_fall_back_to_defaults() {
        let d = Decoder::new(DecoderSettings {
            nominal_rate_hz: 0.0,
            units: Units::Auto,
            accept_legacy: true,
        });
        assert_eq!(d.settings(), DecoderSettings::default());
    }
}
