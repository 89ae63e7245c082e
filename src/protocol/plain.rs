//! Plain and legacy lines: what hobby sketches print, accepted besides `$SW1` records.
//!
//! Why: a user should be able to try spinewatch with an off-the-shelf board and example sketch
//! before flashing the protocol firmware. Accepted, when [`DecoderSettings::accept_legacy`] is on:
//!
//! * six numbers `ax ay az gx gy gz`, separated by commas, tabs or spaces (one trailing comma
//!   allowed) — [`LineFormat::Plain`];
//! * seven numbers `t ax ay az gx gy gz` — [`LineFormat::PlainTimed`];
//! * after a header line naming the columns (`ax,ay,az,gx,gy,gz`, `Timestamp,AccelX,…`,
//!   `time_s,ax_g,…`), lines of that many numbers in that order, extra columns ignored;
//! * `Label:value` pairs in the Arduino Serial Plotter style (`AccelX:0.12,AccelY:-0.34,…`),
//!   or `AcX = -1202 | AcY = …` — [`LineFormat::Labelled`];
//! * i2cdevlib's `MPU6050_raw` output `a/g:` plus six raw 16-bit counts — [`LineFormat::MpuRaw`].
//!
//! The numbers come out as printed ([`Record::Plain`]): which units they are in (g, m/s², raw
//! counts; deg/s, rad/s; seconds, milliseconds or microseconds) is the stream's to find
//! ([`infer`](super::infer)), from what the names say ([`labels`](super::labels)) and what the
//! data look like. Other printable text (a start-up banner) is ignored; binary bytes, a numeric
//! line with a wrong number count, or values beyond [`RAW_COUNT_LIMIT`] in any unit are errors.
//! None of these lines has a sequence number or a checksum, so a corrupted digit cannot be
//! detected here.

use super::error::DecodeError;
use super::frame::LineFormat;
use super::labels::{self, Named, Role, Sensor, UnitWord};
use super::record::{AccelHint, GyroHint, Hints, Layout, MAX_COLUMNS, PlainSample, Record, number};
use super::sw1::parse_hex4;
use super::{PLAIN_TIME_MAX_S, RAW_COUNT_LIMIT};
use crate::number::parse_f64;

/// Largest time column accepted as printed: [`PLAIN_TIME_MAX_S`] in microseconds, the finest
/// unit (the bound in seconds is checked once the unit is known).
const TIME_AS_PRINTED_MAX: f64 = PLAIN_TIME_MAX_S * 1e6;

/// Most values a label line is looked at for; more is not a sensor line but text.
const MAX_LABELLED: usize = 16;

/// Parses the legacy formats. `layout` is the column map of the last header line, if any.
pub(super) fn parse_legacy(line: &[u8], layout: Option<&Layout>) -> Result<Record, DecodeError> {
    if !line
        .iter()
        .all(|&b| b == b'\t' || (0x20..=0x7E).contains(&b))
    {
        return Err(DecodeError::BadToken { field: "line" });
    }
    if let Some(rest) = line.strip_prefix(b"a/g:") {
        return mpu_raw(rest);
    }
    if let [.., b'*', a, b, c, d] = line
        && parse_hex4([*a, *b, *c, *d]).is_some()
    {
        return Err(DecodeError::MissingStart);
    }
    let starts_numeric = line
        .first()
        .is_some_and(|&b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b','));
    if starts_numeric {
        numeric(line, layout)
    } else {
        labelled(line)
    }
}

/// `a/g:` followed by six raw counts separated by blanks.
fn mpu_raw(rest: &[u8]) -> Result<Record, DecodeError> {
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
    Ok(Record::Plain(PlainSample {
        accel: [ax, ay, az],
        gyro: [gx, gy, gz],
        time: None,
        hints: Hints {
            accel: Some(AccelHint::Counts),
            gyro: Some(GyroHint::Counts),
            time: None,
        },
        format: LineFormat::MpuRaw,
    }))
}

fn is_blank(b: &u8) -> bool {
    *b == b' ' || *b == b'\t'
}

/// The fields of a plain line: comma-separated if it has a comma (spaces around one allowed,
/// one trailing comma allowed), else separated by runs of blanks.
fn fields(line: &[u8], mut each: impl FnMut(&[u8])) {
    if line.contains(&b',') {
        let mut parts = line
            .split(|&b| b == b',')
            .map(<[u8]>::trim_ascii)
            .peekable();
        while let Some(field) = parts.next() {
            if field.is_empty() && parts.peek().is_none() {
                break; // one trailing comma, as some sketches print
            }
            each(field);
        }
    } else {
        for field in line.split(is_blank).filter(|f| !f.is_empty()) {
            each(field);
        }
    }
}

/// A line of numbers: six, seven, or as many as the header named.
fn numeric(line: &[u8], layout: Option<&Layout>) -> Result<Record, DecodeError> {
    let mut values = [0.0f64; MAX_COLUMNS];
    let mut count = 0usize;
    let mut bad = None;
    fields(line, |field| {
        match parse_f64(field) {
            Some(v) => {
                if let Some(slot) = values.get_mut(count) {
                    *slot = v;
                }
            }
            None => {
                bad.get_or_insert(DecodeError::BadNumber {
                    field: "plain value",
                });
            }
        }
        count = count.saturating_add(1);
    });
    if let Some(error) = bad {
        return Err(error);
    }
    let value = |i: usize| values.get(i).copied().unwrap_or(0.0);
    let (axes, time, hints, format) = match layout {
        Some(l) if l.columns == count => {
            let format = if l.time.is_some() {
                LineFormat::PlainTimed
            } else {
                LineFormat::Plain
            };
            (l.axes.map(value), l.time.map(value), l.hints, format)
        }
        Some(l) => {
            return Err(DecodeError::FieldCount {
                record: "plain line (after its header)",
                expected: l.columns,
                found: count,
            });
        }
        None if count == 6 => (
            [0, 1, 2, 3, 4, 5].map(value),
            None,
            Hints::default(),
            LineFormat::Plain,
        ),
        None if count == 7 => (
            [1, 2, 3, 4, 5, 6].map(value),
            Some(value(0)),
            Hints::default(),
            LineFormat::PlainTimed,
        ),
        None => {
            return Err(DecodeError::FieldCount {
                record: "plain line",
                expected: 6,
                found: count,
            });
        }
    };
    sample(axes, time, hints, format)
}

/// Checks the numbers as printed (any unit) and makes the record.
fn sample(
    axes: [f64; 6],
    time: Option<f64>,
    hints: Hints,
    format: LineFormat,
) -> Result<Record, DecodeError> {
    const FIELDS: [&str; 6] = ["ax", "ay", "az", "gx", "gy", "gz"];
    for (v, field) in axes.iter().zip(FIELDS) {
        if !(-RAW_COUNT_LIMIT..=RAW_COUNT_LIMIT).contains(v) {
            return Err(DecodeError::OutOfRange { field });
        }
    }
    if let Some(t) = time
        && !(0.0..=TIME_AS_PRINTED_MAX).contains(&t)
    {
        return Err(DecodeError::OutOfRange { field: "t_s" });
    }
    let [ax, ay, az, gx, gy, gz] = axes;
    Ok(Record::Plain(PlainSample {
        accel: [ax, ay, az],
        gyro: [gx, gy, gz],
        time,
        hints,
        format,
    }))
}

/// Whether `b` separates the words and values of a label line.
fn is_label_sep(b: &u8) -> bool {
    matches!(b, b',' | b'\t' | b' ' | b';' | b'|' | b':' | b'=')
}

/// What the names of a line (or a header's columns) say: where each axis and the time are, and
/// the units they name. `None` unless all six axes are named exactly once (and the time at most
/// once).
#[derive(Default)]
struct Assignment {
    axes: [Option<usize>; 6],
    time: Option<usize>,
    hints: Hints,
    ambiguous: bool,
    /// Sensor of the last axis named, for a bare axis letter after it.
    sensor: Option<Sensor>,
}

impl Assignment {
    /// The value or column `index` is named `named` (`raw` its text, for time units); returns
    /// what it turned out to be (a bare axis letter resolved to the sensor before it).
    fn name(&mut self, index: usize, named: Named, raw: &[u8]) -> Option<Role> {
        let role = match named.role {
            Some(Role::Bare(axis)) => self.sensor.map(|s| Role::Axis(s, axis)),
            other => other,
        };
        match role {
            Some(Role::Axis(sensor, axis)) => {
                self.sensor = Some(sensor);
                let slot = match sensor {
                    Sensor::Accel => axis,
                    Sensor::Gyro => 3 + axis,
                };
                if let Some(s) = self.axes.get_mut(slot) {
                    self.ambiguous |= s.is_some();
                    *s = Some(index);
                }
            }
            Some(Role::Time) => {
                self.ambiguous |= self.time.is_some();
                self.time = Some(index);
                if let Some(u) = labels::time_unit(&named, raw) {
                    self.hints.time = Some(u);
                }
            }
            Some(Role::Bare(_)) | None => {}
        }
        if let (Some(role), Some(unit)) = (role, named.unit) {
            self.unit_of(role, unit);
        }
        role
    }

    /// A unit printed for a value of `role`; one of another kind (`ax (rad/s)`) is ignored.
    fn unit_of(&mut self, role: Role, unit: UnitWord) {
        match (role, unit) {
            (Role::Axis(Sensor::Accel, _), UnitWord::Accel(h)) => self.hints.accel = Some(h),
            (Role::Axis(Sensor::Accel, _), UnitWord::Counts) => {
                self.hints.accel = Some(AccelHint::Counts);
            }
            (Role::Axis(Sensor::Gyro, _), UnitWord::Gyro(h)) => self.hints.gyro = Some(h),
            (Role::Axis(Sensor::Gyro, _), UnitWord::Counts) => {
                self.hints.gyro = Some(GyroHint::Counts);
            }
            (Role::Time, UnitWord::Time(u)) => self.hints.time = Some(u),
            _ => {}
        }
    }

    /// The axes' positions, if each is named exactly once.
    fn complete(&self) -> Option<[usize; 6]> {
        if self.ambiguous {
            return None;
        }
        let [a, b, c, d, e, f] = self.axes;
        Some([a?, b?, c?, d?, e?, f?])
    }
}

/// The words and values of a label line: byte ranges between separators.
fn tokens(line: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut i = 0usize;
    std::iter::from_fn(move || {
        while line.get(i).is_some_and(is_label_sep) {
            i += 1;
        }
        let start = i;
        while line.get(i).is_some_and(|b| !is_label_sep(b)) {
            i += 1;
        }
        (i > start).then_some((start, i))
    })
}

/// A line that starts with a letter: `Label:value` pairs, a header naming the columns, or text.
fn labelled(line: &[u8]) -> Result<Record, DecodeError> {
    let text = |(a, b): (usize, usize)| line.get(a..b).unwrap_or_default();
    if !tokens(line).any(|t| parse_f64(text(t)).is_some()) {
        return Ok(header(line).unwrap_or(Record::Ignored));
    }
    let mut values = [0.0f64; MAX_LABELLED];
    let mut count = 0usize;
    let mut assignment = Assignment::default();
    // The words since the last value: the next value's name.
    let mut name: Option<(usize, usize)> = None;
    // What the last value was, for a unit word right after it (`AccelZ:9.79 m/s^2`).
    let mut last: Option<Role> = None;
    for token in tokens(line) {
        let word = text(token);
        if let Some(v) = parse_f64(word) {
            if count >= MAX_LABELLED {
                return Ok(Record::Ignored);
            }
            if let Some(slot) = values.get_mut(count) {
                *slot = v;
            }
            let name_text = name.take().map(text).unwrap_or_default();
            last = assignment.name(count, labels::name(name_text), name_text);
            count += 1;
        } else if name.is_none()
            && let (Some(role), Some(unit)) = (last, labels::unit_word(word))
        {
            assignment.unit_of(role, unit);
        } else {
            last = None;
            name = Some(match name {
                Some((a, _)) => (a, token.1),
                None => token,
            });
        }
    }
    let Some(axes) = assignment.complete() else {
        return Ok(Record::Ignored);
    };
    let value = |i: usize| values.get(i).copied().unwrap_or(0.0);
    sample(
        axes.map(value),
        assignment.time.map(value),
        assignment.hints,
        LineFormat::Labelled,
    )
}

/// A line without numbers: a header if its columns name all six axes, else text. Columns are
/// split on commas (one trailing comma allowed), else on tabs, else on runs of spaces.
fn header(line: &[u8]) -> Option<Record> {
    let by_comma = line.contains(&b',');
    let sep: fn(&u8) -> bool = if by_comma {
        |b| *b == b','
    } else if line.contains(&b'\t') {
        |b| *b == b'\t'
    } else {
        |b| *b == b' '
    };
    let mut assignment = Assignment::default();
    let mut columns = 0usize;
    let mut parts = line.split(sep).map(<[u8]>::trim_ascii).peekable();
    while let Some(column) = parts.next() {
        if column.is_empty() && (!by_comma || parts.peek().is_none()) {
            continue; // a run of blanks, or one trailing comma
        }
        if columns >= MAX_COLUMNS {
            return None;
        }
        assignment.name(columns, labels::name(column), column);
        columns += 1;
    }
    let axes = assignment.complete()?;
    Some(Record::Header(Layout {
        columns,
        axes,
        time: assignment.time,
        hints: assignment.hints,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::record::TimeUnit;

    fn plain(line: &str) -> PlainSample {
        match parse_legacy(line.as_bytes(), None) {
            Ok(Record::Plain(p)) => p,
            Ok(_) => panic!("{line}: not a sample"),
            Err(e) => panic!("{line}: {e}"),
        }
    }

    #[test]
    fn numbers_come_out_as_printed() {
        let p = plain("0.12 -0.34 9.79 0.01 -0.02 0.00");
        assert_eq!(p.accel, [0.12, -0.34, 9.79]);
        assert_eq!(p.gyro, [0.01, -0.02, 0.0]);
        assert_eq!((p.time, p.format), (None, LineFormat::Plain));
        let p = plain("-1202\t356\t16290\t-131\t262\t13");
        assert_eq!(p.accel[2], 16290.0);
        let p = plain("a/g:\t-1202\t356\t16290\t-131\t262\t13");
        assert_eq!(p.format, LineFormat::MpuRaw);
        assert_eq!(p.hints.accel, Some(AccelHint::Counts));
        let p = plain("12.5,0.01,-0.99,0.05,1.2,-0.5,0.0");
        assert_eq!((p.time, p.format), (Some(12.5), LineFormat::PlainTimed));
        for bad in ["1,2,3", "1,,2,3,4,5", "40000 0 0 0 0 0", "1 2 3 4 5 x"] {
            assert!(parse_legacy(bad.as_bytes(), None).is_err(), "{bad}");
        }
    }

    #[test]
    fn serial_plotter_labels() {
        let p = plain("AccelX:0.12,AccelY:-0.34,AccelZ:9.79, GyroX:0.01,GyroY:-0.02,GyroZ:0.00");
        assert_eq!(p.accel, [0.12, -0.34, 9.79]);
        assert_eq!(p.gyro, [0.01, -0.02, 0.0]);
        assert_eq!(p.format, LineFormat::Labelled);
        assert_eq!(p.hints, Hints::default());
        // The playground sketch: raw counts, `=` and `|`, a temperature ignored.
        let p = plain(
            "AcX = -1202 | AcY = 356 | AcZ = 16290 | Tmp = -1800 | GyX = -131 | GyY = 262 | GyZ = 13",
        );
        assert_eq!(p.accel, [-1202.0, 356.0, 16290.0]);
        assert_eq!(p.gyro, [-131.0, 262.0, 13.0]);
        // Units after the values, bare axis letters, a time column in milliseconds.
        let p =
            plain("ms:1500 Accel X: 0.12 Y: -0.34 Z: 9.79 m/s^2 Gyro X: 0.01 Y: -0.02 Z: 0 rad/s");
        assert_eq!(p.hints.accel, Some(AccelHint::MetresPerSecond2));
        assert_eq!(p.hints.gyro, Some(GyroHint::RadiansPerSecond));
        assert_eq!(
            (p.time, p.hints.time),
            (Some(1500.0), Some(TimeUnit::Milliseconds))
        );
        assert_eq!(p.accel[2], 9.79);
        // Text with numbers that are not six axes.
        for text in [
            "Filter bandwidth set to: 21 Hz",
            "Accelerometer range set to: +-8G",
            "Acceleration X: 0.12, Y: -0.34, Z: 9.79 m/s^2",
            "MPU6050 connection successful",
        ] {
            assert!(
                matches!(parse_legacy(text.as_bytes(), None), Ok(Record::Ignored)),
                "{text}"
            );
        }
    }

    #[test]
    fn header_lines_name_the_columns() {
        let Ok(Record::Header(l)) =
            parse_legacy(b"Timestamp,AccelX,AccelY,AccelZ,GyroX,GyroY,GyroZ", None)
        else {
            panic!("not a header");
        };
        assert_eq!(
            (l.columns, l.time, l.axes),
            (7, Some(0), [1, 2, 3, 4, 5, 6])
        );
        let Ok(Record::Plain(p)) = parse_legacy(b"1500,0.1,0.2,9.8,0.01,0.02,0.03", Some(&l))
        else {
            panic!("not a sample");
        };
        assert_eq!((p.time, p.accel[2], p.gyro[2]), (Some(1500.0), 9.8, 0.03));
        assert!(parse_legacy(b"0.1,0.2,9.8,0.01,0.02,0.03", Some(&l)).is_err());
        // Units and order from the header; an extra column is ignored.
        let Ok(Record::Header(l)) = parse_legacy(
            b"gx(dps)\tgy(dps)\tgz(dps)\ttemp\tax(g)\tay(g)\taz(g)",
            None,
        ) else {
            panic!("not a header");
        };
        assert_eq!(l.axes, [4, 5, 6, 0, 1, 2]);
        assert_eq!(l.hints.accel, Some(AccelHint::G));
        assert_eq!(l.hints.gyro, Some(GyroHint::DegreesPerSecond));
        let Ok(Record::Header(l)) =
            parse_legacy(b"time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps", None)
        else {
            panic!("not a header");
        };
        assert_eq!(l.hints.time, Some(TimeUnit::Seconds));
        let Ok(Record::Header(l)) = parse_legacy(b"ax  ay   az gx gy gz ", None) else {
            panic!("not a header");
        };
        assert_eq!((l.columns, l.axes), (6, [0, 1, 2, 3, 4, 5]));
        assert!(matches!(
            parse_legacy(b"ax ay az gx gy", None),
            Ok(Record::Ignored)
        ));
        assert!(matches!(
            parse_legacy(b"ax ax ay az gx gy gz", None),
            Ok(Record::Ignored)
        ));
    }
}
