//! Wall-clock changes during a live session, through the whole live path as the window runs it:
//! a simulated device on a pty (in this process, playing a script of our own) → the engine on its
//! `pipeline` thread with an injected clock → the rules, the CSV recording and the history.
//!
//! The injected wall clock runs with the session (it reads the engine's published session time,
//! so the device can stream as fast as the engine takes it) plus a schedule of jumps: back an
//! hour, forward an hour, over local midnight; and across the Europe/Berlin DST changes in a
//! child process with `TZ` set (chrono's `Local` reads `TZ`; setting it in this multi-threaded
//! process would not be sound).
//!
//! What a demanding wearer expects, and what is checked:
//! - the rules run on session time: the slouch alert and the break reminder after 45 minutes of
//!   sitting come when the ideal monitor says, whatever the wall clock does;
//! - the recording's times are session times: strictly increasing, no gap, and its `started=`
//!   stamp is the wall time it began with the right UTC offset (also in the hour autumn's DST
//!   change shows twice);
//! - the history's day chart: every monitored second once (hours and days add up to the
//!   session's monitored time, no hour over 60 minutes, no interval overlapping another); a
//!   clock set back keeps the session on session time (no hour stored twice); a clock found an
//!   hour ahead is followed, the hour across not counted; a session over midnight is split
//!   between the two local days; a DST day has 23 or 25 hour slots and the time in the right
//!   ones; "today" restarts once at midnight, not again when the clock goes back over it.
#![cfg(target_os = "linux")]

#[path = "common/live.rs"]
mod live;
#[path = "common/oracle.rs"]
mod oracle;
#[path = "common/proc.rs"]
mod proc;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock, mpsc};
use std::time::{Duration, Instant};

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};
use spinewatch::app::clock::Clock;
use spinewatch::app::notifier::{AlertKind, MemoryNotifier};
use spinewatch::app::{Command, Engine, EngineFaults, EngineHandle, Paths};
use spinewatch::posture::{Config, EventKind};
use spinewatch::session::read_all;
use spinewatch::sim::device::{DeviceEvent, PtyOptions, Speed, run_pty};
use spinewatch::sim::{Mount, Script, Segment, SimOptions};
use spinewatch::store::query::DaySummary;
use spinewatch::store::{Days, History, HistoryOptions, WriterOptions};

const RATE_HZ: f64 = 25.0;
/// Simulated seconds per real second. Paced, not as fast as the engine reads: at full speed
/// one poll takes minutes of data at once, and a wall clock read between polls would then lag
/// the session by minutes, which no real wall clock does.
const SPEED: f64 = 150.0;
const SEED: u64 = 3;

/// A wall clock that runs with the session: `start` plus the engine's published session time,
/// plus the offset of the last jump at or before that session time (s).
#[derive(Clone)]
struct SessionWall {
    start: DateTime<Utc>,
    jumps: Vec<(f64, i64)>,
    handle: Arc<OnceLock<EngineHandle>>,
    real0: Instant,
}

impl SessionWall {
    fn session_s(&self) -> f64 {
        self.handle.get().map_or(0.0, |h| h.read(|s| s.now_s))
    }
}

impl Clock for SessionWall {
    fn utc_now(&self) -> DateTime<Utc> {
        let t = self.session_s();
        let offset_s = self
            .jumps
            .iter()
            .rev()
            .find(|(at, _)| *at <= t)
            .map_or(0, |&(_, o)| o);
        self.start + TimeDelta::milliseconds((t * 1000.0).round() as i64 + offset_s * 1000)
    }

    fn local_now(&self) -> NaiveDateTime {
        self.utc_now().with_timezone(&Local).naive_local()
    }

    fn monotonic(&self) -> Duration {
        self.real0.elapsed()
    }
}

fn upright(duration_s: f64) -> Segment {
    Segment::Upright {
        duration_s,
        flexion_deg: 3.0,
        lateral_deg: 0.0,
    }
}

fn slouch(hold_s: f64) -> Segment {
    Segment::Slouch {
        creep_s: 5.0,
        hold_s,
        flexion_deg: 38.0,
        lateral_deg: 0.0,
    }
}

/// What one run left behind.
struct Run {
    paths: Paths,
    /// Session time at the end, s; the window's today counters then.
    end_s: f64,
    today: spinewatch::app::store::Today,
    notices: Vec<String>,
    alerts: Vec<AlertKind>,
    ideal: oracle::Ideal,
    /// Recordings, in the order they were started.
    recordings: Vec<PathBuf>,
    _dir: tempfile::TempDir,
}

/// Plays `script` live with the wall clock starting at `start` and jumping as `jumps` say;
/// the record button is pressed at each session time of `record_at_s` (a recording running is
/// stopped first).
fn run(script: Script, start: DateTime<Utc>, jumps: Vec<(f64, i64)>, record_at_s: &[f64]) -> Run {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let paths = Paths::under(&dir.path().join("home"));
    let link = dir.path().join("sensor-link");
    let options = SimOptions {
        rate_hz: RATE_HZ,
        seed: SEED,
        mount: Mount::Random,
        dropout_prob: 0.0,
        ..SimOptions::default()
    };
    live::write_settings_for(&paths, &link, &script, &options);
    let ideal = oracle::ideal(&script, &options, &Config::default());
    let duration_s = script.duration_s();

    // The device, in this process: its own script.
    let pty = PtyOptions {
        seed: SEED,
        script: Some(script),
        rate_hz: RATE_HZ,
        speed: Speed::Factor(SPEED),
        link: Some(link.clone()),
        linger: Duration::from_secs(2),
        ..PtyOptions::default()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let (ready_tx, ready) = mpsc::channel();
    let device = {
        let stop = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("test-device".into())
            .spawn(move || {
                run_pty(&pty, &stop, &mut |e| {
                    if matches!(e, DeviceEvent::Ready { .. }) {
                        let _gone = ready_tx.send(());
                    }
                })
            })
            .unwrap_or_else(|e| panic!("device thread: {e}"))
    };
    ready
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("the device made no pty: {e}"));

    let slot = Arc::new(OnceLock::new());
    let clock = SessionWall {
        start,
        jumps,
        handle: Arc::clone(&slot),
        real0: Instant::now(),
    };
    let notifier = MemoryNotifier::default();
    let (engine, handle) = Engine::with_faults(
        live::engine_options(paths.clone(), false),
        Box::new(clock),
        Box::new(notifier.clone()),
        EngineFaults {
            recording: None,
            history: HistoryOptions {
                writer: WriterOptions {
                    commit_every_s: 0.2,
                    ..WriterOptions::default()
                },
            },
        },
    );
    let _set = slot.set(handle.clone());
    let thread = engine
        .spawn()
        .unwrap_or_else(|e| panic!("pipeline thread: {e}"));
    let started = Instant::now();
    let mut pending_records: Vec<f64> = record_at_s.to_vec();
    let mut last = (0.0, Instant::now());
    let end_s = loop {
        std::thread::sleep(Duration::from_millis(2));
        let now_s = handle.read(|s| s.now_s);
        if pending_records.first().is_some_and(|&t| now_s >= t) {
            pending_records.remove(0);
            handle.send(Command::StopRecording);
            handle.send(Command::StartRecording);
        }
        if now_s != last.0 {
            last = (now_s, Instant::now());
        }
        // The device has sent the whole day (it lingers a little) and the engine has taken it.
        let done = device.is_finished() && last.1.elapsed() > Duration::from_secs(1);
        if now_s >= duration_s - 1.0 || done {
            break now_s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "stuck at {now_s:.0} s of {duration_s:.0} s"
        );
    };
    handle.send(Command::StopRecording);
    let (today, notices) =
        handle.read(|s| (s.today, s.notices.iter().cloned().collect::<Vec<_>>()));
    handle.send(Command::Shutdown);
    thread
        .join()
        .unwrap_or_else(|_| panic!("the pipeline thread panicked"));
    drop(handle);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _report = device.join();
    println!(
        "{duration_s:.0} s simulated at {RATE_HZ} Hz in {:.1} s wall",
        started.elapsed().as_secs_f64()
    );
    // In the order they began (their names are local times, which need not sort so on a day
    // the clock goes back).
    let mut recordings: Vec<(DateTime<Utc>, PathBuf)> = std::fs::read_dir(&paths.sessions_dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .map(|p| (check_recording(&p).0.with_timezone(&Utc), p))
        .collect();
    recordings.sort();
    let recordings = recordings.into_iter().map(|(_, p)| p).collect();
    let alerts = notifier
        .alerts
        .lock()
        .map(|a| a.clone())
        .unwrap_or_default();
    Run {
        paths,
        end_s,
        today,
        notices,
        alerts,
        ideal,
        recordings,
        _dir: dir,
    }
}

/// The ideal monitor's slouch alerts (with repeats) and break reminders.
fn ideal_counts(ideal: &oracle::Ideal) -> (usize, usize) {
    let count = |f: fn(&EventKind) -> bool| ideal.events.iter().filter(|e| f(&e.kind)).count();
    (
        count(|k| matches!(k, EventKind::SlouchAlert { .. })),
        count(|k| matches!(k, EventKind::BreakReminder { .. })),
    )
}

fn ideal_time(ideal: &oracle::Ideal, f: fn(&EventKind) -> bool) -> f64 {
    ideal
        .events
        .iter()
        .find(|e| f(&e.kind))
        .map(|e| e.time_s)
        .unwrap_or_else(|| panic!("the ideal monitor has the event"))
}

/// A recording: rows read back, strictly increasing, whole (no step over 0.1 s); its
/// `started=` stamp; its length, s.
fn check_recording(path: &Path) -> (DateTime<chrono::FixedOffset>, f64) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{e}"));
    let (meta, rows) = read_all(&bytes[..], "rec").unwrap_or_else(|e| panic!("{e}"));
    assert!(!rows.is_empty(), "{} has rows", path.display());
    assert!(
        rows.windows(2)
            .all(|w| w[1].t_s > w[0].t_s && w[1].t_s - w[0].t_s < 0.1),
        "the recording's times run on, strictly and without a gap"
    );
    assert!(rows[0].t_s < 0.1, "starts at 0 s: {}", rows[0].t_s);
    let started = meta
        .other
        .iter()
        .find(|(k, _)| k == "started")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no started= in {}", path.display()));
    let at =
        DateTime::parse_from_rfc3339(&started).unwrap_or_else(|e| panic!("started={started}: {e}"));
    (at, rows.last().map_or(0.0, |r| r.t_s))
}

/// The day chart's data for `date` in `days`; asserts what holds for any day: no hour over 60
/// minutes, the hours add up to the day.
fn day<Tz: TimeZone>(history: &History, days: &Days<Tz>, date: NaiveDate) -> DaySummary {
    let d = history.day(days, date).unwrap_or_else(|e| panic!("{e}"));
    let hours = d.hours.clone().unwrap_or_default();
    let sum: f64 = hours.iter().map(|h| h.monitored_s).sum();
    assert!(
        (sum - d.figures.monitored_s).abs() < 0.01,
        "{date}: hours {sum} s, day {} s",
        d.figures.monitored_s
    );
    assert!(
        hours
            .iter()
            .all(|h| h.monitored_s >= 0.0 && h.monitored_s <= 3600.0),
        "{date}: {:?}",
        hours.iter().map(|h| h.monitored_s).collect::<Vec<_>>()
    );
    d
}

/// The stored intervals never overlap (no second copy of any time) and the session is one.
fn check_history_intact(history: &History) {
    let (overlaps, sessions): (i64, i64) = history
        .read(|c| {
            let sql = |source| spinewatch::store::StoreError::Sql {
                doing: "checking intervals",
                source,
            };
            let overlaps = c
                .query_row(
                    "SELECT COUNT(*) FROM intervals a JOIN intervals b \
                     ON a.rowid < b.rowid AND a.start_ms < b.end_ms AND b.start_ms < a.end_ms",
                    [],
                    |r| r.get(0),
                )
                .map_err(sql)?;
            let sessions = c
                .query_row("SELECT COUNT(*) FROM sessions", [], |r| r.get(0))
                .map_err(sql)?;
            Ok((overlaps, sessions))
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(overlaps, 0, "no time stored twice");
    assert_eq!(sessions, 1);
}

fn open_history(paths: &Paths) -> History {
    History::open(&paths.history_file, HistoryOptions::default())
        .unwrap_or_else(|e| panic!("the history opens: {e}"))
}

fn hour_s(d: &DaySummary, hour: u32) -> Vec<f64> {
    d.hours
        .iter()
        .flatten()
        .filter(|h| h.hour == hour)
        .map(|h| h.monitored_s)
        .collect()
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .unwrap_or_else(|| panic!("a UTC time"))
}

#[test]
fn the_wall_clock_jumping_back_and_forward_an_hour_leaves_rules_recording_and_history_right() {
    // 54 minutes: a slouch long enough for an alert and its repeat, then sitting on past the
    // 45-minute break reminder.
    let script = Script::from_segments_seeded(
        vec![
            Segment::Calibrate,
            upright(300.0),
            slouch(150.0),
            upright(2800.0),
        ],
        SEED,
    );
    let start = utc(2026, 11, 24, 9, 0);
    // Back an hour at 10 min, put right (forward an hour) at 20 min, an hour ahead at 33 min.
    let (back_at, right_at, ahead_at) = (600.0, 1200.0, 2000.0);
    let r = run(
        script,
        start,
        vec![(back_at, -3600), (right_at, 0), (ahead_at, 3600)],
        &[5.0],
    );
    let (ideal_alerts, ideal_reminders) = ideal_counts(&r.ideal);
    println!(
        "end {:.0} s, today {:?}, alerts {:?}, ideal {ideal_alerts} slouch alerts and {ideal_reminders} break reminders, notices {:?}",
        r.end_s, r.today, r.alerts, r.notices
    );
    // The rules, on session time.
    assert!(ideal_reminders >= 1 && ideal_alerts >= 1);
    assert_eq!(r.today.alerts as usize, ideal_alerts);
    assert_eq!(r.today.break_reminders as usize, ideal_reminders);
    let kinds = |k: AlertKind| r.alerts.iter().filter(|&&a| a == k).count();
    assert_eq!(kinds(AlertKind::Slouch), ideal_alerts, "{:?}", r.alerts);
    assert_eq!(
        kinds(AlertKind::BreakReminder),
        ideal_reminders,
        "{:?}",
        r.alerts
    );
    assert!(r.notices.is_empty(), "{:?}", r.notices);

    // The recording: session times, and the wall time it began.
    assert_eq!(r.recordings.len(), 1);
    let (started, length_s) = check_recording(&r.recordings[0]);
    let lag_s = (started.with_timezone(&Utc) - start).num_milliseconds() as f64 / 1000.0;
    assert!(
        (0.0..=20.0).contains(&lag_s),
        "started {started}, {lag_s} s in"
    );
    assert!(
        (length_s - (r.end_s - lag_s)).abs() < 15.0,
        "{length_s} s recorded of {} s",
        r.end_s
    );

    // The history: nothing twice; the clock set back and put right changed nothing; the hour
    // ahead at 33 min is followed, the hour across it empty.
    let history = open_history(&r.paths);
    check_history_intact(&history);
    let days = Days::new(Utc, 0).unwrap_or_else(|e| panic!("{e}"));
    let d = day(&history, &days, start.date_naive());
    let total = d.figures.monitored_s;
    assert!(
        (total - r.today.monitored_s).abs() < 5.0,
        "history {total} s, the window {} s",
        r.today.monitored_s
    );
    let (nine, ten) = (hour_s(&d, 9), hour_s(&d, 10));
    println!("history: {total:.0} s monitored; 09 h {nine:?}, 10 h {ten:?}");
    // 09:00–09:33:20 on session time (the jumps back and right again moved nothing), then
    // 10:33:20 to the end: the 27 minutes from 09:33 to 10:33 are empty.
    assert!(
        nine[0] >= ahead_at - 60.0 && nine[0] <= ahead_at + 30.0,
        "09 h holds the first 33 min: {nine:?}"
    );
    assert!(
        (ten[0] - (total - nine[0])).abs() < 0.01 && ten[0] <= r.end_s - ahead_at + 60.0,
        "10 h holds the rest: {ten:?}"
    );
    // Alerts where they happened: the slouch alert on session time from 09:00, the break
    // reminder (after the hour ahead) an hour later than session time says.
    let stored: Vec<(String, i64)> = history
        .read(|c| {
            let sql = |source| spinewatch::store::StoreError::Sql {
                doing: "listing the alerts",
                source,
            };
            let mut q = c
                .prepare("SELECT kind, at_ms FROM alerts ORDER BY at_ms")
                .map_err(sql)?;
            let rows = q
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(sql)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(sql)
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let at = |kind: &str| -> f64 {
        stored
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, ms)| (*ms - start.timestamp_millis()) as f64 / 1000.0)
            .unwrap_or_else(|| panic!("no {kind} in {stored:?}"))
    };
    let slouch_t = ideal_time(&r.ideal, |k| matches!(k, EventKind::SlouchAlert { .. }));
    let reminder_t = ideal_time(&r.ideal, |k| matches!(k, EventKind::BreakReminder { .. }));
    println!(
        "alerts stored at {:.1} s and {:.1} s after 09:00 (ideal {slouch_t:.1} s, {reminder_t:.1} s + 3600 s)",
        at("slouch_alert"),
        at("break_reminder")
    );
    assert!((at("slouch_alert") - slouch_t).abs() < 5.0);
    assert!((at("break_reminder") - (reminder_t + 3600.0)).abs() < 60.0);
}

#[test]
fn local_midnight_and_a_clock_set_back_over_it_start_today_once() {
    // 23:50 local; at 00:05 the clock goes back to 23:05, at 00:10 (session time) it is put
    // right again. A slouch alert before midnight, another after.
    let script = Script::from_segments_seeded(
        vec![
            Segment::Calibrate,
            upright(200.0),
            slouch(100.0),
            upright(700.0),
            slouch(100.0),
            upright(400.0),
        ],
        SEED,
    );
    let local_start = NaiveDate::from_ymd_opt(2026, 11, 24)
        .and_then(|d| d.and_hms_opt(23, 50, 0))
        .unwrap_or_default();
    let start = Local
        .from_local_datetime(&local_start)
        .earliest()
        .unwrap_or_else(|| panic!("23:50 exists"))
        .with_timezone(&Utc);
    let r = run(script, start, vec![(900.0, -3600), (1200.0, 0)], &[2.0]);
    println!(
        "end {:.0} s, today {:?}, notices {:?}",
        r.end_s, r.today, r.notices
    );
    let new_days: Vec<&String> = r
        .notices
        .iter()
        .filter(|n| n.starts_with("a new day"))
        .collect();
    assert_eq!(new_days.len(), 1, "today starts once: {:?}", r.notices);
    assert_eq!(r.notices.len(), 1, "{:?}", r.notices);
    // Today is what came after midnight (the second slouch's alerts only).
    let (ideal_alerts, _) = ideal_counts(&r.ideal);
    let after_midnight = r
        .ideal
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::SlouchAlert { .. }) && e.time_s > 600.0)
        .count();
    assert!(after_midnight >= 1 && after_midnight < ideal_alerts);
    assert_eq!(r.today.alerts as usize, after_midnight);
    assert!(
        (r.today.monitored_s - (r.end_s - 600.0)).abs() < 20.0,
        "today counts from midnight: {} s",
        r.today.monitored_s
    );
    let (started, _) = check_recording(&r.recordings[0]);
    assert_eq!(
        started.naive_local().date(),
        local_start.date(),
        "{started}"
    );

    // The day chart: 10 minutes on the 24th (23 h), the rest on the 25th (00 h), nothing twice.
    let history = open_history(&r.paths);
    check_history_intact(&history);
    let days = Days::in_local_zone(0).unwrap_or_else(|e| panic!("{e}"));
    let d24 = day(&history, &days, local_start.date());
    let d25 = day(
        &history,
        &days,
        local_start.date().succ_opt().unwrap_or_default(),
    );
    println!(
        "history: 24th {:.0} s (23 h {:?}), 25th {:.0} s (00 h {:?})",
        d24.figures.monitored_s,
        hour_s(&d24, 23),
        d25.figures.monitored_s,
        hour_s(&d25, 0)
    );
    assert!((d24.figures.monitored_s - 600.0).abs() < 5.0);
    assert!((hour_s(&d24, 23)[0] - d24.figures.monitored_s).abs() < 0.01);
    let whole = d24.figures.monitored_s + d25.figures.monitored_s;
    assert!((whole - r.end_s).abs() < 10.0, "{whole} s of {} s", r.end_s);
    assert!((hour_s(&d25, 0)[0] - d25.figures.monitored_s).abs() < 0.01);
    assert_eq!(d25.figures.slouch_alerts as usize, after_midnight);
}

const CHILD: &str = "SPINEWATCH_TZ_CHILD";

/// Runs the `--ignored` test `name` in a child of this test binary with `TZ` set.
fn in_berlin(name: &str) {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("TZ", "Europe/Berlin")
        .env(CHILD, "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run the child: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    println!("{text}");
    assert!(out.status.success(), "{text}\n{err}");
    assert!(text.contains("1 passed"), "{text}");
}

/// 40 minutes: upright, a slouch with its alert, upright.
fn dst_script() -> Script {
    Script::from_segments_seeded(
        vec![
            Segment::Calibrate,
            upright(600.0),
            slouch(100.0),
            upright(1680.0),
        ],
        SEED,
    )
}

#[test]
fn a_dst_change_in_spring_while_monitoring() {
    in_berlin("berlin_spring");
}

#[test]
fn a_dst_change_in_autumn_while_monitoring() {
    in_berlin("berlin_autumn");
}

#[test]
#[ignore = "run by a_dst_change_in_spring_while_monitoring with TZ=Europe/Berlin"]
fn berlin_spring() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    // 01:40 CET (00:40 UTC); at 02:00 the clock skips to 03:00 CEST.
    let start = utc(2026, 3, 29, 0, 40);
    let r = run(dst_script(), start, Vec::new(), &[2.0]);
    assert!(
        r.notices.is_empty(),
        "no new day, nothing else: {:?}",
        r.notices
    );
    let (ideal_alerts, _) = ideal_counts(&r.ideal);
    assert_eq!(r.today.alerts as usize, ideal_alerts);
    let (started, _) = check_recording(&r.recordings[0]);
    assert_eq!(started.offset().local_minus_utc(), 3600, "CET: {started}");
    let history = open_history(&r.paths);
    check_history_intact(&history);
    let days = Days::in_local_zone(0).unwrap_or_else(|e| panic!("{e}"));
    let d = day(&history, &days, start.date_naive());
    let hours = d.hours.clone().unwrap_or_default();
    println!(
        "spring: {} hour slots; 01 h {:?}, 02 h {:?}, 03 h {:?}; day {:.0} s",
        hours.len(),
        hour_s(&d, 1),
        hour_s(&d, 2),
        hour_s(&d, 3),
        d.figures.monitored_s
    );
    assert_eq!(hours.len(), 23, "a 23-hour day");
    assert!(hour_s(&d, 2).is_empty(), "no 2 o'clock");
    assert!((hour_s(&d, 1)[0] - 1200.0).abs() < 25.0, "01:40–02:00 CET");
    assert!((d.figures.monitored_s - r.today.monitored_s).abs() < 5.0);
    assert!((hour_s(&d, 3)[0] - (d.figures.monitored_s - hour_s(&d, 1)[0])).abs() < 0.01);
}

#[test]
#[ignore = "run by a_dst_change_in_autumn_while_monitoring with TZ=Europe/Berlin"]
fn berlin_autumn() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    // 02:40 CEST (00:40 UTC); at 03:00 CEST the clock goes back to 02:00 CET. A second
    // recording starts at 02:05 CET, in the hour shown twice.
    let start = utc(2026, 10, 25, 0, 40);
    let r = run(dst_script(), start, Vec::new(), &[2.0, 1500.0]);
    assert!(
        r.notices.is_empty(),
        "no new day, nothing else: {:?}",
        r.notices
    );
    assert_eq!(r.recordings.len(), 2, "{:?}", r.recordings);
    let (first, _) = check_recording(&r.recordings[0]);
    let (second, _) = check_recording(&r.recordings[1]);
    println!("recordings started {first} and {second}");
    assert_eq!(first.offset().local_minus_utc(), 7200, "CEST: {first}");
    assert_eq!(second.offset().local_minus_utc(), 3600, "CET: {second}");
    let second_in_s = (second.with_timezone(&Utc) - start).num_milliseconds() as f64 / 1000.0;
    assert!((second_in_s - 1500.0).abs() < 20.0, "{second}");
    let history = open_history(&r.paths);
    check_history_intact(&history);
    let days = Days::in_local_zone(0).unwrap_or_else(|e| panic!("{e}"));
    let d = day(&history, &days, start.date_naive());
    let hours = d.hours.clone().unwrap_or_default();
    let twos = hour_s(&d, 2);
    println!(
        "autumn: {} hour slots; 02 h twice {twos:?}; day {:.0} s",
        hours.len(),
        d.figures.monitored_s
    );
    assert_eq!(hours.len(), 25, "a 25-hour day");
    assert_eq!(twos.len(), 2, "2 o'clock twice");
    assert!(
        (twos[0] - 1200.0).abs() < 25.0,
        "02:40–03:00 CEST: {twos:?}"
    );
    assert!((twos[0] + twos[1] - d.figures.monitored_s).abs() < 0.01);
    assert!((d.figures.monitored_s - r.today.monitored_s).abs() < 5.0);
}
