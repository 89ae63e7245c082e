//! Test helpers shared by the decoder's unit tests: `$SW1` sample lines and whole-stream
//! decoding in any chunking (sizes in bytes, cycled), so each stage's tests can drive the real
//! [`Decoder`] end to end.

use super::{
    Decoder, DecoderSettings, DecoderStats, Frame, LineFormat, SampleFrame, encode_sample,
};

/// A `$SW1` sample frame: device time in µs, acceleration in g, rotation rate in deg/s.
pub(super) fn sample(seq: u32, t_us: u64, accel_g: [f64; 3], gyro_dps: [f64; 3]) -> SampleFrame {
    SampleFrame {
        seq: Some(seq),
        device_time_us: Some(t_us),
        accel_g,
        gyro_dps,
        format: LineFormat::Sw1,
    }
}

/// The encoded line of `frame`, terminator included.
pub(super) fn line(frame: &SampleFrame) -> Vec<u8> {
    let mut out = Vec::new();
    encode_sample(frame, &mut out);
    out
}

/// Decodes `bytes` split into the given chunk sizes (cycled); returns frames and stats.
pub(super) fn decode_chunked(bytes: &[u8], chunks: &[usize]) -> (Vec<Frame>, DecoderStats) {
    let mut decoder = Decoder::new(DecoderSettings::default());
    let mut frames = Vec::new();
    let mut rest = bytes;
    let mut i = 0;
    while !rest.is_empty() {
        let n = chunks
            .get(i % chunks.len().max(1))
            .copied()
            .unwrap_or(1)
            .clamp(1, rest.len());
        let (head, tail) = rest.split_at(n);
        decoder.push(head, &mut |f| frames.push(f));
        rest = tail;
        i += 1;
    }
    decoder.flush(&mut |f| frames.push(f));
    (frames, decoder.stats())
}

/// Decodes `bytes` pushed in one chunk.
pub(super) fn decode(bytes: &[u8]) -> (Vec<Frame>, DecoderStats) {
    decode_chunked(bytes, &[usize::MAX])
}

/// The sample frames among `frames`.
pub(super) fn samples(frames: &[Frame]) -> Vec<SampleFrame> {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::Sample(s) => Some(*s),
            _ => None,
        })
        .collect()
}

/// `n` consecutive `$SW1` samples at 100 Hz (10 ms apart), sequence from 0.
pub(super) fn stream(n: u32) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        let f = sample(
            i,
            1_000 + u64::from(i) * 10_000,
            [0.01, -0.99, 0.05],
            [1.25, -0.5, 0.03],
        );
        encode_sample(&f, &mut out);
    }
    out
}
