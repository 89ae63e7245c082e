//! A real full disk (not the test switch): runs only when `SPINEWATCH_FULL_DISK_DIR` names an
//! empty directory on a small filesystem of its own, e.g. as root:
//!
//! ```sh
//! mkdir -p /tmp/full && mount -t tmpfs -o size=512k tmpfs /tmp/full
//! SPINEWATCH_FULL_DISK_DIR=/tmp/full cargo test --test store_full_disk -- --nocapture
//! umount /tmp/full
//! ```
//!
//! The test fills the filesystem, records until SQLite itself reports the disk full, checks the
//! one notice and that nothing is lost, frees the space and checks that writing resumes.

use std::io::Write;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use spinewatch::posture::PostureState;
use spinewatch::store::synth::{Segment, play};
use spinewatch::store::{
    Days, FeedOptions, History, HistoryOptions, HistoryStatus, SessionSource, SessionStart,
    WriterOptions,
};

#[test]
fn a_really_full_disk_is_reported_once_and_writing_resumes() {
    let Some(dir) = std::env::var_os("SPINEWATCH_FULL_DISK_DIR") else {
        eprintln!("skipped: set SPINEWATCH_FULL_DISK_DIR to a small empty filesystem to run it");
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let path = dir.join("history.sqlite");
    let history = History::open(
        &path,
        HistoryOptions {
            writer: WriterOptions {
                commit_every_s: 0.05,
                retry_every_s: 0.1,
                ..WriterOptions::default()
            },
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    history.flush().unwrap_or_else(|e| panic!("{e}"));
    // Fill what is left.
    let filler = dir.join("filler");
    {
        let mut f = std::fs::File::create(&filler).unwrap_or_else(|e| panic!("{e}"));
        let block = vec![0u8; 4096];
        while f.write_all(&block).and_then(|()| f.sync_all()).is_ok() {}
    }
    let mut feed = history.begin_session(
        SessionStart {
            source: SessionSource::Live {
                device: "sensor".into(),
            },
            started_utc_s: 1_795_510_800.0,
            t0_s: 0.0,
        },
        FeedOptions::default(),
    );
    let script: Vec<Segment> = (0..120)
        .map(|i| {
            let state = if i % 2 == 0 {
                PostureState::Upright
            } else {
                PostureState::Slouched
            };
            Segment::new(30.0, state, Some(if i % 2 == 0 { 5.0 } else { 30.0 }))
        })
        .collect();
    let end = play(&mut feed, 0.0, &script, 10.0, false);
    let t0 = Instant::now();
    while !matches!(history.status(), HistoryStatus::Failing { .. }) {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "the disk never filled"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(500));
    let status = history.status();
    eprintln!("while full: {status:?}");
    assert!(matches!(status, HistoryStatus::Failing { pending, .. } if pending > 0));
    assert_eq!(history.failure_notices(), 1);

    std::fs::remove_file(&filler).unwrap_or_else(|e| panic!("{e}"));
    let t0 = Instant::now();
    while history.status() != HistoryStatus::Ok {
        assert!(t0.elapsed() < Duration::from_secs(10), "never resumed");
        std::thread::sleep(Duration::from_millis(10));
    }
    feed.finish(end);
    history.flush().unwrap_or_else(|e| panic!("{e}"));
    let days = Days::new(chrono::Utc, 0).unwrap_or_else(|e| panic!("{e}"));
    let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default();
    let d = history.day(&days, day).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.figures.monitored_s, 3600.0, "nothing was lost");
    assert_eq!(history.dropped(), 0);
    history.close().unwrap_or_else(|e| panic!("{e}"));
}
