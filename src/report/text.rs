//! The report's words and numbers, shared by the HTML page and the PNG so both say exactly the
//! same: each section is a list of [`Fact`]s (label, text as shown, and the figure it shows with
//! its `history --json` key), plus the daily table and the notes.

use crate::format::human_duration;
use crate::store::query::Figures;

use super::{ReportData, ReportPeriod, ThresholdSource};

/// One labelled figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub label: String,
    /// The figure as shown.
    pub text: String,
    /// The key of the figure in `spinewatch history --json` (`monitored_s`, `state_s.upright`,
    /// `flexion_bands_s.20_to_60`, …), or `report.…` for a figure only the report has. The HTML
    /// carries it with the exact value (`data-key`, `data-value`), so a script or a test can
    /// check the page against the JSON.
    pub key: &'static str,
    /// The exact value (seconds, counts, percent), `None` when there is none (e.g. no span).
    pub value: Option<f64>,
    /// A short qualifier shown beside it (a share, a definition).
    pub note: Option<String>,
}

impl Fact {
    fn new(label: impl Into<String>, text: String, key: &'static str, value: Option<f64>) -> Self {
        Self {
            label: label.into(),
            text,
            key,
            value,
            note: None,
        }
    }

    fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    fn seconds(label: &str, key: &'static str, s: f64) -> Self {
        Self::new(label, duration(s), key, Some(s))
    }

    fn count(label: &str, key: &'static str, n: u32) -> Self {
        Self::new(label, n.to_string(), key, Some(f64::from(n)))
    }
}

/// Durations as the `history` text table prints them: `1h 02m 03s`.
pub fn duration(s: f64) -> String {
    human_duration(s)
}

/// Durations for narrow table cells: `7h 12m` from an hour on, else `12m 05s` or `45s`.
pub fn duration_short(s: f64) -> String {
    let whole = s.max(0.0).round() as u64;
    if whole >= 3600 {
        format!("{}h {:02}m", whole / 3600, (whole / 60) % 60)
    } else {
        human_duration(s)
    }
}

/// Percent to one decimal, as `history` prints it: `78.4%`.
pub fn pct(p: f64) -> String {
    format!("{p:.1}%")
}

/// `upright_pct` as shown: "—" without monitored time (the JSON's 0 there means "none").
pub fn upright_text(f: &Figures) -> String {
    if f.monitored_s > 0.0 && f.monitored_s > f.state_s.uncalibrated {
        pct(f.upright_pct)
    } else {
        "—".to_string()
    }
}

/// Degrees without needless decimals: `20°`, `-10°`, `12.5°`.
pub fn deg(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}°")
    } else {
        format!("{v:.1}°")
    }
}

/// Seconds of a setting: `60 s`, `45 min`.
fn setting_s(s: f64) -> String {
    if s >= 120.0 && s % 60.0 == 0.0 {
        format!("{:.0} min", s / 60.0)
    } else if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

fn share(part: f64, whole: f64) -> Option<String> {
    (whole > 0.0).then(|| pct(100.0 * part / whole))
}

/// The period in words, e.g. "Mon 23 Nov 2026 – Sun 29 Nov 2026 (7 days)".
pub fn period_line(d: &ReportData) -> String {
    match d.period {
        ReportPeriod::Day(day) => day.format("%A %-d %B %Y").to_string(),
        _ => format!(
            "{} – {} ({} days)",
            d.from.format("%a %-d %b %Y"),
            d.to.format("%a %-d %b %Y"),
            d.summary.days().len()
        ),
    }
}

/// The period in few words, e.g. "23–29 Nov 2026", "30 Nov – 6 Dec 2026", "Tue 24 Nov 2026".
pub fn period_short(d: &ReportData) -> String {
    use chrono::Datelike;
    let (a, b) = (d.from, d.to);
    match d.period {
        ReportPeriod::Day(day) => day.format("%a %-d %b %Y").to_string(),
        _ if a.year() != b.year() => {
            format!("{} – {}", a.format("%-d %b %Y"), b.format("%-d %b %Y"))
        }
        _ if a.month() != b.month() => {
            format!("{} – {}", a.format("%-d %b"), b.format("%-d %b %Y"))
        }
        _ => format!("{}–{}", a.format("%-d"), b.format("%-d %b %Y")),
    }
}

/// The cards at the top of the page.
pub fn headline(d: &ReportData) -> Vec<Fact> {
    let f = d.figures();
    // Cards are narrow: durations without their seconds (the tables below have them).
    let card_s =
        |label: &str, key: &'static str, s: f64| Fact::new(label, duration_short(s), key, Some(s));
    vec![
        card_s("Wear time", "monitored_s", f.monitored_s),
        Fact::new(
            "Data completeness",
            d.wear
                .completeness_pct()
                .map_or_else(|| "—".to_string(), pct),
            "report.completeness_pct",
            d.wear.completeness_pct(),
        )
        .note("of the worn span"),
        Fact::new(
            "Upright",
            upright_text(f),
            "upright_pct",
            Some(f.upright_pct),
        )
        .note("of calibrated time"),
        card_s("Slouched", "state_s.slouched", f.state_s.slouched),
        Fact::count("Slouch alerts", "slouch_alerts", f.slouch_alerts),
        Fact::count("Breaks taken", "breaks_taken", f.breaks_taken),
    ]
}

/// Period, wear and data.
pub fn period_facts(d: &ReportData) -> Vec<Fact> {
    let f = d.figures();
    let mut out = vec![Fact::new("Period", period_short(d), "report.period", None)];
    if !d.is_day() {
        out.push(Fact::count(
            "Days with data",
            "days_with_data",
            d.summary.days_with_data(),
        ));
    }
    out.push(Fact::seconds("Wear time", "monitored_s", f.monitored_s));
    let span = Fact::seconds("Worn span", "report.span_s", d.wear.span_s);
    out.push(
        match d.days.first().and_then(|day| day.wear.first_last.as_ref()) {
            Some((a, b)) if d.is_day() => span.note(format!("{a}–{b}")),
            _ => span.note("first to last data, per day"),
        },
    );
    out.push(
        Fact::new(
            "Data completeness",
            d.wear
                .completeness_pct()
                .map_or_else(|| "—".to_string(), pct),
            "report.completeness_pct",
            d.wear.completeness_pct(),
        )
        .note("wear time ÷ span"),
    );
    out.push(Fact::count("Sensor gaps", "sensor_gaps", f.sensor_gaps));
    let mut parts = Vec::new();
    if !d.sources.devices.is_empty() {
        parts.push(format!("sensor {}", d.sources.devices.join(", ")));
    }
    if d.sources.imported > 0 {
        parts.push(format!("{} imported from files", d.sources.imported));
    }
    let sessions = Fact::count("Sessions", "report.sessions", d.sources.sessions);
    out.push(if parts.is_empty() {
        sessions
    } else {
        sessions.note(parts.join("; "))
    });
    let start = if d.day_start_min == 0 {
        "days start at midnight".to_string()
    } else {
        format!(
            "days start at {:02}:{:02}",
            d.day_start_min / 60,
            d.day_start_min % 60
        )
    };
    out.push(Fact::new("Local times", d.utc_offset.clone(), "report.zone", None).note(start));
    out
}

/// Time per posture state, with its share of the wear time.
pub fn state_facts(d: &ReportData) -> Vec<Fact> {
    let f = d.figures();
    let s = &f.state_s;
    [
        ("Upright", "state_s.upright", s.upright),
        ("Slouched", "state_s.slouched", s.slouched),
        ("Leaning back", "state_s.leaning_back", s.leaning_back),
        ("Moving", "state_s.moving", s.moving),
        ("Uncalibrated", "state_s.uncalibrated", s.uncalibrated),
    ]
    .into_iter()
    .map(|(label, key, v)| {
        let fact = Fact::seconds(label, key, v);
        match share(v, f.monitored_s) {
            Some(p) => fact.note(p),
            None => fact,
        }
    })
    .collect()
}

/// What each band means (ISO 11226 / EN 1005-4 static trunk postures).
pub const BAND_MEANING: [&str; 3] = [
    "acceptable",
    "acceptable only for limited holding times",
    "not acceptable",
];

/// Time per flexion band, with its share of the time with a known angle.
pub fn band_facts(d: &ReportData) -> Vec<Fact> {
    let b = &d.figures().flexion_bands_s;
    let total = b.under_20 + b.from_20_to_60 + b.over_60;
    [
        ("Under 20°", "flexion_bands_s.under_20", b.under_20),
        ("20–60°", "flexion_bands_s.20_to_60", b.from_20_to_60),
        ("Over 60°", "flexion_bands_s.over_60", b.over_60),
    ]
    .into_iter()
    .zip(BAND_MEANING)
    .map(|((label, key, v), meaning)| {
        let fact = Fact::seconds(label, key, v);
        match share(v, total) {
            Some(p) => fact.note(format!("{p} — {meaning}")),
            None => fact.note(meaning),
        }
    })
    .collect()
}

/// Slouch alerts that neither were answered nor led to anything yet (`open`).
pub fn alerts_open(f: &Figures) -> u32 {
    f.slouch_alerts
        .saturating_sub(f.alerts_corrected + f.alerts_snoozed + f.alerts_ignored)
}

/// Slouches, alerts and their answers.
pub fn alert_facts(d: &ReportData) -> Vec<Fact> {
    let f = d.figures();
    let of_alerts = |n: u32| share(f64::from(n), f64::from(f.slouch_alerts));
    let with = |fact: Fact, n: u32| match of_alerts(n) {
        Some(p) => fact.note(p),
        None => fact,
    };
    vec![
        Fact::count("Slouch episodes", "slouch_episodes", f.slouch_episodes),
        Fact::seconds("Longest slouch", "longest_slouch_s", f.longest_slouch_s),
        Fact::count("Slouch alerts", "slouch_alerts", f.slouch_alerts),
        with(
            Fact::count("… corrected", "alerts_corrected", f.alerts_corrected),
            f.alerts_corrected,
        ),
        with(
            Fact::count("… snoozed", "alerts_snoozed", f.alerts_snoozed),
            f.alerts_snoozed,
        ),
        with(
            Fact::count("… ignored", "report.alerts_ignored", f.alerts_ignored),
            f.alerts_ignored,
        ),
        with(
            Fact::count("… still open", "report.alerts_open", alerts_open(f)),
            alerts_open(f),
        ),
        Fact::count("Held back", "report.alerts_held_back", f.alerts_held_back)
            .note("snooze, meeting, quiet hours"),
    ]
}

/// Break reminders and breaks.
pub fn break_facts(d: &ReportData) -> Vec<Fact> {
    let f = d.figures();
    let per_hour =
        (f.monitored_s > 0.0).then(|| f64::from(f.breaks_taken) * 3600.0 / f.monitored_s);
    vec![
        Fact::count("Break reminders", "break_reminders", f.break_reminders),
        Fact::count("Breaks taken", "breaks_taken", f.breaks_taken).note(format!(
            "≥ {} of movement",
            setting_s(d.thresholds.config.break_min_s)
        )),
        Fact::new(
            "Breaks per hour",
            per_hour.map_or_else(|| "—".to_string(), |v| format!("{v:.2}")),
            "report.breaks_per_hour",
            per_hour,
        ),
    ]
}

/// Sitting bouts.
pub fn bout_facts(d: &ReportData) -> Vec<Fact> {
    let b = &d.bouts;
    let longest = Fact::new(
        "Longest bout",
        b.longest
            .as_ref()
            .map_or_else(|| "—".to_string(), |(bout, _)| duration(bout.duration_s())),
        "report.longest_bout_s",
        b.longest.as_ref().map(|(bout, _)| bout.duration_s()),
    );
    vec![
        Fact::count("Sitting bouts", "report.bouts", b.count),
        Fact::seconds("Time sitting", "report.sitting_s", b.total_s),
        match &b.longest {
            Some((_, when)) => longest.note(format!("from {when}")),
            None => longest,
        },
        Fact::count("Bouts ≥ 30 min", "report.bouts_over_30_min", b.over_30_min),
        Fact::count("Bouts ≥ 60 min", "report.bouts_over_60_min", b.over_60_min),
    ]
}

/// The thresholds in force.
pub fn threshold_facts(d: &ReportData) -> Vec<Fact> {
    let c = &d.thresholds.config;
    let fact =
        |label: &str, text: String, key: &'static str, v: f64| Fact::new(label, text, key, Some(v));
    vec![
        fact(
            "Slouched at",
            format!("≥ {} flexion", deg(c.slouch_threshold_deg)),
            "report.slouch_threshold_deg",
            c.slouch_threshold_deg,
        ),
        fact(
            "Slouch ends",
            format!(
                "below {} for {}",
                deg(c.slouch_release_deg),
                setting_s(c.slouch_release_s)
            ),
            "report.slouch_release_deg",
            c.slouch_release_deg,
        ),
        fact(
            "First alert after",
            setting_s(c.slouch_delay_s),
            "report.slouch_delay_s",
            c.slouch_delay_s,
        ),
        fact(
            "Repeat alert every",
            setting_s(c.slouch_repeat_s),
            "report.slouch_repeat_s",
            c.slouch_repeat_s,
        ),
        fact(
            "Leaning back at",
            format!("≤ {}", deg(c.lean_back_threshold_deg)),
            "report.lean_back_threshold_deg",
            c.lean_back_threshold_deg,
        ),
        fact(
            "Break reminder after",
            format!("{} sitting", setting_s(c.break_interval_s)),
            "report.break_interval_s",
            c.break_interval_s,
        ),
        fact(
            "Reminder repeats every",
            setting_s(c.break_repeat_s),
            "report.break_repeat_s",
            c.break_repeat_s,
        ),
    ]
}

/// Where the thresholds came from, in one sentence.
pub fn threshold_source(d: &ReportData) -> String {
    let now = "today's settings; the history does not keep the settings a day was recorded with";
    match &d.thresholds.source {
        ThresholdSource::SettingsFile { path } => {
            format!("From the settings file {} ({now}).", path.display())
        }
        ThresholdSource::NoSettingsFile { path } => format!(
            "Defaults: there is no settings file ({}), so the app uses these ({now}).",
            path.display()
        ),
        ThresholdSource::UnusableSettingsFile { path, reason } => format!(
            "Defaults: the settings file {} cannot be used ({reason}), so the app uses these \
             ({now}).",
            path.display()
        ),
        ThresholdSource::Defaults => format!("Defaults ({now})."),
    }
}

/// The calibration in force, in sentences.
pub fn calibration_lines(d: &ReportData) -> Vec<String> {
    let c = &d.calibration;
    let mut out = Vec::new();
    let noun = d.period.noun();
    match (&c.last_in_period, &c.before_period) {
        (Some(last), _) => {
            let times = if c.taken == 1 {
                "once".to_string()
            } else {
                format!("{} times", c.taken)
            };
            out.push(format!(
                "Calibrated {times} this {noun}; the last at {}.",
                last.when
            ));
            out.push(format!("Sensor axes: {}.", axes(&last.detail)));
        }
        (None, Some(before)) => {
            out.push(format!(
                "No calibration this {noun}; the one in force was taken {}.",
                before.when
            ));
            out.push(format!("Sensor axes: {}.", axes(&before.detail)));
        }
        (None, None) => out.push(format!(
            "No calibration recorded in the history up to the end of this {noun} (a \
             calibration stored in a recording's file is not listed)."
        )),
    }
    if c.failed > 0 {
        out.push(format!(
            "{} calibration attempt{} failed.",
            c.failed,
            if c.failed == 1 { "" } else { "s" }
        ));
    }
    out
}

/// A stored calibration (`up=x,y,z;forward=x,y,z`, unit vectors in the sensor's frame) for
/// people: "up (0.012, −0.998, 0.051), forward (0.031, 0.052, 0.998)"; anything else as it is.
pub fn axes(detail: &str) -> String {
    let vector = |v: &str| -> Option<String> {
        let parts: Vec<f64> = v
            .split(',')
            .map(|x| x.trim().parse().ok())
            .collect::<Option<_>>()?;
        (parts.len() == 3).then(|| {
            let shown: Vec<String> = parts
                .iter()
                .map(|x| format!("{x:.3}").replace('-', "\u{2212}"))
                .collect();
            format!("({})", shown.join(", "))
        })
    };
    let parsed = detail.split_once(';').and_then(|(up, fwd)| {
        Some(format!(
            "up {}, forward {}",
            vector(up.strip_prefix("up=")?)?,
            vector(fwd.strip_prefix("forward=")?)?
        ))
    });
    parsed.unwrap_or_else(|| detail.to_string())
}

/// One cell of the daily table.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub text: String,
    /// As [`Fact::key`]; empty for cells that are not a figure.
    pub key: &'static str,
    pub value: Option<f64>,
}

impl Cell {
    fn plain(text: String) -> Self {
        Self {
            text,
            key: "",
            value: None,
        }
    }

    fn figure(text: String, key: &'static str, value: f64) -> Self {
        Self {
            text,
            key,
            value: Some(value),
        }
    }
}

/// The daily table's column headings.
pub const DAY_COLUMNS: [&str; 9] = [
    "Day",
    "Wear",
    "Complete",
    "Upright",
    "Slouched",
    "Episodes",
    "Alerts",
    "Breaks",
    "Longest bout",
];

/// The daily table (week and month reports): one row per day, with its `YYYY-MM-DD`.
pub fn day_rows(d: &ReportData) -> Vec<(String, Vec<Cell>)> {
    d.summary
        .days()
        .iter()
        .zip(&d.days)
        .map(|(s, detail)| {
            let f = &s.figures;
            let none = || "—".to_string();
            let cells = if f.monitored_s > 0.0 {
                vec![
                    Cell::plain(detail.label.clone()),
                    Cell::figure(duration_short(f.monitored_s), "monitored_s", f.monitored_s),
                    Cell::plain(detail.wear.completeness_pct().map_or_else(none, pct)),
                    Cell::figure(upright_text(f), "upright_pct", f.upright_pct),
                    Cell::figure(
                        duration_short(f.state_s.slouched),
                        "state_s.slouched",
                        f.state_s.slouched,
                    ),
                    Cell::figure(
                        f.slouch_episodes.to_string(),
                        "slouch_episodes",
                        f64::from(f.slouch_episodes),
                    ),
                    Cell::figure(
                        f.slouch_alerts.to_string(),
                        "slouch_alerts",
                        f64::from(f.slouch_alerts),
                    ),
                    Cell::figure(
                        f.breaks_taken.to_string(),
                        "breaks_taken",
                        f64::from(f.breaks_taken),
                    ),
                    Cell::plain(
                        detail
                            .bouts
                            .longest
                            .as_ref()
                            .map_or_else(none, |(b, _)| duration_short(b.duration_s())),
                    ),
                ]
            } else {
                let mut cells = vec![Cell::plain(detail.label.clone())];
                cells.push(Cell::figure("no data".into(), "monitored_s", 0.0));
                cells.extend((2..DAY_COLUMNS.len()).map(|_| Cell::plain(String::new())));
                cells
            };
            (s.day.clone(), cells)
        })
        .collect()
}

/// What the angle means, the definitions used, and the medical note: the page's last section.
pub fn notes(d: &ReportData) -> Vec<String> {
    let c = &d.thresholds.config;
    vec![
        "The angle is the forward bend (flexion) of the upper back at the sensor clip, in \
         degrees, relative to the wearer's own calibrated upright posture: 0° is their upright, \
         positive is forward, negative is leaning back. It is not a measure of the curvature of \
         the spine."
            .to_string(),
        format!(
            "Flexion bands follow ISO 11226 / EN 1005-4 for static trunk postures: under 20° \
             acceptable, 20–60° acceptable only for limited holding times (about a minute near \
             60°, a few minutes near 20°), over 60° not acceptable. Slouched means at least {} \
             of flexion; a slouch episode is one held at least {}.",
            deg(c.slouch_threshold_deg),
            setting_s(c.slouch_delay_s)
        ),
        "Wear time is the time the sensor delivered data; data completeness is wear time over \
         the span from the first to the last data of each day. A sitting bout is seated time \
         between movements (walking-level activity), ending also at a gap in the data over 1 \
         min; a break is at least the break length of movement. Alerts: corrected means the \
         wearer sat up, snoozed that they snoozed it, ignored that a repeat followed or the \
         session ended still slouched, held back that snooze, meeting mode or quiet hours kept \
         it from showing."
            .to_string(),
        "spinewatch is a posture habit tool, not a medical device; this report is not a \
         diagnosis. Numbness, tingling or weakness in the legs, loss of bladder or bowel \
         control, severe pain that does not improve, or pain lasting more than a few weeks \
         need a clinician."
            .to_string(),
    ]
}
