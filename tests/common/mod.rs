//! Shared rig for the UI tests: a scripted session written to a temporary directory, the
//! engine driven step by step on the test thread (no pipeline thread, no wall clock), and the
//! window drawn by egui_kittest.

#![allow(dead_code)]

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use spinewatch::app::clock::FixedClock;
use spinewatch::app::engine::StartSource;
use spinewatch::app::notifier::MemoryNotifier;
use spinewatch::app::store::Shared;
use spinewatch::app::{Engine, EngineHandle, EngineOptions, Paths};
use spinewatch::session::{SessionMeta, SessionWriter};
use spinewatch::sim::{Script, Segment, SimOptions, Simulator};
use spinewatch::ui::SpinewatchApp;

use chrono::NaiveDate;
use spinewatch::app::clock::ManualClock;
use spinewatch::store::synth;
use spinewatch::store::{
    Days, FeedOptions, History, HistoryFeed, Record, SessionSource, SessionStart, SessionToken,
    Store,
};

pub fn slouch(hold_s: f64) -> Segment {
    Segment::Slouch {
        creep_s: 3.0,
        hold_s,
        flexion_deg: 35.0,
        lateral_deg: 0.0,
    }
}

pub fn upright(duration_s: f64) -> Segment {
    Segment::Upright {
        duration_s,
        flexion_deg: 2.0,
        lateral_deg: 0.0,
    }
}

/// Writes a simulated session at 100 Hz; with `store_windows` the file carries its calibration
/// windows (so a replay is calibrated from the start).
pub fn write_session(
    dir: &Path,
    name: &str,
    segments: Vec<Segment>,
    store_windows: bool,
) -> PathBuf {
    let script = Script::from_segments(segments);
    let windows = script.calibration_windows();
    let sim = Simulator::new(
        script,
        SimOptions {
            seed: 11,
            ..SimOptions::default()
        },
    );
    let meta = SessionMeta {
        device: Some("simulated wearer".into()),
        rate_hz: Some(100.0),
        calibration_windows: windows.filter(|_| store_windows),
        ..SessionMeta::default()
    };
    let path = dir.join(name);
    let file = File::create(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut w = SessionWriter::new(BufWriter::new(file), &meta).unwrap_or_else(|e| panic!("{e}"));
    for (s, _) in sim {
        w.write_sample(&s).unwrap_or_else(|e| panic!("{e}"));
    }
    w.flush().unwrap_or_else(|e| panic!("{e}"));
    path
}

pub struct Rig {
    pub engine: Engine,
    pub handle: EngineHandle,
    pub harness: Harness<'static, SpinewatchApp>,
    pub notifier: MemoryNotifier,
    pub dir: tempfile::TempDir,
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

/// A rig over `dir` (settings and recordings live there), opening `start`. Unpaced replays
/// advance `batch` samples per engine tick.
pub fn rig_in(dir: tempfile::TempDir, start: StartSource, batch: usize) -> Rig {
    let notifier = MemoryNotifier::default();
    let noon = chrono::NaiveDate::from_ymd_opt(2025, 6, 2)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .unwrap_or_default();
    let (engine, handle) = Engine::new(
        EngineOptions {
            paths: Paths::under(dir.path()),
            start,
            replay_batch: batch,
            persist: true,
            demo_seed: 3,
        },
        Box::new(FixedClock(noon)),
        Box::new(notifier.clone()),
    );
    let app = SpinewatchApp::new(handle.clone());
    let harness = Harness::builder()
        .with_size([1040.0, 700.0])
        .build_ui_state(|ui, app: &mut SpinewatchApp| app.show(ui), app);
    let mut rig = Rig {
        engine,
        handle,
        harness,
        notifier,
        dir,
    };
    rig.settle();
    rig
}

impl Rig {
    /// Lets the engine take pending commands and catch up, then redraws.
    pub fn settle(&mut self) {
        self.harness.run();
        self.engine.run_until_idle(100_000);
        self.harness.run();
    }

    /// One engine tick, then a redraw.
    pub fn tick(&mut self) {
        self.harness.run();
        self.engine.tick();
        self.harness.run();
    }

    pub fn read<R>(&self, f: impl FnOnce(&Shared) -> R) -> R {
        self.handle.read(f)
    }

    pub fn click(&mut self, label: &str) {
        self.harness.get_by_label(label).click();
        self.harness.run();
    }

    pub fn has(&self, label: &str) -> bool {
        self.harness.query_by_label(label).is_some()
    }

    pub fn has_text(&self, part: &str) -> bool {
        self.harness
            .query_all_by_label_contains(part)
            .next()
            .is_some()
    }

    /// Ticks until `done` holds (at most `max` ticks); returns whether it did.
    pub fn tick_until(&mut self, max: usize, done: impl Fn(&Shared) -> bool) -> bool {
        for _ in 0..max {
            if self.read(&done) {
                self.harness.run();
                return true;
            }
            self.engine.tick();
        }
        self.harness.run();
        self.read(done)
    }

    /// Picks a replay speed through the Speed combo box.
    pub fn choose_speed(&mut self, label: &str) {
        self.click("Speed");
        self.click(label);
        self.settle();
    }
}

/// The rig's "today": the engine's fixed clock, noon on Monday 2 June 2025.
pub fn rig_noon() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2025, 6, 2)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .unwrap_or_default()
}

/// `hh:mm` local time on `day`, UTC seconds (in whatever zone the tests run: `TZ` is honoured,
/// as by the window).
pub fn local_s(day: NaiveDate, hh: u32, mm: u32) -> f64 {
    let days = Days::in_local_zone(0).unwrap_or_else(|e| panic!("{e}"));
    days.day_start_ms(day) as f64 / 1000.0 + f64::from(hh * 3600 + mm * 60)
}

/// One synthetic session from `start_utc_s`, at 1 Hz with the events the rules would give,
/// fed into `feed`'s sink and finished.
fn play_session<S: spinewatch::store::RecordSink>(
    feed: &mut HistoryFeed<S>,
    segments: &[synth::Segment],
) {
    let end = synth::play(feed, 0.0, segments, 1.0, true);
    feed.finish(end);
}

fn session_start(start_utc_s: f64) -> SessionStart {
    SessionStart {
        source: SessionSource::Live {
            device: "synthetic".into(),
        },
        started_utc_s: start_utc_s,
        t0_s: 0.0,
    }
}

/// Writes synthetic sessions (start, segments) into the history file under `dir`, before
/// the engine opens it.
pub fn fill_history(dir: &Path, sessions: &[(f64, Vec<synth::Segment>)]) {
    let path = Paths::under(dir).history_file;
    let mut store = Store::open(&path).unwrap_or_else(|e| panic!("{e}"));
    for (i, (start, segments)) in sessions.iter().enumerate() {
        let mut feed = HistoryFeed::new(
            Vec::<Record>::new(),
            SessionToken(i as u64),
            session_start(*start),
            // Only the finished records matter here (and debug builds are slow).
            FeedOptions {
                heartbeat_s: 3600.0,
                ..FeedOptions::default()
            },
        );
        play_session(&mut feed, segments);
        store
            .apply(&std::mem::take(feed.sink_mut()))
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Adds one synthetic session to a history the engine has open, and waits for it to be written.
pub fn add_to_history(history: &History, start_utc_s: f64, segments: &[synth::Segment]) {
    let mut feed = history.begin_session(
        session_start(start_utc_s),
        FeedOptions {
            heartbeat_s: 3600.0,
            wait_when_full: true,
            ..FeedOptions::default()
        },
    );
    play_session(&mut feed, segments);
    history.flush().unwrap_or_else(|e| panic!("{e}"));
}

/// A rig on the demo sensor whose History tab tells the day by `clock` (the engine's date:
/// 2 June 2025, noon) instead of the system clock.
pub fn history_rig(dir: tempfile::TempDir) -> (Rig, ManualClock) {
    let mut rig = rig_in(dir, StartSource::Demo, 100);
    let clock = ManualClock::new(rig_noon());
    rig.harness
        .state_mut()
        .history
        .set_clock(Box::new(clock.clone()));
    (rig, clock)
}

impl Rig {
    /// Draws frames until the History tab has no load on its way (at most 20 s), then settles.
    pub fn wait_history(&mut self) {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            self.harness.step();
            if !self.harness.state().history.busy() {
                break;
            }
            assert!(
                std::time::Instant::now() < until,
                "the history view is still loading"
            );
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        self.harness.run();
    }

    /// Clicks `label` and waits for the History tab's load.
    pub fn click_history(&mut self, label: &str) {
        // Not `click`: its `run` fails when the load outlasts its few frames (a busy machine),
        // since the view asks for frames while it waits.
        self.harness.get_by_label(label).click();
        self.wait_history();
    }

    /// The label's widget is greyed out.
    pub fn disabled(&self, label: &str) -> bool {
        use egui_kittest::kittest::NodeT;
        self.harness
            .get_by_label(label)
            .accesskit_node()
            .is_disabled()
    }
}
