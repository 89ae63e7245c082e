//! Streaming session CSV reader: one reused line buffer, no per-field allocation, so memory does
//! not grow with the file and parsing is never the slow stage of a replay.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::error::{SessionError, SessionErrorKind};
use super::marks::SessionMark;
use super::meta::SessionMeta;
use crate::number::{DECIMAL_WINDOW, parse_decimal_window, parse_f64, parse_f64_prefix};
use crate::sample::ImuSample;

/// The columns every session file has, in the order the writer emits them.
pub const REQUIRED_COLUMNS: [&str; 7] = [
    "time_s", "ax_g", "ay_g", "az_g", "gx_dps", "gy_dps", "gz_dps",
];

/// At most this much of a bad field is quoted in an error (a hostile field may be megabytes).
const QUOTE_MAX: usize = 40;

/// A bad field for an error message: a short prefix, with "…" when cut.
fn quote_prefix(field: &[u8]) -> String {
    let text = String::from_utf8_lossy(&field[..field.len().min(QUOTE_MAX * 4)]);
    let mut out: String = text.chars().take(QUOTE_MAX).collect();
    if out.len() < field.len() {
        out.push('…');
    }
    out
}

/// Reads samples from a session CSV one row at a time.
pub struct SessionReader<R> {
    input: R,
    file: PathBuf,
    line_no: u64,
    line: Vec<u8>,
    meta: SessionMeta,
    warnings: Vec<String>,
    /// Header column names, in file order.
    header: Vec<String>,
    /// For each required column, its index in the header.
    index: [usize; 7],
    /// For each header position, which required column it is (or none).
    slot_of: Vec<Option<usize>>,
    last_t: Option<f64>,
    skip_bad_rows: bool,
    skipped_rows: u64,
    first_skipped: Option<SessionError>,
    /// Marks met between rows (lost/back, calibrations) since the last [`Self::take_marks`].
    marks: VecDeque<SessionMark>,
    /// A row read ahead to judge a time jump, with the marks that came before it.
    peeked: Option<(ImuSample, u64, Vec<SessionMark>)>,
    /// An error met while reading ahead; it belongs after the row returned first.
    peeked_err: Option<SessionError>,
    /// A sample [`Self::fill_batch`] read after marks: it comes after them, so it starts the next
    /// batch (or is the next [`Self::next_sample`]).
    held: Option<ImuSample>,
    /// Warnings not kept word for word.
    warnings_dropped: u64,
    /// Metadata entries not kept.
    meta_dropped: u64,
}

/// Marks kept for a caller that never takes them (a hostile file cannot grow memory).
const MAX_PENDING_MARKS: usize = 64;
/// Longest line read, in bytes: a row of seven numbers needs ~100; longer is not a session row,
/// and a file with no line breaks at all must not be read into memory whole.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// Metadata entries kept besides the known keys (a file of millions of `# k=v` lines stays small).
const MAX_OTHER_META: usize = 256;
/// Warnings kept word for word; later ones are only counted.
const MAX_WARNINGS: usize = 8;
/// A forward jump longer than this is checked against the next row: a lone outlier (the next row
/// comes back to where the time was) is the bad row, not every row after it. Seconds.
const JUMP_CHECK_S: f64 = 1.0;
/// Physical limits of a row (the protocol's: a sensor beyond these is broken, not slouching).
pub const ACCEL_LIMIT_G: f64 = crate::protocol::ACCEL_LIMIT_G;
pub const GYRO_LIMIT_DPS: f64 = crate::protocol::GYRO_LIMIT_DPS;
/// Largest row time magnitude, seconds (about 317 years). Session time starts at 0, and a file
/// from elsewhere may count from the Unix epoch (about 1.8e9 s today); a time beyond this is a
/// corrupt field. Why a bound at all: a session spanning 1e300 s overflows every millisecond
/// count downstream (the history's UTC times, the import's overlap check).
pub const TIME_LIMIT_S: f64 = 1e10;
/// The largest magnitude of each required column, in [`REQUIRED_COLUMNS`] order.
const ROW_LIMITS: [f64; 7] = [
    TIME_LIMIT_S,
    ACCEL_LIMIT_G,
    ACCEL_LIMIT_G,
    ACCEL_LIMIT_G,
    GYRO_LIMIT_DPS,
    GYRO_LIMIT_DPS,
    GYRO_LIMIT_DPS,
];

impl SessionReader<BufReader<File>> {
    /// Opens a file and reads its metadata and header.
    pub fn open(path: &Path) -> Result<Self, SessionError> {
        let file =
            File::open(path).map_err(|e| SessionError::new(path, None, SessionErrorKind::Io(e)))?;
        Self::new(BufReader::with_capacity(1 << 16, file), path)
    }
}

impl<R: BufRead> SessionReader<R> {
    /// Reads metadata and the header from `input`; `file` names it in errors.
    pub fn new(input: R, file: &Path) -> Result<Self, SessionError> {
        let mut reader = Self {
            input,
            file: file.to_path_buf(),
            line_no: 0,
            line: Vec::with_capacity(256),
            meta: SessionMeta::default(),
            warnings: Vec::new(),
            header: Vec::new(),
            index: [0; 7],
            slot_of: Vec::new(),
            last_t: None,
            skip_bad_rows: false,
            skipped_rows: 0,
            first_skipped: None,
            marks: VecDeque::new(),
            peeked: None,
            peeked_err: None,
            held: None,
            warnings_dropped: 0,
            meta_dropped: 0,
        };
        reader.read_header()?;
        Ok(reader)
    }

    /// The input, for what a wrapping reader learned on the way (the import's content hash).
    pub fn into_input(self) -> R {
        self.input
    }

    /// With `true`, malformed rows are counted and skipped instead of ending the read.
    pub fn skip_bad_rows(mut self, skip: bool) -> Self {
        self.skip_bad_rows = skip;
        self
    }

    /// Metadata from the `# key=value` lines before the header (and the latest calibration met
    /// between rows).
    pub fn meta(&self) -> &SessionMeta {
        &self.meta
    }

    /// Header column names in file order (extra columns included).
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// Problems that did not stop the read (unreadable metadata values): the first few word for
    /// word, then how many more.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = self.warnings.clone();
        if self.warnings_dropped > 0 {
            out.push(format!(
                "{}: {} more metadata warnings like these",
                self.file.display(),
                self.warnings_dropped
            ));
        }
        if self.meta_dropped > 0 {
            out.push(format!(
                "{}: {} more metadata lines than the {MAX_OTHER_META} kept were ignored",
                self.file.display(),
                self.meta_dropped
            ));
        }
        out
    }

    fn warn(&mut self, text: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(text);
        } else {
            self.warnings_dropped += 1;
        }
    }

    /// How many rows `skip_bad_rows` has skipped, and the first of those errors.
    pub fn skipped_rows(&self) -> (u64, Option<&SessionError>) {
        (self.skipped_rows, self.first_skipped.as_ref())
    }

    /// Marks written between rows (sensor lost / back, a calibration taken while recording) met
    /// since the last call, in file order; they come before the sample last returned by
    /// [`Self::next_sample`] and apply from it on. Only the last few are kept if never taken.
    pub fn take_marks(&mut self, out: &mut Vec<SessionMark>) {
        // Called after every row; the empty case must cost nothing (a drain is not free).
        if !self.marks.is_empty() {
            out.extend(self.marks.drain(..));
        }
    }

    /// Line number of the last line read (1-based).
    pub fn line_no(&self) -> u64 {
        self.line_no
    }

    fn err(&self, kind: SessionErrorKind) -> SessionError {
        SessionError::new(&self.file, Some(self.line_no), kind)
    }

    /// Reads the next physical line into `self.line` without its line ending.
    /// Returns false at end of input.
    ///
    /// A line longer than [`MAX_LINE_BYTES`] is read to its end but not kept: the error
    /// [`SessionErrorKind::LineTooLong`] says so (memory stays bounded whatever the file holds).
    fn next_line(&mut self) -> Result<bool, SessionError> {
        self.line.clear();
        let mut total = 0usize;
        let mut ended = false;
        loop {
            let buf = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.err(SessionErrorKind::Io(e))),
            };
            if buf.is_empty() {
                break;
            }
            let (take, found) = match memchr::memchr(b'\n', buf) {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            let room = (MAX_LINE_BYTES + 2).saturating_sub(self.line.len());
            self.line.extend_from_slice(&buf[..take.min(room)]);
            self.input.consume(take);
            total += take;
            if found {
                ended = true;
                break;
            }
        }
        if total == 0 {
            return Ok(false);
        }
        self.line_no += 1;
        while matches!(self.line.last(), Some(b'\n' | b'\r')) {
            self.line.pop();
        }
        // A UTF-8 byte-order mark from spreadsheet exports is not part of the first line.
        if self.line_no == 1 && self.line.starts_with(&[0xEF, 0xBB, 0xBF]) {
            self.line.drain(..3);
        }
        let content = total - usize::from(ended);
        if content > MAX_LINE_BYTES {
            self.line.clear();
            return Err(self.err(SessionErrorKind::LineTooLong { bytes: content }));
        }
        Ok(true)
    }

    /// Handles a `#` line: `# key=value` is metadata, anything else a comment.
    fn take_comment(&mut self) {
        let text = String::from_utf8_lossy(&self.line[1..]).into_owned();
        if !self.header.is_empty() {
            // Between rows only marks matter (sensor lost / back, a calibration taken while
            // recording); other comments are not kept, so memory stays flat however many there are.
            if let Some(mark) = SessionMark::parse(&text) {
                if let SessionMark::Calibration(c) = &mark {
                    self.meta.calibration = Some(c.clone());
                }
                if self.marks.len() >= MAX_PENDING_MARKS {
                    self.marks.pop_front();
                }
                self.marks.push_back(mark);
            }
            return;
        }
        if let Some((key, value)) = text.trim().split_once('=') {
            let key = key.trim();
            if key.is_empty() || key.contains(char::is_whitespace) {
                return;
            }
            if let Some(w) = self.meta.set(key, value) {
                let w = format!("{}:{}: {w}", self.file.display(), self.line_no);
                self.warn(w);
            }
            if self.meta.other.len() > MAX_OTHER_META {
                self.meta.other.truncate(MAX_OTHER_META);
                self.meta_dropped += 1;
            }
        }
    }

    fn read_header(&mut self) -> Result<(), SessionError> {
        loop {
            if !self.next_line()? {
                return Err(self.err(SessionErrorKind::NoHeader));
            }
            if self.line.first() == Some(&b'#') {
                self.take_comment();
                continue;
            }
            if self.line.trim_ascii().is_empty() {
                continue;
            }
            break;
        }
        let text =
            std::str::from_utf8(&self.line).map_err(|_| self.err(SessionErrorKind::NotText))?;
        // A UTF-8 byte-order mark from spreadsheet exports is not part of the first name.
        let text = text.trim_start_matches('\u{feff}');
        self.header = text.split(',').map(|h| h.trim().to_string()).collect();
        self.slot_of = vec![None; self.header.len()];
        for (slot, name) in REQUIRED_COLUMNS.iter().enumerate() {
            let Some(pos) = self.header.iter().position(|h| h == name) else {
                return Err(self.err(SessionErrorKind::MissingColumn).with_column(name));
            };
            self.index[slot] = pos;
            self.slot_of[pos] = Some(slot);
        }
        Ok(())
    }

    /// Parses the current line as a data row (its time order is judged by the caller).
    fn parse_row(&self) -> Result<ImuSample, SessionError> {
        match self.parse_plain_row() {
            Some(sample) => Ok(sample),
            None => self.parse_row_checked(),
        }
    }

    /// The common row in one pass: every field where it stands, no split, no trim; each wanted
    /// field a plain number inside its limit, then a `,` or the line's end.
    ///
    /// Why: a row read by line (one [`plain_row_in_buffer`] left, such as a row cut by the end
    /// of the input's buffer) is still most often plain, and this is cheaper than the checked
    /// path. It accepts a subset of what [`Self::parse_row_checked`] accepts, with the same
    /// values; anything else (spaces around a value, a bad field, a value past its limit) is
    /// `None` and read again by that path, which names the fault.
    fn parse_plain_row(&self) -> Option<ImuSample> {
        let line = self.line.as_slice();
        let mut values = [0.0f64; 7];
        let mut at = 0usize;
        for (pos, slot) in self.slot_of.iter().enumerate() {
            if pos > 0 {
                if line.get(at) != Some(&b',') {
                    return None;
                }
                at += 1;
            }
            let rest = line.get(at..)?;
            match *slot {
                Some(slot) => {
                    let (v, used) = parse_f64_prefix(rest)?;
                    // `parse_f64_prefix` gives finite values only.
                    if v.abs() > *ROW_LIMITS.get(slot)? {
                        return None;
                    }
                    *values.get_mut(slot)? = v;
                    at += used;
                }
                None => at += memchr::memchr(b',', rest).unwrap_or(rest.len()),
            }
        }
        if at != line.len() {
            return None;
        }
        Some(ImuSample::new(
            values[0],
            [values[1], values[2], values[3]],
            [values[4], values[5], values[6]],
        ))
    }

    /// A data row read field by field, every fault named: the path for rows
    /// [`Self::parse_plain_row`] does not take.
    fn parse_row_checked(&self) -> Result<ImuSample, SessionError> {
        let mut values = [0.0f64; 7];
        let mut n_fields = 0usize;
        for (pos, field) in self.line.split(|&b| b == b',').enumerate() {
            n_fields += 1;
            if let Some(Some(slot)) = self.slot_of.get(pos) {
                let column = REQUIRED_COLUMNS[*slot];
                match parse_f64(field.trim_ascii()) {
                    Some(v) if *slot == 0 && v.abs() > ROW_LIMITS[0] => {
                        return Err(self
                            .err(SessionErrorKind::TimeOutOfRange { value_s: v })
                            .with_column(column));
                    }
                    Some(v) if v.is_finite() => {
                        // The one-pass path's limits, so the two paths cannot drift apart.
                        let limit = match *slot {
                            1..=3 => Some((ROW_LIMITS[*slot], "g")),
                            4..=6 => Some((ROW_LIMITS[*slot], "deg/s")),
                            _ => None,
                        };
                        if let Some((limit, unit)) = limit
                            && v.abs() > limit
                        {
                            return Err(self
                                .err(SessionErrorKind::OutOfRange {
                                    value: v,
                                    limit,
                                    unit,
                                })
                                .with_column(column));
                        }
                        values[*slot] = v;
                    }
                    _ => {
                        return Err(self
                            .err(SessionErrorKind::NotANumber {
                                text: quote_prefix(field),
                            })
                            .with_column(column));
                    }
                }
            }
        }
        if n_fields != self.header.len() {
            return Err(self.err(SessionErrorKind::ColumnCount {
                expected: self.header.len(),
                found: n_fields,
            }));
        }
        Ok(ImuSample::new(
            values[0],
            [values[1], values[2], values[3]],
            [values[4], values[5], values[6]],
        ))
    }

    /// A row skipped (with `skip_bad_rows`) or the error that ends the read.
    fn bad_row(&mut self, e: SessionError) -> Result<(), SessionError> {
        if self.skip_bad_rows && !matches!(e.kind, SessionErrorKind::Io(_)) {
            self.skipped_rows += 1;
            if self.first_skipped.is_none() {
                self.first_skipped = Some(e);
            }
            Ok(())
        } else {
            Err(e)
        }
    }

    /// The next well-formed row (fields and limits checked, time order not yet) with its line.
    ///
    /// A row of short plain numbers that lies whole in the input's buffer is read where it
    /// stands ([`plain_row_in_buffer`]): no copy into the line buffer, no separate search for its
    /// end. Anything else (a comment, a row cut by the buffer's end, a field that path does not
    /// take) is read by [`Self::next_row_by_line`] as if the first look had not been made: it
    /// consumed nothing. That path is kept out of line, which keeps this one small (about 10
    /// instructions a row fewer).
    #[inline]
    fn next_row(&mut self) -> Result<Option<(ImuSample, u64)>, SessionError> {
        // The buffer handled as `next_line`'s first look handles it, so the end of input and a
        // read error are met once, as there.
        match self.input.fill_buf() {
            Ok([]) => return Ok(None),
            Ok(buf) => {
                if let Some((sample, used)) = plain_row_in_buffer(buf, &self.slot_of) {
                    self.input.consume(used);
                    self.line_no += 1;
                    return Ok(Some((sample, self.line_no)));
                }
            }
            // `next_line` tries again.
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                let e = self.err(SessionErrorKind::Io(e));
                self.bad_row(e)?;
            }
        }
        self.next_row_by_line()
    }

    /// [`Self::next_row`] a line at a time through the line buffer: every line, every fault.
    #[inline(never)]
    fn next_row_by_line(&mut self) -> Result<Option<(ImuSample, u64)>, SessionError> {
        loop {
            match self.next_line() {
                Ok(true) => {}
                Ok(false) => return Ok(None),
                Err(e) => {
                    self.bad_row(e)?;
                    continue;
                }
            }
            match self.line.first() {
                Some(b'#') => {
                    self.take_comment();
                    continue;
                }
                None => continue,
                _ => {}
            }
            match self.parse_row() {
                Ok(sample) => return Ok(Some((sample, self.line_no))),
                Err(e) => self.bad_row(e)?,
            }
        }
    }

    /// The next sample, `Ok(None)` at the end of the file.
    ///
    /// A bad row is an error naming file, line and column, unless `skip_bad_rows` is on, in which
    /// case it is counted and the read goes on. Time must not go backwards; a lone row far ahead
    /// of its neighbours (the next row comes back to where the time was) is the bad row, not every
    /// row after it.
    pub fn next_sample(&mut self) -> Result<Option<ImuSample>, SessionError> {
        if let Some(s) = self.held.take() {
            return Ok(Some(s));
        }
        loop {
            if let Some(e) = self.peeked_err.take() {
                self.bad_row(e)?;
            }
            let (sample, line) = match self.peeked.take() {
                Some((s, line, marks)) => {
                    self.marks.extend(marks);
                    (s, line)
                }
                None => match self.next_row()? {
                    Some(r) => r,
                    None => return Ok(None),
                },
            };
            let t = sample.t_s;
            if let Some(prev) = self.last_t {
                if t < prev {
                    let e = SessionError::new(
                        &self.file,
                        Some(line),
                        SessionErrorKind::TimeBackwards {
                            previous_s: prev,
                            found_s: t,
                        },
                    )
                    .with_column("time_s");
                    self.bad_row(e)?;
                    continue;
                }
                if t - prev > JUMP_CHECK_S && self.is_lone_jump(prev, t)? {
                    let e = SessionError::new(
                        &self.file,
                        Some(line),
                        SessionErrorKind::TimeOutlier {
                            previous_s: prev,
                            found_s: t,
                        },
                    )
                    .with_column("time_s");
                    self.bad_row(e)?;
                    continue;
                }
            }
            self.last_t = Some(t);
            return Ok(Some(sample));
        }
    }

    /// Reads the row after a jump from `prev_s` to `t_s` ahead: the jump is a lone outlier if that
    /// row comes back to between the two. The row read is kept for the next call.
    fn is_lone_jump(&mut self, prev_s: f64, t_s: f64) -> Result<bool, SessionError> {
        let marks_before = self.marks.len();
        match self.next_row() {
            Ok(Some((next, line))) => {
                let marks: Vec<SessionMark> = self.marks.drain(marks_before..).collect();
                let lone = next.t_s >= prev_s && next.t_s < t_s;
                self.peeked = Some((next, line, marks));
                Ok(lone)
            }
            Ok(None) => Ok(false),
            Err(e) => {
                self.peeked_err = Some(e);
                Ok(false)
            }
        }
    }

    /// Appends samples to `batch` until it holds `max`, or marks come before the next sample, or
    /// the input ends; `Ok(false)` at the end, `Ok(true)` otherwise. Then [`Self::take_marks`]
    /// gives the marks met: they come after every sample in `batch` and before the next one (read
    /// already and kept: it starts the next batch). An error ends the batch as it ends
    /// [`Self::next_sample`], the samples before it in `batch`, the marks since the last sample
    /// not taken. Samples, marks, errors and skipped rows are exactly those of calling
    /// [`Self::next_sample`] and [`Self::take_marks`] row by row.
    ///
    /// Why: the replay's reader thread reads a whole batch at a time, and row by row each sample
    /// went through `next_sample`'s `Result<Option<_>>`, its checks for a row read ahead and the
    /// input's `fill_buf` and `consume`: about 120 instructions a row besides the row itself
    /// (the 1-hour day's reader thread: 353 M instructions row by row, 309 M batch-wise).
    /// Here the rows that lie whole in the input's buffer are read in one loop
    /// ([`plain_rows_in_buffer`]), each pushed straight into `batch` after the one time check
    /// every ordinary row passes, and the buffer is consumed once for all of them. Every other row
    /// (the first, a comment or mark, a row cut by the buffer's end, a bad field, a time going
    /// back or jumping ahead, anything after a row read ahead) goes through `next_sample`.
    pub fn fill_batch(
        &mut self,
        batch: &mut Vec<ImuSample>,
        max: usize,
    ) -> Result<bool, SessionError> {
        if let Some(s) = self.held.take() {
            batch.push(s);
        }
        batch.reserve(max.saturating_sub(batch.len()));
        while batch.len() < max {
            // In the loop only with nothing read ahead, no marks waiting (the rows it reads must
            // not go before them) and a time to check the first row against.
            if let (None, None, true, Some(prev)) = (
                &self.peeked,
                &self.peeked_err,
                self.marks.is_empty(),
                self.last_t,
            ) {
                // The buffer handled as `next_row` handles it, so the end of input and a read
                // error are met once, as there.
                match self.input.fill_buf() {
                    Ok([]) => return Ok(false),
                    Ok(buf) => {
                        let (rows, used, last_t) =
                            plain_rows_in_buffer(buf, &self.slot_of, prev, batch, max);
                        let emptied = used == buf.len();
                        self.input.consume(used);
                        self.line_no += rows;
                        self.last_t = Some(last_t);
                        if emptied || batch.len() >= max {
                            continue;
                        }
                    }
                    // `next_sample` tries again.
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    // What `next_row` makes of it (a read error is never a skipped row).
                    Err(e) => return Err(self.err(SessionErrorKind::Io(e))),
                }
            }
            match self.next_sample()? {
                Some(s) if self.marks.is_empty() => batch.push(s),
                Some(s) => {
                    self.held = Some(s);
                    return Ok(true);
                }
                None => return Ok(false),
            }
        }
        Ok(true)
    }
}

impl<R: BufRead> Iterator for SessionReader<R> {
    type Item = Result<ImuSample, SessionError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_sample().transpose()
    }
}

/// A data row at the start of `buf` (the input's unread bytes), read where it stands, with the
/// bytes it takes up to and including its `\n`: every wanted field a number
/// [`parse_decimal_window`] takes, inside its limit; every other field anything without `,` or
/// `\n`; the fields `,`-separated, the last followed by `\n` or `\r\n`.
///
/// It takes a subset of what [`SessionReader::parse_plain_row`] takes on the same line, with the
/// same values; anything else is `None` (nothing consumed, the line read again the usual way):
/// a `#` line, a blank line, a row not yet whole in `buf`, and a field the window does not cover
/// (`.5`, `1e3`, eight decimals, spaces). Why one more path: it is a replay's reading for almost
/// every row, and it saves the copy into the line buffer, the search for the line's end and the
/// general number parser's loops: about 860 instructions a row of the recorder's (time, accel,
/// gyro at 6, 5 and 3 decimals) from [`SessionReader::next_row`], against about 1 540 by line.
#[inline]
fn plain_row_in_buffer(buf: &[u8], slot_of: &[Option<usize>]) -> Option<(ImuSample, usize)> {
    if buf.first() == Some(&b'#') {
        return None;
    }
    let mut values = [0.0f64; 7];
    let (last, first) = slot_of.split_last()?;
    let mut at = 0usize;
    for slot in first {
        at = plain_field(buf, at, *slot, &mut values)?;
        if buf.get(at) != Some(&b',') {
            return None;
        }
        at += 1;
    }
    let end = plain_field(buf, at, *last, &mut values)?;
    let line_end = match buf.get(end..)? {
        [b'\n', ..] => end,
        [b'\r', b'\n', ..] => end + 1,
        _ => return None,
    };
    // The line's content (without `\n`) must be within the limit `next_line` enforces.
    if line_end > MAX_LINE_BYTES {
        return None;
    }
    Some((
        ImuSample::new(
            values[0],
            [values[1], values[2], values[3]],
            [values[4], values[5], values[6]],
        ),
        line_end + 1,
    ))
}

/// `slot_of` for the header session files are written with: the required columns in
/// [`REQUIRED_COLUMNS`] order and nothing else.
const STANDARD_SLOTS: [Option<usize>; 7] = [
    Some(0),
    Some(1),
    Some(2),
    Some(3),
    Some(4),
    Some(5),
    Some(6),
];

/// The rows at the start of `buf` that [`plain_row_in_buffer`] takes and whose time follows the
/// one before without a check (not back, at most [`JUMP_CHECK_S`] ahead), pushed onto `batch`
/// while it holds fewer than `max`; returns how many rows, the bytes they took and the last time
/// (`prev_s` if none). The loop of [`SessionReader::fill_batch`]: it stops at the first row that
/// needs more than this, leaving it unread.
///
/// Under the standard header the rows are read by [`standard_row_in_buffer`], the same reading
/// with every column's place known.
#[inline(never)]
fn plain_rows_in_buffer(
    buf: &[u8],
    slot_of: &[Option<usize>],
    prev_s: f64,
    batch: &mut Vec<ImuSample>,
    max: usize,
) -> (u64, usize, f64) {
    if slot_of == STANDARD_SLOTS {
        rows_in_buffer(buf, prev_s, batch, max, standard_row_in_buffer)
    } else {
        rows_in_buffer(buf, prev_s, batch, max, |rest| {
            plain_row_in_buffer(rest, slot_of)
        })
    }
}

/// [`plain_rows_in_buffer`] with `row` reading one row.
#[inline(always)]
fn rows_in_buffer(
    buf: &[u8],
    mut prev_s: f64,
    batch: &mut Vec<ImuSample>,
    max: usize,
    row: impl Fn(&[u8]) -> Option<(ImuSample, usize)>,
) -> (u64, usize, f64) {
    let mut used = 0usize;
    let mut rows = 0u64;
    while batch.len() < max {
        let Some((sample, n)) = buf.get(used..).and_then(&row) else {
            break;
        };
        let t = sample.t_s;
        // `next_sample`'s checks, passed: not back, not a jump to look ahead from. (Finite.)
        if t < prev_s || t - prev_s > JUMP_CHECK_S {
            break;
        }
        prev_s = t;
        batch.push(sample);
        used += n;
        rows += 1;
    }
    (rows, used, prev_s)
}

/// [`plain_row_in_buffer`] under the standard header ([`STANDARD_SLOTS`]): the same rows, the
/// same values and extent (a `#` line needs no test of its own: `#` does not start a number).
///
/// Why: with each field's column a constant, the seven fields are written out with their limits
/// in the code and their values in registers: no look-up of a field's column, no check of it, no
/// loop (the compiler does not unroll one on its own), and the row is read in the loop that
/// pushes it. About 150 instructions a row fewer than the general row (the 1-hour day's reader
/// thread: 309 M -> 255 M), for about 3 KB more code.
#[inline(always)]
fn standard_row_in_buffer(buf: &[u8]) -> Option<(ImuSample, usize)> {
    let (t, at) = standard_field(buf, 0, ROW_LIMITS[0])?;
    let (ax, at) = standard_field(buf, at + 1, ROW_LIMITS[1])?;
    let (ay, at) = standard_field(buf, at + 1, ROW_LIMITS[2])?;
    let (az, at) = standard_field(buf, at + 1, ROW_LIMITS[3])?;
    let (gx, at) = standard_field(buf, at + 1, ROW_LIMITS[4])?;
    let (gy, at) = standard_field(buf, at + 1, ROW_LIMITS[5])?;
    let (gz, at) = standard_last_field(buf, at + 1, ROW_LIMITS[6])?;
    let line_end = match buf.get(at..)? {
        [b'\n', ..] => at,
        [b'\r', b'\n', ..] => at + 1,
        _ => return None,
    };
    // Seven fields are at most 118 bytes: always within `MAX_LINE_BYTES`.
    Some((ImuSample::new(t, [ax, ay, az], [gx, gy, gz]), line_end + 1))
}

/// A field of [`standard_row_in_buffer`] from `buf[at]` on and its `,`: the value and where the
/// next field starts less one (the `,`'s place).
#[inline(always)]
fn standard_field(buf: &[u8], at: usize, limit: f64) -> Option<(f64, usize)> {
    let (v, end) = standard_last_field(buf, at, limit)?;
    if buf.get(end) != Some(&b',') {
        return None;
    }
    Some((v, end))
}

/// The last field of [`standard_row_in_buffer`] (and a wanted field of [`plain_field`]): the
/// value, within `limit`, and where it ends.
#[inline(always)]
fn standard_last_field(buf: &[u8], at: usize, limit: f64) -> Option<(f64, usize)> {
    let window = buf.get(at..)?.first_chunk::<DECIMAL_WINDOW>()?;
    let (v, used) = parse_decimal_window(window)?;
    // `parse_decimal_window` gives finite values only.
    if v.abs() > limit {
        return None;
    }
    Some((v, at + used))
}

/// One field of [`plain_row_in_buffer`] from `buf[at]` on, its value stored in its slot; returns
/// where the field ends.
#[inline(always)]
fn plain_field(buf: &[u8], at: usize, slot: Option<usize>, values: &mut [f64; 7]) -> Option<usize> {
    let Some(slot) = slot else {
        return Some(at + memchr::memchr2(b',', b'\n', buf.get(at..)?)?);
    };
    let (v, end) = standard_last_field(buf, at, *ROW_LIMITS.get(slot)?)?;
    *values.get_mut(slot)? = v;
    Some(end)
}

/// Convenience for tests and small tools: reads a whole session from any `Read`.
pub fn read_all(
    input: impl Read,
    name: &str,
) -> Result<(SessionMeta, Vec<ImuSample>), SessionError> {
    let mut reader = SessionReader::new(BufReader::new(input), Path::new(name))?;
    let mut samples = Vec::new();
    while let Some(s) = reader.next_sample()? {
        samples.push(s);
    }
    Ok((reader.meta().clone(), samples))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fuzz regression (tests/fuzz/import.rs): a row at 1e300 s after one at 0.01 s was taken
    /// (finite, and not a lone outlier since the next row went back further), and the import's
    /// session end `start_ms + span_ms` overflowed. Such a time is a bad row naming its column.
    #[test]
    fn a_time_beyond_any_session_is_a_bad_row() {
        let text = format!(
            "{HEADER}0.01,0,0,0,0,0,0\n-0.49,0,0,0,0,0,0\n1e300,0,0,0,0,0,0\n-0.48,0,0,0,0,0,0"
        );
        let mut r = reader(&text)
            .unwrap_or_else(|e| panic!("{e}"))
            .skip_bad_rows(true);
        let times: Vec<f64> = r.by_ref().filter_map(Result::ok).map(|s| s.t_s).collect();
        assert_eq!(times, [0.01]);
        assert_eq!(r.skipped_rows().0, 3);
        let e = all(&format!("{HEADER}0,0,0,1,0,0,0\n-1e11,0,0,1,0,0,0\n"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.starts_with("t.csv:3: column 'time_s': time -1e11 s is beyond"),
            "{e}"
        );
        // The Unix epoch in seconds is a time some files count from: still read.
        assert_eq!(
            all(&format!("{HEADER}1.8e9,0,0,1,0,0,0\n"))
                .map(|s| s.len())
                .ok(),
            Some(1)
        );
    }

    fn reader(text: &str) -> Result<SessionReader<&[u8]>, SessionError> {
        SessionReader::new(text.as_bytes(), Path::new("t.csv"))
    }

    fn all(text: &str) -> Result<Vec<ImuSample>, SessionError> {
        read_all(text.as_bytes(), "t.csv").map(|(_, s)| s)
    }

    const HEADER: &str = "time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n";

    fn rows(times: &[f64]) -> String {
        let mut text = String::from(HEADER);
        for t in times {
            text.push_str(&format!("{t},0,0,1,0,0,0\n"));
        }
        text
    }

    #[test]
    fn a_byte_order_mark_before_metadata_is_not_part_of_it() {
        let text = format!("\u{feff}# rate_hz=50\n{HEADER}0,0,0,1,0,0,0\n");
        let r = reader(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.meta().rate_hz, Some(50.0));
        let text = format!("\u{feff}{HEADER}0,0,0,1,0,0,0\n");
        assert_eq!(all(&text).map(|s| s.len()).ok(), Some(1));
    }

    #[test]
    fn an_impossible_value_is_a_bad_row_naming_its_column() {
        for (row, column) in [
            ("1,0,0,1,1e308,0,0", "gx_dps"),
            ("1,1e200,0,1,0,0,0", "ax_g"),
            ("1,0,0,65,0,0,0", "az_g"),
        ] {
            let text = format!("{HEADER}0,0,0,1,0,0,0\n{row}\n2,0,0,1,0,0,0\n");
            let err = all(&text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains(":3: column '"), "{err}");
            assert!(err.contains(column) && err.contains("beyond"), "{err}");
            let mut r = reader(&text)
                .unwrap_or_else(|e| panic!("{e}"))
                .skip_bad_rows(true);
            let mut n = 0;
            while let Ok(Some(s)) = r.next_sample() {
                assert!(s.gyro_dps.norm() < 1.0 && s.accel_g.norm() < 2.0);
                n += 1;
            }
            assert_eq!((n, r.skipped_rows().0), (2, 1));
        }
    }

    #[test]
    fn a_lone_time_far_ahead_is_the_bad_row_not_the_rest() {
        let mut times: Vec<f64> = (0..1000).map(|i| f64::from(i) * 0.01).collect();
        times.push(1e6);
        times.extend((1000..1500).map(|i| f64::from(i) * 0.01));
        let text = rows(&times);
        let err = all(&text).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            err.contains(":1002: column 'time_s'") && err.contains("corrupt"),
            "{err}"
        );
        let mut r = reader(&text)
            .unwrap_or_else(|e| panic!("{e}"))
            .skip_bad_rows(true);
        let mut n = 0;
        while let Ok(Some(_)) = r.next_sample() {
            n += 1;
        }
        assert_eq!((n, r.skipped_rows().0), (1500, 1));
    }

    #[test]
    fn a_real_gap_is_kept_and_marks_stay_in_order_around_it() {
        let text = format!(
            "{HEADER}0,0,0,1,0,0,0\n# sensor_lost time_s=0 reason=x\n# sensor_back time_s=50 gap_s=50\n\
             50,0,0,1,0,0,0\n# calibration=up=0,0,1;forward=1,0,0\n50.01,0,0,1,0,0,0\n"
        );
        let mut r = reader(&text).unwrap_or_else(|e| panic!("{e}"));
        let mut order = Vec::new();
        let mut marks = Vec::new();
        while let Ok(Some(s)) = r.next_sample() {
            r.take_marks(&mut marks);
            for m in marks.drain(..) {
                order.push(match m {
                    SessionMark::SensorLost { .. } => "lost".to_string(),
                    SessionMark::SensorBack { .. } => "back".to_string(),
                    SessionMark::Calibration(_) => "cal".to_string(),
                });
            }
            order.push(format!("{}", s.t_s));
        }
        assert_eq!(order, ["0", "lost", "back", "50", "cal", "50.01"]);
    }

    #[test]
    fn memory_stays_bounded_on_hostile_files() {
        // A 2 MB line without a newline: an error naming the line, without the line.
        let long = format!("{HEADER}0,0,0,1,0,0,0\n{}", "9".repeat(2 << 20));
        let err = all(&long).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains(":3:") && err.len() < 200, "{}", err.len());
        // A bad field is quoted by a short prefix only.
        let text = format!("{HEADER}0,0,0,1,0,0,{}\n", "x".repeat(100_000));
        let err = all(&text).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.len() < 200, "{}", err.len());
        // Many metadata lines and many bad ones: a few kept, the rest counted.
        let mut text = String::new();
        for i in 0..20_000 {
            text.push_str(&format!("# key{i}=value\n# rate_hz=fast{i}\n"));
        }
        text.push_str(HEADER);
        let r = reader(&text).unwrap_or_else(|e| panic!("{e}"));
        assert!(r.meta().other.len() <= 256);
        let warnings = r.warnings();
        assert!(warnings.len() <= 10, "{}", warnings.len());
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("more metadata warnings"))
        );
    }

    #[test]
    fn reads_metadata_header_and_rows() {
        let text = "# format=1\n# rate_hz=100\n# a comment\n\
                    time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n\
                    0.00,0,0,1,0.1,0.2,0.3\n0.01,0.5,0,0.9,0,0,0\n";
        let mut r = reader(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.meta().rate_hz, Some(100.0));
        assert_eq!(r.meta().format_version, Some(1));
        let a = r.next_sample().ok().flatten();
        assert_eq!(a.map(|s| s.gyro_dps.z), Some(0.3));
        let b = r.next_sample().ok().flatten();
        assert_eq!(b.map(|s| (s.t_s, s.accel_g.x)), Some((0.01, 0.5)));
        assert!(matches!(r.next_sample(), Ok(None)));
    }

    #[test]
    fn columns_are_found_by_name_and_extras_ignored() {
        let text = "note,gz_dps,gy_dps,gx_dps,az_g,ay_g,ax_g,time_s\r\nx,3,2,1,0.9,0.2,0.1,5\r\n";
        let s = all(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].t_s, s[0].accel_g.x, s[0].gyro_dps.z), (5.0, 0.1, 3.0));
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let h = "time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n";
        let e = all(&format!("{h}0,0,0,1,0,0,0\n1,0,abc,1,0,0,0\n"))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("t.csv:3: column 'ay_g': not a finite number: 'abc'")
        );
        let e = all(&format!("{h}1,0,0,1,0,0,0\n0.5,0,0,1,0,0,0\n"))
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.starts_with("t.csv:3: column 'time_s': time goes backwards")));
        let e = all(&format!("{h}1,0,0,1,0,0\n"))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("t.csv:2: expected 7 fields like the header, found 6")
        );
        let e = all("time_s,ax_g,ay_g,az_g,gx_dps,gy_dps\n")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("t.csv:1: column 'gz_dps': required column missing from the header")
        );
        let e = all("# only a comment\n").err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("no header")));
        let e = all(&format!("{h}1,0,0,1,0,0,inf\n"))
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("gz_dps")));
    }

    #[test]
    fn skip_bad_rows_counts_and_goes_on() {
        let text = "time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n0,0,0,1,0,0,0\n\
                    junk\n1,0,0,1,0,0,0\n0.5,0,0,1,0,0,0\n2,0,0,1,0,0,0\n";
        let mut r = reader(text)
            .unwrap_or_else(|e| panic!("{e}"))
            .skip_bad_rows(true);
        let times: Vec<f64> = r.by_ref().filter_map(Result::ok).map(|s| s.t_s).collect();
        assert_eq!(times, vec![0.0, 1.0, 2.0]);
        let (n, first) = r.skipped_rows();
        assert_eq!(n, 2);
        assert_eq!(first.and_then(|e| e.line), Some(3));
    }

    #[test]
    fn gaps_and_equal_times_are_fine_and_blank_lines_ignored() {
        let text = "time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n0,0,0,1,0,0,0\n\n0,0,0,1,0,0,0\n9,0,0,1,0,0,0";
        assert_eq!(all(text).map(|s| s.len()).ok(), Some(3));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::default();
        let strategy = proptest::collection::vec(any::<u8>(), 0..200);
        let result = runner.run(&strategy, |bytes| {
            let mut text = b"time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n".to_vec();
            text.extend_from_slice(&bytes);
            if let Ok(mut r) = SessionReader::new(&text[..], Path::new("f")) {
                while let Ok(Some(_)) = r.next_sample() {}
            }
            Ok(())
        });
        assert!(result.is_ok());
    }

    /// Fields at and past the limits, with spaces, broken, or not numbers at all: what the row
    /// paths must refuse alike or read alike.
    fn awkward_field() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            Just("1e".to_string()),
            Just(" 1.5".to_string()),
            Just("2 ".to_string()),
            Just(String::new()),
            Just("-".to_string()),
            Just("nan".to_string()),
            Just("1e10".to_string()),
            Just("16".to_string()),
            Just("16.0001".to_string()),
            Just("-16.0000001".to_string()),
            Just("2000".to_string()),
            Just("2000.001".to_string()),
            Just("0x10".to_string()),
            Just("1.2.3".to_string()),
            Just("+.5".to_string()),
            Just("9e999".to_string()),
            Just("1.5\r".to_string()),
            Just("#1".to_string()),
            Just("12345678.5".to_string()),
            Just("3.".to_string()),
        ]
    }

    /// The one-pass row takes a subset of what the checked path takes, with the same values,
    /// whatever the fields hold (numbers at and past the limits, spaces, broken numbers, extra
    /// and missing fields), in the standard column order and in a shuffled one with an extra.
    #[test]
    fn the_one_pass_row_agrees_with_the_checked_path() {
        use proptest::prelude::*;
        let field = prop_oneof![
            8 => (-15.0f64..15.0, 0usize..8).prop_map(|(v, d)| format!("{v:.d$}")),
            1 => (-2.1e3f64..2.1e3).prop_map(|v| format!("{v}")),
            1 => any::<f64>().prop_map(|v| format!("{v:e}")),
            1 => awkward_field(),
        ];
        let headers = prop_oneof![
            Just(HEADER.to_string()),
            Just("gz_dps,note,time_s,ay_g,ax_g,az_g,gx_dps,gy_dps\n".to_string()),
        ];
        let strategy = (headers, proptest::collection::vec(field, 6..10));
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 6000,
            ..Default::default()
        });
        let plain_rows = std::cell::Cell::new(0u32);
        let result = runner.run(&strategy, |(header, fields)| {
            let mut r = reader(&header).map_err(|e| TestCaseError::fail(e.to_string()))?;
            r.line = fields.join(",").into_bytes();
            let checked = r.parse_row_checked();
            if let Some(plain) = r.parse_plain_row() {
                plain_rows.set(plain_rows.get() + 1);
                let checked = checked.map_err(|e| TestCaseError::fail(format!("{e}")))?;
                prop_assert_eq!(format!("{plain:?}"), format!("{checked:?}"));
            }
            Ok(())
        });
        assert!(result.is_ok(), "{result:?}");
        // The strategy must reach the one-pass path often, or the test proves nothing.
        assert!(plain_rows.get() > 200, "{} one-pass rows", plain_rows.get());
    }

    /// The row read in the input's buffer takes a subset of what the line paths take, with the
    /// same values and the same extent (through its `\n`), whatever the fields hold, whatever
    /// ends the line and whatever follows it in the buffer.
    #[test]
    fn the_in_buffer_row_agrees_with_the_line_paths() {
        use proptest::prelude::*;
        let field = prop_oneof![
            // The shapes session files are written in, and a few digits more or less.
            60 => (-15.0f64..15.0, 0usize..9).prop_map(|(v, d)| format!("{v:.d$}")),
            4 => (0.0f64..9999.0, 5usize..8).prop_map(|(v, d)| format!("{v:.d$}")),
            1 => (-2.1e3f64..2.1e3).prop_map(|v| format!("{v}")),
            1 => any::<f64>().prop_map(|v| format!("{v:e}")),
            1 => awkward_field(),
        ];
        let headers = prop_oneof![
            Just(HEADER.to_string()),
            Just("gz_dps,note,time_s,ay_g,ax_g,az_g,gx_dps,gy_dps\n".to_string()),
            Just("note,time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n".to_string()),
        ];
        let ending = prop_oneof![
            8 => Just("\n"), 3 => Just("\r\n"), 1 => Just(""), 1 => Just("\r"), 1 => Just("\r\r\n"),
            1 => Just("\n\r"), 1 => Just(",\n"),
        ];
        let tail = prop_oneof![
            1 => Just(String::new()),
            8 => Just("0.010000,-0.06790,-0.29157,0.95725,1.087,0.970,-0.074\n".to_string()),
            1 => Just("# sensor_lost time_s=1 reason=x\n".to_string()),
            1 => "[0-9.,\n-]{0,30}",
        ];
        let fields = prop_oneof![
            4 => proptest::collection::vec(field.clone(), 7..9),
            1 => proptest::collection::vec(field, 6..10),
        ];
        let strategy = (headers, fields, ending, tail);
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 8000,
            ..Default::default()
        });
        let in_buffer_rows = std::cell::Cell::new(0u32);
        let standard_rows = std::cell::Cell::new(0u32);
        let result = runner.run(&strategy, |(header, fields, ending, tail)| {
            let mut r = reader(&header).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let buf = format!("{}{ending}{tail}", fields.join(","));
            let general = plain_row_in_buffer(buf.as_bytes(), &r.slot_of);
            if r.slot_of == STANDARD_SLOTS {
                // The standard header's own reading: the same rows, values and extents.
                let standard = standard_row_in_buffer(buf.as_bytes());
                prop_assert_eq!(format!("{standard:?}"), format!("{general:?}"), "{:?}", buf);
                standard_rows.set(standard_rows.get() + u32::from(standard.is_some()));
            }
            let Some((sample, used)) = general else {
                return Ok(());
            };
            in_buffer_rows.set(in_buffer_rows.get() + 1);
            // The line as `next_line` reads it: through the first `\n`, without its ending.
            let first_nl = buf.find('\n');
            prop_assert_eq!(Some(used), first_nl.map(|n| n + 1), "{:?}", buf);
            // (With no line ending the tail goes on with the last field: the line is longer.)
            r.line = buf[..used - 1]
                .trim_end_matches(['\r', '\n'])
                .as_bytes()
                .to_vec();
            let plain = r.parse_plain_row();
            prop_assert_eq!(format!("{plain:?}"), format!("{:?}", Some(sample)));
            let checked = r.parse_row_checked().map_err(|e| e.to_string());
            prop_assert_eq!(
                format!("{checked:?}"),
                format!("{:?}", Ok::<_, String>(sample))
            );
            Ok(())
        });
        assert!(result.is_ok(), "{result:?}");
        // The strategy must reach the in-buffer path often, or the test proves nothing.
        assert!(
            in_buffer_rows.get() > 400,
            "{} in-buffer rows",
            in_buffer_rows.get()
        );
        assert!(
            standard_rows.get() > 100,
            "{} standard rows",
            standard_rows.get()
        );
    }

    /// Everything a read gives (samples, their line numbers, marks, errors, skipped rows,
    /// metadata) as text, reading `text` through a buffer of `capacity` bytes.
    fn transcript(text: &str, capacity: usize, skip: bool) -> Vec<String> {
        let input = BufReader::with_capacity(capacity, text.as_bytes());
        let mut out = Vec::new();
        let mut r = match SessionReader::new(input, Path::new("t.csv")) {
            Ok(r) => r.skip_bad_rows(skip),
            Err(e) => return vec![e.to_string()],
        };
        let mut marks = Vec::new();
        loop {
            match r.next_sample() {
                Ok(Some(s)) => {
                    r.take_marks(&mut marks);
                    out.push(format!("{s:?} line {} marks {marks:?}", r.line_no()));
                    marks.clear();
                }
                Ok(None) => break,
                Err(e) => {
                    out.push(format!("error {e} at line {}", r.line_no()));
                    break;
                }
            }
        }
        let (skipped, first) = r.skipped_rows();
        out.push(format!(
            "skipped {skipped} {:?}",
            first.map(|e| e.to_string())
        ));
        out.push(format!("{:?} {:?}", r.meta(), r.warnings()));
        out
    }

    /// The in-buffer row needs a window of [`DECIMAL_WINDOW`] bytes past a field's start, so a
    /// buffer of one byte never takes it: that read is the line-by-line reader, and every other
    /// buffer size (rows cut anywhere, or never) must read the same.
    #[test]
    fn rows_read_the_same_whatever_the_buffer_holds() {
        use proptest::prelude::*;
        let line = prop_oneof![
            12 => (0.0f64..100.0, -2.0f64..2.0, -300.0f64..300.0).prop_map(|(t, a, g)| {
                format!("{t:.6},{a:.5},{:.5},{:.5},{g:.3},{:.3},{:.3}", -a, a / 2.0, g / 3.0, -g)
            }),
            1 => Just("# sensor_lost time_s=1 reason=x".to_string()),
            1 => Just("# sensor_back time_s=2 gap_s=1".to_string()),
            1 => Just("# calibration=up=0,0,1;forward=1,0,0".to_string()),
            1 => Just("# 1,1.5,0,0,1,0,0,0".to_string()),
            1 => Just(String::new()),
            1 => Just("\r".to_string()),
            1 => Just("junk".to_string()),
            1 => Just("1,0,0,1,0,0".to_string()),
            1 => Just("1,0,0,1,0,0,0,".to_string()),
            1 => Just("1,0,0,99,0,0,0".to_string()),
            1 => Just(" 1.5,0,0,1,0,0,0".to_string()),
            1 => Just("1e1,0,0,1,0,0,0".to_string()),
            1 => Just("1e300,0,0,1,0,0,0".to_string()),
            1 => Just("2.5,0,0,1,0,0,0".to_string()),
        ];
        let header = prop_oneof![
            Just(HEADER.to_string()),
            Just("# rate_hz=100\ntime_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps,note\n".to_string()),
            Just("note,time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n".to_string()),
        ];
        let ending = prop_oneof![4 => Just("\n"), 1 => Just("\r\n")];
        let strategy = (
            header,
            proptest::collection::vec((line, ending), 0..40),
            any::<bool>(),
        );
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 600,
            ..Default::default()
        });
        let result = runner.run(&strategy, |(header, lines, last_ended)| {
            let (extra_first, extra_last) = (header.starts_with("note"), header.contains(",note"));
            let mut text = header;
            for (i, (line, ending)) in lines.iter().enumerate() {
                let row = !line.starts_with('#') && !line.trim().is_empty();
                if extra_first && row {
                    text.push_str("x,");
                }
                text.push_str(line);
                if extra_last && row {
                    text.push_str(",x");
                }
                if last_ended || i + 1 < lines.len() {
                    text.push_str(ending);
                }
            }
            for skip in [false, true] {
                let by_line = transcript(&text, 1, skip);
                for capacity in [2, 17, 40, 64, 1 << 16] {
                    prop_assert_eq!(
                        &transcript(&text, capacity, skip),
                        &by_line,
                        "capacity {} skip {}: {:?}",
                        capacity,
                        skip,
                        text
                    );
                }
            }
            Ok(())
        });
        assert!(result.is_ok(), "{result:?}");
    }

    /// Lines the in-buffer row must leave to the line reader: a comment that would parse as a row
    /// under a header whose first column is an extra, a row longer than a line may be, and rows
    /// whose last field is cut by the end of the input.
    #[test]
    fn the_in_buffer_row_leaves_comments_long_lines_and_cut_rows() {
        let header = "note,time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n";
        let text = format!(
            "{header}# x,0,0,0,1,0,0,0\nn,1.000000,0.00000,0.00000,1.00000,0.000,0.000,0.000\n"
        );
        let s = all(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].t_s, 1.0);

        let long = "x".repeat(MAX_LINE_BYTES);
        let text = format!("{header}{long},0.010000,0.00000,0.00000,1.00000,0.000,0.000,0.000\n");
        let err = all(&text).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with("t.csv:2:") && err.contains("long"), "{err}");
        let slot_of = reader(header).unwrap_or_else(|e| panic!("{e}")).slot_of;
        let row = format!("{long},0.010000,0.00000,0.00000,1.00000,0.000,0.000,0.000\n");
        assert!(plain_row_in_buffer(row.as_bytes(), &slot_of).is_none());

        let row = "0.010000,-0.06790,-0.29157,0.95725,1.087,0.970,-0.074";
        for ending in ["", "\r", "\n", "\r\n"] {
            let text = format!("{HEADER}{row}\n{row}{ending}");
            let s = all(&text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(s.len(), 2, "{ending:?}");
            assert_eq!(format!("{:?}", s[0]), format!("{:?}", s[1]));
            assert_eq!(s[1].gyro_dps.z, -0.074);
        }
    }

    /// What a read gives, in order, read row by row: each sample after the marks before it, the
    /// error that ended the read, then the marks left untaken, the skipped rows, the last line
    /// number and the metadata.
    fn events_by_row(text: &str, capacity: usize, skip: bool) -> Vec<String> {
        let input = BufReader::with_capacity(capacity, text.as_bytes());
        let mut r = match SessionReader::new(input, Path::new("t.csv")) {
            Ok(r) => r.skip_bad_rows(skip),
            Err(e) => return vec![e.to_string()],
        };
        let mut out = Vec::new();
        let mut marks = Vec::new();
        loop {
            match r.next_sample() {
                Ok(Some(s)) => {
                    r.take_marks(&mut marks);
                    out.extend(marks.drain(..).map(|m| format!("mark {m:?}")));
                    out.push(format!("{s:?}"));
                }
                Ok(None) => {
                    r.take_marks(&mut marks);
                    out.extend(marks.drain(..).map(|m| format!("mark {m:?}")));
                    break;
                }
                Err(e) => {
                    out.push(format!("error {e}"));
                    break;
                }
            }
        }
        events_end(&mut r, out)
    }

    /// [`events_by_row`] read a batch of at most `max` at a time with
    /// [`SessionReader::fill_batch`], checking that a batch ends only when full, before marks,
    /// at the end or at an error.
    fn events_by_batch(text: &str, capacity: usize, skip: bool, max: usize) -> Vec<String> {
        let input = BufReader::with_capacity(capacity, text.as_bytes());
        let mut r = match SessionReader::new(input, Path::new("t.csv")) {
            Ok(r) => r.skip_bad_rows(skip),
            Err(e) => return vec![e.to_string()],
        };
        let mut out = Vec::new();
        let mut marks = Vec::new();
        let mut batch = Vec::new();
        loop {
            batch.clear();
            let result = r.fill_batch(&mut batch, max);
            out.extend(batch.iter().map(|s| format!("{s:?}")));
            match result {
                Ok(more) => {
                    r.take_marks(&mut marks);
                    if more && batch.len() < max && marks.is_empty() {
                        out.push(format!("a batch of {} ended early", batch.len()));
                    }
                    if batch.len() > max {
                        out.push(format!("a batch of {} past {max}", batch.len()));
                    }
                    out.extend(marks.drain(..).map(|m| format!("mark {m:?}")));
                    if !more {
                        break;
                    }
                }
                Err(e) => {
                    out.push(format!("error {e}"));
                    break;
                }
            }
        }
        events_end(&mut r, out)
    }

    fn events_end<R: BufRead>(r: &mut SessionReader<R>, mut out: Vec<String>) -> Vec<String> {
        let mut left = Vec::new();
        r.take_marks(&mut left);
        out.push(format!("marks left {left:?}"));
        let (skipped, first) = r.skipped_rows();
        out.push(format!(
            "skipped {skipped} {:?} at line {}",
            first.map(|e| e.to_string()),
            r.line_no()
        ));
        out.push(format!("{:?} {:?}", r.meta(), r.warnings()));
        out
    }

    /// A session file of `rows` under `header`: each data row's time a step from the last (the
    /// usual 0.01 s, none, back, a jump alone or for good), written as the recorder writes it or
    /// in another shape; marks, comments, blank lines and bad rows between.
    fn session_text(header: &str, lines: &[(u8, u8, bool)], last_ended: bool) -> String {
        let (extra_first, extra_last) = (header.starts_with("note"), header.contains(",note"));
        let mut text = header.to_string();
        let mut t = 0.0f64;
        for (i, &(kind, step, crlf)) in lines.iter().enumerate() {
            let line = match kind {
                0..=11 => {
                    t += match step % 16 {
                        0..=9 => 0.01,
                        10 => 0.0,
                        11 => -0.5,
                        12 => 2.5,
                        13 => -2.49,
                        14 => 1e4,
                        _ => 1.0,
                    };
                    let (a, g) = (f64::from(step) / 200.0 - 0.6, f64::from(step) * 1.7 - 200.0);
                    match kind {
                        0..=8 => format!(
                            "{t:.6},{a:.5},{:.5},{:.5},{g:.3},{:.3},{:.3}",
                            -a,
                            a / 2.0,
                            g / 3.0,
                            -g
                        ),
                        9 => format!("{t},{a},0,1,{g},0,0"),
                        10 => format!("{t:.6}, {a:.5},0,1,0,0,0"),
                        _ => format!("{t:e},0,0,1,0,0,{g:.8}"),
                    }
                }
                12 => format!("# sensor_lost time_s={t} reason=x"),
                13 => format!("# sensor_back time_s={t} gap_s=1"),
                14 => "# calibration=up=0,0,1;forward=1,0,0".to_string(),
                15 => "# 1,1.5,0,0,1,0,0,0".to_string(),
                16 => String::new(),
                17 => "junk".to_string(),
                18 => "1,0,0,1,0,0".to_string(),
                19 => format!("{t:.6},0,0,99,0,0,0"),
                _ => "1e300,0,0,1,0,0,0".to_string(),
            };
            let row = !line.starts_with('#') && !line.trim().is_empty();
            if extra_first && row {
                text.push_str("x,");
            }
            text.push_str(&line);
            if extra_last && row {
                text.push_str(",x");
            }
            if last_ended || i + 1 < lines.len() {
                text.push_str(if crlf { "\r\n" } else { "\n" });
            }
        }
        text
    }

    /// Reading batch-wise gives exactly what reading row by row gives (samples, marks in their
    /// places, errors, skipped rows, line numbers, metadata), whatever the batch size and the
    /// input's buffer, with and without `skip_bad_rows`, under the standard header and others.
    #[test]
    fn reading_batch_wise_reads_what_row_by_row_reads() {
        use proptest::prelude::*;
        let header = prop_oneof![
            3 => Just(HEADER.to_string()),
            1 => Just("# rate_hz=100\ntime_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps,note\n".to_string()),
            1 => Just("note,time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n".to_string()),
        ];
        let line = (
            prop_oneof![30 => 0u8..9, 9 => 9u8..21],
            any::<u8>(),
            proptest::bool::weighted(0.2),
        );
        let capacity = prop_oneof![
            1 => Just(1usize),
            4 => 2usize..200,
            1 => Just(1usize << 16),
        ];
        let max = prop_oneof![Just(1usize), Just(2), Just(3), Just(7), Just(4096)];
        let strategy = (
            header,
            proptest::collection::vec(line, 0..80),
            any::<bool>(),
            capacity,
            max,
        );
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 3000,
            ..Default::default()
        });
        let seen = std::cell::Cell::new([0u32; 3]);
        let result = runner.run(&strategy, |(header, lines, last_ended, capacity, max)| {
            let text = session_text(&header, &lines, last_ended);
            for skip in [false, true] {
                let by_row = events_by_row(&text, capacity, skip);
                prop_assert_eq!(&by_row, &events_by_row(&text, 1, skip), "{:?}", text);
                let by_batch = events_by_batch(&text, capacity, skip, max);
                prop_assert_eq!(
                    &by_batch,
                    &by_row,
                    "capacity {} max {} skip {}: {:?}",
                    capacity,
                    max,
                    skip,
                    text
                );
                // What the cases reach: marks, errors, skipped rows.
                let mut n = seen.get();
                n[0] += u32::from(by_row.iter().any(|e| e.starts_with("mark")));
                n[1] += u32::from(by_row.iter().any(|e| e.starts_with("error")));
                n[2] += u32::from(
                    by_row
                        .iter()
                        .any(|e| e.starts_with("skipped") && !e.starts_with("skipped 0")),
                );
                seen.set(n);
            }
            Ok(())
        });
        assert!(result.is_ok(), "{result:?}");
        let [marks, errors, skipped] = seen.get();
        assert!(
            marks > 500 && errors > 500 && skipped > 500,
            "{:?}",
            seen.get()
        );
    }

    /// A batch stops before marks; the sample after them starts the next batch.
    #[test]
    fn a_batch_ends_before_marks_and_the_next_starts_after_them() {
        let text = format!(
            "{HEADER}0,0,0,1,0,0,0\n0.01,0,0,1,0,0,0\n# sensor_lost time_s=0.01 reason=x\n\
             # sensor_back time_s=0.5 gap_s=0.49\n0.5,0,0,1,0,0,0\n0.51,0,0,1,0,0,0\n\
             0.52,0,0,1,0,0,0\n"
        );
        let mut r = reader(&text).unwrap_or_else(|e| panic!("{e}"));
        let mut batch = Vec::new();
        let mut marks = Vec::new();
        let mut got = Vec::new();
        loop {
            batch.clear();
            let more = r
                .fill_batch(&mut batch, 2)
                .unwrap_or_else(|e| panic!("{e}"));
            r.take_marks(&mut marks);
            got.push(format!(
                "{:?} {}",
                batch.iter().map(|s| s.t_s).collect::<Vec<_>>(),
                marks.len()
            ));
            marks.clear();
            if !more {
                break;
            }
        }
        assert_eq!(got, ["[0.0, 0.01] 0", "[] 2", "[0.5, 0.51] 0", "[0.52] 0"]);
        assert_eq!(r.line_no(), 8);
    }
}
