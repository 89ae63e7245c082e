//! Full headless replay from a session CSV to the angles file (target ≥ 1.5 M samples/s).
//!
//! `cargo bench --bench replay`

use std::io::Write;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use spinewatch::ImuSample;
use spinewatch::cli::replay::{self, ReplayOptions};
use spinewatch::session::{SessionMeta, SessionWriter};

const SAMPLES: usize = 500_000;

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("spinewatch-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let input = dir.join("session.csv");
    let meta = SessionMeta {
        rate_hz: Some(100.0),
        calibration: Some("up=0,0,1;forward=1,0,0".into()),
        ..Default::default()
    };
    let written = std::fs::File::create(&input).and_then(|f| {
        let mut w = SessionWriter::new(std::io::BufWriter::new(f), &meta)?;
        for i in 0..SAMPLES {
            let t = i as f64 * 0.01;
            let a = 0.4 * (t * 0.05).sin();
            w.write_sample(&ImuSample::new(
                t,
                [
                    a.sin() + 0.01 * (t * 9.0).sin(),
                    0.02 * (t * 3.0).cos(),
                    a.cos(),
                ],
                [1.146 * (t * 0.05).cos() + 0.5 * (t * 5.0).sin(), 0.3, -0.2],
            ))?;
        }
        w.flush()?;
        w.into_inner().flush()
    });
    if let Err(e) = written {
        eprintln!("cannot write the bench input in {}: {e}", dir.display());
        return;
    }
    let opts = ReplayOptions {
        input: input.clone(),
        angles: Some(dir.join("angles.csv")),
        events: Some(dir.join("events.jsonl")),
        ..Default::default()
    };
    let mut group = c.benchmark_group("replay");
    group.sample_size(10);
    group.throughput(Throughput::Elements(SAMPLES as u64));
    group.bench_function("headless_csv_to_angles", |b| {
        b.iter(|| replay::run(&opts).map(|r| r.summary.samples))
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
