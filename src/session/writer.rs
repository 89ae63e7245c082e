//! Session CSV writer: metadata lines, the header, then one row per sample.

use std::io::{self, Write};

use super::meta::SessionMeta;
use super::reader::REQUIRED_COLUMNS;
use crate::format::push_fixed;
use crate::sample::ImuSample;

/// Version written as `# format=` (bumped only if the meaning of a column changes).
pub const FORMAT_VERSION: u32 = 1;

/// Decimal places written per column: time to the microsecond, acceleration to 10 µg and rotation
/// rate to 0.001 deg/s — finer than any consumer MEMS sensor resolves, so nothing is lost.
const TIME_DECIMALS: usize = 6;
const ACCEL_DECIMALS: usize = 5;
const GYRO_DECIMALS: usize = 3;

/// Writes a session CSV. Rows are formatted into a reused buffer; call [`flush`](Self::flush)
/// as often as the caller's durability promise requires (the recorder does so every second).
pub struct SessionWriter<W: Write> {
    out: W,
    row: Vec<u8>,
}

impl<W: Write> SessionWriter<W> {
    /// Writes `# format=1`, the metadata and the header.
    pub fn new(mut out: W, meta: &SessionMeta) -> io::Result<Self> {
        writeln!(out, "# spinewatch session")?;
        let mut meta = meta.clone();
        meta.format_version.get_or_insert(FORMAT_VERSION);
        for (key, value) in meta.entries() {
            // A value must stay on its line; newlines would break the format.
            let value = value.replace(['\n', '\r'], " ");
            writeln!(out, "# {key}={value}")?;
        }
        writeln!(out, "{}", REQUIRED_COLUMNS.join(","))?;
        Ok(Self {
            out,
            row: Vec::with_capacity(128),
        })
    }

    /// Appends one sample row.
    pub fn write_sample(&mut self, s: &ImuSample) -> io::Result<()> {
        self.row.clear();
        push_fixed(&mut self.row, s.t_s, TIME_DECIMALS);
        for v in s.accel_g.iter() {
            self.row.push(b',');
            push_fixed(&mut self.row, *v, ACCEL_DECIMALS);
        }
        for v in s.gyro_dps.iter() {
            self.row.push(b',');
            push_fixed(&mut self.row, *v, GYRO_DECIMALS);
        }
        self.row.push(b'\n');
        self.out.write_all(&self.row)
    }

    /// Appends a `# key=value` line between rows (e.g. a calibration made mid-session).
    pub fn write_meta(&mut self, key: &str, value: &str) -> io::Result<()> {
        writeln!(self.out, "# {key}={}", value.replace(['\n', '\r'], " "))
    }

    /// Appends a `# text` comment line between rows (e.g. where the sensor was lost).
    pub fn write_comment(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "# {}", text.replace(['\n', '\r'], " "))
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    pub fn get_ref(&self) -> &W {
        &self.out
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::read_all;

    #[test]
    fn what_is_written_reads_back() {
        let mut meta = SessionMeta {
            rate_hz: Some(100.0),
            device: Some("sim\nline".into()),
            ..Default::default()
        };
        meta.other.push(("operator".into(), "me".into()));
        let samples = vec![
            ImuSample::new(0.0, [0.01, -0.02, 0.99876], [0.1, -0.25, 3.0]),
            ImuSample::new(0.01, [0.0, 0.0, 1.0], [0.0, 0.0, -0.001]),
        ];
        let mut w = SessionWriter::new(Vec::new(), &meta).unwrap_or_else(|e| panic!("{e}"));
        for s in &samples {
            w.write_sample(s).unwrap_or_else(|e| panic!("{e}"));
        }
        let bytes = w.into_inner();
        let (back_meta, back) = read_all(&bytes[..], "mem").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, samples);
        assert_eq!(back_meta.rate_hz, Some(100.0));
        assert_eq!(back_meta.format_version, Some(FORMAT_VERSION));
        assert_eq!(back_meta.device.as_deref(), Some("sim line"));
        assert!(back_meta.other.contains(&("operator".into(), "me".into())));
    }
}
