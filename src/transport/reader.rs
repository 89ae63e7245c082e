//! The `serial-reader` thread: opens (or finds) the port, reads bytes, hands them over through
//! lock-free rings, writes commands back, and reopens with a capped backoff when the port goes.
//!
//! It knows nothing about frames (the pipeline thread decodes). Everything it tells the consumer
//! goes through one ordered ring of [`Mark`]s next to the byte ring, so "these bytes, then the
//! port closed, then it reopened" can never be seen out of order.

use std::io::Read;
use std::sync::mpsc::Receiver;
use std::thread;
use std::time::{Duration, Instant};

use ringbuf::HeapProd;
use ringbuf::traits::{Observer, Producer};
use serialport::SerialPort;

use super::ports::{self, Found, PROBE_TIMEOUT, is_transient, open_port};
use crate::protocol::{Command, encode_command};

/// What the reader tells the consumer, in stream order.
#[derive(Debug)]
pub(crate) enum Mark {
    /// Auto-detecting: probing ports.
    Searching,
    /// The port is open; bytes follow.
    Opened { path: String },
    /// `len` bytes are in the byte ring, read at `at` (host arrival time).
    Bytes { len: usize, at: Instant },
    /// The open port failed (unplugged, closed by the other end); reopening in `retry_in`.
    Lost { reason: String, retry_in: Duration },
    /// Not connected; trying again in `retry_in`. `noisy` names a port that sent bytes but no
    /// valid frames (auto-detect), so the consumer can say "no valid frames" instead.
    Waiting {
        reason: String,
        attempt: u32,
        retry_in: Duration,
        noisy: Option<String>,
    },
}

/// Delay between the attempts of one outage (the time from losing a link that delivered data,
/// or from the start, until a port delivers data again): doubling from `first`, capped at
/// `fast_cap` for the first `fast_for` of the outage and at `cap` after that.
///
/// Why two caps: a wiggling cable or a replug brings the sensor back within seconds, and it must
/// be found within about a second every time (`fast_cap`), while a sensor put away for the day
/// should not have every port probed every second all day (`cap`). Every outage starts again
/// from `first`: the attempts of one outage say nothing about the next.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    pub first: Duration,
    pub fast_cap: Duration,
    pub fast_for: Duration,
    pub cap: Duration,
}

impl Backoff {
    /// The wait before the next try, after the `attempt`-th failure (from 1) of an outage that
    /// began `outage` ago.
    fn delay(&self, attempt: u32, outage: Duration) -> Duration {
        let cap = if outage < self.fast_for {
            self.fast_cap
        } else {
            self.cap
        };
        let doublings = attempt.saturating_sub(1).min(16);
        self.first.saturating_mul(1 << doublings).min(cap)
    }
}

pub(crate) struct ReaderConfig {
    /// `None`: auto-detect (and re-detect after every loss, since the sensor may come back on
    /// another path).
    pub port: Option<String>,
    pub baud: u32,
    pub backoff: Backoff,
    pub probe_timeout: Duration,
}

impl ReaderConfig {
    pub fn new(port: Option<String>, baud: u32) -> Self {
        Self {
            port,
            baud,
            backoff: Backoff {
                first: Duration::from_millis(250),
                fast_cap: Duration::from_secs(1),
                fast_for: Duration::from_secs(60),
                cap: Duration::from_secs(5),
            },
            probe_timeout: PROBE_TIMEOUT,
        }
    }
}

/// After a read shorter than this many bytes the reader waits [`COALESCE`] before reading again.
const COALESCE_BELOW: usize = 1024;
/// Up to 4 ms more latency (nothing, for posture) for a quarter of the wake-ups at 1 kHz. The
/// kernel buffers the port meanwhile (4 ms at 1 kHz is about 300 bytes).
const COALESCE: Duration = Duration::from_millis(4);

pub(crate) struct Reader {
    pub config: ReaderConfig,
    pub bytes: HeapProd<u8>,
    pub marks: HeapProd<Mark>,
    pub commands: Receiver<Vec<u8>>,
}

/// Why the reader stopped reading a port.
enum Stop {
    /// The consumer is gone: end the thread.
    Shutdown,
    /// The port failed; reconnect. `delivered`: bytes came from it first, so the link was
    /// healthy and this loss begins a new outage (a port that opens and fails without a byte,
    /// a flapping one, continues the old outage and its backoff).
    Lost { reason: String, delivered: bool },
}

impl Reader {
    /// The consumer dropped its ends of the rings.
    fn consumer_gone(&self) -> bool {
        !self.bytes.read_is_held() || !self.marks.read_is_held()
    }

    /// Runs until the consumer goes away.
    pub fn run(mut self) {
        // Failed tries in the current outage, and when it began.
        let mut attempt = 0u32;
        let mut outage_since = Instant::now();
        loop {
            if self.consumer_gone() {
                return;
            }
            let opened = match self.config.port.clone() {
                Some(path) => open_port(&path, self.config.baud)
                    .map(|port| Found {
                        path,
                        port,
                        early: Vec::new(),
                        at: Instant::now(),
                    })
                    .map_err(|e| (e, None)),
                None => {
                    if attempt == 0 && self.mark(Mark::Searching).is_err() {
                        return;
                    }
                    self.detect()
                }
            };
            match opened {
                Ok(found) => {
                    match self.stream(found) {
                        Stop::Shutdown => return,
                        Stop::Lost { reason, delivered } => {
                            if delivered {
                                attempt = 0;
                                outage_since = Instant::now();
                            }
                            attempt = attempt.saturating_add(1);
                            // Give the device a moment (a replug enumerates in ~0.2–1 s).
                            let wait = self.config.backoff.delay(attempt, outage_since.elapsed());
                            let lost = Mark::Lost {
                                reason,
                                retry_in: wait,
                            };
                            if self.mark(lost).is_err() || self.sleep(wait).is_err() {
                                return;
                            }
                        }
                    }
                }
                Err((reason, noisy)) => {
                    attempt = attempt.saturating_add(1);
                    let retry_in = self.config.backoff.delay(attempt, outage_since.elapsed());
                    let mark = Mark::Waiting {
                        reason,
                        attempt,
                        retry_in,
                        noisy,
                    };
                    if self.mark(mark).is_err() || self.sleep(retry_in).is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// Probes every listed port; the error names what was tried.
    fn detect(&mut self) -> Result<Found, (String, Option<String>)> {
        let paths: Vec<String> = ports::list_ports().into_iter().map(|p| p.path).collect();
        if paths.is_empty() {
            return Err(("no serial ports (is the sensor plugged in?)".into(), None));
        }
        let (found, results) =
            ports::probe_keep(&paths, self.config.baud, self.config.probe_timeout, true);
        if let Some(found) = found {
            return Ok(found);
        }
        let noisy = results
            .iter()
            .find(|r| {
                matches!(
                    r.answer,
                    ports::ProbeAnswer::NoValidFrames { .. }
                        | ports::ProbeAnswer::OtherProtocol { .. }
                )
            })
            .map(|r| r.path.clone());
        let tried: Vec<String> = results
            .iter()
            .map(|r| format!("{}: {}", r.path, r.answer))
            .collect();
        Err((format!("no sensor found ({})", tried.join("; ")), noisy))
    }

    /// Sleeps `d` in short slices so a dropped consumer ends the thread promptly.
    fn sleep(&self, d: Duration) -> Result<(), ()> {
        let end = Instant::now() + d;
        loop {
            if self.consumer_gone() {
                return Err(());
            }
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            thread::sleep(left.min(Duration::from_millis(50)));
        }
    }

    /// Queues a mark, waiting while the ring is full. `Err` when the consumer is gone.
    fn mark(&mut self, mut mark: Mark) -> Result<(), ()> {
        loop {
            match self.marks.try_push(mark) {
                Ok(()) => return Ok(()),
                Err(back) => {
                    if self.consumer_gone() {
                        return Err(());
                    }
                    mark = back;
                    thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }

    /// Hands `data` over, waiting while the byte ring is full (the consumer is behind; waiting
    /// here pushes back on the port instead of losing bytes).
    fn hand_over(&mut self, mut data: &[u8], at: Instant) -> Result<(), ()> {
        while !data.is_empty() {
            let n = self.bytes.push_slice(data);
            if n > 0 {
                self.mark(Mark::Bytes { len: n, at })?;
                data = data.get(n..).unwrap_or_default();
            } else {
                if self.consumer_gone() {
                    return Err(());
                }
                thread::sleep(Duration::from_millis(1));
            }
        }
        Ok(())
    }

    /// Reads the open port until it fails or the consumer goes away.
    fn stream(&mut self, found: Found) -> Stop {
        let mut delivered = !found.early.is_empty();
        let lost = |reason: String, delivered: bool| Stop::Lost { reason, delivered };
        let Found {
            path,
            mut port,
            early,
            at,
        } = found;
        if self.mark(Mark::Opened { path: path.clone() }).is_err() {
            return Stop::Shutdown;
        }
        if self.hand_over(&early, at).is_err() {
            return Stop::Shutdown;
        }
        // Many boards reset when the port opens and print their identity; others do not, so
        // ask (firmware-protocol.md, 3.3). A probe asked already.
        if early.is_empty() {
            let mut id = Vec::new();
            encode_command(&Command::Identify, &mut id);
            if let Err(e) = write_command(port.as_mut(), &id) {
                return lost(e, delivered);
            }
        }
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            if self.consumer_gone() {
                return Stop::Shutdown;
            }
            while let Ok(command) = self.commands.try_recv() {
                if let Err(e) = write_command(port.as_mut(), &command) {
                    return lost(e, delivered);
                }
            }
            match port.read(&mut buf) {
                Ok(0) => return lost("port closed by the device".into(), delivered),
                Ok(n) => {
                    delivered = true;
                    let at = Instant::now();
                    if self
                        .hand_over(buf.get(..n).unwrap_or_default(), at)
                        .is_err()
                    {
                        return Stop::Shutdown;
                    }
                    if n < COALESCE_BELOW {
                        // A trickle (a USB device delivers each line as it is printed): let a few
                        // lines gather instead of waking up for each, 1000 times a second at 1 kHz.
                        thread::sleep(COALESCE);
                    }
                }
                Err(e) if is_transient(&e) => {}
                Err(e) => return lost(describe_read_error(&e), delivered),
            }
        }
    }
}

/// Writes one command line; a timeout (output blocked) is logged, not fatal.
fn write_command(port: &mut dyn SerialPort, line: &[u8]) -> Result<(), String> {
    match port.write_all(line) {
        Ok(()) => Ok(()),
        Err(e) if is_transient(&e) => {
            tracing::warn!("serial write timed out; command dropped");
            Ok(())
        }
        Err(e) => Err(describe_read_error(&e)),
    }
}

fn describe_read_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::BrokenPipe => "sensor unplugged (port closed)".into(),
        _ => format!("sensor unplugged or port failed ({e})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_second_then_slows_down_after_a_minute() {
        let b = ReaderConfig::new(None, 115_200).backoff;
        let early = Duration::from_secs(3);
        let ms: Vec<u128> = (1..=8).map(|a| b.delay(a, early).as_millis()).collect();
        assert_eq!(ms, [250, 500, 1000, 1000, 1000, 1000, 1000, 1000]);
        let late = Duration::from_secs(61);
        let ms: Vec<u128> = (1..=8).map(|a| b.delay(a, late).as_millis()).collect();
        assert_eq!(ms, [250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
        assert_eq!(b.delay(u32::MAX, late), Duration::from_secs(5));
    }
}
