//! The HTML report of a known synthetic week (day, week and month pages) shows exactly the
//! figures `spinewatch history --json` gives for the same period, is self-contained, and is
//! well formed.

#[path = "report_fixture.rs"]
mod fixture;

use std::collections::BTreeMap;

use fixture::{Tag, date, monday, tags, unescape, write_history, zone};
use serde_json::Value;
use spinewatch::format::human_duration;
use spinewatch::report::{self, ReportData, ReportPeriod, Summary, Thresholds};
use spinewatch::store::{Days, History, HistoryOptions};

fn history(dir: &tempfile::TempDir) -> History {
    let path = dir.path().join("history.sqlite");
    write_history(&path, &zone());
    History::open(&path, HistoryOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn build(history: &History, period: ReportPeriod) -> ReportData {
    let days = Days::new(zone(), 0).unwrap_or_else(|e| panic!("{e}"));
    report::build(
        history,
        &days,
        period,
        Thresholds::defaults(),
        "2026-12-01 09:00".into(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Every number of a JSON object, by dotted path (`state_s.upright`); arrays are left out.
fn numbers(v: &Value, prefix: &str, out: &mut BTreeMap<String, f64>) {
    if let Value::Object(map) = v {
        for (k, v) in map {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                Value::Number(n) => {
                    out.insert(key, n.as_f64().unwrap_or(f64::NAN));
                }
                Value::Object(_) => numbers(v, &key, out),
                _ => {}
            }
        }
    }
}

/// `(scope, key) → [(value, shown text)]` from the page's `data-*` attributes.
type Figures = BTreeMap<(String, String), Vec<(f64, String)>>;

fn figures(page: &[Tag]) -> Figures {
    let mut out = Figures::new();
    for t in page.iter().filter(|t| !t.closing) {
        if let (Some(scope), Some(key), Some(value)) = (
            t.attr("data-scope"),
            t.attr("data-key"),
            t.attr("data-value"),
        ) {
            let v: f64 = value
                .parse()
                .unwrap_or_else(|e| panic!("data-value {value:?} of {key}: {e}"));
            out.entry((scope.to_string(), key.to_string()))
                .or_default()
                .push((v, unescape(t.text_after.trim())));
        }
    }
    out
}

/// The `history --json` text of the period, parsed: what a script comparing would read.
fn contract(summary: &Summary) -> Value {
    serde_json::from_str(&summary.to_json()).unwrap_or_else(|e| panic!("{e}"))
}

/// Every number of `json` (an object of figures) appears under `scope` with exactly its value,
/// every time it appears. Returns how many were checked.
fn assert_scope_matches(figs: &Figures, scope: &str, json: &Value, skip: &[&str]) -> usize {
    let mut want = BTreeMap::new();
    numbers(json, "", &mut want);
    let mut checked = 0;
    for (key, v) in &want {
        if skip.contains(&key.as_str()) {
            continue;
        }
        let Some(shown) = figs.get(&(scope.to_string(), key.clone())) else {
            panic!("{scope} {key} = {v} is not on the page");
        };
        for (got, text) in shown {
            assert_eq!(got, v, "{scope} {key} (shown as {text:?})");
        }
        checked += 1;
    }
    checked
}

/// The text shown for a total is the value formatted the way `history` prints it.
fn assert_shown(figs: &Figures, key: &str, expected: &str) {
    let shown = figs
        .get(&("total".to_string(), key.to_string()))
        .unwrap_or_else(|| panic!("total {key} not shown"));
    assert!(
        shown.iter().any(|(_, t)| t == expected),
        "total {key}: shown {shown:?}, expected {expected:?}"
    );
}

fn assert_self_contained(html: &str) {
    for needle in [
        "http", "src=", "<link", "url(", "@import", "<script", "<img", "<iframe", "<object",
        "<embed", "xlink",
    ] {
        assert!(
            !html.contains(needle),
            "the page refers to something outside itself: {needle:?} at {:?}",
            html.find(needle)
                .map(|i| &html[i.saturating_sub(60)..(i + 60).min(html.len())])
        );
    }
}

fn assert_common(html: &str, page: &[Tag]) {
    assert_self_contained(html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    let count = |name: &str| page.iter().filter(|t| t.name == name && !t.closing).count();
    assert_eq!(count("html"), 1);
    assert_eq!(count("head"), 1);
    assert_eq!(count("body"), 1);
    assert_eq!(count("style"), 1);
    assert!(count("svg") >= 4, "charts: {}", count("svg"));
    assert!(html.contains("@page { size: A4"), "print stylesheet");
    assert!(html.contains("@media print"), "print stylesheet");
    assert!(
        html.contains("not a medical device"),
        "the not-a-medical-device note"
    );
    assert!(
        html.contains("relative to the wearer&#39;s own calibrated upright posture")
            || html.contains("relative to the wearer's own calibrated upright posture"),
        "what the angle means"
    );
    assert!(html.contains("positive is forward"));
    for heading in [
        "Period, wear time and data",
        "Time per flexion band (ISO 11226)",
        "Longest holds above the slouch threshold",
        "Upright share by hour of day",
        "Alerts and how they were answered",
        "Breaks and sitting bouts",
        "Calibration",
        "Thresholds in force",
    ] {
        assert!(
            page.iter()
                .any(|t| t.name == "h2" && !t.closing && unescape(&t.text_after) == heading),
            "section {heading:?}"
        );
    }
    // Every chart axis says its unit.
    for unit in [
        "share of wear time (%)",
        "share of time with a known angle (%)",
        "local hour (h)",
        "share of slouch alerts (%)",
    ] {
        assert!(html.contains(unit), "axis title {unit:?}");
    }
}

#[test]
fn the_week_page_shows_the_history_json_figures_exactly() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let history = history(&dir);
    let data = build(&history, ReportPeriod::Week(date(2026, 11, 26)));
    // The report keeps the store's own summary: the same query as `history --week`.
    let days = Days::new(zone(), 0).unwrap_or_else(|e| panic!("{e}"));
    let direct = history
        .week(&days, monday())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(data.summary, Summary::Period(direct.clone()));
    // A plain read-only connection (what the command uses) gives the very same report.
    let conn = spinewatch::store::schema::open_for_reading(&dir.path().join("history.sqlite"))
        .unwrap_or_else(|e| panic!("{e}"));
    let from_conn = report::build(
        &conn,
        &days,
        ReportPeriod::Week(date(2026, 11, 26)),
        Thresholds::defaults(),
        "2026-12-01 09:00".into(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_conn, data);

    let html = report::html::render(&data);
    let page = tags(&html);
    assert_common(&html, &page);
    let figs = figures(&page);
    let json = contract(&data.summary);

    // Totals: every number of the JSON's totals, on the page with exactly its value.
    let checked = assert_scope_matches(&figs, "total", &json["totals"], &[]);
    assert_eq!(checked, 19, "every figure of the totals");
    let t = &direct.totals.figures;
    assert!(
        t.monitored_s > 5.0 * 8.0 * 3600.0,
        "five 8-hour days and a Saturday"
    );
    assert_shown(&figs, "monitored_s", &human_duration(t.monitored_s));
    assert_shown(&figs, "upright_pct", &format!("{:.1}%", t.upright_pct));
    assert_shown(&figs, "slouch_alerts", &t.slouch_alerts.to_string());
    assert_shown(
        &figs,
        "flexion_bands_s.over_60",
        &human_duration(t.flexion_bands_s.over_60),
    );
    assert_shown(&figs, "days_with_data", "6");
    assert_shown(&figs, "report.alerts_held_back", "2");

    // Every day: its row of the daily table and its bar carry the JSON's day figures.
    let days_json = json["days"]
        .as_array()
        .unwrap_or_else(|| panic!("days array"));
    assert_eq!(days_json.len(), 7);
    for day in days_json {
        let scope = day["day"].as_str().unwrap_or_default();
        let monitored = day["monitored_s"].as_f64().unwrap_or_default();
        let skip: &[&str] = if monitored > 0.0 {
            // In the table and the bars; the rest of a day is in the JSON only.
            &[
                "longest_slouch_s",
                "alerts_corrected",
                "alerts_snoozed",
                "break_reminders",
                "sensor_gaps",
                "flexion_bands_s.under_20",
                "flexion_bands_s.20_to_60",
                "flexion_bands_s.over_60",
            ]
        } else {
            &[]
        };
        let mut want = day.clone();
        if monitored <= 0.0 {
            // A day without data shows "no data" and its zero wear time.
            want = serde_json::json!({ "monitored_s": 0.0 });
        } else if let Value::Object(map) = &mut want {
            // A zero state has no bar.
            if let Some(Value::Object(states)) = map.get_mut("state_s") {
                states.retain(|_, v| v.as_f64().unwrap_or_default() > 0.0);
            }
        }
        let n = assert_scope_matches(&figs, scope, &want, skip);
        assert!(n >= 1, "{scope}");
    }
    assert!(
        page.iter()
            .any(|t| t.name == "tr" && t.attr("data-day") == Some("2026-11-29")),
        "Sunday has its row"
    );

    // The longest holds are the longest slouch episodes, longest first.
    assert!(!data.holds.is_empty());
    assert_eq!(data.holds[0].duration_s, t.longest_slouch_s);
    assert!(
        data.holds
            .windows(2)
            .all(|w| w[0].duration_s >= w[1].duration_s)
    );
    assert!(
        html.contains(&data.holds[0].when),
        "when the longest hold happened"
    );

    // Calibration: five taken this week, one failed attempt, the last on Friday.
    assert_eq!(data.calibration.taken, 5);
    assert_eq!(data.calibration.failed, 1);
    assert!(html.contains("Calibrated 5 times this week; the last at Fri 27 Nov 08:30."));
    assert!(html.contains("1 calibration attempt failed."));
    assert!(
        html.contains("Defaults ("),
        "the thresholds' source is said"
    );
    // The comparison with the week before (which has one day of data).
    assert!(
        data.comparison
            .as_deref()
            .is_some_and(|c| c.contains("on the week before")),
        "{:?}",
        data.comparison
    );
    // Wear and completeness: five days from 08:30 with a 30 s gap each, so just under 100 %.
    let completeness = data.wear.completeness_pct().unwrap_or_default();
    assert!((99.0..100.0).contains(&completeness), "{completeness}");
    assert!(html.contains("wear time ÷ span"));
    // Sitting bouts: the desk days have bouts over 30 min.
    assert!(
        data.bouts.count > 10 && data.bouts.over_30_min > 0,
        "{:?}",
        data.bouts
    );
}

#[test]
fn the_day_page_shows_the_day_and_its_hours_as_history_json_does() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let history = history(&dir);
    let day = date(2026, 11, 24);
    let data = build(&history, ReportPeriod::Day(day));
    let html = report::html::render(&data);
    let page = tags(&html);
    assert_common(&html, &page);
    assert!(html.contains("The day minute by minute"));
    assert!(html.contains("local time (h)") && html.contains("flexion (°)"));
    let figs = figures(&page);
    let json = contract(&data.summary);
    assert_eq!(json["day"], "2026-11-24");
    let checked = assert_scope_matches(&figs, "total", &json, &[]);
    assert_eq!(checked, 18, "every figure of the day");
    // The hours: monitored and slouched seconds of each hour.
    let hours = json["hours"].as_array().unwrap_or_else(|| panic!("hours"));
    assert_eq!(hours.len(), 24);
    for h in hours {
        let scope = format!("hour-{}", h["hour"]);
        let want = serde_json::json!({
            "monitored_s": h["monitored_s"],
            "slouched_s": h["slouched_s"],
        });
        assert_scope_matches(&figs, &scope, &want, &[]);
    }
    // Tuesday has the held-back alerts; a day report says when holds happened by time only.
    assert_shown(&figs, "report.alerts_held_back", "2");
    assert!(data.holds.iter().all(|h| h.when.len() == 5), "HH:MM");
    assert!(html.contains("Calibrated once this day; the last at 08:30."));
    let timeline = data.timeline.as_ref().unwrap_or_else(|| panic!("timeline"));
    assert_eq!(timeline.from_h, 8.0, "from the first hour with data");
    assert!(timeline.marks.iter().any(|m| m.alert.is_none()), "breaks");
}

#[test]
fn the_month_page_has_every_day_and_the_month_totals() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let history = history(&dir);
    let data = build(
        &history,
        ReportPeriod::Month {
            year: 2026,
            month: 11,
        },
    );
    let html = report::html::render(&data);
    let page = tags(&html);
    assert_common(&html, &page);
    let figs = figures(&page);
    let json = contract(&data.summary);
    assert_eq!(json["from"], "2026-11-01");
    assert_eq!(json["to"], "2026-11-30");
    assert_scope_matches(&figs, "total", &json["totals"], &[]);
    assert_shown(&figs, "days_with_data", "7");
    assert_eq!(data.heat.len(), 30, "a heat map row per day");
    assert_eq!(
        page.iter()
            .filter(|t| t.name == "tr" && t.attr("data-day").is_some())
            .count(),
        30
    );
    // The month's totals are the sums of its days (the store's rule), so the week's days and
    // the Friday before add up to the month.
    let days = Days::new(zone(), 0).unwrap_or_else(|e| panic!("{e}"));
    let week = history
        .week(&days, monday())
        .unwrap_or_else(|e| panic!("{e}"));
    let friday = history
        .day(&days, date(2026, 11, 20))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        data.figures().monitored_s,
        week.totals.figures.monitored_s + friday.figures.monitored_s
    );
}

#[test]
fn a_period_without_data_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let history = history(&dir);
    let days = Days::new(zone(), 0).unwrap_or_else(|e| panic!("{e}"));
    let err = report::build(
        &history,
        &days,
        ReportPeriod::Week(date(2026, 12, 10)),
        Thresholds::defaults(),
        String::new(),
    )
    .err()
    .unwrap_or_else(|| panic!("a week without data must fail"));
    assert_eq!(
        err.to_string(),
        "no posture data from 2026-12-07 to 2026-12-13 (the history has data from 2026-11-20 \
         to 2026-11-28)"
    );
}
