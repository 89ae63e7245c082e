//! Line encoders: what the reference firmware prints, produced on the host side.
//!
//! The host sends commands with [`encode_command`]; the device simulator and the tests produce
//! samples, identity lines and acks with the rest. Every function appends one complete line,
//! `$SW1,...*HHHH\r\n`, to `out` and never fails: values outside the protocol limits are clamped
//! to them (non-finite readings become 0) and text is sanitised, so the output always decodes.

use super::crc::{CRC16_INIT, crc16_update};
use super::frame::{Command, DeviceIdentity, Nak, SampleFrame};
use super::{
    ACCEL_DECIMALS, ACCEL_LIMIT_G, GYRO_DECIMALS, GYRO_LIMIT_DPS, IDENTITY_TOKEN_MAX, LINE_TAG,
    RATE_HZ_MAX, RATE_HZ_MIN, VIB_DURATION_MAX_MS, VIB_STRENGTH_MAX_PCT,
};

/// Appends a `$SW1,S,...` sample line.
///
/// The wire carries the device's raw 32-bit counters, so `seq` (`None` → 0) and
/// `device_time_us` (`None` → 0) are written modulo 2^32, exactly as the device's wrapping
/// counters would read. Acceleration is written with 4 decimals (0.0001 g), rotation rate with
/// 2 decimals (0.01 deg/s), each rounded half away from zero and clamped to ±64 g / ±8000 deg/s.
pub fn encode_sample(frame: &SampleFrame, out: &mut Vec<u8>) {
    let seq = frame.seq.unwrap_or(0);
    // Truncation is the point: the device's micros() counter is 32 bits wide.
    let t_us = frame.device_time_us.unwrap_or(0) as u32;
    write_line(out, b'S', |out| {
        out.push(b',');
        write_u64(out, u64::from(seq));
        out.push(b',');
        write_u64(out, u64::from(t_us));
        for v in frame.accel_g {
            out.push(b',');
            write_fixed(out, v, ACCEL_DECIMALS, ACCEL_LIMIT_G);
        }
        for v in frame.gyro_dps {
            out.push(b',');
            write_fixed(out, v, GYRO_DECIMALS, GYRO_LIMIT_DPS);
        }
    });
}

/// Appends a `$SW1,I,...` identity line.
///
/// Text fields are cut to 32 bytes, forbidden characters (anything but printable ASCII other than
/// `, * $ =`) become `_`, and an empty token becomes `?`. Numbers are clamped to their limits.
/// `protocol_version` is not written: the `SW1` tag carries it.
pub fn encode_identity(id: &DeviceIdentity, out: &mut Vec<u8>) {
    write_line(out, b'I', |out| {
        out.extend_from_slice(b",fw=");
        write_token(out, id.firmware.as_bytes());
        out.extend_from_slice(b",model=");
        write_token(out, id.model.as_bytes());
        out.extend_from_slice(b",acc_range_g=");
        write_u64(
            out,
            u64::from(id.acc_range_g.clamp(1, ACCEL_LIMIT_G as u16)),
        );
        out.extend_from_slice(b",gyro_range_dps=");
        write_u64(
            out,
            u64::from(id.gyro_range_dps.clamp(1, GYRO_LIMIT_DPS as u16)),
        );
        out.extend_from_slice(b",rate_hz=");
        write_u64(out, u64::from(id.rate_hz.clamp(RATE_HZ_MIN, RATE_HZ_MAX)));
        if let Some(pct) = id.battery_pct {
            out.extend_from_slice(b",battery_pct=");
            write_u64(out, u64::from(pct.min(100)));
        }
    });
}

/// Appends a host-to-device command line (`$SW1,C,ID`, `$SW1,C,RATE,<hz>`,
/// `$SW1,C,VIB,<ms>,<pct>`). Arguments are clamped to 1–1000 Hz, 0–5000 ms, 0–100 %.
pub fn encode_command(command: &Command, out: &mut Vec<u8>) {
    write_line(out, b'C', |out| write_command_body(out, command));
}

/// Appends the device's acknowledgement of `command` (`$SW1,A,<cmd>[,<applied values>]`).
pub fn encode_ack(command: &Command, out: &mut Vec<u8>) {
    write_line(out, b'A', |out| write_command_body(out, command));
}

/// Appends the device's refusal (`$SW1,N,<cmd>,<reason>`).
pub fn encode_nak(nak: &Nak, out: &mut Vec<u8>) {
    write_line(out, b'N', |out| {
        out.push(b',');
        out.extend_from_slice(nak.command.as_str().as_bytes());
        out.push(b',');
        out.extend_from_slice(nak.reason.as_str().as_bytes());
    });
}

fn write_command_body(out: &mut Vec<u8>, command: &Command) {
    match *command {
        Command::Identify => out.extend_from_slice(b",ID"),
        Command::SetRate { rate_hz } => {
            out.extend_from_slice(b",RATE,");
            write_u64(out, u64::from(rate_hz.clamp(RATE_HZ_MIN, RATE_HZ_MAX)));
        }
        Command::Vibrate {
            duration_ms,
            strength_pct,
        } => {
            out.extend_from_slice(b",VIB,");
            write_u64(out, u64::from(duration_ms.min(VIB_DURATION_MAX_MS)));
            out.push(b',');
            write_u64(out, u64::from(strength_pct.min(VIB_STRENGTH_MAX_PCT)));
        }
    }
}

/// Writes `$SW1,<tag>` + body + `*HHHH\r\n`, the CRC covering everything after `$`.
fn write_line(out: &mut Vec<u8>, tag: u8, body: impl FnOnce(&mut Vec<u8>)) {
    out.push(b'$');
    let start = out.len();
    out.extend_from_slice(LINE_TAG);
    out.push(b',');
    out.push(tag);
    body(out);
    let crc = crc16_update(CRC16_INIT, out.get(start..).unwrap_or_default());
    out.push(b'*');
    write_hex4(out, crc);
    out.extend_from_slice(b"\r\n");
}

/// Upper-case hex digits, the form devices print (hosts accept either case).
pub(crate) fn write_hex4(out: &mut Vec<u8>, value: u16) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for shift in [12u16, 8, 4, 0] {
        out.push(HEX[usize::from((value >> shift) & 0xF)]);
    }
}

/// Decimal digits of `value`, no allocation.
fn write_u64(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut n = 0;
    loop {
        if let Some(d) = digits.get_mut(n) {
            *d = b'0' + (value % 10) as u8;
        }
        n += 1;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    for &d in digits.iter().take(n).rev() {
        out.push(d);
    }
}

/// Fixed-point decimal with exactly `decimals` fraction digits, rounded half away from zero;
/// the same integer arithmetic the reference firmware uses, so host and device agree byte for byte.
fn write_fixed(out: &mut Vec<u8>, value: f64, decimals: u32, limit: f64) {
    let value = if value.is_finite() {
        value.clamp(-limit, limit)
    } else {
        0.0
    };
    let scale = 10u64.pow(decimals);
    // |value| <= 8000 and scale <= 10^4, so the cast cannot saturate.
    let scaled = (value * scale as f64).round() as i64;
    if scaled < 0 {
        out.push(b'-');
    }
    let magnitude = scaled.unsigned_abs();
    write_u64(out, magnitude / scale);
    out.push(b'.');
    let frac = magnitude % scale;
    let mut place = scale / 10;
    while place > 0 {
        out.push(b'0' + ((frac / place) % 10) as u8);
        place /= 10;
    }
}

/// Is `b` allowed inside an identity text token?
pub(crate) fn is_token_byte(b: u8) -> bool {
    (0x21..=0x7E).contains(&b) && !matches!(b, b',' | b'*' | b'$' | b'=')
}

fn write_token(out: &mut Vec<u8>, text: &[u8]) {
    if text.is_empty() {
        out.push(b'?');
        return;
    }
    for &b in text.iter().take(IDENTITY_TOKEN_MAX) {
        out.push(if is_token_byte(b) { b } else { b'_' });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{CommandName, LineFormat, NakReason};

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn sample_line_shape() {
        let frame = SampleFrame {
            seq: Some(7),
            device_time_us: Some(4_294_967_296 + 5),
            accel_g: [0.01234, -0.99815, -0.00004],
            gyro_dps: [1.256, -0.5, 9000.0],
            format: LineFormat::Sw1,
        };
        let s = text(|o| encode_sample(&frame, o));
        assert!(
            s.starts_with("$SW1,S,7,5,0.0123,-0.9982,0.0000,1.26,-0.50,8000.00*"),
            "{s}"
        );
        assert!(s.ends_with("\r\n"));
    }

    #[test]
    fn commands_and_replies() {
        assert!(text(|o| encode_command(&Command::Identify, o)).starts_with("$SW1,C,ID*"));
        assert!(
            text(|o| encode_command(&Command::SetRate { rate_hz: 0 }, o))
                .starts_with("$SW1,C,RATE,1*")
        );
        let vib = Command::Vibrate {
            duration_ms: 300,
            strength_pct: 80,
        };
        assert!(text(|o| encode_ack(&vib, o)).starts_with("$SW1,A,VIB,300,80*"));
        let nak = Nak {
            command: CommandName::Other,
            reason: NakReason::Checksum,
        };
        assert!(text(|o| encode_nak(&nak, o)).starts_with("$SW1,N,?,CRC*"));
    }

    #[test]
    fn identity_tokens_are_sanitised() {
        let id = DeviceIdentity {
            protocol_version: 1,
            firmware: "my fw,v2".into(),
            model: String::new(),
            acc_range_g: 0,
            gyro_range_dps: 60000,
            rate_hz: 100,
            battery_pct: Some(250),
        };
        let s = text(|o| encode_identity(&id, o));
        assert!(
            s.starts_with(
                "$SW1,I,fw=my_fw_v2,model=?,acc_range_g=1,gyro_range_dps=8000,rate_hz=100,battery_pct=100*"
            ),
            "{s}"
        );
    }
}
