//! The pipeline thread: polls the active source and hands what it yields to the
//! [`SessionDriver`] (the same code as the headless replay and `record`), whose facts reach the
//! window's data ([`LiveView`]), the recorder ([`RecordingControl`]) and the calibration wizard.
//! The parts each do one job and are tested on their own: alert presentation
//! ([`super::alerts`]), the snooze policy ([`super::snooze`]), replay control
//! ([`super::replay_control`]), recording ([`super::recording`]), the today counters
//! ([`super::today`]) and the snapshot publishing ([`super::publish`]). The engine only
//! dispatches commands and wires the parts together.
//!
//! Alerts come from here, not from drawing, so they work while the window is minimised. The
//! window is woken at most about four times a second for live data, and only while it is
//! visible; alerts and answers to commands wake it at once.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::posture::{Calibration, Config};
use crate::session::{
    CalibrationOrigin, CaptureMode, Fact, SessionDriver, Sink, SinkError, StartCalibration,
};
use crate::source::demo::DemoSource;
use crate::source::replay::{DEFAULT_BATCH, ReplaySource};
use crate::source::{LinkState, SampleSource, SourceEvent, SourceInfo, SourceKind};

use super::alerts::{AlertContext, AlertPresenter, Presentation};
use super::clock::Clock;
use super::command::{Command, SourceChoice};
use super::notifier::Notifier;
use super::ports;
use super::publish::{Publisher, lock, tick_interval};
use super::recording::{RecordingControl, list_sessions};
use super::replay_control::{ReplayControl, Seek};
use super::snooze::SnoozePolicy;
use super::state::{self, Paths, Settings};
use super::store::{Banner, Shared, Toast, WizardView};
use super::today::TodayCounter;
use super::view::LiveView;
use super::wizard::{Outcome, Wizard};
use crate::store::{
    History, HistoryOptions, HistoryRecorder, HistoryStatus, HoldReason, SessionSource, StartTime,
};

pub use super::publish::Waker;

/// How long a confirmation shows, seconds.
const TOAST_S: f64 = super::alerts::TOAST_S;
/// The demo applies its own calibration this long after its lean, once the wearer is upright.
const DEMO_CALIBRATE_AFTER_S: f64 = 4.0;
/// The measured sample rate is computed over this long.
const RATE_WINDOW: Duration = Duration::from_secs(2);

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
            replay_batch: DEFAULT_BATCH,
            persist: true,
            demo_seed: 7,
        }
    }
}

/// Fault switches for tests, put in through the real engine: the recording's file fails as a
/// full or read-only disk would, and the history is opened with these options (its
/// [`FaultSwitch`](crate::store::FaultSwitch), a shorter retry). [`Engine::new`] uses none.
#[derive(Debug, Clone, Default)]
pub struct EngineFaults {
    pub recording: Option<crate::session::DiskFault>,
    pub history: HistoryOptions,
}

/// The UI's side: send commands, read the latest snapshot, install the waker.
#[derive(Clone)]
pub struct EngineHandle {
    tx: Sender<Command>,
    shared: Arc<Mutex<Shared>>,
    waker: Arc<Mutex<Option<Waker>>>,
    visible: Arc<AtomicBool>,
    history: Option<Arc<History>>,
}

impl EngineHandle {
    pub fn send(&self, command: Command) {
        // The engine gone means the app is closing; nothing to do.
        let _closing = self.tx.send(command);
    }

    /// Reads the latest snapshot (the engine holds this lock only to swap a new one in).
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

    /// The posture history, for the History view's queries (any thread may query it; only the
    /// engine writes). `None` when it could not be opened (the notices say why).
    pub fn history(&self) -> Option<&Arc<History>> {
        self.history.as_ref()
    }
}

/// The engine's source for the moment between its construction and the start source chosen.
struct Starting;

impl SampleSource for Starting {
    fn poll(&mut self, _out: &mut Vec<SourceEvent>) {}

    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: SourceKind::Demo,
            label: "starting".into(),
            port: None,
            rate_hz: None,
            battery_pct: None,
            device_time: false,
            units: None,
        }
    }

    fn link(&self) -> (LinkState, crate::source::LinkStats) {
        (LinkState::Connecting, crate::source::LinkStats::default())
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

    fn seeking(&self) -> bool {
        matches!(self, Self::Replay(r) if r.seeking().is_some())
    }
}

/// A sink that takes nothing: fills the slots of absent sinks in [`with_sinks`].
struct NoSink;

impl Sink for NoSink {
    fn fact(&mut self, _: &Fact<'_>) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Runs one driver call with the engine's sinks in their one order (the record button, the
/// window's view, the wizard, the history), without a heap allocation per sample. It takes the
/// fields, not the engine, so the driver can be borrowed beside them.
fn with_sinks<R>(
    recording: &mut RecordingControl,
    view: Option<&mut LiveView>,
    wizard: Option<&mut WizardSink<'_>>,
    history: Option<&mut HistoryRecorder>,
    call: impl FnOnce(&mut [&mut dyn Sink]) -> R,
) -> R {
    let (mut no_view, mut no_wizard, mut no_history) = (NoSink, NoSink, NoSink);
    let mut sinks: [&mut dyn Sink; 4] = [
        recording,
        match view {
            Some(v) => v,
            None => &mut no_view,
        },
        match wizard {
            Some(w) => w,
            None => &mut no_wizard,
        },
        match history {
            Some(h) => h,
            None => &mut no_history,
        },
    ];
    call(&mut sinks)
}

/// Feeds the calibration wizard from the session's samples, as one more sink.
struct WizardSink<'a> {
    wizard: &'a mut Wizard,
    /// The settings and calibration it judges with (only while it runs).
    config: Option<(Config, Option<Calibration>)>,
    outcome: Option<(Outcome, f64)>,
}

impl Sink for WizardSink<'_> {
    fn fact(&mut self, fact: &Fact<'_>) -> Result<(), SinkError> {
        if let (Fact::Sample { sample, step }, Some((config, previous))) = (fact, &self.config)
            && let Some(outcome) = self
                .wizard
                .feed(sample, &step.pose, config, previous.as_ref())
        {
            self.outcome = Some((outcome, sample.t_s));
        }
        Ok(())
    }
}

/// The engine; [`Engine::spawn`] runs it on the "pipeline" thread, tests call
/// [`Engine::tick`] themselves for determinism.
pub struct Engine {
    rx: Receiver<Command>,
    pending: VecDeque<Command>,
    publisher: Publisher,
    options: EngineOptions,
    clock: Box<dyn Clock>,
    notifier: Box<dyn Notifier>,
    settings: Settings,
    active: Active,
    /// The live source to go back to after a replay.
    live_choice: SourceChoice,
    driver: SessionDriver,
    view: LiveView,
    wizard: Wizard,
    presenter: AlertPresenter,
    snooze: SnoozePolicy,
    /// The hold-back the rules were last told (`None`: alerts on).
    applied_snooze: Option<f64>,
    replay: Option<ReplayControl>,
    recording: RecordingControl,
    today: TodayCounter,
    source_events: Vec<SourceEvent>,
    /// Monotonic time the measured rate was last computed.
    rate_since: Duration,
    banner_seq: u64,
    history: Option<Arc<History>>,
    /// The live session's history sink (a live sensor only: the demo and replays are not the
    /// wearer's history).
    history_rec: Option<HistoryRecorder>,
    /// The history's failure last told to the wearer (one notice per outage, taken back when
    /// writing works again).
    history_said: Option<String>,
    /// The notice of a recording that cannot write right now (taken back when it resumes).
    recording_said: Option<String>,
    /// Imports running in the background; each answers once.
    imports: Vec<Receiver<String>>,
}

impl Engine {
    /// Builds the engine and its handle; loads settings (a broken file becomes a notice) and
    /// opens the start-up source.
    pub fn new(
        options: EngineOptions,
        clock: Box<dyn Clock>,
        notifier: Box<dyn Notifier>,
    ) -> (Engine, EngineHandle) {
        Self::with_faults(options, clock, notifier, EngineFaults::default())
    }

    /// As [`Engine::new`], with fault switches for tests.
    pub fn with_faults(
        options: EngineOptions,
        clock: Box<dyn Clock>,
        notifier: Box<dyn Notifier>,
        faults: EngineFaults,
    ) -> (Engine, EngineHandle) {
        let loaded = state::load_settings(&options.paths.settings_file);
        let settings = loaded.settings;
        let mut options = options;
        // What could not be read is never written over.
        options.persist &= !loaded.keep_file;
        let mut working = Shared::new(settings.clone(), options.paths.sessions_dir.clone());
        for w in loaded.warnings {
            working.notice(w);
        }
        working.sessions = Arc::new(list_sessions(&options.paths.sessions_dir));
        working.ports = ports::list_ports();
        let (tx, rx) = mpsc::channel();
        let shared = Arc::new(Mutex::new(working.clone()));
        let waker: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let visible = Arc::new(AtomicBool::new(true));
        let handle = EngineHandle {
            tx,
            shared: Arc::clone(&shared),
            waker: Arc::clone(&waker),
            visible: Arc::clone(&visible),
            history: None,
        };
        let history = match History::open(&options.paths.history_file, faults.history) {
            Ok(h) => Some(Arc::new(h)),
            Err(e) => {
                working.notice(format!("no history this time: {e}"));
                None
            }
        };
        let handle = EngineHandle {
            history: history.clone(),
            ..handle
        };
        let mut view = LiveView::new(working);
        view.set_moved_settings(settings.posture.moved);
        let now = clock.monotonic();
        let mut engine = Engine {
            rx,
            pending: VecDeque::new(),
            publisher: Publisher::new(shared, waker, visible),
            driver: SessionDriver::new(settings.posture.clone(), Some(100.0)),
            view,
            clock,
            notifier,
            settings,
            // Replaced below by the source chosen; building a demo day here would cost as
            // much as the one it is replaced by (0.1 s of CPU at start-up).
            active: Active::Live(Box::new(Starting)),
            live_choice: SourceChoice::Demo,
            wizard: Wizard::new(),
            presenter: AlertPresenter::default(),
            snooze: SnoozePolicy::default(),
            applied_snooze: None,
            replay: None,
            recording: RecordingControl::with_fault(faults.recording),
            today: TodayCounter::default(),
            source_events: Vec::new(),
            rate_since: now,
            banner_seq: 0,
            history,
            history_rec: None,
            history_said: None,
            recording_said: None,
            imports: Vec::new(),
            options,
        };
        match engine.options.start.clone() {
            StartSource::Replay(path) => {
                engine.use_live(SourceChoice::Demo, false);
                engine.open_replay(&path);
            }
            StartSource::Demo => engine.use_live(SourceChoice::Demo, false),
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
                engine.use_live(choice, false);
            }
        }
        engine.after_poll();
        engine.publish();
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

    /// Sleeps until the next round is due (the source's wish, paced by whether the window
    /// shows: [`tick_interval`]) or a command arrives.
    fn wait(&mut self) {
        let interval = tick_interval(
            self.active.source_ref().poll_interval(),
            self.publisher.visible(),
        );
        if interval.is_zero() {
            return;
        }
        match self.rx.recv_timeout(interval) {
            Ok(c) => self.pending.push_back(c),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => self.pending.push_back(Command::Shutdown),
        }
    }

    /// One round: commands, one poll of the source, housekeeping, a snapshot for the window.
    /// Returns false once shut down.
    pub fn tick(&mut self) -> bool {
        self.view.now_mono = self.clock.monotonic();
        loop {
            let command = match self.pending.pop_front() {
                Some(c) => c,
                None => match self.rx.try_recv() {
                    Ok(c) => c,
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => Command::Shutdown,
                },
            };
            if !self.handle(command) {
                self.shutdown();
                self.publish();
                return false;
            }
            self.view.urgent = true;
        }

        let mut events = std::mem::take(&mut self.source_events);
        self.active.source().poll(&mut events);
        for event in events.drain(..) {
            self.feed(event);
        }
        self.source_events = events;
        self.after_poll();
        self.publish();
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
            let scanning = self.replay.as_ref().is_some_and(ReplayControl::scanning);
            if !busy && self.pending.is_empty() && !scanning {
                return;
            }
            if scanning && !busy {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }

    /// Publishes a snapshot if anything changed, and wakes the window when due.
    fn publish(&mut self) {
        let (changed, urgent) = (self.view.changed, self.view.urgent);
        if self.publisher.due(self.view.now_mono, changed, urgent) {
            self.publisher
                .publish(&mut self.view.shared, &mut self.view.ring);
        }
        if self.publisher.wake(self.view.now_mono, changed, urgent) {
            self.view.changed = false;
            self.view.urgent = false;
        }
    }

    // ---- the session ---------------------------------------------------------------------

    /// One source event through the driver to the sinks, then what it means for the wearer.
    fn feed(&mut self, event: SourceEvent) {
        if let SourceEvent::End {
            error: Some(reason),
        } = &event
        {
            self.view.shared.notice(format!("replay stopped: {reason}"));
        }
        let config = self.wizard.running().then(|| {
            (
                self.driver.config().clone(),
                self.driver.calibration().copied(),
            )
        });
        let mut wizard = WizardSink {
            wizard: &mut self.wizard,
            config,
            outcome: None,
        };
        let result = with_sinks(
            &mut self.recording,
            Some(&mut self.view),
            Some(&mut wizard),
            self.history_rec.as_mut(),
            |sinks| self.driver.feed(event, sinks),
        );
        let outcome = wizard.outcome;
        if let Err(e) = result {
            self.recording_failed(&e);
        }
        if self.wizard.running() || outcome.is_some() {
            self.view.shared.wizard = self.wizard.view();
            self.view.changed = true;
        }
        match outcome {
            Some((Outcome::Calibrated(c), t_s)) => {
                let result = with_sinks(
                    &mut self.recording,
                    Some(&mut self.view),
                    None,
                    self.history_rec.as_mut(),
                    |sinks| {
                        self.driver
                            .calibrate(t_s, c, CalibrationOrigin::Wizard, sinks)
                    },
                );
                if let Err(e) = result {
                    self.recording_failed(&e);
                }
                self.view.urgent = true;
            }
            Some((Outcome::Failed(reason), _)) => {
                tracing::info!("calibration failed: {reason}");
                self.view.urgent = true;
            }
            None => {}
        }
        if let Some((c, origin)) = self.view.take_calibrated() {
            self.calibrated(c, origin);
        }
        for e in self.view.take_events() {
            self.present(&e);
        }
    }

    /// A sink failed. A recording pauses (it tries again by itself, see
    /// [`super::recording`]): one notice, taken back when it resumes.
    fn recording_failed(&mut self, e: &SinkError) {
        if !super::recording::pauses_for(&e.source) {
            // Not a full or read-only disk: the recording has ended (its rows so far are in
            // the file).
            self.view.shared.notice(format!(
                "recording stopped: {e}; monitoring and alerts go on, press Record to start a new recording"
            ));
            self.view.shared.recording = None;
        } else if self.recording.active() {
            let text = format!(
                "recording paused: {e}; monitoring and alerts go on, and the recording resumes by itself when it can write again"
            );
            self.view.shared.notice(text.clone());
            self.recording_said = Some(text);
        } else {
            self.view.shared.notice(format!("{e}"));
        }
        self.view.urgent = true;
    }

    /// A calibration took effect: the wearer's own is kept for the next start, a replay's for
    /// its later runs.
    fn calibrated(&mut self, c: Calibration, origin: CalibrationOrigin) {
        match &self.active {
            Active::Live(_) if origin == CalibrationOrigin::Wizard => {
                self.settings.calibration = Some(c.to_metadata());
                self.view.shared.settings.calibration = self.settings.calibration.clone();
                self.save_settings();
            }
            Active::Replay(_) if origin == CalibrationOrigin::Wizard => {
                if let Some(control) = &mut self.replay {
                    control.calibrated(c, &self.settings.posture);
                    if let Some(v) = &mut self.view.shared.replay {
                        v.calibration_note = control.note().to_string();
                    }
                }
            }
            _ => {}
        }
    }

    /// Shows an event to the wearer as the presenter decides.
    fn present(&mut self, e: &crate::posture::Event) {
        let ctx = AlertContext {
            live: !self.active.is_replay(),
            seeking: self.active.seeking(),
            notifications: self.settings.notifications,
            vibration: self.settings.vibration,
            sound: self.settings.sound,
        };
        let banner = self.view.shared.banner.as_ref().map(|b| &b.kind);
        for p in self.presenter.present(e, &ctx, banner) {
            let sh = &mut self.view.shared;
            match p {
                Presentation::Marker { t_s, kind } => sh.push_marker(t_s, kind),
                Presentation::Banner { t_s, kind } => {
                    self.banner_seq += 1;
                    sh.banner = Some(Banner {
                        id: self.banner_seq,
                        t_s,
                        kind,
                    });
                }
                Presentation::ClearBanner => sh.banner = None,
                Presentation::Toast { text, until_s } => sh.toast = Some(Toast { text, until_s }),
                Presentation::Notify { kind, title, body } => {
                    self.notifier.alert(kind, &title, &body);
                }
                Presentation::Vibrate(v) => {
                    self.active.source().vibrate(v.duration_ms, v.strength_pct);
                }
                Presentation::Chime => self.notifier.chime(),
            }
            self.view.urgent = true;
        }
        if matches!(
            e.kind,
            crate::posture::EventKind::SensorLost { .. }
                | crate::posture::EventKind::SensorBack { .. }
        ) {
            self.view.urgent = true;
        }
    }

    /// Housekeeping after each poll: link state, rate, silence, snooze and quiet hours, the
    /// day boundary, recording flush, the replay's view, today's counters.
    fn after_poll(&mut self) {
        let now_mono = self.view.now_mono;
        let (link, stats) = self.active.source_ref().link();
        let info = self.active.source_ref().info();
        let sh = &mut self.view.shared;
        if link != sh.link || info != sh.source {
            self.view.urgent = true;
        }
        sh.link = link;
        sh.link_stats = stats;
        sh.source = info;

        let elapsed = now_mono.saturating_sub(self.rate_since);
        if elapsed >= RATE_WINDOW {
            let count = self.view.samples_counted;
            sh.measured_rate_hz = (!self.active.is_replay() && count > 0)
                .then(|| count as f64 / elapsed.as_secs_f64());
            self.rate_since = now_mono;
            self.view.samples_counted = 0;
        }

        // Live sources: silence means no data.
        if !self.active.is_replay()
            && let Some(last) = self.driver.pipeline().last().map(|s| s.posture.t_s)
        {
            let silent_s = now_mono
                .saturating_sub(self.view.last_sample_mono)
                .as_secs_f64();
            if let Some(update) = self.driver.pipeline().idle(last + silent_s) {
                self.view.no_data(update);
            }
        }

        let now_s = self.view.shared.now_s;
        let local = (!self.active.is_replay()).then(|| self.clock.local_now());
        if let Some(h) = self.history_rec.as_mut() {
            h.wall_clock(self.clock.utc_now().timestamp_micros() as f64 / 1e6);
        }
        if self.snooze.update(now_s, local, &self.settings.quiet_hours) {
            self.view.urgent = true;
        }
        let effective = self.snooze.effective_until_s();
        if effective != self.applied_snooze {
            if let Some(h) = self.history_rec.as_mut() {
                let view = self.snooze.view();
                h.set_hold_reason(if view.meeting {
                    HoldReason::Meeting
                } else if view.quiet_hours {
                    HoldReason::QuietHours
                } else {
                    HoldReason::Snooze
                });
            }
            let result = with_sinks(
                &mut self.recording,
                Some(&mut self.view),
                None,
                self.history_rec.as_mut(),
                |sinks| self.driver.snooze(now_s, effective, sinks),
            );
            if let Err(e) = result {
                self.recording_failed(&e);
            }
            self.view.take_events();
            self.applied_snooze = effective;
            self.view.urgent = true;
        }
        let summary = self.driver.summary();
        if self.today.follow_date(local.map(|t| t.date()), &summary) {
            self.view
                .shared
                .notice("a new day: today's counters start again");
        }

        let sh = &mut self.view.shared;
        if let Some(toast) = &sh.toast
            && sh.now_s > toast.until_s
        {
            sh.toast = None;
            self.view.urgent = true;
        }

        match self.recording.tick(now_mono) {
            Ok(None) => {}
            Ok(Some(resumed)) => {
                let said = self.recording_said.take();
                self.take_back(said);
                self.view.shared.toast = Some(Toast {
                    text: format!(
                        "Recording resumed; {} not recorded (marked in the file)",
                        crate::format::human_duration(resumed.missed_s)
                    ),
                    until_s: self.view.shared.now_s + TOAST_S,
                });
            }
            Err(e) => self.recording_failed(&e),
        }
        self.view.shared.recording = self.recording.view();

        if let (Some(control), Active::Replay(source)) = (&mut self.replay, &self.active) {
            match control.poll_scan() {
                Some(Ok(_)) => self.view.urgent = true,
                Some(Err(e)) => {
                    self.view
                        .shared
                        .notice(format!("could not read the whole session: {e}"));
                    self.view.urgent = true;
                }
                None => {}
            }
            let next = control.view(source);
            let sh = &mut self.view.shared;
            let was = sh
                .replay
                .as_ref()
                .map(|v| (v.playing, v.ended, v.seeking, v.speed));
            if was != Some((next.playing, next.ended, next.seeking, next.speed)) {
                self.view.urgent = true;
            }
            if sh.replay.as_ref() != Some(&next) {
                sh.replay = Some(next);
                self.view.changed = true;
            }
        }

        let rules = self.driver.pipeline().rules();
        let today = self.today.today(&summary, rules.sitting_s());
        let sh = &mut self.view.shared;
        if sh.today != today {
            sh.today = today;
            self.view.changed = true;
        }
        sh.calibrated = self.driver.calibration().is_some();
        sh.snooze = self.snooze.view();
        let mut done = Vec::new();
        self.imports.retain(|rx| match rx.try_recv() {
            Ok(text) => {
                done.push(text);
                false
            }
            Err(TryRecvError::Empty) => true,
            Err(TryRecvError::Disconnected) => false,
        });
        for text in done {
            self.view.shared.notice(text);
            self.view.urgent = true;
        }
        if let Some(h) = &self.history {
            // One notice per outage: the message's count of kept records changes with every
            // failed retry, so only the kind of status is compared.
            let status = h.status();
            let failing = !matches!(status, HistoryStatus::Ok);
            if failing != self.history_said.is_some() {
                if failing {
                    let text = match status {
                        HistoryStatus::Failing { message, .. } => format!(
                            "the history cannot be written right now ({message}); monitoring goes on and it catches up when it can"
                        ),
                        HistoryStatus::ReadOnly { message, .. } => message,
                        HistoryStatus::Ok => String::new(),
                    };
                    self.view.shared.notice(text.clone());
                    self.history_said = Some(text);
                } else {
                    tracing::info!("the history is written again");
                    let said = self.history_said.take();
                    self.take_back(said);
                }
                self.view.urgent = true;
            }
        }
        let sh = &mut self.view.shared;
        let works = self.notifier.works();
        if works != sh.notifications_work {
            if works == Some(false) && self.settings.notifications {
                sh.notice(
                    "desktop notifications are not available here; alerts show in this window",
                );
            }
            sh.notifications_work = works;
            self.view.urgent = true;
        }
    }

    // ---- commands ------------------------------------------------------------------------

    fn handle(&mut self, command: Command) -> bool {
        tracing::debug!("command {command:?}");
        match command {
            Command::Shutdown => return false,
            Command::StartCalibration => {
                if let Active::Demo(d) = &mut self.active {
                    // The simulated wearer follows the wizard: it sits up, then leans.
                    d.start_calibration();
                    self.driver.restart_filter();
                }
                self.driver.cancel_capture();
                self.wizard.start();
                self.view.shared.wizard = self.wizard.view();
            }
            Command::CancelCalibration => {
                self.wizard.cancel();
                self.view.shared.wizard = WizardView::Idle;
            }
            Command::ClearCalibration => {
                self.driver.clear_calibration();
                self.view.shared.calibrated = false;
                self.view.shared.sensor_moved = false;
                if matches!(self.active, Active::Live(_)) {
                    self.settings.calibration = None;
                    self.view.shared.settings.calibration = None;
                    self.save_settings();
                }
            }
            Command::Snooze(length) => {
                let now = self.clock.local_now();
                self.snooze.snooze(self.view.shared.now_s, length, now);
                if let Some(h) = self.history_rec.as_mut() {
                    h.snoozed(self.view.shared.now_s);
                }
                self.view.shared.banner = None;
            }
            Command::EndSnooze => self.snooze.end_snooze(),
            Command::SetMeetingMode(on) => {
                self.snooze.set_meeting(on);
                if on {
                    self.view.shared.banner = None;
                }
            }
            Command::SetSettings(new) => self.set_settings(*new),
            Command::UseSource(choice) => {
                if self.active.is_replay() {
                    self.close_replay();
                }
                self.use_live(choice, true);
            }
            Command::RefreshPorts => self.view.shared.ports = ports::list_ports(),
            Command::RefreshSessions => {
                self.view.shared.sessions =
                    Arc::new(list_sessions(&self.options.paths.sessions_dir));
            }
            Command::OpenSession(path) => self.open_replay(&path),
            Command::ImportSession(path) => self.import(path),
            Command::CloseReplay => {
                if self.active.is_replay() {
                    self.close_replay();
                    let choice = self.live_choice.clone();
                    self.use_live(choice, false);
                }
            }
            Command::StartRecording => self.start_recording(),
            Command::StopRecording => self.stop_recording(),
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
            Command::ReplaySeek(target) => self.seek(target),
            Command::DismissBanner => self.view.shared.banner = None,
            Command::Notify { title, body } => self.notifier.notify(&title, &body),
            Command::BreakDone => {
                self.view.shared.banner = None;
                self.today.mark_break();
                self.view.shared.toast = Some(Toast {
                    text: "Well done. Back to work, upright.".into(),
                    until_s: self.view.shared.now_s + TOAST_S,
                });
            }
        }
        true
    }

    fn save_settings(&mut self) {
        if self.options.persist
            && let Err(e) = state::save_settings(&self.options.paths.settings_file, &self.settings)
        {
            self.view.shared.notice(format!(
                "could not save settings to {}: {e}",
                self.options.paths.settings_file.display()
            ));
        }
    }

    fn set_settings(&mut self, new: Settings) {
        if let Err(e) = new.validate() {
            self.view
                .shared
                .notice(format!("settings not applied: {e}"));
            return;
        }
        let reopen = (new.port.clone(), new.baud, new.serial_units.clone())
            != (
                self.settings.port.clone(),
                self.settings.baud,
                self.settings.serial_units.clone(),
            )
            && matches!(self.active, Active::Live(_));
        if new.posture != *self.driver.config() {
            self.driver.set_config(new.posture.clone());
            self.view.set_moved_settings(new.posture.moved);
        }
        if new.start_at_login != self.settings.start_at_login {
            self.apply_start_at_login(new.start_at_login);
        }
        // The calibration belongs to the engine; a stale copy from the panel must not undo it.
        let calibration = self.settings.calibration.clone();
        self.settings = Settings { calibration, ..new };
        self.view.shared.settings = self.settings.clone();
        self.save_settings();
        if reopen {
            let choice = SourceChoice::Serial {
                port: self.settings.port.clone(),
                baud: self.settings.baud,
            };
            self.use_live(choice, true);
        }
    }

    /// Writes or removes the autostart entry (`$XDG_CONFIG_HOME/autostart/spinewatch.desktop`).
    fn apply_start_at_login(&mut self, on: bool) {
        use crate::desktop::autostart::{Autostart, program_path};
        let Some(autostart) = Autostart::for_user() else {
            self.view
                .shared
                .notice("no per-user config directory: start at login is not available");
            return;
        };
        let result = if on {
            match program_path() {
                Ok(exe) => autostart.enable(&exe).map_err(|e| e.to_string()),
                Err(e) => Err(format!("cannot tell where spinewatch is installed: {e}")),
            }
        } else {
            autostart.disable().map_err(|e| e.to_string())
        };
        if let Err(e) = result {
            self.view
                .shared
                .notice(format!("start at login could not be changed: {e}"));
        }
    }

    /// A new session on a new (or restarted) source: a fresh driver, nothing of the last one
    /// shown.
    fn reset_session(&mut self, driver: SessionDriver) {
        self.finish_session();
        self.driver = driver;
        self.applied_snooze = None;
        self.today.reset();
        self.wizard.cancel();
        self.presenter = AlertPresenter::default();
        self.view.reset();
    }

    /// The session on the current source is over: its last slouch is closed and the history
    /// (if it records this one) gets its end.
    fn finish_session(&mut self) {
        let mut history = self.history_rec.take();
        let result = with_sinks(&mut self.recording, None, None, history.as_mut(), |sinks| {
            self.driver.finish(sinks)
        });
        if let Err(e) = result {
            self.recording_failed(&e);
        }
    }

    fn use_live(&mut self, choice: SourceChoice, user_asked: bool) {
        self.stop_recording();
        let opened = match &choice {
            SourceChoice::Demo => None,
            SourceChoice::Serial { port, baud } => match ports::open_serial(
                port.clone(),
                *baud,
                self.settings.serial_units.parse().unwrap_or_default(),
            ) {
                Ok(source) => Some(source),
                Err(e) => {
                    if user_asked || port.is_some() {
                        self.view
                            .shared
                            .notice(format!("{e}; showing the demo sensor instead"));
                    }
                    None
                }
            },
        };
        let config = self.settings.posture.clone();
        match opened {
            Some(source) => {
                let saved = self
                    .settings
                    .calibration
                    .as_deref()
                    .and_then(|t| Calibration::from_metadata(t).ok());
                let start = StartCalibration::known(saved, CalibrationOrigin::Saved);
                let info = source.info();
                self.reset_session(
                    SessionDriver::new(config.clone(), info.rate_hz).with_start(&start),
                );
                self.history_rec = self.history.as_ref().map(|h| {
                    HistoryRecorder::new(
                        Arc::clone(h),
                        SessionSource::Live { device: info.label },
                        StartTime::Now,
                        &config,
                        false,
                    )
                });
                self.active = Active::Live(source);
                self.live_choice = choice;
            }
            None => {
                let demo = DemoSource::new(self.options.demo_seed);
                let mut driver = SessionDriver::new(config, Some(100.0));
                if let Some(w) = demo.calibration_windows() {
                    driver.capture(
                        w,
                        CaptureMode {
                            apply_after_s: DEMO_CALIBRATE_AFTER_S,
                            only_if_uncalibrated: true,
                        },
                    );
                }
                self.reset_session(driver);
                self.active = Active::Demo(Box::new(demo));
                self.live_choice = SourceChoice::Demo;
            }
        }
        self.view.shared.replay = None;
        self.view.shared.source = self.active.source_ref().info();
    }

    fn open_replay(&mut self, path: &Path) {
        let (control, source) =
            match ReplayControl::open(path, &self.settings.posture, self.options.replay_batch) {
                Ok(opened) => opened,
                Err(e) => {
                    self.view
                        .shared
                        .notice(format!("could not open the session: {e}"));
                    return;
                }
            };
        self.stop_recording();
        let driver = control.new_driver(&self.settings.posture, source.meta().rate_hz);
        self.reset_session(driver);
        self.view.shared.replay = Some(control.view(&source));
        self.view.shared.source = source.info();
        self.active = Active::Replay(source);
        self.replay = Some(control);
    }

    /// Imports a session into the history on an `import` thread; the outcome comes back as a
    /// notice (polled in `after_poll`).
    fn import(&mut self, path: PathBuf) {
        let Some(history) = self.history.clone() else {
            self.view
                .shared
                .notice("there is no history to import into (see the notice above)");
            return;
        };
        let config = self.settings.posture.clone();
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("import".into())
            .spawn(move || {
                let opts = crate::cli::import::ImportOptions {
                    config,
                    skip_bad_rows: true,
                    ..Default::default()
                };
                let text = match crate::cli::import::import_file(&history, &path, &opts) {
                    Ok(crate::cli::import::ImportOutcome::Imported { report, .. }) => format!(
                        "imported {} into the history ({} monitored, {} slouch alerts)",
                        path.display(),
                        crate::format::human_duration(report.summary.monitored_s),
                        report.summary.rules.slouch_alerts
                    ),
                    Ok(crate::cli::import::ImportOutcome::AlreadyThere(_)) => format!(
                        "{} is in the history already; nothing changed",
                        path.display()
                    ),
                    Err(e) => format!("could not import: {e}"),
                };
                // The engine may have shut down meanwhile.
                let _gone = tx.send(text);
            });
        match spawned {
            Ok(_) => self.imports.push(rx),
            Err(e) => self
                .view
                .shared
                .notice(format!("could not start the import: {e}")),
        }
    }

    fn close_replay(&mut self) {
        self.replay = None;
        self.view.shared.replay = None;
    }

    fn seek(&mut self, target: f64) {
        let (Some(control), Active::Replay(source)) = (&self.replay, &mut self.active) else {
            return;
        };
        match control.seek(source, target) {
            Ok(Seek::Forward) => {}
            Ok(Seek::Restart(fresh)) => {
                // Back: run again from the start up to the target, unpaced.
                let driver = control.new_driver(&self.settings.posture, fresh.meta().rate_hz);
                self.reset_session(driver);
                self.active = Active::Replay(fresh);
            }
            Err(e) => self
                .view
                .shared
                .notice(format!("could not reopen the session: {e}")),
        }
    }

    fn start_recording(&mut self) {
        if self.recording.active() {
            return;
        }
        if self.active.is_replay() {
            self.view
                .shared
                .notice("recording is for live data; close the replay first");
            return;
        }
        let info = self.active.source_ref().info();
        let rate = info.rate_hz.or(self.view.shared.measured_rate_hz);
        let result = self.recording.start(
            &self.options.paths,
            &info,
            rate,
            self.driver.calibration(),
            self.clock.utc_now(),
        );
        match result {
            Ok(_) => self.view.shared.recording = self.recording.view(),
            Err(e) => self.view.shared.notice(format!(
                "could not start recording in {}: {e}",
                self.options.paths.sessions_dir.display()
            )),
        }
    }

    /// Removes a notice that is no longer true (a fault that has cleared).
    fn take_back(&mut self, notice: Option<String>) {
        if let Some(text) = notice {
            self.view.shared.notices.retain(|n| *n != text);
            self.view.urgent = true;
        }
    }

    fn stop_recording(&mut self) {
        let Some(result) = self.recording.stop() else {
            return;
        };
        let said = self.recording_said.take();
        self.take_back(said);
        self.view.shared.recording = None;
        match result {
            Ok(path) => {
                self.view.shared.toast = Some(Toast {
                    text: format!("Recording saved to {}", path.display()),
                    until_s: self.view.shared.now_s + TOAST_S,
                });
            }
            Err(e) => self.view.shared.notice(e.to_string()),
        }
        self.view.shared.sessions = Arc::new(list_sessions(&self.options.paths.sessions_dir));
    }

    fn shutdown(&mut self) {
        self.finish_session();
        self.stop_recording();
        self.view.shared.stopped = true;
        self.view.urgent = true;
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
