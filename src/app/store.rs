//! The bounded store the pipeline thread publishes to and the UI reads. Its size does not grow
//! with how long the window goes undrawn: an hour of flexion at full rate in a ring, bounded
//! marker and notice lists, and the current values.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use crate::pipeline::{PostureUpdate, Summary};
use crate::posture::{Event, PostureState};
use crate::source::{LinkState, LinkStats, SourceInfo, SourceKind};

use super::command::ReplaySpeed;
use super::state::Settings;

/// How much flexion history the live plot can show, seconds.
pub const HISTORY_S: f64 = 3600.0;
/// Hard cap on ring entries (an hour at 250 Hz), whatever the rate.
const RING_CAP: usize = 900_000;
const MARKER_CAP: usize = 2000;
const NOTICE_CAP: usize = 8;

/// Flexion samples of the last hour: times and degrees (NaN while uncalibrated).
#[derive(Debug, Clone, Default)]
pub struct FlexionRing {
    t_s: VecDeque<f64>,
    deg: VecDeque<f32>,
}

impl FlexionRing {
    pub fn push(&mut self, t_s: f64, deg: Option<f64>) {
        self.t_s.push_back(t_s);
        self.deg.push_back(deg.map_or(f32::NAN, |d| d as f32));
        while self.t_s.len() > RING_CAP
            || self
                .t_s
                .front()
                .is_some_and(|&first| t_s - first > HISTORY_S)
        {
            self.t_s.pop_front();
            self.deg.pop_front();
        }
    }

    pub fn clear(&mut self) {
        self.t_s.clear();
        self.deg.clear();
    }

    pub fn len(&self) -> usize {
        self.t_s.len()
    }

    pub fn is_empty(&self) -> bool {
        self.t_s.is_empty()
    }

    /// Heap bytes the ring holds (its capacity, not its length), for memory reports: it grows
    /// to an hour of points (5.8 MB at 100 Hz), then stays.
    pub fn heap_bytes(&self) -> usize {
        self.t_s.capacity() * std::mem::size_of::<f64>()
            + self.deg.capacity() * std::mem::size_of::<f32>()
    }

    pub fn last_t_s(&self) -> Option<f64> {
        self.t_s.back().copied()
    }

    /// Min and max per bin over `[t0, t1)`, `bins` bins: `(bin start time, min, max)` for bins
    /// holding at least one calibrated sample. Scans only the samples in the range.
    pub fn decimate(&self, t0: f64, t1: f64, bins: usize) -> Vec<(f64, f32, f32)> {
        let mut out = Vec::with_capacity(bins);
        if bins == 0 || t1 <= t0 {
            return out;
        }
        let start = self.t_s.partition_point(|&t| t < t0);
        let end = self.t_s.partition_point(|&t| t < t1);
        let width = (t1 - t0) / bins as f64;
        let mut current: Option<(usize, f32, f32)> = None;
        for i in start..end {
            let d = self.deg[i];
            if d.is_nan() {
                continue;
            }
            let bin = (((self.t_s[i] - t0) / width) as usize).min(bins - 1);
            current = match current {
                Some((b, lo, hi)) if b == bin => Some((b, lo.min(d), hi.max(d))),
                Some((b, lo, hi)) => {
                    out.push((t0 + b as f64 * width, lo, hi));
                    Some((bin, d, d))
                }
                None => Some((bin, d, d)),
            };
        }
        if let Some((b, lo, hi)) = current {
            out.push((t0 + b as f64 * width, lo, hi));
        }
        out
    }
}

/// What a marker on the plots stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerKind {
    SlouchAlert,
    BreakReminder,
    Calibrated,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Marker {
    pub t_s: f64,
    pub kind: MarkerKind,
}

/// The in-app alert banner.
#[derive(Debug, Clone, PartialEq)]
pub enum BannerKind {
    Slouch {
        held_s: f64,
        flexion_deg: f64,
    },
    Break {
        exercise: String,
        dose: String,
        how: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Banner {
    /// Increases with every new banner.
    pub id: u64,
    pub t_s: f64,
    pub kind: BannerKind,
}

/// A short message that goes away by itself (e.g. "Nice — back upright").
#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub text: String,
    /// Session time until which it shows.
    pub until_s: f64,
}

/// Where the calibration wizard is.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum WizardView {
    #[default]
    Idle,
    /// Waiting for the first sample to start the clock.
    Waiting,
    /// Step 1: sit upright and still.
    Upright {
        remaining_s: f64,
        total_s: f64,
        /// The wearer is moving right now (rotation above the stillness limit).
        moving: bool,
    },
    /// Step 2: lean forward slowly and come back.
    Lean {
        remaining_s: f64,
        total_s: f64,
        /// Deepest lean so far, degrees from upright.
        lean_deg: f64,
    },
    Succeeded {
        lean_deg: f64,
    },
    Failed {
        /// 1 or 2.
        step: u8,
        reason: String,
    },
}

impl WizardView {
    pub fn active(&self) -> bool {
        !matches!(self, Self::Idle)
    }
}

/// Counters for the stats row ("today": since the app started or since midnight).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Today {
    pub slouched_s: f64,
    pub alerts: u32,
    pub break_reminders: u32,
    pub breaks: u32,
    pub monitored_s: f64,
    /// Seconds sat since the last movement break.
    pub since_break_s: f64,
    /// Alerts a snooze, meeting mode or quiet hours held back.
    pub held_back: u32,
}

/// Why alerts are held back right now.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SnoozeView {
    /// Session time the snooze ends.
    pub until_s: Option<f64>,
    /// "30 min", "until tomorrow".
    pub label: Option<String>,
    pub meeting: bool,
    pub quiet_hours: bool,
}

impl SnoozeView {
    pub fn any(&self) -> bool {
        self.until_s.is_some() || self.meeting || self.quiet_hours
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordingView {
    pub path: PathBuf,
    pub samples: u64,
    pub duration_s: f64,
}

/// The whole-session overview of a replayed file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Overview {
    pub start_s: f64,
    pub end_s: f64,
    /// Min and max flexion per bin (NaN: no calibrated sample).
    pub bins: Vec<(f32, f32)>,
    pub alerts_s: Vec<f64>,
    pub threshold_deg: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReplayView {
    pub path: PathBuf,
    pub start_s: f64,
    /// Known once the overview scan is done.
    pub end_s: Option<f64>,
    pub position_s: f64,
    pub playing: bool,
    pub speed: ReplaySpeed,
    /// Catching up to a seek target.
    pub seeking: Option<f64>,
    pub ended: bool,
    pub overview: Option<Overview>,
    pub calibration_note: String,
}

/// A recorded session file in the data directory.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionFile {
    pub path: PathBuf,
    pub bytes: u64,
}

/// A serial port the UI can offer.
#[derive(Debug, Clone, PartialEq)]
pub struct PortChoice {
    pub path: String,
    pub description: String,
}

/// Everything the UI draws.
#[derive(Debug, Clone)]
pub struct Shared {
    /// Bumped on every change the UI might draw.
    pub version: u64,
    pub source: SourceInfo,
    pub link: LinkState,
    pub link_stats: LinkStats,
    /// Sample rate measured over the last seconds, Hz.
    pub measured_rate_hz: Option<f64>,
    pub posture: Option<PostureUpdate>,
    /// Since when (session time) the state has been what it is.
    pub state_since_s: f64,
    /// Latest session time seen.
    pub now_s: f64,
    pub today: Today,
    pub ring: FlexionRing,
    /// Shared with the snapshots (an `Arc`): publishing 50 times a second copies a pointer, and
    /// a push copies the list only when a snapshot still holds the old one (a few times a minute).
    pub markers: Arc<VecDeque<Marker>>,
    /// The session's recent events, oldest first (bounded; shared with the snapshots like
    /// `markers`).
    pub events: Arc<VecDeque<Event>>,
    /// The session's summary once it has finished (a replay that reached its end).
    pub summary: Summary,
    pub banner: Option<Banner>,
    pub toast: Option<Toast>,
    pub wizard: WizardView,
    pub calibrated: bool,
    /// The resting pose is far from any calibrated pose: offer to recalibrate.
    pub sensor_moved: bool,
    pub snooze: SnoozeView,
    pub recording: Option<RecordingView>,
    pub replay: Option<ReplayView>,
    pub settings: Settings,
    /// Warnings for the wearer (bad settings file, notifications unavailable, …), newest last.
    pub notices: VecDeque<String>,
    /// `Some(false)` once a desktop notification failed (alerts then show in the window only).
    pub notifications_work: Option<bool>,
    /// The recorded sessions (shared with the snapshots: listed only when the folder changes).
    pub sessions: Arc<Vec<SessionFile>>,
    pub ports: Vec<PortChoice>,
    pub sessions_dir: PathBuf,
    /// The window is showing (set by the UI); the engine wakes it for live data only then.
    pub ui_visible: bool,
    /// The engine has stopped.
    pub stopped: bool,
}

impl Shared {
    pub fn new(settings: Settings, sessions_dir: PathBuf) -> Self {
        Self {
            version: 0,
            source: SourceInfo {
                kind: SourceKind::Demo,
                label: String::new(),
                port: None,
                rate_hz: None,
                battery_pct: None,
                device_time: true,
                units: None,
            },
            link: LinkState::Connecting,
            link_stats: LinkStats::default(),
            measured_rate_hz: None,
            posture: None,
            state_since_s: 0.0,
            now_s: 0.0,
            today: Today::default(),
            ring: FlexionRing::default(),
            markers: Arc::default(),
            events: Arc::default(),
            summary: Summary::default(),
            banner: None,
            toast: None,
            wizard: WizardView::Idle,
            calibrated: false,
            sensor_moved: false,
            snooze: SnoozeView::default(),
            recording: None,
            replay: None,
            settings,
            notices: VecDeque::new(),
            notifications_work: None,
            sessions: Arc::default(),
            ports: Vec::new(),
            sessions_dir,
            ui_visible: true,
            stopped: false,
        }
    }

    pub fn state(&self) -> PostureState {
        self.posture.map_or(PostureState::NoData, |p| p.state)
    }

    pub fn push_marker(&mut self, t_s: f64, kind: MarkerKind) {
        let markers = Arc::make_mut(&mut self.markers);
        markers.push_back(Marker { t_s, kind });
        while markers.len() > MARKER_CAP || markers.front().is_some_and(|m| t_s - m.t_s > HISTORY_S)
        {
            markers.pop_front();
        }
    }

    pub fn notice(&mut self, text: impl Into<String>) {
        let text = text.into();
        tracing::warn!("{text}");
        if self.notices.back() != Some(&text) {
            self.notices.push_back(text);
        }
        while self.notices.len() > NOTICE_CAP {
            self.notices.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_keeps_an_hour_and_decimates_min_max() {
        let mut r = FlexionRing::default();
        for i in 0..(2 * 3600 * 10) {
            let t = i as f64 * 0.1;
            r.push(t, Some((i % 10) as f64));
        }
        assert!((r.len() as f64 - 36_000.0).abs() <= 1.0);
        let bins = r.decimate(7000.0, 7100.0, 100);
        assert_eq!(bins.len(), 100);
        assert!(bins.iter().all(|&(_, lo, hi)| lo == 0.0 && hi == 9.0));
        r.push(7200.1, None);
        assert_eq!(r.decimate(7200.05, 7201.0, 10), vec![]);
    }
}
