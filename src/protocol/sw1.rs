//! `$SW1` records: parsing one checksummed protocol-version-1 line into a [`Record`].
//!
//! A record is `$SW1,<type>[,<args>]*<crc>`, where `<crc>` is the CRC-16 of everything between
//! `$` and `*` as four hex digits (see `firmware-protocol.md`). The checksum is checked before
//! any field is read, so a corrupted line costs exactly that line. Types: `S` sample (sequence,
//! device time in µs, acceleration in g, rotation rate in deg/s), `I` identity, `C` command,
//! `A` acknowledgement, `N` refusal. A checksum-valid record of an unknown type is ignored, not
//! an error, so firmware can add record types without breaking older hosts. Numbers are parsed
//! straight from the bytes; nothing is allocated for a sample line.

use super::crc::crc16;
use super::encode::is_token_byte;
use super::error::DecodeError;
use super::frame::{Command, CommandName, DeviceIdentity, Frame, LineFormat, Nak, NakReason};
use super::record::{ACCEL_FIELDS, GYRO_FIELDS, Record, Stamp, number};
use super::{
    ACCEL_LIMIT_G, GYRO_LIMIT_DPS, IDENTITY_TOKEN_MAX, LINE_TAG, PROTOCOL_VERSION, RATE_HZ_MAX,
    RATE_HZ_MIN, VIB_DURATION_MAX_MS, VIB_STRENGTH_MAX_PCT,
};
use crate::number::parse_u32;

/// Parses a `$SW1` record; `body` is everything after `$`.
pub(super) fn parse_sw1(body: &[u8]) -> Result<Record, DecodeError> {
    let Some(after_tag) = body.strip_prefix(LINE_TAG) else {
        return Err(DecodeError::UnsupportedVersion);
    };
    if after_tag.first() != Some(&b',') {
        return Err(DecodeError::UnsupportedVersion);
    }
    let star = body
        .iter()
        .position(|&b| b == b'*')
        .ok_or(DecodeError::MissingChecksum)?;
    let (content, checksum) = body.split_at(star);
    let found = match checksum {
        [b'*', a, b, c, d] => parse_hex4([*a, *b, *c, *d]).ok_or(DecodeError::BadChecksumField)?,
        _ => return Err(DecodeError::BadChecksumField),
    };
    let expected = crc16(content);
    if expected != found {
        return Err(DecodeError::ChecksumMismatch { expected, found });
    }
    // content = "SW1," + type + ("," + args)?
    let rest = content.get(LINE_TAG.len() + 1..).unwrap_or_default();
    let (kind, args) = match rest.iter().position(|&b| b == b',') {
        Some(comma) => (
            rest.get(..comma).unwrap_or_default(),
            rest.get(comma + 1..).unwrap_or_default(),
        ),
        None => (rest, &[][..]),
    };
    match kind {
        b"S" => parse_sample(args),
        b"I" => parse_identity(args).map(|id| Record::Other(Frame::Identity(id))),
        b"C" => parse_command(args).map(|c| Record::Other(Frame::Command(c))),
        b"A" => parse_command(args).map(|c| Record::Other(Frame::Ack(c))),
        b"N" => parse_nak(args).map(|n| Record::Other(Frame::Nak(n))),
        // A valid line of a record type added after version 1: skip it, don't call it an error.
        _ => Ok(Record::Ignored),
    }
}

/// Four hex digits (either case) as a number; `None` if any is not a hex digit.
pub(super) fn parse_hex4(digits: [u8; 4]) -> Option<u16> {
    digits.iter().try_fold(0u16, |acc, &b| {
        let v = match b {
            b'0'..=b'9' => b - b'0',
            b'A'..=b'F' => b - b'A' + 10,
            b'a'..=b'f' => b - b'a' + 10,
            _ => return None,
        };
        Some((acc << 4) | u16::from(v))
    })
}

/// Splits `args` on commas into exactly `N` fields.
fn split_fields<'a, const N: usize>(
    args: &'a [u8],
    record: &'static str,
) -> Result<[&'a [u8]; N], DecodeError> {
    let mut fields: [&[u8]; N] = [&[]; N];
    let mut count = 0usize;
    for field in args.split(|&b| b == b',') {
        if let Some(slot) = fields.get_mut(count) {
            *slot = field;
        }
        count = count.saturating_add(1);
    }
    if count == N {
        Ok(fields)
    } else {
        Err(DecodeError::FieldCount {
            record,
            expected: N,
            found: count,
        })
    }
}

fn vector(
    fields: [&'static str; 3],
    values: [&[u8]; 3],
    limit: f64,
) -> Result<[f64; 3], DecodeError> {
    let [a, b, c] = values;
    let [fa, fb, fc] = fields;
    Ok([
        number(fa, a, limit)?,
        number(fb, b, limit)?,
        number(fc, c, limit)?,
    ])
}

fn parse_sample(args: &[u8]) -> Result<Record, DecodeError> {
    let [seq, t_us, ax, ay, az, gx, gy, gz] = split_fields::<8>(args, "sample")?;
    let seq = parse_u32(seq).ok_or(DecodeError::BadNumber { field: "seq" })?;
    let t_us = parse_u32(t_us).ok_or(DecodeError::BadNumber { field: "t_us" })?;
    Ok(Record::Sample {
        seq: Some(seq),
        stamp: Some(Stamp::Wrapping32(t_us)),
        accel_g: vector(ACCEL_FIELDS, [ax, ay, az], ACCEL_LIMIT_G)?,
        gyro_dps: vector(GYRO_FIELDS, [gx, gy, gz], GYRO_LIMIT_DPS)?,
        format: LineFormat::Sw1,
    })
}

fn bounded_u32(field: &'static str, bytes: &[u8], min: u32, max: u32) -> Result<u32, DecodeError> {
    let v = parse_u32(bytes).ok_or(DecodeError::BadNumber { field })?;
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(DecodeError::OutOfRange { field })
    }
}

/// A bounded u32 narrowed to `T`; `max` must fit in `T`, so the conversion cannot fail.
fn bounded<T: TryFrom<u32>>(
    field: &'static str,
    bytes: &[u8],
    min: u32,
    max: u32,
) -> Result<T, DecodeError> {
    T::try_from(bounded_u32(field, bytes, min, max)?).map_err(|_| DecodeError::OutOfRange { field })
}

fn token<'a>(field: &'static str, bytes: &'a [u8]) -> Result<&'a [u8], DecodeError> {
    if bytes.is_empty()
        || bytes.len() > IDENTITY_TOKEN_MAX
        || !bytes.iter().all(|&b| is_token_byte(b))
    {
        Err(DecodeError::BadToken { field })
    } else {
        Ok(bytes)
    }
}

fn parse_identity(args: &[u8]) -> Result<DeviceIdentity, DecodeError> {
    let mut firmware = None;
    let mut model = None;
    let mut acc_range_g = None;
    let mut gyro_range_dps = None;
    let mut rate_hz = None;
    let mut battery_pct = None;
    for field in args.split(|&b| b == b',') {
        let eq = field
            .iter()
            .position(|&b| b == b'=')
            .ok_or(DecodeError::BadToken { field: "identity" })?;
        let key = field.get(..eq).unwrap_or_default();
        let value = field.get(eq + 1..).unwrap_or_default();
        match key {
            b"fw" => firmware = Some(token("fw", value)?),
            b"model" => model = Some(token("model", value)?),
            b"acc_range_g" => {
                acc_range_g = Some(bounded("acc_range_g", value, 1, ACCEL_LIMIT_G as u32)?);
            }
            b"gyro_range_dps" => {
                gyro_range_dps = Some(bounded("gyro_range_dps", value, 1, GYRO_LIMIT_DPS as u32)?);
            }
            b"rate_hz" => {
                rate_hz = Some(bounded(
                    "rate_hz",
                    value,
                    u32::from(RATE_HZ_MIN),
                    u32::from(RATE_HZ_MAX),
                )?);
            }
            b"battery_pct" => battery_pct = Some(bounded("battery_pct", value, 0, 100)?),
            // Keys added by later firmware are skipped, so new optional fields don't break hosts.
            _ => {}
        }
    }
    let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
    Ok(DeviceIdentity {
        protocol_version: PROTOCOL_VERSION,
        firmware: text(firmware.ok_or(DecodeError::MissingField { field: "fw" })?),
        model: text(model.ok_or(DecodeError::MissingField { field: "model" })?),
        acc_range_g: acc_range_g.ok_or(DecodeError::MissingField {
            field: "acc_range_g",
        })?,
        gyro_range_dps: gyro_range_dps.ok_or(DecodeError::MissingField {
            field: "gyro_range_dps",
        })?,
        rate_hz: rate_hz.ok_or(DecodeError::MissingField { field: "rate_hz" })?,
        battery_pct,
    })
}

fn parse_command(args: &[u8]) -> Result<Command, DecodeError> {
    let name = args.split(|&b| b == b',').next().unwrap_or_default();
    match name {
        b"ID" => {
            split_fields::<1>(args, "ID command")?;
            Ok(Command::Identify)
        }
        b"RATE" => {
            let [_, hz] = split_fields::<2>(args, "RATE command")?;
            Ok(Command::SetRate {
                rate_hz: bounded(
                    "rate_hz",
                    hz,
                    u32::from(RATE_HZ_MIN),
                    u32::from(RATE_HZ_MAX),
                )?,
            })
        }
        b"VIB" => {
            let [_, ms, pct] = split_fields::<3>(args, "VIB command")?;
            Ok(Command::Vibrate {
                duration_ms: bounded("duration_ms", ms, 0, u32::from(VIB_DURATION_MAX_MS))?,
                strength_pct: bounded("strength_pct", pct, 0, u32::from(VIB_STRENGTH_MAX_PCT))?,
            })
        }
        _ => Err(DecodeError::UnknownCommand),
    }
}

fn parse_nak(args: &[u8]) -> Result<Nak, DecodeError> {
    let [command, reason] = split_fields::<2>(args, "nak")?;
    Ok(Nak {
        command: CommandName::from_token(token("nak command", command)?),
        reason: NakReason::from_token(token("nak reason", reason)?),
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{decode, decode_chunked, sample, samples, stream};
    use super::*;
    use crate::protocol::{
        Decoder, DecoderSettings, encode_ack, encode_command, encode_identity, encode_nak,
        encode_sample,
    };
    use proptest::prelude::*;

    #[test]
    fn corrupted_byte_costs_one_line() {
        let mut bytes = stream(10);
        // Change a digit in the 5th line's accel field without touching its CRC.
        let fifth = bytes
            .split(|&b| b == b'\n')
            .take(4)
            .map(|l| l.len() + 1)
            .sum::<usize>();
        let pos = fifth + 12;
        if let Some(b) = bytes.get_mut(pos) {
            *b = if *b == b'1' { b'2' } else { b'1' };
        }
        let (frames, stats) = decode(&bytes);
        assert_eq!(frames.len(), 9);
        assert_eq!(stats.checksum_failures, 1);
        assert_eq!(stats.sequence_gaps, 1);
        assert_eq!(stats.samples_dropped, 1);
        assert_eq!(stats.time_jumps, 0);
    }

    #[test]
    fn commands_acks_and_naks_round_trip() {
        let commands = [
            Command::Identify,
            Command::SetRate { rate_hz: 50 },
            Command::Vibrate {
                duration_ms: 300,
                strength_pct: 80,
            },
        ];
        let nak = Nak {
            command: CommandName::Rate,
            reason: NakReason::Range,
        };
        let mut bytes = Vec::new();
        for c in &commands {
            encode_command(c, &mut bytes);
            encode_ack(c, &mut bytes);
        }
        encode_nak(&nak, &mut bytes);
        let (frames, stats) = decode(&bytes);
        let expected: Vec<Frame> = commands
            .iter()
            .flat_map(|c| [Frame::Command(*c), Frame::Ack(*c)])
            .chain([Frame::Nak(nak)])
            .collect();
        assert_eq!(frames, expected);
        assert_eq!(stats.frames_ok, 7);
    }

    #[test]
    fn errors_are_reported_with_fields() {
        let mut d = Decoder::new(DecoderSettings::default());
        let mut events = Vec::new();
        d.push_events(b"$SW1,C,ID*0000\n$SW2,C,ID*0000\n$SW1,C,ID\n", &mut |e| {
            events.push(e)
        });
        let expected_crc = crc16(b"SW1,C,ID");
        assert_eq!(
            events,
            [
                Err(DecodeError::ChecksumMismatch {
                    expected: expected_crc,
                    found: 0
                }),
                Err(DecodeError::UnsupportedVersion),
                Err(DecodeError::MissingChecksum),
            ]
        );
        assert_eq!(d.last_error(), Some(DecodeError::MissingChecksum));
        assert_eq!(d.take_last_error(), Some(DecodeError::MissingChecksum));
        assert_eq!(d.last_error(), None);
    }

    #[test]
    fn unknown_record_types_are_ignored_not_errors() {
        let content = b"SW1,T,36.5";
        let mut bytes = b"$".to_vec();
        bytes.extend_from_slice(content);
        bytes.push(b'*');
        crate::protocol::encode::write_hex4(&mut bytes, crc16(content));
        bytes.extend_from_slice(b"\r\n");
        let (frames, stats) = decode(&bytes);
        assert!(frames.is_empty());
        assert_eq!(stats.ignored_lines, 1);
        assert_eq!(stats.malformed_lines, 0);
    }

    fn finite(limit: f64) -> impl Strategy<Value = f64> {
        -limit..=limit
    }

    proptest! {
        #[test]
        fn encoded_frames_decode_within_resolution(
            start_seq in any::<u32>(),
            start_t in any::<u32>(),
            steps in proptest::collection::vec((1u32..4, 0u32..30_000), 1..40),
            values in proptest::collection::vec((proptest::array::uniform3(finite(64.0)), proptest::array::uniform3(finite(8000.0))), 40),
            chunks in proptest::collection::vec(1usize..200, 1..8),
        ) {
            let mut bytes = Vec::new();
            let mut expected = Vec::new();
            let (mut seq, mut t) = (start_seq, u64::from(start_t));
            for (i, (dseq, dt)) in steps.iter().enumerate() {
                let (accel, gyro) = values.get(i).copied().unwrap_or_default();
                let f = sample(seq, t, accel, gyro);
                encode_sample(&f, &mut bytes);
                expected.push(f);
                seq = seq.wrapping_add(*dseq);
                t += u64::from(*dt) * u64::from(*dseq);
            }
            let (frames, stats) = decode_chunked(&bytes, &chunks);
            let got = samples(&frames);
            prop_assert_eq!(got.len(), expected.len());
            prop_assert_eq!(stats.time_jumps, 0);
            prop_assert_eq!(stats.sequence_resets, 0);
            for (g, e) in got.iter().zip(&expected) {
                prop_assert_eq!(g.seq, e.seq);
                prop_assert_eq!(g.device_time_us, e.device_time_us);
                prop_assert_eq!(g.format, LineFormat::Sw1);
                for (a, b) in g.accel_g.iter().zip(e.accel_g) {
                    prop_assert!((a - b).abs() <= 0.5e-4 + 1e-12, "{} vs {}", a, b);
                }
                for (a, b) in g.gyro_dps.iter().zip(e.gyro_dps) {
                    prop_assert!((a - b).abs() <= 0.5e-2 + 1e-9, "{} vs {}", a, b);
                }
            }
        }

        #[test]
        fn identities_round_trip(
            fw in "[!-~]{1,32}",
            model in "[A-Za-z0-9_.-]{1,32}",
            acc in 1u16..=64,
            gyro in 1u16..=8000,
            rate in 1u16..=1000,
            battery in proptest::option::of(0u8..=100),
        ) {
            let id = DeviceIdentity {
                protocol_version: 1,
                firmware: fw.replace([',', '*', '$', '='], "_"),
                model,
                acc_range_g: acc,
                gyro_range_dps: gyro,
                rate_hz: rate,
                battery_pct: battery,
            };
            let mut bytes = Vec::new();
            encode_identity(&id, &mut bytes);
            let (frames, _) = decode_chunked(&bytes, &[1]);
            prop_assert_eq!(frames, vec![Frame::Identity(id)]);
        }
    }
}
