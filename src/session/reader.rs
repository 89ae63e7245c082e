//! Streaming session CSV reader: one reused line buffer, no per-field allocation, so memory does
//! not grow with the file and parsing is never the slow stage of a replay.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::error::{SessionError, SessionErrorKind};
use super::marks::SessionMark;
use super::meta::SessionMeta;
use crate::number::parse_f64;
use crate::sample::ImuSample;

/// The columns every session file has, in the order the writer emits them.
pub const REQUIRED_COLUMNS: [&str; 7] = [
    "time_s", "ax_g", "ay_g", "az_g", "gx_dps", "gy_dps", "gz_dps",
];

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
}

/// Marks kept for a caller that never takes them (a hostile file cannot grow memory).
const MAX_PENDING_MARKS: usize = 64;

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
        };
        reader.read_header()?;
        Ok(reader)
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

    /// Problems that did not stop the read (unreadable metadata values).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// How many rows `skip_bad_rows` has skipped, and the first of those errors.
    pub fn skipped_rows(&self) -> (u64, Option<&SessionError>) {
        (self.skipped_rows, self.first_skipped.as_ref())
    }

    /// Marks written between rows (sensor lost / back, a calibration taken while recording) met
    /// since the last call, in file order; they come before the sample last returned by
    /// [`Self::next_sample`] and apply from it on. Only the last few are kept if never taken.
    pub fn take_marks(&mut self, out: &mut Vec<SessionMark>) {
        out.extend(self.marks.drain(..));
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
    fn next_line(&mut self) -> Result<bool, SessionError> {
        self.line.clear();
        let n = self
            .input
            .read_until(b'\n', &mut self.line)
            .map_err(|e| self.err(SessionErrorKind::Io(e)))?;
        if n == 0 {
            return Ok(false);
        }
        self.line_no += 1;
        while matches!(self.line.last(), Some(b'\n' | b'\r')) {
            self.line.pop();
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
            if !key.is_empty()
                && !key.contains(char::is_whitespace)
                && let Some(w) = self.meta.set(key, value)
            {
                let w = format!("{}:{}: {w}", self.file.display(), self.line_no);
                self.warnings.push(w);
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

    /// Parses the current line as a data row.
    fn parse_row(&self) -> Result<ImuSample, SessionError> {
        let mut values = [0.0f64; 7];
        let mut n_fields = 0usize;
        for (pos, field) in self.line.split(|&b| b == b',').enumerate() {
            n_fields += 1;
            if let Some(Some(slot)) = self.slot_of.get(pos) {
                match parse_f64(field.trim_ascii()) {
                    Some(v) if v.is_finite() => values[*slot] = v,
                    _ => {
                        let text = String::from_utf8_lossy(field).into_owned();
                        return Err(self
                            .err(SessionErrorKind::NotANumber { text })
                            .with_column(REQUIRED_COLUMNS[*slot]));
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
        let t = values[0];
        if let Some(prev) = self.last_t
            && t < prev
        {
            return Err(self
                .err(SessionErrorKind::TimeBackwards {
                    previous_s: prev,
                    found_s: t,
                })
                .with_column("time_s"));
        }
        Ok(ImuSample::new(
            t,
            [values[1], values[2], values[3]],
            [values[4], values[5], values[6]],
        ))
    }

    /// The next sample, `Ok(None)` at the end of the file.
    ///
    /// A bad row is an error naming file, line and column, unless `skip_bad_rows` is on, in which
    /// case it is counted and the read goes on.
    pub fn next_sample(&mut self) -> Result<Option<ImuSample>, SessionError> {
        loop {
            if !self.next_line()? {
                return Ok(None);
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
                Ok(sample) => {
                    self.last_t = Some(sample.t_s);
                    return Ok(Some(sample));
                }
                Err(e) if self.skip_bad_rows && !matches!(e.kind, SessionErrorKind::Io(_)) => {
                    self.skipped_rows += 1;
                    if self.first_skipped.is_none() {
                        self.first_skipped = Some(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Fills `batch` (cleared first) with up to `max` samples; returns how many.
    pub fn read_batch(
        &mut self,
        batch: &mut Vec<ImuSample>,
        max: usize,
    ) -> Result<usize, SessionError> {
        batch.clear();
        while batch.len() < max {
            match self.next_sample()? {
                Some(s) => batch.push(s),
                None => break,
            }
        }
        Ok(batch.len())
    }
}

impl<R: BufRead> Iterator for SessionReader<R> {
    type Item = Result<ImuSample, SessionError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_sample().transpose()
    }
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

    fn reader(text: &str) -> Result<SessionReader<&[u8]>, SessionError> {
        SessionReader::new(text.as_bytes(), Path::new("t.csv"))
    }

    fn all(text: &str) -> Result<Vec<ImuSample>, SessionError> {
        read_all(text.as_bytes(), "t.csv").map(|(_, s)| s)
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
}
