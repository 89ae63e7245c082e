//! Orientation filter cost per sample (target: no slower than the official VQF's C++, ~300 ns).
//!
//! `cargo bench --bench filter`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
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

criterion_group!(benches, bench);
criterion_main!(benches);
