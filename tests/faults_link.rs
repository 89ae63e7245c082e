//! Link faults end to end over real pseudo-terminals (issue 11, "Proof it can be left running"):
//! garbage, bit flips, truncated and overlong lines, a wrong baud rate, another device's
//! protocol, and a device streaming 5× the rate it announces.
//!
//! Each test plays the device on the master side of a pty (`serialport::TTYPort::pair()`) with
//! a known byte stream — intact `$SW1` sample lines with the fault mixed in — and reads it with
//! the real [`SerialSource`], as the engine's pipeline thread does. It checks, for each fault:
//!
//! 1. the fault is counted in the link statistics (`SampleSource::link`, which the engine copies
//!    into `Shared::link_stats`), and the window's status text (`app::status`, what the status
//!    bar draws) shows it;
//! 2. every intact sample around the faults arrives, with its values, in order, and nothing
//!    else does (each sample carries its sequence number in its gyro z value, so what arrived
//!    can be matched to what was sent);
//! 3. memory stays bounded: the decoder's line buffer keeps its capacity, and the process's
//!    anonymous resident memory stays flat through a long run of the fault.
//!
//! One more test runs the whole engine on its pipeline thread, as the window does, to check that
//! the status line shows the real rate of a device streaming 5× what it announces.
//!
//! Overlong lines before any sample are in `tests/sensors_link.rs`; here they are mixed with
//! samples, in every shape, and flood the link for megabytes.
//!
//! A wrong baud rate cannot happen on a pty, so the tests emulate it: the device's byte stream
//! becomes UART frames (start bit, 8 data bits LSB first, stop bit, idle line between lines) at
//! the device's rate, sampled as a receiving UART at the host's rate would (start edge, then
//! the middle of each bit), and the bytes that receiver would deliver go down the pty.
//!
//! The tests take a lock: those that measure memory run alone, the others side by side.
#![cfg(target_os = "linux")]

#[path = "common/proc.rs"]
mod proc;

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread;
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};
use spinewatch::app::clock::SystemClock;
use spinewatch::app::engine::StartSource;
use spinewatch::app::notifier::MemoryNotifier;
use spinewatch::app::{Command, Engine, EngineOptions, Paths, Settings, status};
use spinewatch::protocol::{
    DeviceIdentity, LineFormat, MAX_LINE_LEN, SampleFrame, encode_identity, encode_sample,
};
use spinewatch::sample::ImuSample;
use spinewatch::source::serial::{SerialOptions, SerialSource};
use spinewatch::source::{LinkState, LinkStats, SampleSource, SourceEvent};

// ---------------------------------------------------------------------------------------------
// The rig
// ---------------------------------------------------------------------------------------------

static MEMORY: RwLock<()> = RwLock::new(());

/// Shared by tests that do not measure memory.
fn side_by_side() -> RwLockReadGuard<'static, ()> {
    MEMORY.read().unwrap_or_else(|e| e.into_inner())
}

/// Alone: a test that measures the process's memory.
fn alone() -> RwLockWriteGuard<'static, ()> {
    MEMORY.write().unwrap_or_else(|e| e.into_inner())
}

/// SplitMix64: a seeded, reproducible stream of faults.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - p
    }
}

/// The values sample `seq` carries: acceleration in g, rotation rate in deg/s, the sequence
/// number in gyro z (0.01 deg/s per count), so a received sample names the line it came from.
fn values(seq: u32) -> ([f64; 3], [f64; 3]) {
    (
        [f64::from(seq % 5000) * 1e-4, -0.9981, 0.0456],
        [1.25, -0.5, f64::from(seq) * 0.01],
    )
}

/// The `$SW1` sample line of `seq`, device time `seq × period_us`, CR LF included.
fn sample_line(seq: u32, period_us: u64) -> Vec<u8> {
    let (accel_g, gyro_dps) = values(seq);
    let mut out = Vec::new();
    encode_sample(
        &SampleFrame {
            seq: Some(seq),
            device_time_us: Some(1_000_000 + u64::from(seq) * period_us),
            accel_g,
            gyro_dps,
            format: LineFormat::Sw1,
        },
        &mut out,
    );
    out
}

/// The identity line of a device announcing `rate_hz`.
fn identity_line(rate_hz: u16) -> Vec<u8> {
    let mut out = Vec::new();
    encode_identity(
        &DeviceIdentity {
            protocol_version: 1,
            firmware: "faults-1".into(),
            model: "MPU6050".into(),
            acc_range_g: 4,
            gyro_range_dps: 500,
            rate_hz,
            battery_pct: None,
        },
        &mut out,
    );
    out
}

/// The sequence number a received sample carries, checked against the values sent with it.
fn seq_of(s: &ImuSample) -> u32 {
    let seq = (s.gyro_dps.z * 100.0).round() as u32;
    let (accel_g, gyro_dps) = values(seq);
    let got_a = [s.accel_g.x, s.accel_g.y, s.accel_g.z];
    let got_g = [s.gyro_dps.x, s.gyro_dps.y, s.gyro_dps.z];
    for (got, sent) in got_a.iter().zip(accel_g).chain(got_g.iter().zip(gyro_dps)) {
        assert!(
            (got - sent).abs() < 1e-9,
            "sample {seq} arrived with {got_a:?} {got_g:?}, was sent as {accel_g:?} {gyro_dps:?}"
        );
    }
    seq
}

/// What the device sends: each chunk of bytes at its offset from the start (after the host has
/// opened the port and sent its `ID`).
type Script = Vec<(Duration, Vec<u8>)>;

/// `units` one after another, `spacing` apart.
fn paced(units: Vec<Vec<u8>>, spacing: Duration) -> Script {
    units
        .into_iter()
        .enumerate()
        .map(|(i, u)| (spacing * u32::try_from(i).unwrap_or(u32::MAX), u))
        .collect()
}

/// The device end of a pty, playing a script from its own thread.
struct Device {
    path: String,
    written: Arc<AtomicU64>,
    finished: Arc<AtomicBool>,
    started: Arc<OnceLock<Instant>>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Device {
    fn play(script: Script) -> Device {
        let (mut master, slave) =
            TTYPort::pair().unwrap_or_else(|e| panic!("pseudo-terminal: {e}"));
        let path = slave.name().unwrap_or_else(|| panic!("pty has no name"));
        drop(slave);
        master
            .set_timeout(Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("timeout: {e}"));
        let written = Arc::new(AtomicU64::new(0));
        let finished = Arc::new(AtomicBool::new(false));
        let started = Arc::new(OnceLock::new());
        let stop = Arc::new(AtomicBool::new(false));
        let (w, f, s, st) = (
            Arc::clone(&written),
            Arc::clone(&finished),
            Arc::clone(&started),
            Arc::clone(&stop),
        );
        let thread = thread::Builder::new()
            .name("test-device".into())
            .spawn(move || {
                // The host opens the port and sends `ID`: nothing before is heard.
                let end = Instant::now() + Duration::from_secs(10);
                while Instant::now() < end && !matches!(master.bytes_to_read(), Ok(n) if n > 0) {
                    thread::sleep(Duration::from_millis(2));
                }
                let mut sink = [0u8; 256];
                let _ = master.read(&mut sink);
                let start = Instant::now();
                let _ = s.set(start);
                for (due, bytes) in script {
                    if let Some(wait) = (start + due).checked_duration_since(Instant::now()) {
                        thread::sleep(wait);
                    }
                    master
                        .write_all(&bytes)
                        .unwrap_or_else(|e| panic!("device write: {e}"));
                    w.fetch_add(bytes.len() as u64, Ordering::SeqCst);
                }
                f.store(true, Ordering::SeqCst);
                // Keep the port open (a closed master is an unplug) until the host is done.
                let end = Instant::now() + Duration::from_secs(60);
                while !st.load(Ordering::SeqCst) && Instant::now() < end {
                    if matches!(master.bytes_to_read(), Ok(n) if n > 0) {
                        let _ = master.read(&mut sink);
                    }
                    thread::sleep(Duration::from_millis(10));
                }
            })
            .unwrap_or_else(|e| panic!("device thread: {e}"));
        Device {
            path,
            written,
            finished,
            started,
            stop,
            thread: Some(thread),
        }
    }

    fn done_writing(&self) -> bool {
        self.finished.load(Ordering::SeqCst)
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take()
            && t.join().is_err()
            && !thread::panicking()
        {
            panic!("the device thread panicked");
        }
    }
}

/// What the host saw of one script.
struct Run {
    /// Sample events, with the instant of the poll that delivered them.
    samples: Vec<(Instant, ImuSample)>,
    /// The link state while the device was still sending (at its last chunk).
    state_while_sending: LinkState,
    stats: LinkStats,
    source: SerialSource,
    /// Largest capacity of the decoder's line buffer seen, bytes.
    max_buffer_capacity: usize,
    /// (bytes decoded so far, RssAnon kB), every 100 ms.
    memory: Vec<(u64, u64)>,
    /// Largest number of bytes written by the device but not yet decoded at a poll.
    max_backlog_bytes: u64,
    started: Instant,
}

impl Run {
    fn seqs(&self) -> Vec<u32> {
        self.samples.iter().map(|(_, s)| seq_of(s)).collect()
    }

    /// The status bar's counts and problem sentence for this link, as the window shows them.
    fn status_text(&self, state: &LinkState) -> String {
        let mut parts = status::link_counts(&self.stats);
        parts.extend(status::link_problem(state));
        parts.join("  ·  ")
    }

    /// RssAnon growth, kB, from the first measure after `warm_bytes` were decoded to the
    /// largest after; and the pair for the report.
    fn memory_growth_kb(&self, warm_bytes: u64) -> (u64, u64, u64) {
        let base = self
            .memory
            .iter()
            .find(|(b, _)| *b >= warm_bytes)
            .map_or(0, |m| m.1);
        let max = self
            .memory
            .iter()
            .filter(|(b, _)| *b >= warm_bytes)
            .map(|m| m.1)
            .max()
            .unwrap_or(base);
        (base, max, max.saturating_sub(base))
    }
}

/// Opens the host on `device`'s pty and polls it as the pipeline thread does, until the device
/// has sent everything, the decoder has read it all, and `expected` samples have arrived (or
/// 1.5 s more have passed).
fn run(device: Device, expected: usize) -> Run {
    run_at(device, expected, 115_200)
}

/// [`run`] with the host set to `baud` (a pty ignores it; the status names it).
fn run_at(device: Device, expected: usize, baud: u32) -> Run {
    let mut source = SerialSource::open(SerialOptions {
        port: Some(device.path.clone()),
        baud,
    });
    let start_capacity = source.decoder_buffer_capacity();
    assert!(start_capacity >= MAX_LINE_LEN, "{start_capacity}");
    let mut events = Vec::new();
    let mut samples = Vec::new();
    let mut state_while_sending = None;
    let mut max_buffer_capacity = 0;
    let mut memory = Vec::new();
    let mut last_memory = Instant::now();
    let mut max_backlog_bytes = 0;
    let mut settled_since = None;
    let opened = Instant::now();
    loop {
        let written = device.written.load(Ordering::SeqCst);
        let finished = device.done_writing();
        source.poll(&mut events);
        let now = Instant::now();
        for e in events.drain(..) {
            if let SourceEvent::Sample(s) = e {
                samples.push((now, s));
            }
        }
        let decoded = source.decoder_stats().bytes;
        max_backlog_bytes = max_backlog_bytes.max(written.saturating_sub(decoded));
        max_buffer_capacity = max_buffer_capacity.max(source.decoder_buffer_capacity());
        if now.duration_since(last_memory) >= Duration::from_millis(100) {
            memory.push((decoded, proc::rss_anon_kb()));
            last_memory = now;
        }
        if !finished {
            state_while_sending = Some(source.link().0);
        } else if decoded >= device.written.load(Ordering::SeqCst) {
            let since = *settled_since.get_or_insert(now);
            if samples.len() >= expected || now.duration_since(since) > Duration::from_millis(1500)
            {
                break;
            }
        }
        assert!(
            opened.elapsed() < Duration::from_secs(90),
            "still reading after 90 s: {decoded} of {written} bytes decoded"
        );
        thread::sleep(source.poll_interval());
    }
    memory.push((source.decoder_stats().bytes, proc::rss_anon_kb()));
    let started = device.started.get().copied().unwrap_or(opened);
    let (_, stats) = source.link();
    drop(device);
    Run {
        samples,
        state_while_sending: state_while_sending.unwrap_or(LinkState::Connecting),
        stats,
        source,
        max_buffer_capacity,
        memory,
        max_backlog_bytes,
        started,
    }
}

/// Intact lines interleaved with faults: the script, and the sequence numbers sent intact.
struct Stream {
    units: Vec<Vec<u8>>,
    intact: Vec<u32>,
    faults: u64,
}

impl Stream {
    /// Starts with the identity of a 1 kHz device (so samples are not held back for it).
    fn new() -> Stream {
        Stream {
            units: vec![identity_line(1000)],
            intact: Vec::new(),
            faults: 0,
        }
    }

    fn intact(&mut self, seq: u32) {
        self.units.push(sample_line(seq, 1000));
        self.intact.push(seq);
    }

    fn fault(&mut self, bytes: Vec<u8>) {
        self.units.push(bytes);
        self.faults += 1;
    }
}

/// The common checks: the intact samples arrived, exactly, in order; the decoder's buffer never
/// grew.
fn assert_intact_delivered(run: &Run, intact: &[u32], what: &str) {
    let got = run.seqs();
    let missing: Vec<u32> = intact
        .iter()
        .copied()
        .filter(|s| !got.contains(s))
        .collect();
    let extra: Vec<u32> = got
        .iter()
        .copied()
        .filter(|s| !intact.contains(s))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: {} intact sent, {} received; missing {missing:?}, made up {extra:?}",
        intact.len(),
        got.len()
    );
    assert_eq!(got, intact, "{what}: out of order");
    assert!(
        run.max_buffer_capacity <= MAX_LINE_LEN.next_power_of_two(),
        "{what}: the decoder's line buffer grew to {} bytes",
        run.max_buffer_capacity
    );
}

// ---------------------------------------------------------------------------------------------
// Garbage, bit flips, truncated lines, overlong lines
// ---------------------------------------------------------------------------------------------

#[test]
fn garbage_between_lines_is_counted_and_every_sample_arrives() {
    let _lock = alone();
    let mut rng = Rng(11);
    let mut stream = Stream::new();
    // Part 1: 600 samples, after one in four a run of 1–64 random bytes without `$` or a line
    // end, followed by CR LF or straight by the next line: exactly one unreadable record each.
    let mut counted_exactly = 0u64;
    for seq in 0..600u32 {
        stream.intact(seq);
        if rng.chance(0.25) {
            let len = 1 + rng.below(64);
            let mut junk: Vec<u8> = (0..len)
                .map(|_| {
                    loop {
                        let b = (rng.next() & 0xFF) as u8;
                        if !matches!(b, b'\r' | b'\n' | b'$') {
                            break b;
                        }
                    }
                })
                .collect();
            // At least one byte no line may hold.
            junk[rng.below(len)] = 0x80 | (rng.next() & 0x7F) as u8;
            if rng.chance(0.5) {
                junk.extend_from_slice(b"\r\n");
            }
            stream.fault(junk);
            counted_exactly += 1;
        }
    }
    // Part 2: 600 more, after one in four 1–200 bytes of anything at all (`$`, CR and LF
    // included), then a line end. A run holding a byte above 0x7F makes at least one
    // unreadable record; one of printable bytes only may read as text, which is ignored.
    for seq in 600..1200u32 {
        stream.intact(seq);
        if rng.chance(0.25) {
            let len = 1 + rng.below(200);
            let mut junk: Vec<u8> = (0..len).map(|_| (rng.next() & 0xFF) as u8).collect();
            if junk.iter().any(|&b| b > 0x7F) {
                counted_exactly += 1;
            }
            junk.extend_from_slice(b"\r\n");
            stream.fault(junk);
        }
    }
    // Part 3: 8 MB of random bytes in 256-byte records (a line end every 256), then samples.
    let flood_records = 32_768usize;
    let mut flood = Vec::with_capacity(flood_records * 256);
    for _ in 0..flood_records {
        let start = flood.len();
        flood.extend((0..254).map(|_| (rng.next() & 0xFF) as u8 | 0x80));
        flood.extend_from_slice(b"\r\n");
        debug_assert_eq!(flood.len() - start, 256);
    }
    let flood_bytes = flood.len() as u64;
    stream.units.push(flood);
    for seq in 1200..1300u32 {
        stream.intact(seq);
    }
    let Stream {
        units,
        intact,
        faults,
    } = stream;
    let run = run(
        Device::play(paced(units, Duration::from_micros(700))),
        intact.len(),
    );
    assert_intact_delivered(&run, &intact, "garbage");
    let decoder = run.source.decoder_stats();
    let (base_kb, max_kb, growth_kb) = run.memory_growth_kb(2 << 20);
    eprintln!(
        "garbage: {} intact samples sent, {} received; {faults} runs of garbage and {} flood \
         records ({flood_bytes} bytes); counted {} unreadable lines, {} checksum failures, \
         {} dropped; decoder buffer {} bytes; RssAnon {base_kb} -> {max_kb} kB (+{growth_kb})",
        intact.len(),
        run.samples.len(),
        flood_records,
        run.stats.malformed_lines,
        run.stats.checksum_failures,
        run.stats.dropped_samples,
        run.max_buffer_capacity,
    );
    assert_eq!(run.stats.dropped_samples, 0, "{:?}", run.stats);
    assert_eq!(run.stats.checksum_failures, 0, "{:?}", run.stats);
    // Every run of garbage is rejected or ignored, the binary ones counted as unreadable, and
    // the flood once per record.
    assert!(
        run.stats.malformed_lines >= counted_exactly + flood_records as u64,
        "{:?} for {counted_exactly} binary runs and {flood_records} flood records",
        run.stats
    );
    assert!(
        decoder.malformed_lines + decoder.ignored_lines >= faults + flood_records as u64,
        "{decoder:?} for {faults} runs"
    );
    let text = run.status_text(&run.source.link().0);
    assert!(
        text.contains(&format!("{} unreadable lines", run.stats.malformed_lines)),
        "status: {text}"
    );
    assert!(
        growth_kb < 2048,
        "RssAnon grew {growth_kb} kB during 8 MB of garbage"
    );
}

#[test]
fn a_flipped_bit_costs_its_own_sample_only() {
    let _lock = side_by_side();
    let mut rng = Rng(22);
    let mut stream = Stream::new();
    let mut previous_flipped = false;
    let mut flips = 0u64;
    for seq in 0..2000u32 {
        // One line in five (never two in a row, never the last) gets one bit flipped somewhere
        // between `$` and `*`, where the CRC covers it.
        if !previous_flipped && seq < 1999 && rng.chance(0.2) {
            let mut line = sample_line(seq, 1000);
            let star = line
                .iter()
                .position(|&b| b == b'*')
                .unwrap_or_else(|| panic!("no checksum"));
            let at = 1 + rng.below(star - 1);
            line[at] ^= 1 << rng.below(8);
            stream.fault(line);
            flips += 1;
            previous_flipped = true;
        } else {
            stream.intact(seq);
            previous_flipped = false;
        }
    }
    let Stream { units, intact, .. } = stream;
    let run = run(
        Device::play(paced(units, Duration::from_micros(1000))),
        intact.len(),
    );
    assert_intact_delivered(&run, &intact, "bit flips");
    let decoder = run.source.decoder_stats();
    eprintln!(
        "bit flips: {} intact sent, {} received; {flips} lines with a flipped bit; counted {} \
         checksum failures, {} malformed lines, {} dropped samples in {} gaps",
        intact.len(),
        run.samples.len(),
        run.stats.checksum_failures,
        run.stats.malformed_lines,
        run.stats.dropped_samples,
        decoder.sequence_gaps,
    );
    // Each flipped line is lost and counted as one dropped sample, no more.
    assert_eq!(run.stats.dropped_samples, flips, "{:?}", run.stats);
    assert_eq!(decoder.sequence_gaps, flips, "{decoder:?}");
    assert_eq!(run.stats.time_jumps, 0, "{:?}", run.stats);
    // Caught by the CRC, or — a flip in the tag, or one that makes a `$`, `*` or line end —
    // by the syntax, split into at most two records.
    let rejected = run.stats.checksum_failures + run.stats.malformed_lines;
    assert!(
        (flips..=2 * flips).contains(&rejected),
        "{rejected} rejected records for {flips} flips: {:?}",
        run.stats
    );
    assert!(
        run.stats.checksum_failures * 10 >= flips * 8,
        "most flips are checksum failures: {:?}",
        run.stats
    );
    let text = run.status_text(&run.source.link().0);
    assert!(
        text.contains(&format!("{flips} dropped"))
            && text.contains(&format!("{} checksum errors", run.stats.checksum_failures)),
        "status: {text}"
    );
}

#[test]
fn a_line_cut_short_costs_its_own_sample_only() {
    let _lock = side_by_side();
    let mut rng = Rng(33);
    let mut stream = Stream::new();
    let mut previous_cut = false;
    let (mut cuts, mut run_on) = (0u64, 0u64);
    for seq in 0..2000u32 {
        if !previous_cut && seq < 1999 && rng.chance(0.2) {
            // Cut anywhere from just after `$` to one checksum digit short; then a line end,
            // or (the device reset mid-line) straight the next line.
            let mut line = sample_line(seq, 1000);
            let keep = 1 + rng.below(line.len() - 3);
            line.truncate(keep);
            if rng.chance(0.5) {
                line.extend_from_slice(b"\r\n");
            } else {
                run_on += 1;
            }
            stream.fault(line);
            cuts += 1;
            previous_cut = true;
        } else {
            stream.intact(seq);
            previous_cut = false;
        }
    }
    let Stream { units, intact, .. } = stream;
    let run = run(
        Device::play(paced(units, Duration::from_micros(1000))),
        intact.len(),
    );
    assert_intact_delivered(&run, &intact, "truncated lines");
    eprintln!(
        "truncated lines: {} intact sent, {} received; {cuts} lines cut short ({run_on} running \
         into the next); counted {} malformed lines, {} checksum failures, {} dropped",
        intact.len(),
        run.samples.len(),
        run.stats.malformed_lines,
        run.stats.checksum_failures,
        run.stats.dropped_samples,
    );
    assert_eq!(run.stats.malformed_lines, cuts, "{:?}", run.stats);
    assert_eq!(run.stats.checksum_failures, 0, "{:?}", run.stats);
    assert_eq!(run.stats.dropped_samples, cuts, "{:?}", run.stats);
    let text = run.status_text(&run.source.link().0);
    assert!(
        text.contains(&format!("{cuts} unreadable lines")),
        "status: {text}"
    );
}

#[test]
fn overlong_lines_among_samples_are_counted_and_memory_stays_flat() {
    let _lock = alone();
    let mut rng = Rng(44);
    let mut stream = Stream::new();
    let (mut overlong, mut lost_samples) = (0u64, 0u64);
    let mut seq = 0u32;
    while seq < 1500 {
        stream.intact(seq);
        seq += 1;
        if rng.chance(0.1) {
            let len = MAX_LINE_LEN + 1 + rng.below(8000);
            let junk = |rng: &mut Rng| -> Vec<u8> {
                (0..len)
                    .map(|_| b"0123456789,.- abcxyz"[rng.below(20)])
                    .collect()
            };
            match rng.below(3) {
                // Printable junk, then a line end.
                0 => {
                    let mut l = junk(&mut rng);
                    l.extend_from_slice(b"\r\n");
                    stream.fault(l);
                }
                // A sample line with a field run wild: its sample is lost.
                1 => {
                    let mut l = sample_line(seq, 1000);
                    let digits: Vec<u8> = (0..len).map(|_| b'7').collect();
                    l.splice(7..7, digits);
                    stream.fault(l);
                    seq += 1;
                    lost_samples += 1;
                }
                // Junk whose line end was lost: it ends at the next line's `$`.
                _ => stream.fault(junk(&mut rng)),
            }
            overlong += 1;
        }
    }
    // Then 16 MB in one line without an end, and samples after it.
    let flood_bytes = 16usize << 20;
    stream.fault((0..flood_bytes).map(|i| b"0123456789 "[i % 11]).collect());
    stream.units.push(b"\r\n".to_vec());
    overlong += 1;
    for s in seq..seq + 100 {
        stream.intact(s);
    }
    let Stream { units, intact, .. } = stream;
    let run = run(
        Device::play(paced(units, Duration::from_micros(700))),
        intact.len(),
    );
    assert_intact_delivered(&run, &intact, "overlong lines");
    let decoder = run.source.decoder_stats();
    let (base_kb, max_kb, growth_kb) = run.memory_growth_kb(4 << 20);
    eprintln!(
        "overlong lines: {} intact sent, {} received; {overlong} overlong lines (the last \
         {flood_bytes} bytes); counted {} overlong, {} unreadable in the status, {} dropped; \
         decoder buffer {} bytes; RssAnon {base_kb} -> {max_kb} kB (+{growth_kb})",
        intact.len(),
        run.samples.len(),
        decoder.overlong_lines,
        run.stats.malformed_lines,
        run.stats.dropped_samples,
        run.max_buffer_capacity,
    );
    assert_eq!(decoder.overlong_lines, overlong, "{decoder:?}");
    assert_eq!(run.stats.malformed_lines, overlong, "{:?}", run.stats);
    assert_eq!(run.stats.dropped_samples, lost_samples, "{:?}", run.stats);
    let text = run.status_text(&run.source.link().0);
    assert!(
        text.contains(&format!("{overlong} unreadable lines")),
        "status: {text}"
    );
    assert!(
        growth_kb < 2048,
        "RssAnon grew {growth_kb} kB during a 16 MB line"
    );
}

// ---------------------------------------------------------------------------------------------
// A wrong baud rate
// ---------------------------------------------------------------------------------------------

/// The line level (`true`: mark, the idle level) while `lines` go out as 8N1 UART frames at
/// `device_baud`, each line from its offset (or right after the previous one if that one is
/// still going), idle in between; one entry per device bit time.
fn uart_wave(lines: &[(Duration, Vec<u8>)], device_baud: u32) -> Vec<bool> {
    let mut wave = vec![true; 20];
    for (at, bytes) in lines {
        let start = (at.as_secs_f64() * f64::from(device_baud)) as usize;
        if wave.len() < start {
            wave.resize(start, true);
        }
        for &b in bytes {
            wave.push(false);
            wave.extend((0..8).map(|i| (b >> i) & 1 == 1));
            wave.push(true);
        }
    }
    wave.extend([true; 20]);
    wave
}

/// What a UART receiving `wave` (in device bit times) at `host_baud` delivers: at each falling
/// edge a start bit, confirmed in its middle, then the middle of each data bit, LSB first, and
/// of the stop bit. A byte whose stop bit reads low (a framing error) is delivered as read, as
/// Linux does for a port in raw mode (no `INPCK`). Each byte with the time it completes.
fn uart_receive(wave: &[bool], device_baud: u32, host_baud: u32) -> Vec<(Duration, u8)> {
    let bit = f64::from(device_baud) / f64::from(host_baud);
    let level = |t: f64| wave.get(t as usize).copied().unwrap_or(true);
    let mut out = Vec::new();
    let mut i = 1usize;
    while i < wave.len() {
        let falling = wave.get(i - 1) == Some(&true) && wave.get(i) == Some(&false);
        let edge = i as f64;
        if !falling || level(edge + 0.5 * bit) {
            i += 1;
            continue;
        }
        let byte = (0..8).fold(0u8, |byte, k| {
            byte | (u8::from(level(edge + (1.5 + f64::from(k)) * bit)) << k)
        });
        let stop_at = edge + 9.5 * bit;
        out.push((
            Duration::from_secs_f64(stop_at / f64::from(device_baud)),
            byte,
        ));
        i = (stop_at.ceil() as usize).max(i + 1);
    }
    out
}

/// What a host at `host_baud` reads from a device sending `lines` at `device_baud`, in 5 ms
/// chunks at the times they complete.
fn garbled(lines: &[(Duration, Vec<u8>)], device_baud: u32, host_baud: u32) -> Script {
    let mut script: Script = Vec::new();
    for (at, byte) in uart_receive(&uart_wave(lines, device_baud), device_baud, host_baud) {
        let slot = Duration::from_millis(5 * (at.as_millis() as u64 / 5));
        match script.last_mut() {
            Some((t, bytes)) if *t == slot => bytes.push(byte),
            _ => script.push((slot, vec![byte])),
        }
    }
    script
}

/// A device's start-up identity and 100 Hz samples, as lines due at their times, for `for_s`
/// seconds of a link at `baud` (a slow link sends them back to back).
fn device_lines(for_s: f64, baud: u32) -> Vec<(Duration, Vec<u8>)> {
    let mut lines = vec![(Duration::ZERO, identity_line(100))];
    let mut bits = 0.0;
    for seq in 0u32.. {
        let at = Duration::from_millis(10 * (u64::from(seq) + 1));
        let line = sample_line(seq, 10_000);
        bits = f64::max(bits, at.as_secs_f64() * f64::from(baud)) + 10.0 * line.len() as f64;
        if bits / f64::from(baud) > for_s {
            break;
        }
        lines.push((at, line));
    }
    lines
}

#[test]
fn the_uart_emulation_at_the_right_rate_is_the_stream_itself() {
    let _lock = side_by_side();
    let lines = device_lines(0.5, 115_200);
    let sent: Vec<u8> = lines.iter().flat_map(|(_, l)| l.clone()).collect();
    let read: Vec<u8> = garbled(&lines, 115_200, 115_200)
        .into_iter()
        .flat_map(|(_, b)| b)
        .collect();
    assert_eq!(read.len(), sent.len());
    assert!(read == sent, "the same rate reads back what was sent");
    let off: Vec<u8> = garbled(&lines, 115_200, 9600)
        .into_iter()
        .flat_map(|(_, b)| b)
        .collect();
    // About one byte per host frame time while the line is busy: far fewer, and not ours.
    assert!(
        off.len() < sent.len() / 4,
        "{} of {}",
        off.len(),
        sent.len()
    );
    assert!(!off.windows(4).any(|w| w == b"$SW1"));
}

/// What one faulty link did, for the report and the checks.
#[derive(Debug)]
struct Outcome {
    name: String,
    bytes: u64,
    samples: usize,
    stats: LinkStats,
    foreign_lines: u64,
    state: LinkState,
    status: String,
}

/// Plays each script on its own pty, all at once (each needs seconds of real time for the link
/// state to settle), and reads each with its own source at the host's baud rate.
fn play_all(cases: Vec<(String, Script, u32)>) -> Vec<Outcome> {
    let threads: Vec<_> = cases
        .into_iter()
        .map(|(name, script, host_baud)| {
            thread::Builder::new()
                .name(format!("test-{name}"))
                .spawn(move || {
                    let run = run_at(Device::play(script), usize::MAX, host_baud);
                    let state = run.state_while_sending.clone();
                    Outcome {
                        status: run.status_text(&state),
                        bytes: run.source.decoder_stats().bytes,
                        samples: run.samples.len(),
                        stats: run.stats,
                        foreign_lines: run.source.decoder_stats().foreign_lines,
                        state,
                        name,
                    }
                })
                .unwrap_or_else(|e| panic!("thread: {e}"))
        })
        .collect();
    threads
        .into_iter()
        .map(|t| {
            t.join()
                .unwrap_or_else(|_| panic!("a link thread panicked"))
        })
        .collect()
}

#[test]
fn a_wrong_baud_rate_makes_no_samples_and_says_check_the_baud_rate() {
    let _lock = side_by_side();
    let cases = [
        (115_200, 9600),
        (115_200, 57_600),
        (115_200, 230_400),
        (9600, 115_200),
    ];
    let outcomes = play_all(
        cases
            .iter()
            .map(|&(device, host)| {
                let lines = device_lines(2.8, device);
                (
                    format!("device-{device}-host-{host}"),
                    garbled(&lines, device, host),
                    host,
                )
            })
            .collect(),
    );
    for o in &outcomes {
        eprintln!(
            "wrong baud {}: {} bytes read, {} samples, {} frames, {} unreadable lines, {} \
             checksum failures; state {:?}; status: {}",
            o.name,
            o.bytes,
            o.samples,
            o.stats.frames_ok,
            o.stats.malformed_lines,
            o.stats.checksum_failures,
            o.state,
            o.status
        );
    }
    for (o, &(_, host)) in outcomes.iter().zip(&cases) {
        assert!(o.bytes > 100, "{}: the noise arrived: {o:?}", o.name);
        assert_eq!(o.samples, 0, "{}: a made-up sample: {o:?}", o.name);
        assert_eq!(o.stats.frames_ok, 0, "{}: a made-up frame: {o:?}", o.name);
        assert!(
            o.stats.malformed_lines > 0,
            "{}: noise not counted: {o:?}",
            o.name
        );
        assert_eq!(
            o.state,
            LinkState::NoValidFrames { baud: host },
            "{}: {o:?}",
            o.name
        );
        assert!(
            o.status
                .contains(&format!("nothing readable at {host} baud"))
                && o.status.contains("check the baud rate")
                && o.status.contains("unreadable line"),
            "{}: status {}",
            o.name,
            o.status
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Another device's protocol
// ---------------------------------------------------------------------------------------------

/// An NMEA 0183 sentence with its XOR checksum, CR LF.
fn nmea(content: &str) -> Vec<u8> {
    let xor = content.bytes().fold(0u8, |a, b| a ^ b);
    format!("${content}*{xor:02X}\r\n").into_bytes()
}

/// A GPS receiver at 10 Hz for `for_s` seconds: GGA, RMC, GSA and two GSV sentences a fix.
fn gps(for_s: f64) -> (Script, u64) {
    let mut script = Vec::new();
    let mut sentences = 0;
    for fix in 0..(for_s * 10.0) as u32 {
        let t = format!("1235{:02}.{}0", fix / 10 % 60, fix % 10);
        let burst: Vec<Vec<u8>> = vec![
            nmea(&format!(
                "GPGGA,{t},4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"
            )),
            nmea(&format!(
                "GPRMC,{t},A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W"
            )),
            nmea("GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1"),
            nmea("GPGSV,2,1,08,01,40,083,46,02,17,308,41,12,07,344,39,14,22,228,45"),
            nmea("GPGSV,2,2,08,15,11,090,40,17,54,167,44,22,31,292,42,24,62,045,47"),
        ];
        sentences += burst.len() as u64;
        script.push((Duration::from_millis(100 * u64::from(fix)), burst.concat()));
    }
    (script, sentences)
}

/// A u-blox receiver's binary UBX stream at 10 Hz: NAV-PVT (92-byte payload) and NAV-STATUS
/// frames, sync `B5 62`, Fletcher checksum.
fn ubx(for_s: f64, rng: &mut Rng) -> Script {
    let frame = |class: u8, id: u8, payload: &[u8]| {
        let len = u16::try_from(payload.len()).unwrap_or(0).to_le_bytes();
        let mut body = vec![class, id, len[0], len[1]];
        body.extend_from_slice(payload);
        let (a, b) = body.iter().fold((0u8, 0u8), |(a, b), &x| {
            let a = a.wrapping_add(x);
            (a, b.wrapping_add(a))
        });
        let mut out = vec![0xB5, 0x62];
        out.extend(body);
        out.extend([a, b]);
        out
    };
    (0..(for_s * 10.0) as u64)
        .map(|k| {
            let pvt: Vec<u8> = (0..92).map(|_| (rng.next() & 0xFF) as u8).collect();
            let status: Vec<u8> = (0..16).map(|_| (rng.next() & 0xFF) as u8).collect();
            let mut burst = frame(0x01, 0x07, &pvt);
            burst.extend(frame(0x01, 0x03, &status));
            (Duration::from_millis(100 * k), burst)
        })
        .collect()
}

/// A MAVLink v1 autopilot at 50 Hz: HEARTBEAT (9-byte payload) and ATTITUDE (28 bytes)
/// packets, start byte `FE`.
fn mavlink(for_s: f64, rng: &mut Rng) -> Script {
    let mut seq = 0u8;
    let mut packet = |msg: u8, len: usize, rng: &mut Rng| {
        let mut out = vec![0xFE, u8::try_from(len).unwrap_or(0), seq, 1, 1, msg];
        seq = seq.wrapping_add(1);
        out.extend((0..len + 2).map(|_| (rng.next() & 0xFF) as u8));
        out
    };
    (0..(for_s * 50.0) as u64)
        .map(|k| {
            let mut burst = packet(30, 28, rng);
            if k % 50 == 0 {
                burst.extend(packet(0, 9, rng));
            }
            (Duration::from_millis(20 * k), burst)
        })
        .collect()
}

#[test]
fn another_devices_protocol_is_not_taken_for_samples_and_is_named() {
    let _lock = side_by_side();
    let mut rng = Rng(55);
    let (gps_script, sentences) = gps(2.8);
    let outcomes = play_all(vec![
        ("nmea-gps".to_string(), gps_script, 115_200),
        ("ublox-ubx".to_string(), ubx(2.8, &mut rng), 115_200),
        ("mavlink".to_string(), mavlink(2.8, &mut rng), 115_200),
    ]);
    for o in &outcomes {
        eprintln!(
            "another protocol {}: {} bytes read, {} samples, {} frames, {} unreadable lines \
             ({} NMEA sentences); state {:?}; status: {}",
            o.name,
            o.bytes,
            o.samples,
            o.stats.frames_ok,
            o.stats.malformed_lines,
            o.foreign_lines,
            o.state,
            o.status
        );
        assert!(o.bytes > 1000, "{}: {o:?}", o.name);
        assert_eq!(o.samples, 0, "{}: a made-up sample: {o:?}", o.name);
        assert_eq!(o.stats.frames_ok, 0, "{}: a made-up frame: {o:?}", o.name);
        assert!(
            o.stats.malformed_lines > 0,
            "{}: not counted: {o:?}",
            o.name
        );
    }
    let [gps, ubx, mav] = &outcomes[..] else {
        panic!("three outcomes expected");
    };
    // The GPS is readable: every sentence counted, and the status names the wrong device.
    assert_eq!(gps.foreign_lines, sentences, "{gps:?}");
    assert_eq!(gps.stats.malformed_lines, sentences, "{gps:?}");
    assert_eq!(
        gps.state,
        LinkState::OtherProtocol { baud: 115_200 },
        "{gps:?}"
    );
    assert!(
        gps.status.contains("not a spinewatch sensor")
            && gps
                .status
                .contains(&format!("{sentences} unreadable lines")),
        "status: {}",
        gps.status
    );
    // Binary protocols are unreadable bytes: the baud rate, or the wrong port.
    for o in [ubx, mav] {
        assert_eq!(o.foreign_lines, 0, "{o:?}");
        assert_eq!(o.state, LinkState::NoValidFrames { baud: 115_200 }, "{o:?}");
        assert!(
            o.status.contains("check the baud rate")
                && o.status.contains("whether this port is the sensor"),
            "{}: status {}",
            o.name,
            o.status
        );
    }
}

// ---------------------------------------------------------------------------------------------
// A device streaming 5× its announced rate
// ---------------------------------------------------------------------------------------------

#[test]
fn a_device_streaming_five_times_its_announced_rate_loses_nothing_and_keeps_up() {
    let _lock = side_by_side();
    // Announces 100 Hz, sends 500 Hz for 4 s, its clock stepping 2 ms a sample.
    const SAMPLES: u32 = 2000;
    let period = Duration::from_millis(2);
    let mut units = vec![identity_line(100)];
    units.extend((0..SAMPLES).map(|seq| sample_line(seq, 2000)));
    let run = run(Device::play(paced(units, period)), SAMPLES as usize);
    let intact: Vec<u32> = (0..SAMPLES).collect();
    assert_intact_delivered(&run, &intact, "5x rate");
    assert_eq!(run.stats.dropped_samples, 0, "{:?}", run.stats);
    assert_eq!(run.stats.time_jumps, 0, "{:?}", run.stats);
    assert_eq!(run.stats.malformed_lines + run.stats.checksum_failures, 0);

    // Timed by the device's clock: 2 ms apart exactly, 500 Hz, whatever was announced.
    let times: Vec<f64> = run.samples.iter().map(|(_, s)| s.t_s).collect();
    let worst_step_error_s = times
        .windows(2)
        .map(|w| (w[1] - w[0] - 0.002).abs())
        .fold(0.0, f64::max);
    let span_s = times.last().copied().unwrap_or(0.0) - times.first().copied().unwrap_or(0.0);
    let real_rate_hz = f64::from(SAMPLES - 1) / span_s;
    assert!(
        worst_step_error_s < 2e-6,
        "steps off by {worst_step_error_s} s"
    );
    assert!((real_rate_hz - 500.0).abs() < 0.01, "{real_rate_hz} Hz");
    // The stated rate stays what the device said; the window shows the measured one first
    // (`app::status::status_line`, unit-tested there).
    assert_eq!(run.source.info().rate_hz, Some(100.0));

    // Latency: from when the device wrote a line to the poll that delivered it. No backlog
    // that grows: the last second is no later than the first.
    let latency_s: Vec<f64> = run
        .samples
        .iter()
        .map(|(at, s)| {
            let due = run.started + period * (seq_of(s) + 1);
            at.saturating_duration_since(due).as_secs_f64()
        })
        .collect();
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len().max(1) as f64;
    let first_s = mean(&latency_s[..500]);
    let last_s = mean(&latency_s[latency_s.len() - 500..]);
    let worst_s = latency_s.iter().copied().fold(0.0, f64::max);
    eprintln!(
        "5x rate: {SAMPLES} sent at 500 Hz (announced 100 Hz), {} received, real rate \
         {real_rate_hz:.3} Hz from device time, stated {:?} Hz; latency mean {:.1} ms first \
         second, {:.1} ms last, worst {:.1} ms; backlog at most {} bytes; decoder buffer {} bytes",
        run.samples.len(),
        run.source.info().rate_hz,
        first_s * 1e3,
        last_s * 1e3,
        worst_s * 1e3,
        run.max_backlog_bytes,
        run.max_buffer_capacity,
    );
    // Bounds with room for a busy machine (a backlog that grows would pass them in seconds).
    assert!(
        last_s < first_s + 0.05,
        "latency grew: {first_s} s -> {last_s} s"
    );
    assert!(worst_s < 1.0, "worst latency {worst_s} s");
    // At most about a second of 500 Hz lines waiting, ever (the reader's ring holds 1 MB).
    assert!(
        run.max_backlog_bytes < 32_768,
        "{} bytes behind",
        run.max_backlog_bytes
    );
}

#[test]
fn the_window_shows_the_real_rate_of_a_device_faster_than_it_says() {
    let _lock = side_by_side();
    // The whole engine on its pipeline thread, reading the pty as the app does: announces
    // 100 Hz, sends 500 Hz for 5 s.
    const SAMPLES: u32 = 2500;
    let mut units = vec![identity_line(100)];
    units.extend((0..SAMPLES).map(|seq| sample_line(seq, 2000)));
    let device = Device::play(paced(units, Duration::from_millis(2)));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let paths = Paths::under(dir.path());
    let settings = Settings {
        port: Some(device.path.clone()),
        notifications: false,
        ..Settings::default()
    };
    spinewatch::app::state::save_settings(&paths.settings_file, &settings)
        .unwrap_or_else(|e| panic!("{}: {e}", paths.settings_file.display()));
    let (engine, handle) = Engine::new(
        EngineOptions {
            paths: paths.clone(),
            start: StartSource::Auto,
            replay_batch: 1000,
            persist: false,
            demo_seed: 1,
        },
        Box::new(SystemClock::new()),
        Box::new(MemoryNotifier::default()),
    );
    handle.set_visible(true);
    let thread = engine
        .spawn()
        .unwrap_or_else(|e| panic!("pipeline thread: {e}"));
    let started = Instant::now();
    let mut seen = None;
    while !device.done_writing() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "device still sending"
        );
        thread::sleep(Duration::from_millis(200));
        let now = handle.read(|s| {
            (
                s.measured_rate_hz,
                s.source.rate_hz,
                s.link.clone(),
                s.link_stats,
                status::status_line(s),
            )
        });
        if now.0.is_some() {
            seen = Some(now);
        }
    }
    handle.send(Command::Shutdown);
    thread
        .join()
        .unwrap_or_else(|_| panic!("the pipeline thread panicked"));
    drop(device);
    let (measured, stated, link, stats, line) =
        seen.unwrap_or_else(|| panic!("no rate measured in 5 s"));
    eprintln!(
        "5x rate in the window: measured {measured:?} Hz, stated {stated:?} Hz, {link:?}, \
         {stats:?}; status: {line}"
    );
    let measured = measured.unwrap_or_default();
    assert!((475.0..=525.0).contains(&measured), "{measured} Hz");
    assert_eq!(stated, Some(100.0));
    assert_eq!(link, LinkState::Connected);
    assert_eq!(
        (
            stats.dropped_samples,
            stats.malformed_lines,
            stats.time_jumps
        ),
        (0, 0, 0),
        "{stats:?}"
    );
    assert!(
        line.contains(&format!("{measured:.0} Hz")) && !line.contains("100 Hz"),
        "the status shows the real rate: {line}"
    );
}
