//! A content hash for imported session files, so importing the same file twice is noticed.
//!
//! FNV-1a 64 (Fowler–Noll–Vo): tiny, streaming, and defined by two constants, so the value is the
//! same in every version of spinewatch and of Rust (std's `DefaultHasher` promises neither). It is
//! not cryptographic: it tells "the same file again" from "another file", not a forgery.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// A file's FNV-1a 64 hash. Shown and stored as 16 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentHash(pub u64);

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl FromStr for ContentHash {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        u64::from_str_radix(s, 16).map(Self)
    }
}

/// Streaming FNV-1a 64: feed the bytes in any chunks, the result is the same.
#[derive(Debug, Clone, Copy)]
pub struct ContentHasher {
    state: u64,
}

impl Default for ContentHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl ContentHasher {
    pub fn new() -> Self {
        Self {
            state: OFFSET_BASIS,
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        let mut h = self.state;
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(PRIME);
        }
        self.state = h;
    }

    pub fn finish(&self) -> ContentHash {
        ContentHash(self.state)
    }

    /// Hashes a whole file, streaming it through a [`HashingReader`] (memory does not grow with
    /// its size).
    pub fn hash_file(path: &Path) -> std::io::Result<ContentHash> {
        let mut reader = HashingReader::new(std::fs::File::open(path)?);
        std::io::copy(&mut reader, &mut std::io::sink())?;
        Ok(reader.finish())
    }
}

/// A reader that hashes every byte read through it: a file is hashed by the same pass that
/// reads it for something else (the import's first pass over a session).
pub struct HashingReader<R> {
    inner: R,
    hasher: ContentHasher,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: ContentHasher::new(),
        }
    }

    /// The hash of every byte read so far (the whole file once it was read to its end).
    pub fn finish(&self) -> ContentHash {
        self.hasher.finish()
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashing_reader_gives_the_hash_of_what_went_through_it() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 13 % 253) as u8).collect();
        let mut r = HashingReader::new(&data[..]);
        let mut sink = Vec::new();
        let mut buf = [0u8; 777];
        loop {
            match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => sink.extend_from_slice(&buf[..n]),
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(sink, data);
        assert_eq!(r.finish(), ContentHash(fnv(&data)));
    }

    fn fnv(bytes: &[u8]) -> u64 {
        let mut h = ContentHasher::new();
        h.update(bytes);
        h.finish().0
    }

    #[test]
    fn matches_the_published_fnv1a64_vectors() {
        // From the FNV reference test suite (isthe.com/chongo/tech/comp/fnv).
        assert_eq!(fnv(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn chunking_does_not_change_the_hash_and_hex_round_trips() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut h = ContentHasher::new();
        for chunk in data.chunks(37) {
            h.update(chunk);
        }
        assert_eq!(h.finish().0, fnv(&data));
        let hash = h.finish();
        assert_eq!(hash.to_string().len(), 16);
        assert_eq!(hash.to_string().parse::<ContentHash>().ok(), Some(hash));
    }
}
