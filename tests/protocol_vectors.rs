//! Decodes the byte-exact examples of `firmware-protocol.md`, read from the document itself, so the
//! document and the decoder cannot drift apart.
//!
//! Every fenced block whose info string is `text id=vector-<name>` is one example: each of its
//! lines is sent followed by CR LF. Each example is decoded all at once and byte by byte.

use spinewatch::protocol::{
    Command, CommandName, DecodeError, Decoder, DecoderSettings, DecoderStats, DeviceIdentity,
    Frame, LineFormat, Nak, NakReason, SampleFrame, crc16, encode_ack, encode_command,
    encode_identity, encode_nak, encode_sample,
};

const DOC: &str = include_str!("../firmware-protocol.md");

/// `(id, info string language, bytes)` of every fenced block carrying an `id=`.
fn blocks() -> Vec<(String, String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String, Vec<u8>)> = None;
    for line in DOC.lines() {
        if let Some(block) = current.as_mut() {
            if line.starts_with("```") {
                out.extend(current.take());
            } else {
                block.2.extend_from_slice(line.as_bytes());
                block.2.extend_from_slice(b"\r\n");
            }
        } else if let Some(info) = line.strip_prefix("```") {
            let mut words = info.split_whitespace();
            let lang = words.next().unwrap_or_default().to_string();
            if let Some(id) = words.find_map(|w| w.strip_prefix("id=")) {
                current = Some((id.to_string(), lang, Vec::new()));
            }
        }
    }
    assert!(
        current.is_none(),
        "unterminated fenced block in the document"
    );
    out
}

fn vector(id: &str) -> Vec<u8> {
    blocks()
        .into_iter()
        .find(|(name, lang, _)| name == id && lang == "text")
        .map(|(_, _, bytes)| bytes)
        .unwrap_or_else(|| panic!("vector {id} missing from firmware-protocol.md"))
}

type Decoded = (Vec<Result<Frame, DecodeError>>, DecoderStats);

/// Decodes all at once and byte by byte; asserts both agree and returns the events.
fn decode(id: &str) -> Decoded {
    let bytes = vector(id);
    let run = |chunk: usize| {
        let mut d = Decoder::new(DecoderSettings::default());
        let mut events = Vec::new();
        for part in bytes.chunks(chunk) {
            d.push_events(part, &mut |e| events.push(e));
        }
        d.flush_events(&mut |e| events.push(e));
        assert_eq!(d.pending_len(), 0);
        (events, d.stats())
    };
    let whole = run(bytes.len().max(1));
    assert_eq!(whole, run(1), "{id}: byte-by-byte decoding differs");
    assert_eq!(whole.1.bytes, bytes.len() as u64);
    whole
}

fn frames(events: &[Result<Frame, DecodeError>]) -> Vec<Frame> {
    events.iter().filter_map(|e| e.clone().ok()).collect()
}

fn samples(events: &[Result<Frame, DecodeError>]) -> Vec<SampleFrame> {
    frames(events)
        .into_iter()
        .filter_map(|f| match f {
            Frame::Sample(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn errors(events: &[Result<Frame, DecodeError>]) -> Vec<DecodeError> {
    events.iter().filter_map(|e| e.clone().err()).collect()
}

fn sw1(seq: u32, t: u64, accel_g: [f64; 3], gyro_dps: [f64; 3]) -> SampleFrame {
    SampleFrame {
        seq: Some(seq),
        device_time_us: Some(t),
        accel_g,
        gyro_dps,
        format: LineFormat::Sw1,
    }
}

const FLAT: ([f64; 3], [f64; 3]) = ([0.0, 0.0, 1.0], [0.0, 0.0, 0.0]);

/// Re-encodes `frames` and checks the result is byte-identical to the vector: the encoder
/// produces exactly what the document (and the reference firmware) prints.
fn assert_reencodes(id: &str, frames: &[Frame]) {
    let mut out = Vec::new();
    for f in frames {
        match f {
            Frame::Sample(s) => encode_sample(s, &mut out),
            Frame::Identity(i) => encode_identity(i, &mut out),
            Frame::Ack(c) => encode_ack(c, &mut out),
            Frame::Nak(n) => encode_nak(n, &mut out),
            Frame::Command(c) => encode_command(c, &mut out),
        }
    }
    assert_eq!(
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&vector(id)),
        "{id}: re-encoding differs"
    );
}

#[test]
fn every_vector_in_the_document_is_tested() {
    let mut ids: Vec<String> = blocks()
        .into_iter()
        .filter(|(_, lang, _)| lang == "text")
        .map(|(id, _, _)| id)
        .collect();
    ids.sort();
    let mut tested = vec![
        "vector-bad-checksum",
        "vector-clock-glitch",
        "vector-commands",
        "vector-header",
        "vector-header-units",
        "vector-identity",
        "vector-mpu-raw",
        "vector-plain",
        "vector-plain-mps2",
        "vector-plain-raw",
        "vector-plain-timed",
        "vector-playground",
        "vector-plotter",
        "vector-replies",
        "vector-resync",
        "vector-rollover",
        "vector-sample",
        "vector-sequence-gap",
        "vector-sw1-then-plain",
        "vector-time-jump",
        "vector-units-unrecognised",
    ];
    tested.sort();
    assert_eq!(ids, tested);
}

#[test]
fn identity() {
    let (events, stats) = decode("vector-identity");
    let expected = vec![
        Frame::Identity(DeviceIdentity {
            protocol_version: 1,
            firmware: "swref-1.0.0".into(),
            model: "MPU6050".into(),
            acc_range_g: 4,
            gyro_range_dps: 500,
            rate_hz: 100,
            battery_pct: None,
        }),
        Frame::Identity(DeviceIdentity {
            protocol_version: 1,
            firmware: "clip-2.3".into(),
            model: "LSM6DS3".into(),
            acc_range_g: 8,
            gyro_range_dps: 1000,
            rate_hz: 50,
            battery_pct: Some(87),
        }),
    ];
    assert_eq!(frames(&events), expected);
    assert_eq!(stats.frames_ok, 2);
    assert_reencodes("vector-identity", &expected);
}

#[test]
fn sample() {
    let (events, stats) = decode("vector-sample");
    let expected = vec![Frame::Sample(sw1(
        1042,
        52_178_000,
        [0.0123, -0.9981, 0.0456],
        [1.25, -0.5, 0.03],
    ))];
    assert_eq!(frames(&events), expected);
    assert_eq!(stats.frames_ok, 1);
    assert_reencodes("vector-sample", &expected);
}

#[test]
fn rollover() {
    let (events, stats) = decode("vector-rollover");
    let s = samples(&events);
    let times: Vec<_> = s.iter().map(|s| s.device_time_us).collect();
    assert_eq!(
        times,
        [
            Some(4_294_957_000),
            Some(4_294_967_000),
            Some(4_294_977_000)
        ]
    );
    assert_eq!(s.last().map(|s| s.accel_g), Some([0.0124, -0.9983, 0.0452]));
    assert_eq!(s.last().map(|s| s.gyro_dps), Some([1.19, -0.55, 0.05]));
    assert!(errors(&events).is_empty());
    assert_eq!(stats.time_jumps, 0);
    assert_reencodes("vector-rollover", &frames(&events));
}

#[test]
fn sequence_gap() {
    let (events, stats) = decode("vector-sequence-gap");
    let (accel, gyro) = FLAT;
    assert_eq!(
        samples(&events),
        [
            sw1(7, 70_000, accel, gyro),
            sw1(8, 80_000, accel, gyro),
            sw1(11, 110_000, accel, gyro)
        ]
    );
    assert_eq!(
        errors(&events),
        [DecodeError::SequenceGap {
            expected: 9,
            found: 11,
            dropped: 2
        }]
    );
    assert_eq!((stats.sequence_gaps, stats.samples_dropped), (1, 2));
    assert_eq!(stats.time_jumps, 0);
    assert_reencodes("vector-sequence-gap", &frames(&events));
}

#[test]
fn time_jump() {
    let (events, stats) = decode("vector-time-jump");
    let times: Vec<_> = samples(&events).iter().map(|s| s.device_time_us).collect();
    assert_eq!(times, [Some(5_000_000), Some(5_010_000), Some(5_020_000)]);
    assert_eq!(
        errors(&events),
        [DecodeError::TimeJump {
            step_us: 1_000 - 5_000_000,
            expected_us: 10_000
        }]
    );
    assert_eq!(stats.time_jumps, 1);
    assert_eq!(stats.sequence_resets, 0);
}

#[test]
fn commands() {
    let (events, _) = decode("vector-commands");
    let expected = vec![
        Frame::Command(Command::Identify),
        Frame::Command(Command::SetRate { rate_hz: 50 }),
        Frame::Command(Command::Vibrate {
            duration_ms: 300,
            strength_pct: 80,
        }),
    ];
    assert_eq!(frames(&events), expected);
    assert_reencodes("vector-commands", &expected);
    // The documented by-hand check with Python's binascii.crc_hqx.
    assert_eq!(crc16(b"SW1,C,ID"), 0x91BC);
}

#[test]
fn replies() {
    let (events, stats) = decode("vector-replies");
    let expected = vec![
        Frame::Ack(Command::Identify),
        Frame::Ack(Command::SetRate { rate_hz: 50 }),
        Frame::Ack(Command::Vibrate {
            duration_ms: 300,
            strength_pct: 80,
        }),
        Frame::Nak(Nak {
            command: CommandName::Rate,
            reason: NakReason::Range,
        }),
        Frame::Nak(Nak {
            command: CommandName::Vib,
            reason: NakReason::Unsupported,
        }),
        Frame::Nak(Nak {
            command: CommandName::Other,
            reason: NakReason::Checksum,
        }),
    ];
    assert_eq!(frames(&events), expected);
    assert_eq!(stats.frames_ok, 6);
    assert_reencodes("vector-replies", &expected);
}

#[test]
fn bad_checksum() {
    let (events, stats) = decode("vector-bad-checksum");
    assert_eq!(
        events,
        [Err(DecodeError::ChecksumMismatch {
            expected: 0xAC0F,
            found: 0xADB7
        })]
    );
    assert_eq!(stats.checksum_failures, 1);
    assert_eq!(stats.frames_ok, 0);
}

#[test]
fn resync() {
    let (events, stats) = decode("vector-resync");
    assert_eq!(errors(&events), [DecodeError::MissingStart]);
    let s = samples(&events);
    assert_eq!(
        s.iter().map(|s| s.seq).collect::<Vec<_>>(),
        [Some(5), Some(6)]
    );
    assert_eq!(
        s.first().map(|s| s.accel_g),
        Some([-0.0021, 0.0113, 0.9987])
    );
    assert_eq!(s.last().map(|s| s.gyro_dps), Some([-0.10, 0.06, 0.0]));
    assert_eq!(stats.ignored_lines, 1);
    assert_eq!(stats.malformed_lines, 1);
    assert_eq!(stats.frames_ok, 2);
}

#[test]
fn plain() {
    let (events, stats) = decode("vector-plain");
    let s = samples(&events);
    assert_eq!(s.len(), 3);
    assert!(
        vector("vector-plain").contains(&b'\t'),
        "tab line lost its tabs"
    );
    for f in s {
        assert_eq!(f.format, LineFormat::Plain);
        assert_eq!((f.seq, f.device_time_us), (None, None));
        assert_eq!(f.accel_g, [0.0123, -0.9981, 0.0456]);
        assert_eq!(f.gyro_dps, [1.25, -0.5, 0.03]);
    }
    assert_eq!(stats.frames_ok, 3);
}

#[test]
fn plain_timed() {
    let (events, _) = decode("vector-plain-timed");
    assert_eq!(
        samples(&events),
        [SampleFrame {
            seq: None,
            device_time_us: Some(52_178_000),
            accel_g: [0.0123, -0.9981, 0.0456],
            gyro_dps: [1.25, -0.5, 0.03],
            format: LineFormat::PlainTimed,
        }]
    );
}

#[test]
fn mpu_raw() {
    let (events, stats) = decode("vector-mpu-raw");
    assert_eq!(
        samples(&events),
        [SampleFrame {
            seq: None,
            device_time_us: None,
            accel_g: [-1202.0 / 16384.0, 356.0 / 16384.0, 16290.0 / 16384.0],
            gyro_dps: [-1.0, 2.0, 13.0 / 131.0],
            format: LineFormat::MpuRaw,
        }]
    );
    assert_eq!(stats.ignored_lines, 3);
    assert!(
        vector("vector-mpu-raw").contains(&b'\t'),
        "a/g line lost its tabs"
    );
}

/// Standard gravity, m/s² per g.
const G: f64 = 9.806_65;

fn assert_close(got: [f64; 3], want: [f64; 3], what: &str) {
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-9, "{what}: {got:?} vs {want:?}");
    }
}

#[test]
fn plain_mps2() {
    let (events, stats) = decode("vector-plain-mps2");
    let s = samples(&events);
    assert_eq!(s.len(), 3);
    let first = s.first().copied().unwrap_or_else(|| panic!("no sample"));
    assert_close(first.accel_g, [0.12 / G, -0.34 / G, 9.79 / G], "accel");
    assert_close(
        first.gyro_dps,
        [0.01f64.to_degrees(), (-0.02f64).to_degrees(), 0.0],
        "gyro",
    );
    assert_eq!(
        (first.format, first.device_time_us),
        (LineFormat::Plain, None)
    );
    assert_eq!(stats.frames_ok, 3);
}

#[test]
fn plotter() {
    let (events, _) = decode("vector-plotter");
    let s = samples(&events);
    assert_eq!(s.len(), 2);
    let first = s.first().copied().unwrap_or_else(|| panic!("no sample"));
    assert_close(first.accel_g, [0.12 / G, -0.34 / G, 9.79 / G], "accel");
    assert_close(
        first.gyro_dps,
        [0.01f64.to_degrees(), (-0.02f64).to_degrees(), 0.0],
        "gyro",
    );
    assert_eq!(first.format, LineFormat::Labelled);
}

#[test]
fn playground() {
    let (events, _) = decode("vector-playground");
    let s = samples(&events);
    assert_eq!(s.len(), 1);
    let first = s.first().copied().unwrap_or_else(|| panic!("no sample"));
    assert_close(
        first.accel_g,
        [-601.0 / 8192.0, 178.0 / 8192.0, 8145.0 / 8192.0],
        "accel",
    );
    assert_close(
        first.gyro_dps,
        [-65.0 / 65.5, 131.0 / 65.5, 6.0 / 65.5],
        "gyro",
    );
    assert_eq!(first.format, LineFormat::Labelled);
}

#[test]
fn plain_raw() {
    let (events, _) = decode("vector-plain-raw");
    let s = samples(&events);
    let first = s.first().copied().unwrap_or_else(|| panic!("no sample"));
    assert_close(
        first.accel_g,
        [-1202.0 / 16384.0, 356.0 / 16384.0, 16290.0 / 16384.0],
        "accel",
    );
    assert_close(first.gyro_dps, [-1.0, 2.0, 13.0 / 131.0], "gyro");
    assert!(
        vector("vector-plain-raw").contains(&b'\t'),
        "raw line lost its tabs"
    );
}

#[test]
fn header() {
    let (events, stats) = decode("vector-header");
    let s = samples(&events);
    let times: Vec<_> = s.iter().map(|s| s.device_time_us).collect();
    assert_eq!(times, [Some(5_000_000), Some(5_010_000), Some(5_020_000)]);
    let first = s.first().copied().unwrap_or_else(|| panic!("no sample"));
    assert_close(first.accel_g, [0.10 / G, -0.30 / G, 9.80 / G], "accel");
    assert_eq!(first.format, LineFormat::PlainTimed);
    assert_eq!((stats.ignored_lines, stats.frames_ok), (1, 3));
}

#[test]
fn header_units() {
    let (events, _) = decode("vector-header-units");
    let s = samples(&events);
    let times: Vec<_> = s.iter().map(|s| s.device_time_us).collect();
    assert_eq!(times, [Some(0), Some(10_000)]);
    assert_eq!(s.first().map(|s| s.accel_g), Some([0.012, -0.998, 0.051]));
    assert_eq!(s.first().map(|s| s.gyro_dps), Some([0.12, -0.05, 0.3]));
}

#[test]
fn units_unrecognised() {
    let (events, stats) = decode("vector-units-unrecognised");
    assert!(samples(&events).is_empty());
    assert_eq!(
        errors(&events),
        [DecodeError::UnitsUnrecognised {
            gravity_milli: 3742,
            dropped: 2
        }]
    );
    assert_eq!((stats.units_unrecognised, stats.malformed_lines), (2, 0));
}

#[test]
fn sw1_then_plain() {
    let (events, stats) = decode("vector-sw1-then-plain");
    assert_eq!(
        samples(&events).iter().map(|s| s.seq).collect::<Vec<_>>(),
        [Some(20), Some(21)]
    );
    assert_eq!(errors(&events), [DecodeError::UncheckedLine]);
    assert_eq!(stats.malformed_lines, 1);
}

#[test]
fn clock_glitch() {
    let (events, stats) = decode("vector-clock-glitch");
    let times: Vec<_> = samples(&events).iter().map(|s| s.device_time_us).collect();
    assert_eq!(
        times,
        [Some(400_000), Some(410_000), Some(420_000), Some(430_000)]
    );
    assert_eq!(
        errors(&events),
        [DecodeError::TimeJump {
            step_us: 2_000_010_000,
            expected_us: 10_000
        }]
    );
    assert_eq!(stats.time_jumps, 1);
}

#[test]
fn reference_firmware_matches_the_spec() {
    let firmware = blocks()
        .into_iter()
        .find(|(id, lang, _)| id == "reference-firmware" && lang == "cpp")
        .map(|(_, _, bytes)| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    // The firmware's identity line is the first identity vector.
    for needle in [
        "uint16_t crc = 0xFFFF;",
        "^ 0x1021",
        "\"swref-1.0.0\"",
        ",model=MPU6050,acc_range_g=",
        "ACC_RANGE_G = 4;",
        "GYRO_RANGE_DPS = 500;",
        "DEFAULT_RATE_HZ = 100;",
        "\"$SW1,C,\"",
        "void setup()",
        "void loop()",
    ] {
        assert!(
            firmware.contains(needle),
            "reference firmware lacks {needle:?}"
        );
    }
}
