//! Allocation-free number parsing straight from bytes.
//!
//! Why not `str::parse`: it needs a UTF-8 check first and is several times slower than needed for
//! the short decimals of the protocol (`-0.9981`), and the decoder must sustain well over 50 MB/s.
//! The fast path here is exact, not an approximation: when the decimal digits form an integer
//! mantissa `m <= 2^53` and the decimal exponent `e` satisfies `|e| <= 22`, both `m` and `10^|e|`
//! are exactly representable as `f64`, so the single IEEE division (or multiplication) is correctly
//! rounded — the same result `str::parse::<f64>` gives. Everything else falls back to
//! `str::parse::<f64>`. The CSV reader parses each field where it stands, so a row is read in
//! one pass: with [`parse_decimal_window`] for the short decimals session files are written in,
//! with [`parse_f64_prefix`] for anything else.

/// Exact powers of ten representable in an `f64` (10^22 is the largest).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Largest integer mantissa for which every smaller integer is exact in an `f64`.
const MAX_EXACT_MANTISSA: u64 = 1 << 53;

/// Digits accumulated without overflow checks: 10^19 - 1 < 2^64.
const MAX_FAST_DIGITS: usize = 19;

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
    match parse_f64_prefix(bytes) {
        Some((value, used)) if used == bytes.len() => Some(value),
        _ => None,
    }
}

/// Parses the number at the start of `bytes` (the grammar of [`parse_f64`]) and returns it with
/// the number of bytes it took; what follows is the caller's (a `,`, a line end).
///
/// Why: a CSV row is read in one pass, each field parsed where it stands, with no split and no
/// trim first. An `e` or `E` after the digits must start a valid exponent: `1e,` is `None`, not
/// 1 followed by `e`, so a caller that finds the wrong byte next never mistakes a broken number
/// for a shorter one.
///
/// Cost: a few instructions for up to eight digits ([`digit_run`]). Up to 19 digits are accumulated in a `u64` without checks
/// (10^19 < 2^64); the exact fast path then needs a mantissa `<= 2^53` and a decimal exponent
/// within ±22. Longer or larger numbers go to `str::parse` on the same bytes.
pub fn parse_f64_prefix(bytes: &[u8]) -> Option<(f64, usize)> {
    let (negative, mut i) = match bytes.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };

    let mut mantissa: u64 = 0;
    let int_start = i;
    // The whole part of a reading is one to four digits: a byte at a time is cheaper here.
    i = digit_run_scalar(bytes, i, &mut mantissa);
    let int_digits = i - int_start;
    let mut frac_digits = 0usize;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        i = digit_run(bytes, i, &mut mantissa);
        frac_digits = i - frac_start;
    }
    let digits = int_digits + frac_digits;
    if digits == 0 {
        return None;
    }

    let mut exponent: i64 = 0;
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        let exp_negative = match bytes.get(i) {
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
        let exp_start = i;
        while let Some(&b) = bytes.get(i) {
            let digit = b.wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            exponent = (exponent * 10 + i64::from(digit)).min(EXPONENT_CLAMP);
            i += 1;
        }
        if i == exp_start {
            return None;
        }
        if exp_negative {
            exponent = -exponent;
        }
    }

    if digits <= MAX_FAST_DIGITS && mantissa <= MAX_EXACT_MANTISSA {
        // Exact: mantissa <= 2^53, and frac_digits <= 19 so the cast cannot wrap.
        let e = exponent - frac_digits as i64;
        let m = mantissa as f64;
        let value = if e == 0 {
            Some(m)
        } else if e < 0 {
            pow10(e.unsigned_abs()).map(|p| m / p)
        } else {
            pow10(e.unsigned_abs()).map(|p| m * p)
        };
        if let Some(v) = value {
            return Some((if negative { -v } else { v }, i));
        }
    }
    slow_parse(bytes.get(..i)?).map(|v| (v, i))
}

/// Bytes [`parse_decimal_window`] reads from a number's first byte on: a sign, seven whole
/// digits, the point, seven fraction digits and the byte after them.
pub const DECIMAL_WINDOW: usize = 17;

/// The short decimals session files are made of (`-0.06505`, `1.124`, `3599.990000`, `12`), read
/// from a window of fixed length: `[+-]? D{1,7} ( '.' D{0,7} )?`, then a byte that is neither a
/// digit nor `e`/`E`. Returns the value and the number's length, which is always where
/// [`parse_f64_prefix`] stops, with the same value (bit for bit); `None` for every other shape
/// (`.5`, an exponent, eight or more digits on either side of the point), which the caller reads
/// with [`parse_f64_prefix`].
///
/// Why: a session row is seven such numbers, and they are most of a replay's reading. With the
/// window's length known there are no bounds checks and no loop. A number of up to eight bytes
/// after its sign, point included (`0.06505`, `1.124`), is one word: one mask finds the point and
/// the end, the point is cut out and the digits are valued at once ([`eight_digits`]); a longer
/// one (the time, `0.010000`) takes a second word for the fraction. At most 14 digits make a
/// mantissa below 10^14 < 2^53 and the scale is at most 10^7, so the one division is exact
/// (correctly rounded, as in [`parse_f64_prefix`]) with no checks. Cost: about 75 instructions
/// for a one-word number and 125 for a longer one, against about 140 for [`parse_f64_prefix`]
/// (whose loops, bounds checks and `Option` returns are most of that). Always inlined: as a call
/// its `Option<(f64, usize)>` goes through memory, about 20 instructions more a number.
#[inline(always)]
pub fn parse_decimal_window(window: &[u8; DECIMAL_WINDOW]) -> Option<(f64, usize)> {
    let negative = window[0] == b'-';
    let start = usize::from(negative || window[0] == b'+');
    let (values, not_digit) = digit_bytes(load_word(window, start)?);
    let whole_digits = (not_digit.trailing_zeros() / 8) as usize;
    if !(1..8).contains(&whole_digits) {
        return None;
    }
    let point = start + whole_digits;
    let (mantissa, frac_digits, end) = if window[point] != b'.' {
        // No point: the whole digits are the number.
        (eight_digits(values << (8 * (8 - whole_digits))), 0, point)
    } else if let rest @ 1.. = not_digit & (not_digit - 1) {
        // The number ends within the word: cut the point out, and the digits before and after
        // it are one run of `digits` (1 to 6).
        let end_in_word = (rest.trailing_zeros() / 8) as usize;
        let digits = end_in_word - 1;
        let below = (1u64 << (8 * whole_digits)) - 1;
        let joined = (values & below) | ((values >> 8) & !below);
        (
            eight_digits(joined << (8 * (8 - digits))),
            digits - whole_digits,
            start + end_in_word,
        )
    } else {
        // The fraction goes on past the word: value it from a word of its own.
        let whole = eight_digits(values << (8 * (8 - whole_digits)));
        let (frac_values, frac_not_digit) = digit_bytes(load_word(window, point + 1)?);
        let digits = (frac_not_digit.trailing_zeros() / 8) as usize;
        if digits >= 8 {
            return None;
        }
        let frac = match digits {
            0 => 0,
            _ => eight_digits(frac_values << (8 * (8 - digits))),
        };
        (whole * POW10_U64[digits] + frac, digits, point + 1 + digits)
    };
    // `e` and `E` (0x65, 0x45) are the only bytes that read as `e` with bit 5 set.
    if window[end] | 0x20 == b'e' {
        return None;
    }
    // Below 2^53, so the signed conversion is exact (and one instruction, unlike the unsigned).
    let value = mantissa as i64 as f64 / POW10[frac_digits];
    Some((if negative { -value } else { value }, end))
}

/// The eight bytes of `window` from `at` on as a little-endian word (the first byte lowest).
#[inline]
fn load_word(window: &[u8; DECIMAL_WINDOW], at: usize) -> Option<u64> {
    window
        .get(at..)
        .and_then(<[u8]>::first_chunk::<8>)
        .map(|bytes| u64::from_le_bytes(*bytes))
}

/// Each byte of `word` as a digit value (right for the digit bytes) and a mask with the high bit
/// of each byte that is not an ASCII digit.
///
/// Unlike the subtraction in [`digit_run`], nothing carries from byte to byte, so the mask is
/// right for every byte, not only up to the first non-digit: a point and the byte after the
/// digits that follow it are found in the same word. Per byte, `x = b ^ 0x30` is the digit for
/// `'0'..='9'` and at least 10 for every other byte: either its high bit is set, or adding 0x76
/// to its low seven bits (at most 0x7F + 0x76 < 0x100, so no carry out) sets it.
#[inline]
fn digit_bytes(word: u64) -> (u64, u64) {
    let values = word ^ 0x3030_3030_3030_3030;
    let not_digit = (((values & 0x7F7F_7F7F_7F7F_7F7F) + 0x7676_7676_7676_7676) | values)
        & 0x8080_8080_8080_8080;
    (values, not_digit)
}

/// Reads the run of ASCII digits from `bytes[i]` on into `mantissa` (`mantissa * 10 + digit`
/// each, wrapping: the caller counts the digits and trusts at most 19) and returns where the
/// run ends.
///
/// Eight bytes at a time where eight remain (SWAR, as in Lemire's fast_float): one load finds
/// how many of them are digits, and three multiplications give their value. A field such as
/// `0.010000` takes two steps instead of eight.
#[inline]
fn digit_run(bytes: &[u8], mut i: usize, mantissa: &mut u64) -> usize {
    while let Some(chunk) = bytes.get(i..).and_then(<[u8]>::first_chunk::<8>) {
        let v = u64::from_le_bytes(*chunk);
        let values = v.wrapping_sub(0x3030_3030_3030_3030);
        // A byte's high bit is set here if it is below '0' (the subtraction wrapped) or above
        // '9' (adding 0x46 reaches 0x80). A borrow only ever reaches bytes after the first such
        // byte, which are not used.
        let not_digit = (values | v.wrapping_add(0x4646_4646_4646_4646)) & 0x8080_8080_8080_8080;
        let n = (not_digit.trailing_zeros() / 8) as usize;
        if n == 0 {
            return i;
        }
        // The n digits move to the top; the zero bytes below them read as leading zeros.
        let digits = values << (8 * (8 - n));
        *mantissa = mantissa
            .wrapping_mul(POW10_U64[n])
            .wrapping_add(eight_digits(digits));
        i += n;
        if n < 8 {
            return i;
        }
    }
    digit_run_scalar(bytes, i, mantissa)
}

/// [`digit_run`] a byte at a time.
#[inline]
fn digit_run_scalar(bytes: &[u8], mut i: usize, mantissa: &mut u64) -> usize {
    while let Some(&b) = bytes.get(i) {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        *mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(digit));
        i += 1;
    }
    i
}

/// `10^n` as integers, up to `10^16`: the scale of the digits one [`digit_run`] step takes (0 to
/// 8), and of the whole part the CSV writers print (below 9e15).
pub(crate) const POW10_U64: [u64; 17] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
    10_000_000_000_000_000,
];

/// The value of eight digits (each byte 0 to 9, the first digit in the lowest byte).
#[inline]
fn eight_digits(values: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 100 + (1_000_000 << 32);
    const MUL2: u64 = 1 + (10_000 << 32);
    // Pairs: each 16-bit lane holds 10 * first + second.
    let pairs = values.wrapping_mul(10).wrapping_add(values >> 8);
    ((pairs & MASK)
        .wrapping_mul(MUL1)
        .wrapping_add(((pairs >> 16) & MASK).wrapping_mul(MUL2)))
        >> 32
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

    /// `[+-]?D{1,7}(\.D{1,7})?`: the numbers the window must always read.
    fn is_session_shaped(s: &str) -> bool {
        let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
        let (whole, frac) = unsigned.split_once('.').unwrap_or((unsigned, "1"));
        let digits = |d: &str| (1..=7).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit());
        digits(whole) && digits(frac)
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
    fn eight_digits_at_a_time_read_every_run_length() {
        for text in [
            "12345678",
            "123456789",
            "1234567890123456789",
            "0",
            "00000000",
            "99999999",
            "100000001",
            "7.",
            "0.010000",
            "123456.7890123",
            "1234567.8",
            "12345678.9",
        ] {
            for tail in ["", ",", "x1234567", ",0,0,0,0,0,0,0,0"] {
                let field = format!("{text}{tail}");
                assert_eq!(
                    parse_f64_prefix(field.as_bytes()),
                    reference(text).map(|v| (v, text.len())),
                    "{field}"
                );
            }
        }
        // Bytes next to the digits ('/' and ':' are just outside '0'..='9'), and bytes >= 0x80.
        for tail in [b'/', b':', 0x80, 0xAF, 0xB0, 0xFF, b' ', 0] {
            let mut field = b"1234".to_vec();
            field.push(tail);
            field.extend_from_slice(b"567");
            assert_eq!(parse_f64_prefix(&field), Some((1234.0, 4)), "{tail:#x}");
        }
    }

    #[test]
    fn a_prefix_is_the_number_where_it_stands() {
        assert_eq!(parse_f64_prefix(b"1.5,2"), Some((1.5, 3)));
        assert_eq!(parse_f64_prefix(b"-0.06505,"), Some((-0.06505, 8)));
        assert_eq!(parse_f64_prefix(b"12abc"), Some((12.0, 2)));
        assert_eq!(parse_f64_prefix(b"2.5e-2\n"), Some((0.025, 6)));
        assert_eq!(
            parse_f64_prefix(b"12345678901234567890.5,"),
            reference("12345678901234567890.5").map(|v| (v, 22))
        );
        // An `e` must start an exponent: a broken number is never read as a shorter one.
        assert_eq!(parse_f64_prefix(b"1e,"), None);
        assert_eq!(parse_f64_prefix(b"1e+,"), None);
        assert_eq!(parse_f64_prefix(b"-,"), None);
        assert_eq!(parse_f64_prefix(b".,"), None);
        assert_eq!(parse_f64_prefix(b""), None);
        assert_eq!(parse_f64_prefix(b"1e999,"), None);
    }

    /// `text` at the start of a window, the rest `pad`.
    fn window(text: &[u8], pad: u8) -> [u8; DECIMAL_WINDOW] {
        let mut w = [pad; DECIMAL_WINDOW];
        let n = text.len().min(DECIMAL_WINDOW);
        w[..n].copy_from_slice(&text[..n]);
        w
    }

    #[test]
    fn the_window_reads_session_numbers() {
        for (text, value) in [
            ("-0.06505", -0.06505f64),
            ("0.95437", 0.95437),
            ("1.124", 1.124),
            ("-0.017", -0.017),
            ("+7.5", 7.5),
            ("0.010000", 0.01),
            ("3599.990000", 3599.99),
            ("1234567.1234567", 1234567.1234567),
            ("12", 12.0),
            ("-1234567", -1234567.0),
            ("3.", 3.0),
            ("1234567.", 1234567.0),
            ("123456.7", 123456.7),
        ] {
            for pad in [b',', b'\n', b'\r', b'x', b'.', b'-', 0xFF] {
                if pad == b'.' && !text.contains('.') {
                    continue; // `12.` is a longer number
                }
                let w = window(text.as_bytes(), pad);
                assert_eq!(
                    parse_decimal_window(&w).map(|(v, n)| (v.to_bits(), n)),
                    Some((value.to_bits(), text.len())),
                    "{text:?} then {pad:#x}"
                );
            }
        }
        let zero = parse_decimal_window(&window(b"-0.000,", b','));
        assert_eq!(zero.map(|(v, _)| v.to_bits()), Some((-0.0f64).to_bits()));
    }

    #[test]
    fn the_window_leaves_other_shapes_to_the_general_parser() {
        for text in [
            "",
            "-",
            "+",
            ".",
            ".5",
            "-.5",
            "1e3",
            "1.5e3",
            "2.E1",
            "1E",
            "3.e",
            "12345678",
            "12345678.5",
            "0.12345678",
            "1234567.12345678",
            "--1",
            "+-1",
            "inf",
            "nan",
            " 1",
        ] {
            let w = window(text.as_bytes(), b',');
            assert_eq!(parse_decimal_window(&w), None, "{text:?}");
        }
        // Digits running on to the window's end are not cut short.
        assert_eq!(parse_decimal_window(&window(b"1.", b'7')), None);
        assert_eq!(parse_decimal_window(&window(b"12", b'7')), None);
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
        fn a_prefix_followed_by_a_delimiter_reads_as_the_whole_field(
            s in "[-+]?[0-9]{0,25}(\\.[0-9]{0,25})?([eE][-+]?[0-9]{1,4})?",
            tail in "([,; x\t\r\n][0-9.,a-z]{0,4})?",
        ) {
            let text = format!("{s}{tail}");
            let got = parse_f64_prefix(text.as_bytes()).map(|(v, n)| (v.to_bits(), n));
            prop_assert_eq!(got, reference(&s).map(|v| (v.to_bits(), s.len())), "{}", text);
        }

        /// The window agrees with the general parser (and so with `str::parse`) whenever it reads
        /// a number, and it reads every number of the shape session files are written in.
        #[test]
        fn the_window_agrees_with_the_general_parser(
            s in "[-+]?[0-9]{0,9}(\\.[0-9]{0,9})?([eE][-+]?[0-9]{1,3})?",
            tail in proptest::collection::vec(
                prop_oneof![Just(b','), Just(b'\n'), Just(b'.'), Just(b'e'), Just(b'5'), any::<u8>()],
                0..17,
            ),
        ) {
            let mut bytes = s.clone().into_bytes();
            bytes.extend_from_slice(&tail);
            let w = window(&bytes, b',');
            let got = parse_decimal_window(&w).map(|(v, n)| (v.to_bits(), n));
            if let Some((bits, n)) = got {
                let general = parse_f64_prefix(&w).map(|(v, n)| (v.to_bits(), n));
                prop_assert_eq!(general, Some((bits, n)), "{:?}", w);
                let text = std::str::from_utf8(&w[..n]).unwrap_or("");
                prop_assert_eq!(reference(text).map(f64::to_bits), Some(bits), "{:?}", w);
            }
            // `-?D{1,7}(.D{1,7})?` before a delimiter is always read here.
            let shaped = is_session_shaped(&s);
            if shaped && matches!(tail.first(), Some(b',' | b'\n') | None) {
                prop_assert_eq!(got, reference(&s).map(|v| (v.to_bits(), s.len())), "{:?}", w);
            }
        }

        #[test]
        fn the_window_agrees_with_the_general_parser_on_any_bytes(
            bytes in proptest::collection::vec(
                prop_oneof![
                    4 => b'0'..=b'9',
                    1 => Just(b'.'),
                    1 => Just(b'-'),
                    1 => Just(b','),
                    1 => any::<u8>(),
                ],
                DECIMAL_WINDOW,
            ),
        ) {
            let w = window(&bytes, 0);
            if let Some((v, n)) = parse_decimal_window(&w) {
                prop_assert_eq!(
                    parse_f64_prefix(&w).map(|(v, n)| (v.to_bits(), n)),
                    Some((v.to_bits(), n)),
                    "{:?}", w
                );
            }
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
