//! The protocol decoder on structure-aware hostile streams: valid `$SW1` records and their
//! mutations (bit flips, truncation, overlong runs, checksum changes, splices of two lines),
//! every plain-line format (six and seven values on commas, tabs or spaces; header lines; the
//! `Label:value` styles; `a/g:` raw counts) in every unit (g, m/s², raw counts; deg/s, rad/s),
//! banners, binary garbage, all cut at random read boundaries.
//!
//! Properties: no panic; the same events and statistics whatever the read boundaries; no
//! allocation while decoding (the decoder's memory is what `Decoder::new` took); error texts of
//! one short line; every sample finite and inside the protocol limits, with device time that
//! never goes back; decoded samples run through a calibrated pipeline give finite angles; and
//! round trips: encode → decode for `$SW1` records, print → decode for plain lines.

use proptest::prelude::*;
use proptest::sample::select;
use spinewatch::posture::Config as PostureConfig;
use spinewatch::protocol::{
    ACCEL_LIMIT_G, AccelUnit, Command, DecodeError, Decoder, DecoderSettings, DeviceIdentity,
    Frame, GYRO_LIMIT_DPS, GyroUnit, IDENTITY_TOKEN_MAX, LineFormat, MAX_LINE_LEN, Nak, NakReason,
    RAW_SCALES, STANDARD_GRAVITY_MPS2, SampleFrame, SampleUnits, Units, crc16, encode_ack,
    encode_command, encode_identity, encode_nak, encode_sample,
};
use spinewatch::sample::ImuSample;

use super::support::{self, Bytes};

/// Cases of the CI-sized run (each a stream of up to a few dozen lines, decoded three ways).
const CI_STREAM_CASES: u32 = 3_000;
const CI_ROUND_TRIP_CASES: u32 = 2_000;

/// Longest error text accepted: one short line whatever came in.
const ERROR_TEXT_MAX: usize = 160;

// ---------------------------------------------------------------------------------------------
// Strategies

/// A value in g or deg/s: mostly ordinary, sometimes at or just past the limits.
fn physical(limit: f64) -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => -2.0f64..2.0,
        2 => -limit..limit,
        1 => select(vec![limit, -limit, limit * 1.0001, 0.0, -0.0, 1e-9, limit * 2.0]),
    ]
}

fn sample_frame() -> impl Strategy<Value = SampleFrame> {
    (
        any::<u32>(),
        any::<u32>(),
        [
            physical(ACCEL_LIMIT_G),
            physical(ACCEL_LIMIT_G),
            physical(ACCEL_LIMIT_G),
        ],
        [
            physical(GYRO_LIMIT_DPS),
            physical(GYRO_LIMIT_DPS),
            physical(GYRO_LIMIT_DPS),
        ],
    )
        .prop_map(|(seq, t, accel_g, gyro_dps)| SampleFrame {
            seq: Some(seq),
            device_time_us: Some(u64::from(t)),
            accel_g,
            gyro_dps,
            format: LineFormat::Sw1,
        })
}

/// A run of consecutive `$SW1` samples as a device sends them (sequence +1, time + period), with
/// the odd lost sample, reset or clock glitch.
fn sw1_run() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<u32>(),
        any::<u32>(),
        select(vec![1_000u32, 10_000, 20_000, 100_000]),
        prop::collection::vec((0u8..20, [-1.2f64..1.2, -1.2..1.2, -1.2..1.2]), 1..24),
    )
        .prop_map(|(seq0, t0, period, steps)| {
            let mut out = Vec::new();
            let (mut seq, mut t) = (seq0, t0);
            for (what, accel) in steps {
                match what {
                    0 => seq = seq.wrapping_add(5),         // samples lost
                    1 => seq = 0,                           // device reset
                    2 => t = t.wrapping_add(2_000_000_000), // clock glitch
                    3 => t = t.wrapping_sub(3_000_000),     // clock backwards
                    _ => {}
                }
                encode_sample(
                    &SampleFrame {
                        seq: Some(seq),
                        device_time_us: Some(u64::from(t)),
                        accel_g: accel,
                        gyro_dps: [accel[0] * 100.0, accel[1] * 10.0, 1.5],
                        format: LineFormat::Sw1,
                    },
                    &mut out,
                );
                seq = seq.wrapping_add(1);
                t = t.wrapping_add(period);
            }
            out
        })
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        Just(Command::Identify),
        any::<u16>().prop_map(|rate_hz| Command::SetRate { rate_hz }),
        (any::<u16>(), any::<u8>()).prop_map(|(duration_ms, strength_pct)| Command::Vibrate {
            duration_ms,
            strength_pct
        }),
    ]
}

fn identity() -> impl Strategy<Value = DeviceIdentity> {
    (
        "[ -~]{0,40}",
        "[ -~]{0,40}",
        any::<u16>(),
        any::<u16>(),
        any::<u16>(),
        prop::option::of(any::<u8>()),
    )
        .prop_map(
            |(firmware, model, acc_range_g, gyro_range_dps, rate_hz, battery_pct)| DeviceIdentity {
                protocol_version: 1,
                firmware,
                model,
                acc_range_g,
                gyro_range_dps,
                rate_hz,
                battery_pct,
            },
        )
}

/// One valid `$SW1` line of any record type.
fn sw1_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => sample_frame().prop_map(|f| encoded(|out| encode_sample(&f, out))),
        1 => identity().prop_map(|id| encoded(|out| encode_identity(&id, out))),
        1 => command().prop_map(|c| encoded(|out| encode_command(&c, out))),
        1 => command().prop_map(|c| encoded(|out| encode_ack(&c, out))),
        1 => (command(), select(vec![NakReason::Checksum, NakReason::Syntax, NakReason::Range, NakReason::UnknownCommand]))
            .prop_map(|(c, reason)| encoded(|out| encode_nak(&Nak { command: c.name(), reason }, out))),
        // A record type added after version 1, checksum valid: ignored, never an error.
        1 => "[A-Z]{1,3}(,[ -)+-~]{0,12}){0,3}".prop_map(|body| sw1_with_crc(&format!("SW1,{body}"))),
    ]
}

fn encoded(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    f(&mut out);
    out
}

/// `$<content>*CRC\r\n` with the right checksum: lets mutations inside the content survive the
/// CRC check, so the field parsers see them.
fn sw1_with_crc(content: &str) -> Vec<u8> {
    format!("${content}*{:04X}\r\n", crc16(content.as_bytes())).into_bytes()
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
    Delete(usize),
    /// Repeats the bytes from here to the end `n` times (an overlong line).
    Repeat(usize, usize),
    /// Writes these four characters over the checksum.
    Crc([u8; 4]),
    /// Changes a byte of the content and fixes the checksum, so the field parsers see it.
    FieldWithCrc(usize, u8),
    DropTerminator,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let hex = select(b"0123456789ABCDEFabcdefXZ*$ ".to_vec());
    prop_oneof![
        3 => (any::<usize>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        2 => any::<usize>().prop_map(Mutation::Truncate),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        2 => any::<usize>().prop_map(Mutation::Delete),
        1 => (any::<usize>(), 1usize..12).prop_map(|(i, n)| Mutation::Repeat(i, n)),
        2 => [hex.clone(), hex.clone(), hex.clone(), hex].prop_map(Mutation::Crc),
        3 => (any::<usize>(), select(b"0123456789-+.eE,*$ xS".to_vec()))
            .prop_map(|(i, b)| Mutation::FieldWithCrc(i, b)),
        1 => Just(Mutation::DropTerminator),
    ]
}

fn mutate(line: &mut Vec<u8>, m: &Mutation) {
    let len = line.len();
    let at = |i: usize| if len == 0 { 0 } else { i % len };
    match *m {
        Mutation::FlipBit(i, b) => {
            if let Some(x) = line.get_mut(at(i)) {
                *x ^= 1 << b;
            }
        }
        Mutation::Truncate(i) => line.truncate(at(i)),
        Mutation::Insert(i, b) => line.insert(at(i), b),
        Mutation::Delete(i) => {
            if len > 0 {
                line.remove(at(i));
            }
        }
        Mutation::Repeat(i, n) => {
            let tail = line.get(at(i)..).unwrap_or_default().to_vec();
            for _ in 0..n {
                line.extend_from_slice(&tail);
            }
        }
        Mutation::Crc(digits) => {
            if let Some(star) = line.iter().rposition(|&b| b == b'*') {
                for (k, d) in digits.iter().enumerate() {
                    if let Some(x) = line.get_mut(star + 1 + k) {
                        *x = *d;
                    }
                }
            }
        }
        Mutation::FieldWithCrc(i, b) => {
            let Some(star) = line.iter().rposition(|&c| c == b'*') else {
                return;
            };
            if star < 2 {
                return;
            }
            let mut content = line.get(1..star).unwrap_or_default().to_vec();
            let n = content.len();
            if let Some(x) = content.get_mut(i % n.max(1)) {
                *x = b;
            }
            if let Ok(text) = std::str::from_utf8(&content) {
                *line = sw1_with_crc(text);
            }
        }
        Mutation::DropTerminator => {
            while matches!(line.last(), Some(b'\r' | b'\n')) {
                line.pop();
            }
        }
    }
}

/// A `$SW1` line with a few mutations.
fn sw1_mutated() -> impl Strategy<Value = Vec<u8>> {
    (sw1_line(), prop::collection::vec(mutation(), 1..4)).prop_map(|(mut line, ms)| {
        for m in &ms {
            mutate(&mut line, m);
        }
        line
    })
}

/// The start of one line joined to the end of another (a lost stretch of the stream).
fn splice() -> impl Strategy<Value = Vec<u8>> {
    (sw1_line(), sw1_line(), any::<usize>(), any::<usize>()).prop_map(|(a, b, i, j)| {
        let mut out = a.get(..i % (a.len() + 1)).unwrap_or_default().to_vec();
        out.extend_from_slice(b.get(j % (b.len() + 1)..).unwrap_or_default());
        out
    })
}

/// What a plain sketch prints its acceleration in, with its gravity reading at rest.
#[derive(Debug, Clone, Copy)]
enum PlainAccel {
    G,
    Mps2,
    Counts(usize),
}

#[derive(Debug, Clone, Copy)]
enum PlainGyro {
    Dps,
    Rads,
    Counts,
}

impl PlainAccel {
    fn per_g(self) -> f64 {
        match self {
            PlainAccel::G => 1.0,
            PlainAccel::Mps2 => STANDARD_GRAVITY_MPS2,
            PlainAccel::Counts(i) => RAW_SCALES.get(i).map_or(16384.0, |(a, _)| a.get()),
        }
    }

    fn unit(self) -> AccelUnit {
        match self {
            PlainAccel::G => AccelUnit::G,
            PlainAccel::Mps2 => AccelUnit::MetresPerSecond2,
            PlainAccel::Counts(i) => RAW_SCALES
                .get(i)
                .map_or(AccelUnit::G, |(a, _)| AccelUnit::Counts(*a)),
        }
    }

    fn label(self) -> &'static str {
        match self {
            PlainAccel::G => "g",
            PlainAccel::Mps2 => "m/s^2",
            PlainAccel::Counts(_) => "raw",
        }
    }
}

impl PlainGyro {
    /// Printed units per deg/s, given the accelerometer's scale (raw gyro counts pair with it).
    fn per_dps(self, accel: PlainAccel) -> f64 {
        match (self, accel) {
            (PlainGyro::Dps, _) => 1.0,
            (PlainGyro::Rads, _) => 1f64.to_radians(),
            (PlainGyro::Counts, PlainAccel::Counts(i)) => {
                RAW_SCALES.get(i).map_or(131.0, |(_, g)| g.get())
            }
            (PlainGyro::Counts, _) => 131.0,
        }
    }

    fn unit(self, accel: PlainAccel) -> GyroUnit {
        match (self, accel) {
            (PlainGyro::Dps, _) => GyroUnit::DegreesPerSecond,
            (PlainGyro::Rads, _) => GyroUnit::RadiansPerSecond,
            (PlainGyro::Counts, PlainAccel::Counts(i)) => RAW_SCALES
                .get(i)
                .map_or(GyroUnit::DegreesPerSecond, |(_, g)| GyroUnit::Counts(*g)),
            (PlainGyro::Counts, _) => spinewatch::protocol::Scale::new(131.0)
                .map_or(GyroUnit::DegreesPerSecond, GyroUnit::Counts),
        }
    }

    fn label(self) -> &'static str {
        match self {
            PlainGyro::Dps => "dps",
            PlainGyro::Rads => "rad/s",
            PlainGyro::Counts => "raw",
        }
    }
}

fn plain_accel() -> impl Strategy<Value = PlainAccel> {
    prop_oneof![
        Just(PlainAccel::G),
        Just(PlainAccel::Mps2),
        (0usize..4).prop_map(PlainAccel::Counts)
    ]
}

fn plain_gyro() -> impl Strategy<Value = PlainGyro> {
    prop_oneof![
        Just(PlainGyro::Dps),
        Just(PlainGyro::Rads),
        Just(PlainGyro::Counts)
    ]
}

/// The plain-line layouts sketches print.
#[derive(Debug, Clone, Copy)]
enum PlainStyle {
    /// Six values; the separator: `,`, `, `, tab, space, runs of spaces, a trailing comma.
    Six(usize),
    /// Seven values, time first (in s, ms or µs).
    Seven(usize, usize),
    /// A header naming the columns (in a shuffled order, an extra column), then rows.
    Header(usize, u64, bool),
    /// `AccelX:0.1,AccelY:…` Serial Plotter pairs, or `AcX = … | AcY = …`.
    Labelled(usize),
    /// `a/g:` and six raw counts.
    MpuRaw,
}

const SEPARATORS: [&str; 6] = [",", ", ", "\t", " ", "   ", ","];

fn plain_style() -> impl Strategy<Value = PlainStyle> {
    prop_oneof![
        3 => (0usize..6).prop_map(PlainStyle::Six),
        2 => (0usize..6, 0usize..3).prop_map(|(s, t)| PlainStyle::Seven(s, t)),
        2 => (0usize..4, any::<u64>(), any::<bool>()).prop_map(|(n, p, e)| PlainStyle::Header(n, p, e)),
        2 => (0usize..3).prop_map(PlainStyle::Labelled),
        1 => Just(PlainStyle::MpuRaw),
    ]
}

/// How a number is printed: fixed decimals, scientific, with a `+`, without a leading zero.
fn print_number(v: f64, how: u8) -> String {
    match how % 6 {
        0 => format!("{v:.4}"),
        1 => format!("{v:.2}"),
        2 => format!("{v:e}"),
        3 if v >= 0.0 => format!("+{v:.3}"),
        4 => {
            let s = format!("{v:.3}");
            if let Some(rest) = s.strip_prefix("0.") {
                format!(".{rest}")
            } else if let Some(rest) = s.strip_prefix("-0.") {
                format!("-.{rest}")
            } else {
                s
            }
        }
        _ => format!("{v}"),
    }
}

/// A number that is not a usable reading, as a sketch (or line noise) might print it.
const HOSTILE_NUMBERS: [&str; 14] = [
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e308",
    "-1e308",
    "1e999",
    "4.9e-324",
    "99999999999999999999",
    "32768.0001",
    "-0",
    "0x10",
    "1,5",
    "",
];

/// One plain reading: the sensor at rest in a random orientation, with some motion.
#[derive(Debug, Clone, Copy)]
struct Reading {
    accel_g: [f64; 3],
    gyro_dps: [f64; 3],
    /// Print the `n`th hostile number in place of one value (`None`: a normal line).
    hostile: Option<(usize, usize)>,
    how: u8,
}

fn reading() -> impl Strategy<Value = Reading> {
    (
        (0.0f64..std::f64::consts::PI, 0.0f64..std::f64::consts::TAU),
        0.9f64..1.1,
        [-50.0f64..50.0, -50.0..50.0, -50.0..50.0],
        prop::option::weighted(0.05, (0usize..7, 0usize..HOSTILE_NUMBERS.len())),
        any::<u8>(),
    )
        .prop_map(|((theta, phi), g, gyro_dps, hostile, how)| {
            // Gravity from any direction (spherical angles: never a zero vector).
            let (x, y, z) = (
                theta.sin() * phi.cos(),
                theta.sin() * phi.sin(),
                theta.cos(),
            );
            Reading {
                accel_g: [x * g, y * g, z * g],
                gyro_dps,
                hostile,
                how,
            }
        })
}

/// The printed fields of one reading: t (if any), ax, ay, az, gx, gy, gz.
fn fields_of(r: &Reading, t: Option<String>, a: PlainAccel, g: PlainGyro) -> Vec<String> {
    let mut out: Vec<String> = t.into_iter().collect();
    let raw = matches!(a, PlainAccel::Counts(_));
    for v in r.accel_g {
        let v = v * a.per_g();
        out.push(if raw {
            format!("{}", v.round())
        } else {
            print_number(v, r.how)
        });
    }
    for v in r.gyro_dps {
        let v = v * g.per_dps(a);
        out.push(if raw && matches!(g, PlainGyro::Counts) {
            format!("{}", v.round())
        } else {
            print_number(v, r.how)
        });
    }
    if let Some((i, h)) = r.hostile {
        let len = out.len();
        if let Some(slot) = out.get_mut(i % len) {
            *slot = HOSTILE_NUMBERS.get(h).copied().unwrap_or("nan").to_string();
        }
    }
    out
}

const ACCEL_NAMES: [[&str; 3]; 4] = [
    ["AccelX", "AccelY", "AccelZ"],
    ["ax", "ay", "az"],
    ["AcX", "AcY", "AcZ"],
    ["acc_x", "acc_y", "acc_z"],
];
const GYRO_NAMES: [[&str; 3]; 4] = [
    ["GyroX", "GyroY", "GyroZ"],
    ["gx", "gy", "gz"],
    ["GyX", "GyY", "GyZ"],
    ["gyro_x", "gyro_y", "gyro_z"],
];
const TIME_NAMES: [(&str, f64); 3] = [("time_s", 1.0), ("time_ms", 1e3), ("t_us", 1e6)];

/// A block of plain lines of one style and unit, as one sketch prints them.
fn plain_block() -> impl Strategy<Value = Vec<u8>> {
    (
        plain_style(),
        plain_accel(),
        plain_gyro(),
        any::<bool>(),
        prop::collection::vec(reading(), 1..40),
        select(vec!["\r\n", "\n", "\r", "\n\n"]),
    )
        .prop_map(|(style, a, g, labelled_units, readings, eol)| {
            plain_lines(style, a, g, labelled_units, &readings, eol)
        })
}

fn plain_lines(
    style: PlainStyle,
    a: PlainAccel,
    g: PlainGyro,
    labelled_units: bool,
    readings: &[Reading],
    eol: &str,
) -> Vec<u8> {
    let mut out = String::new();
    match style {
        PlainStyle::Six(s) | PlainStyle::Seven(s, _) => {
            let sep = SEPARATORS.get(s).copied().unwrap_or(",");
            for (i, r) in readings.iter().enumerate() {
                let t = match style {
                    PlainStyle::Seven(_, u) => {
                        let (_, per_s) = TIME_NAMES.get(u).copied().unwrap_or(("t", 1.0));
                        Some(format!("{}", (i as f64 * 0.01 * per_s * 1e3).round() / 1e3))
                    }
                    _ => None,
                };
                out.push_str(&fields_of(r, t, a, g).join(sep));
                if s == 5 {
                    out.push(','); // one trailing comma, as some sketches print
                }
                out.push_str(eol);
            }
        }
        PlainStyle::Header(names, perm, extra) => {
            let accel = ACCEL_NAMES.get(names).copied().unwrap_or(ACCEL_NAMES[0]);
            let gyro = GYRO_NAMES.get(names).copied().unwrap_or(GYRO_NAMES[0]);
            let (tname, per_s) = TIME_NAMES
                .get((perm % 3) as usize)
                .copied()
                .unwrap_or(("t", 1.0));
            let mut columns: Vec<String> = vec![tname.to_string()];
            for n in accel {
                columns.push(if labelled_units {
                    format!("{n}({})", a.label())
                } else {
                    n.to_string()
                });
            }
            for n in gyro {
                columns.push(if labelled_units {
                    format!("{n}({})", g.label())
                } else {
                    n.to_string()
                });
            }
            if extra {
                columns.push("temp".into());
            }
            // A fixed shuffle of the columns from `perm`.
            let mut order: Vec<usize> = (0..columns.len()).collect();
            let mut p = perm;
            for i in (1..order.len()).rev() {
                order.swap(i, (p % (i as u64 + 1)) as usize);
                p /= i as u64 + 1;
            }
            let sep = if perm % 2 == 0 { "," } else { "\t" };
            let header: Vec<&str> = order
                .iter()
                .filter_map(|&i| columns.get(i).map(String::as_str))
                .collect();
            out.push_str(&header.join(sep));
            out.push_str(eol);
            for (i, r) in readings.iter().enumerate() {
                let t = format!("{}", (i as f64 * 0.01 * per_s * 1e3).round() / 1e3);
                let mut fields = fields_of(r, Some(t), a, g);
                if extra {
                    fields.push("23.5".into());
                }
                let row: Vec<&str> = order
                    .iter()
                    .filter_map(|&i| fields.get(i).map(String::as_str))
                    .collect();
                out.push_str(&row.join(sep));
                out.push_str(eol);
            }
        }
        PlainStyle::Labelled(kind) => {
            for r in readings {
                let f = fields_of(r, None, a, g);
                let names: Vec<&str> = match kind {
                    0 => ACCEL_NAMES[0]
                        .iter()
                        .chain(&GYRO_NAMES[0])
                        .copied()
                        .collect(),
                    1 => ACCEL_NAMES[2]
                        .iter()
                        .chain(&GYRO_NAMES[2])
                        .copied()
                        .collect(),
                    _ => ACCEL_NAMES[1]
                        .iter()
                        .chain(&GYRO_NAMES[1])
                        .copied()
                        .collect(),
                };
                let pairs: Vec<String> = names
                    .iter()
                    .zip(&f)
                    .enumerate()
                    .map(|(i, (n, v))| {
                        let unit = if labelled_units && i == 2 {
                            format!(" {}", a.label())
                        } else if labelled_units && i == 5 {
                            format!(" {}", g.label())
                        } else {
                            String::new()
                        };
                        match kind {
                            1 => format!("{n} = {v}{unit}"),
                            _ => format!("{n}:{v}{unit}"),
                        }
                    })
                    .collect();
                out.push_str(&pairs.join(if kind == 1 { " | " } else { "," }));
                out.push_str(eol);
            }
        }
        PlainStyle::MpuRaw => {
            for r in readings {
                let raw = PlainAccel::Counts(0);
                let f = fields_of(r, None, raw, PlainGyro::Counts);
                out.push_str("a/g:\t");
                out.push_str(&f.join("\t"));
                out.push_str(eol);
            }
        }
    }
    out.into_bytes()
}

const BANNERS: [&str; 8] = [
    "MPU6050 connection successful",
    "Initializing I2C devices...",
    "Filter bandwidth set to: 21 Hz",
    "Accelerometer range set to: +-8G",
    "Acceleration X: 0.12, Y: -0.34, Z: 9.79 m/s^2",
    "ax ay az gx gy gz",
    "ax ax ay az gx gy gz",
    "Temp:23.5 Hum:40",
];

/// One piece of a hostile stream.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => sw1_run(),
        3 => sw1_mutated(),
        2 => sw1_line(),
        1 => splice(),
        5 => plain_block(),
        1 => (select(BANNERS.to_vec()), select(vec!["\r\n", "\n", ""]))
            .prop_map(|(b, e)| format!("{b}{e}").into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => (select(b"7,$\r a".to_vec()), 200usize..700).prop_map(|(b, n)| vec![b; n]),
        1 => (plain_block(), prop::collection::vec(mutation(), 1..3)).prop_map(|(mut b, ms)| {
            for m in &ms {
                mutate(&mut b, m);
            }
            b
        }),
    ]
}

fn units_choice() -> impl Strategy<Value = Units> {
    prop_oneof![
        6 => Just(Units::Auto),
        1 => (plain_accel(), plain_gyro())
            .prop_map(|(a, g)| Units::Fixed(SampleUnits { accel: a.unit(), gyro: g.unit(a) })),
    ]
}

fn settings() -> impl Strategy<Value = DecoderSettings> {
    (
        units_choice(),
        prop::bool::weighted(0.95),
        select(vec![100.0, 50.0, 1000.0, 0.0, f64::NAN, -5.0, 1e300]),
    )
        .prop_map(|(units, accept_legacy, nominal_rate_hz)| DecoderSettings {
            nominal_rate_hz,
            units,
            accept_legacy,
        })
}

/// A stream, the read boundaries to cut it at, and the decoder settings.
#[derive(Debug, Clone)]
pub struct StreamCase {
    bytes: Bytes,
    chunks: Vec<usize>,
    settings: DecoderSettings,
}

fn stream_case() -> impl Strategy<Value = StreamCase> {
    (
        prop::collection::vec(piece(), 0..8),
        prop::collection::vec(
            prop_oneof![3 => 1usize..8, 2 => 8usize..64, 1 => 64usize..600],
            1..8,
        ),
        settings(),
    )
        .prop_map(|(pieces, chunks, settings)| StreamCase {
            bytes: Bytes(pieces.concat()),
            chunks,
            settings,
        })
}

// ---------------------------------------------------------------------------------------------
// Properties

type Events = Vec<Result<Frame, DecodeError>>;

/// Decodes `bytes` cut at `chunks` (cycled); checks the bounds that hold after every read.
fn decode(
    bytes: &[u8],
    chunks: &[usize],
    settings: DecoderSettings,
) -> Result<(Events, Decoder), TestCaseError> {
    let mut decoder = Decoder::new(settings);
    // Room for every event up front, so any allocation measured below is the decoder's: a line
    // yields at most a frame and an anomaly, and a units verdict at most its held window.
    let mut events: Events = Vec::with_capacity(2 * bytes.len() + 64);
    let mut rest = bytes;
    let mut i = 0usize;
    let before = support::allocated_bytes();
    while !rest.is_empty() {
        let n = chunks
            .get(i % chunks.len().max(1))
            .copied()
            .unwrap_or(usize::MAX)
            .clamp(1, rest.len());
        let (head, tail) = rest.split_at(n);
        decoder.push_events(head, &mut |e| events.push(e));
        rest = tail;
        i += 1;
    }
    decoder.flush_events(&mut |e| events.push(e));
    let allocated = support::allocated_bytes() - before;
    // Only an identity record allocates (its firmware and model texts, at most 32 bytes each,
    // whether or not the rest of the record then reads): nothing else a line yields, and
    // nothing the decoder keeps, takes memory.
    let records = bytes.iter().filter(|&&b| b == b'$').count() as u64;
    prop_assert!(
        allocated <= records * 2 * IDENTITY_TOKEN_MAX as u64,
        "the decoder allocated {} bytes while decoding {} bytes ({} `$` records)",
        allocated,
        bytes.len(),
        records
    );
    prop_assert_eq!(decoder.pending_len(), 0);
    Ok((events, decoder))
}

/// What must hold for the events of any input.
fn check_events(events: &Events) -> Result<Vec<SampleFrame>, TestCaseError> {
    let mut last_time = None;
    let mut samples = Vec::new();
    for event in events {
        match event {
            Err(e) => {
                let text = e.to_string();
                prop_assert!(
                    text.len() <= ERROR_TEXT_MAX && !text.contains('\n'),
                    "error text of {} bytes: {}",
                    text.len(),
                    text
                );
            }
            Ok(Frame::Sample(s)) => {
                for v in s.accel_g {
                    prop_assert!(v.is_finite() && v.abs() <= ACCEL_LIMIT_G, "accel {}", v);
                }
                for v in s.gyro_dps {
                    prop_assert!(v.is_finite() && v.abs() <= GYRO_LIMIT_DPS, "gyro {}", v);
                }
                if let Some(t) = s.device_time_us {
                    prop_assert!(
                        last_time.is_none_or(|last| t >= last),
                        "device time went back to {} from {:?}",
                        t,
                        last_time
                    );
                    last_time = Some(t);
                }
                samples.push(*s);
            }
            Ok(_) => {}
        }
    }
    Ok(samples)
}

/// The samples as the source hands them on: device time, else arrival at 100 Hz, never going
/// back (the source's time base keeps session time monotonic).
fn imu_samples(frames: &[SampleFrame]) -> Vec<ImuSample> {
    let mut t = 0.0f64;
    frames
        .iter()
        .map(|f| {
            t = f.device_time_s().unwrap_or(t + 0.01).max(t);
            f.to_imu_sample(t)
        })
        .collect()
}

fn stream_property(case: StreamCase) -> Result<(), TestCaseError> {
    let bytes = &case.bytes.0;
    let (whole, decoder) = decode(bytes, &[usize::MAX], case.settings)?;
    let samples = check_events(&whole)?;
    let stats = decoder.stats();
    prop_assert_eq!(stats.bytes, bytes.len() as u64);
    prop_assert_eq!(
        stats.frames_ok as usize,
        whole.iter().filter(|e| e.is_ok()).count()
    );
    // The same frames, errors and counts whatever the read boundaries.
    let (chunked, chunked_decoder) = decode(bytes, &case.chunks, case.settings)?;
    prop_assert_eq!(
        &whole,
        &chunked,
        "read boundaries {:?} changed the events",
        case.chunks
    );
    prop_assert_eq!(stats, chunked_decoder.stats());
    // Debug text: a gravity reading that is not a number must compare equal too.
    prop_assert_eq!(
        format!("{:?}", decoder.units()),
        format!("{:?}", chunked_decoder.units())
    );
    if bytes.len() <= 512 {
        let (bytewise, _) = decode(bytes, &[1], case.settings)?;
        prop_assert_eq!(&whole, &bytewise, "byte-by-byte reads changed the events");
    }
    // Nothing that is not a finite number reaches the rules.
    support::check_pipeline(
        &PostureConfig::default(),
        None,
        decoder.device_rate_hz(),
        &imu_samples(&samples),
    )
    .map_err(TestCaseError::fail)?;
    Ok(())
}

/// A sample encoded and decoded again is the sample, to the printed resolution.
fn sw1_round_trip(frame: SampleFrame) -> Result<(), TestCaseError> {
    let mut line = Vec::new();
    encode_sample(&frame, &mut line);
    let mut decoder = Decoder::new(DecoderSettings::default());
    let mut frames = Vec::new();
    decoder.push_events(&line, &mut |e| frames.push(e));
    prop_assert_eq!(frames.len(), 1, "{:?}", frames);
    let Some(Ok(Frame::Sample(back))) = frames.first() else {
        return Err(TestCaseError::fail(format!(
            "{} did not decode: {frames:?}",
            line.escape_ascii()
        )));
    };
    prop_assert_eq!(back.seq, frame.seq);
    prop_assert_eq!(back.device_time_us, frame.device_time_us);
    for (b, f) in back.accel_g.iter().zip(frame.accel_g) {
        let want = f.clamp(-ACCEL_LIMIT_G, ACCEL_LIMIT_G);
        prop_assert!((b - want).abs() <= 0.5e-4 + 1e-12, "accel {} -> {}", f, b);
    }
    for (b, f) in back.gyro_dps.iter().zip(frame.gyro_dps) {
        let want = f.clamp(-GYRO_LIMIT_DPS, GYRO_LIMIT_DPS);
        prop_assert!((b - want).abs() <= 0.5e-2 + 1e-9, "gyro {} -> {}", f, b);
    }
    Ok(())
}

/// Any other record encoded and decoded again is the record (its text sanitised).
fn other_round_trip(command: Command, id: DeviceIdentity) -> Result<(), TestCaseError> {
    for line in [
        encoded(|o| encode_command(&command, o)),
        encoded(|o| encode_ack(&command, o)),
        encoded(|o| encode_identity(&id, o)),
    ] {
        let mut decoder = Decoder::new(DecoderSettings::default());
        let mut frames = Vec::new();
        decoder.push_events(&line, &mut |e| frames.push(e));
        prop_assert!(
            matches!(frames.as_slice(), [Ok(_)]),
            "{} gave {:?}",
            line.escape_ascii(),
            frames
        );
        // What the decoder read, encoded again, is the same line: nothing was lost or changed.
        let again = match frames.first() {
            Some(Ok(Frame::Command(c))) => encoded(|o| encode_command(c, o)),
            Some(Ok(Frame::Ack(c))) => encoded(|o| encode_ack(c, o)),
            Some(Ok(Frame::Identity(i))) => encoded(|o| encode_identity(i, o)),
            other => return Err(TestCaseError::fail(format!("unexpected {other:?}"))),
        };
        prop_assert_eq!(Bytes(again), Bytes(line));
    }
    Ok(())
}

/// Plain lines printed in known units decode to the readings: units recognised from gravity at
/// rest (or forced), the values converted to g and deg/s.
fn plain_round_trip(
    style: PlainStyle,
    a: PlainAccel,
    g: PlainGyro,
    labelled: bool,
    readings: Vec<Reading>,
    forced: bool,
) -> Result<(), TestCaseError> {
    let readings: Vec<Reading> = readings
        .into_iter()
        .map(|r| Reading { hostile: None, ..r })
        .collect();
    // Without labels a sketch's gyro unit is the convention of its accelerometer unit.
    // Only header and label lines can name their units.
    let labelled = labelled && matches!(style, PlainStyle::Header(..) | PlainStyle::Labelled(_));
    let g = match (style, labelled || forced) {
        (PlainStyle::MpuRaw, _) => PlainGyro::Counts,
        (_, true) => g,
        (_, false) => match a {
            PlainAccel::G => PlainGyro::Dps,
            PlainAccel::Mps2 => PlainGyro::Rads,
            PlainAccel::Counts(_) => PlainGyro::Counts,
        },
    };
    let a = match style {
        PlainStyle::MpuRaw => PlainAccel::Counts(0),
        _ => a,
    };
    let bytes = plain_lines(style, a, g, labelled, &readings, "\r\n");
    let units = if forced {
        Units::Fixed(SampleUnits {
            accel: a.unit(),
            gyro: g.unit(a),
        })
    } else {
        Units::Auto
    };
    let settings = DecoderSettings {
        units,
        ..DecoderSettings::default()
    };
    let (events, decoder) = decode(&bytes, &[usize::MAX], settings)?;
    let samples = check_events(&events)?;
    prop_assert_eq!(
        samples.len(),
        readings.len(),
        "{} in {:?}: {:?}; {:?}",
        bytes.escape_ascii(),
        decoder.units(),
        events.iter().filter(|e| e.is_err()).collect::<Vec<_>>(),
        decoder.stats()
    );
    let raw = matches!(a, PlainAccel::Counts(_));
    for (s, r) in samples.iter().zip(&readings) {
        // Printed with at least two decimals (or as whole counts): the resolution of each form.
        let accel_tol = if raw {
            0.51 / a.per_g()
        } else {
            0.0051 / a.per_g()
        };
        let gyro_tol = if raw && matches!(g, PlainGyro::Counts) {
            0.51 / g.per_dps(a)
        } else {
            0.0051 / g.per_dps(a)
        };
        for (got, want) in s.accel_g.iter().zip(r.accel_g) {
            prop_assert!(
                (got - want).abs() <= accel_tol * 1.01 + 1e-9,
                "accel {} vs {}",
                got,
                want
            );
        }
        for (got, want) in s.gyro_dps.iter().zip(r.gyro_dps) {
            prop_assert!(
                (got - want).abs() <= gyro_tol * 1.01 + 1e-9,
                "gyro {} vs {}",
                got,
                want
            );
        }
    }
    Ok(())
}

fn round_trip_case() -> impl Strategy<Value = RoundTripCase> {
    prop_oneof![
        3 => sample_frame().prop_map(RoundTripCase::Sw1),
        1 => (command(), identity()).prop_map(|(c, i)| RoundTripCase::Other(c, i)),
        3 => (
            plain_style(),
            plain_accel(),
            plain_gyro(),
            any::<bool>(),
            prop::collection::vec(reading(), 16..40),
            prop::bool::weighted(0.3),
        )
            .prop_map(|(s, a, g, l, r, f)| RoundTripCase::Plain(s, a, g, l, r, f)),
    ]
}

#[derive(Debug, Clone)]
enum RoundTripCase {
    Sw1(SampleFrame),
    Other(Command, DeviceIdentity),
    Plain(PlainStyle, PlainAccel, PlainGyro, bool, Vec<Reading>, bool),
}

fn round_trip(case: RoundTripCase) -> Result<(), TestCaseError> {
    match case {
        RoundTripCase::Sw1(f) => sw1_round_trip(f),
        RoundTripCase::Other(c, i) => other_round_trip(c, i),
        RoundTripCase::Plain(s, a, g, l, r, f) => plain_round_trip(s, a, g, l, r, f),
    }
}

#[test]
fn decoder_streams() {
    support::run(
        "protocol_stream",
        CI_STREAM_CASES,
        stream_case(),
        stream_property,
    );
}

#[test]
fn decoder_round_trips() {
    support::run(
        "protocol_round_trip",
        CI_ROUND_TRIP_CASES,
        round_trip_case(),
        round_trip,
    );
}

#[test]
#[ignore = "dedicated fuzz run: SPINEWATCH_FUZZ_CASES, see docs/fuzzing.md"]
fn dedicated_decoder_streams() {
    support::run(
        "protocol_stream",
        support::dedicated_cases("protocol_stream"),
        stream_case(),
        stream_property,
    );
}

#[test]
#[ignore = "dedicated fuzz run: SPINEWATCH_FUZZ_CASES, see docs/fuzzing.md"]
fn dedicated_decoder_round_trips() {
    support::run(
        "protocol_round_trip",
        support::dedicated_cases("protocol_round_trip"),
        round_trip_case(),
        round_trip,
    );
}

/// The decoder's memory stays what it took at creation on a long hostile stream (10 MB of
/// garbage, overlong runs and plain lines), not only on the short ones above.
#[test]
fn decoder_memory_is_flat_on_a_long_hostile_stream() {
    let mut decoder = Decoder::new(DecoderSettings::default());
    let mut chunk = Vec::new();
    for i in 0..2_000u32 {
        chunk.extend(std::iter::repeat_n(b'7', 300 + (i as usize % 50)));
        chunk.extend_from_slice(b"\xff\x00$SW1,S,1,2*0000\r\n0.01 -0.99 0.05 1.2 -0.5 0.0\n");
    }
    let before = support::allocated_bytes();
    let mut n = 0u64;
    for _ in 0..10 {
        decoder.push_events(&chunk, &mut |_| n += 1);
    }
    decoder.flush_events(&mut |_| n += 1);
    assert_eq!(support::allocated_bytes() - before, 0);
    assert!(n > 10_000, "{n}");
    assert!(decoder.pending_len() <= MAX_LINE_LEN);
}
