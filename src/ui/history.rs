//! The History tab: one day (a state band minute by minute, flexion with the threshold, alert
//! and break markers, the day's totals, time per flexion band, % upright per hour) or a week or
//! month (daily bars, a 7-day trend, an hour × day heat map, the comparison sentence).
//!
//! Every number comes from the store's own queries (`History::day`, `day_chart`, `week`,
//! `month`, `period_chart`): the figures `spinewatch history --json` prints. Nothing here adds
//! totals up again.
//!
//! The window is left open all day, so the panel queries only when its view changes, and for a
//! view holding today again at most every [`TODAY_REFRESH`] (the day) or [`PERIOD_REFRESH`] (a
//! week or month), asking for one repaint at that time. Queries run on a `history-query` thread
//! (a day takes up to ~50 ms, a month ~100 ms, too long for a frame); frames in between draw
//! the cached result. Nothing is queried while another tab shows or the window is hidden.

mod calendar;
mod day;
mod period;

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{Datelike, Months, NaiveDate, TimeDelta};
use egui::{Align, Layout, RichText, Ui};

use crate::app::{Clock, Settings, SystemClock};
use crate::posture::PostureState;
use crate::store::days::iso_week_monday;
use crate::store::{Days, History, Period, StoreError, query};

use super::theme;

/// How often a day view showing today is queried again.
pub const TODAY_REFRESH: Duration = Duration::from_secs(5);
/// How often a week or month holding today is queried again (its bars move slowly).
pub const PERIOD_REFRESH: Duration = Duration::from_secs(60);

/// Which span of time the tab shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryView {
    Day,
    Week,
    Month,
}

/// One load: a view (by its first day: the day itself, the week's Monday, the month's first),
/// or the calendar's days with data in a month. The day start is part of it, so changing the
/// setting loads again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    View {
        view: HistoryView,
        first: NaiveDate,
        day_start_min: u32,
    },
    Marks {
        first: NaiveDate,
        day_start_min: u32,
    },
}

/// What a load gives.
enum Loaded {
    Day(Box<day::DayData>),
    Period(Box<period::PeriodData>),
    /// Days of the month with any monitored time.
    Marks(Vec<NaiveDate>),
}

struct Reply {
    job: Job,
    result: Result<Loaded, String>,
}

struct Ask {
    job: Job,
    /// Held only while this job runs, so the worker never keeps the history open on its own.
    history: Arc<History>,
}

/// Runs one job on the calling thread.
fn run(history: &History, job: Job) -> Reply {
    Reply {
        job,
        result: load(history, job).map_err(|e| e.to_string()),
    }
}

fn load(history: &History, job: Job) -> Result<Loaded, StoreError> {
    match job {
        Job::View {
            view,
            first,
            day_start_min,
        } => {
            let days = Days::in_local_zone(day_start_min)?;
            match view {
                HistoryView::Day => {
                    let summary = history.day(&days, first)?;
                    let chart = history.day_chart(&days, first)?;
                    let empty = summary.figures.monitored_s <= 0.0 && is_empty(history)?;
                    let slots = days.hours(first);
                    Ok(Loaded::Day(Box::new(day::DayData::new(
                        summary, chart, slots, days, empty,
                    ))))
                }
                HistoryView::Week | HistoryView::Month => {
                    let (summary, period) = if view == HistoryView::Week {
                        (history.week(&days, first)?, Period::Week(first))
                    } else {
                        let (year, month) = (first.year(), first.month());
                        (
                            history.month(&days, year, month)?,
                            Period::Month { year, month },
                        )
                    };
                    let chart = history.period_chart(&days, period)?;
                    // The six days before, so the 7-day average starts with a full window.
                    let lead_in = match (
                        first.checked_sub_signed(TimeDelta::days(6)),
                        first.pred_opt(),
                    ) {
                        (Some(from), Some(to)) => {
                            history.read(|c| query::period(c, &days, from, to))?.days
                        }
                        _ => Vec::new(),
                    };
                    let empty = summary.totals.days_with_data == 0 && is_empty(history)?;
                    Ok(Loaded::Period(Box::new(period::PeriodData::new(
                        view, summary, chart, &lead_in, empty,
                    ))))
                }
            }
        }
        Job::Marks {
            first,
            day_start_min,
        } => {
            let days = Days::in_local_zone(day_start_min)?;
            let month = history.month(&days, first.year(), first.month())?;
            Ok(Loaded::Marks(
                first
                    .iter_days()
                    .zip(&month.days)
                    .filter(|(_, d)| d.figures.monitored_s > 0.0)
                    .map(|(date, _)| date)
                    .collect(),
            ))
        }
    }
}

/// No session at all has been recorded (asked only when a view is empty).
fn is_empty(history: &History) -> Result<bool, StoreError> {
    Ok(history.sessions_overlapping(i64::MIN, i64::MAX)?.is_empty())
}

/// The `history-query` thread: takes jobs, answers the newest of each kind (older ones were
/// superseded while it was busy) and wakes the window.
struct Worker {
    tx: Option<Sender<Ask>>,
    rx: Receiver<Reply>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    fn spawn(ctx: egui::Context) -> std::io::Result<Self> {
        let (tx, jobs) = mpsc::channel::<Ask>();
        let (replies, rx) = mpsc::channel::<Reply>();
        let thread = std::thread::Builder::new()
            .name("history-query".into())
            .spawn(move || {
                while let Ok(first) = jobs.recv() {
                    let mut asks = vec![first];
                    asks.extend(jobs.try_iter());
                    let newest = |marks: bool| {
                        asks.iter()
                            .rposition(|a| matches!(a.job, Job::Marks { .. }) == marks)
                    };
                    for i in [newest(false), newest(true)].into_iter().flatten() {
                        let ask = &asks[i];
                        if replies.send(run(&ask.history, ask.job)).is_err() {
                            return;
                        }
                        ctx.request_repaint();
                    }
                }
            })?;
        Ok(Self {
            tx: Some(tx),
            rx,
            thread: Some(thread),
        })
    }
}

impl Drop for Worker {
    /// Stops the thread after the job it is running (a query: well under a second).
    fn drop(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("the history query thread panicked");
        }
    }
}

/// A loaded result and when it was asked for (monotonic), which times its refresh.
struct Shown {
    job: Job,
    asked_at: Duration,
    result: Result<Loaded, String>,
}

/// One thing the panel shows (the view, or the calendar's marks): what is shown and what is
/// on its way.
#[derive(Default)]
struct Slot {
    shown: Option<Shown>,
    pending: Option<(Job, Duration)>,
}

impl Slot {
    /// Whether `want` must be asked for now: not shown (nor on its way), or shown and due for a
    /// refresh every `refresh`.
    fn due(&self, want: Job, refresh: Option<Duration>, now: Duration) -> bool {
        if self.pending.is_some_and(|(j, _)| j == want) {
            return false;
        }
        match &self.shown {
            Some(s) if s.job == want => {
                refresh.is_some_and(|every| now.saturating_sub(s.asked_at) >= every)
            }
            _ => true,
        }
    }

    /// The shown result if it is for `want` (perhaps being refreshed).
    fn current(&self, want: Job) -> Option<&Result<Loaded, String>> {
        self.shown
            .as_ref()
            .filter(|s| s.job == want)
            .map(|s| &s.result)
    }

    fn take(&mut self, reply: Reply) {
        if let Some((job, asked_at)) = self.pending
            && job == reply.job
        {
            self.pending = None;
            self.shown = Some(Shown {
                job,
                asked_at,
                result: reply.result,
            });
        }
    }
}

/// The History tab's state: what is picked, what is loaded, the query thread.
pub struct HistoryPanel {
    /// Local time for "today" and monotonic time for the refresh.
    clock: Box<dyn Clock>,
    view: HistoryView,
    /// The day picked (the week or month holding it in those views); `None`: today, following
    /// the clock past midnight.
    picked: Option<NaiveDate>,
    data: Slot,
    marks: Slot,
    /// First day of the month the open calendar shows.
    calendar: Option<NaiveDate>,
    worker: Option<Worker>,
    /// The thread could not be started: load on the window's thread instead.
    no_worker: bool,
    loads: u64,
    /// What the last "Export report…" did.
    exported: Option<String>,
}

impl Default for HistoryPanel {
    fn default() -> Self {
        Self::new(Box::new(SystemClock::new()))
    }
}

impl HistoryPanel {
    /// `clock` decides "today" and times the refresh (the window uses the system clock; tests
    /// a fixed or manual one).
    pub fn new(clock: Box<dyn Clock>) -> Self {
        Self {
            clock,
            view: HistoryView::Day,
            picked: None,
            data: Slot::default(),
            marks: Slot::default(),
            calendar: None,
            worker: None,
            no_worker: false,
            loads: 0,
            exported: None,
        }
    }

    /// Replaces the clock (tests: the engine's fixed date).
    pub fn set_clock(&mut self, clock: Box<dyn Clock>) {
        self.clock = clock;
    }

    /// Loads asked for so far (each is a few store queries), for tests and measurements.
    pub fn loads(&self) -> u64 {
        self.loads
    }

    /// A load is on its way.
    pub fn busy(&self) -> bool {
        self.data.pending.is_some() || self.marks.pending.is_some()
    }

    pub fn view(&self) -> HistoryView {
        self.view
    }

    /// The wearer's current day: the local date, moved back by the day start.
    fn today(&self, day_start_min: u32) -> NaiveDate {
        (self.clock.local_now() - TimeDelta::minutes(i64::from(day_start_min))).date()
    }

    fn anchor(&self, today: NaiveDate) -> NaiveDate {
        self.picked.unwrap_or(today)
    }

    fn view_job(&self, today: NaiveDate, day_start_min: u32) -> Job {
        let anchor = self.anchor(today);
        let first = match self.view {
            HistoryView::Day => anchor,
            HistoryView::Week => iso_week_monday(anchor),
            HistoryView::Month => anchor.with_day(1).unwrap_or(anchor),
        };
        Job::View {
            view: self.view,
            first,
            day_start_min,
        }
    }

    /// Picks `date` (never after today); today itself follows the clock again.
    fn pick(&mut self, date: NaiveDate, today: NaiveDate) {
        self.picked = (date < today).then_some(date);
    }

    fn receive(&mut self) {
        let Some(w) = &self.worker else { return };
        loop {
            match w.rx.try_recv() {
                Ok(reply) => match reply.job {
                    Job::View { .. } => self.data.take(reply),
                    Job::Marks { .. } => self.marks.take(reply),
                },
                Err(mpsc::TryRecvError::Empty) => return,
                Err(mpsc::TryRecvError::Disconnected) => {
                    // The thread is gone (it never should be): what it owed is asked again,
                    // here on the window's thread.
                    tracing::error!("the history query thread stopped; querying in the window");
                    self.worker = None;
                    self.no_worker = true;
                    self.data.pending = None;
                    self.marks.pending = None;
                    return;
                }
            }
        }
    }

    /// Asks for `job` on the query thread (started on first use), or loads it here if the
    /// thread cannot run.
    fn ask(&mut self, ctx: &egui::Context, history: &Arc<History>, job: Job, now: Duration) {
        self.loads += 1;
        if self.worker.is_none() && !self.no_worker {
            match Worker::spawn(ctx.clone()) {
                Ok(w) => self.worker = Some(w),
                Err(e) => {
                    tracing::warn!("no history query thread ({e}); querying in the window");
                    self.no_worker = true;
                }
            }
        }
        let sent = self
            .worker
            .as_ref()
            .and_then(|w| w.tx.as_ref())
            .is_some_and(|tx| {
                tx.send(Ask {
                    job,
                    history: Arc::clone(history),
                })
                .is_ok()
            });
        let slot = match job {
            Job::View { .. } => &mut self.data,
            Job::Marks { .. } => &mut self.marks,
        };
        slot.pending = Some((job, now));
        if !sent {
            slot.take(run(history, job));
        }
    }

    /// Asks for what the view needs, if due, and schedules the repaint of the next refresh.
    fn keep_fresh(
        &mut self,
        ctx: &egui::Context,
        history: &Arc<History>,
        want: Job,
        refresh: Option<Duration>,
        now: Duration,
        marks: bool,
    ) {
        let slot = if marks { &self.marks } else { &self.data };
        if slot.due(want, refresh, now) {
            self.ask(ctx, history, want, now);
        }
        let slot = if marks { &self.marks } else { &self.data };
        if let (Some(every), Some(shown)) = (refresh, &slot.shown)
            && shown.job == want
        {
            ctx.request_repaint_after(every.saturating_sub(now.saturating_sub(shown.asked_at)));
        }
    }
}

/// Whether a view starting on `first` holds `today`.
fn holds(view: HistoryView, first: NaiveDate, today: NaiveDate) -> bool {
    match view {
        HistoryView::Day => first == today,
        HistoryView::Week => first <= today && today < first + TimeDelta::days(7),
        HistoryView::Month => (first.year(), first.month()) == (today.year(), today.month()),
    }
}

/// "Monday 2 June 2025".
pub(crate) fn long_date(date: NaiveDate) -> String {
    date.format("%A %-d %B %Y").to_string()
}

/// The title of a view: the day, "2–8 June 2025", "June 2025".
fn title(view: HistoryView, first: NaiveDate) -> String {
    match view {
        HistoryView::Day => long_date(first),
        HistoryView::Week => {
            let last = first + TimeDelta::days(6);
            if first.month() == last.month() {
                format!("{}–{}", first.format("%-d"), last.format("%-d %B %Y"))
            } else if first.year() == last.year() {
                format!("{} – {}", first.format("%-d %B"), last.format("%-d %B %Y"))
            } else {
                format!(
                    "{} – {}",
                    first.format("%-d %B %Y"),
                    last.format("%-d %B %Y")
                )
            }
        }
        HistoryView::Month => first.format("%B %Y").to_string(),
    }
}

/// The state in words (lower case, for hover text).
fn state_words(state: Option<PostureState>) -> &'static str {
    match state {
        Some(PostureState::Upright) => "upright",
        Some(PostureState::Slouched) => "slouched",
        Some(PostureState::LeaningBack) => "leaning back",
        Some(PostureState::Moving) => "moving",
        Some(PostureState::Uncalibrated) => "uncalibrated",
        Some(PostureState::NoData) | None => "not monitored",
    }
}

/// The colour of a state in the history views (Okabe–Ito).
fn state_colour(state: PostureState) -> egui::Color32 {
    match state {
        PostureState::Upright => theme::OI_GREEN,
        PostureState::Slouched => theme::OI_VERMILLION,
        PostureState::LeaningBack => theme::OI_BLUE,
        PostureState::Moving => theme::OI_ORANGE,
        PostureState::Uncalibrated => theme::OI_GREY,
        PostureState::NoData => theme::LIGHT.card_line,
    }
}

/// The small key shapes next to legend words (drawn: the bundled fonts have no such glyphs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Swatch {
    Square,
    Down,
    HollowDown,
    Up,
    Diamond,
    Line,
}

/// Draws a legend key, 12 points square.
fn swatch(ui: &mut Ui, colour: egui::Color32, shape: Swatch) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
    let p = ui.painter();
    let c = rect.center();
    let r = 5.0;
    let stroke = egui::Stroke::new(1.5, colour);
    let pts = |v: &[(f32, f32)]| -> Vec<egui::Pos2> {
        v.iter()
            .map(|(x, y)| egui::pos2(c.x + x * r, c.y + y * r))
            .collect()
    };
    match shape {
        Swatch::Square => {
            p.rect_filled(rect.shrink(1.0), 2.0, colour);
        }
        Swatch::Line => {
            p.line_segment(
                [rect.left_center(), rect.right_center()],
                egui::Stroke::new(2.0, colour),
            );
        }
        Swatch::Down | Swatch::HollowDown => {
            let v = pts(&[(-1.0, -0.8), (1.0, -0.8), (0.0, 0.9)]);
            if shape == Swatch::Down {
                p.add(egui::Shape::convex_polygon(v, colour, egui::Stroke::NONE));
            } else {
                p.add(egui::Shape::closed_line(v, stroke));
            }
        }
        Swatch::Up => {
            let v = pts(&[(-1.0, 0.8), (1.0, 0.8), (0.0, -0.9)]);
            p.add(egui::Shape::convex_polygon(v, colour, egui::Stroke::NONE));
        }
        Swatch::Diamond => {
            let v = pts(&[(0.0, -1.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 0.0)]);
            p.add(egui::Shape::convex_polygon(v, colour, egui::Stroke::NONE));
        }
    }
}

/// A figure in a card: caption and value in one label (read as "caption, value" by screen
/// readers and found as "caption\nvalue" by the UI tests), then a detail line.
fn card(ui: &mut Ui, caption: &str, value: &str, detail: &str, hover: &str) {
    egui::Frame::new()
        .fill(theme::card(ui))
        .stroke(egui::Stroke::new(1.0, theme::card_line(ui)))
        .corner_radius(8.0)
        .inner_margin(egui::Margin::symmetric(10, 6))
        .show(ui, |ui| {
            ui.set_width(136.0);
            ui.vertical(|ui| {
                let mut job = egui::text::LayoutJob::default();
                let style = ui.style().clone();
                RichText::new(caption)
                    .small()
                    .color(theme::MUTED)
                    .append_to(&mut job, &style, egui::FontSelection::Default, Align::Min);
                RichText::new(format!("\n{value}"))
                    .size(19.0)
                    .color(theme::ink(ui))
                    .strong()
                    .append_to(&mut job, &style, egui::FontSelection::Default, Align::Min);
                ui.label(job).on_hover_text(hover);
                ui.label(RichText::new(detail).small().color(theme::MUTED));
            });
        })
        .response
        .on_hover_text(hover);
}

/// The message for a history that cannot be opened or has nothing yet.
fn nothing_yet_ui(ui: &mut Ui, could_not_open: bool) {
    ui.add_space(30.0);
    ui.vertical_centered(|ui| {
        ui.label(
            RichText::new("No history yet: it fills as you wear the sensor.")
                .size(18.0)
                .strong()
                .color(theme::ink(ui)),
        );
        ui.add_space(6.0);
        let more = if could_not_open {
            "The history file could not be opened this time, so nothing is recorded; the note \
             at the bottom of the window says why."
        } else {
            "Each day you wear it shows here: time upright, slouches, alerts and breaks, hour by \
             hour. The demo sensor and replays are not recorded."
        };
        ui.label(RichText::new(more).color(theme::MUTED));
    });
}

/// The History tab. `history` is the engine's (`None` when it could not be opened);
/// `settings` gives the slouch threshold and the day start.
pub fn history_ui(
    ui: &mut Ui,
    panel: &mut HistoryPanel,
    history: Option<&Arc<History>>,
    settings: &Settings,
) {
    let Some(history) = history else {
        nothing_yet_ui(ui, true);
        return;
    };
    let day_start_min = settings.day_starts_at_min.min(720);
    let today = panel.today(day_start_min);
    let now = panel.clock.monotonic();
    panel.receive();

    nav_ui(ui, panel, history, today, day_start_min, now);
    if let Some(note) = &panel.exported {
        ui.label(RichText::new(note).small().color(theme::MUTED));
    }
    ui.add_space(6.0);

    let want = panel.view_job(today, day_start_min);
    let Job::View { view, first, .. } = want else {
        return;
    };
    let refresh = holds(view, first, today).then_some(match view {
        HistoryView::Day => TODAY_REFRESH,
        HistoryView::Week | HistoryView::Month => PERIOD_REFRESH,
    });
    panel.keep_fresh(ui.ctx(), history, want, refresh, now, false);

    match panel.data.current(want) {
        None => {
            ui.add_space(20.0);
            ui.label(RichText::new("Loading…").color(theme::MUTED));
        }
        Some(Err(e)) => {
            ui.add_space(20.0);
            ui.label(
                RichText::new(format!("Could not read the history: {e}"))
                    .color(theme::WARN)
                    .strong(),
            );
            if ui.button("Try again").clicked() {
                panel.data.shown = None;
                ui.ctx().request_repaint();
            }
        }
        Some(Ok(Loaded::Day(d))) => {
            if d.history_empty {
                nothing_yet_ui(ui, false);
            } else {
                egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        day::day_ui(ui, d, settings.posture.slouch_threshold_deg, today)
                    });
            }
        }
        Some(Ok(Loaded::Period(d))) => {
            if d.history_empty {
                nothing_yet_ui(ui, false);
            } else {
                egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .show(ui, |ui| period::period_ui(ui, d, today));
            }
        }
        Some(Ok(Loaded::Marks(_))) => {}
    }
}

/// Writes the report of the period on show as one HTML page in `<data dir>/reports/`, the
/// same page as `spinewatch report`; returns what to tell the wearer.
fn export_report(
    history: &Arc<History>,
    view: HistoryView,
    anchor: NaiveDate,
    day_start_min: u32,
) -> String {
    use crate::report::{Format, ReportPeriod, Thresholds};
    use chrono::Datelike;
    let period = match view {
        HistoryView::Day => ReportPeriod::Day(anchor),
        HistoryView::Week => ReportPeriod::Week(anchor),
        HistoryView::Month => ReportPeriod::Month {
            year: anchor.year(),
            month: anchor.month(),
        },
    };
    let paths = crate::paths::Paths::for_user();
    // Beside the history it is made from.
    let dir = history
        .path()
        .parent()
        .map_or_else(|| std::path::PathBuf::from("."), |d| d.join("reports"));
    let name = match period {
        ReportPeriod::Day(d) => format!("spinewatch-{d}.html"),
        ReportPeriod::Week(d) => format!("spinewatch-week-{}.html", d.format("%G-W%V")),
        ReportPeriod::Month { year, month } => format!("spinewatch-{year}-{month:02}.html"),
    };
    let path = dir.join(name);
    let result = (|| -> Result<(), String> {
        let days = crate::store::Days::in_local_zone(day_start_min).map_err(|e| e.to_string())?;
        let thresholds = Thresholds::from_settings_file(&paths.settings_file);
        let generated = chrono::Local::now().format("%Y-%m-%d %H:%M").to_string();
        let data = crate::report::build(history.as_ref(), &days, period, thresholds, generated)
            .map_err(|e| e.to_string())?;
        let bytes = crate::report::render(&data, Format::Html).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))
    })();
    match result {
        Ok(()) => format!("Report written to {}", path.display()),
        Err(e) => format!("No report: {e}"),
    }
}

/// View switch, previous / next, the title, back to today, the calendar.
fn nav_ui(
    ui: &mut Ui,
    panel: &mut HistoryPanel,
    history: &Arc<History>,
    today: NaiveDate,
    day_start_min: u32,
    now: Duration,
) {
    ui.horizontal(|ui| {
        for (view, label) in [
            (HistoryView::Day, "Day"),
            (HistoryView::Week, "Week"),
            (HistoryView::Month, "Month"),
        ] {
            if ui.selectable_label(panel.view == view, label).clicked() {
                panel.view = view;
            }
        }
        ui.separator();
        let anchor = panel.anchor(today);
        let (back, forward, home) = match panel.view {
            HistoryView::Day => ("Previous day", "Next day", "Today"),
            HistoryView::Week => ("Previous week", "Next week", "This week"),
            HistoryView::Month => ("Previous month", "Next month", "This month"),
        };
        let step = |forward: bool| -> Option<NaiveDate> {
            match panel.view {
                HistoryView::Day if forward => anchor.succ_opt(),
                HistoryView::Day => anchor.pred_opt(),
                HistoryView::Week if forward => anchor.checked_add_signed(TimeDelta::days(7)),
                HistoryView::Week => anchor.checked_sub_signed(TimeDelta::days(7)),
                HistoryView::Month if forward => anchor.checked_add_months(Months::new(1)),
                HistoryView::Month => anchor.checked_sub_months(Months::new(1)),
            }
        };
        let (earlier, later) = (step(false), step(true));
        let Job::View { first, .. } = panel.view_job(today, day_start_min) else {
            return;
        };
        let shows_today = holds(panel.view, first, today);
        if ui
            .add_enabled(earlier.is_some(), egui::Button::new(back))
            .clicked()
            && let Some(d) = earlier
        {
            panel.pick(d, today);
        }
        // The next period is open once it has begun (a week: its Monday is not after today).
        let later = later.filter(|_| !shows_today);
        if ui
            .add_enabled(later.is_some(), egui::Button::new(forward))
            .clicked()
            && let Some(d) = later
        {
            panel.pick(d.min(today), today);
        }
        ui.label(
            RichText::new(title(panel.view, first))
                .size(17.0)
                .strong()
                .color(theme::ink(ui)),
        );
        if shows_today {
            ui.label(RichText::new("today").color(theme::OI_GREEN).strong());
        }
        if ui
            .add_enabled(!shows_today, egui::Button::new(home))
            .clicked()
        {
            panel.picked = None;
        }
        if ui
            .button("Export report…")
            .on_hover_text("One page for you or your physical therapist (HTML, prints on A4), the same as `spinewatch report`")
            .clicked()
        {
            panel.exported = Some(export_report(history, panel.view, anchor, day_start_min));
        }
        let button = ui.button("Calendar").on_hover_text("Pick a day");
        let popup = egui::Popup::from_toggle_button_response(&button)
            .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside)
            .show(|ui| {
                let month = *panel
                    .calendar
                    .get_or_insert_with(|| anchor.with_day(1).unwrap_or(anchor));
                let want = Job::Marks {
                    first: month,
                    day_start_min,
                };
                let refresh = holds(HistoryView::Month, month, today).then_some(PERIOD_REFRESH);
                panel.keep_fresh(ui.ctx(), history, want, refresh, now, true);
                let marks = match panel.marks.current(want) {
                    Some(Ok(Loaded::Marks(m))) => Some(m.as_slice()),
                    _ => None,
                };
                calendar::calendar_ui(ui, month, marks, anchor, today)
            });
        match popup.map(|r| r.inner) {
            None => panel.calendar = None,
            Some(calendar::Picked::Day(d)) => {
                panel.pick(d, today);
                panel.calendar = None;
                egui::Popup::close_all(ui.ctx());
            }
            Some(calendar::Picked::Month(m)) => panel.calendar = Some(m),
            Some(calendar::Picked::Nothing) => {}
        }
        if shows_today {
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                let every = match panel.view {
                    HistoryView::Day => TODAY_REFRESH,
                    HistoryView::Week | HistoryView::Month => PERIOD_REFRESH,
                };
                ui.label(
                    RichText::new(format!("updates every {} s", every.as_secs()))
                        .small()
                        .color(theme::MUTED),
                );
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn titles_name_the_period() {
        assert_eq!(
            title(HistoryView::Day, date(2025, 6, 2)),
            "Monday 2 June 2025"
        );
        assert_eq!(title(HistoryView::Week, date(2025, 6, 2)), "2–8 June 2025");
        assert_eq!(
            title(HistoryView::Week, date(2025, 5, 26)),
            "26 May – 1 June 2025"
        );
        assert_eq!(title(HistoryView::Month, date(2025, 6, 1)), "June 2025");
    }

    #[test]
    fn a_view_holds_today_only_in_its_own_span() {
        let today = date(2025, 6, 2);
        assert!(holds(HistoryView::Day, today, today));
        assert!(!holds(HistoryView::Day, date(2025, 6, 1), today));
        assert!(holds(HistoryView::Week, date(2025, 6, 2), today));
        assert!(!holds(HistoryView::Week, date(2025, 5, 26), today));
        assert!(holds(HistoryView::Month, date(2025, 6, 1), today));
        assert!(!holds(HistoryView::Month, date(2025, 5, 1), today));
    }

    #[test]
    fn a_refresh_is_due_only_after_its_interval() {
        let job = Job::Marks {
            first: date(2025, 6, 1),
            day_start_min: 0,
        };
        let mut slot = Slot::default();
        assert!(slot.due(job, Some(TODAY_REFRESH), Duration::ZERO));
        slot.pending = Some((job, Duration::from_secs(1)));
        assert!(!slot.due(job, Some(TODAY_REFRESH), Duration::from_secs(60)));
        slot.take(Reply {
            job,
            result: Ok(Loaded::Marks(Vec::new())),
        });
        assert!(!slot.due(job, Some(TODAY_REFRESH), Duration::from_millis(5999)));
        assert!(slot.due(job, Some(TODAY_REFRESH), Duration::from_secs(6)));
        assert!(!slot.due(job, None, Duration::from_secs(3600)));
        let other = Job::Marks {
            first: date(2025, 5, 1),
            day_start_min: 0,
        };
        assert!(slot.due(other, None, Duration::from_secs(7)));
    }
}
