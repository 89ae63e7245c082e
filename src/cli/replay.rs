//! `spinewatch replay FILE.csv --headless`: a session CSV through the session driver, writing the
//! angles and events files and printing a summary (a stable contract for scripts, see README).
//!
//! Four threads, each handing batches to the next through a bounded channel, in file order:
//! `csv-reader` parses (samples, and the marks between rows); `orientation` runs VQF, the filter
//! half of the session's orientation filter, ahead of the driver ([`FilterAhead`]);
//! `session-driver` does the rest of each pose, the posture, the rules and the sinks; the angles
//! sink formats on its own `angles-writer`. The calling thread waits, then closes the session
//! ([`SessionDriver::finish`]). So the two cores overlap, and memory stays the same whatever the
//! file's length (a few batches in flight, batches recycled).
//!
//! `orientation` is the critical path (VQF runs strictly in order): the three others step back
//! (`priority::step_back`) so that it keeps a core when they would share it. The driver has a
//! thread of its own for that, so the caller's priority is left alone (hence `Send` sinks).

use std::path::PathBuf;
use std::sync::mpsc;
use std::thread;

use clap::Args;

use crate::fusion::FilterOutput;
use crate::pipeline::Summary;
use crate::posture::{Calibration, Config};
use crate::sample::ImuSample;
use crate::session::{
    AnglesSink, CalibrationOrigin, CalibrationWindows, EventsSink, FilterAhead, SessionDriver,
    SessionError, SessionMark, SessionReader, Sink, SinkError, StartCalibration,
    StartCalibrationError,
};

use super::{load_config, print_stdout};

#[derive(Args)]
pub struct ReplayArgs {
    /// Session CSV (header time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps).
    pub file: PathBuf,
    /// Run without a window (the only mode for scripts).
    #[arg(long)]
    pub headless: bool,
    /// Calibration windows in session seconds: upright U0:U1, then forward lean F0:F1.
    /// Without it, a calibration stored in the file's metadata is used.
    #[arg(long, value_name = "U0:U1,F0:F1")]
    pub calibrate: Option<CalibrationWindows>,
    /// Settings JSON (thresholds and delays; unknown keys warn, bad values are errors).
    #[arg(long, value_name = "CONFIG.json")]
    pub config: Option<PathBuf>,
    /// Write one row per sample: time_s,flexion_deg,lateral_deg,qw,qx,qy,qz,state.
    #[arg(long, value_name = "ANGLES.csv")]
    pub angles: Option<PathBuf>,
    /// Write one JSON object per event (slouch_alert, slouch_end, break_reminder, sensor_gap, …).
    #[arg(long, value_name = "EVENTS.jsonl")]
    pub events: Option<PathBuf>,
    /// Skip malformed rows (counted and reported) instead of stopping at the first.
    #[arg(long)]
    pub skip_bad_rows: bool,
    /// Ignore a calibration stored in the file (replay uncalibrated unless --calibrate).
    #[arg(long)]
    pub no_stored_calibration: bool,
    /// Replace output files that already exist (an output that is the input is never allowed).
    #[arg(long)]
    pub force: bool,
}

/// Samples per batch handed from the reader thread on (through the filter thread to the driver).
const BATCH: usize = 4096;
/// Batches in flight on each channel: bounds memory to a few megabytes (about 4 MB of samples
/// and filter outputs in flight at most, whatever the file's length).
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
    /// Ignore calibrations stored in the file (its metadata, windows, lines between rows).
    pub no_stored_calibration: bool,
}

/// The outcome of a replay.
#[derive(Debug, Clone)]
pub struct ReplayReport {
    pub summary: Summary,
    /// The calibration in force at the end (`None`: the session stayed uncalibrated).
    pub calibration: Option<Calibration>,
    /// How the session was calibrated, in words for the summary.
    pub calibration_note: String,
    /// Where the calibration in force at the end came from.
    pub calibration_origin: Option<CalibrationOrigin>,
    /// Non-fatal problems (metadata that could not be read, skipped rows, an unusable stored
    /// calibration).
    pub warnings: Vec<String>,
    pub skipped_rows: u64,
}

/// Why a replay could not finish.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Calibration(#[from] StartCalibrationError),
    #[error(transparent)]
    Output(#[from] SinkError),
    #[error("could not start a replay thread: {0}")]
    Thread(#[source] std::io::Error),
    /// A replay thread ended unexpectedly (a panic: none is known); the outputs are incomplete.
    #[error("the replay's {0} thread stopped unexpectedly; the outputs are incomplete")]
    Stopped(&'static str),
}

/// What the reader thread hands the driver, in file order.
enum Chunk {
    Samples(Vec<ImuSample>),
    /// Marks between rows (sensor lost / back, a calibration); they apply to the samples after.
    Marks(Vec<SessionMark>),
    Failed(SessionError),
}

/// Replays a session headlessly.
pub fn run(opts: &ReplayOptions) -> Result<ReplayReport, ReplayError> {
    run_with(opts, &mut [])
}

/// Replays a session headlessly, handing every fact to `extra` sinks too (`import` adds the
/// history: what it stores is what this replay reports).
pub fn run_with(
    opts: &ReplayOptions,
    extra: &mut [&mut (dyn Sink + Send)],
) -> Result<ReplayReport, ReplayError> {
    let reader = SessionReader::open(&opts.input)?.skip_bad_rows(opts.skip_bad_rows);
    let meta = reader.meta().clone();
    let mut warnings: Vec<String> = reader.warnings().to_vec();
    let start = if opts.no_stored_calibration && opts.calibrate.is_none() {
        StartCalibration::known(None, CalibrationOrigin::CommandLine)
    } else {
        StartCalibration::for_file(
            &opts.input,
            &meta,
            opts.calibrate.as_ref(),
            &opts.config,
            opts.skip_bad_rows,
        )?
    };
    if let Some(w) = &start.warning {
        warnings.push(format!(
            "{}: {w}; replaying without it",
            opts.input.display()
        ));
    }
    let mut driver = SessionDriver::new(opts.config.clone(), meta.rate_hz).with_start(&start);

    let mut angles = opts.angles.as_deref().map(AnglesSink::create).transpose()?;
    let mut events = opts
        .events
        .as_deref()
        .map(|p| EventsSink::create(p, false))
        .transpose()?;

    let (full_tx, full_rx) = mpsc::sync_channel::<Chunk>(BATCHES_IN_FLIGHT);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<ImuSample>>();
    let reader_thread = thread::Builder::new()
        .name("csv-reader".into())
        .spawn(move || {
            crate::priority::step_back();
            read_batches(reader, &full_tx, &empty_rx)
        })
        .map_err(ReplayError::Thread)?;
    let (posed_tx, posed_rx) = mpsc::sync_channel::<Posed>(BATCHES_IN_FLIGHT);
    let (outs_tx, outs_rx) = mpsc::channel::<Vec<FilterOutput>>();
    let mut ahead = driver.filter_ahead();
    let filter_thread = thread::Builder::new()
        .name("orientation".into())
        .spawn(move || {
            filter_batches(&mut ahead, &full_rx, &posed_tx, &outs_rx);
            ahead
        })
        .map_err(ReplayError::Thread)?;

    // The driver steps back like the reader and the writer, on a thread of its own (so that the
    // caller's priority is not changed): the filter, the critical path, keeps its core.
    let driven = {
        let (driver, angles, events) = (&mut driver, &mut angles, &mut events);
        let extra = &mut *extra;
        thread::scope(|scope| {
            thread::Builder::new()
                .name("session-driver".into())
                .spawn_scoped(scope, move || {
                    crate::priority::step_back();
                    let mut sinks = sink_list(angles, events, extra);
                    drive(driver, &posed_rx, &mut sinks, &empty_tx, &outs_tx)
                })
                .map(|h| h.join())
        })
    };
    // Nothing in these threads panics on input; if one did anyway, its stream ended early, and
    // that is an error, never a finished session.
    let mut stopped = None;
    let (mut result, failure) = match driven {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(_)) => {
            stopped = Some("session-driver");
            (Ok(()), None)
        }
        // Not started: its channel's end is gone, so the filter and the reader stop.
        Err(e) => return Err(ReplayError::Thread(e)),
    };
    let filtered = filter_thread.join();
    let read = reader_thread.join();
    if read.is_err() {
        stopped = Some("csv-reader");
    }
    match filtered {
        Ok(ahead) => driver.filter_back(ahead),
        Err(_) => stopped = Some("orientation"),
    }
    let (skipped_rows, first_skipped) = read.unwrap_or((0, None));
    if result.is_ok() && failure.is_none() && stopped.is_none() {
        let mut sinks = sink_list(&mut angles, &mut events, extra);
        result = driver.finish(&mut sinks).map(|_| ());
    }
    // Whatever happened, what was written so far reaches the files.
    if let Some(a) = angles.as_mut() {
        a.flush()?;
    }
    if let Some(e) = events.as_mut() {
        e.flush()?;
    }
    result?;
    if let Some(thread) = stopped {
        return Err(ReplayError::Stopped(thread));
    }
    if let Some(f) = failure {
        return Err(ReplayError::Session(f));
    }
    if skipped_rows > 0 {
        warnings.push(format!(
            "skipped {skipped_rows} bad rows (first: {})",
            first_skipped.unwrap_or_default()
        ));
    }
    // A session that starts uncalibrated may be calibrated by a line between rows.
    let calibration_note = match (
        &start.calibration,
        &start.capture,
        driver.calibration_origin(),
    ) {
        (None, None, Some(origin)) => origin.describe().to_string(),
        _ => start.describe(),
    };
    Ok(ReplayReport {
        summary: driver.summary(),
        calibration: driver.calibration().copied(),
        calibration_note,
        calibration_origin: driver.calibration_origin(),
        warnings,
        skipped_rows,
    })
}

/// The sinks of a replay, in the order they get each fact.
fn sink_list<'a>(
    angles: &'a mut Option<AnglesSink>,
    events: &'a mut Option<EventsSink>,
    extra: &'a mut [&mut (dyn Sink + Send)],
) -> Vec<&'a mut dyn Sink> {
    let mut sinks: Vec<&mut dyn Sink> = Vec::with_capacity(2 + extra.len());
    if let Some(a) = angles.as_mut() {
        sinks.push(a);
    }
    if let Some(e) = events.as_mut() {
        sinks.push(e);
    }
    for s in extra.iter_mut() {
        sinks.push(&mut **s);
    }
    sinks
}

/// The driver's loop (`session-driver`): every batch and mark the filter thread passes on, in
/// order, until the stream ends, the file fails (its error returned) or a sink fails (its error
/// returned). Batches and output vectors go back to be reused.
fn drive(
    driver: &mut SessionDriver,
    posed_rx: &mpsc::Receiver<Posed>,
    sinks: &mut [&mut dyn Sink],
    empty_tx: &mpsc::Sender<Vec<ImuSample>>,
    outs_tx: &mpsc::Sender<Vec<FilterOutput>>,
) -> (Result<(), SinkError>, Option<SessionError>) {
    for chunk in posed_rx.iter() {
        match chunk {
            Posed::Samples(batch, outs) => {
                for (s, out) in batch.iter().zip(&outs) {
                    if let Err(e) = driver.sample_filtered(s, out, sinks) {
                        return (Err(e), None);
                    }
                }
                // The reader or the filter may have gone (the file ended or failed): a batch
                // not recycled is simply dropped.
                let _recycled = empty_tx.send(batch);
                let _recycled = outs_tx.send(outs);
            }
            Posed::Marks(marks) => {
                for m in marks {
                    if let Err(e) = driver.mark(m, sinks) {
                        return (Err(e), None);
                    }
                }
            }
            Posed::Failed(e) => return (Ok(()), Some(e)),
        }
    }
    (Ok(()), None)
}

/// What the filter thread hands the driver, in file order: each batch with the filter's output
/// for it, and what the reader sent besides.
enum Posed {
    Samples(Vec<ImuSample>, Vec<FilterOutput>),
    Marks(Vec<SessionMark>),
    Failed(SessionError),
}

/// The filter thread (`orientation`): the filter's output for every sample the reader sends,
/// restarting at the marks where the driver would, each batch passed on with it. Output vectors
/// come back from the driver to be reused. Ends when the reader ends or the driver stops
/// listening.
fn filter_batches(
    ahead: &mut FilterAhead,
    full_rx: &mpsc::Receiver<Chunk>,
    posed_tx: &mpsc::SyncSender<Posed>,
    outs_rx: &mpsc::Receiver<Vec<FilterOutput>>,
) {
    for chunk in full_rx.iter() {
        let posed = match chunk {
            Chunk::Samples(batch) => {
                let mut outs = outs_rx
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                outs.clear();
                ahead.filter(&batch, &mut outs);
                Posed::Samples(batch, outs)
            }
            Chunk::Marks(marks) => {
                for m in &marks {
                    ahead.mark(m);
                }
                Posed::Marks(marks)
            }
            Chunk::Failed(e) => Posed::Failed(e),
        };
        if posed_tx.send(posed).is_err() {
            break;
        }
    }
}

/// The reader thread: batches of samples, the marks between them in order, or the error that
/// ended the read. Returns the skipped-row count and the first skipped row's error.
fn read_batches(
    mut reader: SessionReader<std::io::BufReader<std::fs::File>>,
    full_tx: &mpsc::SyncSender<Chunk>,
    empty_rx: &mpsc::Receiver<Vec<ImuSample>>,
) -> (u64, Option<String>) {
    let mut marks = Vec::new();
    loop {
        let mut batch = empty_rx
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BATCH));
        batch.clear();
        // A batch ends full, before marks (the sample after them is kept by the reader and
        // starts the next batch), at the end or at a failure; the marks met before a failure
        // are not sent.
        let (end, failed) = match reader.fill_batch(&mut batch, BATCH) {
            Ok(more) => {
                reader.take_marks(&mut marks);
                (!more, None)
            }
            Err(e) => (true, Some(e)),
        };
        // The rows before a failure still reach the driver, then the failure. A send fails only
        // when the driver stopped listening (an output failed): then there is nothing to add.
        let sent = (batch.is_empty() || full_tx.send(Chunk::Samples(batch)).is_ok())
            && (marks.is_empty()
                || full_tx
                    .send(Chunk::Marks(std::mem::take(&mut marks)))
                    .is_ok())
            && failed.is_none_or(|e| full_tx.send(Chunk::Failed(e)).is_ok());
        if end || !sent {
            break;
        }
    }
    (
        reader.skipped_rows().0,
        reader.skipped_rows().1.map(|e| e.to_string()),
    )
}

/// `spinewatch replay FILE --headless`.
pub fn main(args: ReplayArgs) -> Result<(), super::CliError> {
    let mut outputs = Vec::new();
    if let Some(p) = &args.angles {
        outputs.push(("--angles", p.as_path()));
    }
    if let Some(p) = &args.events {
        outputs.push(("--events", p.as_path()));
    }
    let mut inputs = vec![args.file.as_path()];
    if let Some(c) = &args.config {
        inputs.push(c.as_path());
    }
    super::outputs::check_outputs(&inputs, &outputs, args.force)?;
    let opts = ReplayOptions {
        config: load_config(args.config.as_ref())?,
        input: args.file,
        calibrate: args.calibrate,
        angles: args.angles,
        events: args.events,
        skip_bad_rows: args.skip_bad_rows,
        no_stored_calibration: args.no_stored_calibration,
    };
    let report = run(&opts)?;
    for w in &report.warnings {
        eprintln!("spinewatch: warning: {w}");
    }
    let mut out = String::new();
    out.push_str(&format!("session          {}\n", opts.input.display()));
    out.push_str(&format!(
        "calibration      {}\n{}\n",
        report.calibration_note, report.summary
    ));
    print_stdout(&out);
    Ok(())
}
