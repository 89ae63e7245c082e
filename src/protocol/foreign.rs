//! Recognising another device's protocol on the port: NMEA 0183 sentences (a GPS receiver,
//! a marine instrument), which look like ours — `$`, fields, `*`, a checksum — but are not.
//!
//! Why it matters: a port full of NMEA is readable at the right baud rate, so "check the baud
//! rate" would send the wearer the wrong way; it is the wrong device. A sentence counts as
//! NMEA only if its own 8-bit XOR checksum is right, so line noise (a wrong baud rate) that
//! happens to hold a `$` is not taken for another device.

/// Longest NMEA 0183 sentence in bytes, `$` and checksum included, without the terminator
/// (the standard says 82 with CR LF; some receivers exceed it, so allow a margin).
const NMEA_MAX_LEN: usize = 120;

/// Whether `line` (a trimmed record starting with `$`, terminator removed) is an NMEA 0183
/// sentence: `$` + printable ASCII + `*` + two hex digits that equal the XOR of the bytes
/// between `$` and `*`.
pub(super) fn is_nmea_sentence(line: &[u8]) -> bool {
    if line.len() > NMEA_MAX_LEN {
        return false;
    }
    let Some(body) = line.strip_prefix(b"$") else {
        return false;
    };
    let [content @ .., b'*', hi, lo] = body else {
        return false;
    };
    // An address field (talker + sentence type, e.g. `GPGGA`, or `PUBX` proprietary) first.
    let address_len = content
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    if address_len < 2
        || !content
            .iter()
            .all(|&b| (0x20..0x7f).contains(&b) && b != b'$')
    {
        return false;
    }
    let (Some(hi), Some(lo)) = (hex_value(*hi), hex_value(*lo)) else {
        return false;
    };
    let checksum = content.iter().fold(0u8, |acc, b| acc ^ b);
    checksum == (hi << 4 | lo)
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|v| u8::try_from(v).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gps_sentences_are_nmea() {
        // Real sentences (checksums as the receivers printed them).
        for line in [
            &b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47"[..],
            b"$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A",
            b"$GNGSA,A,3,80,71,73,79,69,,,,,,,,1.83,1.09,1.47*17",
        ] {
            assert!(is_nmea_sentence(line), "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn our_lines_noise_and_wrong_checksums_are_not_nmea() {
        for line in [
            // Ours: a 4-digit CRC, not a 2-digit XOR.
            &b"$SW1,S,1042,52178000,0.0123,-0.9981,0.0456,1.25,-0.50,0.03*ADB7"[..],
            // One character changed: the XOR no longer matches.
            b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.5,M,46.9,M,,*47",
            b"$GPGGA,123519*zz",
            b"$\xff\xfe*00",
            b"$*00",
            b"GPGGA,123519*47",
            b"$",
        ] {
            assert!(!is_nmea_sentence(line), "{}", String::from_utf8_lossy(line));
        }
    }
}
