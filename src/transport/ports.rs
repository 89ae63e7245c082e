//! Finding the sensor: listing serial ports (with USB vendor and product) and probing them.
//!
//! serialport is built without libudev (so building needs no system packages). On Linux it then
//! walks `/sys/class/tty` itself and still reads the USB vendor, product, manufacturer and serial
//! number from sysfs, which is all we need; the one thing it does not guard is a missing
//! `/sys/class/tty` (it panics), so [`list_ports`] checks for it first.
//!
//! A probe opens a port, sends `$SW1,C,ID`, and listens for a short while: an identity line, or
//! checksum-valid frames, or a run of legacy sample lines, means a sensor. Probes run in parallel,
//! one named thread per port, so a silent port costs its timeout once, not once per port.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serialport::{SerialPort, SerialPortType};

use crate::protocol::{Command, Decoder, DecoderSettings, DeviceIdentity, Frame, encode_command};

/// Default baud rate of the reference firmware, bits per second.
pub const DEFAULT_BAUD: u32 = 115_200;

/// How long one blocking read waits before the reader checks for commands and shutdown.
/// Short enough that a command goes out within 50 ms, long enough that an idle link wakes the
/// thread only 20 times a second.
pub(crate) const READ_TIMEOUT: Duration = Duration::from_millis(50);

/// How long a probe listens by default. Boards that reset when the port opens (Arduino Uno and
/// Nano with a CH340 or 16U2) sit in their bootloader for up to ~2 s before the sketch prints
/// anything, so anything much shorter misses them.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(2500);

/// Environment variable naming the simulator's stable link (see [`simulator_link_path`]).
pub const SIM_LINK_ENV: &str = "SPINEWATCH_SIM_LINK";

/// A serial port as listed by [`list_ports`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInfo {
    /// Path to open, e.g. `/dev/ttyACM0`, `COM3`, or the simulator's link.
    pub path: String,
    /// One line for people: "Arduino Uno (USB 2341:0043)", "PCI serial port", ….
    pub description: String,
    /// How the port is attached.
    pub kind: PortKind,
    /// USB identification, for USB ports.
    pub usb: Option<UsbId>,
}

/// How a port is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortKind {
    Usb,
    Pci,
    Bluetooth,
    /// The stable link that `spinewatch simulate --pty` keeps pointed at its pseudo-terminal.
    Simulator,
    Other,
}

/// USB vendor/product of a port, as the device reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbId {
    pub vid: u16,
    pub pid: u16,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    pub serial_number: Option<String>,
}

/// What a probed port answered.
#[derive(Debug, Clone, PartialEq)]
pub enum ProbeAnswer {
    /// The device sent its identity line (after our `ID`, or at start-up).
    Identity(DeviceIdentity),
    /// Valid frames arrived (a sensor without identity support, or one that missed the `ID`).
    Frames { count: u64 },
    /// Bytes arrived but none formed a valid frame: wrong baud rate, or another kind of device.
    NoValidFrames { bytes: u64, baud: u32 },
    /// Most lines were another device's protocol (NMEA sentences with valid checksums: a GPS),
    /// so the baud rate is right and the device is not a sensor.
    OtherProtocol { bytes: u64, baud: u32 },
    /// Opened, but nothing arrived within the timeout.
    Silent,
    /// The port could not be opened or read (one line: not found, permission denied, busy).
    Failed(String),
}

impl ProbeAnswer {
    /// True when the port looks like a spinewatch sensor.
    pub fn is_sensor(&self) -> bool {
        matches!(self, Self::Identity(_) | Self::Frames { .. })
    }
}

impl std::fmt::Display for ProbeAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Identity(id) => write!(
                f,
                "sensor: {} {} at {} Hz (answered identify)",
                id.firmware, id.model, id.rate_hz
            ),
            Self::Frames { count } => write!(f, "sensor: {count} valid frames, no identity"),
            Self::NoValidFrames { bytes, baud } => {
                write!(f, "{bytes} bytes but no valid frames at {baud} baud")
            }
            Self::OtherProtocol { bytes, baud } => write!(
                f,
                "{bytes} bytes of another device's data at {baud} baud (NMEA sentences, as a \
                 GPS sends): not a spinewatch sensor"
            ),
            Self::Silent => write!(f, "silent"),
            Self::Failed(why) => write!(f, "{why}"),
        }
    }
}

/// One port's probe result.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeResult {
    pub path: String,
    pub answer: ProbeAnswer,
}

/// The path of the stable link that `spinewatch simulate --pty` keeps pointed at its current
/// pseudo-terminal (what a udev rule gives real hardware): `$SPINEWATCH_SIM_LINK` if set, else
/// `$XDG_RUNTIME_DIR/spinewatch-sim-tty`, else `<temp dir>/spinewatch-sim-tty-<user>`.
/// Auto-detection tries it, so `simulate --pty` in one terminal and `record` in another just work.
pub fn simulator_link_path() -> PathBuf {
    if let Some(p) = std::env::var_os(SIM_LINK_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|p| !p.is_empty()) {
        return PathBuf::from(dir).join("spinewatch-sim-tty");
    }
    let user = std::env::var("USER").unwrap_or_else(|_| "user".into());
    std::env::temp_dir().join(format!("spinewatch-sim-tty-{user}"))
}

/// The stable name the udev rule (`assets/99-spinewatch.rules`) gives the sensor.
pub const UDEV_LINK: &str = "/dev/spinewatch";

/// Puts the stable `link` (a udev symlink) in place of the port it points to, so the sensor is
/// listed, probed and reopened by the name that survives replugging, and never twice (two
/// probes of one device would find each other busy). A link to a port the system did not list
/// (a container without `/sys`) is added as a USB port, which is what the rule matches.
fn merge_stable_link(ports: &mut Vec<PortInfo>, link: &Path) {
    // `canonicalize` follows the link: a stale one (sensor gone) is not listed.
    let Ok(target) = std::fs::canonicalize(link) else {
        return;
    };
    let shown = link.display().to_string();
    let target_text = target.display().to_string();
    let same = |p: &PortInfo| {
        p.path == target_text || std::fs::canonicalize(&p.path).is_ok_and(|t| t == target)
    };
    match ports.iter_mut().find(|p| same(p)) {
        Some(p) => {
            p.description = format!("{} via {}", p.description, p.path);
            p.path = shown;
        }
        None => ports.push(PortInfo {
            path: shown,
            description: format!("spinewatch sensor (udev link to {target_text})"),
            kind: PortKind::Usb,
            usb: None,
        }),
    }
}

/// Lists serial ports: what the operating system reports (the sensor by its udev name,
/// `/dev/spinewatch`, where the rule is installed), plus the simulator's link when a simulator
/// is running. Never fails: a system without serial ports gives an empty list.
pub fn list_ports() -> Vec<PortInfo> {
    let mut ports: Vec<PortInfo> = system_ports()
        .into_iter()
        .map(|p| {
            let (kind, usb) = match p.port_type {
                SerialPortType::UsbPort(u) => (
                    PortKind::Usb,
                    Some(UsbId {
                        vid: u.vid,
                        pid: u.pid,
                        manufacturer: u.manufacturer,
                        product: u.product,
                        serial_number: u.serial_number,
                    }),
                ),
                SerialPortType::PciPort => (PortKind::Pci, None),
                SerialPortType::BluetoothPort => (PortKind::Bluetooth, None),
                SerialPortType::Unknown => (PortKind::Other, None),
            };
            PortInfo {
                description: describe(kind, usb.as_ref()),
                path: p.port_name,
                kind,
                usb,
            }
        })
        .collect();
    merge_stable_link(&mut ports, Path::new(UDEV_LINK));
    let link = simulator_link_path();
    // `metadata` follows the link: a stale link (simulator gone) is not listed.
    if std::fs::metadata(&link).is_ok() {
        let target = std::fs::read_link(&link)
            .map(|t| t.display().to_string())
            .unwrap_or_else(|_| "pseudo-terminal".into());
        ports.push(PortInfo {
            path: link.display().to_string(),
            description: format!("spinewatch simulator ({target})"),
            kind: PortKind::Simulator,
            usb: None,
        });
    }
    // USB first (where sensors are), then the simulator, then the rest; stable by path.
    let rank = |k: PortKind| match k {
        PortKind::Usb => 0,
        PortKind::Simulator => 1,
        PortKind::Bluetooth => 2,
        PortKind::Pci => 3,
        PortKind::Other => 4,
    };
    ports.sort_by(|a, b| {
        rank(a.kind)
            .cmp(&rank(b.kind))
            .then_with(|| natural_key(&a.path).cmp(&natural_key(&b.path)))
    });
    ports
}

fn system_ports() -> Vec<serialport::SerialPortInfo> {
    // serialport's sysfs walk (no libudev) panics when /sys/class/tty is missing (some
    // containers); without it there are no ports to list anyway.
    #[cfg(target_os = "linux")]
    if !std::path::Path::new("/sys/class/tty").is_dir() {
        return Vec::new();
    }
    match serialport::available_ports() {
        Ok(p) => p
            .into_iter()
            .filter(|p| !is_phantom_uart(&p.port_name))
            .collect(),
        Err(e) => {
            tracing::warn!("listing serial ports failed: {e}");
            Vec::new()
        }
    }
}

/// Linux lists 4 to 32 `ttyS` ports whatever the hardware; those whose UART type is 0
/// (`PORT_UNKNOWN` in `/sys/class/tty/ttySn/type`) have no chip behind them. (udev-based listing
/// skips them by trying to open them; without libudev we read the type instead.)
fn is_phantom_uart(path: &str) -> bool {
    if !cfg!(target_os = "linux") {
        return false;
    }
    let Some(name) = path.strip_prefix("/dev/").filter(|n| n.starts_with("ttyS")) else {
        return false;
    };
    std::fs::read_to_string(format!("/sys/class/tty/{name}/type")).is_ok_and(|t| t.trim() == "0")
}

/// `/dev/ttyS10` after `/dev/ttyS9`.
fn natural_key(path: &str) -> (String, u64) {
    let digits = path.len() - path.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (stem, num) = path.split_at(path.len() - digits);
    (stem.to_string(), num.parse().unwrap_or(0))
}

/// Names for the USB-serial chips and boards a hobbyist sensor is most likely built on.
fn known_vendor(vid: u16) -> Option<&'static str> {
    Some(match vid {
        0x2341 | 0x2a03 => "Arduino",
        0x1a86 => "CH340/CH9102 USB-serial",
        0x0403 => "FTDI USB-serial",
        0x10c4 => "Silicon Labs CP210x USB-serial",
        0x303a => "Espressif ESP32",
        0x2e8a => "Raspberry Pi RP2040",
        0x239a => "Adafruit",
        0x1b4f => "SparkFun",
        0x16c0 => "Teensy",
        _ => return None,
    })
}

fn describe(kind: PortKind, usb: Option<&UsbId>) -> String {
    match (kind, usb) {
        (PortKind::Usb, Some(u)) => {
            let name = [u.manufacturer.as_deref(), u.product.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            let name = if name.is_empty() {
                known_vendor(u.vid).unwrap_or("USB serial").to_string()
            } else {
                name
            };
            format!("{name} (USB {:04x}:{:04x})", u.vid, u.pid)
        }
        (PortKind::Pci, _) => "PCI serial port".into(),
        (PortKind::Bluetooth, _) => "Bluetooth serial port".into(),
        (PortKind::Simulator, _) => "spinewatch simulator".into(),
        _ => "serial port".into(),
    }
}

/// Opens `path` for the link: raw 8N1 at `baud`, reads time out after [`READ_TIMEOUT`].
/// Exclusive (the default), so a second spinewatch cannot read half the lines.
///
/// Bytes the kernel buffered before we opened (a previous session's tail, left in a pty or an
/// adapter) are discarded: they are stale and would decode as a burst of old samples followed
/// by a sequence gap.
pub(crate) fn open_port(path: &str, baud: u32) -> Result<Box<dyn SerialPort>, String> {
    let port = serialport::new(path, baud)
        .timeout(READ_TIMEOUT)
        .open()
        .map_err(|e| format!("{path}: {}", describe_open_error(&e)))?;
    if let Err(e) = port.clear(serialport::ClearBuffer::Input) {
        tracing::debug!("{path}: could not discard stale input: {e}");
    }
    Ok(port)
}

/// One line a wearer can act on.
fn describe_open_error(e: &serialport::Error) -> String {
    use serialport::ErrorKind as K;
    use std::io::ErrorKind as Io;
    match e.kind() {
        K::Io(Io::NotFound) => "not found (unplugged?)".into(),
        K::Io(Io::PermissionDenied) => {
            "permission denied (on Linux, join the dialout group and log in again)".into()
        }
        K::NoDevice => "busy (another program has it open) or gone".into(),
        _ => e.to_string(),
    }
}

/// A sensor found by [`probe_keep`], with its port still open (reopening would reset some
/// boards) and the bytes read while probing (so the link loses nothing).
pub(crate) struct Found {
    pub path: String,
    pub port: Box<dyn SerialPort>,
    pub early: Vec<u8>,
    pub at: Instant,
}

/// Decides when a probe has heard enough.
struct Verdict {
    decoder: Decoder,
    checksummed: u64,
    /// `$SW1` samples among the decoder's sample lines.
    sw1_samples: u64,
    legacy_samples: u64,
    identity: Option<DeviceIdentity>,
}

impl Verdict {
    fn new() -> Self {
        Self {
            decoder: Decoder::new(DecoderSettings::default()),
            checksummed: 0,
            sw1_samples: 0,
            legacy_samples: 0,
            identity: None,
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        let Self {
            decoder,
            checksummed,
            sw1_samples,
            legacy_samples,
            identity,
        } = self;
        decoder.push(bytes, &mut |frame| match frame {
            Frame::Identity(id) => {
                *checksummed += 1;
                *identity = Some(id);
            }
            Frame::Sample(s) if !s.format.is_checksummed() => {}
            Frame::Sample(_) => {
                *checksummed += 1;
                *sw1_samples += 1;
            }
            _ => *checksummed += 1,
        });
        // Plain sample lines count as they parse, also those held back while their units are
        // recognised: the probe asks "is this a sensor?", not "in which units?".
        *legacy_samples = decoder.stats().sample_lines.saturating_sub(*sw1_samples);
    }

    /// Legacy lines carry no checksum, so noise can pass as one now and then: ask for a run of
    /// them, outnumbering the malformed lines.
    fn legacy_ok(&self) -> bool {
        self.legacy_samples >= 10 && self.legacy_samples > self.decoder.stats().malformed_lines
    }

    /// Enough to stop listening early.
    fn settled(&self, elapsed: Duration) -> bool {
        self.identity.is_some()
            || (elapsed >= Duration::from_millis(400)
                && (self.checksummed >= 2 || self.legacy_ok()))
    }

    fn answer(self, baud: u32) -> ProbeAnswer {
        let bytes = self.decoder.stats().bytes;
        if let Some(id) = self.identity {
            ProbeAnswer::Identity(id)
        } else if self.checksummed >= 1 || self.legacy_ok() {
            ProbeAnswer::Frames {
                count: self.checksummed + self.legacy_samples,
            }
        } else if bytes > 0 {
            let stats = self.decoder.stats();
            if crate::protocol::is_other_protocol(stats.refused_lines(), stats.foreign_lines) {
                ProbeAnswer::OtherProtocol { bytes, baud }
            } else {
                ProbeAnswer::NoValidFrames { bytes, baud }
            }
        } else {
            ProbeAnswer::Silent
        }
    }
}

/// Largest number of bytes a probe keeps to hand on to the link (about 10 s at 1 kHz).
const PROBE_KEEP_MAX: usize = 1 << 20;

/// A probed port kept open, with the bytes read from it so far.
type Kept = (Box<dyn SerialPort>, Vec<u8>);

fn probe_one(path: &str, baud: u32, timeout: Duration) -> (ProbeAnswer, Option<Kept>) {
    let mut port = match open_port(path, baud) {
        Ok(p) => p,
        Err(e) => {
            // `open_port` names the path; the probe result does so already.
            let why = e
                .strip_prefix(path)
                .and_then(|s| s.strip_prefix(": "))
                .unwrap_or(&e);
            return (ProbeAnswer::Failed(why.to_string()), None);
        }
    };
    let mut id = Vec::new();
    encode_command(&Command::Identify, &mut id);
    let start = Instant::now();
    let _ = port.write_all(&id);
    let mut resent = false;
    let mut verdict = Verdict::new();
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    while start.elapsed() < timeout && !verdict.settled(start.elapsed()) {
        match port.read(&mut buf) {
            Ok(0) => return (ProbeAnswer::Failed("port closed".into()), None),
            Ok(n) => {
                let chunk = buf.get(..n).unwrap_or_default();
                verdict.push(chunk);
                if kept.len() + n <= PROBE_KEEP_MAX {
                    kept.extend_from_slice(chunk);
                }
            }
            Err(e) if is_transient(&e) => {}
            Err(e) => return (ProbeAnswer::Failed(format!("read failed: {e}")), None),
        }
        // A board that resets on open misses the first ID while in its bootloader.
        if !resent && start.elapsed() >= Duration::from_millis(1200) && verdict.identity.is_none() {
            resent = true;
            let _ = port.write_all(&id);
        }
    }
    let answer = verdict.answer(baud);
    let keep = answer.is_sensor().then_some((port, kept));
    (answer, keep)
}

/// Read errors that only mean "nothing yet".
pub(crate) fn is_transient(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::TimedOut
            | std::io::ErrorKind::WouldBlock
            | std::io::ErrorKind::Interrupted
    )
}

/// Probes `paths` in parallel (one thread named `probe-<n>` per port) and keeps the best sensor
/// open: one that sent its identity, else the first (in `paths` order) that sent valid frames.
///
/// With `first_identity`, returns as soon as a port answers with an identity (the other probes
/// finish on their own and close their ports), so a silent port does not delay the link.
pub(crate) fn probe_keep(
    paths: &[String],
    baud: u32,
    timeout: Duration,
    first_identity: bool,
) -> (Option<Found>, Vec<ProbeResult>) {
    type Reply = (usize, ProbeAnswer, Option<Kept>);
    let (tx, rx) = mpsc::channel::<Reply>();
    let mut spawned = 0usize;
    let mut results: Vec<Option<ProbeResult>> = vec![None; paths.len()];
    for (i, path) in paths.iter().enumerate() {
        let tx = tx.clone();
        let p = path.clone();
        let spawn = thread::Builder::new()
            .name(format!("probe-{i}"))
            .spawn(move || {
                let (answer, keep) = probe_one(&p, baud, timeout);
                let _ = tx.send((i, answer, keep));
            });
        match spawn {
            Ok(_) => spawned += 1,
            Err(e) => {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(ProbeResult {
                        path: path.clone(),
                        answer: ProbeAnswer::Failed(format!("cannot start a probe thread: {e}")),
                    });
                }
            }
        }
    }
    drop(tx);
    let mut best: Option<(usize, bool, Found)> = None;
    let deadline = Instant::now() + timeout + Duration::from_secs(2);
    for _ in 0..spawned {
        let wait = deadline.saturating_duration_since(Instant::now());
        let Ok((i, answer, keep)) = rx.recv_timeout(wait) else {
            break;
        };
        let has_identity = matches!(answer, ProbeAnswer::Identity(_));
        if let (Some((port, early)), Some(path)) = (keep, paths.get(i)) {
            let better = match &best {
                None => true,
                Some((bi, bid, _)) => (has_identity && !bid) || (has_identity == *bid && i < *bi),
            };
            if better {
                best = Some((
                    i,
                    has_identity,
                    Found {
                        path: path.clone(),
                        port,
                        early,
                        at: Instant::now(),
                    },
                ));
            }
        }
        if let (Some(slot), Some(path)) = (results.get_mut(i), paths.get(i)) {
            *slot = Some(ProbeResult {
                path: path.clone(),
                answer,
            });
        }
        if first_identity && best.as_ref().is_some_and(|(_, id, _)| *id) {
            break;
        }
    }
    let results = results
        .into_iter()
        .zip(paths)
        .map(|(r, path)| {
            r.unwrap_or_else(|| ProbeResult {
                path: path.clone(),
                answer: ProbeAnswer::Failed("probe did not finish".into()),
            })
        })
        .collect();
    (best.map(|(_, _, f)| f), results)
}

/// Probes every listed port in parallel and reports what each answered (`spinewatch ports`).
pub fn probe_ports(ports: &[PortInfo], baud: u32, timeout: Duration) -> Vec<ProbeResult> {
    let paths: Vec<String> = ports.iter().map(|p| p.path.clone()).collect();
    probe_keep(&paths, baud, timeout, false).1
}

/// The path of a port whose device answers like a spinewatch sensor at the default baud rate
/// (identity preferred), probing all ports in parallel for at most about `timeout`.
pub fn probe_sensor(timeout: Duration) -> Option<String> {
    let paths: Vec<String> = list_ports().into_iter().map(|p| p.path).collect();
    probe_keep(&paths, DEFAULT_BAUD, timeout, true)
        .0
        .map(|f| f.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(path: &Path, kind: PortKind) -> PortInfo {
        PortInfo {
            path: path.display().to_string(),
            description: "CH340 (USB 1a86:7523)".into(),
            kind,
            usb: None,
        }
    }

    /// `/dev/spinewatch` stands in for the tty it points to (once), and a stale link is not
    /// listed.
    #[test]
    fn the_udev_link_replaces_its_target_and_a_stale_one_is_left_out() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let tty = dir.path().join("ttyUSB0");
        std::fs::write(&tty, "").unwrap_or_else(|e| panic!("{e}"));
        let link = dir.path().join("spinewatch");
        std::os::unix::fs::symlink(&tty, &link).unwrap_or_else(|e| panic!("{e}"));
        let other = dir.path().join("ttyS0");
        let mut ports = vec![port(&other, PortKind::Other), port(&tty, PortKind::Usb)];
        merge_stable_link(&mut ports, &link);
        assert_eq!(ports.len(), 2);
        assert_eq!(ports[1].path, link.display().to_string());
        assert_eq!(
            ports[1].description,
            format!("CH340 (USB 1a86:7523) via {}", tty.display())
        );
        // Not listed by the system (no /sys): added as the USB sensor it is.
        let mut bare = Vec::new();
        merge_stable_link(&mut bare, &link);
        assert_eq!(bare.len(), 1);
        assert_eq!(bare[0].kind, PortKind::Usb);
        assert!(
            bare[0]
                .description
                .starts_with("spinewatch sensor (udev link to")
        );
        // Unplugged: the link dangles and nothing changes.
        std::fs::remove_file(&tty).unwrap_or_else(|e| panic!("{e}"));
        let mut ports = vec![port(&other, PortKind::Other)];
        merge_stable_link(&mut ports, &link);
        assert_eq!(ports.len(), 1);
    }

    #[test]
    fn ports_sort_naturally() {
        assert!(natural_key("/dev/ttyS9") < natural_key("/dev/ttyS10"));
        assert_eq!(natural_key("COM3"), ("COM".to_string(), 3));
        assert_eq!(natural_key("x"), ("x".to_string(), 0));
    }

    #[test]
    fn usb_ports_are_described_by_name_or_vendor() {
        let mut u = UsbId {
            vid: 0x1a86,
            pid: 0x7523,
            manufacturer: None,
            product: None,
            serial_number: None,
        };
        assert_eq!(
            describe(PortKind::Usb, Some(&u)),
            "CH340/CH9102 USB-serial (USB 1a86:7523)"
        );
        u.product = Some("USB Serial".into());
        assert_eq!(
            describe(PortKind::Usb, Some(&u)),
            "USB Serial (USB 1a86:7523)"
        );
    }

    #[test]
    fn verdicts() {
        let mut v = Verdict::new();
        v.push(&[0xFF, 0xFE, b'\n', 0x80, b'\n']);
        assert!(matches!(
            v.answer(9600),
            ProbeAnswer::NoValidFrames { baud: 9600, .. }
        ));
        assert_eq!(Verdict::new().answer(9600), ProbeAnswer::Silent);
        // A GPS at the right baud rate: named as another device, not as a wrong baud rate.
        let mut v = Verdict::new();
        for _ in 0..5 {
            v.push(b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n");
            v.push(b"$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n");
        }
        let gps = v.answer(9600);
        assert!(
            matches!(gps, ProbeAnswer::OtherProtocol { baud: 9600, .. }),
            "{gps:?}"
        );
        assert!(!gps.is_sensor());
        assert!(gps.to_string().contains("not a spinewatch sensor"), "{gps}");
        let mut v = Verdict::new();
        v.push(b"$SW1,I,fw=swref-1.0.0,model=MPU6050,acc_range_g=4,gyro_range_dps=500,rate_hz=100*DAA8\r\n");
        assert!(v.settled(Duration::ZERO));
        assert!(v.answer(115_200).is_sensor());
    }
}
