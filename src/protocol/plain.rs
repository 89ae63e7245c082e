//! Plain and legacy lines: what hobby sketches print, accepted besides `$SW1` records.
//!
//! Why: a user should be able to try spinewatch with an off-the-shelf board before flashing
//! the protocol firmware. Accepted, when [`DecoderSettings::accept_legacy`] is on:
//!
//! * six numbers `ax ay az gx gy gz` (g, deg/s), separated by commas, tabs or spaces (one
//!   trailing comma allowed) — [`LineFormat::Plain`];
//! * seven numbers `t ax ay az gx gy gz`, `t` in seconds (0 to [`PLAIN_TIME_MAX_S`]) since an
//!   arbitrary device epoch, kept to the microsecond — [`LineFormat::PlainTimed`];
//! * i2cdevlib's `MPU6050_raw` output `a/g:` plus six raw 16-bit counts, scaled by the
//!   settings' counts per g and per deg/s — [`LineFormat::MpuRaw`].
//!
//! Other printable text (a start-up banner) is ignored; binary bytes, a wrong number count or
//! values beyond [`ACCEL_LIMIT_G`] / [`GYRO_LIMIT_DPS`] are errors. None of these lines has a
//! sequence number or a checksum, so a corrupted digit cannot be detected here.

use super::error::DecodeError;
use super::frame::LineFormat;
use super::record::{ACCEL_FIELDS, GYRO_FIELDS, Record, Stamp, number};
use super::stream::DecoderSettings;
use super::sw1::parse_hex4;
use super::{ACCEL_LIMIT_G, GYRO_LIMIT_DPS, PLAIN_TIME_MAX_S, RAW_COUNT_LIMIT};
use crate::number::parse_f64;

/// Parses the legacy formats: `a/g:` raw lines and plain 6/7-number lines. Other text is ignored.
pub(super) fn parse_legacy(line: &[u8], settings: &DecoderSettings) -> Result<Record, DecodeError> {
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

/// Rejects a sample with any axis beyond the protocol limits (g, deg/s).
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
    use super::super::test_support::{decode, samples};
    use super::*;
    use crate::protocol::Decoder;

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
}
