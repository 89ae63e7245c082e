//! Fast fixed-point number formatting for the CSV writers.
//!
//! The headless replay writes millions of rows; `format!("{:.6}")` goes through the generic float
//! formatter and is several times slower than scaling to an integer and printing its digits.
//! Values are rounded half away from zero to `decimals` places, which is what a reader expects
//! from a fixed-precision column.

use crate::number::POW10_U64;

/// Powers of ten usable as exact scale factors.
const POW10: [f64; 10] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// Appends `value` with exactly `decimals` digits after the point (at most 9).
///
/// Non-finite values are written as `nan`, `inf` or `-inf` so a reader sees them rather than a
/// silently wrong number. Values too large for the fast path fall back to the standard formatter.
///
/// Cost: each count of decimals has its own copy ([`push_fixed_n`]), so every division is by a
/// constant (a multiplication); the digits go two at a time from a table into a small array
/// that is appended whole; the rounding is exact without a call to `round`. About a quarter of
/// the instructions of the first version here (`itoa` for both parts, `f64::round`).
pub fn push_fixed(out: &mut Vec<u8>, value: f64, decimals: usize) {
    match decimals {
        0 => push_fixed_n::<0>(out, value),
        1 => push_fixed_n::<1>(out, value),
        2 => push_fixed_n::<2>(out, value),
        3 => push_fixed_n::<3>(out, value),
        4 => push_fixed_n::<4>(out, value),
        5 => push_fixed_n::<5>(out, value),
        6 => push_fixed_n::<6>(out, value),
        7 => push_fixed_n::<7>(out, value),
        8 => push_fixed_n::<8>(out, value),
        _ => push_fixed_n::<9>(out, value),
    }
}

/// [`push_fixed`] with `D` decimals.
fn push_fixed_n<const D: usize>(out: &mut Vec<u8>, value: f64) {
    if !value.is_finite() {
        out.extend_from_slice(if value.is_nan() {
            b"nan"
        } else if value > 0.0 {
            b"inf"
        } else {
            b"-inf"
        });
        return;
    }
    let scaled = value.abs() * POW10[D];
    if scaled >= 9.0e15 {
        use std::io::Write;
        // Out of the exact-integer range: rare, so the slow path is fine.
        let _ = write!(out, "{value:.D$}");
        return;
    }
    // Round half away from zero: 0 <= `scaled` < 2^53, so the truncation and the remainder are
    // exact (and `i64` converts in one instruction each way, where `u64` takes several).
    let truncated = scaled as i64;
    let rounded = (truncated + i64::from(scaled - truncated as f64 >= 0.5)).unsigned_abs();
    let negative = value < 0.0 && rounded != 0;
    let unit = POW10_U64[D];
    let mut whole = rounded / unit;
    let mut frac = rounded % unit;

    // The length is known first, so the text is built left-aligned in a fixed array that is
    // appended whole (inline moves, no `memcpy` call) and then cut to length.
    // 16 whole digits at most (< 9e15), a point, 9 decimals and a sign: 27 bytes.
    let mut whole_digits = 1;
    while whole_digits < 16 && whole >= POW10_U64[whole_digits] {
        whole_digits += 1;
    }
    let len = usize::from(negative) + whole_digits + usize::from(D > 0) + D;
    let mut buf = [b'0'; FIXED_BYTES];
    let mut at = len;
    let mut left = D;
    while left >= 2 {
        at -= 2;
        put_pair(&mut buf, at, frac % 100);
        frac /= 100;
        left -= 2;
    }
    if left == 1 {
        at -= 1;
        buf[at] = b'0' + (frac % 10) as u8;
    }
    if D > 0 {
        at -= 1;
        buf[at] = b'.';
    }
    while whole >= 100 {
        at -= 2;
        put_pair(&mut buf, at, whole % 100);
        whole /= 100;
    }
    if whole >= 10 {
        at -= 2;
        put_pair(&mut buf, at, whole);
    } else {
        at -= 1;
        buf[at] = b'0' + whole as u8;
    }
    if negative {
        buf[0] = b'-';
    }
    let start = out.len();
    out.extend_from_slice(&buf);
    out.truncate(start + len);
}

/// The fixed array [`push_fixed`] builds a value in (27 bytes at most, rounded up).
const FIXED_BYTES: usize = 32;

/// "00" to "99", for writing two digits at a time.
const PAIRS: &[u8; 200] = b"\
    0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

/// Writes the two digits of `pair` (below 100) at `buf[at..at + 2]`.
#[inline]
fn put_pair(buf: &mut [u8; FIXED_BYTES], at: usize, pair: u64) {
    let i = (pair as usize) * 2;
    buf[at] = PAIRS[i];
    buf[at + 1] = PAIRS[i + 1];
}

/// `1h 02m 03s` style durations for people.
pub fn human_duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match (s / 3600, (s / 60) % 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m {sec:02}s"),
        (h, m, sec) => format!("{h}h {m:02}m {sec:02}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(5.4), "5s");
        assert_eq!(human_duration(65.0), "1m 05s");
        assert_eq!(human_duration(8.0 * 3600.0 + 61.0), "8h 01m 01s");
    }
    use proptest::prelude::*;

    fn fixed(v: f64, d: usize) -> String {
        let mut out = Vec::new();
        push_fixed(&mut out, v, d);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn formats_like_the_standard_formatter() {
        assert_eq!(fixed(1.5, 3), "1.500");
        assert_eq!(fixed(-0.00049, 3), "0.000");
        assert_eq!(fixed(-0.0005, 3), "-0.001");
        assert_eq!(fixed(0.0035, 6), "0.003500");
        assert_eq!(fixed(123.0, 0), "123");
        assert_eq!(fixed(f64::NAN, 2), "nan");
        assert_eq!(fixed(-f64::INFINITY, 2), "-inf");
        assert_eq!(fixed(1e300, 2).len(), 304);
        assert_eq!(fixed(0.9884954, 7), "0.9884954");
        assert_eq!(fixed(-0.0000172, 7), "-0.0000172");
        assert_eq!(fixed(12345.678, 6), "12345.678000");
        assert_eq!(fixed(99.9996, 3), "100.000");
        assert_eq!(fixed(-9.5, 0), "-10");
        assert_eq!(fixed(0.5, 0), "1");
        assert_eq!(fixed(0.49999999999999994, 0), "0");
        assert_eq!(fixed(8.9e15, 0), "8900000000000000");
        assert_eq!(fixed(1.0, 9), "1.000000000");
    }

    proptest! {
        /// The same text as `format!("{:.d$}")` wherever that one rounds the value itself
        /// (the standard formatter rounds half to even on the exact binary value; this one half
        /// away from zero on the scaled value, so the two may differ on a tie at the last digit).
        #[test]
        fn agrees_with_the_standard_formatter_away_from_ties(v in -1.0e7f64..1.0e7, d in 0usize..10) {
            let scaled = v.abs() * 10f64.powi(d as i32);
            prop_assume!((scaled - scaled.trunc() - 0.5).abs() > 1e-6);
            let std = format!("{v:.d$}");
            // The standard formatter keeps the sign of a value that rounds to zero.
            let std = match std.strip_prefix('-') {
                Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.to_string(),
                _ => std,
            };
            prop_assert_eq!(fixed(v, d), std);
        }

        #[test]
        fn round_trips_within_half_an_ulp_of_the_last_digit(v in -1.0e6f64..1.0e6, d in 0usize..8) {
            let text = fixed(v, d);
            let back: f64 = text.parse().map_err(|_| TestCaseError::fail(text.clone()))?;
            prop_assert!((back - v).abs() <= 0.5 * 10f64.powi(-(d as i32)) + 1e-9 * v.abs().max(1.0));
        }
    }
}
