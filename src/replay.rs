//! Headless replay: a session CSV through the pipeline, writing angles and events files.
//!
//! Parsing runs on its own thread (`csv-reader`) and hands batches of samples to the pipeline
//! through a bounded channel, so the two cores overlap and memory stays the same whatever the
//! file's length (a few batches in flight, batches recycled).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;

use crate::format::push_fixed;
use crate::fusion::OrientationFilter;
use crate::pipeline::{Pipeline, Step, Summary, WindowCapture};
use crate::posture::{Calibration, CalibrationError, Config, Event};
use crate::sample::ImuSample;
use crate::session::{CalibrationWindows, SessionError, SessionReader};

/// Header of the angles file (a stable contract: scripts read these columns).
pub const ANGLES_HEADER: &str = "time_s,flexion_deg,lateral_deg,qw,qx,qy,qz,state";

/// Samples per batch handed from the reader thread to the pipeline.
const BATCH: usize = 4096;
/// Batches in flight: bounds memory to a few hundred kilobytes.
const BATCHES_IN_FLIGHT: usize = 4;

/// What to replay and where to write.
#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    pub input: PathBuf,
    /// Calibration windows (`--calibrate`); otherwise the file's stored calibration is used.
    pub calibrate: Option<CalibrationWindows>,
    pub config: Config,
    pub angles: Option<PathBuf>,
    pub events: Option<PathBuf>,
    pub skip_bad_rows: bool,
}

/// Where the calibration came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalibrationSource {
    CommandLine,
    StoredInFile,
    WindowsInFile,
    None,
}

/// The outcome of a replay.
#[derive(Debug, Clone)]
pub struct ReplayReport {
    pub summary: Summary,
    pub calibration: Option<Calibration>,
    pub calibration_source: CalibrationSource,
    /// Non-fatal problems (metadata that could not be read, skipped rows).
    pub warnings: Vec<String>,
    pub skipped_rows: u64,
}

/// Why a replay could not finish.
#[derive(Debug)]
pub enum ReplayError {
    Session(SessionError),
    Calibration(CalibrationError),
    /// A calibration window lies beyond the end of the session.
    WindowOutsideSession {
        windows: CalibrationWindows,
        last_s: f64,
    },
    Output {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl std::fmt::Display for ReplayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Session(e) => write!(f, "{e}"),
            Self::Calibration(e) => write!(f, "calibration rejected: {e}"),
            Self::WindowOutsideSession { windows, last_s } => write!(
                f,
                "calibration windows {windows} end after the session does ({last_s:.3} s)"
            ),
            Self::Output { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for ReplayError {}

impl From<SessionError> for ReplayError {
    fn from(e: SessionError) -> Self {
        Self::Session(e)
    }
}

/// Runs the first part of a session through the orientation filter alone and calibrates from
/// the two windows. The filter is deterministic, so the poses match the full replay's exactly.
pub fn calibrate_from_windows(
    path: &Path,
    windows: &CalibrationWindows,
    config: &Config,
    skip_bad_rows: bool,
) -> Result<Calibration, ReplayError> {
    let mut reader = SessionReader::open(path)?.skip_bad_rows(skip_bad_rows);
    let mut filter = OrientationFilter::new(config.fusion, reader.meta().rate_hz);
    let mut capture = WindowCapture::default();
    let mut last_s = f64::NEG_INFINITY;
    while let Some(s) = reader.next_sample()? {
        last_s = s.t_s;
        if s.t_s > windows.end_s() {
            break;
        }
        let pose = filter.update(&s);
        capture.add(windows, &s, &pose);
    }
    if last_s < windows.end_s() {
        return Err(ReplayError::WindowOutsideSession {
            windows: *windows,
            last_s,
        });
    }
    capture
        .calibrate(config, None)
        .map_err(ReplayError::Calibration)
}

/// Writes the angles file row by row into a reused buffer.
pub struct AnglesWriter<W: Write> {
    out: W,
    row: Vec<u8>,
}

impl<W: Write> AnglesWriter<W> {
    pub fn new(mut out: W) -> std::io::Result<Self> {
        writeln!(out, "{ANGLES_HEADER}")?;
        Ok(Self {
            out,
            row: Vec::with_capacity(128),
        })
    }

    pub fn write(&mut self, step: &Step) -> std::io::Result<()> {
        let row = &mut self.row;
        row.clear();
        push_fixed(row, step.posture.t_s, 6);
        row.push(b',');
        if let Some(f) = step.posture.flexion_deg {
            push_fixed(row, f, 3);
        }
        row.push(b',');
        if let Some(l) = step.posture.lateral_deg {
            push_fixed(row, l, 3);
        }
        let q = step.pose.world_from_sensor.quaternion();
        for v in [q.w, q.i, q.j, q.k] {
            row.push(b',');
            push_fixed(row, v, 7);
        }
        row.push(b',');
        row.extend_from_slice(step.posture.state.as_str().as_bytes());
        row.push(b'\n');
        self.out.write_all(row)
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

fn create(path: &Path) -> Result<BufWriter<File>, ReplayError> {
    File::create(path)
        .map(|f| BufWriter::with_capacity(1 << 18, f))
        .map_err(|error| ReplayError::Output {
            path: path.to_path_buf(),
            error,
        })
}

/// What the reader thread hands the pipeline, in file order.
enum Chunk {
    Samples(Vec<ImuSample>),
    /// A calibration stored between rows; it applies to the samples after it.
    Calibration(String),
    Failed(SessionError),
}

/// Writes (and drains) events as JSON lines; without an output they are just dropped.
fn write_events(out: Option<&mut impl Write>, events: &mut Vec<Event>) -> std::io::Result<()> {
    let Some(out) = out else {
        events.clear();
        return Ok(());
    };
    for e in events.drain(..) {
        e.write_json_line(out)?;
    }
    Ok(())
}

/// Replays a session headlessly.
pub fn run(opts: &ReplayOptions) -> Result<ReplayReport, ReplayError> {
    let reader = SessionReader::open(&opts.input)?.skip_bad_rows(opts.skip_bad_rows);
    let meta = reader.meta().clone();
    let mut warnings: Vec<String> = reader.warnings().to_vec();

    let (mut calibration, mut calibration_source) = if let Some(w) = &opts.calibrate {
        let c = calibrate_from_windows(&opts.input, w, &opts.config, opts.skip_bad_rows)?;
        (Some(c), CalibrationSource::CommandLine)
    } else if let Some(text) = &meta.calibration {
        let c = Calibration::from_metadata(text).map_err(ReplayError::Calibration)?;
        (Some(c), CalibrationSource::StoredInFile)
    } else if let Some(w) = &meta.calibration_windows {
        let c = calibrate_from_windows(&opts.input, w, &opts.config, opts.skip_bad_rows)?;
        (Some(c), CalibrationSource::WindowsInFile)
    } else {
        (None, CalibrationSource::None)
    };

    let mut pipeline = Pipeline::new(opts.config.clone(), meta.rate_hz);
    pipeline.set_calibration(calibration);
    let mut angles = match &opts.angles {
        Some(p) => Some(
            AnglesWriter::new(create(p)?).map_err(|error| ReplayError::Output {
                path: p.clone(),
                error,
            })?,
        ),
        None => None,
    };
    let mut events_out = match &opts.events {
        Some(p) => Some(create(p)?),
        None => None,
    };
    let out_err = |path: &Option<PathBuf>| {
        let path = path.clone().unwrap_or_default();
        move |error| ReplayError::Output { path, error }
    };

    let (full_tx, full_rx) = mpsc::sync_channel::<Chunk>(BATCHES_IN_FLIGHT);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<ImuSample>>();
    let reader_thread = thread::Builder::new()
        .name("csv-reader".into())
        .spawn(move || {
            let mut reader = reader;
            // A sample read right after a calibration line: it starts the next batch.
            let mut carried: Option<ImuSample> = None;
            loop {
                let mut batch = empty_rx
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                batch.clear();
                batch.extend(carried.take());
                let mut calibration = None;
                let mut end = false;
                while batch.len() < BATCH {
                    match reader.next_sample() {
                        Ok(Some(s)) => {
                            if let Some(c) = reader.take_calibration_change() {
                                calibration = Some(c);
                                carried = Some(s);
                                break;
                            }
                            batch.push(s);
                        }
                        Ok(None) => {
                            end = true;
                            break;
                        }
                        Err(e) => {
                            let _ = full_tx.send(Chunk::Failed(e));
                            end = true;
                            break;
                        }
                    }
                }
                let sent = (batch.is_empty() || full_tx.send(Chunk::Samples(batch)).is_ok())
                    && calibration.is_none_or(|c| full_tx.send(Chunk::Calibration(c)).is_ok());
                if end || !sent {
                    break;
                }
            }
            (
                reader.skipped_rows().0,
                reader.skipped_rows().1.map(|e| e.to_string()),
            )
        })
        .map_err(|error| ReplayError::Output {
            path: PathBuf::from("<thread>"),
            error,
        })?;

    let mut events: Vec<Event> = Vec::new();
    let mut failure = None;
    for chunk in full_rx.iter() {
        let batch = match chunk {
            Chunk::Samples(b) => b,
            Chunk::Calibration(text) => {
                // --calibrate wins over anything stored in the file.
                if calibration_source != CalibrationSource::CommandLine {
                    match Calibration::from_metadata(&text) {
                        Ok(c) => {
                            pipeline.set_calibration(Some(c));
                            calibration = Some(c);
                            if calibration_source == CalibrationSource::None {
                                calibration_source = CalibrationSource::StoredInFile;
                            }
                        }
                        Err(e) => warnings.push(format!("{}: {e}", opts.input.display())),
                    }
                }
                continue;
            }
            Chunk::Failed(e) => {
                failure = Some(ReplayError::Session(e));
                break;
            }
        };
        for s in &batch {
            let step = pipeline.process(s, &mut events);
            if let Some(w) = &mut angles {
                w.write(&step).map_err(out_err(&opts.angles))?;
            }
        }
        write_events(events_out.as_mut(), &mut events).map_err(out_err(&opts.events))?;
        let _ = empty_tx.send(batch);
    }
    drop(full_rx);
    let (skipped_rows, first_skipped) = reader_thread.join().unwrap_or((0, None));
    if failure.is_none() {
        pipeline.finish(&mut events);
        write_events(events_out.as_mut(), &mut events).map_err(out_err(&opts.events))?;
    }
    if let Some(w) = &mut angles {
        w.flush().map_err(out_err(&opts.angles))?;
    }
    if let Some(out) = &mut events_out {
        out.flush().map_err(out_err(&opts.events))?;
    }
    if let Some(f) = failure {
        return Err(f);
    }
    if skipped_rows > 0 {
        warnings.push(format!(
            "skipped {skipped_rows} bad rows (first: {})",
            first_skipped.unwrap_or_default()
        ));
    }
    Ok(ReplayReport {
        summary: pipeline.summary(),
        calibration,
        calibration_source,
        warnings,
        skipped_rows,
    })
}
