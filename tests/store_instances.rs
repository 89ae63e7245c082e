//! The threaded history on disk: batches commit without waiting for close, urgent records at
//! once; a second instance is read only and told who holds the file; a writer that cannot write
//! keeps its records, raises one notice, and catches up when writing works again.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rusqlite::Connection;
use spinewatch::posture::{Event, EventKind, PostureState};
use spinewatch::store::synth::{Segment, play};
use spinewatch::store::{
    Days, FaultSwitch, FeedOptions, History, HistoryOptions, HistoryStatus, SessionSource,
    SessionStart, StoreError, WriterOptions,
};

/// 2026-11-24 09:00:00 UTC.
const NINE_S: f64 = 1_795_510_800.0;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default()
}

fn utc_days() -> Days<chrono::Utc> {
    Days::new(chrono::Utc, 0).unwrap_or_else(|e| panic!("{e}"))
}

fn start() -> SessionStart {
    SessionStart {
        source: SessionSource::Live {
            device: "sensor".into(),
        },
        started_utc_s: NINE_S,
        t0_s: 0.0,
    }
}

fn open(path: &Path, writer: WriterOptions) -> History {
    History::open(path, HistoryOptions { writer }).unwrap_or_else(|e| panic!("{e}"))
}

/// Monitored seconds in the file, read through a separate connection (as another process
/// would see it).
fn committed_s(path: &Path) -> f64 {
    Connection::open(path)
        .and_then(|c| {
            c.query_row(
                "SELECT coalesce(sum(end_ms - start_ms), 0) FROM intervals",
                [],
                |r| r.get::<_, i64>(0),
            )
        })
        .map(|ms| ms as f64 / 1000.0)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn wait_until(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !ok() {
        assert!(t0.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_session_is_stored_and_batches_commit_without_waiting_for_close() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("history.sqlite");
    let history = open(
        &path,
        WriterOptions {
            commit_every_s: 0.2,
            ..WriterOptions::default()
        },
    );
    let mut feed = history.begin_session(start(), FeedOptions::default());
    // 10 min at 10 Hz, default heartbeat (1 s): the growing interval is updated in place.
    play(
        &mut feed,
        0.0,
        &[Segment::new(600.0, PostureState::Upright, Some(4.0))],
        10.0,
        false,
    );
    // Not finished, not flushed: the timer's commit alone makes it visible to another reader,
    // all but the last heartbeat (what a kill at this moment could lose).
    wait_until("the batch commit", Duration::from_secs(10), || {
        committed_s(&path) >= 599.0
    });
    feed.finish(600.0);
    history.flush().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(committed_s(&path), 600.0);
    let d = history
        .day(&utc_days(), day())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.figures.monitored_s, 600.0);
    assert_eq!(d.figures.state_s.upright, 600.0);
    assert_eq!(history.status(), HistoryStatus::Ok);
    assert_eq!(history.dropped(), 0);
    history.close().unwrap_or_else(|e| panic!("{e}"));
    let ok: String = Connection::open(&path)
        .and_then(|c| c.query_row("PRAGMA integrity_check", [], |r| r.get(0)))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ok, "ok");
}

#[test]
fn an_alert_is_committed_at_once() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("history.sqlite");
    // A commit period far longer than the test: only urgency can commit.
    let history = open(
        &path,
        WriterOptions {
            commit_every_s: 3600.0,
            ..WriterOptions::default()
        },
    );
    let mut feed = history.begin_session(start(), FeedOptions::default());
    feed.sample(0.0, PostureState::Slouched, Some(30.0));
    feed.event(&Event {
        time_s: 60.0,
        kind: EventKind::SlouchAlert {
            start_s: 0.0,
            held_s: 60.0,
            flexion_deg: 30.0,
            repeat: 0,
        },
    });
    let alerts = || {
        Connection::open(&path)
            .and_then(|c| c.query_row("SELECT count(*) FROM alerts", [], |r| r.get::<_, i64>(0)))
            .unwrap_or(0)
    };
    wait_until("the urgent commit", Duration::from_secs(10), || {
        alerts() == 1
    });
    drop(feed);
    history.close().unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_second_instance_is_read_only_and_told_who_holds_the_history() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("history.sqlite");
    let first = open(&path, WriterOptions::default());
    let mut feed = first.begin_session(start(), FeedOptions::default());
    play(
        &mut feed,
        0.0,
        &[Segment::new(120.0, PostureState::Slouched, Some(25.0))],
        10.0,
        false,
    );
    feed.finish(120.0);
    first.flush().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        std::fs::read_to_string(dir.path().join("history.sqlite.lock"))
            .is_ok_and(|pid| pid.trim() == std::process::id().to_string())
    );

    let second = open(&path, WriterOptions::default());
    assert!(second.is_read_only());
    match second.status() {
        HistoryStatus::ReadOnly {
            message,
            holder_pid,
        } => {
            assert_eq!(holder_pid, Some(std::process::id()));
            assert!(
                message.contains(&format!("another spinewatch (pid {})", std::process::id()))
                    && message.contains("read only"),
                "{message}"
            );
        }
        other => panic!("expected read only, got {other:?}"),
    }
    // Queries work and see the first instance's data.
    let d = second
        .day(&utc_days(), day())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.figures.state_s.slouched, 120.0);
    // Writing is refused with a clear error; a feed from it discards.
    assert!(matches!(
        second.delete_session(1),
        Err(StoreError::ReadOnly { .. })
    ));
    assert!(matches!(second.flush(), Err(StoreError::ReadOnly { .. })));
    let mut discarded = second.begin_session(start(), FeedOptions::default());
    discarded.sample(0.0, PostureState::Upright, Some(0.0));
    discarded.finish(1.0);
    drop(discarded);
    drop(second);
    first.flush().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        committed_s(&path),
        120.0,
        "the read-only instance changed nothing"
    );
    first.close().unwrap_or_else(|e| panic!("{e}"));

    // With the first gone, the next one writes.
    let third = open(&path, WriterOptions::default());
    assert!(!third.is_read_only());
    third.close().unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_failing_writer_keeps_its_records_says_so_once_and_catches_up() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("history.sqlite");
    let fault = FaultSwitch::new();
    let history = open(
        &path,
        WriterOptions {
            commit_every_s: 0.02,
            retry_every_s: 0.05,
            fault: Some(fault.clone()),
            ..WriterOptions::default()
        },
    );
    fault.set(true);
    let mut feed = history.begin_session(start(), FeedOptions::default());
    // 20 min at 10 Hz while the "disk is full": the feed never waits.
    let t0 = Instant::now();
    play(
        &mut feed,
        0.0,
        &[
            Segment::new(600.0, PostureState::Upright, Some(4.0)),
            Segment::new(600.0, PostureState::Slouched, Some(30.0)),
        ],
        10.0,
        true,
    );
    let feeding = t0.elapsed();
    wait_until("the failure notice", Duration::from_secs(10), || {
        matches!(history.status(), HistoryStatus::Failing { .. })
    });
    // Let several retries fail.
    std::thread::sleep(Duration::from_millis(400));
    match history.status() {
        HistoryStatus::Failing {
            message,
            pending,
            dropped,
        } => {
            assert!(message.contains("database or disk is full"), "{message}");
            assert!(message.contains("records kept"), "{message}");
            assert!(pending > 0);
            assert_eq!(dropped, 0);
        }
        other => panic!("expected failing, got {other:?}"),
    }
    assert_eq!(
        history.failure_notices(),
        1,
        "one notice, not one per retry"
    );
    assert_eq!(committed_s(&path), 0.0);
    assert!(
        feeding < Duration::from_secs(5),
        "the feed waited: {feeding:?}"
    );

    // Space again: the next retry writes everything kept.
    fault.set(false);
    wait_until("recovery", Duration::from_secs(10), || {
        history.status() == HistoryStatus::Ok
    });
    feed.finish(1200.0);
    history.flush().unwrap_or_else(|e| panic!("{e}"));
    let d = history
        .day(&utc_days(), day())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.figures.monitored_s, 1200.0);
    assert_eq!(d.figures.slouch_alerts, 2);
    assert_eq!(history.failure_notices(), 1);
    assert_eq!(history.dropped(), 0);

    // A second outage is a second notice.
    fault.set(true);
    let mut feed = history.begin_session(
        SessionStart {
            started_utc_s: NINE_S + 3600.0,
            ..start()
        },
        FeedOptions::default(),
    );
    feed.sample(0.0, PostureState::Upright, Some(1.0));
    feed.sample(1.0, PostureState::Upright, Some(1.0));
    wait_until("the second notice", Duration::from_secs(10), || {
        history.failure_notices() == 2
    });
    fault.set(false);
    feed.finish(1.0);
    history.flush().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(committed_s(&path), 1201.0);
    history.close().unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_database_that_cannot_be_opened_yet_is_retried_and_then_written() {
    // A real failure, no test switch: a directory stands where the file should be.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("history.sqlite");
    std::fs::create_dir(&path).unwrap_or_else(|e| panic!("{e}"));
    let history = open(
        &path,
        WriterOptions {
            commit_every_s: 0.02,
            retry_every_s: 0.05,
            ..WriterOptions::default()
        },
    );
    assert!(
        matches!(history.status(), HistoryStatus::Failing { .. }),
        "{:?}",
        history.status()
    );
    let mut feed = history.begin_session(start(), FeedOptions::default());
    play(
        &mut feed,
        0.0,
        &[Segment::new(300.0, PostureState::Upright, Some(4.0))],
        10.0,
        false,
    );
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(history.failure_notices(), 1);
    std::fs::remove_dir(&path).unwrap_or_else(|e| panic!("{e}"));
    wait_until("the file to be created", Duration::from_secs(10), || {
        history.status() == HistoryStatus::Ok
    });
    feed.finish(300.0);
    history.flush().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(committed_s(&path), 300.0);
    assert_eq!(history.failure_notices(), 1);
    history.close().unwrap_or_else(|e| panic!("{e}"));
}
