//! Local days: DST days of 23 and 25 hours, a session across midnight split between two days,
//! the "day starts at" setting, and `chrono::Local` honouring `TZ`.

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Europe::Berlin;
use spinewatch::posture::PostureState;
use spinewatch::store::synth::{Segment, play};
use spinewatch::store::{
    Days, FeedOptions, HistoryFeed, Record, SessionSource, SessionStart, SessionToken, Store,
};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("bad date"))
}

/// UTC seconds of a local wall time in `tz` (the first one if it happens twice).
fn at<Tz: TimeZone>(tz: &Tz, d: NaiveDate, h: u32, m: u32) -> f64 {
    tz.from_local_datetime(&d.and_hms_opt(h, m, 0).unwrap_or_default())
        .earliest()
        .unwrap_or_else(|| panic!("no such local time"))
        .timestamp() as f64
}

fn record(store: &mut Store, token: u64, start_utc_s: f64, segments: &[Segment]) {
    let mut feed = HistoryFeed::new(
        Vec::<Record>::new(),
        SessionToken(token),
        SessionStart {
            source: SessionSource::Live {
                device: "synthetic".into(),
            },
            started_utc_s: start_utc_s,
            t0_s: 0.0,
        },
        FeedOptions {
            heartbeat_s: 3600.0,
            ..FeedOptions::default()
        },
    );
    let end = play(&mut feed, 0.0, segments, 1.0, true);
    feed.finish(end);
    let records = std::mem::take(feed.sink_mut());
    store
        .apply(&records)
        .unwrap_or_else(|e| panic!("applying a session: {e}"));
}

fn store() -> Store {
    Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"))
}

fn monitored<Tz: TimeZone>(store: &Store, days: &Days<Tz>, d: NaiveDate) -> f64 {
    store
        .day(days, d)
        .unwrap_or_else(|e| panic!("{e}"))
        .figures
        .monitored_s
}

#[test]
fn dst_days_have_23_and_25_hours_in_berlin() {
    let days = Days::new(Berlin, 0).unwrap_or_else(|e| panic!("{e}"));
    for (day, hours, labels) in [
        // Spring: 02:00 becomes 03:00.
        (date(2026, 3, 29), 23, vec![0, 1, 3, 4]),
        // Autumn: 03:00 becomes 02:00 again.
        (date(2026, 10, 25), 25, vec![0, 1, 2, 2, 3]),
    ] {
        let mut s = store();
        // Wearing the sensor from 22:00 the day before to 02:00 the day after, upright.
        let prev = day.pred_opt().unwrap_or(day);
        let next = day.succ_opt().unwrap_or(day);
        let start = at(&Berlin, prev, 22, 0);
        let end = at(&Berlin, next, 2, 0);
        record(
            &mut s,
            0,
            start,
            &[Segment::new(end - start, PostureState::Upright, Some(3.0))],
        );
        let got = s.day(&days, day).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got.figures.monitored_s, f64::from(hours) * 3600.0, "{day}");
        assert_eq!(
            got.figures.flexion_bands_s.under_20,
            f64::from(hours) * 3600.0
        );
        let got_hours = got.hours.unwrap_or_default();
        assert_eq!(got_hours.len(), hours as usize, "{day}");
        let first: Vec<u32> = got_hours
            .iter()
            .take(labels.len())
            .map(|h| h.hour)
            .collect();
        assert_eq!(first, labels, "{day}");
        assert!(got_hours.iter().all(|h| h.monitored_s == 3600.0));
        assert_eq!(monitored(&s, &days, prev), 7200.0);
        assert_eq!(monitored(&s, &days, next), 7200.0);
        let chart = s.day_chart(&days, day).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(chart.minutes.len(), hours as usize * 60);
    }
}

#[test]
fn a_day_start_inside_the_spring_gap_begins_when_the_clock_resumes() {
    // Days starting at 02:30: on 2026-03-29 there is no 02:30 in Berlin; that day begins at
    // 03:00 CEST, so the day before is 23.5 h and that day 23.5 h.
    let days = Days::new(Berlin, 150).unwrap_or_else(|e| panic!("{e}"));
    let (a0, a1) = days.day_range_ms(date(2026, 3, 28));
    let (b0, b1) = days.day_range_ms(date(2026, 3, 29));
    assert_eq!(a1, b0);
    assert_eq!(a1 - a0, 23 * 3_600_000 + 1_800_000);
    assert_eq!(b1 - b0, 23 * 3_600_000 + 1_800_000);
    assert_eq!(days.local_hhmm(b0), "03:00");
}

#[test]
fn a_session_across_midnight_is_split_between_the_two_days() {
    let days = Days::new(Berlin, 0).unwrap_or_else(|e| panic!("{e}"));
    let mut s = store();
    // 23:00–01:00 local; slouched 23:50–00:20 (alerts at 23:51, 23:56, …, 00:16).
    record(
        &mut s,
        0,
        at(&Berlin, date(2026, 11, 24), 23, 0),
        &[
            Segment::new(3000.0, PostureState::Upright, Some(5.0)),
            Segment::new(1800.0, PostureState::Slouched, Some(35.0)),
            Segment::new(2400.0, PostureState::Upright, Some(5.0)),
        ],
    );
    let first = s
        .day(&days, date(2026, 11, 24))
        .unwrap_or_else(|e| panic!("{e}"))
        .figures;
    let second = s
        .day(&days, date(2026, 11, 25))
        .unwrap_or_else(|e| panic!("{e}"))
        .figures;
    assert_eq!((first.monitored_s, second.monitored_s), (3600.0, 3600.0));
    assert_eq!(
        (first.state_s.slouched, second.state_s.slouched),
        (600.0, 1200.0)
    );
    assert_eq!(
        (
            first.flexion_bands_s.from_20_to_60,
            second.flexion_bands_s.from_20_to_60
        ),
        (600.0, 1200.0)
    );
    // The slouch belongs to the day it started in; alerts to the day they fired in.
    assert_eq!((first.slouch_episodes, second.slouch_episodes), (1, 0));
    assert_eq!(first.longest_slouch_s, 1800.0);
    assert_eq!((first.slouch_alerts, second.slouch_alerts), (2, 4));
    assert_eq!(second.alerts_corrected, 1);
}

#[test]
fn a_day_starting_at_0400_keeps_a_late_night_in_one_day() {
    let days = Days::new(Berlin, 4 * 60).unwrap_or_else(|e| panic!("{e}"));
    let mut s = store();
    // 23:00–01:00 belongs wholly to the 24th; 03:00–05:00 on the 26th is split at 04:00.
    record(
        &mut s,
        0,
        at(&Berlin, date(2026, 11, 24), 23, 0),
        &[Segment::new(7200.0, PostureState::Upright, Some(5.0))],
    );
    record(
        &mut s,
        1,
        at(&Berlin, date(2026, 11, 26), 3, 0),
        &[Segment::new(7200.0, PostureState::Slouched, Some(25.0))],
    );
    assert_eq!(monitored(&s, &days, date(2026, 11, 24)), 7200.0);
    assert_eq!(monitored(&s, &days, date(2026, 11, 25)), 3600.0);
    assert_eq!(monitored(&s, &days, date(2026, 11, 26)), 3600.0);
    let day = s
        .day(&days, date(2026, 11, 24))
        .unwrap_or_else(|e| panic!("{e}"));
    let hours = day.hours.unwrap_or_default();
    assert_eq!(hours.len(), 24);
    assert_eq!(hours[0].hour, 4, "the day's first hour is 04:00");
    assert_eq!(hours[19].hour, 23);
    assert_eq!(hours[19].monitored_s, 3600.0);
    assert_eq!(hours[20].hour, 0);
    assert_eq!(hours[20].monitored_s, 3600.0);
    // The slouch from 03:00 started on the 25th's day (before 04:00 on the 26th).
    let d25 = s
        .day(&days, date(2026, 11, 25))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d25.figures.slouch_episodes, 1);
}

const CHILD: &str = "SPINEWATCH_TZ_CHILD";

#[test]
fn local_days_honour_the_tz_environment() {
    // chrono's Local reads TZ; setting it in this multi-threaded test process is not sound, so
    // the check runs in a child process of this test binary.
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let out = std::process::Command::new(exe)
        .args(["--exact", "tz_child", "--ignored", "--nocapture"])
        .env("TZ", "Europe/Berlin")
        .env(CHILD, "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run the child: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "{text}");
}

#[test]
#[ignore = "run by local_days_honour_the_tz_environment with TZ set"]
fn tz_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let days = Days::in_local_zone(0).unwrap_or_else(|e| panic!("{e}"));
    let (start, end) = days.day_range_ms(date(2026, 10, 25));
    assert_eq!(end - start, 25 * 3_600_000);
    // Local midnight in Berlin (CEST, +02:00) is 22:00 UTC.
    assert_eq!(start.rem_euclid(86_400_000), 22 * 3_600_000);
}
