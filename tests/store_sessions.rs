//! Sessions: a clock that jumps back never makes overlapping intervals; the import API (find by
//! content hash, by overlap, delete for `--replace`); `delete_before`; CSV export.

use chrono::NaiveDate;
use rusqlite::Connection;
use spinewatch::posture::PostureState;
use spinewatch::store::synth::{Segment, play};
use spinewatch::store::{
    ContentHash, ContentHasher, Days, Deletion, FeedOptions, HistoryFeed, Record, SessionSource,
    SessionStart, SessionToken, Store, query,
};

/// 2026-11-24 09:00:00 UTC.
const NINE_S: f64 = 1_795_510_800.0;
const NINE_MS: i64 = 1_795_510_800_000;
const MIN_MS: i64 = 60_000;

fn record(store: &mut Store, token: u64, source: SessionSource, start_utc_s: f64, seconds: f64) {
    let mut feed = HistoryFeed::new(
        Vec::<Record>::new(),
        SessionToken(token),
        SessionStart {
            source,
            started_utc_s: start_utc_s,
            t0_s: 0.0,
        },
        FeedOptions {
            heartbeat_s: 3600.0,
            ..FeedOptions::default()
        },
    );
    let script = [
        Segment::new(seconds / 2.0, PostureState::Upright, Some(5.0)),
        Segment::new(seconds / 2.0, PostureState::Slouched, Some(30.0)),
    ];
    let end = play(&mut feed, 0.0, &script, 1.0, true);
    feed.finish(end);
    let records = std::mem::take(feed.sink_mut());
    store
        .apply(&records)
        .unwrap_or_else(|e| panic!("applying a session: {e}"));
}

fn live() -> SessionSource {
    SessionSource::Live {
        device: "sensor".into(),
    }
}

fn intervals(conn: &Connection) -> Vec<(i64, i64, i64)> {
    let mut stmt = conn
        .prepare("SELECT session_id, start_ms, end_ms FROM intervals ORDER BY start_ms")
        .unwrap_or_else(|e| panic!("{e}"));
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .and_then(|rows| rows.collect())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn store() -> Store {
    Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"))
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default()
}

#[test]
fn a_session_starting_before_the_previous_one_ended_is_moved_not_overlapped() {
    let mut s = store();
    // 09:00–10:00, then the clock goes back half an hour: the next session says 09:30.
    record(&mut s, 0, live(), NINE_S, 3600.0);
    record(&mut s, 1, live(), NINE_S + 1800.0, 1800.0);
    let ivs = intervals(s.conn());
    assert!(
        ivs.windows(2).all(|w| w[0].2 <= w[1].1),
        "overlapping intervals: {ivs:?}"
    );
    assert!(
        ivs.iter().all(|(_, a, b)| b > a),
        "empty or negative: {ivs:?}"
    );
    let sessions =
        query::sessions_overlapping(s.conn(), 0, i64::MAX).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[1].clock_shift_ms, 30 * MIN_MS);
    assert_eq!(sessions[1].start_ms, NINE_MS + 60 * MIN_MS);
    assert_eq!(sessions[0].end_ms, sessions[1].start_ms);
    let days = Days::new(chrono::Utc, 0).unwrap_or_else(|e| panic!("{e}"));
    let d = s.day(&days, day()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        d.figures.monitored_s, 5400.0,
        "both sessions are kept whole"
    );
    assert_eq!(d.figures.slouch_episodes, 2);

    // A start 10 s before the end moves by one quarter hour (intervals keep their cuts).
    record(&mut s, 2, live(), NINE_S + 5400.0 - 10.0, 600.0);
    let sessions =
        query::sessions_overlapping(s.conn(), 0, i64::MAX).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sessions[2].clock_shift_ms, 15 * MIN_MS);
    let ivs = intervals(s.conn());
    assert!(ivs.windows(2).all(|w| w[0].2 <= w[1].1), "{ivs:?}");

    // An old file imported into the free morning is not moved.
    let hash = ContentHash(7);
    record(
        &mut s,
        3,
        SessionSource::File {
            name: "early.csv".into(),
            hash,
        },
        NINE_S - 7200.0,
        1200.0,
    );
    let early = query::session_with_hash(s.conn(), hash)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("found by hash"));
    assert_eq!(
        (early.clock_shift_ms, early.start_ms),
        (0, NINE_MS - 7_200_000)
    );
    assert!(early.finished);
}

#[test]
fn import_support_finds_and_replaces_sessions() {
    let mut s = store();
    let bytes = b"# spinewatch session\ntime_s,ax_g\n0.0,1.0\n";
    let mut hasher = ContentHasher::new();
    hasher.update(bytes);
    let hash = hasher.finish();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("s.csv");
    std::fs::write(&file, bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ContentHasher::hash_file(&file).ok(), Some(hash));

    let file_source = SessionSource::File {
        name: "s.csv".into(),
        hash,
    };
    record(&mut s, 0, file_source.clone(), NINE_S, 1200.0);
    record(&mut s, 1, live(), NINE_S + 3600.0, 1200.0);
    assert!(
        query::session_with_hash(s.conn(), ContentHash(1))
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none()
    );
    let imported = query::session_with_hash(s.conn(), hash)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("found by hash"));
    assert_eq!(
        (imported.source.as_str(), imported.label.as_str()),
        ("file", "s.csv")
    );
    assert_eq!(
        (imported.start_ms, imported.end_ms),
        (NINE_MS, NINE_MS + 20 * MIN_MS)
    );

    let overlapping = |from: i64, to: i64| -> Vec<i64> {
        query::sessions_overlapping(s.conn(), from, to)
            .unwrap_or_else(|e| panic!("{e}"))
            .iter()
            .map(|x| x.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        overlapping(NINE_MS + 10 * MIN_MS, NINE_MS + 70 * MIN_MS).len(),
        2
    );
    assert!(overlapping(NINE_MS + 20 * MIN_MS, NINE_MS + 60 * MIN_MS).is_empty());
    assert_eq!(
        overlapping(NINE_MS - 60 * MIN_MS, NINE_MS + MIN_MS),
        vec![imported.id]
    );

    // --replace: delete the old import, import again.
    let report = s
        .delete(Deletion::Session { id: imported.id })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.sessions, 1);
    assert!(report.rows > 20);
    assert!(
        query::session_with_hash(s.conn(), hash)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none()
    );
    record(&mut s, 2, file_source, NINE_S, 1200.0);
    let days = Days::new(chrono::Utc, 0).unwrap_or_else(|e| panic!("{e}"));
    let d = s.day(&days, day()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        d.figures.monitored_s, 2400.0,
        "no double counting after --replace"
    );

    // A range: the live session's hour.
    let report = s
        .delete(Deletion::Range {
            from_ms: NINE_MS + 60 * MIN_MS,
            to_ms: NINE_MS + 120 * MIN_MS,
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.sessions, 1);
    let d = s.day(&days, day()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.figures.monitored_s, 1200.0);
    assert_eq!(d.figures.slouch_episodes, 1);
}

#[test]
fn delete_before_removes_earlier_days_only() {
    let mut s = store();
    let days = Days::new(chrono::Utc, 0).unwrap_or_else(|e| panic!("{e}"));
    for d in 0..3 {
        record(&mut s, d, live(), NINE_S + d as f64 * 86_400.0, 1200.0);
    }
    let cutoff = days.day_start_ms(day().succ_opt().unwrap_or_default());
    let report = s
        .delete(Deletion::Before { cutoff_ms: cutoff })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.sessions, 1);
    let week = s.week(&days, day()).unwrap_or_else(|e| panic!("{e}"));
    let monitored: Vec<f64> = week.days.iter().map(|d| d.figures.monitored_s).collect();
    assert_eq!(monitored, vec![0.0, 0.0, 1200.0, 1200.0, 0.0, 0.0, 0.0]);
    let left = query::sessions_overlapping(s.conn(), 0, i64::MAX).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(left.len(), 2);
}

#[test]
fn export_writes_intervals_events_and_sessions_as_csv() {
    let mut s = store();
    record(&mut s, 0, live(), NINE_S, 1200.0);
    let days = Days::new(chrono_tz::Europe::Berlin, 0).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("export");
    let report =
        spinewatch::store::export::export(s.conn(), &days, &out).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.sessions, 1);
    assert_eq!(report.files.len(), 3);
    let read =
        |name: &str| std::fs::read_to_string(out.join(name)).unwrap_or_else(|e| panic!("{e}"));
    let intervals = read("intervals.csv");
    let mut lines = intervals.lines();
    assert_eq!(
        lines.next(),
        Some(
            "day,start_local,end_local,start_utc,end_utc,state,duration_s,flexion_mean_deg,\
             flexion_max_deg,under_20_s,20_to_60_s,over_60_s,session_id"
        )
    );
    assert_eq!(
        lines.next(),
        Some(
            "2026-11-24,2026-11-24T10:00:00.000+01:00,2026-11-24T10:10:00.000+01:00,\
             2026-11-24T09:00:00.000Z,2026-11-24T09:10:00.000Z,upright,600,5.00,5.00,600,0,0,1"
        )
    );
    assert_eq!(report.intervals, intervals.lines().count() - 1);
    let events = read("events.csv");
    assert!(events.contains(",slouch_alert,ignored,"), "{events}");
    assert!(events.contains(",slouch_alert,corrected,"), "{events}");
    assert!(
        events.contains(",slouch_episode,,600,2 alerts,1\n"),
        "{events}"
    );
    assert!(read("sessions.csv").contains(",live,sensor,,2026-11-24T09:00:00.000Z,"));
    assert!(!out.join(".intervals.csv.tmp").exists());
}
