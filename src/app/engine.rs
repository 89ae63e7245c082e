//! The pipeline thread: polls the active source, runs every sample through [`Pipeline`] (the
//! same code as the headless replay), fires alerts (banner, desktop notification, vibration),
//! records, and publishes what the window shows to the bounded [`Shared`] store.
//!
//! Alerts come from here, not from drawing, so they work while the window is minimised. The
//! window is woken at most about four times a second for live data, and only while it is
//! visible; alerts and answers to commands wake it at once.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Timelike};

use crate::pipeline::{Pipeline, WindowCapture, human_duration};
use crate::posture::exercises::EXERCISES;
use crate::posture::{Calibration, Event, EventKind, PostureState};
use crate::sample::ImuSample;
use crate::session::{CalibrationWindows, SessionError, SessionMeta};
use crate::source::{LinkState, SampleSource, SourceEvent, SourceKind};

use super::clock::{Clock, seconds_until_midnight};
use super::command::{Command, SnoozeLength, SourceChoice};
use super::demo::DemoSource;
use super::notifier::Notifier;
use super::ports;
use super::recorder::{Recorder, list_sessions};
use super::replay_source::{self, ReplaySource};
use super::state::{self, Paths, Settings};
use super::store::{
    Banner, BannerKind, MarkerKind, Overview, RecordingView, ReplayView, Shared, Toast, Today,
    WizardView,
};
use super::wizard::{Outcome, Wizard};

/// Wakes the window; the argument is how soon a repaint is wanted.
pub type Waker = Box<dyn Fn(Duration) + Send>;

/// Live data wakes the window at most this often (an angle display needs no more).
const LIVE_REPAINT_EVERY: Duration = Duration::from_millis(250);
/// How long the "back upright" confirmation shows, seconds.
const TOAST_S: f64 = 6.0;
/// The resting pose must be far from any calibrated pose this long to suggest recalibrating.
const MOVED_AFTER_S: f64 = 20.0;

/// What to open at start-up.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum StartSource {
    /// A sensor if one is found, otherwise the demo.
    #[default]
    Auto,
    Demo,
    /// A recorded session in the replay player.
    Replay(PathBuf),
}

/// How the engine is set up.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub paths: Paths,
    pub start: StartSource,
    /// Samples per poll for an unpaced replay (smaller steps finer, for tests).
    pub replay_batch: usize,
    /// Save settings changes to disk.
    pub persist: bool,
    /// Seed of the demo wearer.
    pub demo_seed: u64,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            paths: Paths::for_user(),
            start: StartSource::Auto,
            replay_batch: replay_source::DEFAULT_BATCH,
            persist: true,
            demo_seed: 7,
        }
    }
}

/// The UI's side: send commands, read the store, install the waker.
#[derive(Clone)]
pub struct EngineHandle {
    tx: Sender<Command>,
    shared: Arc<Mutex<Shared>>,
    waker: Arc<Mutex<Option<Waker>>>,
    visible: Arc<AtomicBool>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl EngineHandle {
    pub fn send(&self, command: Command) {
        // The engine gone means the app is closing; nothing to do.
        let _ = self.tx.send(command);
    }

    /// Reads the store (briefly: the pipeline thread waits while this runs).
    pub fn read<R>(&self, f: impl FnOnce(&Shared) -> R) -> R {
        f(&lock(&self.shared))
    }

    /// Lets the UI mark what it has seen (e.g. the window's visibility).
    pub fn set_visible(&self, visible: bool) {
        self.visible.store(visible, Ordering::Relaxed);
    }

    pub fn set_waker(&self, waker: Waker) {
        *lock(&self.waker) = Some(waker);
    }
}

enum Active {
    Demo(Box<DemoSource>),
    Live(Box<dyn SampleSource>),
    Replay(Box<ReplaySource>),
}

impl Active {
    fn source(&mut self) -> &mut dyn SampleSource {
        match self {
            Self::Demo(d) => d.as_mut(),
            Self::Live(l) => l.as_mut(),
            Self::Replay(r) => r.as_mut(),
        }
    }

    fn source_ref(&self) -> &dyn SampleSource {
        match self {
            Self::Demo(d) => d.as_ref(),
            Self::Live(l) => l.as_ref(),
            Self::Replay(r) => r.as_ref(),
        }
    }

    fn is_replay(&self) -> bool {
        matches!(self, Self::Replay(_))
    }
}

/// The engine; [`Engine::spawn`] runs it on the "pipeline" thread, tests call
/// [`Engine::tick`] themselves for determinism.
pub struct Engine {
    rx: Receiver<Command>,
    pending: VecDeque<Command>,
    shared: Arc<Mutex<Shared>>,
    waker: Arc<Mutex<Option<Waker>>>,
    visible: Arc<AtomicBool>,
    options: EngineOptions,
    clock: Box<dyn Clock>,
    notifier: Box<dyn Notifier>,
    settings: Settings,
    active: Active,
    /// The live source to go back to after a replay.
    live_choice: SourceChoice,
    pipeline: Pipeline,
    events: Vec<Event>,
    source_events: Vec<SourceEvent>,
    wizard: Wizard,
    /// The demo wearer's own calibration poses (the demo calibrates itself at the start).
    auto_windows: Option<(CalibrationWindows, WindowCapture)>,
    /// Calibration of the replayed file (from it, or from the wizard during the replay).
    replay_calibration: Option<Calibration>,
    replay_note: String,
    scan_rx: Option<Receiver<Result<Overview, SessionError>>>,
    recorder: Option<Recorder>,
    /// Wall time the last sample arrived: silence is judged by this, never by comparing the
    /// wall clock with sample time (a device's clock drifts and may start late).
    last_sample_at: Instant,
    now_s: f64,
    prev_t_s: Option<f64>,
    last_state: Option<PostureState>,
    today: Today,
    today_date: Option<NaiveDate>,
    rate_window: (Instant, u64),
    snooze_until_s: Option<f64>,
    snooze_label: Option<String>,
    meeting: bool,
    quiet_now: bool,
    applied_snooze: Option<f64>,
    last_clock_check: Option<Instant>,
    awaiting_correction: bool,
    far_since_s: Option<f64>,
    banner_seq: u64,
    last_wake: Instant,
    changed: bool,
    urgent: bool,
}

impl Engine {
    /// Builds the engine and its handle; loads settings (a broken file becomes a notice) and
    /// opens the start-up source.
    pub fn new(
        options: EngineOptions,
        clock: Box<dyn Clock>,
        notifier: Box<dyn Notifier>,
    ) -> (Engine, EngineHandle) {
        let loaded = state::load_settings(&options.paths.settings_file);
        let settings = loaded.settings;
        let mut shared = Shared::new(settings.clone(), options.paths.sessions_dir.clone());
        for w in loaded.warnings {
            shared.notice(w);
        }
        shared.sessions = list_sessions(&options.paths.sessions_dir);
        shared.ports = ports::list_ports();
        let (tx, rx) = mpsc::channel();
        let shared = Arc::new(Mutex::new(shared));
        let waker: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let visible = Arc::new(AtomicBool::new(true));
        let handle = EngineHandle {
            tx,
            shared: Arc::clone(&shared),
            waker: Arc::clone(&waker),
            visible: Arc::clone(&visible),
        };
        let demo = DemoSource::new(options.demo_seed);
        let mut engine = Engine {
            rx,
            pending: VecDeque::new(),
            shared,
            waker,
            visible,
            pipeline: Pipeline::new(settings.posture.clone(), Some(100.0)),
            clock,
            notifier,
            settings,
            active: Active::Demo(Box::new(demo)),
            live_choice: SourceChoice::Demo,
            events: Vec::new(),
            source_events: Vec::new(),
            wizard: Wizard::new(),
            auto_windows: None,
            replay_calibration: None,
            replay_note: String::new(),
            scan_rx: None,
            recorder: None,
            last_sample_at: Instant::now(),
            now_s: 0.0,
            prev_t_s: None,
            last_state: None,
            today: Today::default(),
            today_date: None,
            rate_window: (Instant::now(), 0),
            snooze_until_s: None,
            snooze_label: None,
            meeting: false,
            quiet_now: false,
            applied_snooze: None,
            last_clock_check: None,
            awaiting_correction: false,
            far_since_s: None,
            banner_seq: 0,
            last_wake: Instant::now(),
            changed: true,
            urgent: false,
            options,
        };
        let shared = Arc::clone(&engine.shared);
        let mut sh = lock(&shared);
        match engine.options.start.clone() {
            StartSource::Replay(path) => {
                engine.use_live(&mut sh, SourceChoice::Demo, false);
                engine.open_replay(&mut sh, &path);
            }
            StartSource::Demo => engine.use_live(&mut sh, SourceChoice::Demo, false),
            StartSource::Auto => {
                let port = engine
                    .settings
                    .port
                    .clone()
                    .or_else(|| ports::probe_sensor(Duration::from_millis(800)));
                let choice = match port {
                    Some(p) => SourceChoice::Serial {
                        port: Some(p),
                        baud: engine.settings.baud,
                    },
                    None => SourceChoice::Demo,
                };
                engine.use_live(&mut sh, choice, false);
            }
        }
        drop(sh);
        (engine, handle)
    }

    /// Runs the engine on the "pipeline" thread until `Shutdown` or the UI goes away.
    pub fn spawn(mut self) -> std::io::Result<JoinHandle<()>> {
        std::thread::Builder::new()
            .name("pipeline".into())
            .spawn(move || {
                while self.tick() {
                    self.wait();
                }
            })
    }

    /// Sleeps until the source wants polling again or a command arrives.
    fn wait(&mut self) {
        let interval = self
            .active
            .source_ref()
            .poll_interval()
            .min(Duration::from_millis(100));
        if interval.is_zero() {
            return;
        }
        match self.rx.recv_timeout(interval) {
            Ok(c) => self.pending.push_back(c),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => self.pending.push_back(Command::Shutdown),
        }
    }

    /// One round: commands, one poll of the source, publishing, waking the window. Returns
    /// false once shut down.
    pub fn tick(&mut self) -> bool {
        let shared = Arc::clone(&self.shared);
        let mut sh = lock(&shared);
        loop {
            let command = match self.pending.pop_front() {
                Some(c) => c,
                None => match self.rx.try_recv() {
                    Ok(c) => c,
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => Command::Shutdown,
                },
            };
            if !self.handle(&mut sh, command) {
                self.shutdown(&mut sh);
                drop(sh);
                self.wake(true);
                return false;
            }
            self.changed = true;
            self.urgent = true;
        }

        self.source_events.clear();
        let mut source_events = std::mem::take(&mut self.source_events);
        self.active.source().poll(&mut source_events);
        for event in source_events.drain(..) {
            match event {
                SourceEvent::Sample(s) => self.on_sample(&mut sh, &s),
                SourceEvent::Lost { t_s, reason } => {
                    self.pipeline_event(
                        &mut sh,
                        Event {
                            time_s: t_s,
                            kind: EventKind::SensorLost {
                                reason: reason.clone(),
                            },
                        },
                    );
                    if let Some(r) = &mut self.recorder {
                        let _ = r.comment(&format!("sensor lost: {reason}"));
                    }
                    if self.active.is_replay() {
                        sh.notice(format!("replay stopped: {reason}"));
                    }
                    self.urgent = true;
                }
                SourceEvent::Back { gap_s, .. } => {
                    // The sensor may have moved while away: forget the orientation.
                    self.pipeline.restart_filter();
                    if let Some(r) = &mut self.recorder {
                        let _ = r.comment(&format!("sensor back after {gap_s:.1} s"));
                    }
                    self.urgent = true;
                }
                SourceEvent::Info(info) => {
                    sh.source = info;
                    self.urgent = true;
                }
                SourceEvent::Calibration { t_s, calibration } => {
                    // Taken while the session was recorded: it applies from here on, as it did
                    // live.
                    match Calibration::from_metadata(&calibration) {
                        Ok(c) => {
                            self.pipeline.set_calibration(Some(c));
                            sh.calibrated = true;
                            sh.push_marker(t_s, MarkerKind::Calibrated);
                        }
                        Err(e) => {
                            sh.notice(format!("a calibration in the session was skipped: {e}"))
                        }
                    }
                    self.urgent = true;
                }
            }
        }
        self.source_events = source_events;
        self.after_poll(&mut sh);
        drop(sh);
        self.wake(false);
        true
    }

    /// Ticks until an unpaced replay or seek has caught up and no command is waiting (tests).
    pub fn run_until_idle(&mut self, max_ticks: usize) {
        for _ in 0..max_ticks {
            self.tick();
            let busy = match &self.active {
                Active::Replay(r) => {
                    r.seeking().is_some()
                        || (r.playing() && r.speed().factor().is_none() && !r.ended())
                }
                _ => false,
            };
            if !busy && self.pending.is_empty() && self.scan_rx.is_none() {
                return;
            }
            if self.scan_rx.is_some() && !busy {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }

    fn wake(&mut self, force: bool) {
        let visible = self.visible.load(Ordering::Relaxed);
        let due = self.last_wake.elapsed() >= LIVE_REPAINT_EVERY;
        let wake = force || self.urgent || (self.changed && visible && due);
        if wake {
            if let Some(w) = &*lock(&self.waker) {
                w(Duration::from_millis(1));
            }
            self.last_wake = Instant::now();
            self.urgent = false;
            self.changed = false;
        }
    }

    // ---- samples -------------------------------------------------------------------------

    fn on_sample(&mut self, sh: &mut Shared, s: &ImuSample) {
        if let Some(r) = &mut self.recorder
            && let Err(e) = r.write(s)
        {
            sh.notice(format!("recording stopped: {e}"));
            self.recorder = None;
            sh.recording = None;
        }
        self.rate_window.1 += 1;
        self.last_sample_at = Instant::now();
        let step = self.pipeline.process(s, &mut self.events);
        let t = s.t_s;
        self.now_s = t;

        if self.wizard.running() {
            let config = self.pipeline.config().clone();
            let previous = self.pipeline.calibration().copied();
            if let Some(outcome) = self.wizard.feed(s, &step.pose, &config, previous.as_ref()) {
                match outcome {
                    Outcome::Calibrated(c) => self.apply_calibration(sh, c, t),
                    Outcome::Failed(reason) => {
                        tracing::info!("calibration failed: {reason}");
                    }
                }
                self.urgent = true;
            }
            sh.wizard = self.wizard.view();
        }
        if let Some((windows, capture)) = &mut self.auto_windows {
            capture.add(windows, s, &step.pose);
            // Applied once the wearer is back upright (the lean window ends at the deepest point).
            if t > windows.end_s() + 4.0 {
                let result = capture.calibrate(self.pipeline.config(), None);
                self.auto_windows = None;
                if let Ok(c) = result
                    && self.pipeline.calibration().is_none()
                    && !self.wizard.running()
                {
                    self.apply_calibration(sh, c, t);
                }
            }
        }

        // Counters.
        let dt = self.prev_t_s.map_or(0.0, |p| {
            (t - p).clamp(0.0, self.pipeline.config().sensor_gap_s)
        });
        self.prev_t_s = Some(t);
        let state = step.posture.state;
        self.today.monitored_s += dt;
        if state == PostureState::Slouched {
            self.today.slouched_s += dt;
        }
        if self.last_state != Some(state) {
            self.last_state = Some(state);
            sh.state_since_s = t;
        }
        self.check_moved(sh, &step.posture, step.pose.flags.resting);
        sh.ring.push(t, step.posture.flexion_deg);
        sh.posture = Some(step.posture);
        sh.now_s = t;

        let events = std::mem::take(&mut self.events);
        for e in events.iter().cloned() {
            self.pipeline_event(sh, e);
        }
        self.events = events;
        self.events.clear();
        self.changed = true;
    }

    /// "Far from any calibrated pose" while resting: side bend or flexion no sitting posture
    /// produces, held for a while, means the sensor probably moved on the body.
    fn check_moved(&mut self, sh: &mut Shared, p: &crate::pipeline::PostureUpdate, resting: bool) {
        let (Some(f), Some(l)) = (p.flexion_deg, p.lateral_deg) else {
            self.far_since_s = None;
            return;
        };
        let far = l.abs() > 30.0 || !(-40.0..=80.0).contains(&f);
        let near = l.abs() < 20.0 && (-30.0..=60.0).contains(&f);
        if far && resting {
            let since = *self.far_since_s.get_or_insert(p.t_s);
            if p.t_s - since >= MOVED_AFTER_S && !sh.sensor_moved {
                sh.sensor_moved = true;
                self.urgent = true;
            }
        } else if near {
            self.far_since_s = None;
            if sh.sensor_moved {
                sh.sensor_moved = false;
                self.urgent = true;
            }
        }
    }

    fn apply_calibration(&mut self, sh: &mut Shared, c: Calibration, t_s: f64) {
        self.pipeline.set_calibration(Some(c));
        sh.calibrated = true;
        sh.sensor_moved = false;
        self.far_since_s = None;
        sh.push_marker(t_s, MarkerKind::Calibrated);
        let text = c.to_metadata();
        if let Some(r) = &mut self.recorder {
            let _ = r.note_calibration(&text);
        }
        match &self.active {
            Active::Live(_) => {
                self.settings.calibration = Some(text);
                sh.settings.calibration = self.settings.calibration.clone();
                self.save_settings(sh);
            }
            Active::Replay(r) => {
                self.replay_calibration = Some(c);
                self.replay_note = "calibrated with the wizard during this replay".into();
                let path = r.path().to_path_buf();
                self.start_scan(&path);
                if let Some(v) = &mut sh.replay {
                    v.calibration_note = self.replay_note.clone();
                }
            }
            Active::Demo(_) => {}
        }
    }

    fn pipeline_event(&mut self, sh: &mut Shared, e: Event) {
        let replay = self.active.is_replay();
        let seeking = match &self.active {
            Active::Replay(r) => r.seeking().is_some(),
            _ => false,
        };
        match e.kind {
            EventKind::SlouchAlert {
                held_s,
                flexion_deg,
                ..
            } => {
                self.today.alerts += 1;
                sh.push_marker(e.time_s, MarkerKind::SlouchAlert);
                self.awaiting_correction = true;
                if seeking {
                    return;
                }
                self.banner_seq += 1;
                sh.banner = Some(Banner {
                    id: self.banner_seq,
                    t_s: e.time_s,
                    kind: BannerKind::Slouch {
                        held_s,
                        flexion_deg,
                    },
                });
                if !replay {
                    if self.settings.notifications {
                        self.notifier.notify(
                            "Time to sit up",
                            &format!(
                                "You have been slouching for {} ({flexion_deg:.0}°). Sit back against the backrest, shoulders back.",
                                human_duration(held_s)
                            ),
                        );
                    }
                    if self.settings.vibration {
                        self.active.source().vibrate(400, 70);
                    }
                    if self.settings.sound {
                        self.notifier.chime();
                    }
                }
                self.urgent = true;
            }
            EventKind::SlouchEnd { alerts, .. } if alerts > 0 && self.awaiting_correction => {
                self.awaiting_correction = false;
                if matches!(
                    sh.banner.as_ref().map(|b| &b.kind),
                    Some(BannerKind::Slouch { .. })
                ) {
                    sh.banner = None;
                }
                if !seeking {
                    sh.toast = Some(Toast {
                        text: "Nice, you are sitting upright again.".into(),
                        until_s: e.time_s + TOAST_S,
                    });
                }
                self.urgent = true;
            }
            EventKind::BreakReminder {
                sitting_s,
                exercise,
                dose,
            } => {
                self.today.break_reminders += 1;
                sh.push_marker(e.time_s, MarkerKind::BreakReminder);
                if seeking {
                    return;
                }
                let how = EXERCISES
                    .iter()
                    .find(|x| x.name == exercise)
                    .map(|x| x.how.to_string())
                    .unwrap_or_default();
                if !replay && self.settings.notifications {
                    self.notifier.notify(
                        "Time for a short break",
                        &format!(
                            "You have been sitting for {}. Try: {exercise} ({dose}).",
                            human_duration(sitting_s)
                        ),
                    );
                }
                if !replay && self.settings.vibration {
                    self.active.source().vibrate(250, 50);
                }
                if !replay && self.settings.sound {
                    self.notifier.chime();
                }
                self.banner_seq += 1;
                sh.banner = Some(Banner {
                    id: self.banner_seq,
                    t_s: e.time_s,
                    kind: BannerKind::Break {
                        exercise,
                        dose,
                        how,
                    },
                });
                self.urgent = true;
            }
            EventKind::BreakTaken { .. } => {
                self.today.breaks += 1;
                if matches!(
                    sh.banner.as_ref().map(|b| &b.kind),
                    Some(BannerKind::Break { .. })
                ) {
                    sh.banner = None;
                    sh.toast = Some(Toast {
                        text: "Break taken: the sitting clock starts again.".into(),
                        until_s: e.time_s + TOAST_S,
                    });
                }
                self.urgent = true;
            }
            EventKind::SensorLost { .. } | EventKind::SensorBack { .. } => self.urgent = true,
            _ => {}
        }
    }

    /// Housekeeping after each poll: link state, rate, snooze, quiet hours, day change,
    /// recording flush, overview scan, publishing.
    fn after_poll(&mut self, sh: &mut Shared) {
        let (link, stats) = self.active.source_ref().link();
        if link != sh.link {
            self.urgent = true;
        }
        sh.link = link;
        sh.link_stats = stats;
        let info = self.active.source_ref().info();
        if info != sh.source {
            sh.source = info;
            self.urgent = true;
        }
        let (since, count) = self.rate_window;
        if since.elapsed() >= Duration::from_secs(2) {
            let rate = count as f64 / since.elapsed().as_secs_f64();
            sh.measured_rate_hz = (!self.active.is_replay() && count > 0).then_some(rate);
            self.rate_window = (Instant::now(), 0);
        }

        // Live sources: silence means no data.
        if !self.active.is_replay() {
            let last_t_s = self.pipeline.last().map(|step| step.posture.t_s);
            let now_s = last_t_s.map(|t| t + self.last_sample_at.elapsed().as_secs_f64());
            if let Some(update) = now_s.and_then(|now_s| self.pipeline.idle(now_s))
                && sh.posture.map(|p| p.state) != Some(PostureState::NoData)
            {
                sh.posture = Some(update);
                sh.state_since_s = update.t_s;
                self.last_state = Some(PostureState::NoData);
                self.urgent = true;
            }
        }

        self.check_clock(sh);
        if let Some(until) = self.snooze_until_s
            && self.now_s >= until
        {
            self.snooze_until_s = None;
            self.snooze_label = None;
            self.urgent = true;
        }
        self.apply_snooze(sh);

        if let Some(toast) = &sh.toast
            && self.now_s > toast.until_s
        {
            sh.toast = None;
            self.urgent = true;
        }

        if let Some(r) = &mut self.recorder {
            if let Err(e) = r.maybe_flush() {
                sh.notice(format!("recording stopped: {e}"));
                self.recorder = None;
                sh.recording = None;
            } else {
                sh.recording = Some(RecordingView {
                    path: r.path().to_path_buf(),
                    samples: r.samples(),
                    duration_s: r.duration_s(),
                });
            }
        }

        if let Some(rx) = &self.scan_rx {
            match rx.try_recv() {
                Ok(result) => {
                    self.scan_rx = None;
                    match result {
                        Ok(overview) => {
                            if let Some(v) = &mut sh.replay {
                                v.end_s = Some(overview.end_s);
                                v.overview = Some(overview);
                            }
                        }
                        Err(e) => sh.notice(format!("could not read the whole session: {e}")),
                    }
                    self.urgent = true;
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => self.scan_rx = None,
            }
        }

        if let Active::Replay(r) = &self.active
            && let Some(v) = &mut sh.replay
        {
            let was = (v.playing, v.ended, v.seeking, v.speed);
            v.position_s = r.position_s();
            v.playing = r.playing();
            v.ended = r.ended();
            v.seeking = r.seeking();
            v.speed = r.speed();
            if let Some(start) = r.start_s() {
                v.start_s = start;
            }
            if was != (v.playing, v.ended, v.seeking, v.speed) {
                self.urgent = true;
            }
        }

        self.today.since_break_s = self.pipeline.rules().sitting_s();
        self.today.held_back = self.pipeline.rules().stats().suppressed;
        sh.today = self.today;
        sh.calibrated = self.pipeline.calibration().is_some();
        sh.snooze.until_s = self.snooze_until_s;
        sh.snooze.label = self.snooze_label.clone();
        sh.snooze.meeting = self.meeting;
        sh.snooze.quiet_hours = self.quiet_now;
        let works = self.notifier.works();
        if works != sh.notifications_work {
            if works == Some(false) && self.settings.notifications {
                sh.notice(
                    "desktop notifications are not available here; alerts show in this window",
                );
            }
            sh.notifications_work = works;
            self.urgent = true;
        }
        if self.changed || self.urgent {
            sh.version = sh.version.wrapping_add(1);
        }
    }

    /// Quiet hours and the day boundary follow the wall clock (live sources only).
    fn check_clock(&mut self, sh: &mut Shared) {
        if self.active.is_replay() {
            self.quiet_now = false;
            return;
        }
        if self
            .last_clock_check
            .is_some_and(|t| t.elapsed() < Duration::from_secs(5))
        {
            return;
        }
        self.last_clock_check = Some(Instant::now());
        let now = self.clock.local_now();
        let minute = now.hour() * 60 + now.minute();
        let quiet = self.settings.quiet_hours.contains(minute);
        if quiet != self.quiet_now {
            self.quiet_now = quiet;
            self.urgent = true;
        }
        let date = now.date();
        if self.today_date.is_some_and(|d| d != date) {
            self.today = Today::default();
            sh.notice("a new day: today's counters start again");
        }
        self.today_date = Some(date);
    }

    fn apply_snooze(&mut self, _sh: &mut Shared) {
        let effective = if self.meeting || self.quiet_now {
            Some(f64::INFINITY)
        } else {
            self.snooze_until_s
        };
        if effective != self.applied_snooze {
            let mut events = Vec::new();
            self.pipeline.snooze(self.now_s, effective, &mut events);
            self.applied_snooze = effective;
            self.urgent = true;
        }
    }

    // ---- commands ------------------------------------------------------------------------

    fn handle(&mut self, sh: &mut Shared, command: Command) -> bool {
        tracing::debug!("command {command:?}");
        match command {
            Command::Shutdown => return false,
            Command::StartCalibration => {
                if let Active::Demo(d) = &mut self.active {
                    // The simulated wearer follows the wizard: it sits up, then leans.
                    d.start_calibration();
                    self.pipeline.restart_filter();
                    self.auto_windows = None;
                }
                self.wizard.start();
                sh.wizard = self.wizard.view();
            }
            Command::CancelCalibration => {
                self.wizard.cancel();
                sh.wizard = WizardView::Idle;
            }
            Command::ClearCalibration => {
                self.pipeline.set_calibration(None);
                sh.calibrated = false;
                sh.sensor_moved = false;
                if matches!(self.active, Active::Live(_)) {
                    self.settings.calibration = None;
                    sh.settings.calibration = None;
                    self.save_settings(sh);
                }
            }
            Command::Snooze(length) => {
                let seconds = match length {
                    SnoozeLength::Minutes(m) => f64::from(m) * 60.0,
                    SnoozeLength::UntilTomorrow => seconds_until_midnight(self.clock.local_now()),
                };
                self.snooze_until_s = Some(self.now_s + seconds);
                self.snooze_label = Some(length.label());
                sh.banner = None;
            }
            Command::EndSnooze => {
                self.snooze_until_s = None;
                self.snooze_label = None;
            }
            Command::SetMeetingMode(on) => {
                self.meeting = on;
                if on {
                    sh.banner = None;
                }
            }
            Command::SetSettings(new) => self.set_settings(sh, *new),
            Command::UseSource(choice) => {
                if self.active.is_replay() {
                    self.close_replay(sh);
                }
                self.use_live(sh, choice, true);
            }
            Command::RefreshPorts => sh.ports = ports::list_ports(),
            Command::RefreshSessions => {
                sh.sessions = list_sessions(&self.options.paths.sessions_dir);
            }
            Command::OpenSession(path) => self.open_replay(sh, &path),
            Command::CloseReplay => {
                if self.active.is_replay() {
                    self.close_replay(sh);
                    let choice = self.live_choice.clone();
                    self.use_live(sh, choice, false);
                }
            }
            Command::StartRecording => self.start_recording(sh),
            Command::StopRecording => self.stop_recording(sh),
            Command::ReplayPlay => {
                if let Active::Replay(r) = &mut self.active {
                    r.play();
                }
            }
            Command::ReplayPause => {
                if let Active::Replay(r) = &mut self.active {
                    r.pause();
                }
            }
            Command::ReplaySpeed(speed) => {
                if let Active::Replay(r) = &mut self.active {
                    r.set_speed(speed);
                }
            }
            Command::ReplaySeek(target) => self.seek(sh, target),
            Command::DismissBanner => sh.banner = None,
            Command::BreakDone => {
                sh.banner = None;
                self.today.breaks += 1;
                sh.toast = Some(Toast {
                    text: "Well done. Back to work, upright.".into(),
                    until_s: self.now_s + TOAST_S,
                });
            }
        }
        true
    }

    fn save_settings(&mut self, sh: &mut Shared) {
        if self.options.persist
            && let Err(e) = state::save_settings(&self.options.paths.settings_file, &self.settings)
        {
            sh.notice(format!(
                "could not save settings to {}: {e}",
                self.options.paths.settings_file.display()
            ));
        }
    }

    fn set_settings(&mut self, sh: &mut Shared, new: Settings) {
        if let Err(e) = new.validate() {
            sh.notice(format!("settings not applied: {e}"));
            return;
        }
        let reopen = (new.port.clone(), new.baud)
            != (self.settings.port.clone(), self.settings.baud)
            && matches!(self.active, Active::Live(_));
        if new.posture != *self.pipeline.config() {
            self.pipeline.set_config(new.posture.clone());
        }
        // The calibration belongs to the engine; a stale copy from the panel must not undo it.
        let calibration = self.settings.calibration.clone();
        self.settings = Settings { calibration, ..new };
        sh.settings = self.settings.clone();
        self.last_clock_check = None;
        self.save_settings(sh);
        if reopen {
            let choice = SourceChoice::Serial {
                port: self.settings.port.clone(),
                baud: self.settings.baud,
            };
            self.use_live(sh, choice, true);
        }
    }

    fn reset_session(&mut self, sh: &mut Shared, rate_hint: Option<f64>) {
        self.pipeline = Pipeline::new(self.settings.posture.clone(), rate_hint);
        self.applied_snooze = None;
        self.prev_t_s = None;
        self.last_state = None;
        self.today = Today::default();
        self.now_s = 0.0;
        self.far_since_s = None;
        self.awaiting_correction = false;
        self.wizard.cancel();
        self.auto_windows = None;
        self.last_sample_at = Instant::now();
        sh.wizard = WizardView::Idle;
        sh.ring.clear();
        sh.markers.clear();
        sh.banner = None;
        sh.toast = None;
        sh.posture = None;
        sh.state_since_s = 0.0;
        sh.now_s = 0.0;
        sh.sensor_moved = false;
        sh.measured_rate_hz = None;
    }

    fn use_live(&mut self, sh: &mut Shared, choice: SourceChoice, user_asked: bool) {
        self.stop_recording(sh);
        let active = match &choice {
            SourceChoice::Demo => None,
            SourceChoice::Serial { port, baud } => match ports::open_serial(port.clone(), *baud) {
                Ok(source) => Some(source),
                Err(e) => {
                    if user_asked || port.is_some() {
                        sh.notice(format!("{e}; showing the demo sensor instead"));
                    }
                    None
                }
            },
        };
        match active {
            Some(source) => {
                let rate = source.info().rate_hz;
                self.reset_session(sh, rate);
                let stored = self
                    .settings
                    .calibration
                    .as_deref()
                    .and_then(|t| Calibration::from_metadata(t).ok());
                self.pipeline.set_calibration(stored);
                self.active = Active::Live(source);
                self.live_choice = choice;
            }
            None => {
                self.reset_session(sh, Some(100.0));
                let demo = DemoSource::new(self.options.demo_seed);
                self.auto_windows = demo
                    .calibration_windows()
                    .map(|w| (w, WindowCapture::default()));
                self.active = Active::Demo(Box::new(demo));
                self.live_choice = SourceChoice::Demo;
            }
        }
        sh.replay = None;
        sh.source = self.active.source_ref().info();
    }

    fn open_replay(&mut self, sh: &mut Shared, path: &Path) {
        let mut source = match ReplaySource::open(path) {
            Ok(s) => s,
            Err(e) => {
                sh.notice(format!("could not open the session: {e}"));
                return;
            }
        };
        if self.recorder.is_some() {
            self.stop_recording(sh);
        }
        source.set_batch(self.options.replay_batch);
        let (calibration, note) =
            replay_source::file_calibration(path, source.meta(), &self.settings.posture);
        self.reset_session(sh, source.meta().rate_hz);
        self.pipeline.set_calibration(calibration);
        self.replay_calibration = calibration;
        self.replay_note = note;
        sh.replay = Some(ReplayView {
            path: path.to_path_buf(),
            start_s: 0.0,
            end_s: None,
            position_s: 0.0,
            playing: false,
            speed: source.speed(),
            seeking: None,
            ended: false,
            overview: None,
            calibration_note: self.replay_note.clone(),
        });
        sh.source = source.info();
        self.active = Active::Replay(Box::new(source));
        self.start_scan(path);
    }

    fn start_scan(&mut self, path: &Path) {
        let (tx, rx) = mpsc::channel();
        let path = path.to_path_buf();
        let config = self.settings.posture.clone();
        let calibration = self.replay_calibration;
        let spawned = std::thread::Builder::new()
            .name("replay-scan".into())
            .spawn(move || {
                let _ = tx.send(replay_source::scan(&path, &config, calibration));
            });
        self.scan_rx = spawned.is_ok().then_some(rx);
    }

    fn close_replay(&mut self, sh: &mut Shared) {
        self.scan_rx = None;
        sh.replay = None;
    }

    fn seek(&mut self, sh: &mut Shared, target: f64) {
        let Active::Replay(r) = &mut self.active else {
            return;
        };
        if target > r.position_s() {
            r.seek_forward(target);
            return;
        }
        // Back: run again from the start up to the target, unpaced.
        let (path, playing, speed) = (r.path().to_path_buf(), r.playing(), r.speed());
        let mut fresh = match ReplaySource::open(&path) {
            Ok(s) => s,
            Err(e) => {
                sh.notice(format!("could not reopen the session: {e}"));
                return;
            }
        };
        fresh.set_batch(self.options.replay_batch);
        fresh.set_speed(speed);
        if playing {
            fresh.play();
        }
        let calibration = self.replay_calibration;
        let rate = fresh.meta().rate_hz;
        let overview = sh.replay.as_ref().and_then(|v| v.overview.clone());
        self.reset_session(sh, rate);
        self.pipeline.set_calibration(calibration);
        fresh.seek_forward(target);
        if let Some(v) = &mut sh.replay {
            v.overview = overview;
            v.position_s = 0.0;
            v.ended = false;
        }
        self.active = Active::Replay(Box::new(fresh));
    }

    fn start_recording(&mut self, sh: &mut Shared) {
        if self.recorder.is_some() {
            return;
        }
        if self.active.is_replay() {
            sh.notice("recording is for live data; close the replay first");
            return;
        }
        let info = self.active.source_ref().info();
        let meta = SessionMeta {
            device: Some(match &info.port {
                Some(p) => format!("{} ({p})", info.label),
                None => info.label.clone(),
            }),
            rate_hz: info.rate_hz.or(sh.measured_rate_hz),
            calibration: self.pipeline.calibration().map(Calibration::to_metadata),
            ..SessionMeta::default()
        };
        let stamp = self
            .clock
            .local_now()
            .format("%Y-%m-%dT%H-%M-%S")
            .to_string();
        match Recorder::start(&self.options.paths.sessions_dir, &stamp, &meta) {
            Ok(r) => {
                sh.recording = Some(RecordingView {
                    path: r.path().to_path_buf(),
                    samples: 0,
                    duration_s: 0.0,
                });
                self.recorder = Some(r);
            }
            Err(e) => sh.notice(format!(
                "could not start recording in {}: {e}",
                self.options.paths.sessions_dir.display()
            )),
        }
    }

    fn stop_recording(&mut self, sh: &mut Shared) {
        let Some(r) = self.recorder.take() else {
            return;
        };
        sh.recording = None;
        match r.finish() {
            Ok(path) => {
                sh.toast = Some(Toast {
                    text: format!("Recording saved to {}", path.display()),
                    until_s: self.now_s + TOAST_S,
                });
            }
            Err(e) => sh.notice(format!("recording could not be finished: {e}")),
        }
        sh.sessions = list_sessions(&self.options.paths.sessions_dir);
    }

    fn shutdown(&mut self, sh: &mut Shared) {
        self.stop_recording(sh);
        sh.stopped = true;
    }

    /// Kind of the active source (for tests and the status line).
    pub fn source_kind(&self) -> SourceKind {
        self.active.source_ref().info().kind
    }

    /// The link state of the active source.
    pub fn link(&self) -> LinkState {
        self.active.source_ref().link().0
    }
}
