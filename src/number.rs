//! Decimal number parsing straight from bytes, for the hot parsing paths (session CSV, protocol).
//!
//! Sensor values are short decimals (`-0.01234`, `12.345`). For those, collecting the digits into an
//! integer mantissa and dividing by an exact power of ten gives the correctly rounded result
//! (both operands are exact doubles, and IEEE division rounds once) several times faster than the
//! general algorithm. Anything else (exponents, long mantissas, `nan`) falls back to `str::parse`.

/// Exact powers of ten (10^22 is the largest exactly representable).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Parses an ASCII decimal number (optional sign, digits, optional fraction, optional exponent).
/// Surrounding spaces and tabs are ignored. Returns `None` for anything that is not a number.
/// Non-finite values (`nan`, `inf`) are returned as parsed; callers decide whether they are valid.
pub fn parse_f64(bytes: &[u8]) -> Option<f64> {
    let bytes = bytes.trim_ascii();
    let (negative, digits) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let mut mantissa: u64 = 0;
    let mut n_digits = 0usize;
    let mut frac_digits = 0usize;
    let mut seen_point = false;
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                if n_digits >= 15 {
                    return parse_slow(bytes);
                }
                mantissa = mantissa * 10 + u64::from(b - b'0');
                // Leading zeros do not count against the 15-digit exactness budget.
                if mantissa != 0 {
                    n_digits += 1;
                }
                if seen_point {
                    frac_digits += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return parse_slow(bytes),
        }
    }
    let has_digit = digits.iter().any(u8::is_ascii_digit);
    if !has_digit || frac_digits >= POW10.len() {
        return parse_slow(bytes);
    }
    // mantissa < 10^15 < 2^53: exact as f64; the division rounds once, correctly.
    let value = mantissa as f64 / POW10[frac_digits];
    Some(if negative { -value } else { value })
}

fn parse_slow(bytes: &[u8]) -> Option<f64> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_usual_shapes() {
        assert_eq!(parse_f64(b"0.00887"), Some(0.00887));
        assert_eq!(parse_f64(b"-0.305"), Some(-0.305));
        assert_eq!(parse_f64(b" 12 "), Some(12.0));
        assert_eq!(parse_f64(b"+3."), Some(3.0));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"1e-3"), Some(0.001));
        assert_eq!(parse_f64(b"0.000000000000000000001234"), Some(1.234e-21));
        assert!(parse_f64(b"nan").is_some_and(f64::is_nan));
    }

    #[test]
    fn rejects_what_is_not_a_number() {
        for bad in [
            &b""[..],
            b"-",
            b".",
            b"1.2.3",
            b"abc",
            b"1,5",
            b"--1",
            b"\xff",
        ] {
            assert_eq!(parse_f64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    proptest! {
        #[test]
        fn agrees_with_the_standard_parser(v in proptest::num::f64::NORMAL, d in 0usize..12) {
            let text = format!("{v:.d$}");
            prop_assert_eq!(parse_f64(text.as_bytes()), text.parse::<f64>().ok());
        }

        #[test]
        fn agrees_with_the_standard_parser_on_short_decimals(m in -10_000_000i64..10_000_000, d in 0u32..8) {
            let text = format!("{}", m as f64 / 10f64.powi(d as i32));
            prop_assert_eq!(parse_f64(text.as_bytes()), text.parse::<f64>().ok());
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = parse_f64(&bytes);
        }
    }
}
