//! History store speed and size: from the database to chart-ready data, on a year of 8-hour
//! days; the feed's cost per sample; one 5-second batch commit.
//!
//! `cargo bench --bench history`
//!
//! The year (365 days, 2025-12-01 to 2026-11-30, Europe/Berlin, so both DST changes are in it)
//! is generated with the real feed from synthetic per-sample input at 1 Hz
//! (`store::synth::desk_day`: random desk days of 8 h of monitored time from 08:30 local, with
//! their alerts, breaks, reminders and one sensor gap each), applied one day per transaction to
//! a file on disk; the last day has 10 h. Targets: a 10-hour day ≤ 50 ms, a month ≤ 100 ms, the
//! year ≤ 50 MB on disk, the whole history path ≤ 0.5 % of one core at 100 Hz.

use std::hint::black_box;
use std::path::Path;

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Europe::Berlin;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use spinewatch::posture::PostureState;
use spinewatch::store::synth::{desk_day, play};
use spinewatch::store::{
    Days, FeedOptions, HistoryFeed, Period, Record, RecordSink, SessionSource, SessionStart,
    SessionToken, Store, chart, query,
};

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 12, 1).unwrap_or_default()
}

fn ten_hour_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default()
}

fn start_of(day: NaiveDate) -> f64 {
    Berlin
        .from_local_datetime(&day.and_hms_opt(8, 30, 0).unwrap_or_default())
        .earliest()
        .map_or(0.0, |t| t.timestamp() as f64)
}

/// Writes the year into `path`; returns (samples fed, records written).
fn make_year(path: &Path) -> Result<(u64, usize), spinewatch::store::StoreError> {
    let mut store = Store::open(path)?;
    let mut samples = 0u64;
    let mut written = 0;
    for (i, day) in first_day().iter_days().take(365).enumerate() {
        let hours = if day == ten_hour_day() { 10.0 } else { 8.0 };
        let mut feed = HistoryFeed::new(
            Vec::<Record>::new(),
            SessionToken(i as u64),
            SessionStart {
                source: SessionSource::Live {
                    device: "synthetic".into(),
                },
                started_utc_s: start_of(day),
                t0_s: 0.0,
            },
            // Imports and generated data need no heartbeats: nothing is lost by a crash
            // mid-day that a re-import would not restore.
            FeedOptions {
                heartbeat_s: 1e9,
                ..FeedOptions::default()
            },
        );
        let end = play(&mut feed, 0.0, &desk_day(i as u64 + 1, hours), 1.0, true);
        samples += (end as u64) + 1;
        feed.finish(end);
        let records = std::mem::take(feed.sink_mut());
        written += records.len();
        store.apply(&records)?;
    }
    store
        .conn()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .map_err(|source| spinewatch::store::StoreError::Sql {
            doing: "checkpointing",
            source,
        })?;
    Ok((samples, written))
}

/// Counts records, stores nothing: the feed's own cost.
#[derive(Default)]
struct Count(u64);

impl RecordSink for Count {
    fn send(&mut self, record: Record, _urgent: bool) {
        black_box(&record);
        self.0 += 1;
    }
}

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("spinewatch-history-bench-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        return;
    }
    let path = dir.join("history.sqlite");
    let t0 = std::time::Instant::now();
    let (samples, records) = match make_year(&path) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("cannot build the bench year: {e}");
            return;
        }
    };
    let size_bytes: u64 = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|ext| std::fs::metadata(dir.join(format!("history.sqlite{ext}"))).ok())
        .map(|m| m.len())
        .sum();
    let store = match Store::open(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot reopen the bench year: {e}");
            return;
        }
    };
    let count = |table: &str| -> i64 {
        store
            .conn()
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap_or(-1)
    };
    eprintln!(
        "history year: {samples} samples at 1 Hz → {records} records in {:.1} s; on disk \
         {:.1} MB ({size_bytes} bytes; {} intervals, {} minutes, {} alerts)",
        t0.elapsed().as_secs_f64(),
        size_bytes as f64 / 1e6,
        count("intervals"),
        count("minutes"),
        count("alerts"),
    );
    let days = match Days::new(Berlin, 0) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    if let Ok(d) = store.day(&days, ten_hour_day()) {
        eprintln!(
            "the 10-hour day: monitored {} s, {} slouch episodes",
            d.figures.monitored_s, d.figures.slouch_episodes
        );
    }

    let mut group = c.benchmark_group("history");
    group.sample_size(20);
    group.bench_function("day_10h_summary_and_chart", |b| {
        b.iter(|| {
            let summary = query::day(store.conn(), &days, ten_hour_day());
            let chart = chart::day_chart(store.conn(), &days, ten_hour_day());
            black_box((summary.is_ok(), chart.map(|c| c.minutes.len())))
        })
    });
    group.bench_function("month_summary_and_chart", |b| {
        b.iter(|| {
            let summary = query::month(store.conn(), &days, 2026, 11);
            let chart = chart::period_chart(
                store.conn(),
                &days,
                Period::Month {
                    year: 2026,
                    month: 11,
                },
            );
            black_box((summary.is_ok(), chart.map(|c| c.comparison.sentence)))
        })
    });
    group.bench_function("week_summary_and_chart", |b| {
        b.iter(|| {
            let summary = query::week(store.conn(), &days, ten_hour_day());
            let chart = chart::period_chart(store.conn(), &days, Period::Week(ten_hour_day()));
            black_box((summary.is_ok(), chart.is_ok()))
        })
    });

    // The feed at 100 Hz over an hour of a desk day, with default heartbeats.
    let hour = desk_day(99, 1.0);
    let hour_samples = (hour
        .iter()
        .filter(|s| s.state != PostureState::NoData)
        .map(|s| s.duration_s)
        .sum::<f64>()
        * 100.0) as u64;
    group.throughput(Throughput::Elements(hour_samples));
    group.bench_function("feed_per_sample_100hz", |b| {
        b.iter(|| {
            let mut feed = HistoryFeed::new(
                Count::default(),
                SessionToken(0),
                SessionStart {
                    source: SessionSource::Live {
                        device: "bench".into(),
                    },
                    started_utc_s: 1_795_510_800.0,
                    t0_s: 0.0,
                },
                FeedOptions::default(),
            );
            let end = play(&mut feed, 0.0, &hour, 100.0, true);
            feed.finish(end);
            black_box(feed.sink().0)
        })
    });

    // One 5-second batch of a live 100 Hz session (heartbeats of the growing interval and
    // minute, now and then a finished one), committed on disk with synchronous=FULL.
    let mut live = HistoryFeed::new(
        Vec::<Record>::new(),
        SessionToken(1_000_000),
        SessionStart {
            source: SessionSource::Live {
                device: "bench".into(),
            },
            started_utc_s: start_of(ten_hour_day()) + 11.0 * 3600.0,
            t0_s: 0.0,
        },
        FeedOptions::default(),
    );
    let mut live_store = match Store::open(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    let mut t = 0.0;
    let first = std::mem::take(live.sink_mut());
    if let Err(e) = live_store.apply(&first) {
        eprintln!("{e}");
        return;
    }
    group.throughput(Throughput::Elements(1));
    group.bench_function("commit_5s_batch_on_disk", |b| {
        b.iter(|| {
            for _ in 0..500 {
                t += 0.01;
                let state = if (t as u64 / 40).is_multiple_of(2) {
                    PostureState::Upright
                } else {
                    PostureState::Slouched
                };
                live.sample(
                    t,
                    state,
                    Some(if state == PostureState::Upright {
                        5.0
                    } else {
                        30.0
                    }),
                );
            }
            let batch = std::mem::take(live.sink_mut());
            black_box(live_store.apply(&batch).map(|r| r.written))
        })
    });
    group.finish();
    drop(live);
    drop(live_store);
    drop(store);
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        eprintln!("cannot remove {}: {e}", dir.display());
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
