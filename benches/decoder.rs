//! Decode throughput in MB/s of protocol text (target: at least 50 MB/s on one core).
//!
//! Run: `cargo bench --bench decoder`. Input is fed in 4 KiB chunks, like reads from a serial port,
//! so the split-line path is exercised at every chunk boundary.
//!
//! `SPINEWATCH_DECODER_DUMP=DIR cargo bench --bench decoder` also writes the two inputs to
//! `DIR/sw1_samples.txt` and `DIR/plain_csv.txt`, the same bytes the bench decodes, for the
//! peer `scripts/peers/decode_python.py`. `SPINEWATCH_DECODE_ONCE=FILE` (optionally
//! `SPINEWATCH_DECODE_REPEAT=N`) decodes that file's bytes instead, best of N passes, prints MB/s
//! and exits (the statistic the peer prints; for callgrind: `--toggle-collect='*decode_all*'`).

use criterion::{Criterion, Throughput, criterion_group};
use spinewatch::protocol::{
    Decoder, DecoderSettings, Frame, LineFormat, SampleFrame, encode_sample,
};
use std::hint::black_box;

const LINES: u32 = 20_000;
const CHUNK: usize = 4096;

/// A realistic `$SW1` stream: 100 Hz samples of a slowly moving sensor.
fn sw1_stream() -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..LINES {
        let x = f64::from(i) * 0.01;
        let frame = SampleFrame {
            seq: Some(i),
            device_time_us: Some(4_294_000_000 + u64::from(i) * 10_000),
            accel_g: [0.05 * x.sin(), -0.98 + 0.01 * x.cos(), 0.17 * x.cos()],
            gyro_dps: [12.5 * x.cos(), -3.25 * x.sin(), 0.5],
            format: LineFormat::Sw1,
        };
        encode_sample(&frame, &mut out);
    }
    out
}

/// The same readings as legacy comma-separated plain lines.
fn plain_stream() -> Vec<u8> {
    let mut out = String::new();
    for i in 0..LINES {
        let x = f64::from(i) * 0.01;
        out.push_str(&format!(
            "{:.4},{:.4},{:.4},{:.2},{:.2},{:.2}\r\n",
            0.05 * x.sin(),
            -0.98 + 0.01 * x.cos(),
            0.17 * x.cos(),
            12.5 * x.cos(),
            -3.25 * x.sin(),
            0.5
        ));
    }
    out.into_bytes()
}

#[inline(never)]
fn decode_all(bytes: &[u8]) -> usize {
    let mut decoder = Decoder::new(DecoderSettings::default());
    let mut samples = 0usize;
    for chunk in bytes.chunks(CHUNK) {
        decoder.push(chunk, &mut |frame| {
            if let Frame::Sample(s) = frame {
                black_box(s);
                samples += 1;
            }
        });
    }
    samples
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for (name, bytes) in [("sw1_samples", sw1_stream()), ("plain_csv", plain_stream())] {
        assert_eq!(
            decode_all(&bytes),
            LINES as usize,
            "{name}: not every line decoded"
        );
        if let Ok(dir) = std::env::var("SPINEWATCH_DECODER_DUMP") {
            let path = std::path::Path::new(&dir).join(format!("{name}.txt"));
            if let Err(e) = std::fs::write(&path, &bytes) {
                eprintln!("cannot write {}: {e}", path.display());
            }
        }
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(name, |b| b.iter(|| decode_all(black_box(&bytes))));
    }
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    if let Ok(path) = std::env::var("SPINEWATCH_DECODE_ONCE") {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let repeat: u32 = std::env::var("SPINEWATCH_DECODE_REPEAT")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(1);
        let mut best = f64::INFINITY;
        let mut samples = 0;
        for _ in 0..repeat.max(1) {
            let t0 = std::time::Instant::now();
            samples = decode_all(black_box(&bytes));
            best = best.min(t0.elapsed().as_secs_f64());
        }
        println!(
            "spinewatch decoder: {samples} samples from {} bytes in {:.2} ms, best of {repeat}: \
             {:.2} MB/s ({:.2} MiB/s)",
            bytes.len(),
            best * 1e3,
            bytes.len() as f64 / best / 1e6,
            bytes.len() as f64 / best / f64::from(1u32 << 20)
        );
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
