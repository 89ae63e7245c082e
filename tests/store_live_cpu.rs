//! CPU of the whole history path for a live 100 Hz session in real time: the feed on this
//! thread, the `history-writer` thread committing every 5 s on disk. Ignored by default (it takes
//! a minute); run it with
//!
//! ```sh
//! cargo test --release --test store_live_cpu -- --ignored --nocapture
//! ```
//!
//! Budget: 0.5 % of one core. The writer's CPU is read from `/proc/self/task/*/stat` (Linux).

use std::time::{Duration, Instant};

use spinewatch::posture::PostureState;
use spinewatch::store::{FeedOptions, History, HistoryOptions, SessionSource, SessionStart};

/// utime + stime of the `history-writer` thread, in clock ticks (10 ms on Linux).
fn writer_ticks() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    let mut total = 0;
    for task in tasks.flatten() {
        let path = task.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if comm.trim() != "history-writer" {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
        let after = stat.rfind(')').map_or("", |i| &stat[i + 2..]);
        let fields: Vec<u64> = after
            .split(' ')
            .skip(11)
            .take(2)
            .filter_map(|f| f.parse().ok())
            .collect();
        total += fields.iter().sum::<u64>();
    }
    total
}

#[test]
#[ignore = "takes a minute of real time; run with --ignored --nocapture"]
fn the_history_path_costs_under_half_a_percent_of_a_core_at_100_hz() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let history = History::open(
        &dir.path().join("history.sqlite"),
        HistoryOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut feed = history.begin_session(
        SessionStart {
            source: SessionSource::Live {
                device: "cpu test".into(),
            },
            started_utc_s: 1_795_510_800.0,
            t0_s: 0.0,
        },
        FeedOptions::default(),
    );
    let seconds = 60u64;
    let t0 = Instant::now();
    let ticks0 = writer_ticks();
    let mut feeding = Duration::ZERO;
    for i in 0..seconds * 100 {
        // Upright and slouched in turns of 30 s, at 100 Hz in real time.
        let state = if (i / 3000).is_multiple_of(2) {
            PostureState::Upright
        } else {
            PostureState::Slouched
        };
        let flexion = if state == PostureState::Upright {
            5.0
        } else {
            30.0
        };
        let s = Instant::now();
        feed.sample(i as f64 * 0.01, state, Some(flexion));
        feeding += s.elapsed();
        if let Some(wait) = Duration::from_millis(10 * (i + 1)).checked_sub(t0.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    let wall_s = t0.elapsed().as_secs_f64();
    let writer_pct = (writer_ticks() - ticks0) as f64 * 0.01 / wall_s * 100.0;
    let feed_pct = feeding.as_secs_f64() / wall_s * 100.0;
    println!(
        "{wall_s:.1} s at 100 Hz: writer thread {writer_pct:.3} % of a core (10 ms ticks), \
         feed {feed_pct:.4} % (timed per call, timer included)"
    );
    feed.finish(seconds as f64);
    history.close().unwrap_or_else(|e| panic!("{e}"));
    assert!(writer_pct + feed_pct < 0.5);
}
