//! CRC-16/CCITT-FALSE, the checksum of every `$SW1` line.
//!
//! Why a CRC and not NMEA's XOR: an XOR checksum misses any two flipped bits in the same bit
//! position and every swapped pair of characters, both common on a noisy UART. CRC-16/CCITT-FALSE
//! catches all single, double and odd-count bit errors and every burst up to 16 bits in a line of
//! this length, and needs only a dozen lines of C on the device (see `firmware-protocol.md`).
//!
//! Parameters: width 16, polynomial 0x1021, initial value 0xFFFF, no input or output reflection,
//! no final XOR. Check value: `crc16(b"123456789") == 0x29B1`.

/// Initial register value of CRC-16/CCITT-FALSE.
pub const CRC16_INIT: u16 = 0xFFFF;

/// Generator polynomial x^16 + x^12 + x^5 + 1 (normal form).
pub const CRC16_POLY: u16 = 0x1021;

/// Byte-at-a-time lookup table, built at compile time so the hot path is one table load per byte.
const TABLE: [u16; 256] = build_table();

const fn build_table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ CRC16_POLY
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

/// Continues a CRC-16/CCITT-FALSE computation over `bytes`, starting from register value `crc`.
///
/// Useful when a line is checksummed in pieces; `crc16_update(CRC16_INIT, b)` equals `crc16(b)`.
#[inline]
pub fn crc16_update(crc: u16, bytes: &[u8]) -> u16 {
    bytes.iter().fold(crc, |crc, &b| {
        // The index is a u8, so it is always within the 256-entry table.
        (crc << 8) ^ TABLE[usize::from((crc >> 8) as u8 ^ b)]
    })
}

/// CRC-16/CCITT-FALSE of `bytes`.
///
/// For a protocol line this is computed over the bytes strictly between `$` and `*`.
#[inline]
pub fn crc16(bytes: &[u8]) -> u16 {
    crc16_update(CRC16_INIT, bytes)
}

/// The bit-by-bit form used by the reference firmware; kept here so tests prove the table matches.
#[cfg(test)]
fn crc16_bitwise(bytes: &[u8]) -> u16 {
    let mut crc = CRC16_INIT;
    for &b in bytes {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ CRC16_POLY
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn check_value() {
        assert_eq!(crc16(b"123456789"), 0x29B1);
        assert_eq!(crc16(b""), 0xFFFF);
    }

    #[test]
    fn incremental_equals_whole() {
        let whole = crc16(b"SW1,C,RATE,50");
        let part = crc16_update(crc16(b"SW1,C,"), b"RATE,50");
        assert_eq!(whole, part);
    }

    proptest! {
        #[test]
        fn table_matches_bitwise(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(crc16(&bytes), crc16_bitwise(&bytes));
        }

        #[test]
        fn detects_single_bit_flips(bytes in proptest::collection::vec(any::<u8>(), 1..200), pos in any::<usize>(), bit in 0u8..8) {
            let mut corrupted = bytes.clone();
            let i = pos % corrupted.len();
            if let Some(b) = corrupted.get_mut(i) {
                *b ^= 1 << bit;
            }
            prop_assert_ne!(crc16(&bytes), crc16(&corrupted));
        }
    }
}
