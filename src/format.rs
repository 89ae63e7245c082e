//! Fast fixed-point number formatting for the CSV writers.
//!
//! The headless replay writes millions of rows; `format!("{:.6}")` goes through the generic float
//! formatter and is several times slower than scaling to an integer and printing that with `itoa`.
//! Values are rounded half away from zero to `decimals` places, which is what a reader expects
//! from a fixed-precision column.

/// Powers of ten usable as exact scale factors.
const POW10: [f64; 10] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// Appends `value` with exactly `decimals` digits after the point (at most 9).
///
/// Non-finite values are written as `nan`, `inf` or `-inf` so a reader sees them rather than a
/// silently wrong number. Values too large for the fast path fall back to the standard formatter.
pub fn push_fixed(out: &mut Vec<u8>, value: f64, decimals: usize) {
    let decimals = decimals.min(POW10.len() - 1);
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
    let scaled = (value * POW10[decimals]).round();
    if scaled.abs() >= 9.0e15 {
        use std::io::Write;
        // Out of the exact-integer range: rare, so the slow path is fine.
        let _ = write!(out, "{value:.decimals$}");
        return;
    }
    // Exact: |scaled| < 2^53, so the cast keeps every digit.
    let scaled = scaled as i64;
    if scaled < 0 {
        out.push(b'-');
    }
    let magnitude = scaled.unsigned_abs();
    let divisor = 10u64.pow(decimals as u32);
    let whole = magnitude / divisor;
    let frac = magnitude % divisor;
    let mut itoa_buf = itoa::Buffer::new();
    out.extend_from_slice(itoa_buf.format(whole).as_bytes());
    if decimals > 0 {
        out.push(b'.');
        let digits = itoa_buf.format(frac).as_bytes();
        out.extend(std::iter::repeat_n(b'0', decimals - digits.len()));
        out.extend_from_slice(digits);
    }
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
    }

    proptest! {
        #[test]
        fn round_trips_within_half_an_ulp_of_the_last_digit(v in -1.0e6f64..1.0e6, d in 0usize..8) {
            let text = fixed(v, d);
            let back: f64 = text.parse().map_err(|_| TestCaseError::fail(text.clone()))?;
            prop_assert!((back - v).abs() <= 0.5 * 10f64.powi(-(d as i32)) + 1e-9 * v.abs().max(1.0));
        }
    }
}
