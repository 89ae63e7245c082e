//! Names sketches give their values (`AccelX`, `ax`, `AcX`, `gyro_x`, `GyroZ`, `time_ms`) and the
//! unit words they print (`g`, `m/s^2`, `rad/s`, `dps`, `raw`), for label and header lines.
//!
//! Why a vocabulary and not exact names: every example sketch names its values its own way
//! (Adafruit's plotter example prints `AccelX:…`, the Arduino playground one `AcX = …`, others
//! `ax`, `acc_x`, `Gyro X`), and the Serial Plotter convention lets them. A name is matched
//! case-insensitively with `_`, `-`, `.` and spaces ignored: a sensor stem (`accel`, `acc`,
//! `ac`, `a`; `gyro`, `gyr`, `gy`, `g`, `rot`, `w`…) followed by the axis letter, or the axis
//! letter alone (then the sensor of the name before it: `Accel X: … Y: … Z: …`). A unit may be
//! in brackets (`ax(m/s^2)`, `gx[dps]`) or the last `_` part (`ax_g`, `gx_rads`, `time_ms`).
//! Names are bounded ([`MAX_NAME`] bytes); anything longer or not in the vocabulary names
//! nothing, and its value is ignored.

use super::record::{AccelHint, GyroHint, TimeUnit};

/// Longest name looked at, in bytes.
pub(super) const MAX_NAME: usize = 48;

/// Which sensor an axis belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sensor {
    Accel,
    Gyro,
}

/// What a name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// An axis (0 = x, 1 = y, 2 = z) of a sensor.
    Axis(Sensor, usize),
    /// An axis letter alone: the sensor of the name before it.
    Bare(usize),
    /// The time column.
    Time,
}

/// A unit word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UnitWord {
    Accel(AccelHint),
    Gyro(GyroHint),
    Time(TimeUnit),
    /// `raw`, `counts`, `lsb`: raw counts of whichever sensor it labels.
    Counts,
}

/// A name's role and the unit it carries, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Named {
    pub role: Option<Role>,
    pub unit: Option<UnitWord>,
}

/// `word` (any case) as a unit word.
pub(super) fn unit_word(word: &[u8]) -> Option<UnitWord> {
    let mut buf = [0u8; 16];
    let w = lower(word.trim_ascii(), &mut buf)?;
    Some(match w {
        b"g" | b"gs" => UnitWord::Accel(AccelHint::G),
        b"m/s^2" | b"m/s2" | b"m/s/s" | b"ms^-2" | b"ms-2" | b"mps2" | b"ms2" | b"mss" => {
            UnitWord::Accel(AccelHint::MetresPerSecond2)
        }
        b"dps" | b"deg/s" | b"deg/sec" | b"degs" | b"degps" | b"degpersec" => {
            UnitWord::Gyro(GyroHint::DegreesPerSecond)
        }
        b"rad/s" | b"rad/sec" | b"rads" | b"radps" | b"radpersec" => {
            UnitWord::Gyro(GyroHint::RadiansPerSecond)
        }
        b"raw" | b"counts" | b"count" | b"lsb" => UnitWord::Counts,
        b"s" | b"sec" | b"secs" | b"seconds" => UnitWord::Time(TimeUnit::Seconds),
        b"ms" | b"msec" | b"millis" => UnitWord::Time(TimeUnit::Milliseconds),
        b"us" | b"usec" | b"micros" => UnitWord::Time(TimeUnit::Microseconds),
        _ => return None,
    })
}

/// What `name` names, with the unit it carries.
pub(super) fn name(name: &[u8]) -> Named {
    let mut buf = [0u8; MAX_NAME];
    let Some(lowered) = lower(name.trim_ascii(), &mut buf) else {
        return Named::default();
    };
    // A unit in brackets: `ax(m/s^2)`, `gx [dps]`.
    let (mut stem, mut unit) = (lowered, None);
    if let Some(open) = lowered.iter().position(|&b| b == b'(' || b == b'[') {
        let inner = lowered.get(open + 1..).unwrap_or_default();
        let close = inner
            .iter()
            .position(|&b| b == b')' || b == b']')
            .unwrap_or(inner.len());
        unit = unit_word(inner.get(..close).unwrap_or_default());
        stem = lowered.get(..open).unwrap_or_default();
    }
    // Or the last part after a separator: `ax_g`, `time_ms`, `gyro x rads`.
    let is_sep = |b: &u8| matches!(b, b'_' | b'-' | b'.' | b' ');
    let stem = stem.trim_ascii();
    if unit.is_none()
        && let Some(cut) = stem.iter().rposition(is_sep)
        && let Some(u) = unit_word(stem.get(cut + 1..).unwrap_or_default())
    {
        unit = Some(u);
        return Named {
            role: role(stem.get(..cut).unwrap_or_default()),
            unit,
        };
    }
    Named {
        role: role(stem),
        unit,
    }
}

/// The role of a name without its unit: separators dropped, then matched.
fn role(stem: &[u8]) -> Option<Role> {
    let mut buf = [0u8; MAX_NAME];
    let mut len = 0usize;
    for &b in stem.iter().filter(|b| b.is_ascii_alphanumeric()) {
        *buf.get_mut(len)? = b;
        len += 1;
    }
    let n = buf.get(..len)?;
    const TIME: [&[u8]; 6] = [b"timestamp", b"time", b"ts", b"t", b"millis", b"micros"];
    if TIME.contains(&n) || matches!(n, b"ms" | b"us") {
        return Some(Role::Time);
    }
    let (axis_letter, sensor_stem) = n.split_last()?;
    let axis = match axis_letter {
        b'x' => 0,
        b'y' => 1,
        b'z' => 2,
        _ => return None,
    };
    const ACCEL: [&[u8]; 6] = [
        b"accelerometer",
        b"acceleration",
        b"accel",
        b"acc",
        b"ac",
        b"a",
    ];
    const GYRO: [&[u8]; 9] = [
        b"gyroscope",
        b"gyro",
        b"gyr",
        b"gy",
        b"g",
        b"rotation",
        b"rot",
        b"omega",
        b"w",
    ];
    if sensor_stem.is_empty() {
        Some(Role::Bare(axis))
    } else if ACCEL.contains(&sensor_stem) {
        Some(Role::Axis(Sensor::Accel, axis))
    } else if GYRO.contains(&sensor_stem) {
        Some(Role::Axis(Sensor::Gyro, axis))
    } else {
        None
    }
}

/// The time unit a name like `time_ms`, `t(us)`, `millis` or `timestamp` says, if any.
pub(super) fn time_unit(named: &Named, raw_name: &[u8]) -> Option<TimeUnit> {
    if let Some(UnitWord::Time(u)) = named.unit {
        return Some(u);
    }
    let mut buf = [0u8; MAX_NAME];
    match lower(raw_name.trim_ascii(), &mut buf)? {
        b"millis" | b"ms" => Some(TimeUnit::Milliseconds),
        b"micros" | b"us" => Some(TimeUnit::Microseconds),
        _ => None,
    }
}

/// `bytes` lowercased into `buf`; `None` if longer than `buf`.
fn lower<'a>(bytes: &[u8], buf: &'a mut [u8]) -> Option<&'a [u8]> {
    let out = buf.get_mut(..bytes.len())?;
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = b.to_ascii_lowercase();
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role_of(s: &str) -> Option<Role> {
        name(s.as_bytes()).role
    }

    #[test]
    fn the_names_sketches_use() {
        use Role::{Axis, Bare, Time};
        use Sensor::{Accel, Gyro};
        for (s, want) in [
            ("AccelX", Axis(Accel, 0)),
            ("accY", Axis(Accel, 1)),
            ("AcZ", Axis(Accel, 2)),
            ("ax", Axis(Accel, 0)),
            ("acc_x", Axis(Accel, 0)),
            ("Accel X", Axis(Accel, 0)),
            ("accelerometer.z", Axis(Accel, 2)),
            ("GyroX", Axis(Gyro, 0)),
            ("gyro_y", Axis(Gyro, 1)),
            ("GyZ", Axis(Gyro, 2)),
            ("gx", Axis(Gyro, 0)),
            ("rotZ", Axis(Gyro, 2)),
            ("Y", Bare(1)),
            ("time", Time),
            ("Timestamp", Time),
            ("t", Time),
            ("millis", Time),
        ] {
            assert_eq!(role_of(s), Some(want), "{s}");
        }
        for s in [
            "Temp",
            "MagX",
            "linAccX",
            "Angle",
            "",
            "x1",
            &"a".repeat(100),
        ] {
            assert_eq!(role_of(s), None, "{s}");
        }
    }

    #[test]
    fn units_in_names_and_words() {
        let n = name(b"ax_g");
        assert_eq!(n.role, Some(Role::Axis(Sensor::Accel, 0)));
        assert_eq!(n.unit, Some(UnitWord::Accel(AccelHint::G)));
        let n = name(b"GyroX(rad/s)");
        assert_eq!(n.role, Some(Role::Axis(Sensor::Gyro, 0)));
        assert_eq!(n.unit, Some(UnitWord::Gyro(GyroHint::RadiansPerSecond)));
        let n = name(b"az [m/s^2]");
        assert_eq!(n.unit, Some(UnitWord::Accel(AccelHint::MetresPerSecond2)));
        let n = name(b"gz_dps");
        assert_eq!(n.unit, Some(UnitWord::Gyro(GyroHint::DegreesPerSecond)));
        let n = name(b"time_ms");
        assert_eq!(n.role, Some(Role::Time));
        assert_eq!(time_unit(&n, b"time_ms"), Some(TimeUnit::Milliseconds));
        let n = name(b"millis");
        assert_eq!(time_unit(&n, b"millis"), Some(TimeUnit::Milliseconds));
        assert_eq!(time_unit(&name(b"time"), b"time"), None);
        assert_eq!(
            unit_word(b"M/S^2"),
            Some(UnitWord::Accel(AccelHint::MetresPerSecond2))
        );
        assert_eq!(unit_word(b"raw"), Some(UnitWord::Counts));
        assert_eq!(unit_word(b"furlongs"), None);
    }
}
