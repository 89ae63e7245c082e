//! A generated week through the real feed and store (in memory) gives its known totals exactly,
//! in the `spinewatch history --json` shape; week, month and chart queries agree with it.

use chrono::{FixedOffset, NaiveDate, TimeZone};
use spinewatch::posture::PostureState;
use spinewatch::store::synth::{Segment, desk_day, play, script_events};
use spinewatch::store::{
    AlertKind, AlertOutcome, Days, FeedOptions, HistoryFeed, Period, Record, SessionSource,
    SessionStart, SessionToken, Store,
};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("bad date"))
}

fn zone() -> FixedOffset {
    FixedOffset::east_opt(3600).unwrap_or_else(|| panic!("offset"))
}

/// Plays `segments` as one live session starting at `start_utc_s` and applies its records.
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
        // A long heartbeat: the test needs the finished records only (heartbeats are tested in
        // the feed's unit tests), and debug builds are slow.
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

/// What the script says a day should show, computed from the segments alone.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    state_s: [f64; 5],
    bands_s: [f64; 3],
    episodes: u32,
    /// Episodes that had at least one alert (their last one is corrected).
    alerted_episodes: u32,
    longest_s: f64,
    alerts: u32,
    reminders: u32,
    breaks: u32,
    gaps: u32,
}

fn expected(segments: &[Segment]) -> Expected {
    let mut e = Expected::default();
    let states = [
        PostureState::Upright,
        PostureState::Slouched,
        PostureState::LeaningBack,
        PostureState::Moving,
        PostureState::Uncalibrated,
    ];
    for s in segments {
        if s.state == PostureState::NoData {
            e.gaps += 1;
            continue;
        }
        let i = states.iter().position(|x| *x == s.state).unwrap_or(0);
        e.state_s[i] += s.duration_s;
        if let Some(f) = s.flexion_deg {
            let band = if f < 20.0 {
                0
            } else if f <= 60.0 {
                1
            } else {
                2
            };
            e.bands_s[band] += s.duration_s;
        }
    }
    for ev in script_events(0.0, segments) {
        match ev.kind {
            spinewatch::posture::EventKind::SlouchAlert { .. } => e.alerts += 1,
            spinewatch::posture::EventKind::SlouchEnd {
                duration_s, alerts, ..
            } => {
                e.episodes += 1;
                e.alerted_episodes += u32::from(alerts > 0);
                e.longest_s = e.longest_s.max(duration_s);
            }
            spinewatch::posture::EventKind::BreakReminder { .. } => e.reminders += 1,
            spinewatch::posture::EventKind::BreakTaken { .. } => e.breaks += 1,
            _ => {}
        }
    }
    e
}

/// Monday 2026-11-23 to Saturday: a desk day each weekday from 08:30 local, a short Saturday,
/// nothing on Sunday.
fn week_store() -> (Store, Vec<(NaiveDate, Vec<Segment>)>) {
    let mut store = Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    let mut plan = Vec::new();
    for d in 0..6u32 {
        let day = date(2026, 11, 23 + d);
        let segments = if d < 5 {
            desk_day(u64::from(d) + 1, 8.0)
        } else {
            vec![
                Segment::new(600.0, PostureState::Uncalibrated, None),
                Segment::new(1800.0, PostureState::Upright, Some(4.0)),
                Segment::new(400.0, PostureState::Slouched, Some(65.0)),
            ]
        };
        let start = zone()
            .from_local_datetime(&day.and_hms_opt(8, 30, 0).unwrap_or_default())
            .single()
            .unwrap_or_else(|| panic!("local time"))
            .timestamp() as f64;
        record(&mut store, u64::from(d), start, &segments);
        plan.push((day, segments));
    }
    (store, plan)
}

#[test]
fn a_generated_week_gives_its_known_totals_exactly() {
    let (store, plan) = week_store();
    let days = Days::new(zone(), 0).unwrap_or_else(|e| panic!("{e}"));
    for (day, segments) in &plan {
        let want = expected(segments);
        let got = store.day(&days, *day).unwrap_or_else(|e| panic!("{e}"));
        let f = &got.figures;
        let state = [
            f.state_s.upright,
            f.state_s.slouched,
            f.state_s.leaning_back,
            f.state_s.moving,
            f.state_s.uncalibrated,
        ];
        assert_eq!(state, want.state_s, "{day}");
        assert_eq!(f.monitored_s, want.state_s.iter().sum::<f64>(), "{day}");
        assert_eq!(
            [
                f.flexion_bands_s.under_20,
                f.flexion_bands_s.from_20_to_60,
                f.flexion_bands_s.over_60
            ],
            want.bands_s,
            "{day}"
        );
        let calibrated = f.monitored_s - f.state_s.uncalibrated;
        assert_eq!(
            f.upright_pct,
            (1000.0 * f.state_s.upright / calibrated).round() / 10.0
        );
        assert_eq!(f.slouch_episodes, want.episodes, "{day}");
        assert_eq!(f.longest_slouch_s, want.longest_s, "{day}");
        assert_eq!(f.slouch_alerts, want.alerts, "{day}");
        // Every slouch ended with the wearer sitting up: its last alert is corrected, the
        // earlier ones were ignored.
        assert_eq!(f.alerts_corrected, want.alerted_episodes, "{day}");
        assert_eq!(
            f.alerts_ignored,
            want.alerts - want.alerted_episodes,
            "{day}"
        );
        assert_eq!(f.alerts_snoozed, 0);
        assert_eq!(f.break_reminders, want.reminders, "{day}");
        assert_eq!(f.breaks_taken, want.breaks, "{day}");
        assert_eq!(f.sensor_gaps, want.gaps, "{day}");
        // The hours cover the day and add up to it.
        let hours = got.hours.as_ref().unwrap_or_else(|| panic!("hours"));
        assert_eq!(hours.len(), 24);
        assert_eq!(
            hours.iter().map(|h| h.monitored_s).sum::<f64>(),
            f.monitored_s
        );
        assert_eq!(hours[8].hour, 8);
        assert_eq!(hours[8].monitored_s, 1800.0, "08:30–09:00 of {day}");
    }

    let week = store
        .week(&days, date(2026, 11, 26))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (week.from.as_str(), week.to.as_str()),
        ("2026-11-23", "2026-11-29")
    );
    assert_eq!(week.days.len(), 7);
    assert_eq!(week.days[6].figures.monitored_s, 0.0);
    assert_eq!(week.days[6].figures.upright_pct, 0.0);
    assert_eq!(week.totals.days_with_data, 6);
    let all: f64 = plan
        .iter()
        .map(|(_, s)| expected(s).state_s.iter().sum::<f64>())
        .sum();
    assert_eq!(week.totals.figures.monitored_s, all);
    let episodes: u32 = plan.iter().map(|(_, s)| expected(s).episodes).sum();
    assert_eq!(week.totals.figures.slouch_episodes, episodes);

    let month = store
        .month(&days, 2026, 11)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(month.days.len(), 30);
    assert_eq!(month.totals.figures, week.totals.figures);
    let december = store
        .month(&days, 2026, 12)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(december.days.len(), 31);
    assert_eq!(december.totals.days_with_data, 0);
}

#[test]
fn the_json_has_exactly_the_contract_keys_in_order() {
    let (store, _) = week_store();
    let days = Days::new(zone(), 0).unwrap_or_else(|e| panic!("{e}"));
    let json = store
        .day(&days, date(2026, 11, 24))
        .unwrap_or_else(|e| panic!("{e}"))
        .to_json();
    assert!(
        json.starts_with(r#"{"day":"2026-11-24","monitored_s":28830.0,"state_s":{"upright":"#)
            || json.starts_with(r#"{"day":"2026-11-24","monitored_s":"#),
        "{json}"
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
    let keys: Vec<&str> = v
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut want = vec![
        "day",
        "monitored_s",
        "state_s",
        "upright_pct",
        "slouch_episodes",
        "longest_slouch_s",
        "slouch_alerts",
        "alerts_corrected",
        "alerts_snoozed",
        "break_reminders",
        "breaks_taken",
        "sensor_gaps",
        "flexion_bands_s",
        "hours",
    ];
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    want.sort_unstable();
    assert_eq!(sorted, want);
    assert!(json.contains(r#""state_s":{"upright":"#));
    assert!(json.contains(r#""flexion_bands_s":{"under_20":"#));
    assert!(json.contains(r#","20_to_60":"#));
    assert!(
        json.contains(
            r#""hours":[{"hour":0,"monitored_s":0.0,"upright_pct":0.0,"slouched_s":0.0}"#
        )
    );

    let week = store
        .week(&days, date(2026, 11, 24))
        .unwrap_or_else(|e| panic!("{e}"))
        .to_json();
    let v: serde_json::Value = serde_json::from_str(&week).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["from"], "2026-11-23");
    assert_eq!(v["to"], "2026-11-29");
    assert_eq!(v["days"].as_array().map(Vec::len), Some(7));
    assert!(
        v["days"][0].get("hours").is_none(),
        "period days have no hours"
    );
    assert!(v["totals"]["monitored_s"].as_f64().is_some_and(|s| s > 0.0));
    assert_eq!(v["totals"]["days_with_data"], 6);

    let text = store
        .day(&days, date(2026, 11, 24))
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string();
    assert!(
        text.starts_with("2026-11-24\nmonitored        8h 00m"),
        "{text}"
    );
    assert!(text.contains("\n08    30m 00s"), "{text}");
}

#[test]
fn charts_are_ready_to_draw() {
    let (store, plan) = week_store();
    let days = Days::new(zone(), 0).unwrap_or_else(|e| panic!("{e}"));
    let chart = store
        .day_chart(&days, date(2026, 11, 28))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(chart.minutes.len(), 1440);
    // Saturday: 08:30–08:40 uncalibrated, then upright, then slouched from 09:10 to 09:16:40.
    let at = |h: usize, m: usize| chart.minutes[h * 60 + m];
    assert_eq!(at(8, 29).state, None);
    assert_eq!(at(8, 35).state, Some(PostureState::Uncalibrated));
    assert_eq!(at(8, 35).flexion_max_deg, None);
    assert_eq!(at(9, 0).state, Some(PostureState::Upright));
    assert_eq!(at(9, 0).flexion_min_deg, Some(4.0));
    assert_eq!(at(9, 12).state, Some(PostureState::Slouched));
    assert_eq!(at(9, 12).flexion_max_deg, Some(65.0));
    let alerts: Vec<(&str, AlertKind, AlertOutcome)> = chart
        .alerts
        .iter()
        .map(|a| (a.local_time.as_str(), a.kind, a.outcome))
        .collect();
    assert_eq!(
        alerts,
        vec![
            ("09:11", AlertKind::Slouch, AlertOutcome::Ignored),
            // 45 min after the start, while slouched.
            ("09:15", AlertKind::BreakReminder, AlertOutcome::Ignored),
            ("09:16", AlertKind::Slouch, AlertOutcome::Corrected),
        ]
    );
    assert_eq!(chart.hours.len(), 24);

    let week = store
        .period_chart(&days, Period::Week(date(2026, 11, 23)))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(week.days.len(), 7);
    assert_eq!(week.days[6].upright_pct, None);
    assert_eq!(week.hour_by_day[5][8], Some(100.0));
    assert_eq!(week.hour_by_day[6][8], None);
    let slouched_monday: f64 = plan[0]
        .1
        .iter()
        .filter(|s| s.state == PostureState::Slouched)
        .map(|s| s.duration_s / 60.0)
        .sum();
    assert!((week.days[0].slouched_min - slouched_monday).abs() < 1e-9);
    let pct = week.comparison.upright_pct.unwrap_or_default();
    assert_eq!(
        week.comparison.sentence,
        format!(
            "upright {pct:.0}% this week; no data the week before to compare; 1 day without data."
        )
    );
}
