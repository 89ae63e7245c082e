//! Orientation filter cost per sample (target: no slower than the official VQF's C++, ~300 ns).
//!
//! `cargo bench --bench filter`
//!
//! Like for like with the official VQF (`scripts/peers/vqf_alone.py SESSION.csv`):
//! `SPINEWATCH_BENCH_CSV=SESSION.csv cargo bench --bench filter -- csv` adds
//! `fusion/orientation_filter_update_csv`, a fresh filter over all of that session's samples
//! (read before timing) per iteration. For instruction counts, run the bench binary with
//! `SPINEWATCH_FILTER_ONCE=SESSION.csv` under
//! `valgrind --tool=callgrind --toggle-collect='*filter_pass*'`: it makes one such pass and exits
//! (`SPINEWATCH_FILTER_REPEAT=N`: the best of N passes, the statistic `vqf_alone.py` prints).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group};
use spinewatch::ImuSample;
use spinewatch::fusion::{FusionSettings, OrientationFilter};
use spinewatch::pipeline::Pipeline;
use spinewatch::posture::{Calibration, Config};

/// A second of varied motion at 100 Hz, repeated with advancing time.
fn motion(n: usize) -> Vec<ImuSample> {
    (0..n)
        .map(|i| {
            let t = i as f64 * 0.01;
            let a = 0.3 * (t * 1.3).sin();
            ImuSample::new(
                t,
                [a.sin(), 0.05 * (t * 7.0).sin(), a.cos()],
                [20.0 * (t * 1.3).cos(), 3.0 * (t * 0.7).sin(), 1.0],
            )
        })
        .collect()
}

/// The samples of a session file (the replay's own reader), for like-for-like runs.
fn session_samples(path: &str) -> Vec<ImuSample> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let (_, samples) =
        spinewatch::session::read_all(file, path).unwrap_or_else(|e| panic!("{path}: {e}"));
    samples
}

/// One pass of a fresh filter over `samples` (not inlined: callgrind collects inside it).
#[inline(never)]
fn filter_pass(samples: &[ImuSample]) -> f64 {
    let mut filter = OrientationFilter::new(FusionSettings::default(), Some(100.0));
    let mut last_w = 0.0;
    for s in samples {
        last_w = black_box(filter.update(black_box(s))).world_from_sensor.w;
    }
    last_w
}

fn bench_csv(c: &mut Criterion) {
    let Ok(path) = std::env::var("SPINEWATCH_BENCH_CSV") else {
        return;
    };
    let samples = session_samples(&path);
    let mut group = c.benchmark_group("fusion");
    group.sample_size(10);
    group.throughput(Throughput::Elements(samples.len() as u64));
    group.bench_function("orientation_filter_update_csv", |b| {
        b.iter(|| black_box(filter_pass(black_box(&samples))))
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    let samples = motion(10_000);
    let mut group = c.benchmark_group("fusion");
    group.throughput(Throughput::Elements(samples.len() as u64));
    group.bench_function("orientation_filter_update", |b| {
        let mut filter = OrientationFilter::new(FusionSettings::default(), Some(100.0));
        b.iter(|| {
            for s in &samples {
                black_box(filter.update(black_box(s)));
            }
        })
    });
    group.bench_function("pipeline_process", |b| {
        let mut pipeline = Pipeline::new(Config::default(), Some(100.0));
        let cal = Calibration::from_metadata("up=0,0,1;forward=1,0,0").ok();
        pipeline.set_calibration(cal);
        let mut events = Vec::new();
        b.iter(|| {
            for s in &samples {
                black_box(pipeline.process(black_box(s), &mut events));
            }
            events.clear();
        })
    });
    group.finish();
}

criterion_group!(benches, bench, bench_csv);

fn main() {
    if let Ok(path) = std::env::var("SPINEWATCH_FILTER_ONCE") {
        let samples = session_samples(&path);
        let repeat: u32 = std::env::var("SPINEWATCH_FILTER_REPEAT")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(1);
        let mut best = f64::INFINITY;
        let mut check = 0.0;
        for _ in 0..repeat.max(1) {
            let t0 = std::time::Instant::now();
            check = filter_pass(&samples);
            best = best.min(t0.elapsed().as_secs_f64());
        }
        println!(
            "spinewatch filter_pass: {} samples in {best:.3} s, best of {repeat} ({:.2} M \
             samples/s, {:.0} ns/sample; last qw {check:.6})",
            samples.len(),
            samples.len() as f64 / best / 1e6,
            best / samples.len() as f64 * 1e9
        );
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
