//! `spinewatch record`: the live sensor through the pipeline into a session CSV.
//!
//! The loop is the one the GUI engine runs too: poll the source, run every sample through the
//! same [`Pipeline`] as the replay (so alerts fire while recording), hand samples to the
//! [`Recorder`], mark gaps in the file and the events, restart the orientation filter when the
//! sensor comes back, sleep `poll_interval()`. The pipeline and the file start with the first
//! sample, by which time the source has reported the device's identity (it holds samples back
//! until then), so the metadata and the filter's rate hint are right from the first row.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::pipeline::{Pipeline, Summary, WindowCapture, human_duration};
use crate::posture::{Calibration, Config, Event, EventKind};
use crate::session::{CalibrationWindows, Recorder, RecordingStats, SessionMeta};
use crate::source::{LinkState, LinkStats, SampleSource, SourceEvent, SourceInfo};

/// What to record and where.
#[derive(Debug, Clone, Default)]
pub struct RecordOptions {
    /// Stop after this many seconds of session time (from the first sample); `None`: until
    /// stopped.
    pub seconds: Option<f64>,
    /// Session CSV to write; `None`: [`default_recording_path`](crate::session::recorder::default_recording_path).
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
    /// the first sample of a serial source): stored in the metadata
    /// (so a replay calibrates the same way) and applied live once the second window is over.
    pub calibrate: Option<CalibrationWindows>,
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

/// Vibration for an alert: 400 ms at 80 % is felt through a shirt without being startling.
const VIBRATE_MS: u32 = 400;
const VIBRATE_PCT: u8 = 80;

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

/// Records from `source` until `stop` is set or `opts.seconds` have been recorded. `log` gets
/// one line per link-state change and per alert (the CLI prints them to stderr).
pub fn record(
    source: &mut dyn SampleSource,
    opts: &RecordOptions,
    stop: &AtomicBool,
    log: &mut dyn FnMut(&str),
) -> Result<RecordReport, String> {
    if let Some(p) = opts.out.as_ref().filter(|p| p.exists()) {
        return Err(format!(
            "{}: already exists; recordings are never overwritten",
            p.display()
        ));
    }
    let mut events_out = match &opts.events {
        Some(p) => Some(BufWriter::new(
            File::create(p).map_err(|e| format!("{}: {e}", p.display()))?,
        )),
        None => None,
    };
    let mut recorder: Option<Recorder> = None;
    let mut pipeline: Option<Pipeline> = None;
    let mut polled: Vec<SourceEvent> = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    let mut last_state = String::new();
    let mut vibrations = 0u64;
    let mut first_t: Option<f64> = None;
    let mut capture = opts.calibrate.map(|w| (w, WindowCapture::default()));

    'outer: while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        source.poll(&mut polled);
        for event in polled.drain(..) {
            match event {
                SourceEvent::Sample(s) => {
                    if recorder.is_none() {
                        let info = source.info();
                        let path = match &opts.out {
                            Some(p) => p.clone(),
                            None => crate::session::recorder::default_recording_path(
                                chrono::Local::now(),
                            )
                            .ok_or("no per-user data directory (is $HOME set?); use --out")?,
                        };
                        let mut meta = recording_meta(&info);
                        meta.calibration = opts.calibration.as_ref().map(|c| c.to_metadata());
                        meta.calibration_windows = opts.calibrate;
                        let r = Recorder::create(&path, &meta).map_err(|e| e.to_string())?;
                        log(&format!("recording to {}", path.display()));
                        recorder = Some(r);
                        let mut p = Pipeline::new(opts.config.clone(), info.rate_hz);
                        p.set_calibration(opts.calibration);
                        pipeline = Some(p);
                    }
                    let t0 = *first_t.get_or_insert(s.t_s);
                    if opts.seconds.is_some_and(|n| s.t_s - t0 >= n) {
                        break 'outer;
                    }
                    if let Some(r) = &mut recorder {
                        r.push(&s)
                            .map_err(|e| format!("{}: {e}", r.path().display()))?;
                    }
                    if let Some(p) = &mut pipeline {
                        let step = p.process(&s, &mut events);
                        if let Some((windows, cap)) = &mut capture {
                            if s.t_s <= windows.end_s() {
                                cap.add(windows, &s, &step.pose);
                            } else {
                                match cap.calibrate(p.config(), p.calibration()) {
                                    Ok(c) => {
                                        let text = c.to_metadata();
                                        if let Some(r) = &mut recorder {
                                            r.set_meta("calibration", &text).map_err(|e| {
                                                format!("{}: {e}", r.path().display())
                                            })?;
                                        }
                                        p.set_calibration(Some(c));
                                        events.push(Event {
                                            time_s: s.t_s,
                                            kind: EventKind::Calibrated { calibration: text },
                                        });
                                    }
                                    Err(e) => events.push(Event {
                                        time_s: s.t_s,
                                        kind: EventKind::CalibrationFailed {
                                            reason: e.to_string(),
                                        },
                                    }),
                                }
                                capture = None;
                            }
                        }
                    }
                }
                SourceEvent::Lost { t_s, reason } => {
                    if let Some(r) = &mut recorder {
                        r.mark(&format!("sensor_lost time_s={t_s:.6} reason={reason}"))
                            .map_err(|e| format!("{}: {e}", r.path().display()))?;
                    }
                    events.push(Event {
                        time_s: t_s,
                        kind: EventKind::SensorLost { reason },
                    });
                }
                SourceEvent::Back { t_s, gap_s } => {
                    if let Some(r) = &mut recorder {
                        r.mark(&format!("sensor_back time_s={t_s:.6} gap_s={gap_s:.6}"))
                            .map_err(|e| format!("{}: {e}", r.path().display()))?;
                    }
                    if let Some(p) = &mut pipeline {
                        // The sensor may have been moved while away: start the orientation over.
                        p.restart_filter();
                    }
                    events.push(Event {
                        time_s: t_s,
                        kind: EventKind::SensorBack { gap_s },
                    });
                }
                SourceEvent::Info(info) => log(&format!("sensor: {}", info.label)),
                // Only recorded sessions carry calibrations; a live sensor never sends one.
                SourceEvent::Calibration { .. } => {}
            }
        }
        for e in events.drain(..) {
            if opts.vibrate
                && matches!(
                    e.kind,
                    EventKind::SlouchAlert { .. } | EventKind::BreakReminder { .. }
                )
                && source.vibrate(VIBRATE_MS, VIBRATE_PCT)
            {
                vibrations += 1;
            }
            if let Some(line) = describe_event(&e) {
                log(&line);
            }
            if let (Some(out), Some(path)) = (&mut events_out, &opts.events) {
                e.write_json_line(out)
                    .and_then(|()| out.flush())
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
        let (state, _) = source.link();
        let key = state_key(&state);
        if key != last_state {
            log(&format!("link: {state}"));
            last_state = key;
        }
        if let Some(r) = &mut recorder {
            r.tick()
                .map_err(|e| format!("{}: {e}", r.path().display()))?;
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

    let (path, recording) = match recorder {
        Some(r) => {
            let path = r.path().to_path_buf();
            let stats = r.finish().map_err(|e| format!("{}: {e}", path.display()))?;
            (Some(path), stats)
        }
        None => (None, RecordingStats::default()),
    };
    if let Some(out) = &mut events_out {
        let _ = out.flush();
    }
    Ok(RecordReport {
        path,
        recording,
        summary: pipeline.map(|p| p.summary()).unwrap_or_default(),
        link: source.link().1,
        info: source.info(),
        vibrations,
    })
}

/// Metadata of a live recording: what the device said about itself.
fn recording_meta(info: &SourceInfo) -> SessionMeta {
    let mut meta = SessionMeta {
        device: Some(info.label.clone()),
        rate_hz: info.rate_hz,
        ..Default::default()
    };
    if let Some(p) = &info.port {
        meta.other.push(("port".into(), p.clone()));
    }
    meta.other.push((
        "time_base".into(),
        if info.device_time {
            "device".into()
        } else {
            "host_arrival".into()
        },
    ));
    meta.other.push((
        "started".into(),
        chrono::Local::now()
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string(),
    ));
    meta
}
