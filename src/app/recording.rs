//! The window's record button: the crash-safe recorder as one more sink of the session driver
//! (the same file format, naming and marks as `spinewatch record`), with times rebased so a
//! recording started mid-session begins at 0 s.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{Local, NaiveDateTime, TimeZone};

use crate::paths::Paths;
use crate::posture::Calibration;
use crate::session::{Fact, RecorderSink, Sink, SinkError, recording_meta};
use crate::source::SourceInfo;

use super::store::{RecordingView, SessionFile};

/// The recording in progress, if any.
#[derive(Default)]
pub struct RecordingControl {
    sink: Option<RecorderSink>,
}

impl RecordingControl {
    pub fn active(&self) -> bool {
        self.sink.is_some()
    }

    /// Starts a recording in the sessions folder, named by the local start time. `rate_hz`: the
    /// device's declared rate or, failing that, the measured one.
    pub fn start(
        &mut self,
        paths: &Paths,
        info: &SourceInfo,
        rate_hz: Option<f64>,
        calibration: Option<&Calibration>,
        local_now: NaiveDateTime,
    ) -> Result<PathBuf, SinkError> {
        let now = Local
            .from_local_datetime(&local_now)
            .earliest()
            .unwrap_or_else(Local::now);
        let mut meta = recording_meta(info, &now);
        if let Some(p) = &info.port {
            meta.device = Some(format!("{} ({p})", info.label));
        }
        meta.rate_hz = rate_hz;
        meta.calibration = calibration.map(Calibration::to_metadata);
        let path = paths.new_recording(&now);
        let sink = RecorderSink::create(&path, &meta, true)?;
        self.sink = Some(sink);
        Ok(path)
    }

    /// Ends the recording; the file is complete. `None` if none was running.
    pub fn stop(&mut self) -> Option<Result<PathBuf, SinkError>> {
        let sink = self.sink.take()?;
        Some(sink.finish().map(|(path, _)| path))
    }

    /// Drops a recording that failed (its rows so far stay in the file).
    pub fn abandon(&mut self) {
        self.sink = None;
    }

    /// Flushes if a second has passed (for when no samples arrive).
    pub fn tick(&mut self) -> Result<(), SinkError> {
        match &mut self.sink {
            Some(s) => s.tick(),
            None => Ok(()),
        }
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

impl Sink for RecordingControl {
    fn fact(&mut self, fact: &Fact<'_>) -> Result<(), SinkError> {
        match &mut self.sink {
            Some(s) => s.fact(fact),
            None => Ok(()),
        }
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

    #[test]
    fn a_recording_starts_at_zero_knows_when_it_started_and_is_listed() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let paths = Paths::under(dir.path());
        let info = SourceInfo {
            kind: SourceKind::Demo,
            label: "Demo sensor".into(),
            port: None,
            rate_hz: Some(100.0),
            battery_pct: None,
            device_time: true,
            units: None,
        };
        let noon = chrono::NaiveDate::from_ymd_opt(2025, 1, 1)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .unwrap_or_default();
        let mut rec = RecordingControl::default();
        let path = rec
            .start(&paths, &info, Some(100.0), None, noon)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(path.ends_with("2025-01-01T12-00-00.csv"), "{path:?}");
        for i in 0..10 {
            let s = ImuSample::new(50.0 + f64::from(i) * 0.01, [0.0, 0.0, 1.0], [0.0; 3]);
            let step = Step {
                pose: crate::fusion::Pose {
                    t_s: s.t_s,
                    world_from_sensor: nalgebra::UnitQuaternion::identity(),
                    gyro_bias_dps: nalgebra::Vector3::zeros(),
                    up_s: nalgebra::Vector3::z(),
                    flags: crate::fusion::PoseFlags::default(),
                },
                posture: PostureUpdate {
                    t_s: s.t_s,
                    flexion_deg: None,
                    lateral_deg: None,
                    state: PostureState::Uncalibrated,
                },
            };
            rec.fact(&Fact::Sample {
                sample: &s,
                step: &step,
            })
            .unwrap_or_else(|e| panic!("{e}"));
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
