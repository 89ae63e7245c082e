//! The live sensor on a serial port (or a pseudo-terminal standing in for one).
//!
//! Two halves. The `serial-reader` thread (see `reader.rs`) owns the port: it blocks on reads
//! with a 50 ms timeout, pushes the bytes into a lock-free ring (ringbuf) and, in a second ring,
//! ordered marks (opened, bytes, lost, waiting). It finds the sensor itself when no port is given,
//! and reopens when the port goes: every outage starts from 0.25 s, doubling to 1 s (so a replug
//! is found within about a second, however often the cable wiggles), and to 5 s once the sensor
//! has been gone for a minute.
//! [`SerialSource`], on the pipeline thread, drains the rings on every poll, decodes with
//! [`protocol::Decoder`](crate::protocol::Decoder) and turns frames into [`ImuSample`]s in
//! session time. Decoding on the pipeline thread keeps the reader trivially fast, so it never
//! falls behind the port however busy the pipeline is (the ring holds ~14 s at 1 kHz).
//!
//! Session time: the device's unwrapped microsecond clock minus its first reading, so sample
//! spacing is exactly what the sensor measured, independent of USB latency. After a reconnect the
//! device clock may have restarted, so time is re-anchored to host time (kept monotonic). Formats
//! without device time are stamped with host arrival time (per read chunk, spread back over the
//! lines it held), and [`SourceInfo::device_time`] says so.

use std::sync::mpsc::{self, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use ringbuf::traits::{Consumer, Split};
use ringbuf::{HeapCons, HeapRb};

use crate::protocol::{
    Command, CommandName, Decoder, DecoderSettings, DeviceIdentity, Frame, NakReason, SampleFrame,
    Units, UnitsStatus, encode_command,
};
use crate::sample::ImuSample;
use crate::source::{LinkState, LinkStats, SampleSource, SourceEvent, SourceInfo, SourceKind};
use crate::transport::DEFAULT_BAUD;

use super::timebase::TimeBase;
use crate::transport::reader::{Mark, Reader, ReaderConfig};

/// Where and how to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialOptions {
    /// Port path; `None` finds the sensor (a port that sends valid frames or answers identify),
    /// and finds it again after every unplug, wherever it comes back.
    pub port: Option<String>,
    /// Baud rate, bits per second (default 115200; USB CDC devices ignore it).
    pub baud: u32,
}

impl Default for SerialOptions {
    fn default() -> Self {
        Self {
            port: None,
            baud: DEFAULT_BAUD,
        }
    }
}

/// Bytes the reader can hand over before it has to wait: ~14 s of 1 kHz sample lines.
const BYTE_RING: usize = 1 << 20;
/// Marks in flight (one per read, so thousands of reads' worth).
const MARK_RING: usize = 1 << 14;
/// How long dropping a source waits for its reader thread to close the port.
const DROP_WAIT: Duration = Duration::from_millis(300);
/// Open and quiet for this long: `Silent`.
const SILENT_AFTER: Duration = Duration::from_secs(1);
/// Bytes but no frame for this long: `NoValidFrames`.
const NO_FRAMES_AFTER: Duration = Duration::from_secs(2);
/// Samples are held back after connecting until the identity arrives (so the rate hint and the
/// device name come before the first sample), at most this long after the first frame.
const HOLD_FOR_IDENTITY: Duration = Duration::from_millis(1000);
/// Events held back for the identity, at most: a second of a 1 kHz device with room to spare.
/// A device flooding short lines gets them released early rather than growing memory.
const HOLD_MAX_EVENTS: usize = 4096;
/// `ID` is resent after this long without an identity, at most [`ID_RETRIES`] times
/// (firmware-protocol.md, 3.3).
const ID_RESEND: Duration = Duration::from_millis(250);
const ID_RETRIES: u32 = 3;

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    /// Nothing heard from the reader yet, or auto-detecting.
    Connecting,
    Open {
        since: Instant,
    },
    Waiting {
        reason: String,
        attempt: u32,
        retry_at: Instant,
        noisy: bool,
    },
}

/// A sample decoded and waiting for its session time (assigned per read chunk).
struct Pending {
    frame: SampleFrame,
}

/// The live sensor link. Implements [`SampleSource`]; see the module docs.
pub struct SerialSource {
    options: SerialOptions,
    bytes: HeapCons<u8>,
    marks: HeapCons<Mark>,
    commands: Sender<Vec<u8>>,
    thread: Option<JoinHandle<()>>,
    decoder: Decoder,
    scratch: Vec<u8>,
    chunk: Vec<Pending>,
    others: Vec<Frame>,
    phase: Phase,
    path: Option<String>,
    info: SourceInfo,
    identity: Option<DeviceIdentity>,
    /// Whether the samples carry device time (false: host arrival time, less accurate).
    device_time: bool,
    /// `ID` sent on this connection and no identity yet.
    id_pending: bool,
    // Link health.
    last_bytes_at: Option<Instant>,
    last_frame_at: Option<Instant>,
    /// Rejected lines and NMEA sentences counted (cumulative) when the last frame arrived or
    /// the port opened: what came since tells another device from a wrong baud rate.
    rejected_at_frame: (u64, u64),
    reconnects: u64,
    acks: u64,
    naks: u64,
    vibration_unsupported: bool,
    id_asked_at: Option<Instant>,
    id_retries: u32,
    time: TimeBase,
    /// The units the label last stated (changes of outcome only).
    units_shown: UnitsStatus,
    // Holding samples until the identity arrives.
    holding: bool,
    hold_until: Option<Instant>,
    held: Vec<SourceEvent>,
    spawn_error: Option<String>,
}

impl SerialSource {
    /// Starts the `serial-reader` thread. Never fails: a missing sensor, a busy port or even a
    /// thread that cannot start show up in [`link`](SampleSource::link) instead.
    pub fn open(options: SerialOptions) -> SerialSource {
        Self::open_with(
            ReaderConfig::new(options.port.clone(), options.baud),
            options,
        )
    }

    pub(crate) fn open_with(config: ReaderConfig, options: SerialOptions) -> SerialSource {
        let (bytes_prod, bytes) = HeapRb::<u8>::new(BYTE_RING).split();
        let (marks_prod, marks) = HeapRb::<Mark>::new(MARK_RING).split();
        let (commands, commands_rx) = mpsc::channel();
        let reader = Reader {
            config,
            bytes: bytes_prod,
            marks: marks_prod,
            commands: commands_rx,
        };
        let spawned = thread::Builder::new()
            .name("serial-reader".into())
            .spawn(move || reader.run());
        let (thread, spawn_error) = match spawned {
            Ok(h) => (Some(h), None),
            Err(e) => (None, Some(format!("cannot start the serial reader: {e}"))),
        };
        let label = match &options.port {
            Some(p) => p.clone(),
            None => "serial sensor (auto-detect)".into(),
        };
        SerialSource {
            info: SourceInfo {
                kind: SourceKind::Serial,
                label,
                port: options.port.clone(),
                rate_hz: None,
                battery_pct: None,
                device_time: true,
                units: None,
            },
            options,
            bytes,
            marks,
            commands,
            thread,
            decoder: Decoder::new(DecoderSettings::default()),
            scratch: vec![0u8; 64 * 1024],
            chunk: Vec::new(),
            others: Vec::new(),
            phase: Phase::Connecting,
            path: None,
            identity: None,
            device_time: true,
            id_pending: false,
            last_bytes_at: None,
            last_frame_at: None,
            rejected_at_frame: (0, 0),
            reconnects: 0,
            acks: 0,
            naks: 0,
            vibration_unsupported: false,
            id_asked_at: None,
            id_retries: 0,
            time: TimeBase::default(),
            units_shown: UnitsStatus::Unknown,
            holding: true,
            hold_until: None,
            held: Vec::new(),
            spawn_error,
        }
    }

    /// The options it was opened with.
    pub fn options(&self) -> &SerialOptions {
        &self.options
    }

    /// The device's identity, once it has sent one.
    pub fn identity(&self) -> Option<&DeviceIdentity> {
        self.identity.as_ref()
    }

    /// Reads plain lines in `units` from now on, or recognises them ([`Units::Auto`], the
    /// default). `$SW1` devices are g and deg/s whatever this says.
    pub fn set_units(&mut self, units: Units) {
        self.decoder.set_units(units);
    }

    /// What is known about the units of the samples: the protocol's, forced, recognised (and
    /// from what), or that samples arrive whose units could not be recognised (then they are
    /// held back, not read as angles). Its `Display` is the phrase the label carries for a
    /// plain sketch, [`UnitsStatus::metadata`] the value for a recording's `# units=`.
    pub fn units(&self) -> UnitsStatus {
        self.decoder.units()
    }

    /// Decoder counters (bytes, frames, every kind of error) since the source was opened.
    pub fn decoder_stats(&self) -> crate::protocol::DecoderStats {
        self.decoder.stats()
    }

    /// Bytes the decoder holds for a line split across reads: bounded by
    /// [`MAX_LINE_LEN`](crate::protocol::MAX_LINE_LEN) whatever the port sends.
    pub fn decoder_buffer_capacity(&self) -> usize {
        self.decoder.buffer_capacity()
    }

    /// (Lines rejected in any way, of which NMEA sentences), cumulative.
    fn rejected_counts(&self) -> (u64, u64) {
        let d = self.decoder.stats();
        (d.refused_lines(), d.foreign_lines)
    }

    /// Bytes arrive but no frame: another device's protocol if most lines rejected since the
    /// last frame were NMEA sentences, else unreadable bytes (a wrong baud rate, or a binary
    /// protocol).
    fn no_frames_state(&self) -> LinkState {
        let (rejected, foreign) = self.rejected_counts();
        let rejected = rejected.saturating_sub(self.rejected_at_frame.0);
        let foreign = foreign.saturating_sub(self.rejected_at_frame.1);
        if crate::protocol::is_other_protocol(rejected, foreign) {
            LinkState::OtherProtocol {
                baud: self.options.baud,
            }
        } else {
            LinkState::NoValidFrames {
                baud: self.options.baud,
            }
        }
    }

    fn send_command(&self, command: &Command) -> bool {
        let mut line = Vec::with_capacity(32);
        encode_command(command, &mut line);
        self.commands.send(line).is_ok()
    }

    fn nominal_period_s(&self) -> f64 {
        let rate = self
            .decoder
            .device_rate_hz()
            .unwrap_or(self.decoder.settings().nominal_rate_hz);
        1.0 / rate.max(1.0)
    }

    /// Emits an event, or holds it while waiting for the identity.
    fn emit(&mut self, event: SourceEvent, out: &mut Vec<SourceEvent>) {
        if self.holding && self.held.len() < HOLD_MAX_EVENTS {
            self.held.push(event);
        } else {
            if self.holding {
                self.update_info(out);
                self.release(out);
            }
            out.push(event);
        }
    }

    fn release(&mut self, out: &mut Vec<SourceEvent>) {
        self.holding = false;
        self.hold_until = None;
        out.append(&mut self.held);
    }

    fn update_info(&mut self, out: &mut Vec<SourceEvent>) {
        let mut info = self.info.clone();
        info.device_time = self.device_time;
        info.port = self.path.clone().or_else(|| self.options.port.clone());
        if let Some(id) = &self.identity {
            info.rate_hz = Some(f64::from(id.rate_hz));
            info.battery_pct = id.battery_pct.map(f64::from);
            info.label = format!(
                "{} — {} ({})",
                info.port.as_deref().unwrap_or("serial"),
                id.firmware,
                id.model,
            );
        } else {
            // No identity (a plain sketch): the rate its lines arrive at, to the hertz, and the
            // units its lines are read in.
            info.rate_hz = self.time.measured_rate_hz().map(f64::round);
            let port = info.port.as_deref().unwrap_or("serial sensor");
            info.label = match self.units_shown {
                UnitsStatus::Unknown | UnitsStatus::Protocol => port.to_string(),
                units => format!("{port} — {units}"),
            };
        }
        info.units = self.units_shown.metadata();
        if info != self.info {
            self.info = info.clone();
            // Info goes out immediately, ahead of held samples: it is what they wait for.
            out.push(SourceEvent::Info(info));
        }
    }

    /// The link was lost (or the reader gave up on a port): forget the stream.
    fn on_lost(&mut self, reason: String, out: &mut Vec<SourceEvent>) {
        self.decoder.reset_stream();
        // Whatever comes back has its units found again.
        self.units_shown = UnitsStatus::Unknown;
        self.last_frame_at = None;
        self.id_asked_at = None;
        self.id_retries = 0;
        self.release(out);
        if let Some(t_s) = self.time.lost(Instant::now()) {
            tracing::info!("sensor lost at {t_s:.3} s: {reason}");
            out.push(SourceEvent::Lost { t_s, reason });
        }
        self.holding = true;
    }

    fn on_bytes(&mut self, len: usize, at: Instant, out: &mut Vec<SourceEvent>) {
        let mut left = len;
        while left > 0 {
            let want = left.min(self.scratch.len());
            let Some(buf) = self.scratch.get_mut(..want) else {
                return;
            };
            let got = self.bytes.pop_slice(buf);
            if got == 0 {
                // Cannot happen (bytes are queued before their mark); never spin on it.
                return;
            }
            left -= got;
            let mut chunk = std::mem::take(&mut self.chunk);
            let mut others = std::mem::take(&mut self.others);
            let lines_before = self.decoder.stats().sample_lines;
            self.decoder.push(
                self.scratch.get(..got).unwrap_or_default(),
                &mut |frame| match frame {
                    Frame::Sample(frame) => chunk.push(Pending { frame }),
                    other => others.push(other),
                },
            );
            self.last_bytes_at = Some(at);
            // Every sample line counts for the rate and the link's health, also one held back
            // while its units are recognised (or dropped because they could not be).
            let lines = self
                .decoder
                .stats()
                .sample_lines
                .saturating_sub(lines_before);
            self.time
                .arrived(at, usize::try_from(lines).unwrap_or(usize::MAX));
            if lines > 0 || !others.is_empty() {
                self.last_frame_at = Some(at);
                self.rejected_at_frame = self.rejected_counts();
            }
            for frame in others.drain(..) {
                self.on_frame(frame, out);
            }
            let units = self.decoder.units();
            if !units.same_outcome(&self.units_shown) {
                tracing::info!("sensor units: {units}");
                self.units_shown = units;
                // Ahead of the samples it concerns.
                self.update_info(out);
            }
            self.stamp(&mut chunk, at, out);
            chunk.clear();
            self.chunk = chunk;
            self.others = others;
        }
    }

    fn on_frame(&mut self, frame: Frame, out: &mut Vec<SourceEvent>) {
        match frame {
            Frame::Identity(id) => {
                tracing::info!(
                    "sensor identity: {} {} at {} Hz",
                    id.firmware,
                    id.model,
                    id.rate_hz
                );
                self.identity = Some(id);
                self.id_pending = false;
                self.update_info(out);
                self.release(out);
            }
            Frame::Ack(command) => {
                self.acks = self.acks.saturating_add(1);
                tracing::info!("device acknowledged {command:?}");
            }
            Frame::Nak(nak) => {
                self.naks = self.naks.saturating_add(1);
                tracing::warn!(
                    "device refused {} ({})",
                    nak.command.as_str(),
                    nak.reason.as_str()
                );
                match (nak.command, nak.reason) {
                    (CommandName::Vib, NakReason::Unsupported | NakReason::UnknownCommand) => {
                        self.vibration_unsupported = true;
                    }
                    // A device that does not know `ID` will never identify: stop waiting.
                    (CommandName::Id, _) => self.release(out),
                    _ => {}
                }
            }
            Frame::Sample(_) | Frame::Command(_) => {}
        }
    }

    /// Gives the samples of one read chunk their session time and emits them.
    fn stamp(&mut self, chunk: &mut [Pending], at: Instant, out: &mut Vec<SourceEvent>) {
        let period = self.nominal_period_s();
        let count = chunk.len();
        for (i, p) in chunk.iter().enumerate() {
            if self.holding && self.hold_until.is_none() {
                self.hold_until = Some(at + HOLD_FOR_IDENTITY);
            }
            let device_time = p.frame.device_time_us.is_some();
            if device_time != self.device_time {
                self.device_time = device_time;
                self.update_info(out);
            }
            let stamp = self.time.stamp(
                p.frame.device_time_us,
                p.frame.seq,
                at,
                count - 1 - i,
                period,
            );
            let t = stamp.t_s;
            if let Some(gap_s) = stamp.back_after_s {
                self.reconnects = self.reconnects.saturating_add(1);
                tracing::info!("sensor back at {t:.3} s after {gap_s:.1} s");
                self.emit(SourceEvent::Back { t_s: t, gap_s }, out);
            }
            self.emit(SourceEvent::Sample(p.frame.to_imu_sample(t)), out);
        }
    }

    fn on_mark(&mut self, mark: Mark, out: &mut Vec<SourceEvent>) {
        match mark {
            Mark::Searching => self.phase = Phase::Connecting,
            Mark::Opened { path } => {
                tracing::info!("serial port {path} open");
                let now = Instant::now();
                self.phase = Phase::Open { since: now };
                self.path = Some(path);
                self.last_bytes_at = None;
                self.last_frame_at = None;
                self.rejected_at_frame = self.rejected_counts();
                self.id_asked_at = Some(now);
                self.id_retries = 0;
                self.id_pending = true;
                self.holding = true;
                self.update_info(out);
            }
            Mark::Bytes { len, at } => self.on_bytes(len, at, out),
            Mark::Lost { reason, retry_in } => {
                self.phase = Phase::Waiting {
                    reason: reason.clone(),
                    attempt: 1,
                    retry_at: Instant::now() + retry_in,
                    noisy: false,
                };
                self.on_lost(reason, out);
            }
            Mark::Waiting {
                reason,
                attempt,
                retry_in,
                noisy,
            } => {
                if let Some(p) = &noisy {
                    self.path = Some(p.clone());
                    self.update_info(out);
                }
                self.phase = Phase::Waiting {
                    reason,
                    attempt,
                    retry_at: Instant::now() + retry_in,
                    noisy: noisy.is_some(),
                };
            }
        }
    }
}

impl SampleSource for SerialSource {
    fn poll(&mut self, out: &mut Vec<SourceEvent>) {
        while let Some(mark) = self.marks.try_pop() {
            self.on_mark(mark, out);
        }
        let now = Instant::now();
        if self.holding {
            let timed_out = self.hold_until.is_some_and(|t| now >= t);
            if timed_out {
                if self.id_pending {
                    tracing::info!("no identity from the device; continuing without it");
                }
                // The measured rate goes out before the first sample, as a stated one would.
                self.update_info(out);
                self.release(out);
            } else if matches!(self.phase, Phase::Open { .. })
                && self.id_pending
                && self.id_retries < ID_RETRIES
                && self
                    .id_asked_at
                    .is_some_and(|t| now.duration_since(t) >= ID_RESEND)
            {
                self.id_retries += 1;
                self.id_asked_at = Some(now);
                self.send_command(&Command::Identify);
            }
        }
    }

    fn info(&self) -> SourceInfo {
        self.info.clone()
    }

    fn link(&self) -> (LinkState, LinkStats) {
        let d = self.decoder.stats();
        let stats = LinkStats {
            frames_ok: d.frames_ok,
            checksum_failures: d.checksum_failures,
            malformed_lines: d.malformed_lines.saturating_add(d.overlong_lines),
            dropped_samples: d.samples_dropped,
            time_jumps: d.time_jumps,
            reconnects: self.reconnects,
            acks: self.acks,
            naks: self.naks,
        };
        let now = Instant::now();
        let state = if let Some(e) = &self.spawn_error {
            LinkState::Reconnecting {
                reason: e.clone(),
                attempt: 0,
                retry_in_s: f64::INFINITY,
            }
        } else {
            match &self.phase {
                Phase::Connecting => LinkState::Connecting,
                Phase::Waiting { noisy: true, .. } => LinkState::NoValidFrames {
                    baud: self.options.baud,
                },
                Phase::Waiting {
                    reason,
                    attempt,
                    retry_at,
                    ..
                } => LinkState::Reconnecting {
                    reason: reason.clone(),
                    attempt: *attempt,
                    retry_in_s: retry_at.saturating_duration_since(now).as_secs_f64(),
                },
                Phase::Open { since } => {
                    let quiet = now.saturating_duration_since(self.last_bytes_at.unwrap_or(*since));
                    let no_frames =
                        now.saturating_duration_since(self.last_frame_at.unwrap_or(*since));
                    if quiet >= SILENT_AFTER {
                        LinkState::Silent {
                            for_s: quiet.as_secs_f64(),
                        }
                    } else if no_frames >= NO_FRAMES_AFTER {
                        self.no_frames_state()
                    } else if self.last_frame_at.is_some() {
                        LinkState::Connected
                    } else {
                        LinkState::Connecting
                    }
                }
            }
        };
        (state, stats)
    }

    /// Sends `$SW1,C,VIB,<ms>,<pct>` over the same port. False when not connected or the device
    /// said it has no motor. The ack (or nak) is counted in [`LinkStats`] and logged.
    fn vibrate(&mut self, duration_ms: u32, strength_pct: u8) -> bool {
        if self.vibration_unsupported || !matches!(self.phase, Phase::Open { .. }) {
            return false;
        }
        let command = Command::Vibrate {
            duration_ms: u16::try_from(duration_ms).unwrap_or(u16::MAX),
            strength_pct,
        };
        self.send_command(&command)
    }

    /// 20 ms: at 1 kHz that is 20 samples per poll, and the pipeline thread sleeps in between.
    fn poll_interval(&self) -> Duration {
        Duration::from_millis(20)
    }
}

impl Drop for SerialSource {
    fn drop(&mut self) {
        // Dropping the ring ends makes the reader stop; wait for it so the port is closed when
        // `drop` returns (a reopen right after must not find it busy).
        let (bytes, marks) = (
            std::mem::replace(&mut self.bytes, HeapRb::<u8>::new(1).split().1),
            std::mem::replace(&mut self.marks, HeapRb::<Mark>::new(1).split().1),
        );
        drop(bytes);
        drop(marks);
        // A streaming reader notices within one read timeout (50 ms); one in the middle of
        // probing ports holds none of its own and may take seconds, so it is left to finish
        // alone rather than freezing the caller (the GUI switching sources).
        if let Some(h) = self.thread.take() {
            let end = Instant::now() + DROP_WAIT;
            while !h.is_finished() && Instant::now() < end {
                thread::sleep(Duration::from_millis(5));
            }
            if h.is_finished() {
                let _ = h.join();
            }
        }
    }
}

/// Convenience for tests and tools: the sample events of `events`.
pub fn samples(events: &[SourceEvent]) -> impl Iterator<Item = &ImuSample> {
    events.iter().filter_map(|e| match e {
        SourceEvent::Sample(s) => Some(s),
        _ => None,
    })
}
