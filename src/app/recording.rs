//! The window's record button: the crash-safe recorder as one more sink of the session driver
//! (the same file format, naming and marks as `spinewatch record`), with times rebased so a
//! recording started mid-session begins at 0 s.
//!
//! **When writing fails** (disk full, read-only filesystem, I/O error) the recording pauses
//! instead of stopping: the rows already taken stay in memory (the recorder cuts a torn row off
//! the file), the samples that arrive meanwhile are counted but not kept (a long outage would
//! otherwise grow memory without bound), and writing is tried again after 1 s, then 2 s, 4 s …
//! up to every 30 s, on the engine's monotonic clock. When a retry succeeds the kept rows reach
//! the file, then a `# recording_gap from_s=… to_s=… samples=… reason=…` line says what is not
//! in it (file times, seconds), and recording goes on. Monitoring and alerts never wait for it.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Local, Utc};

use crate::paths::Paths;
use crate::posture::Calibration;
use crate::session::{DiskFault, Fact, RecorderSink, Sink, SinkError, recording_meta};
use crate::source::SourceInfo;

use super::store::{RecordingView, SessionFile};

/// First wait before a failed recording tries to write again; it doubles with each failure.
const RETRY_FIRST: Duration = Duration::from_secs(1);
/// Longest wait between two tries.
const RETRY_MAX: Duration = Duration::from_secs(30);
/// An outage that begins within this long of the last one's end carries on its backoff: a disk
/// with a few kilobytes free takes the kept rows and fails the next flush, and starting again
/// at 1 s would pause and resume the recording every two seconds.
const BACKOFF_MEMORY: Duration = Duration::from_secs(60);

/// Whether a failed write is worth trying again on the same file: the disk is full, the quota
/// is used up, or the filesystem turned read only; space or a remount can fix those. Anything
/// else (an I/O error from a medium pulled out, a file removed from under us) will not come
/// back on this file handle, so the recording stops and says so.
pub fn pauses_for(e: &std::io::Error) -> bool {
    /// ENOSPC, EROFS and EDQUOT on Linux.
    const RETRYABLE: [i32; 3] = [28, 30, 122];
    e.raw_os_error()
        .is_some_and(|code| RETRYABLE.contains(&code))
        || matches!(
            e.kind(),
            std::io::ErrorKind::StorageFull
                | std::io::ErrorKind::ReadOnlyFilesystem
                | std::io::ErrorKind::QuotaExceeded
        )
}

/// A recording that cannot write right now.
#[derive(Debug)]
struct Outage {
    /// The error that began it.
    reason: String,
    /// File times of the first and last sample not kept since the last gap line, s.
    missed_s: Option<(f64, f64)>,
    missed_samples: u64,
    /// All samples not kept in this outage (for the wearer), and the seconds they span.
    total_missed: u64,
    total_missed_s: f64,
    /// The last calibration taken meanwhile (`up=…;forward=…`), written when writing resumes.
    calibration: Option<String>,
    /// Monotonic time of the next try, and the wait after that one if it fails.
    retry_at: Duration,
    backoff: Duration,
}

/// Writing works again after an outage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resumed {
    /// Samples that arrived while nothing could be written, and the seconds they span.
    pub missed_samples: u64,
    pub missed_s: f64,
}

/// A recording that could not be finished.
#[derive(Debug)]
pub struct StopFailure {
    pub error: SinkError,
    /// Samples taken but not in the file (held in memory, or not kept in an outage), and the
    /// session seconds they span.
    pub unsaved_samples: u64,
    pub unsaved_s: f64,
}

impl std::fmt::Display for StopFailure {
    /// What the wearer reads: what is missing, why, and that the rest is safe.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.unsaved_samples == 0 {
            return write!(f, "the recording could not be finished: {}", self.error);
        }
        write!(
            f,
            "the recording stopped, but its last {} samples ({}) could not be written: {}. \
             The file keeps everything before them.",
            self.unsaved_samples,
            crate::format::human_duration(self.unsaved_s),
            self.error
        )
    }
}

/// The recording in progress, if any.
#[derive(Default)]
pub struct RecordingControl {
    sink: Option<RecorderSink>,
    outage: Option<Outage>,
    /// The engine's monotonic time at the last [`RecordingControl::tick`].
    now_mono: Duration,
    /// Test switch put in front of every recording's file.
    fault: Option<DiskFault>,
    /// When the last outage ended and the backoff it had reached ([`BACKOFF_MEMORY`]).
    last_backoff: Option<(Duration, Duration)>,
}

impl RecordingControl {
    /// Recordings whose files fail while `fault` says so (tests; `None` in the app).
    pub fn with_fault(fault: Option<DiskFault>) -> Self {
        Self {
            fault,
            ..Self::default()
        }
    }

    pub fn active(&self) -> bool {
        self.sink.is_some()
    }

    /// The error that keeps the recording from writing right now, if any.
    pub fn paused(&self) -> Option<&str> {
        self.outage.as_ref().map(|o| o.reason.as_str())
    }

    /// Starts a recording in the sessions folder, named by the local start time. `rate_hz`: the
    /// device's declared rate or, failing that, the measured one. `wall_now` is UTC, so the
    /// `started=` stamp has the right offset even in the hour a DST change shows twice.
    pub fn start(
        &mut self,
        paths: &Paths,
        info: &SourceInfo,
        rate_hz: Option<f64>,
        calibration: Option<&Calibration>,
        wall_now: DateTime<Utc>,
    ) -> Result<PathBuf, SinkError> {
        let now = wall_now.with_timezone(&Local);
        let mut meta = recording_meta(info, &now);
        if let Some(p) = &info.port {
            meta.device = Some(format!("{} ({p})", info.label));
        }
        meta.rate_hz = rate_hz;
        meta.calibration = calibration.map(Calibration::to_metadata);
        let path = paths.new_recording(&now);
        let sink = RecorderSink::create_with(&path, &meta, true, self.fault.clone())?;
        self.sink = Some(sink);
        self.outage = None;
        Ok(path)
    }

    /// Ends the recording; the file is complete (a gap still open is marked first). `None` if
    /// none was running. Stopped while writing is impossible (the disk still full), the error
    /// says how many samples are not in the file: the rows held in memory and those not kept.
    pub fn stop(&mut self) -> Option<Result<PathBuf, StopFailure>> {
        let mut sink = self.sink.take()?;
        let outage = self.outage.take();
        // Not kept in this outage: the gaps marked already and the one still open.
        let (missed, missed_s) = outage.as_ref().map_or((0, 0.0), |o| {
            (
                o.total_missed + o.missed_samples,
                o.total_missed_s + o.missed_s.map_or(0.0, |(from, to)| to - from),
            )
        });
        let queued = match outage {
            Some(mut outage) => queue_gap(&mut sink, &mut outage),
            None => Ok(()),
        };
        // Taken before the last write: if that fails, these are what the file lacks.
        let stats = sink.stats();
        let finished = queued.and_then(|()| sink.finish().map(|(path, _)| path));
        Some(finished.map_err(|error| StopFailure {
            error,
            unsaved_samples: stats.samples.saturating_sub(stats.written_samples) + missed,
            unsaved_s: stats.unwritten_s + missed_s,
        }))
    }

    /// Drops a recording that failed (its rows so far stay in the file).
    pub fn abandon(&mut self) {
        self.sink = None;
        self.outage = None;
    }

    /// Flushes if a second has passed (for when no samples arrive) and, while paused, tries to
    /// write again when due. `Err` only when an outage begins; `Ok(Some(_))` when one ends.
    pub fn tick(&mut self, now_mono: Duration) -> Result<Option<Resumed>, SinkError> {
        self.now_mono = now_mono;
        let Some(sink) = &mut self.sink else {
            return Ok(None);
        };
        let Some(outage) = &mut self.outage else {
            return match sink.tick() {
                Ok(()) => Ok(None),
                Err(e) => {
                    self.begin_outage(&e);
                    Err(e)
                }
            };
        };
        if now_mono < outage.retry_at {
            return Ok(None);
        }
        // The kept rows first: only once they are in does the gap line go after them (a line
        // queued at every failed try would say the same gap many times).
        let retried = sink
            .flush()
            .and_then(|()| queue_gap(sink, outage))
            .and_then(|()| sink.flush());
        match retried {
            Ok(()) => {
                let resumed = Resumed {
                    missed_samples: outage.total_missed,
                    missed_s: outage.total_missed_s,
                };
                tracing::info!(
                    "recording resumed: {} samples ({:.1} s) not recorded, marked in {}",
                    resumed.missed_samples,
                    resumed.missed_s,
                    sink.path().display()
                );
                self.last_backoff = Some((now_mono, outage.backoff));
                self.outage = None;
                Ok(Some(resumed))
            }
            Err(e) => {
                outage.backoff = (outage.backoff * 2).min(RETRY_MAX);
                outage.retry_at = now_mono + outage.backoff;
                tracing::debug!(
                    "recording still cannot write ({e}); next try in {:?}",
                    outage.backoff
                );
                Ok(None)
            }
        }
    }

    /// A write failed: a pause that retries (see [`pauses_for`]) or, for an error that will
    /// not pass, the end of the recording (its rows so far stay in the file).
    fn begin_outage(&mut self, e: &SinkError) {
        if !pauses_for(&e.source) {
            tracing::warn!("recording stopped: {e}");
            self.abandon();
            return;
        }
        let backoff = match self.last_backoff {
            Some((ended, b)) if self.now_mono.saturating_sub(ended) < BACKOFF_MEMORY => {
                (b * 2).min(RETRY_MAX)
            }
            _ => RETRY_FIRST,
        };
        self.outage = Some(Outage {
            reason: e.to_string(),
            missed_s: None,
            missed_samples: 0,
            total_missed: 0,
            total_missed_s: 0.0,
            calibration: None,
            retry_at: self.now_mono + backoff,
            backoff,
        });
    }

    pub fn view(&self) -> Option<RecordingView> {
        self.sink.as_ref().map(|s| {
            let stats = s.stats();
            RecordingView {
                path: s.path().to_path_buf(),
                samples: stats.samples,
                duration_s: stats.duration_s,
            }
        })
    }
}

/// Queues the gap line for the samples missed since the last one (and a calibration taken
/// meanwhile) after the kept rows; they reach the file with the next successful flush.
fn queue_gap(sink: &mut RecorderSink, outage: &mut Outage) -> Result<(), SinkError> {
    if let Some((from_s, to_s)) = outage.missed_s.take() {
        sink.note(&format!(
            "recording_gap from_s={from_s:.6} to_s={to_s:.6} samples={} reason={}",
            outage.missed_samples, outage.reason
        ))?;
        outage.total_missed += outage.missed_samples;
        outage.total_missed_s += to_s - from_s;
        outage.missed_samples = 0;
    }
    if let Some(c) = outage.calibration.take() {
        sink.note_calibration(&c)?;
    }
    Ok(())
}

impl Sink for RecordingControl {
    fn fact(&mut self, fact: &Fact<'_>) -> Result<(), SinkError> {
        let Some(sink) = &mut self.sink else {
            return Ok(());
        };
        if let Some(outage) = &mut self.outage {
            // Counted, not kept: the gap line says what is missing. A sensor lost or back
            // meanwhile falls inside the gap.
            match fact {
                Fact::Sample { sample, .. } => {
                    let t_s = sink.file_time(sample.t_s);
                    let from_s = outage.missed_s.map_or(t_s, |(a, _)| a);
                    outage.missed_s = Some((from_s, t_s));
                    outage.missed_samples += 1;
                }
                Fact::Calibrated { calibration, .. } => {
                    outage.calibration = Some(calibration.to_metadata());
                }
                _ => {}
            }
            return Ok(());
        }
        let result = sink.fact(fact);
        if let Err(e) = &result {
            self.begin_outage(e);
        }
        result
    }
}

/// Session CSVs in `dir`, newest name first.
pub fn list_sessions(dir: &Path) -> Vec<SessionFile> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<SessionFile> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "csv"))
        .map(|e| SessionFile {
            bytes: e.metadata().map(|m| m.len()).unwrap_or(0),
            path: e.path(),
        })
        .collect();
    files.sort_by(|a, b| b.path.cmp(&a.path));
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{PostureUpdate, Step};
    use crate::posture::PostureState;
    use crate::sample::ImuSample;
    use crate::session::read_all;
    use crate::source::SourceKind;

    /// 2025-01-01 12:00 local time, as UTC.
    fn local_noon() -> DateTime<Utc> {
        use chrono::TimeZone;
        let noon = chrono::NaiveDate::from_ymd_opt(2025, 1, 1)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .unwrap_or_default();
        Local
            .from_local_datetime(&noon)
            .earliest()
            .map_or_else(|| noon.and_utc(), |t| t.with_timezone(&Utc))
    }

    fn demo_info() -> SourceInfo {
        SourceInfo {
            kind: SourceKind::Demo,
            label: "Demo sensor".into(),
            port: None,
            rate_hz: Some(100.0),
            battery_pct: None,
            device_time: true,
            units: None,
        }
    }

    fn feed(rec: &mut RecordingControl, t_s: f64) -> Result<(), SinkError> {
        let s = ImuSample::new(t_s, [0.0, 0.0, 1.0], [0.0; 3]);
        let step = Step {
            pose: crate::fusion::Pose {
                t_s,
                world_from_sensor: nalgebra::UnitQuaternion::identity(),
                gyro_bias_dps: nalgebra::Vector3::zeros(),
                up_s: nalgebra::Vector3::z(),
                flags: crate::fusion::PoseFlags::default(),
            },
            posture: PostureUpdate {
                t_s,
                flexion_deg: None,
                lateral_deg: None,
                state: PostureState::Uncalibrated,
            },
        };
        rec.fact(&Fact::Sample {
            sample: &s,
            step: &step,
        })
    }

    #[test]
    fn a_full_disk_pauses_the_recording_which_resumes_with_a_gap_line() {
        use crate::session::{DiskFault, DiskFaultKind};
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let paths = Paths::under(dir.path());
        let fault = DiskFault::new();
        let mut rec = RecordingControl::with_fault(Some(fault.clone()));
        let noon = local_noon();
        let path = rec
            .start(&paths, &demo_info(), Some(100.0), None, noon)
            .unwrap_or_else(|e| panic!("{e}"));
        let t = |i: u32| 10.0 + f64::from(i) * 0.01;
        // 3 s written (flushed by session time every second).
        for i in 0..300 {
            feed(&mut rec, t(i)).unwrap_or_else(|e| panic!("{e}"));
        }
        fault.set(Some(DiskFaultKind::Full));
        let mut errors = 0;
        for i in 300..800 {
            if feed(&mut rec, t(i)).is_err() {
                errors += 1;
            }
        }
        assert_eq!(errors, 1, "the outage is reported once");
        assert!(rec.paused().is_some_and(|r| r.contains("No space left")));
        // Still full at the first try: no resume, and the next try waits twice as long.
        let at = |s: u64| Duration::from_secs(s);
        assert_eq!(rec.tick(at(2)).ok().flatten(), None);
        fault.set(None);
        assert_eq!(
            rec.tick(at(3)).ok().flatten(),
            None,
            "not due before 2 + 2 s"
        );
        let resumed = rec
            .tick(at(4))
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("resumed"));
        assert!(rec.paused().is_none());
        for i in 800..1000 {
            feed(&mut rec, t(i)).unwrap_or_else(|e| panic!("{e}"));
        }
        let path_done = rec
            .stop()
            .unwrap_or_else(|| panic!("was recording"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(path_done, path);
        let text = fs::read_to_string(&path).unwrap_or_default();
        let (_, rows) = read_all(text.as_bytes(), "rec").unwrap_or_else(|e| panic!("{e}"));
        let gap: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("# recording_gap "))
            .collect();
        assert_eq!(gap.len(), 1, "{gap:?}");
        // Rows up to the sample whose flush failed were kept; the rest of the outage is the gap.
        assert_eq!(rows.len() as u64 + resumed.missed_samples, 1000);
        assert!(rows.windows(2).all(|w| w[1].t_s > w[0].t_s));
        let kept = rows.iter().filter(|r| r.t_s < 5.0).count();
        assert!(
            kept >= 300,
            "the rows taken before the fault are there: {kept}"
        );
        assert!(
            gap[0].contains(&format!("samples={}", resumed.missed_samples)),
            "{}",
            gap[0]
        );
        assert!((resumed.missed_s - (resumed.missed_samples - 1) as f64 * 0.01).abs() < 1e-6);
        assert_eq!(rows.last().map(|r| r.t_s), Some(9.99));
    }

    /// Stopped while the disk is still full: the file keeps what was written, and the message
    /// counts exactly the samples it lacks (the rows held in memory and those not kept).
    #[test]
    fn a_stop_while_the_disk_is_full_says_what_the_file_lacks() {
        use crate::session::{DiskFault, DiskFaultKind};
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let paths = Paths::under(dir.path());
        let fault = DiskFault::new();
        let mut rec = RecordingControl::with_fault(Some(fault.clone()));
        let path = rec
            .start(&paths, &demo_info(), Some(100.0), None, local_noon())
            .unwrap_or_else(|e| panic!("{e}"));
        let t = |i: u32| 10.0 + f64::from(i) * 0.01;
        for i in 0..250 {
            feed(&mut rec, t(i)).unwrap_or_else(|e| panic!("{e}"));
        }
        fault.set(Some(DiskFaultKind::Full));
        for i in 250..600 {
            let _outage_reported_once = feed(&mut rec, t(i));
        }
        assert!(rec.paused().is_some());
        let failure = match rec.stop() {
            Some(Err(f)) => f,
            other => panic!("a full disk cannot finish the file: {other:?}"),
        };
        let (_, rows) = read_all(fs::read(&path).unwrap_or_default().as_slice(), "rec")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            rows.len() >= 200,
            "{} rows written before the fault",
            rows.len()
        );
        assert_eq!(rows.len() as u64 + failure.unsaved_samples, 600);
        let expected_s = (600 - rows.len()) as f64 * 0.01;
        assert!(
            (failure.unsaved_s - expected_s).abs() < 0.03,
            "{} s unsaved, {expected_s} s expected",
            failure.unsaved_s
        );
        let text = failure.to_string();
        assert!(
            text.contains(&format!("its last {} samples", failure.unsaved_samples))
                && text.contains("No space left")
                && text.contains("keeps everything before them"),
            "{text}"
        );
    }

    #[test]
    fn an_outage_soon_after_the_last_carries_on_its_backoff() {
        use crate::session::{DiskFault, DiskFaultKind};
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let paths = Paths::under(dir.path());
        let fault = DiskFault::new();
        let mut rec = RecordingControl::with_fault(Some(fault.clone()));
        rec.start(&paths, &demo_info(), Some(100.0), None, local_noon())
            .unwrap_or_else(|e| panic!("{e}"));
        let t = |i: u32| 10.0 + f64::from(i) * 0.01;
        let at = |s: u64| Duration::from_secs(s);
        let feed_until_error = |rec: &mut RecordingControl, from: u32| {
            (from..from + 300).find(|&i| feed(rec, t(i)).is_err())
        };
        for i in 0..150 {
            feed(&mut rec, t(i)).unwrap_or_else(|e| panic!("{e}"));
        }
        fault.set(Some(DiskFaultKind::Full));
        assert!(feed_until_error(&mut rec, 150).is_some());
        assert_eq!(rec.tick(at(1)).ok().flatten(), None, "still full");
        fault.set(None);
        assert!(
            rec.tick(at(3)).ok().flatten().is_some(),
            "resumed after 2 s"
        );
        // Full again at once (a disk with a few kilobytes free): the next try waits 4 s, not 1.
        fault.set(Some(DiskFaultKind::Full));
        assert!(feed_until_error(&mut rec, 600).is_some());
        fault.set(None);
        assert_eq!(rec.tick(at(4)).ok().flatten(), None);
        assert_eq!(rec.tick(at(6)).ok().flatten(), None);
        assert!(rec.tick(at(7)).ok().flatten().is_some(), "due at 3 + 4 s");
    }

    #[test]
    fn only_a_full_or_read_only_disk_is_worth_waiting_for() {
        use std::io::{Error, ErrorKind};
        assert!(pauses_for(&Error::from_raw_os_error(28)), "ENOSPC");
        assert!(pauses_for(&Error::from_raw_os_error(30)), "EROFS");
        assert!(pauses_for(&Error::from_raw_os_error(122)), "EDQUOT");
        assert!(pauses_for(&Error::from(ErrorKind::StorageFull)));
        assert!(
            !pauses_for(&Error::from_raw_os_error(5)),
            "EIO: the medium went away"
        );
        assert!(!pauses_for(&Error::from(ErrorKind::NotFound)));
    }

    #[test]
    fn a_recording_starts_at_zero_knows_when_it_started_and_is_listed() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let paths = Paths::under(dir.path());
        let info = demo_info();
        let noon = local_noon();
        let mut rec = RecordingControl::default();
        let path = rec
            .start(&paths, &info, Some(100.0), None, noon)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(path.ends_with("2025-01-01T12-00-00.csv"), "{path:?}");
        for i in 0..10 {
            feed(&mut rec, 50.0 + f64::from(i) * 0.01).unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(rec.view().map(|v| v.samples), Some(10));
        let path = rec
            .stop()
            .unwrap_or_else(|| panic!("was recording"))
            .unwrap_or_else(|e| panic!("{e}"));
        let bytes = fs::read(&path).unwrap_or_default();
        let (meta, samples) = read_all(&bytes[..], "rec").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(meta.rate_hz, Some(100.0));
        assert!(
            meta.other
                .iter()
                .any(|(k, v)| k == "started" && v.starts_with("2025-01-01T12:00:00")),
            "{:?}",
            meta.other
        );
        assert_eq!(samples.len(), 10);
        assert_eq!(samples[0].t_s, 0.0);
        assert_eq!(list_sessions(&paths.sessions_dir).len(), 1);
    }
}
