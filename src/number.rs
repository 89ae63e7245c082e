//! Allocation-free number parsing straight from bytes.
//!
//! Why not `str::parse`: it needs a UTF-8 check first and is several times slower than needed for
//! the short decimals of the protocol (`-0.9981`), and the decoder must sustain well over 50 MB/s.
//! The fast path here is exact, not an approximation: when the decimal digits form an integer
//! mantissa `m <= 2^53` and the decimal exponent `e` satisfies `|e| <= 22`, both `m` and `10^|e|`
//! are exactly representable as `f64`, so the single IEEE division (or multiplication) is correctly
//! rounded — the same result `str::parse::<f64>` gives. Everything else falls back to
//! `str::parse::<f64>`.

/// Exact powers of ten representable in an `f64` (10^22 is the largest).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Largest integer mantissa for which every smaller integer is exact in an `f64`.
const MAX_EXACT_MANTISSA: u64 = 1 << 53;

/// Exponent magnitude beyond which the value is certainly 0 or infinite; clamps the accumulator.
const EXPONENT_CLAMP: i64 = 1_000_000;

/// Parses an ASCII decimal number such as `-0.9981`, `12`, `.5`, `3.`, `+1e-3` into an `f64`.
///
/// Grammar (the same as Rust's `f64::from_str` minus `inf`/`nan`):
/// `[+-]? ( digits | digits '.' digits? | '.' digits ) ( [eE] [+-]? digits )?`.
/// No surrounding whitespace is allowed.
///
/// Returns `None` for anything outside the grammar and for results that are not finite
/// (e.g. `1e999`), so callers never see NaN or infinity. Never panics, never allocates.
pub fn parse_f64(bytes: &[u8]) -> Option<f64> {
    let (negative, rest) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, bytes),
    };

    let mut mantissa: u64 = 0;
    let mut exact = true;
    let mut int_digits = 0usize;
    let mut frac_digits = 0usize;
    let mut i = 0usize;

    while let Some(&b) = rest.get(i) {
        if !b.is_ascii_digit() {
            break;
        }
        accumulate(&mut mantissa, &mut exact, b);
        int_digits += 1;
        i += 1;
    }
    if rest.get(i) == Some(&b'.') {
        i += 1;
        while let Some(&b) = rest.get(i) {
            if !b.is_ascii_digit() {
                break;
            }
            accumulate(&mut mantissa, &mut exact, b);
            frac_digits += 1;
            i += 1;
        }
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }

    let mut exponent: i64 = 0;
    if matches!(rest.get(i), Some(b'e' | b'E')) {
        i += 1;
        let exp_negative = match rest.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let mut exp_digits = 0usize;
        while let Some(&b) = rest.get(i) {
            if !b.is_ascii_digit() {
                break;
            }
            exponent = (exponent * 10 + i64::from(b - b'0')).min(EXPONENT_CLAMP);
            exp_digits += 1;
            i += 1;
        }
        if exp_digits == 0 {
            return None;
        }
        if exp_negative {
            exponent = -exponent;
        }
    }
    if i != rest.len() {
        return None;
    }

    if exact {
        // frac_digits is bounded by the input length, so the subtraction cannot overflow an i64
        // for any slice that fits in memory; saturate anyway to stay panic-free.
        let frac = i64::try_from(frac_digits).unwrap_or(i64::MAX);
        let e = exponent.saturating_sub(frac);
        // Exact: mantissa <= 2^53.
        let m = mantissa as f64;
        let value = if e == 0 {
            Some(m)
        } else if e < 0 {
            pow10(e.unsigned_abs()).map(|p| m / p)
        } else {
            pow10(e.unsigned_abs()).map(|p| m * p)
        };
        if let Some(v) = value {
            return Some(if negative { -v } else { v });
        }
    }
    slow_parse(bytes)
}

#[inline]
fn accumulate(mantissa: &mut u64, exact: &mut bool, digit: u8) {
    if *exact {
        match mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(u64::from(digit - b'0')))
        {
            Some(m) if m <= MAX_EXACT_MANTISSA => *mantissa = m,
            _ => *exact = false,
        }
    }
}

#[inline]
fn pow10(e: u64) -> Option<f64> {
    usize::try_from(e).ok().and_then(|e| POW10.get(e).copied())
}

#[cold]
fn slow_parse(bytes: &[u8]) -> Option<f64> {
    std::str::from_utf8(bytes)
        .ok()?
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// Parses an unsigned decimal integer (`0` to `4294967295`, ASCII digits only, no sign, at most
/// 10 digits) without allocating. Used for sequence numbers, device time and command arguments.
pub fn parse_u32(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || bytes.len() > 10 {
        return None;
    }
    let mut value: u64 = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(b - b'0');
    }
    u32::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference(s: &str) -> Option<f64> {
        s.parse::<f64>().ok().filter(|v| v.is_finite())
    }

    #[test]
    fn protocol_shaped_numbers() {
        assert_eq!(parse_f64(b"-0.9981"), Some(-0.9981));
        assert_eq!(parse_f64(b"0.0123"), Some(0.0123));
        assert_eq!(parse_f64(b"1.25"), Some(1.25));
        assert_eq!(parse_f64(b"-499.99"), Some(-499.99));
        assert_eq!(parse_f64(b"12"), Some(12.0));
        assert_eq!(parse_f64(b"+3"), Some(3.0));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"3."), Some(3.0));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b"2.5E-2"), Some(0.025));
    }

    #[test]
    fn negative_zero_keeps_its_sign() {
        let v = parse_f64(b"-0.0000");
        assert_eq!(v.map(f64::to_bits), Some((-0.0f64).to_bits()));
    }

    #[test]
    fn rejects_non_numbers() {
        for s in [
            "", "-", "+", ".", "-.", "e5", "1e", "1e+", "1.2.3", "1,5", " 1", "1 ", "inf", "-inf",
            "NaN", "infinity", "0x10", "1_000", "--1", "+-1", "1e999", "-1e400",
        ] {
            assert_eq!(parse_f64(s.as_bytes()), None, "{s:?}");
        }
    }

    #[test]
    fn slow_path_cases() {
        assert_eq!(
            parse_f64(b"12345678901234567890.5"),
            reference("12345678901234567890.5")
        );
        assert_eq!(parse_f64(b"1e-30"), Some(1e-30));
        assert_eq!(parse_f64(b"0.0000000000000000000000001"), Some(1e-25));
        assert_eq!(parse_f64(b"9007199254740993"), Some(9007199254740992.0));
        assert_eq!(parse_f64(b"1e-999999999999"), Some(0.0));
    }

    #[test]
    fn u32_parsing() {
        assert_eq!(parse_u32(b"0"), Some(0));
        assert_eq!(parse_u32(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_u32(b"4294967296"), None);
        assert_eq!(parse_u32(b"00000000001"), None);
        assert_eq!(parse_u32(b""), None);
        assert_eq!(parse_u32(b"-1"), None);
        assert_eq!(parse_u32(b"+1"), None);
        assert_eq!(parse_u32(b"12a"), None);
    }

    proptest! {
        #[test]
        fn matches_std_on_formatted_floats(v in any::<f64>().prop_filter("finite", |v| v.is_finite())) {
            for s in [format!("{v}"), format!("{v:e}"), format!("{v:.4}"), format!("{v:.2}"), format!("{v:E}")] {
                let got = parse_f64(s.as_bytes()).map(f64::to_bits);
                prop_assert_eq!(got, reference(&s).map(f64::to_bits), "{}", s);
            }
        }

        #[test]
        fn matches_std_on_decimal_shaped_strings(s in "[-+]?[0-9]{0,25}(\\.[0-9]{0,25})?([eE][-+]?[0-9]{1,4})?") {
            let got = parse_f64(s.as_bytes()).map(f64::to_bits);
            prop_assert_eq!(got, reference(&s).map(f64::to_bits), "{}", s);
        }

        #[test]
        fn matches_std_on_arbitrary_alphabet(s in "[-+0-9.eEinfa ]{0,12}") {
            let got = parse_f64(s.as_bytes()).map(f64::to_bits);
            prop_assert_eq!(got, reference(&s).map(f64::to_bits), "{}", s);
        }

        #[test]
        fn never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = parse_f64(&bytes);
            let _ = parse_u32(&bytes);
        }

        #[test]
        fn u32_round_trip(v in any::<u32>()) {
            prop_assert_eq!(parse_u32(v.to_string().as_bytes()), Some(v));
        }
    }
}
