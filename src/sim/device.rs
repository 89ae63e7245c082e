//! The simulated wearer as a serial device on a pseudo-terminal (`spinewatch simulate --pty`).
//!
//! It plays the part of the reference firmware byte for byte: protocol v1 sample lines at the
//! chosen rate (sequence numbers per sample slot, a 32-bit microsecond device clock), the identity
//! line when a host opens the port and after every `ID`, acks for `RATE` and `VIB`. Pointed at the
//! printed path (or the stable link it keeps), the app cannot tell it from hardware.
//!
//! Host presence: a pty master cannot see who opened the slave, but a write fails with
//! `BrokenPipe` (POLLHUP) while nobody has it open. Like a native-USB board in
//! `while (!Serial)`, the device starts streaming when a host first opens the port; lines written
//! while no host is attached later on are lost, as on real hardware, and counted.
//!
//! Faults for tests: binary garbage lines, corrupted checksums, dropped lines, a pause (nothing
//! sent), and a disconnect: the master is closed (the host's read fails with `BrokenPipe`, as on
//! an unplug), a new pty is made after the given time, its path printed and the link re-pointed,
//! which is what a udev rule does for real hardware.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::protocol::Command;
use crate::sim::Mount;

#[cfg(unix)]
pub use pty::run_pty;

/// How fast the simulated time runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// Simulated seconds per wall-clock second (1 = real time).
    Factor(f64),
    /// As fast as the host reads (the pty pushes back when its buffer is full).
    Max,
}

impl FromStr for Speed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("max") {
            return Ok(Speed::Max);
        }
        match s.parse::<f64>() {
            Ok(f) if f.is_finite() && f > 0.0 && f <= 1e6 => Ok(Speed::Factor(f)),
            _ => Err(format!(
                "'{s}' is not a speed (a factor such as 1 or 20, or \"max\")"
            )),
        }
    }
}

/// A span of stream time: `S:DUR`, both in seconds since streaming started.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub start_s: f64,
    pub duration_s: f64,
}

impl FromStr for Span {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let usage = || format!("'{s}': expected S:DUR (seconds), e.g. 30:5");
        let (a, b) = s.split_once(':').ok_or_else(usage)?;
        let start_s: f64 = a.trim().parse().map_err(|_| usage())?;
        let duration_s: f64 = b.trim().parse().map_err(|_| usage())?;
        if !(start_s.is_finite() && duration_s.is_finite() && start_s >= 0.0 && duration_s > 0.0) {
            return Err(usage());
        }
        Ok(Span {
            start_s,
            duration_s,
        })
    }
}

/// Faults to inject into the stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// A line of binary garbage (bytes 0x80–0xFF, then CR LF) every this many stream seconds.
    pub garbage_every_s: Option<f64>,
    /// Probability per sample line that its checksum is corrupted.
    pub corrupt_checksum_prob: f64,
    /// Probability per sample line that it is not sent (the sequence number still advances).
    pub drop_prob: f64,
    /// Times nothing is sent (the port stays open). At `--speed max` they last real seconds.
    pub pauses: Vec<Span>,
    /// Times the device is unplugged (the pty closed, a new one made after). At `--speed max`
    /// they last real seconds.
    pub disconnects: Vec<Span>,
    /// Each replug is a reboot: the sequence number and the device clock start again from 0,
    /// as a microcontroller's do when the USB cable gives it power again.
    pub reboot_on_replug: bool,
}

/// What to simulate and how.
#[derive(Debug, Clone)]
pub struct PtyOptions {
    pub minutes: f64,
    pub seed: u64,
    /// What the wearer does; `None`: a random day of `minutes` from `seed` (the CLI's only
    /// choice; tests that need a particular day, e.g. 45 minutes of sitting, give their own).
    pub script: Option<crate::sim::Script>,
    /// Sample rate, Hz (25–1000).
    pub rate_hz: f64,
    pub mount: Mount,
    pub speed: Speed,
    pub faults: Faults,
    /// Symlink kept pointed at the current pty (see
    /// [`simulator_link_path`](crate::transport::simulator_link_path)).
    pub link: Option<PathBuf>,
    /// Session CSV of every sample line delivered intact, at the wire's resolution, timed from
    /// the first delivered sample — what a perfect recorder would have recorded.
    pub sent: Option<PathBuf>,
    /// How long the port stays open after the day ends, so the host can read what is in flight
    /// (closing a pty discards unread bytes).
    pub linger: Duration,
}

impl Default for PtyOptions {
    fn default() -> Self {
        Self {
            minutes: 60.0,
            seed: 1,
            script: None,
            rate_hz: 100.0,
            mount: Mount::Random,
            speed: Speed::Factor(1.0),
            faults: Faults::default(),
            link: None,
            sent: None,
            linger: Duration::from_secs(1),
        }
    }
}

/// Things the simulator reports while it runs (the CLI prints them).
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceEvent {
    /// A pty is ready at `path` (first, and after each reconnect). `calibration` gives the
    /// simulated wearer's calibration poses in stream seconds (`U0:U1,F0:F1`, the form of
    /// `record --calibrate`); stream time 0 is the first sample a host receives.
    Ready {
        path: String,
        reconnect: bool,
        calibration: Option<String>,
    },
    /// A host opened the port.
    HostConnected,
    /// The host closed the port.
    HostGone,
    /// The simulated unplug began (stream seconds).
    Unplugged { at_s: f64 },
    /// A command arrived from the host (vibrate commands are what the wearer would feel).
    Command(Command),
}

/// Counts for the end-of-run summary and for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PtyReport {
    /// Sample lines delivered intact.
    pub sent: u64,
    /// Sample lines left out by `drop_prob`.
    pub dropped: u64,
    /// Sample lines delivered with a corrupted checksum.
    pub corrupted: u64,
    /// Garbage lines delivered.
    pub garbage_lines: u64,
    /// Sample lines lost because no host had the port open (or it went away mid-write).
    pub not_delivered: u64,
    /// Sample slots skipped during pauses and disconnects.
    pub skipped: u64,
    pub disconnects: u32,
    pub commands: u64,
    /// Stream seconds simulated.
    pub duration_s: f64,
}

/// The device itself: needs pseudo-terminals, so Unix only.
#[cfg(unix)]
mod pty {
    use std::fs::File;
    use std::io::{self, BufWriter, Read, Write};
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::thread;
    use std::time::{Duration, Instant};

    use serialport::{SerialPort, TTYPort};

    use super::{DeviceEvent, PtyOptions, PtyReport, Speed};
    use crate::protocol::{
        ACCEL_DECIMALS, ACCEL_LIMIT_G, Command, CommandName, DecodeError, Decoder, DecoderSettings,
        DeviceIdentity, Frame, GYRO_DECIMALS, GYRO_LIMIT_DPS, LineFormat, Nak, NakReason,
        SampleFrame, encode_ack, encode_identity, encode_nak, encode_sample,
    };
    use crate::sample::ImuSample;
    use crate::session::SessionWriter;
    use crate::sim::export::session_meta;
    use crate::sim::{Rng, Script, SimOptions, Simulator};

    /// Device clock at the first sample, µs: the board has been up 1.5 s when it starts streaming.
    const DEVICE_BOOT_US: u64 = 1_500_000;
    /// Batches written to the pty are at most this large.
    const BATCH_MAX: usize = 8 * 1024;
    /// Pause between seeing a host and the first bytes sent to it.
    const HOST_SETTLE: Duration = Duration::from_millis(50);
    /// Poll cadence of the device loop while waiting (commands, host presence), real time.
    const TICK: Duration = Duration::from_millis(5);

    /// One line in the write batch, for the bookkeeping of what was delivered.
    #[derive(Debug, Clone, Copy)]
    enum Line {
        Sample(ImuSample),
        Corrupted,
        Garbage,
        Reply,
    }

    struct Pty {
        master: TTYPort,
        path: String,
    }

    impl Pty {
        fn create() -> io::Result<Pty> {
            let (mut master, slave) = TTYPort::pair().map_err(io::Error::from)?;
            let path = slave
                .name()
                .ok_or_else(|| io::Error::other("the pseudo-terminal has no name"))?;
            // Nobody holds the slave until a host opens it, so a write tells whether one has.
            drop(slave);
            master
                .set_timeout(Duration::from_millis(20))
                .map_err(io::Error::from)?;
            Ok(Pty { master, path })
        }

        /// Whether a host has the slave open: a zero-length write polls for POLLHUP.
        fn host_present(&mut self) -> bool {
            match self.master.write(&[]) {
                Ok(0) => true,
                Ok(_) => true,
                // Output full: someone is attached but not reading right now.
                Err(e) => matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                ),
            }
        }
    }

    /// A duration from seconds that never panics: negative, NaN or huge values are clamped
    /// (the options come from a library caller too, not only from the validated CLI).
    fn secs(s: f64) -> Duration {
        Duration::try_from_secs_f64(s.clamp(0.0, 1e9)).unwrap_or(Duration::ZERO)
    }

    /// Points `link` at `target` atomically (a new symlink renamed over the old one).
    fn relink(link: &Path, target: &str) -> io::Result<()> {
        if let Some(dir) = link.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut tmp = link.as_os_str().to_owned();
        tmp.push(format!(".tmp{}", std::process::id()));
        let tmp = PathBuf::from(tmp);
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(target, &tmp)?;
        std::fs::rename(&tmp, link)
    }

    /// Rounds to the wire's resolution exactly as the encoder does (half away from zero, clamped).
    fn wire(v: f64, decimals: u32, limit: f64) -> f64 {
        let scale = 10f64.powi(decimals as i32);
        if v.is_finite() {
            (v.clamp(-limit, limit) * scale).round() / scale
        } else {
            0.0
        }
    }

    struct Device<'a> {
        opts: &'a PtyOptions,
        stop: &'a AtomicBool,
        on_event: &'a mut dyn FnMut(DeviceEvent),
        pty: Option<Pty>,
        host: bool,
        identity: DeviceIdentity,
        decoder: Decoder,
        batch: Vec<u8>,
        lines: Vec<(usize, Line)>,
        read_buf: Vec<u8>,
        sent_log: Option<SessionWriter<BufWriter<File>>>,
        /// Stream time of the first sample delivered, µs (the sent log counts from it).
        first_sent_us: Option<u64>,
        report: PtyReport,
        calibration: Option<String>,
    }

    impl Device<'_> {
        fn stopped(&self) -> bool {
            self.stop.load(Ordering::Relaxed)
        }

        fn open_pty(&mut self, reconnect: bool) -> io::Result<()> {
            let pty = Pty::create()?;
            if let Some(link) = &self.opts.link {
                relink(link, &pty.path)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", link.display())))?;
            }
            (self.on_event)(DeviceEvent::Ready {
                path: pty.path.clone(),
                reconnect,
                calibration: self.calibration.clone(),
            });
            self.pty = Some(pty);
            self.host = false;
            Ok(())
        }

        fn close_pty(&mut self) {
            self.batch.clear();
            self.lines.clear();
            self.pty = None;
            self.host = false;
        }

        /// Checks whether a host is attached; greets a new one with the identity line.
        fn check_host(&mut self) {
            let Some(pty) = &mut self.pty else {
                return;
            };
            let present = pty.host_present();
            if present && !self.host {
                // Let the host finish opening (it discards stale input right after `open`), as a
                // board's USB stack takes a moment before the first bytes flow.
                thread::sleep(HOST_SETTLE);
                self.host = true;
                (self.on_event)(DeviceEvent::HostConnected);
                self.reply_identity();
            } else if !present && self.host {
                self.host = false;
                (self.on_event)(DeviceEvent::HostGone);
            }
        }

        fn reply_identity(&mut self) {
            encode_identity(&self.identity, &mut self.batch);
            self.lines.push((self.batch.len(), Line::Reply));
        }

        fn reply(&mut self, f: impl FnOnce(&mut Vec<u8>)) {
            f(&mut self.batch);
            self.lines.push((self.batch.len(), Line::Reply));
        }

        /// Reads and answers host commands.
        fn service_commands(&mut self) {
            let Some(pty) = &mut self.pty else {
                return;
            };
            if !matches!(pty.master.bytes_to_read(), Ok(n) if n > 0) {
                return;
            }
            let n = match pty.master.read(&mut self.read_buf) {
                Ok(n) => n,
                Err(_) => return,
            };
            let mut got: Vec<Result<Frame, DecodeError>> = Vec::new();
            self.decoder
                .push_events(self.read_buf.get(..n).unwrap_or_default(), &mut |e| {
                    got.push(e)
                });
            for event in got {
                match event {
                    Ok(Frame::Command(command)) => {
                        self.report.commands += 1;
                        (self.on_event)(DeviceEvent::Command(command));
                        match command {
                            Command::Identify => {
                                self.reply(|o| encode_ack(&command, o));
                                self.reply_identity();
                            }
                            Command::SetRate { rate_hz } if rate_hz == self.identity.rate_hz => {
                                self.reply(|o| encode_ack(&command, o));
                            }
                            // Changing the simulated rate mid-stream is not modelled.
                            Command::SetRate { .. } => self.reply(|o| {
                                encode_nak(
                                    &Nak {
                                        command: CommandName::Rate,
                                        reason: NakReason::Range,
                                    },
                                    o,
                                )
                            }),
                            Command::Vibrate { .. } => self.reply(|o| encode_ack(&command, o)),
                        }
                    }
                    Err(DecodeError::ChecksumMismatch { .. }) => self.reply(|o| {
                        encode_nak(
                            &Nak {
                                command: CommandName::Other,
                                reason: NakReason::Checksum,
                            },
                            o,
                        )
                    }),
                    Err(DecodeError::SequenceGap { .. } | DecodeError::SequenceReset { .. })
                    | Err(DecodeError::TimeJump { .. }) => {}
                    Err(_) => self.reply(|o| {
                        encode_nak(
                            &Nak {
                                command: CommandName::Other,
                                reason: NakReason::Syntax,
                            },
                            o,
                        )
                    }),
                    Ok(_) => {}
                }
            }
        }

        /// Writes the batch; lines that did not get out count as not delivered.
        fn flush(&mut self) -> io::Result<()> {
            if self.batch.is_empty() {
                return Ok(());
            }
            let mut written = 0usize;
            if self.host
                && let Some(pty) = &mut self.pty
            {
                while written < self.batch.len() && !self.stop.load(Ordering::Relaxed) {
                    match pty
                        .master
                        .write(self.batch.get(written..).unwrap_or_default())
                    {
                        Ok(n) => written += n,
                        Err(e)
                            if matches!(
                                e.kind(),
                                io::ErrorKind::TimedOut
                                    | io::ErrorKind::WouldBlock
                                    | io::ErrorKind::Interrupted
                            ) =>
                        {
                            // The host is not reading fast enough: wait (that is the backpressure
                            // `--speed max` relies on), but keep answering its commands.
                            continue;
                        }
                        Err(e) => {
                            tracing::info!("simulator: write failed ({e}); host gone");
                            self.host = false;
                            (self.on_event)(DeviceEvent::HostGone);
                            break;
                        }
                    }
                }
            }
            let lines = std::mem::take(&mut self.lines);
            for (end, line) in &lines {
                let delivered = *end <= written;
                match (line, delivered) {
                    (Line::Sample(s), true) => {
                        self.report.sent += 1;
                        if let Some(log) = &mut self.sent_log {
                            log.write_sample(s)?;
                        }
                    }
                    (Line::Sample(_), false) => self.report.not_delivered += 1,
                    (Line::Corrupted, true) => self.report.corrupted += 1,
                    (Line::Corrupted, false) => self.report.not_delivered += 1,
                    (Line::Garbage, true) => self.report.garbage_lines += 1,
                    _ => {}
                }
            }
            self.lines = lines;
            self.lines.clear();
            self.batch.clear();
            Ok(())
        }

        /// Waits until `until` (real time), keeping the port serviced.
        fn wait_until(&mut self, until: Instant) -> io::Result<()> {
            self.flush()?;
            loop {
                if self.stopped() {
                    return Ok(());
                }
                let now = Instant::now();
                if now >= until {
                    return Ok(());
                }
                thread::sleep((until - now).min(TICK));
                self.service_commands();
                self.check_host();
                self.flush()?;
            }
        }
    }

    /// Runs the simulated device until the day ends or `stop` is set. Errors only when no pty can be
    /// made or a file cannot be written.
    pub fn run_pty(
        opts: &PtyOptions,
        stop: &AtomicBool,
        on_event: &mut dyn FnMut(DeviceEvent),
    ) -> io::Result<PtyReport> {
        let rate_hz = if opts.rate_hz.is_finite() {
            opts.rate_hz.clamp(25.0, 1000.0)
        } else {
            100.0
        };
        let sim = Simulator::new(
            opts.script
                .clone()
                .unwrap_or_else(|| Script::random_day(opts.minutes, opts.seed)),
            SimOptions {
                rate_hz,
                seed: opts.seed,
                mount: opts.mount,
                // A device numbers every slot; the fault options model losses explicitly.
                dropout_prob: 0.0,
                ..Default::default()
            },
        );
        let calibration = sim.script().calibration_windows().map(|w| w.to_string());
        let sent_log = match &opts.sent {
            Some(path) => {
                let mut meta = session_meta(&sim, opts.seed);
                meta.calibration_windows = None;
                let file = File::create(path)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
                Some(SessionWriter::new(BufWriter::new(file), &meta)?)
            }
            None => None,
        };
        let mut device = Device {
            opts,
            stop,
            on_event,
            pty: None,
            host: false,
            identity: DeviceIdentity {
                protocol_version: 1,
                firmware: format!("spinewatch-sim-{}", env!("CARGO_PKG_VERSION")),
                model: "SIMULATED".into(),
                acc_range_g: 8,
                gyro_range_dps: 1000,
                rate_hz: rate_hz.round() as u16,
                battery_pct: None,
            },
            decoder: Decoder::new(DecoderSettings::default()),
            batch: Vec::with_capacity(BATCH_MAX + 256),
            lines: Vec::new(),
            read_buf: vec![0u8; 4096],
            sent_log,
            first_sent_us: None,
            report: PtyReport::default(),
            calibration,
        };
        device.open_pty(false)?;

        // Like a native-USB board waiting in `while (!Serial)`: start when a host opens the port.
        while !device.host && !device.stopped() {
            device.check_host();
            if !device.host {
                thread::sleep(Duration::from_millis(10));
            }
        }
        device.flush()?;

        let mut faults_rng = Rng::stream(opts.seed, 0x5157);
        let mut pauses = opts.faults.pauses.clone();
        let mut disconnects = opts.faults.disconnects.clone();
        pauses.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
        disconnects.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
        let mut next_garbage_s = opts.faults.garbage_every_s.filter(|g| *g > 0.0);
        // Wall-clock anchor: stream time `origin_s` was due at `origin_at`.
        let mut origin_at = Instant::now();
        let mut origin_s = 0.0f64;
        let mut last_service = Instant::now();
        let mut skip_until_s: Option<f64> = None;
        // The sample slot and stream time (s) the device's counters count from (a reboot moves
        // them to the first sample after it), and whether a reboot waits for that sample.
        let (mut boot_index, mut boot_t) = (0usize, 0.0f64);
        let mut rebooting = false;
        let mut frame = SampleFrame {
            seq: Some(0),
            device_time_us: Some(0),
            accel_g: [0.0; 3],
            gyro_dps: [0.0; 3],
            format: LineFormat::Sw1,
        };

        for (index, (sample, _truth)) in sim.enumerate() {
            if device.stopped() {
                break;
            }
            let t = sample.t_s;
            device.report.duration_s = t;

            // Pacing.
            if let Speed::Factor(f) = opts.speed {
                let due = origin_at + secs((t - origin_s) / f);
                if due > Instant::now() {
                    device.wait_until(due)?;
                }
            }
            if last_service.elapsed() >= TICK || device.batch.len() >= BATCH_MAX {
                device.service_commands();
                device.check_host();
                device.flush()?;
                last_service = Instant::now();
            }

            // Pauses and disconnects (each starts at the first sample at or after its start).
            if let Some(p) = pauses.first().copied()
                && t >= p.start_s
            {
                pauses.remove(0);
                let real = match opts.speed {
                    Speed::Factor(f) => p.duration_s / f,
                    Speed::Max => p.duration_s,
                };
                device.wait_until(Instant::now() + secs(real))?;
                skip_until_s = Some(skip_until_s.unwrap_or(0.0).max(p.start_s + p.duration_s));
                origin_at = Instant::now();
                origin_s = p.start_s + p.duration_s;
            }
            if let Some(d) = disconnects.first().copied()
                && t >= d.start_s
            {
                disconnects.remove(0);
                device.flush()?;
                device.close_pty();
                device.report.disconnects += 1;
                (device.on_event)(DeviceEvent::Unplugged { at_s: t });
                let real = match opts.speed {
                    Speed::Factor(f) => d.duration_s / f,
                    Speed::Max => d.duration_s,
                };
                let until = Instant::now() + secs(real);
                while Instant::now() < until && !device.stopped() {
                    thread::sleep(TICK);
                }
                device.open_pty(true)?;
                if matches!(opts.speed, Speed::Max) {
                    // As fast as the host reads: with no host yet there is no reading, so wait for
                    // it as at the start (at a real pace the device streams on regardless).
                    device.host = false;
                    while !device.host && !device.stopped() {
                        device.check_host();
                        if !device.host {
                            thread::sleep(Duration::from_millis(10));
                        }
                    }
                }
                rebooting = opts.faults.reboot_on_replug;
                skip_until_s = Some(skip_until_s.unwrap_or(0.0).max(d.start_s + d.duration_s));
                origin_at = Instant::now();
                origin_s = d.start_s + d.duration_s;
            }
            if let Some(until) = skip_until_s {
                if t < until {
                    device.report.skipped += 1;
                    continue;
                }
                skip_until_s = None;
            }

            if let Some(g) = next_garbage_s
                && t >= g
                && let Some(every) = opts.faults.garbage_every_s
            {
                next_garbage_s = Some(g + every);
                let len = 8 + faults_rng.below(33) as usize;
                for _ in 0..len {
                    device.batch.push(0x80 | (faults_rng.next_u64() as u8));
                }
                device.batch.extend_from_slice(b"\r\n");
                device.lines.push((device.batch.len(), Line::Garbage));
            }

            if rebooting {
                rebooting = false;
                (boot_index, boot_t) = (index, t);
            }
            if opts.faults.drop_prob > 0.0 && faults_rng.chance(opts.faults.drop_prob) {
                device.report.dropped += 1;
                continue;
            }
            // Sequence number: the sample slot since boot (it wraps like the device's u32
            // counter); the clock: microseconds since boot.
            let device_us = DEVICE_BOOT_US + ((t - boot_t) * 1e6).round() as u64;
            let stream_us = (t * 1e6).round() as u64;
            frame.seq = Some((index - boot_index) as u32);
            frame.device_time_us = Some(device_us);
            frame.accel_g = sample.accel_g.into();
            frame.gyro_dps = sample.gyro_dps.into();
            let start = device.batch.len();
            encode_sample(&frame, &mut device.batch);
            let corrupt = opts.faults.corrupt_checksum_prob > 0.0
                && faults_rng.chance(opts.faults.corrupt_checksum_prob);
            if corrupt {
                // The last CRC digit, just before CR LF: a different hex digit.
                let at = device.batch.len().saturating_sub(3);
                if let Some(b) = device.batch.get_mut(at) {
                    *b = if *b == b'0' { b'1' } else { b'0' };
                }
                device.lines.push((device.batch.len(), Line::Corrupted));
            } else {
                let base = *device.first_sent_us.get_or_insert(stream_us);
                let wire_sample = ImuSample::new(
                    stream_us.saturating_sub(base) as f64 * 1e-6,
                    frame
                        .accel_g
                        .map(|v| wire(v, ACCEL_DECIMALS, ACCEL_LIMIT_G)),
                    frame
                        .gyro_dps
                        .map(|v| wire(v, GYRO_DECIMALS, GYRO_LIMIT_DPS)),
                );
                device
                    .lines
                    .push((device.batch.len(), Line::Sample(wire_sample)));
            }
            debug_assert!(device.batch.len() > start);
        }
        device.flush()?;
        // The day is over: stay open briefly so the host reads what is in flight.
        device.wait_until(Instant::now() + opts.linger)?;
        if let Some(log) = &mut device.sent_log {
            log.flush()?;
        }
        if let (Some(link), Some(pty)) = (&opts.link, &device.pty)
            && std::fs::read_link(link).is_ok_and(|t| t == Path::new(&pty.path))
        {
            let _ = std::fs::remove_file(link);
        }
        Ok(device.report)
    }
}
