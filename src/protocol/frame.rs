//! What the decoder produces: one [`Frame`] per accepted line.

use crate::sample::ImuSample;

/// Which line format a sample came from; tells the app how much to trust its timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineFormat {
    /// `$SW1,S,...` protocol line: sequence number and device time present, CRC-checked.
    Sw1,
    /// Six plain numbers `ax ay az gx gy gz` (or the columns a header named), in units
    /// recognised or forced. No sequence, no device time, no checksum.
    Plain,
    /// Seven plain numbers `t ax ay az gx gy gz` (or a header with a time column): t since an
    /// arbitrary device epoch, in seconds (or a unit named or recognised). Device time present
    /// (microsecond resolution at best), no sequence, no checksum.
    PlainTimed,
    /// `a/g:` line of i2cdevlib's `MPU6050_raw` example: six raw counts, their scale
    /// recognised from gravity (or as [`DecoderSettings::units`](super::DecoderSettings) says).
    /// No sequence, no device time, no checksum.
    MpuRaw,
    /// `Label:value` pairs (`AccelX:0.12,AccelY:…`, `AcX = -1202 | …`), with or without a time
    /// label. No sequence, no checksum.
    Labelled,
}

impl LineFormat {
    /// `true` when lines of this format carry a CRC, so a corrupted line cannot pass as a sample.
    pub fn is_checksummed(self) -> bool {
        matches!(self, LineFormat::Sw1)
    }
}

/// One IMU reading as received.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleFrame {
    /// Device sequence number (wraps from 4294967295 to 0); `None` for formats without one.
    pub seq: Option<u32>,
    /// Device time in microseconds, unwrapped past the device's 32-bit rollover and monotonic
    /// (never decreases within one decoder). `None` when the line format has no device time —
    /// the app should then timestamp with host arrival time and report reduced timing accuracy.
    pub device_time_us: Option<u64>,
    /// Specific force in g, sensor axes `[x, y, z]`.
    pub accel_g: [f64; 3],
    /// Rotation rate in deg/s, sensor axes `[x, y, z]`.
    pub gyro_dps: [f64; 3],
    /// Line format the sample was decoded from.
    pub format: LineFormat,
}

impl SampleFrame {
    /// Device time in seconds (`device_time_us / 1e6`), if the format has one.
    pub fn device_time_s(&self) -> Option<f64> {
        self.device_time_us.map(|us| us as f64 * 1e-6)
    }

    /// Converts to the crate-wide [`ImuSample`], stamped with `t_s` seconds.
    ///
    /// The caller chooses the time base (device time, host arrival time, session time), which is
    /// why it is a parameter and not taken from the frame.
    pub fn to_imu_sample(&self, t_s: f64) -> ImuSample {
        ImuSample::new(t_s, self.accel_g, self.gyro_dps)
    }
}

/// Contents of a device's identity line (`$SW1,I,...`), sent at start-up and after `ID`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceIdentity {
    /// Protocol version from the line tag (`SW1` → 1).
    pub protocol_version: u8,
    /// Firmware name/version token, e.g. `swref-1.0.0` (1–32 printable ASCII characters).
    pub firmware: String,
    /// Sensor model token, e.g. `MPU6050` (1–32 printable ASCII characters).
    pub model: String,
    /// Accelerometer full-scale range in ±g (1–64).
    pub acc_range_g: u16,
    /// Gyroscope full-scale range in ±deg/s (1–8000).
    pub gyro_range_dps: u16,
    /// Current sample rate in Hz (1–1000).
    pub rate_hz: u16,
    /// Battery charge in percent (0–100), if the device measures it.
    pub battery_pct: Option<u8>,
}

/// A host-to-device command, also echoed back inside an acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// `ID`: device replies `A,ID` then its identity line.
    Identify,
    /// `RATE,<hz>`: set the sample rate, 1–1000 Hz (a device may nak rates it cannot sustain).
    SetRate {
        /// Requested (in a command) or applied (in an ack) sample rate in Hz.
        rate_hz: u16,
    },
    /// `VIB,<ms>,<pct>`: run the vibration motor; `duration_ms == 0` stops it.
    Vibrate {
        /// Duration in milliseconds, 0–5000.
        duration_ms: u16,
        /// Strength in percent of full drive, 0–100.
        strength_pct: u8,
    },
}

impl Command {
    /// The command's name, as used in acks and naks.
    pub fn name(&self) -> CommandName {
        match self {
            Command::Identify => CommandName::Id,
            Command::SetRate { .. } => CommandName::Rate,
            Command::Vibrate { .. } => CommandName::Vib,
        }
    }
}

/// Command name as it appears in a nak (`ID`, `RATE`, `VIB`, or anything else).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandName {
    /// `ID`
    Id,
    /// `RATE`
    Rate,
    /// `VIB`
    Vib,
    /// Any other token; devices send `?` when they could not tell which command was meant
    /// (e.g. the command line failed its checksum).
    Other,
}

impl CommandName {
    /// Wire token of the name (`?` for [`CommandName::Other`]).
    pub fn as_str(self) -> &'static str {
        match self {
            CommandName::Id => "ID",
            CommandName::Rate => "RATE",
            CommandName::Vib => "VIB",
            CommandName::Other => "?",
        }
    }

    pub(crate) fn from_token(token: &[u8]) -> CommandName {
        match token {
            b"ID" => CommandName::Id,
            b"RATE" => CommandName::Rate,
            b"VIB" => CommandName::Vib,
            _ => CommandName::Other,
        }
    }
}

/// Why a device refused a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NakReason {
    /// `CRC`: the command line failed its checksum; resend it.
    Checksum,
    /// `SYNTAX`: the command line was malformed or too long.
    Syntax,
    /// `RANGE`: an argument was outside what this device supports.
    Range,
    /// `UNKNOWN`: the command name is not known to this device.
    UnknownCommand,
    /// `UNSUPPORTED`: known command, but the hardware lacks the feature (e.g. no motor).
    Unsupported,
    /// `BUSY`: the device cannot act on it now; retry later.
    Busy,
    /// Any other reason token (kept for forward compatibility).
    Other,
}

impl NakReason {
    /// Wire token of the reason (`OTHER` for [`NakReason::Other`]).
    pub fn as_str(self) -> &'static str {
        match self {
            NakReason::Checksum => "CRC",
            NakReason::Syntax => "SYNTAX",
            NakReason::Range => "RANGE",
            NakReason::UnknownCommand => "UNKNOWN",
            NakReason::Unsupported => "UNSUPPORTED",
            NakReason::Busy => "BUSY",
            NakReason::Other => "OTHER",
        }
    }

    pub(crate) fn from_token(token: &[u8]) -> NakReason {
        match token {
            b"CRC" => NakReason::Checksum,
            b"SYNTAX" => NakReason::Syntax,
            b"RANGE" => NakReason::Range,
            b"UNKNOWN" => NakReason::UnknownCommand,
            b"UNSUPPORTED" => NakReason::Unsupported,
            b"BUSY" => NakReason::Busy,
            _ => NakReason::Other,
        }
    }
}

/// A device's refusal of a command (`$SW1,N,<cmd>,<reason>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nak {
    /// Which command was refused.
    pub command: CommandName,
    /// Why.
    pub reason: NakReason,
}

/// One decoded line.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// An IMU sample (any accepted format).
    Sample(SampleFrame),
    /// The device's identity line.
    Identity(DeviceIdentity),
    /// Device accepted a command; carries the values it applied.
    Ack(Command),
    /// Device refused a command.
    Nak(Nak),
    /// A host-to-device command (seen when the decoder runs on the device side, e.g. a simulator).
    Command(Command),
}

#[cfg(test)]
mod tests {
    use super::super::test_support::sample;

    #[test]
    fn to_imu_sample_keeps_units() {
        let f = sample(1, 2_500_000, [0.1, 0.2, 0.3], [1.0, 2.0, 3.0]);
        assert_eq!(f.device_time_s(), Some(2.5));
        let s = f.to_imu_sample(7.0);
        assert_eq!(s.t_s, 7.0);
        assert_eq!(s.accel_g.z, 0.3);
        assert_eq!(s.gyro_dps.y, 2.0);
    }
}
