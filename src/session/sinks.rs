//! The file sinks of a session: the angles file and the events file of the headless replay and
//! `record`, and the CSV recorder. Each takes the driver's [`Fact`]s; none knows which mode runs.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;

use crate::format::{FIXED_ROOM, push_fixed, put_fixed};
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
    /// What fills a batch beyond its rows (never written).
    const FILLER: Self = Self {
        t_s: 0.0,
        flexion_deg: None,
        lateral_deg: None,
        q: [0.0; 4],
        state: PostureState::NoData,
    };

    #[inline]
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

/// Writes the angles file: rows are formatted straight into one reused buffer, which goes to
/// `out` when it holds [`ANGLES_CHUNK`] bytes (and at [`Self::flush`] or drop).
///
/// Why a chunk and not a row at a time: a `write_all` a row copied every row once more into the
/// `BufWriter`, an eighth of the writer thread's instructions; a chunk as large as that buffer
/// goes straight through it.
///
/// Why the buffer is kept initialized (`pending` never shrinks, `filled` says how much of it
/// is rows): a row is then written into a fixed window of it, each column with
/// [`put_fixed`] in 8-byte stores, with no length or capacity to update per column. (Each
/// column pushed onto a `Vec` by [`push_fixed`], a row took about 1,000 instructions; it takes
/// about 440 now, 372 M -> 158 M for the writer thread of a 1-hour replay.)
pub struct AnglesWriter<W: Write> {
    out: W,
    /// Formatted rows in `..filled`; at least [`ROW_ROOM`] bytes after `filled` while that is
    /// below [`ANGLES_CHUNK`], whatever their contents.
    pending: Vec<u8>,
    filled: usize,
    /// A row [`put_fixed`] does not take (a value not finite or too large), formatted by
    /// [`push_fixed`] before it is copied in.
    rare: Vec<u8>,
}

/// Bytes of formatted rows gathered before a write: the capacity of [`create_output`]'s buffer.
const ANGLES_CHUNK: usize = 1 << 18;

/// Bytes a row written by [`format_row`] may touch: at most 7 columns of 19 bytes (a sign, 16
/// digits, the point, the comma) before the state's 16-byte store, and each column's stores
/// reach at most [`FIXED_ROOM`] past its start: 6 * 19 + 32 = 146 and 7 * 19 + 16 = 149.
const ROW_ROOM: usize = 160;

impl<W: Write> AnglesWriter<W> {
    pub fn new(mut out: W) -> io::Result<Self> {
        writeln!(out, "{ANGLES_HEADER}")?;
        Ok(Self {
            out,
            pending: vec![0; ANGLES_CHUNK + ROW_ROOM],
            filled: 0,
            rare: Vec::new(),
        })
    }

    pub fn write(&mut self, step: &Step) -> io::Result<()> {
        self.write_row(&AnglesRow::of(step))
    }

    pub fn write_row(&mut self, r: &AnglesRow) -> io::Result<()> {
        self.write_rows(std::slice::from_ref(r))
    }

    /// [`Self::write_row`] of each row in turn: one call a batch, where a call a row spent about
    /// 20 instructions a row saving and restoring registers.
    pub fn write_rows(&mut self, rows: &[AnglesRow]) -> io::Result<()> {
        for r in rows {
            let room = &mut self.pending[self.filled..self.filled + ROW_ROOM];
            match format_row(room.try_into().expect("ROW_ROOM bytes"), r) {
                Some(len) => self.filled += len,
                None => self.write_rare_row(r),
            }
            if self.filled >= ANGLES_CHUNK {
                self.write_pending()?;
            }
        }
        Ok(())
    }

    /// [`Self::write_row`] of a row with a value not finite or too large, which may be longer
    /// than [`ROW_ROOM`]: column by column with [`push_fixed`], then copied in.
    #[cold]
    fn write_rare_row(&mut self, r: &AnglesRow) {
        let row = &mut self.rare;
        row.clear();
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
        row.extend_from_slice(state_text(r.state));
        let end = self.filled + row.len();
        if self.pending.len() < end + ROW_ROOM {
            self.pending.resize(end + ROW_ROOM, 0);
        }
        self.pending[self.filled..end].copy_from_slice(row);
        self.filled = end;
    }

    /// Hands the gathered rows to `out`. On an error they are dropped: the file is broken anyway,
    /// and the error names it.
    fn write_pending(&mut self) -> io::Result<()> {
        let result = self.out.write_all(&self.pending[..self.filled]);
        self.filled = 0;
        result
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.write_pending()?;
        self.out.flush()
    }
}

/// Writes row `r` (with its newline) at the start of `room` and returns its length; `None` if a
/// value is one [`put_fixed`] does not take (`room` is then in any state).
///
/// Cost: about 45 to 95 instructions a column and 10 for the state. Each column is followed by
/// its comma, which [`put_fixed`] writes in the same store as the last digits (an empty angle
/// is just the comma); the columns are written one after the other, with no loop (a loop over
/// the quaternion kept its components on the stack).
#[inline(always)]
fn format_row(room: &mut [u8; ROW_ROOM], r: &AnglesRow) -> Option<usize> {
    let mut at = put_fixed::<6>(window(room, 0), r.t_s)? + 1;
    at += put_angle(window(room, at), r.flexion_deg)? + 1;
    at += put_angle(window(room, at), r.lateral_deg)? + 1;
    let [w, i, j, k] = r.q;
    at += put_fixed::<7>(window(room, at), w)? + 1;
    at += put_fixed::<7>(window(room, at), i)? + 1;
    at += put_fixed::<7>(window(room, at), j)? + 1;
    // The state's text starts with the comma.
    at += put_fixed::<7>(window(room, at), k)?;
    let (text, len) = &STATE_TEXT[r.state.index()];
    room[at..at + STATE_ROOM].copy_from_slice(text);
    Some(at + len)
}

/// An angle column (3 decimals; nothing if there is none) and its comma, as [`put_fixed`].
#[inline(always)]
fn put_angle(column: &mut [u8; FIXED_ROOM], angle: Option<f64>) -> Option<usize> {
    match angle {
        Some(v) => put_fixed::<3>(column, v),
        None => {
            column[0] = b',';
            Some(0)
        }
    }
}

/// The [`FIXED_ROOM`] bytes of `room` from `at` (a bounds check each, the only one a column).
#[inline(always)]
fn window(room: &mut [u8; ROW_ROOM], at: usize) -> &mut [u8; FIXED_ROOM] {
    (&mut room[at..at + FIXED_ROOM])
        .try_into()
        .expect("FIXED_ROOM bytes")
}

/// Bytes of a state's entry in [`STATE_TEXT`]: the longest text, `,uncalibrated\n`, is 14.
const STATE_ROOM: usize = 16;

/// The end of a row for each state (in [`PostureState::index`] order): the comma, the state's name
/// ([`PostureState::as_str`]), the newline, padded to one 16-byte store; and its length.
const STATE_TEXT: [([u8; STATE_ROOM], usize); 6] = [
    (*b",upright\n\0\0\0\0\0\0\0", 9),
    (*b",slouched\n\0\0\0\0\0\0", 10),
    (*b",leaning_back\n\0\0", 14),
    (*b",moving\n\0\0\0\0\0\0\0\0", 8),
    (*b",uncalibrated\n\0\0", 14),
    (*b",no_data\n\0\0\0\0\0\0\0", 9),
];

/// The end of a row in state `state`: `,name\n`.
fn state_text(state: PostureState) -> &'static [u8] {
    let (text, len) = &STATE_TEXT[state.index()];
    &text[..*len]
}

impl<W: Write> Drop for AnglesWriter<W> {
    /// Rows written but not flushed still reach `out`, as they would through a `BufWriter`.
    fn drop(&mut self) {
        if self.filled > 0 {
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
    /// Rows `..rows` are this batch's; the rest are filler. [`ANGLES_BATCH`] long until
    /// [`Self::finish`] (then empty), so a row is stored in place (see [`Self::push`]).
    batch: Vec<AnglesRow>,
    rows: usize,
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
                crate::priority::step_back();
                for batch in rx {
                    writer.write_rows(&batch)?;
                    // Full, not cleared: the sink overwrites its rows. It may be gone already
                    // (it stops recycling at the end).
                    let _unused = back_tx.send(batch);
                }
                writer.flush()
            })
            .map_err(|e| SinkError::at(path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            batch: vec![AnglesRow::FILLER; ANGLES_BATCH],
            rows: 0,
            tx: Some(tx),
            recycled,
            thread: Some(thread),
            failed: None,
        })
    }

    /// Runs on the driver's thread for every sample: the row is built in its place in the batch,
    /// which is handed over every [`ANGLES_BATCH`] rows.
    ///
    /// Why in place, and [`Self::send`] out of line: with `Vec::push` (which may grow the
    /// vector) or the hand-over inlined, the row was read into registers that had to survive a
    /// call, so every row saved and restored six registers: 52 instructions a row, now 36.
    #[inline]
    fn push(&mut self, step: &Step) -> Result<(), SinkError> {
        let Some(slot) = self.batch.get_mut(self.rows) else {
            // Full and not handed over: the writer has failed (this says so), or the file is
            // finished (the row is dropped, as it would never reach the file).
            return self.send();
        };
        *slot = AnglesRow::of(step);
        self.rows += 1;
        if self.rows == ANGLES_BATCH {
            return self.send();
        }
        Ok(())
    }

    /// Hands the rows so far to the writer; if it has stopped, says why.
    #[cold]
    #[inline(never)]
    fn send(&mut self) -> Result<(), SinkError> {
        if let Some(kind) = self.failed {
            return Err(SinkError::at(&self.path, io::Error::from(kind)));
        }
        let Some(tx) = &self.tx else {
            return Ok(());
        };
        // A recycled batch comes back full (the last one, cut short, never does).
        let mut next = self
            .recycled
            .try_recv()
            .unwrap_or_else(|_| vec![AnglesRow::FILLER; ANGLES_BATCH]);
        next.resize(ANGLES_BATCH, AnglesRow::FILLER);
        let mut batch = std::mem::replace(&mut self.batch, next);
        batch.truncate(self.rows);
        self.rows = 0;
        if tx.send(batch).is_err() {
            // The writer stopped on an error: collect it.
            return self.finish();
        }
        Ok(())
    }

    /// Writes everything handed so far and closes the file; later calls say the same.
    fn finish(&mut self) -> Result<(), SinkError> {
        if let Some(tx) = &self.tx
            && self.rows > 0
        {
            let mut batch = std::mem::take(&mut self.batch);
            batch.truncate(self.rows);
            self.rows = 0;
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
            Fact::Sample { step, .. } => self.push(step),
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
    /// Every sample's fact comes here too, and it has nothing to do with one: that answer comes
    /// first, before the frame of the rest (four registers saved and restored, the error written
    /// through memory): 21 instructions a sample, now 6.
    #[inline]
    fn fact(&mut self, fact: &Fact<'_>) -> Result<(), SinkError> {
        match fact {
            Fact::Event(_) | Fact::Finished { .. } => self.write(fact),
            _ => Ok(()),
        }
    }
}

impl EventsSink {
    /// [`Sink::fact`] of an event or the end.
    #[inline(never)]
    fn write(&mut self, fact: &Fact<'_>) -> Result<(), SinkError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The row as [`AnglesWriter::write_row`] wrote it before [`format_row`]: column by column
    /// with [`push_fixed`] (itself checked against its previous version in `format`).
    fn reference_row(r: &AnglesRow) -> Vec<u8> {
        let mut row = Vec::new();
        push_fixed(&mut row, r.t_s, 6);
        row.push(b',');
        if let Some(f) = r.flexion_deg {
            push_fixed(&mut row, f, 3);
        }
        row.push(b',');
        if let Some(l) = r.lateral_deg {
            push_fixed(&mut row, l, 3);
        }
        for v in r.q {
            row.push(b',');
            push_fixed(&mut row, v, 7);
        }
        row.push(b',');
        row.extend_from_slice(r.state.as_str().as_bytes());
        row.push(b'\n');
        row
    }

    /// Rows of every kind: the app's ranges, ties, empty angles, signs, zeros and `-0.0`, values
    /// at and past the fast path's limits, NaN and infinities (the same rows every run).
    fn rows(count: usize) -> Vec<AnglesRow> {
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move || {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        };
        let mut value = move |d: i32, scale: f64| {
            let bits = next();
            let unit = (bits >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            match bits % 16 {
                0 => f64::from_bits(next()),
                1 => [
                    0.0,
                    -0.0,
                    f64::NAN,
                    f64::INFINITY,
                    -f64::INFINITY,
                    9.0e15,
                    -1e300,
                ][(bits >> 4) as usize % 7],
                2 => (((bits >> 8) % 1_000_000) as f64 + 0.5) / 10f64.powi(d) * unit.signum(),
                3 => unit * 10f64.powi((bits >> 4) as i32 % 20 - 4),
                4 => -0.4 / 10f64.powi(d) * unit.abs(),
                _ => unit * scale,
            }
        };
        (0..count)
            .map(|i| {
                let angle = |v: f64| (i % 7 != 3).then_some(v);
                AnglesRow {
                    t_s: value(6, 172_800.0).abs(),
                    flexion_deg: angle(value(3, 360.0)),
                    lateral_deg: if i % 5 == 1 {
                        None
                    } else {
                        Some(value(3, 360.0))
                    },
                    q: [value(7, 2.0), value(7, 2.0), value(7, 2.0), value(7, 2.0)],
                    state: PostureState::ALL[i % PostureState::ALL.len()],
                }
            })
            .collect()
    }

    #[test]
    fn state_texts_are_the_states_names() {
        for state in PostureState::ALL {
            let (text, len) = &STATE_TEXT[state.index()];
            assert_eq!(
                state_text(state),
                format!(",{}\n", state.as_str()).as_bytes()
            );
            assert!(text[*len..].iter().all(|&b| b == 0));
        }
    }

    #[test]
    fn rows_are_formatted_as_before() {
        let mut rare = 0;
        for r in rows(200_000) {
            let mut room = [0; ROW_ROOM];
            let expected = reference_row(&r);
            match format_row(&mut room, &r) {
                Some(len) => assert_eq!(
                    String::from_utf8_lossy(&room[..len]),
                    String::from_utf8_lossy(&expected),
                    "{r:?}"
                ),
                None => rare += 1,
            }
        }
        // Both paths were taken.
        assert!((1_000..100_000).contains(&rare), "{rare} rare rows");
    }

    #[test]
    fn the_widest_row_fits_its_room() {
        let r = AnglesRow {
            t_s: -4.503_599_627e9,
            flexion_deg: Some(-4.503_599_627_37e12),
            lateral_deg: Some(-4.503_599_627_37e12),
            q: [-4.503_599_62e8; 4],
            state: PostureState::Uncalibrated,
        };
        let mut room = [0; ROW_ROOM];
        let len = format_row(&mut room, &r).expect("within the fast path");
        assert_eq!(&room[..len], reference_row(&r).as_slice());
        assert_eq!(len, 7 * 19 + 13);
    }

    #[test]
    fn the_file_is_every_row_in_order_across_chunks() {
        let rows = rows(40_000);
        let mut writer = AnglesWriter::new(Vec::new()).expect("a Vec takes the header");
        let mut expected = format!("{ANGLES_HEADER}\n").into_bytes();
        // A row at a time and in batches, as the writer thread hands them.
        let (single, batched) = rows.split_at(5_000);
        for r in single {
            writer.write_row(r).expect("a Vec takes every row");
        }
        for batch in batched.chunks(ANGLES_BATCH) {
            writer.write_rows(batch).expect("a Vec takes every row");
        }
        for r in &rows {
            expected.extend_from_slice(&reference_row(r));
        }
        writer.flush().expect("a Vec flushes");
        // More than a chunk, so the buffer was handed over and reused.
        assert!(expected.len() > 2 * ANGLES_CHUNK);
        assert!(writer.out == expected, "the file differs");
    }
}
