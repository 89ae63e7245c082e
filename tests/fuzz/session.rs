//! The session CSV reader on hostile files: metadata lines of any key and value (calibrations,
//! windows and rates that are not numbers), byte-order marks, comments and marks between rows,
//! headers in any column order with extra or missing columns, rows with NaN, infinities, huge
//! values, text, missing or extra fields, non-UTF-8 bytes, CRLF, and times that jump, go back
//! or sit at 1e300.
//!
//! Properties: no panic; a bad row's error names the file, the line (the line it names really is
//! the bad one) and, for a bad field, the column; with `skip_bad_rows` the read always reaches
//! the end; warnings are few and short; every sample is finite, inside the sensor limits, in
//! time order; the whole replay (the reader thread, the stored calibration or its windows, the
//! driver, the rules) gives finite steps and events; and what the writer writes reads back.

use std::cell::Cell;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::sample::select;
use spinewatch::cli::replay::{ReplayOptions, run_with};
use spinewatch::number::parse_f64;
use spinewatch::posture::Config as PostureConfig;
use spinewatch::posture::calibration::Calibration;
use spinewatch::sample::ImuSample;
use spinewatch::session::{
    Fact, FnSink, REQUIRED_COLUMNS, SessionError, SessionErrorKind, SessionMark, SessionMeta,
    SessionReader, SessionWriter,
};

use super::support::{self, Bytes};

const CI_CASES: u32 = 1_500;
const CI_ROUND_TRIP_CASES: u32 = 1_000;

/// Longest warning or error text accepted, beyond the file name: a few short lines' worth.
const TEXT_MAX: usize = 400;
/// Warnings a reader may hand back: the ones kept word for word and two summaries.
const WARNINGS_MAX: usize = 10;
/// The most a reader holds at once on these files (a 64 KiB line buffer, metadata), bytes.
const READER_MEMORY_MAX: i64 = 1 << 20;

const FILE: &str = "f.csv";

// ---------------------------------------------------------------------------------------------
// Strategies

/// A number as text: ordinary, or one a reader must refuse.
fn number_text(lo: f64, hi: f64) -> impl Strategy<Value = String> {
    prop_oneof![
        12 => (lo..hi).prop_map(|v| format!("{v:.5}")),
        1 => (lo..hi).prop_map(|v| format!("{v:e}")),
        2 => select(vec![
            "nan", "NaN", "inf", "-inf", "+inf", "1e308", "-1e308", "1e999", "65", "-64.0001",
            "8000.5", "", " ", "abc", "0x10", "1.0.0", "--1", "1e", ".", "4.9e-324", " 0.5 ",
        ])
        .prop_map(str::to_string),
        1 => "[0-9.eE+-]{1,30}",
    ]
}

/// A `# key=value` metadata line, known key or not, with a usable or hostile value.
fn meta_line() -> impl Strategy<Value = String> {
    let calibration = prop_oneof![
        Just("up=0,0,1;forward=1,0,0".to_string()),
        Just("up=1e308,1e308,1e308;forward=1,0,0".to_string()),
        Just("up=0,0,1;forward=0,0,1".to_string()),
        Just("up=1e-300,0,0;forward=0,1e-300,0".to_string()),
        Just("up=nan,0,1;forward=1,0,0".to_string()),
        Just("up=0,0,1;forward=1e308,1e308,0".to_string()),
        (
            number_text(-2.0, 2.0),
            number_text(-2.0, 2.0),
            number_text(-2.0, 2.0)
        )
            .prop_map(|(x, y, z)| format!("up={x},{y},{z};forward=1,0,0")),
        "[ -~]{0,60}",
        "[ -~]{1000,3000}",
    ];
    let windows = prop_oneof![
        (0.0f64..5.0, 0.1f64..5.0, 0.0f64..5.0, 0.1f64..5.0).prop_map(|(a, b, c, d)| format!(
            "{a}:{},{}:{}",
            a + b,
            a + b + c,
            a + b + c + d
        )),
        Just("0:1e308,1e308:inf".to_string()),
        Just("0:4,2:8".to_string()),
        "[0-9:,.e-]{0,24}",
    ];
    prop_oneof![
        2 => number_text(0.0, 2000.0).prop_map(|v| format!("rate_hz={v}")),
        1 => "[ -~]{0,3000}".prop_map(|v| format!("rate_hz={v}")),
        1 => "[0-9a-z-]{0,12}".prop_map(|v| format!("format={v}")),
        1 => "[ -~]{0,80}".prop_map(|v| format!("device={v}")),
        3 => calibration.prop_map(|v| format!("calibration={v}")),
        3 => windows.clone().prop_map(|v| format!("calibration_windows={v}")),
        1 => windows.prop_map(|v| format!("calibration_capture={v}")),
        1 => select(vec!["2026-11-24T09:00:00+01:00", "yesterday", "9999-12-31T23:59:59Z"])
            .prop_map(|v| format!("started={v}")),
        2 => ("[a-z_]{1,12}", "[ -~]{0,40}").prop_map(|(k, v)| format!("{k}={v}")),
        1 => "[ -~]{0,40}",
    ]
}

/// One line before the header.
fn prelude_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => meta_line().prop_map(|m| format!("# {m}").into_bytes()),
        1 => Just(Vec::new()),
        1 => Just(b"   ".to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..20).prop_map(|mut b| {
            b.retain(|&c| c != b'\n');
            let mut line = b"# ".to_vec();
            line.extend(b);
            line
        }),
    ]
}

/// The header: the required columns in some order, maybe an extra one, rarely one missing.
#[derive(Debug, Clone)]
struct Header {
    perm: u64,
    extra: Option<String>,
    missing: Option<usize>,
    spaces: bool,
}

fn header() -> impl Strategy<Value = Header> {
    (
        prop_oneof![3 => Just(0u64), 1 => any::<u64>()],
        prop::option::weighted(0.3, "[a-z_]{0,8}"),
        prop::option::weighted(0.03, 0usize..7),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(perm, extra, missing, spaces)| Header {
            perm,
            extra,
            missing,
            spaces,
        })
}

impl Header {
    fn columns(&self) -> Vec<String> {
        let mut columns: Vec<String> = REQUIRED_COLUMNS
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != self.missing)
            .map(|(_, c)| c.to_string())
            .collect();
        if let Some(e) = &self.extra {
            columns.push(e.clone());
        }
        let mut p = self.perm;
        for i in (1..columns.len()).rev() {
            columns.swap(i, (p % (i as u64 + 1)) as usize);
            p /= i as u64 + 1;
        }
        columns
    }
}

/// How a row's time follows the previous one.
#[derive(Debug, Clone)]
enum Time {
    Step(f64),
    Text(String),
}

fn time() -> impl Strategy<Value = Time> {
    prop_oneof![
        30 => Just(Time::Step(0.01)),
        2 => Just(Time::Step(0.0)),
        2 => select(vec![-0.5, -1e6, 1.5, 60.0, 3600.0, 1e6, 1e12]).prop_map(Time::Step),
        1 => select(vec!["1e300", "-1e300", "1e17", "1.7976931348623157e308", "nan", "inf", "-0"])
            .prop_map(|t| Time::Text(t.to_string())),
    ]
}

/// What is between rows, or a row.
#[derive(Debug, Clone)]
enum Body {
    Row {
        time: Time,
        accel: [String; 3],
        gyro: [String; 3],
        damage: Option<Damage>,
    },
    Mark(String),
    Comment(String),
    Blank,
    Garbage(Bytes),
}

#[derive(Debug, Clone)]
enum Damage {
    DropField(usize),
    ExtraField,
    NonUtf8(usize),
    LongField(usize, usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (0usize..8).prop_map(Damage::DropField),
        Just(Damage::ExtraField),
        (0usize..8).prop_map(Damage::NonUtf8),
        (0usize..8, 100usize..70_000).prop_map(|(i, n)| Damage::LongField(i, n)),
    ]
}

fn mark() -> impl Strategy<Value = String> {
    prop_oneof![
        (number_text(0.0, 100.0), "[ -~]{0,300}")
            .prop_map(|(t, r)| format!("sensor_lost time_s={t} reason={r}")),
        (number_text(0.0, 100.0), number_text(0.0, 10.0))
            .prop_map(|(t, g)| format!("sensor_back time_s={t} gap_s={g}")),
        select(vec![
            "calibration=up=0,0,1;forward=0,1,0",
            "calibration=up=1e308,1e308,1e308;forward=1,0,0",
            "calibration=up=1,2",
            "calibration=",
            "sensor_back time_s=inf gap_s=nan",
            "sensor_lost",
        ])
        .prop_map(str::to_string),
    ]
}

fn body() -> impl Strategy<Value = Body> {
    let accel = || number_text(-1.5, 1.5);
    let gyro = || number_text(-300.0, 300.0);
    prop_oneof![
        40 => (
            time(),
            [accel(), accel(), accel()],
            [gyro(), gyro(), gyro()],
            prop::option::weighted(0.04, damage()),
        )
            .prop_map(|(time, accel, gyro, damage)| Body::Row { time, accel, gyro, damage }),
        2 => mark().prop_map(Body::Mark),
        1 => "[ -~]{0,40}".prop_map(Body::Comment),
        1 => Just(Body::Blank),
        1 => prop::collection::vec(any::<u8>(), 0..30).prop_map(|b| Body::Garbage(Bytes(b))),
    ]
}

/// A whole session file, in parts (so a failure shrinks to the lines that matter).
#[derive(Debug, Clone)]
pub struct CsvFile {
    bom: bool,
    prelude: Vec<Bytes>,
    header: Header,
    body: Vec<Body>,
    crlf: bool,
    last_newline: bool,
}

fn csv_file(rows: usize) -> impl Strategy<Value = CsvFile> {
    (
        prop::bool::weighted(0.1),
        prop::collection::vec(prelude_line().prop_map(Bytes), 0..8),
        header(),
        prop::collection::vec(body(), 0..rows),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.9),
    )
        .prop_map(|(bom, prelude, header, body, crlf, last_newline)| CsvFile {
            bom,
            prelude,
            header,
            body,
            crlf,
            last_newline,
        })
}

impl CsvFile {
    /// The file's bytes.
    pub fn render(&self) -> Vec<u8> {
        let eol: &[u8] = if self.crlf { b"\r\n" } else { b"\n" };
        let mut out = Vec::new();
        if self.bom {
            out.extend_from_slice("\u{feff}".as_bytes());
        }
        for line in &self.prelude {
            out.extend_from_slice(&line.0);
            out.extend_from_slice(eol);
        }
        let columns = self.header.columns();
        let sep = if self.header.spaces { " , " } else { "," };
        out.extend_from_slice(columns.join(sep).as_bytes());
        out.extend_from_slice(eol);
        let mut t = 0.0f64;
        for b in &self.body {
            match b {
                Body::Row {
                    time,
                    accel,
                    gyro,
                    damage,
                } => {
                    let t_text = match time {
                        Time::Step(dt) => {
                            t += dt;
                            format!("{t:.6}")
                        }
                        Time::Text(s) => s.clone(),
                    };
                    let mut fields: Vec<Vec<u8>> = columns
                        .iter()
                        .map(|c| {
                            let v = match c.as_str() {
                                "time_s" => &t_text,
                                "ax_g" => &accel[0],
                                "ay_g" => &accel[1],
                                "az_g" => &accel[2],
                                "gx_dps" => &gyro[0],
                                "gy_dps" => &gyro[1],
                                "gz_dps" => &gyro[2],
                                _ => "x",
                            };
                            v.as_bytes().to_vec()
                        })
                        .collect();
                    match damage {
                        Some(Damage::DropField(i)) if !fields.is_empty() => {
                            fields.remove(i % fields.len());
                        }
                        Some(Damage::ExtraField) => fields.push(b"0".to_vec()),
                        Some(Damage::NonUtf8(i)) => {
                            let n = fields.len().max(1);
                            if let Some(f) = fields.get_mut(i % n) {
                                f.push(0xff);
                            }
                        }
                        Some(Damage::LongField(i, len)) => {
                            let n = fields.len().max(1);
                            if let Some(f) = fields.get_mut(i % n) {
                                f.extend(std::iter::repeat_n(b'9', *len));
                            }
                        }
                        _ => {}
                    }
                    out.extend_from_slice(&fields.join(&b","[..]));
                }
                Body::Mark(m) => out.extend_from_slice(format!("# {m}").as_bytes()),
                Body::Comment(c) => out.extend_from_slice(format!("#{c}").as_bytes()),
                Body::Blank => {}
                Body::Garbage(g) => out.extend(g.0.iter().filter(|&&c| c != b'\n')),
            }
            out.extend_from_slice(eol);
        }
        if !self.last_newline {
            while matches!(out.last(), Some(b'\n' | b'\r')) {
                out.pop();
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Properties

/// The file's lines as the reader counts them (1-based: `lines[n - 1]`), without line endings.
fn lines_of(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if bytes.ends_with(b"\n") {
        lines.pop();
    }
    lines
        .into_iter()
        .map(|l| {
            let mut l = l;
            while let [rest @ .., b'\r'] = l {
                l = rest;
            }
            l
        })
        .collect()
}

/// A text for a person: names the file, short.
fn check_text(text: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        text.len() <= TEXT_MAX + FILE.len(),
        "{} bytes: {}…",
        text.len(),
        text.chars().take(200).collect::<String>()
    );
    Ok(())
}

/// An error from the reader names the file and the line, and the line it names is the bad one;
/// a bad field's error names its column.
fn check_error(e: &SessionError, lines: &[&[u8]], header: &[String]) -> Result<(), TestCaseError> {
    let text = e.to_string();
    check_text(&text)?;
    prop_assert!(text.starts_with(FILE), "{}", text);
    let Some(n) = e.line else {
        return Err(TestCaseError::fail(format!("no line number: {text}")));
    };
    prop_assert!(
        n >= 1 && n as usize <= lines.len(),
        "line {} of {}: {}",
        n,
        lines.len(),
        text
    );
    prop_assert!(text.starts_with(&format!("{FILE}:{n}")), "{}", text);
    let line = lines.get(n as usize - 1).copied().unwrap_or_default();
    let fields: Vec<&[u8]> = line.split(|&b| b == b',').collect();
    let field_of = |column: &str| {
        header
            .iter()
            .position(|h| h == column)
            .and_then(|i| fields.get(i))
            .map(|f| f.trim_ascii())
    };
    match &e.kind {
        SessionErrorKind::NotANumber { .. } | SessionErrorKind::OutOfRange { .. } => {
            let column = e.column.as_deref().unwrap_or_default();
            prop_assert!(REQUIRED_COLUMNS.contains(&column), "{}", text);
            prop_assert!(
                text.starts_with(&format!("{FILE}:{n}: column '{column}'")),
                "{}",
                text
            );
            let field = field_of(column).unwrap_or_default();
            let usable = parse_f64(field).is_some_and(|v| {
                let limit = match column {
                    "time_s" => spinewatch::session::TIME_LIMIT_S,
                    c if c.ends_with("_g") => 64.0,
                    _ => 8000.0,
                };
                v.abs() <= limit
            });
            prop_assert!(
                !usable,
                "line {} column {} holds {:?}, a usable value: {}",
                n,
                column,
                String::from_utf8_lossy(field),
                text
            );
        }
        SessionErrorKind::TimeBackwards { found_s, .. }
        | SessionErrorKind::TimeOutlier { found_s, .. } => {
            prop_assert_eq!(e.column.as_deref(), Some("time_s"), "{}", text);
            let field = field_of("time_s").and_then(parse_f64);
            prop_assert_eq!(field, Some(*found_s), "line {}: {}", n, text);
        }
        SessionErrorKind::TimeOutOfRange { value_s } => {
            prop_assert_eq!(e.column.as_deref(), Some("time_s"), "{}", text);
            let field = field_of("time_s").and_then(parse_f64);
            prop_assert_eq!(field, Some(*value_s), "line {}: {}", n, text);
            prop_assert!(value_s.abs() > spinewatch::session::TIME_LIMIT_S);
        }
        SessionErrorKind::ColumnCount { found, .. } => {
            prop_assert_eq!(fields.len(), *found, "line {}: {}", n, text);
        }
        SessionErrorKind::NotText => {
            prop_assert!(std::str::from_utf8(line).is_err(), "line {}: {}", n, text);
        }
        SessionErrorKind::LineTooLong { .. }
        | SessionErrorKind::NoHeader
        | SessionErrorKind::MissingColumn => {}
        SessionErrorKind::Io(io) => {
            return Err(TestCaseError::fail(format!("I/O error from memory: {io}")));
        }
    }
    Ok(())
}

fn check_sample(s: &ImuSample, last_t: &mut Option<f64>) -> Result<(), TestCaseError> {
    prop_assert!(s.t_s.is_finite(), "time {}", s.t_s);
    prop_assert!(last_t.is_none_or(|l| s.t_s >= l), "time went back");
    *last_t = Some(s.t_s);
    for v in s.accel_g.iter() {
        prop_assert!(v.is_finite() && v.abs() <= 64.0, "accel {}", v);
    }
    for v in s.gyro_dps.iter() {
        prop_assert!(v.is_finite() && v.abs() <= 8000.0, "gyro {}", v);
    }
    Ok(())
}

fn check_marks(marks: &[SessionMark]) -> Result<(), TestCaseError> {
    for m in marks {
        match m {
            SessionMark::SensorLost { t_s, reason } => {
                prop_assert!(t_s.is_finite() && reason.len() <= 200, "{:?}", m);
            }
            SessionMark::SensorBack { t_s, gap_s } => {
                prop_assert!(
                    t_s.is_finite() && gap_s.is_finite() && *gap_s >= 0.0,
                    "{:?}",
                    m
                );
            }
            SessionMark::Calibration(c) => {
                prop_assert!(c.len() <= 64 * 1024, "{} bytes", c.len());
            }
        }
    }
    Ok(())
}

fn check_meta(reader: &SessionReader<&[u8]>) -> Result<(), TestCaseError> {
    let warnings = reader.warnings();
    prop_assert!(
        warnings.len() <= WARNINGS_MAX,
        "{} warnings",
        warnings.len()
    );
    for w in &warnings {
        check_text(w)?;
    }
    let meta = reader.meta();
    prop_assert!(
        meta.other.len() <= 256,
        "{} metadata entries",
        meta.other.len()
    );
    prop_assert!(meta.rate_hz.is_none_or(|r| r.is_finite() && r > 0.0));
    for w in meta
        .calibration_windows
        .iter()
        .chain(&meta.calibration_capture)
    {
        let [a, b, c, d] = [w.upright_s.0, w.upright_s.1, w.forward_s.0, w.forward_s.1];
        prop_assert!([a, b, c, d].iter().all(|v| v.is_finite()), "{:?}", w);
    }
    Ok(())
}

/// Reads the file strictly (to its first bad row) and with `skip_bad_rows` (to its end).
fn read_property(bytes: &[u8]) -> Result<Vec<ImuSample>, TestCaseError> {
    let lines = lines_of(bytes);
    match SessionReader::new(bytes, Path::new(FILE)) {
        Err(e) => {
            check_error(&e, &lines, &[])?;
            return Ok(Vec::new());
        }
        Ok(mut r) => {
            check_meta(&r)?;
            let header = r.header().to_vec();
            let mut last_t = None;
            loop {
                match r.next_sample() {
                    Ok(Some(s)) => check_sample(&s, &mut last_t)?,
                    Ok(None) => break,
                    Err(e) => {
                        check_error(&e, &lines, &header)?;
                        break;
                    }
                }
            }
        }
    }
    let (result, peak) = support::peak_extra_bytes(|| {
        let mut samples = Vec::new();
        let mut marks = Vec::new();
        let Ok(r) = SessionReader::new(bytes, Path::new(FILE)) else {
            return Err(TestCaseError::fail("the header read differently"));
        };
        let mut r = r.skip_bad_rows(true);
        let mut last_t = None;
        loop {
            match r.next_sample() {
                Ok(Some(s)) => {
                    check_sample(&s, &mut last_t)?;
                    samples.push(s);
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(TestCaseError::fail(format!(
                        "skip_bad_rows stopped the read: {e}"
                    )));
                }
            }
            r.take_marks(&mut marks);
            check_marks(&marks)?;
            marks.clear();
        }
        check_meta(&r)?;
        let (skipped, first) = r.skipped_rows();
        if let Some(e) = first {
            check_error(e, &lines, r.header())?;
        }
        Ok((samples, skipped))
    });
    let (samples, _skipped) = result?;
    prop_assert!(peak <= READER_MEMORY_MAX, "the reader held {} bytes", peak);
    Ok(samples)
}

std::thread_local! {
    /// A directory per test thread for the files the replay reads (they must be on disk).
    static DIR: Option<tempfile::TempDir> = tempfile::tempdir().ok();
}

/// Writes `bytes` to this thread's scratch file and returns its path.
pub fn scratch_file(name: &str, bytes: &[u8]) -> Result<PathBuf, TestCaseError> {
    let dir = DIR
        .with(|d| d.as_ref().map(|d| d.path().to_path_buf()))
        .ok_or_else(|| TestCaseError::fail("no temporary directory"))?;
    let path = dir.join(name);
    std::fs::write(&path, bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    Ok(path)
}

/// The whole headless replay of `path`: every step and event the driver hands its sinks is
/// finite, whatever the file held (its stored calibration, windows and marks included).
pub fn check_replay(path: &Path, config: &PostureConfig) -> Result<(), TestCaseError> {
    let mut failure: Option<String> = None;
    let mut checker = FnSink(|fact: &Fact<'_>| {
        if failure.is_none() {
            let bad = match fact {
                Fact::Sample { step, .. } => support::check_step(step).err(),
                Fact::Event(e) => support::check_event(e).err(),
                Fact::Calibrated { calibration, .. } => {
                    support::check_calibration(calibration).err()
                }
                Fact::Finished { summary } => {
                    let text = format!("{summary:?}");
                    support::has_non_finite(&text).then(|| format!("summary: {text}"))
                }
                Fact::Info(_) => None,
            };
            failure = bad;
        }
        Ok(())
    });
    let opts = ReplayOptions {
        input: path.to_path_buf(),
        config: config.clone(),
        skip_bad_rows: true,
        ..ReplayOptions::default()
    };
    let result = run_with(&opts, &mut [&mut checker]);
    if let Some(f) = failure {
        return Err(TestCaseError::fail(f));
    }
    match result {
        Ok(report) => {
            let text = format!("{:?}", report.summary);
            prop_assert!(!support::has_non_finite(&text), "summary: {}", text);
            for w in &report.warnings {
                prop_assert!(
                    w.len() <= TEXT_MAX + path.as_os_str().len() * 2,
                    "{} bytes: {}",
                    w.len(),
                    w.chars().take(200).collect::<String>()
                );
            }
        }
        Err(e) => {
            let text = e.to_string();
            prop_assert!(
                text.len() <= TEXT_MAX + path.as_os_str().len(),
                "{} bytes",
                text.len()
            );
        }
    }
    Ok(())
}

fn session_property(file: CsvFile) -> Result<(), TestCaseError> {
    let bytes = file.render();
    let samples = read_property(&bytes)?;
    // The samples with the file's own calibration (else the test one) through the rules.
    let calibration = SessionReader::new(&bytes[..], Path::new(FILE))
        .ok()
        .and_then(|r| r.meta().calibration.clone())
        .and_then(|c| Calibration::from_metadata(&c).ok());
    support::check_pipeline(&PostureConfig::default(), calibration, None, &samples)
        .map_err(TestCaseError::fail)?;
    // The whole replay costs a file and a reader thread (about ten times the rest): every
    // case in CI, one in REPLAY_EVERY in the dedicated run.
    let n = CASE.with(|c| {
        c.set(c.get().wrapping_add(1));
        c.get()
    });
    if !n.is_multiple_of(REPLAY_EVERY.with(Cell::get).max(1)) {
        return Ok(());
    }
    let path = scratch_file(FILE, &bytes)?;
    check_replay(&path, &PostureConfig::default())
}

std::thread_local! {
    /// Cases run on this thread, and how often one goes through the whole replay.
    static CASE: Cell<u64> = const { Cell::new(0) };
    static REPLAY_EVERY: Cell<u64> = const { Cell::new(1) };
}

/// In the dedicated run one case in this many goes through the whole replay.
const DEDICATED_REPLAY_EVERY: u64 = 10;

/// Rows a recorder could write (time step, g, deg/s), the device text and the rate.
type RoundTripCase = (Vec<(f64, [f64; 3], [f64; 3])>, String, u8);

/// Samples a recorder could write, and metadata.
fn round_trip_case() -> impl Strategy<Value = RoundTripCase> {
    (
        prop::collection::vec(
            (
                0.0f64..2.0,
                [-64.0f64..64.0, -64.0..64.0, -64.0..64.0],
                [-8000.0f64..8000.0, -8000.0..8000.0, -8000.0..8000.0],
            ),
            0..60,
        ),
        "[ -~]{0,60}",
        any::<u8>(),
    )
}

fn round_trip((steps, device, rate): RoundTripCase) -> Result<(), TestCaseError> {
    let mut t = 0.0;
    let samples: Vec<ImuSample> = steps
        .iter()
        .map(|(dt, a, g)| {
            // Steps under the lone-outlier check (1 s): every row is taken.
            t += dt * 0.5;
            ImuSample::new(t, *a, *g)
        })
        .collect();
    let meta = SessionMeta {
        device: Some(device.clone()),
        rate_hz: (rate > 0).then_some(f64::from(rate)),
        ..SessionMeta::default()
    };
    let mut w =
        SessionWriter::new(Vec::new(), &meta).map_err(|e| TestCaseError::fail(e.to_string()))?;
    for s in &samples {
        w.write_sample(s)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    let bytes = w.into_inner();
    let (back_meta, back) = spinewatch::session::read_all(&bytes[..], FILE)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(back.len(), samples.len());
    for (b, s) in back.iter().zip(&samples) {
        prop_assert!((b.t_s - s.t_s).abs() <= 0.5e-6 + 1e-12);
        prop_assert!((b.accel_g - s.accel_g).amax() <= 0.5e-5 + 1e-12);
        prop_assert!((b.gyro_dps - s.gyro_dps).amax() <= 0.5e-3 + 1e-9);
    }
    prop_assert_eq!(back_meta.device.as_deref(), Some(device.trim()));
    prop_assert_eq!(back_meta.rate_hz, meta.rate_hz);
    Ok(())
}

#[test]
fn session_csv() {
    support::run("session_csv", CI_CASES, csv_file(80), session_property);
}

#[test]
fn session_csv_round_trips() {
    support::run(
        "session_csv_round_trip",
        CI_ROUND_TRIP_CASES,
        round_trip_case(),
        round_trip,
    );
}

#[test]
#[ignore = "dedicated fuzz run: SPINEWATCH_FUZZ_CASES, see docs/fuzzing.md"]
fn dedicated_session_csv_round_trips() {
    support::run(
        "session_csv_round_trip",
        support::dedicated_cases("session_csv_round_trip"),
        round_trip_case(),
        round_trip,
    );
}

#[test]
#[ignore = "dedicated fuzz run: SPINEWATCH_FUZZ_CASES, see docs/fuzzing.md"]
fn dedicated_session_csv() {
    REPLAY_EVERY.with(|r| r.set(DEDICATED_REPLAY_EVERY));
    support::run(
        "session_csv",
        support::dedicated_cases("session_csv"),
        csv_file(80),
        session_property,
    );
}

/// The strategy for the import target: small files that mostly read (a `# started=` is added
/// there).
pub fn small_csv_file() -> impl Strategy<Value = CsvFile> {
    csv_file(300)
}
