//! Framing: cuts any chunking of serial bytes into records (lines and `$` records).
//!
//! A record ends at `\r` or `\n` (which belong to no record) or just before a `$` (which starts
//! the next one). Why `$` also ends a record: a line whose terminator was lost on the wire must
//! not swallow the `$SW1` record after it, so the decoder resynchronises on the very next `$`.
//!
//! A record that lies wholly inside one pushed chunk is handed on in place; only a record split
//! across chunks is copied, into a buffer bounded by [`MAX_LINE_LEN`] bytes. A longer record is
//! counted the moment it passes the bound, dropped up to its terminator and reported there as
//! [`DecodeError::LineTooLong`] with its full length in bytes, so a stream of garbage without
//! terminators cannot grow memory and still shows in the counts. Nothing here
//! looks inside a record: that is [`sw1`](super::sw1)'s and [`plain`](super::plain)'s job.

use super::MAX_LINE_LEN;
use super::error::DecodeError;

/// Line assembly state carried between pushes.
#[derive(Debug, Clone)]
pub(super) struct Framer {
    /// Bytes of a record split across pushes; never longer than [`MAX_LINE_LEN`].
    buf: Vec<u8>,
    /// Inside an overlong record: drop bytes until the next terminator.
    discarding: bool,
    /// Length of the overlong record so far in bytes, for the error report.
    discarded_len: usize,
    /// Records that passed [`MAX_LINE_LEN`], counted the moment they pass it (saturating).
    /// Why not at their end: bytes that never end a line — a wrong baud rate, a binary
    /// protocol — would otherwise never be counted, and the status would show a clean link.
    overlong: u64,
}

impl Framer {
    /// A framer with nothing pending; the buffer is allocated once, here.
    pub(super) fn new() -> Self {
        Self {
            buf: Vec::with_capacity(MAX_LINE_LEN),
            discarding: false,
            discarded_len: 0,
            overlong: 0,
        }
    }

    /// Cuts `bytes` into records, calling `on_record` with each complete one (terminator
    /// removed, not yet trimmed; possibly empty) or with [`DecodeError::LineTooLong`] for one
    /// that exceeded the bound. A trailing partial record is kept for a later push.
    pub(super) fn push<F: FnMut(Result<&[u8], DecodeError>)>(
        &mut self,
        bytes: &[u8],
        on_record: &mut F,
    ) {
        let mut start = 0usize;
        let mut search = 0usize;
        loop {
            let tail = bytes.get(search..).unwrap_or_default();
            let Some(offset) = tail.iter().position(|&b| matches!(b, b'\n' | b'\r' | b'$')) else {
                self.append(bytes.get(start..).unwrap_or_default());
                return;
            };
            let pos = search + offset;
            self.end_record(bytes.get(start..pos).unwrap_or_default(), on_record);
            // `$` starts the next record and belongs to it; a line terminator belongs to none.
            start = if bytes.get(pos) == Some(&b'$') {
                pos
            } else {
                pos + 1
            };
            search = pos + 1;
        }
    }

    /// Treats pending bytes as a complete record (end of a file or of a replay).
    pub(super) fn flush<F: FnMut(Result<&[u8], DecodeError>)>(&mut self, on_record: &mut F) {
        if !self.buf.is_empty() || self.discarding {
            self.end_record(&[], on_record);
        }
    }

    /// Forgets a partial record (for a reconnect).
    pub(super) fn reset(&mut self) {
        self.buf.clear();
        self.discarding = false;
        self.discarded_len = 0;
    }

    /// Bytes of an incomplete record waiting for its terminator.
    pub(super) fn pending_len(&self) -> usize {
        if self.discarding {
            self.discarded_len
        } else {
            self.buf.len()
        }
    }

    /// Records that passed [`MAX_LINE_LEN`] so far, the one still arriving included.
    pub(super) fn overlong(&self) -> u64 {
        self.overlong
    }

    /// Bytes allocated for split records (the buffer never grows past [`MAX_LINE_LEN`]).
    pub(super) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Adds bytes of a record that continues past the current chunk, enforcing the length bound.
    fn append(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if self.discarding {
            self.discarded_len = self.discarded_len.saturating_add(bytes.len());
        } else if self.buf.len().saturating_add(bytes.len()) > MAX_LINE_LEN {
            self.overlong = self.overlong.saturating_add(1);
            self.discarding = true;
            self.discarded_len = self.buf.len().saturating_add(bytes.len());
            self.buf.clear();
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// Completes the current record with `tail` (the bytes up to its terminator) and hands it on.
    fn end_record<F: FnMut(Result<&[u8], DecodeError>)>(&mut self, tail: &[u8], on_record: &mut F) {
        if self.buf.is_empty() && !self.discarding {
            if tail.len() > MAX_LINE_LEN {
                self.overlong = self.overlong.saturating_add(1);
                on_record(Err(DecodeError::LineTooLong {
                    len: tail.len(),
                    max: MAX_LINE_LEN,
                }));
            } else {
                on_record(Ok(tail));
            }
            return;
        }
        self.append(tail);
        if self.discarding {
            let len = self.discarded_len;
            self.discarding = false;
            self.discarded_len = 0;
            on_record(Err(DecodeError::LineTooLong {
                len,
                max: MAX_LINE_LEN,
            }));
        } else {
            on_record(Ok(&self.buf));
        }
        self.buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{decode, decode_chunked, line, sample, samples, stream};
    use super::*;
    use crate::protocol::{Decoder, DecoderSettings, DecoderStats};

    #[test]
    fn empty_input_yields_nothing() {
        let (frames, stats) = decode(b"");
        assert!(frames.is_empty());
        assert_eq!(stats, DecoderStats::default());
        let mut d = Decoder::new(DecoderSettings::default());
        d.push(&[], &mut |_| panic!("no frame expected"));
        d.flush(&mut |_| panic!("no frame expected"));
        assert_eq!(d.pending_len(), 0);
    }

    #[test]
    fn byte_by_byte_equals_all_at_once() {
        let bytes = stream(50);
        let whole = decode(&bytes);
        let bytewise = decode_chunked(&bytes, &[1]);
        let odd = decode_chunked(&bytes, &[3, 7, 1, 64, 13]);
        assert_eq!(whole.0.len(), 50);
        assert_eq!(whole, bytewise);
        assert_eq!(whole, odd);
        assert_eq!(whole.1.frames_ok, 50);
        assert_eq!(whole.1.bytes, bytes.len() as u64);
    }

    #[test]
    fn resyncs_after_garbage_partial_and_overlong_lines() {
        let mut bytes = b"\xff\xfe garbage\x00\r\n,0.0121,-0.99*1234\r\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', 1000));
        bytes.extend_from_slice(b"\n");
        bytes.extend(stream(3));
        // A line whose newline was lost runs into the next `$`: both still decode.
        let mut merged = line(&sample(3, 31_000, [0.0; 3], [0.0; 3]));
        merged.truncate(merged.len() - 2);
        bytes.extend(merged);
        bytes.extend(line(&sample(4, 41_000, [0.0; 3], [0.0; 3])));
        for chunks in [&[usize::MAX][..], &[1], &[5, 300, 2]] {
            let (frames, stats) = decode_chunked(&bytes, chunks);
            assert_eq!(samples(&frames).len(), 5, "{chunks:?}");
            assert_eq!(stats.overlong_lines, 1);
            assert_eq!(stats.malformed_lines, 2); // binary garbage, partial line
            assert_eq!(stats.sequence_gaps, 0);
        }
    }

    #[test]
    fn the_buffer_never_grows_past_the_line_limit() {
        let mut d = Decoder::new(DecoderSettings::default());
        let start = d.buffer_capacity();
        assert!(start >= MAX_LINE_LEN);
        // 1 MB without a terminator in odd chunks, then short split records.
        let junk: Vec<u8> = (0..1_000_000u32)
            .map(|i| b"0123456789,.-x"[(i % 14) as usize])
            .collect();
        for chunk in junk.chunks(4093) {
            d.push(chunk, &mut |_| panic!("no frame expected"));
            assert_eq!(d.buffer_capacity(), start);
        }
        d.push(b"\n", &mut |_| panic!("no frame expected"));
        assert_eq!(d.stats().overlong_lines, 1);
        assert_eq!(d.buffer_capacity(), start);
    }

    #[test]
    fn an_overlong_line_counts_as_soon_as_it_passes_the_limit() {
        // Noise without a line end (a wrong baud rate): counted at once, not at its end.
        let mut d = Decoder::new(DecoderSettings::default());
        d.push(&[0x9a; MAX_LINE_LEN], &mut |_| panic!("no frame expected"));
        assert_eq!(d.stats().overlong_lines, 0);
        d.push(&[0x9a; 10_000], &mut |_| panic!("no frame expected"));
        assert_eq!(d.stats().overlong_lines, 1);
        let mut errors = Vec::new();
        d.push_events(&[0x9a; 10_000], &mut |e| errors.push(e));
        assert!(errors.is_empty(), "{errors:?}");
        // Its end reports it, with its whole length, without counting it again.
        let mut tail = line(&sample(1, 10_000, [0.0; 3], [0.0; 3]));
        tail.insert(0, b'\n');
        d.push_events(&tail, &mut |e| errors.push(e));
        assert_eq!(d.stats().overlong_lines, 1);
        assert!(matches!(
            errors.first(),
            Some(Err(crate::protocol::DecodeError::LineTooLong {
                len: 20_256,
                ..
            }))
        ));
        assert_eq!(
            samples(&errors.into_iter().flatten().collect::<Vec<_>>()).len(),
            1
        );
    }

    #[test]
    fn overlong_line_of_exact_limit_is_kept() {
        // A sensor at rest in g (gravity reads 1), so its units are recognised at the end.
        let mut bytes = vec![b' '; MAX_LINE_LEN - 8];
        bytes.extend_from_slice(b"0 0 1 4 5 6\n".get(..).unwrap_or_default());
        let (frames, stats) = decode(&bytes);
        assert_eq!(stats.overlong_lines, 1);
        assert!(frames.is_empty());
        let mut bytes = vec![b' '; MAX_LINE_LEN - 11];
        bytes.extend_from_slice(b"0 0 1 4 5 6\n");
        assert_eq!(decode_chunked(&bytes, &[1]).0.len(), 1);
    }
}
