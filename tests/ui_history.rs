//! The History tab, driven through the window headlessly: a generated day and weeks written
//! into the rig's history file show the store's own figures (the numbers of `spinewatch
//! history --json`); day / week / month switch; previous / next and the calendar move the date;
//! a day without data and an empty or missing history say so; today is queried again at most
//! every 5 s, and nothing is queried per frame.

mod common;

use std::time::Duration;

use chrono::NaiveDate;
use common::{Rig, add_to_history, fill_history, history_rig, local_s, tempdir};
use spinewatch::format::human_duration;
use spinewatch::posture::PostureState;
use spinewatch::store::synth::{Segment, desk_day};
use spinewatch::store::{DaySummary, Days, Period};

fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, d).unwrap_or_else(|| panic!("bad date"))
}

/// Today in the rig: Monday 2 June 2025.
fn today() -> NaiveDate {
    date(6, 2)
}

fn days() -> Days<chrono::Local> {
    Days::in_local_zone(0).unwrap_or_else(|e| panic!("{e}"))
}

/// Desk days from 08:30 on the previous week's weekdays (26–30 May) and this morning (2 June);
/// nothing on the weekend. A short, mostly upright Thursday the week before that (22 May), so
/// the previous week has something to compare with.
fn fill_weeks(dir: &std::path::Path) {
    let mut sessions = vec![(
        local_s(date(5, 22), 9, 0),
        vec![
            Segment::new(1800.0, PostureState::Upright, Some(3.0)),
            Segment::new(600.0, PostureState::Slouched, Some(30.0)),
        ],
    )];
    for (i, d) in (26..=30).enumerate() {
        sessions.push((local_s(date(5, d), 8, 30), desk_day(i as u64 + 1, 3.0)));
    }
    sessions.push((local_s(today(), 8, 30), desk_day(42, 3.0)));
    fill_history(dir, &sessions);
}

fn weeks_rig() -> (Rig, spinewatch::app::clock::ManualClock) {
    let dir = tempdir();
    fill_weeks(dir.path());
    let (mut rig, clock) = history_rig(dir);
    rig.click_history("History");
    (rig, clock)
}

fn store_day(rig: &Rig, day: NaiveDate) -> DaySummary {
    let history = rig
        .handle
        .history()
        .unwrap_or_else(|| panic!("the history is open"));
    history.day(&days(), day).unwrap_or_else(|e| panic!("{e}"))
}

/// The sentence as the view shows it: the store's, with a capital letter.
fn shown_sentence(sentence: &str) -> String {
    let mut c = sentence.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Every total of the day view is the store's figure for that day.
fn assert_day_totals(rig: &Rig, s: &DaySummary) {
    let f = &s.figures;
    for label in [
        format!("Monitored\n{}", human_duration(f.monitored_s)),
        format!("Upright\n{:.1}%", f.upright_pct),
        format!("Slouch episodes\n{}", f.slouch_episodes),
        format!("longest {}", human_duration(f.longest_slouch_s)),
        format!("Slouch alerts\n{}", f.slouch_alerts),
        format!(
            "{} corrected, {} snoozed",
            f.alerts_corrected, f.alerts_snoozed
        ),
        format!("Breaks taken\n{}", f.breaks_taken),
        format!("{} reminders", f.break_reminders),
        format!("Sensor gaps\n{}", f.sensor_gaps),
    ] {
        assert!(rig.has(&label), "no {label:?} in the day view");
    }
    for (name, s) in [
        ("Under 20°", f.flexion_bands_s.under_20),
        ("20–60°", f.flexion_bands_s.from_20_to_60),
        ("Over 60°", f.flexion_bands_s.over_60),
    ] {
        let text = format!("{name}: {} (", human_duration(s));
        assert!(rig.has_text(&text), "no {text:?} in the day view");
    }
}

#[test]
fn the_day_view_shows_the_stores_totals_for_today() {
    let (rig, _clock) = weeks_rig();
    assert!(rig.has("Monday 2 June 2025"));
    assert!(rig.has("today"));
    let s = store_day(&rig, today());
    assert!(s.figures.monitored_s > 2.9 * 3600.0, "{s:?}");
    assert!(s.figures.slouch_alerts > 0 && s.figures.slouch_episodes > 0);
    assert_eq!(s.figures.sensor_gaps, 1);
    assert_day_totals(&rig, &s);
    assert!(rig.disabled("Next day"), "no day after today");
    assert!(rig.disabled("Today"));
}

#[test]
fn previous_and_next_day_move_the_date() {
    let (mut rig, _clock) = weeks_rig();
    rig.click_history("Previous day");
    assert!(rig.has("Sunday 1 June 2025"));
    assert!(!rig.has("today"));
    rig.click_history("Previous day");
    rig.click_history("Previous day");
    assert!(rig.has("Friday 30 May 2025"));
    assert_day_totals(&rig, &store_day(&rig, date(5, 30)));
    rig.click_history("Next day");
    assert!(rig.has("Saturday 31 May 2025"));
    rig.click_history("Today");
    assert!(rig.has("Monday 2 June 2025"));
    assert_day_totals(&rig, &store_day(&rig, today()));
}

#[test]
fn a_day_without_data_says_so() {
    let (mut rig, _clock) = weeks_rig();
    rig.click_history("Previous day");
    assert!(rig.has("No data on Sunday 1 June 2025."));
    assert!(!rig.has_text("Slouch alerts"));
    assert!(
        !rig.has_text("No history yet"),
        "the history itself is not empty"
    );
}

#[test]
fn week_and_month_show_the_stores_comparison() {
    let (mut rig, _clock) = weeks_rig();
    let history = rig
        .handle
        .history()
        .cloned()
        .unwrap_or_else(|| panic!("the history is open"));
    let chart = |p: Period| {
        history
            .period_chart(&days(), p)
            .unwrap_or_else(|e| panic!("{e}"))
    };

    rig.click_history("Week");
    assert!(rig.has("2–8 June 2025"));
    let this_week = chart(Period::Week(today()));
    assert!(rig.has(&shown_sentence(&this_week.comparison.sentence)));
    assert!(rig.has("Days with data\n1 of 7"));

    rig.click_history("Previous week");
    assert!(rig.has("26 May – 1 June 2025"));
    let last_week = chart(Period::Week(date(5, 26)));
    let sentence = shown_sentence(&last_week.comparison.sentence);
    assert!(
        sentence.starts_with("Upright ") && sentence.contains("points on the week before"),
        "{sentence}"
    );
    assert!(rig.has(&sentence), "{sentence}");
    let totals = history
        .week(&days(), date(5, 26))
        .unwrap_or_else(|e| panic!("{e}"))
        .totals;
    assert!(rig.has(&format!("Upright\n{:.1}%", totals.figures.upright_pct)));
    assert!(rig.has(&format!("Slouch alerts\n{}", totals.figures.slouch_alerts)));
    assert!(rig.has("Days with data\n5 of 7"));
    assert!(rig.has_text("No data: Sat 31 May, Sun 1 Jun."));

    rig.click_history("Month");
    assert!(rig.has("May 2025"));
    let may = chart(Period::Month {
        year: 2025,
        month: 5,
    });
    assert!(rig.has(&shown_sentence(&may.comparison.sentence)));
    assert!(rig.has("Days with data\n6 of 31"));

    rig.click_history("This month");
    assert!(rig.has("June 2025"));
    rig.click_history("Day");
    assert!(rig.has("Monday 2 June 2025"));
}

#[test]
fn the_calendar_marks_days_with_data_and_picks_one() {
    let (mut rig, _clock) = weeks_rig();
    rig.click_history("Calendar");
    assert!(rig.has("June 2025"));
    assert!(rig.has("2 June 2025, with data"));
    assert!(rig.has("1 June 2025, no data"));
    assert!(
        rig.disabled("3 June 2025, no data"),
        "no picking the future"
    );
    rig.click_history("Calendar: previous month");
    assert!(rig.has("29 May 2025, with data"));
    assert!(rig.has("25 May 2025, no data"));
    rig.click_history("29 May 2025, with data");
    assert!(rig.has("Thursday 29 May 2025"));
    assert!(!rig.has("29 May 2025, with data"), "the calendar closed");
    assert_day_totals(&rig, &store_day(&rig, date(5, 29)));
}

#[test]
fn today_is_queried_again_at_most_every_five_seconds_and_never_per_frame() {
    let (mut rig, clock) = weeks_rig();
    let before = store_day(&rig, today());
    let loads = rig.harness.state().history.loads();
    // Frames alone ask for nothing.
    for _ in 0..30 {
        rig.harness.step();
    }
    assert_eq!(rig.harness.state().history.loads(), loads);

    // An afternoon session arrives in the history.
    let history = rig
        .handle
        .history()
        .cloned()
        .unwrap_or_else(|| panic!("the history is open"));
    add_to_history(
        &history,
        local_s(today(), 14, 0),
        &[
            Segment::new(900.0, PostureState::Upright, Some(4.0)),
            Segment::new(300.0, PostureState::Slouched, Some(40.0)),
        ],
    );
    let after = store_day(&rig, today());
    assert!(after.figures.monitored_s > before.figures.monitored_s);

    clock.advance(Duration::from_millis(4900));
    rig.harness.step();
    rig.wait_history();
    assert_eq!(rig.harness.state().history.loads(), loads, "not yet");
    assert!(rig.has(&format!(
        "Monitored\n{}",
        human_duration(before.figures.monitored_s)
    )));

    clock.advance(Duration::from_millis(100));
    rig.harness.step();
    assert_eq!(rig.harness.state().history.loads(), loads + 1);
    rig.wait_history();
    assert_day_totals(&rig, &after);

    // A past day is not asked again, however long it shows.
    rig.click_history("Previous day");
    let loads = rig.harness.state().history.loads();
    clock.advance(Duration::from_secs(600));
    for _ in 0..10 {
        rig.harness.step();
    }
    assert_eq!(rig.harness.state().history.loads(), loads);
}

#[test]
fn an_empty_history_says_it_fills_as_you_wear_the_sensor() {
    let (mut rig, _clock) = history_rig(tempdir());
    assert!(rig.handle.history().is_some());
    rig.click_history("History");
    assert!(rig.has("No history yet: it fills as you wear the sensor."));
    rig.click_history("Week");
    assert!(rig.has("No history yet: it fills as you wear the sensor."));
}

#[test]
fn a_history_that_cannot_be_opened_says_so() {
    let dir = tempdir();
    let path = spinewatch::app::Paths::under(dir.path()).history_file;
    std::fs::write(
        &path,
        b"this is not a database, just some text long enough to be read",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (mut rig, _clock) = history_rig(dir);
    assert!(rig.handle.history().is_none());
    rig.click("History");
    assert!(rig.has("No history yet: it fills as you wear the sensor."));
    assert!(rig.has_text("could not be opened"));
}

#[test]
fn export_report_writes_the_page_beside_the_history() {
    let (mut rig, _clock) = weeks_rig();
    rig.click("Export report…");
    rig.harness.run();
    assert!(
        rig.has_text("Report written to"),
        "the window says where it went"
    );
    let reports = rig.dir.path().join("reports");
    let files: Vec<_> = std::fs::read_dir(&reports)
        .map(|d| d.filter_map(Result::ok).collect())
        .unwrap_or_default();
    assert_eq!(files.len(), 1, "one page in {}", reports.display());
    let html = std::fs::read_to_string(files[0].path()).unwrap_or_default();
    assert!(html.contains("not a medical device"), "the report page");
}
