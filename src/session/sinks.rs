//! The file sinks of a session: the angles file and the events file of the headless replay and
//! `record`, and the CSV recorder. Each takes the driver's [`Fact`]s; none knows which mode runs.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;

use crate::format::push_fixed;
use crate::pipeline::Step;
use crate::posture::{EventKind, PostureState};
use crate::sample::ImuSample;

use super::driver::{Fact, Sink, SinkError};
use super::marks::SessionMark;
use super::meta::SessionMeta;
use super::recorder::{DataFile, DiskFault, Recorder, RecordingStats};

/// Header of the angles file (a stable contract: scripts read these columns).
pub const ANGLES_HEADER: &str = "time_s,flexion_deg,lateral_deg,qw,qx,qy,qz,state";

/// Creates (or truncates) an output file, buffered.
pub fn create_output(path: &Path) -> Result<BufWriter<File>, SinkError> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map(|f| BufWriter::with_capacity(1 << 18, f))
        .map_err(|e| SinkError::at(path, e))
}

/// One row of the angles file, as the driver's step gave it (formatted later, elsewhere).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnglesRow {
    pub t_s: f64,
    pub flexion_deg: Option<f64>,
    pub lateral_deg: Option<f64>,
    /// `world_from_sensor`, scalar first.
    pub q: [f64; 4],
    pub state: PostureState,
}

impl AnglesRow {
    pub fn of(step: &Step) -> Self {
        let q = step.pose.world_from_sensor.quaternion();
        Self {
            t_s: step.posture.t_s,
            flexion_deg: step.posture.flexion_deg,
            lateral_deg: step.posture.lateral_deg,
            q: [q.w, q.i, q.j, q.k],
            state: step.posture.state,
        }
    }
}

/// Writes the angles file: rows are formatted into one reused buffer, which goes to `out` when
/// it holds [`ANGLES_CHUNK`] bytes (and at [`Self::flush`] or drop).
///
/// Why a chunk and not a row at a time: a `write_all` a row copied every row once more into the
/// `BufWriter`, an eighth of the writer thread's instructions; a chunk as large as that buffer
/// goes straight through it.
pub struct AnglesWriter<W: Write> {
    out: W,
    pending: Vec<u8>,
}

/// Bytes of formatted rows gathered before a write: the capacity of [`create_output`]'s buffer.
const ANGLES_CHUNK: usize = 1 << 18;

impl<W: Write> AnglesWriter<W> {
    pub fn new(mut out: W) -> io::Result<Self> {
        writeln!(out, "{ANGLES_HEADER}")?;
        Ok(Self {
            out,
            pending: Vec::with_capacity(ANGLES_CHUNK + 256),
        })
    }

    pub fn write(&mut self, step: &Step) -> io::Result<()> {
        self.write_row(&AnglesRow::of(step))
    }

    pub fn write_row(&mut self, r: &AnglesRow) -> io::Result<()> {
        let row = &mut self.pending;
        push_fixed(row, r.t_s, 6);
        row.push(b',');
        if let Some(f) = r.flexion_deg {
            push_fixed(row, f, 3);
        }
        row.push(b',');
        if let Some(l) = r.lateral_deg {
            push_fixed(row, l, 3);
        }
        for v in r.q {
            row.push(b',');
            push_fixed(row, v, 7);
        }
        row.push(b',');
        row.extend_from_slice(r.state.as_str().as_bytes());
        row.push(b'\n');
        if row.len() >= ANGLES_CHUNK {
            self.write_pending()?;
        }
        Ok(())
    }

    /// Hands the gathered rows to `out`. On an error they are dropped: the file is broken anyway,
    /// and the error names it.
    fn write_pending(&mut self) -> io::Result<()> {
        let result = self.out.write_all(&self.pending);
        self.pending.clear();
        result
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.write_pending()?;
        self.out.flush()
    }
}

impl<W: Write> Drop for AnglesWriter<W> {
    /// Rows written but not flushed still reach `out`, as they would through a `BufWriter`.
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let _unused = self.write_pending();
        }
    }
}

/// Rows per batch handed to the angles writer (about 450 KB).
const ANGLES_BATCH: usize = 8192;
/// Batches in flight: the driver runs at most this far ahead of the file.
const ANGLES_IN_FLIGHT: usize = 4;

/// The `--angles` file: one row per sample, formatted and written on an `angles-writer` thread
/// of its own.
///
/// Why a thread: formatting eight numbers a row is about a third of a headless replay's work
/// on the driver's thread; with the CSV reader on its own thread too, reading, filtering and
/// writing overlap on two cores. A write error comes back at a later batch (or at the end) and
/// names the file; rows are never reordered or dropped before it.
pub struct AnglesSink {
    path: PathBuf,
    batch: Vec<AnglesRow>,
    tx: Option<mpsc::SyncSender<Vec<AnglesRow>>>,
    recycled: mpsc::Receiver<Vec<AnglesRow>>,
    thread: Option<thread::JoinHandle<io::Result<()>>>,
    /// The writer's failure, once seen (returned again on every later call).
    failed: Option<io::ErrorKind>,
}

impl AnglesSink {
    pub fn create(path: &Path) -> Result<Self, SinkError> {
        let out = create_output(path)?;
        let mut writer = AnglesWriter::new(out).map_err(|e| SinkError::at(path, e))?;
        let (tx, rx) = mpsc::sync_channel::<Vec<AnglesRow>>(ANGLES_IN_FLIGHT);
        let (back_tx, recycled) = mpsc::channel();
        let thread = thread::Builder::new()
            .name("angles-writer".into())
            .spawn(move || -> io::Result<()> {
                for mut batch in rx {
                    for row in &batch {
                        writer.write_row(row)?;
                    }
                    batch.clear();
                    // The sink may be gone already (it stops recycling at the end).
                    let _unused = back_tx.send(batch);
                }
                writer.flush()
            })
            .map_err(|e| SinkError::at(path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            batch: Vec::with_capacity(ANGLES_BATCH),
            tx: Some(tx),
            recycled,
            thread: Some(thread),
            failed: None,
        })
    }

    fn push(&mut self, row: AnglesRow) -> Result<(), SinkError> {
        self.batch.push(row);
        if self.batch.len() >= ANGLES_BATCH {
            self.send()?;
        }
        Ok(())
    }

    /// Hands the rows so far to the writer; if it has stopped, says why.
    fn send(&mut self) -> Result<(), SinkError> {
        if let Some(kind) = self.failed {
            return Err(SinkError::at(&self.path, io::Error::from(kind)));
        }
        let Some(tx) = &self.tx else {
            return Ok(());
        };
        let next = self
            .recycled
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(ANGLES_BATCH));
        let batch = std::mem::replace(&mut self.batch, next);
        if tx.send(batch).is_err() {
            // The writer stopped on an error: collect it.
            return self.finish();
        }
        Ok(())
    }

    /// Writes everything handed so far and closes the file; later calls say the same.
    fn finish(&mut self) -> Result<(), SinkError> {
        if let Some(tx) = &self.tx
            && !self.batch.is_empty()
        {
            let batch = std::mem::take(&mut self.batch);
            // A failed send means the writer stopped; its join below says why.
            let _unsent = tx.send(batch);
        }
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let result = t
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the angles writer panicked")));
            if let Err(e) = result {
                self.failed = Some(e.kind());
                return Err(SinkError::at(&self.path, e));
            }
        }
        match self.failed {
            Some(kind) => Err(SinkError::at(&self.path, io::Error::from(kind))),
            None => Ok(()),
        }
    }

    /// Everything handed so far reaches the file, which is then complete (no more rows).
    pub fn flush(&mut self) -> Result<(), SinkError> {
        self.finish()
    }
}

impl Drop for AnglesSink {
    fn drop(&mut self) {
        // Whatever was handed over reaches the file; a failure was reported or is moot now.
        let _unreported = self.finish();
    }
}

impl Sink for AnglesSink {
    fn fact(&mut self, fact: &Fact<'_>) -> Result<(), SinkError> {
        match fact {
            Fact::Sample { step, .. } => self.push(AnglesRow::of(step)),
            Fact::Finished { .. } => self.finish(),
            _ => Ok(()),
        }
    }
}

/// The `--events` file: one JSON object per event. Live (`flush_each`), every event reaches the
/// file at once, so a script tailing it sees alerts as they happen.
pub struct EventsSink {
    path: PathBuf,
    out: BufWriter<File>,
    flush_each: bool,
}

impl EventsSink {
    pub fn create(path: &Path, flush_each: bool) -> Result<Self, SinkError> {
        Ok(Self {
            path: path.to_path_buf(),
            out: create_output(path)?,
            flush_each,
        })
    }

    pub fn flush(&mut self) -> Result<(), SinkError> {
        self.out.flush().map_err(|e| SinkError::at(&self.path, e))
    }
}

impl Sink for EventsSink {
    fn fact(&mut self, fact: &Fact<'_>) -> Result<(), SinkError> {
        let result = match fact {
            Fact::Event(e) => e.write_json_line(&mut self.out).and_then(|()| {
                if self.flush_each {
                    self.out.flush()
                } else {
                    Ok(())
                }
            }),
            Fact::Finished { .. } => self.out.flush(),
            _ => Ok(()),
        };
        result.map_err(|e| SinkError::at(&self.path, e))
    }
}

/// The CSV recorder as a sink: samples as rows, sensor lost / back as mark lines, calibrations
/// taken during the recording as metadata lines, all in the one format of
/// [`SessionMark`](super::marks::SessionMark). With `rebase`, times are shifted so the file starts
/// at 0 s (the window's record button starts mid-session).
pub struct RecorderSink {
    recorder: Recorder<DataFile>,
    rebase: bool,
    t0_s: Option<f64>,
    last_t_s: f64,
}

impl RecorderSink {
    /// Creates the file (never over an existing one) and writes its metadata.
    pub fn create(path: &Path, meta: &SessionMeta, rebase: bool) -> Result<Self, SinkError> {
        Self::create_with(path, meta, rebase, None)
    }

    /// As [`RecorderSink::create`], with a test switch in front of the file (`None`: none).
    pub fn create_with(
        path: &Path,
        meta: &SessionMeta,
        rebase: bool,
        fault: Option<DiskFault>,
    ) -> Result<Self, SinkError> {
        Ok(Self {
            recorder: Recorder::create_data(path, meta, fault)
                .map_err(|e| SinkError::at(path, e))?,
            rebase,
            t0_s: None,
            last_t_s: 0.0,
        })
    }

    pub fn path(&self) -> &Path {
        self.recorder.path()
    }

    pub fn stats(&self) -> RecordingStats {
        self.recorder.stats()
    }

    /// File time of a session time.
    pub fn file_time(&self, t_s: f64) -> f64 {
        match (self.rebase, self.t0_s) {
            (false, _) => t_s,
            (true, Some(t0)) => (t_s - t0).max(0.0),
            (true, None) => 0.0,
        }
    }

    fn err(&self, e: io::Error) -> SinkError {
        SinkError::at(self.recorder.path(), e)
    }

    /// Call when no samples arrive (sensor unplugged): flushes if a second has passed.
    pub fn tick(&mut self) -> Result<(), SinkError> {
        self.recorder.tick().map_err(|e| self.err(e))
    }

    /// Writes the rows held in memory now (after a failed write: tries again).
    pub fn flush(&mut self) -> Result<(), SinkError> {
        self.recorder.flush().map_err(|e| self.err(e))
    }

    /// Queues a `# text` comment line after the rows held so far (written at the next flush).
    pub fn note(&mut self, text: &str) -> Result<(), SinkError> {
        self.recorder.note(text).map_err(|e| self.err(e))
    }

    /// Queues a calibration metadata line (written at the next flush).
    pub fn note_calibration(&mut self, text: &str) -> Result<(), SinkError> {
        self.recorder
            .note_meta("calibration", text)
            .map_err(|e| self.err(e))
    }

    /// Flushes and syncs everything; the recording is complete.
    pub fn finish(self) -> Result<(PathBuf, RecordingStats), SinkError> {
        let path = self.recorder.path().to_path_buf();
        let stats = self
            .recorder
            .finish()
            .map_err(|e| SinkError::at(&path, e))?;
        Ok((path, stats))
    }

    fn push(&mut self, s: &ImuSample) -> io::Result<()> {
        if !self.rebase {
            return self.recorder.push(s);
        }
        let t0 = *self.t0_s.get_or_insert(s.t_s);
        let mut rebased = *s;
        rebased.t_s = (s.t_s - t0).max(self.last_t_s);
        self.last_t_s = rebased.t_s;
        self.recorder.push(&rebased)
    }

    fn mark(&mut self, mark: SessionMark) -> io::Result<()> {
        match mark {
            SessionMark::Calibration(text) => self.recorder.set_meta("calibration", &text),
            other => self.recorder.mark(&other.line()),
        }
    }
}

impl Sink for RecorderSink {
    fn fact(&mut self, fact: &Fact<'_>) -> Result<(), SinkError> {
        let result = match fact {
            Fact::Sample { sample, .. } => self.push(sample),
            Fact::Event(e) => match &e.kind {
                EventKind::SensorLost { reason } => self.mark(SessionMark::SensorLost {
                    t_s: self.file_time(e.time_s),
                    reason: reason.clone(),
                }),
                EventKind::SensorBack { gap_s } => self.mark(SessionMark::SensorBack {
                    t_s: self.file_time(e.time_s),
                    gap_s: *gap_s,
                }),
                _ => Ok(()),
            },
            Fact::Calibrated { calibration, .. } => {
                self.mark(SessionMark::Calibration(calibration.to_metadata()))
            }
            _ => Ok(()),
        };
        result.map_err(|e| self.err(e))
    }
}
