//! The seam between where samples come from (sensor on a serial port, the built-in demo wearer, a
//! recorded session) and the pipeline thread that consumes them.
//!
//! A source is polled, never blocks, and reports its link state so the UI can say "unplugged",
//! "reconnecting" or "no valid frames at 115200 baud" instead of going silent. What a source
//! yields goes to the [`SessionDriver`](crate::session::SessionDriver), whatever the mode.
//!
//! - [`serial`]: a sensor on a serial port (transport + protocol decoder), reconnecting by itself;
//! - [`demo`]: the built-in simulated wearer, paced in real time;
//! - [`replay`]: a recorded session file, paced or as fast as possible, with seek.

pub mod demo;
pub mod replay;
pub mod serial;
pub mod timebase;

use std::time::Duration;

use crate::sample::ImuSample;

/// What kind of source is feeding the pipeline (the UI labels the demo clearly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// The built-in simulated wearer ("Demo sensor").
    Demo,
    /// A sensor on a serial port (or a pseudo-terminal standing in for one).
    Serial,
    /// A recorded session file being replayed.
    Replay,
}

/// Describes the source for the status line.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceInfo {
    pub kind: SourceKind,
    /// Human label: "Demo sensor", "/dev/ttyACM0 — spinewatch-ref 1.0 (MPU6050)", a file name.
    pub label: String,
    /// Port path when serial.
    pub port: Option<String>,
    /// Sample rate the device declares or the source measures, Hz.
    pub rate_hz: Option<f64>,
    /// Battery charge if the device reports it, percent.
    pub battery_pct: Option<f64>,
    /// False when the device sends no timestamps and host arrival time is used instead
    /// (timing jitter then reduces accuracy; the UI says so).
    pub device_time: bool,
    /// The units samples are read in, and how that was decided (`mps2,rads (recognised)`,
    /// `g,dps (protocol)`), for the status line and a recording's `# units=`; `None` when not
    /// known yet or not a sensor.
    pub units: Option<String>,
}

/// State of the link to the sensor.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkState {
    /// Looking for a sensor / opening the port.
    Connecting,
    /// Valid frames are arriving.
    Connected,
    /// Bytes arrive but none form a valid frame (wrong baud, another device).
    NoValidFrames { baud: u32 },
    /// Readable lines arrive, but of another device's protocol (NMEA sentences with valid
    /// checksums, as a GPS sends): the baud rate is right, the device is not a sensor.
    OtherProtocol { baud: u32 },
    /// Open, but nothing has arrived for a while.
    Silent { for_s: f64 },
    /// The device went away (unplugged, port closed), or cannot be opened or found yet; retrying
    /// after `retry_in_s` seconds. `reason` is one line for the wearer ("sensor unplugged",
    /// "/dev/ttyACM0: permission denied (join the dialout group)").
    Reconnecting {
        reason: String,
        attempt: u32,
        retry_in_s: f64,
    },
    /// A finite source (a replayed file) has no more samples.
    Ended,
}

impl std::fmt::Display for LinkState {
    /// One line for a status bar or a log: "connected", "no valid frames at 115200 baud", ….
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connecting => write!(f, "looking for the sensor"),
            Self::Connected => write!(f, "connected"),
            Self::NoValidFrames { baud } => write!(
                f,
                "no valid frames at {baud} baud (wrong baud rate, or not a spinewatch sensor)"
            ),
            Self::OtherProtocol { baud } => write!(
                f,
                "another device's protocol (NMEA) at {baud} baud: not a spinewatch sensor"
            ),
            Self::Silent { for_s } => write!(f, "port open but silent for {for_s:.0} s"),
            Self::Reconnecting {
                reason,
                attempt,
                retry_in_s,
            } => write!(
                f,
                "{reason}; retrying in {retry_in_s:.1} s (attempt {attempt})"
            ),
            Self::Ended => write!(f, "ended"),
        }
    }
}

/// Link counters, cumulative since the source was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    pub frames_ok: u64,
    pub checksum_failures: u64,
    pub malformed_lines: u64,
    /// Samples the device sent that never arrived (sequence-number gaps).
    pub dropped_samples: u64,
    pub time_jumps: u64,
    pub reconnects: u64,
    /// Commands the device acknowledged (`$SW1,A,...`: identify, rate, vibrate).
    pub acks: u64,
    /// Commands the device refused (`$SW1,N,...`).
    pub naks: u64,
}

/// What a poll delivers, in order.
///
/// Order a live source guarantees: `Info` (with the device's rate, the filter's rate hint) comes
/// before the first `Sample` of a connection when the device identifies itself (the serial source
/// holds samples back up to 1 s for it); `Lost` comes after the last sample before a loss, and
/// `Back` right before the first sample after it, whose time is then at least `gap_s` later. On
/// `Back` the consumer restarts the orientation filter (the sensor may have moved meanwhile).
#[derive(Debug, Clone, PartialEq)]
pub enum SourceEvent {
    /// A sample; `t_s` is session time (seconds since the source started), monotonic.
    Sample(ImuSample),
    /// The device went away.
    Lost { t_s: f64, reason: String },
    /// The device is back after `gap_s` seconds.
    Back { t_s: f64, gap_s: f64 },
    /// The device (re)identified itself; the info changed.
    Info(SourceInfo),
    /// A recorded session holds a calibration taken at `t_s` (session metadata form); it
    /// applies to the samples after it (replay only).
    Calibration { t_s: f64, calibration: String },
    /// A finite source (a replayed file) has no more samples; `error` says why it stopped early
    /// (a read error), `None` at the end of the file.
    End { error: Option<String> },
}

/// A place samples come from.
pub trait SampleSource: Send {
    /// Appends whatever arrived since the last poll; never blocks.
    fn poll(&mut self, out: &mut Vec<SourceEvent>);
    /// Current description.
    fn info(&self) -> SourceInfo;
    /// Current link state and counters.
    fn link(&self) -> (LinkState, LinkStats);
    /// Asks the device to vibrate; returns false if it cannot (no device, no motor).
    fn vibrate(&mut self, _duration_ms: u32, _strength_pct: u8) -> bool {
        false
    }
    /// How long the pipeline thread may sleep before polling again.
    fn poll_interval(&self) -> Duration {
        Duration::from_millis(20)
    }
}
