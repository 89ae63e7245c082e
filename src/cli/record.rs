//! `spinewatch record`: the live sensor through the session driver into a session CSV, with
//! alerts printed (and written to `--events`) as they happen.
//!
//! The driver and the file start with the first sample, by which time the source has reported
//! the device's identity (it holds samples back until then), so the metadata and the filter's
//! rate hint are right from the first row. The loop only polls, hands events to the driver and
//! sleeps; what a session means (calibration capture, lost / back, the slouch still going when
//! the recording stops) is the driver's, as in every other mode.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;

use crate::format::human_duration;
use crate::paths::Paths;
use crate::pipeline::Summary;
use crate::posture::{Calibration, Config, Event, EventKind};
use crate::session::driver::{CalibrationOrigin, StartCalibration};
use crate::session::{
    CalibrationWindows, EventsSink, Fact, RecorderSink, RecordingStats, SessionDriver, Sink,
    SinkError, recording_meta, vibration,
};
use crate::source::{LinkState, LinkStats, SampleSource, SourceEvent, SourceInfo};
use crate::store::{HistoryRecorder, SessionSource, StartTime};

use super::{load_config, print_stdout, stop_flag};

#[derive(Args)]
pub struct RecordArgs {
    /// Serial port (e.g. /dev/ttyACM0, COM3, or a simulator's link); default: find the sensor.
    #[arg(long)]
    pub port: Option<String>,
    /// Baud rate (USB sensors ignore it; UART adapters need the firmware's).
    #[arg(long, default_value_t = 115_200)]
    pub baud: u32,
    /// Stop after this many seconds of recording.
    #[arg(long)]
    pub seconds: Option<f64>,
    /// Session CSV to write (must not exist). Default: <data dir>/sessions/<start time>.csv.
    #[arg(long, value_name = "FILE.csv")]
    pub out: Option<PathBuf>,
    /// Also write one JSON object per event (alerts, sensor_lost, sensor_back, …).
    #[arg(long, value_name = "EVENTS.jsonl")]
    pub events: Option<PathBuf>,
    /// Settings JSON (thresholds and delays), as for replay.
    #[arg(long, value_name = "CONFIG.json")]
    pub config: Option<PathBuf>,
    /// Make the sensor vibrate on slouch alerts and break reminders (if it has a motor).
    #[arg(long)]
    pub vibrate: bool,
    /// Calibrate from poses held during this recording, in seconds from its start: upright
    /// U0:U1, then forward lean F0:F1. Stored in the file, applied live when F1 has passed.
    #[arg(long, value_name = "U0:U1,F0:F1")]
    pub calibrate: Option<CalibrationWindows>,
    /// Do not record this session into the history.
    #[arg(long)]
    pub no_history: bool,
    /// Replace an --events file that already exists (a recording is never overwritten).
    #[arg(long)]
    pub force: bool,
    /// Units of a sketch's plain lines: auto (recognised from gravity at rest and the labels),
    /// or ACCEL,GYRO: g,dps; mps2,rads; raw:16384,131 (counts per g, per deg/s). $SW1 sensors
    /// are g and deg/s whatever this says.
    #[arg(long, value_name = "UNITS", default_value_t = crate::protocol::Units::Auto)]
    pub units: crate::protocol::Units,
}

/// What to record and where.
#[derive(Debug, Clone, Default)]
pub struct RecordOptions {
    /// Stop after this many seconds: of session time from the first sample, and at the latest
    /// this long after the start (wall clock), whether or not samples arrive; `None`: until
    /// stopped.
    pub seconds: Option<f64>,
    /// Session CSV to write; `None`: a new file named by the start time in the sessions folder
    /// ([`Paths::new_recording`]).
    pub out: Option<PathBuf>,
    /// One JSON object per event (alerts, `sensor_lost`, `sensor_back`, …), flushed per event.
    pub events: Option<PathBuf>,
    pub config: Config,
    /// Ask the sensor to vibrate on slouch alerts and break reminders.
    pub vibrate: bool,
    /// A calibration already known (e.g. the wearer's last one): used from the first sample and
    /// stored in the file's metadata.
    pub calibration: Option<Calibration>,
    /// Calibration poses to capture in this recording (session seconds, which start at 0 with
    /// the first sample of a serial source): stored in the metadata as `calibration_capture`
    /// (so a replay captures them the same way) and applied live once the second window is over.
    pub calibrate: Option<CalibrationWindows>,
    /// Where data lives (the sessions folder when `out` is not given).
    pub paths: Option<Paths>,
    /// The history to record the session into (`None`: none).
    pub history: Option<std::sync::Arc<crate::store::History>>,
}

/// How a recording went.
#[derive(Debug, Clone)]
pub struct RecordReport {
    /// The file written (`None` if no sample ever arrived, so no file was made).
    pub path: Option<PathBuf>,
    pub recording: RecordingStats,
    pub summary: Summary,
    pub link: LinkStats,
    pub info: SourceInfo,
    pub vibrations: u64,
}

/// Why a recording could not be made or went wrong.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{}: already exists; recordings are never overwritten", path.display())]
    Exists { path: PathBuf },
    #[error(
        "the port {port} is held by spinewatch (pid {pid}), the window; close it or use its Record button{}",
        if *asked { "" } else { " (or pass --port for another sensor)" }
    )]
    HeldByWindow {
        port: String,
        pid: u32,
        /// The port was asked for with `--port` (rather than found).
        asked: bool,
    },
    #[error(transparent)]
    Output(#[from] SinkError),
}

/// Whether `port` (as given, or as the window reports it) names the same device as `other`:
/// links such as `/dev/spinewatch` or the simulator's link are followed.
fn same_port(port: &str, other: &str) -> bool {
    let real = |p: &str| std::fs::canonicalize(p).unwrap_or_else(|_| PathBuf::from(p));
    port == other || real(port) == real(other)
}

/// The running window's hold on the sensor this recording would use, as an error: the window
/// has `--port` open, or (without `--port`) any serial port, which is where the sensor is.
/// `Ok` when no window runs, it has no port open, or it cannot be asked (then the port's own
/// error, if any, is what the wearer sees).
pub fn check_window_holder(
    name: &crate::desktop::instance::InstanceName,
    port: Option<&str>,
) -> Result<(), RecordError> {
    let holder = match crate::desktop::instance::ask_holder(name) {
        Ok(Some(h)) => h,
        Ok(None) => return Ok(()),
        Err(e) => {
            tracing::debug!("could not ask the window who holds the sensor: {e}");
            return Ok(());
        }
    };
    let Some(held) = holder.port else {
        return Ok(());
    };
    match port {
        Some(p) if !same_port(p, &held) => Ok(()),
        asked => Err(RecordError::HeldByWindow {
            port: held,
            pid: holder.pid,
            asked: asked.is_some(),
        }),
    }
}

/// One line for a person, for events worth telling while recording.
pub fn describe_event(e: &Event) -> Option<String> {
    let t = human_duration(e.time_s);
    Some(match &e.kind {
        EventKind::SlouchAlert {
            held_s,
            flexion_deg,
            ..
        } => format!(
            "[{t}] slouch alert: {flexion_deg:.0}° forward for {}",
            human_duration(*held_s)
        ),
        EventKind::SlouchEnd { duration_s, .. } => {
            format!("[{t}] slouch over after {}", human_duration(*duration_s))
        }
        EventKind::BreakReminder {
            sitting_s,
            exercise,
            dose,
        } => format!(
            "[{t}] break reminder: sitting for {}; try {exercise} ({dose})",
            human_duration(*sitting_s)
        ),
        EventKind::BreakTaken { .. } => format!("[{t}] break taken"),
        EventKind::SensorGap { duration_s, .. } => {
            format!("[{t}] no samples for {duration_s:.1} s")
        }
        EventKind::SensorLost { reason } => format!("[{t}] sensor lost: {reason}"),
        EventKind::SensorBack { gap_s } => format!("[{t}] sensor back after {gap_s:.1} s"),
        EventKind::Calibrated { calibration } => format!("[{t}] calibrated: {calibration}"),
        EventKind::CalibrationFailed { reason } => format!("[{t}] calibration failed: {reason}"),
        EventKind::HeldBack { alert } => {
            format!(
                "[{t}] {} held back (alerts snoozed)",
                alert.replace('_', " ")
            )
        }
        EventKind::Snooze { .. } => return None,
    })
}

/// The link state without its changing numbers, to log changes only.
fn state_key(s: &LinkState) -> String {
    match s {
        LinkState::Silent { .. } => "silent".into(),
        LinkState::Reconnecting { reason, .. } => format!("reconnecting {reason}"),
        other => other.to_string(),
    }
}

/// The session, once the first sample has arrived.
struct Running {
    driver: SessionDriver,
    recorder: RecorderSink,
    history: Option<HistoryRecorder>,
    first_t_s: f64,
}

/// Keeps the events the driver hands out, to print (and buzz for) once the step is done.
#[derive(Default)]
struct Teller(Vec<Event>);

impl Sink for Teller {
    fn fact(&mut self, fact: &Fact<'_>) -> Result<(), SinkError> {
        if let Fact::Event(e) = fact {
            self.0.push((*e).clone());
        }
        Ok(())
    }
}

/// The sinks of a live recording, in order: the file, the history, the teller, the events file.
fn run_sinks<'a>(
    recorder: &'a mut RecorderSink,
    history: Option<&'a mut HistoryRecorder>,
    teller: &'a mut Teller,
    events: Option<&'a mut EventsSink>,
) -> Vec<&'a mut dyn Sink> {
    let mut sinks: Vec<&mut dyn Sink> = vec![recorder];
    if let Some(h) = history {
        sinks.push(h);
    }
    sinks.push(teller);
    if let Some(e) = events {
        sinks.push(e);
    }
    sinks
}

/// Records from `source` until `stop` is set or `opts.seconds` have been recorded. `log` gets
/// one line per link-state change and per alert (the CLI prints them to stderr).
pub fn record(
    source: &mut dyn SampleSource,
    opts: &RecordOptions,
    stop: &AtomicBool,
    log: &mut dyn FnMut(&str),
) -> Result<RecordReport, RecordError> {
    if let Some(p) = opts.out.as_ref().filter(|p| p.exists()) {
        return Err(RecordError::Exists { path: p.clone() });
    }
    let mut events_out = opts
        .events
        .as_deref()
        .map(|p| EventsSink::create(p, true))
        .transpose()?;
    let mut running: Option<Running> = None;
    let mut polled: Vec<SourceEvent> = Vec::new();
    let mut told = Teller::default();
    let mut last_state = String::new();
    let mut vibrations = 0u64;

    let launched = Instant::now();
    let deadline = opts
        .seconds
        .and_then(|n| Duration::try_from_secs_f64(n).ok())
        .map(|d| launched + d);
    'outer: while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        if deadline.is_some_and(|d| started >= d) {
            log("time is up");
            break;
        }
        source.poll(&mut polled);
        for event in polled.drain(..) {
            if let SourceEvent::Info(info) = &event {
                log(&format!("sensor: {}", info.label));
            }
            if running.is_none() {
                let SourceEvent::Sample(s) = &event else {
                    continue;
                };
                running = Some(start(source.info(), s.t_s, opts, log)?);
            }
            let Some(run) = running.as_mut() else {
                continue;
            };
            if let SourceEvent::Sample(s) = &event
                && opts.seconds.is_some_and(|n| s.t_s - run.first_t_s >= n)
            {
                break 'outer;
            }
            let mut sinks = run_sinks(
                &mut run.recorder,
                run.history.as_mut(),
                &mut told,
                events_out.as_mut(),
            );
            run.driver.feed(event, &mut sinks)?;
        }
        for e in told.0.drain(..) {
            if opts.vibrate
                && let Some(v) = vibration::for_event(&e.kind)
                && source.vibrate(v.duration_ms, v.strength_pct)
            {
                vibrations += 1;
            }
            if let Some(line) = describe_event(&e) {
                log(&line);
            }
        }
        let (state, _) = source.link();
        let key = state_key(&state);
        if key != last_state {
            log(&format!("link: {state}"));
            last_state = key;
        }
        if let Some(run) = running.as_mut() {
            run.recorder.tick()?;
        }
        let spent = started.elapsed();
        let interval = source.poll_interval();
        if spent < interval {
            // Sleep in short slices so Ctrl-C ends promptly.
            let end = Instant::now() + (interval - spent);
            while Instant::now() < end && !stop.load(Ordering::Relaxed) {
                std::thread::sleep((end - Instant::now()).min(Duration::from_millis(50)));
            }
        }
    }

    let Some(mut run) = running else {
        return Ok(RecordReport {
            path: None,
            recording: RecordingStats::default(),
            summary: Summary::default(),
            link: source.link().1,
            info: source.info(),
            vibrations,
        });
    };
    // The slouch still going when the recording stops is counted, as in a replay.
    let mut sinks = run_sinks(
        &mut run.recorder,
        run.history.as_mut(),
        &mut told,
        events_out.as_mut(),
    );
    let summary = run.driver.finish(&mut sinks)?;
    drop(sinks);
    for line in told.0.iter().filter_map(describe_event) {
        log(&line);
    }
    let (path, recording) = run.recorder.finish()?;
    if let Some(e) = events_out.as_mut() {
        e.flush()?;
    }
    Ok(RecordReport {
        path: Some(path),
        recording,
        summary,
        link: source.link().1,
        info: source.info(),
        vibrations,
    })
}

/// Opens the file and the driver at the first sample.
fn start(
    info: SourceInfo,
    first_t_s: f64,
    opts: &RecordOptions,
    log: &mut dyn FnMut(&str),
) -> Result<Running, RecordError> {
    let now = chrono::Local::now();
    let path = match &opts.out {
        Some(p) => p.clone(),
        None => opts
            .paths
            .clone()
            .unwrap_or_else(Paths::for_user)
            .new_recording(&now),
    };
    let mut meta = recording_meta(&info, &now);
    meta.calibration = opts.calibration.as_ref().map(Calibration::to_metadata);
    meta.calibration_capture = opts.calibrate;
    let recorder = RecorderSink::create(&path, &meta, false)?;
    log(&format!("recording to {}", path.display()));
    let start = StartCalibration {
        capture: opts.calibrate,
        ..StartCalibration::known(opts.calibration, CalibrationOrigin::Saved)
    };
    let driver = SessionDriver::new(opts.config.clone(), info.rate_hz).with_start(&start);
    let history = opts.history.as_ref().map(|h| {
        HistoryRecorder::new(
            std::sync::Arc::clone(h),
            SessionSource::Live {
                device: info.label.clone(),
            },
            StartTime::Now,
            &opts.config,
            false,
        )
    });
    Ok(Running {
        driver,
        recorder,
        history,
        first_t_s,
    })
}

/// `spinewatch record`.
pub fn main(args: RecordArgs) -> Result<(), super::CliError> {
    use crate::source::serial::{SerialOptions, SerialSource};
    if let Some(n) = args.seconds
        && !(n.is_finite() && n > 0.0)
    {
        return Err(super::CliError::Usage(format!(
            "--seconds {n} must be a positive number"
        )));
    }
    let mut outputs = Vec::new();
    if let Some(p) = &args.out {
        outputs.push(("--out", p.as_path()));
    }
    if let Some(p) = &args.events {
        outputs.push(("--events", p.as_path()));
    }
    let inputs: Vec<&std::path::Path> = args.config.iter().map(PathBuf::as_path).collect();
    // No output may be an input or the other output. An existing --events is replaced only
    // with --force; an existing --out never is, and `record` itself refuses it (before the
    // sensor is read), so it is left out of the exists check here.
    super::outputs::check_outputs(&inputs, &outputs, true)?;
    let events: Vec<_> = outputs
        .iter()
        .filter(|(f, _)| *f == "--events")
        .copied()
        .collect();
    super::outputs::check_outputs(&[], &events, args.force)?;
    let config = load_config(args.config.as_ref())?;
    // Before anything is opened: the window may have the sensor.
    check_window_holder(
        &crate::desktop::instance::InstanceName::for_current_user(),
        args.port.as_deref(),
    )?;
    let opts = RecordOptions {
        seconds: args.seconds,
        out: args.out,
        events: args.events,
        config,
        vibrate: args.vibrate,
        calibration: None,
        calibrate: args.calibrate,
        paths: None,
        history: None,
    };
    let history = if args.no_history {
        None
    } else {
        super::open_history(&Paths::for_user().history_file)
    };
    let opts = RecordOptions { history, ..opts };
    let stop = stop_flag();
    let mut source = SerialSource::open(SerialOptions {
        port: args.port,
        baud: args.baud,
    });
    source.set_units(args.units);
    let report = record(&mut source, &opts, &stop, &mut |line| {
        eprintln!("spinewatch: {line}")
    })?;
    print_stdout(&report_text(&report));
    Ok(())
}

/// The summary `record` prints when it ends.
pub fn report_text(report: &RecordReport) -> String {
    let mut out = match &report.path {
        Some(p) => format!("session          {}\n", p.display()),
        None => "session          none (no sample arrived)\n".to_string(),
    };
    out.push_str(&format!(
        "recorded         {} samples, {}, {} gap marks\n",
        report.recording.samples,
        human_duration(report.recording.duration_s),
        report.recording.marks
    ));
    let l = report.link;
    out.push_str(&format!(
        "link             {} frames, {} checksum failures, {} malformed lines, {} samples dropped, \
{} reconnects, {} acks, {} naks\n",
        l.frames_ok,
        l.checksum_failures,
        l.malformed_lines,
        l.dropped_samples,
        l.reconnects,
        l.acks,
        l.naks
    ));
    if report.vibrations > 0 {
        out.push_str(&format!("vibrations       {}\n", report.vibrations));
    }
    out.push_str(&format!("{}\n", report.summary));
    out
}
