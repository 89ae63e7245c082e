//! What the feed hands the writer: finished (or still growing) records in UTC milliseconds.
//! Times are integers so that sums per day are exact and every interval ends where the next
//! begins.

use crate::posture::PostureState;

use super::hash::ContentHash;

/// Milliseconds in one quarter hour: no interval crosses a UTC quarter hour (see [`super::feed`]).
pub const QUARTER_HOUR_MS: i64 = 15 * 60 * 1000;

/// Which session of this process a record belongs to (given by [`super::History::begin_session`]);
/// the writer maps it to the database's session id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionToken(pub u64);

/// Where a session's samples came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionSource {
    /// A live sensor; `device` is its label (port — firmware (model)) or `demo`.
    Live { device: String },
    /// An imported session file: its name and content hash (see [`super::ContentHasher`]).
    File { name: String, hash: ContentHash },
}

/// How a session's time maps to UTC: `utc_s = started_utc_s + (t_s - t0_s)`.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionStart {
    pub source: SessionSource,
    /// Wall clock at session time `t0_s`, seconds since the Unix epoch (UTC).
    pub started_utc_s: f64,
    /// The session time `started_utc_s` was taken at, seconds (usually the first sample's).
    pub t0_s: f64,
}

/// A slouch alert or a break reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    Slouch,
    BreakReminder,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slouch => "slouch_alert",
            Self::BreakReminder => "break_reminder",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "slouch_alert" => Some(Self::Slouch),
            "break_reminder" => Some(Self::BreakReminder),
            _ => None,
        }
    }
}

/// What the wearer did about an alert (the rule is in [`super::feed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertOutcome {
    /// Fired, not answered yet.
    Open,
    /// The wearer sat up (slouch alert) or took a break (break reminder).
    Corrected,
    /// The wearer snoozed in answer to it.
    Snoozed,
    /// A repeat followed, or the session ended with the slouch still held.
    Ignored,
    /// Never shown: a snooze, meeting mode or quiet hours held it back.
    HeldBack,
}

impl AlertOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Corrected => "corrected",
            Self::Snoozed => "snoozed",
            Self::Ignored => "ignored",
            Self::HeldBack => "held_back",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => Self::Open,
            "corrected" => Self::Corrected,
            "snoozed" => Self::Snoozed,
            "ignored" => Self::Ignored,
            "held_back" => Self::HeldBack,
            _ => return None,
        })
    }
}

/// Why an alert or reminder was held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldReason {
    Snooze,
    Meeting,
    QuietHours,
}

impl HoldReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Snooze => "snooze",
            Self::Meeting => "meeting",
            Self::QuietHours => "quiet_hours",
        }
    }
}

/// A stretch of monitored time in one state, within one UTC quarter hour.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalRecord {
    pub session: SessionToken,
    /// Number of the interval in its session (heartbeats of a growing interval share it).
    pub seq: u32,
    pub start_ms: i64,
    pub end_ms: i64,
    pub state: PostureState,
    /// Time-weighted mean flexion over the part with a known angle, degrees.
    pub flexion_mean_deg: Option<f64>,
    pub flexion_max_deg: Option<f64>,
    /// Time per flexion band (ISO 11226): under 20°, 20–60°, over 60°, milliseconds.
    pub bands_ms: [i64; 3],
    /// Still growing: a later record with the same `seq` replaces it.
    pub open: bool,
}

/// Flexion range within one UTC minute of one session (samples with a known angle only).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinuteRecord {
    pub session: SessionToken,
    /// UTC minute: Unix time in whole minutes.
    pub minute: i64,
    pub flexion_min_deg: f64,
    pub flexion_max_deg: f64,
    /// Still growing (a heartbeat): a later record for the same minute replaces it.
    pub open: bool,
}

/// An alert or reminder that fired or was held back.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRecord {
    pub session: SessionToken,
    /// Number of the alert in its session, to set its outcome later.
    pub seq: u32,
    pub at_ms: i64,
    pub kind: AlertKind,
    pub outcome: AlertOutcome,
    pub held_back_by: Option<HoldReason>,
    /// Slouch alerts: when the slouch started, how long it was held, the flexion and the repeat
    /// number (from 0).
    pub slouch_start_ms: Option<i64>,
    pub held_s: Option<f64>,
    pub flexion_deg: Option<f64>,
    pub repeat: Option<u32>,
    /// Break reminders: how long the wearer had sat, and the suggested exercise.
    pub sitting_s: Option<f64>,
    pub exercise: Option<String>,
}

/// A sensor gap: `Gap` from the pipeline's `sensor_gap` (counted in the day's `sensor_gaps`),
/// `Lost` from a live `sensor_lost` … `sensor_back` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapKind {
    Gap,
    Lost,
}

impl GapKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gap => "gap",
            Self::Lost => "lost",
        }
    }
}

/// One thing for the writer to store.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    SessionStarted {
        session: SessionToken,
        source: SessionSource,
        /// UTC at session time 0 of the mapping (`started_utc_s` in ms).
        started_utc_ms: i64,
        t0_s: f64,
    },
    Interval(IntervalRecord),
    Minute(MinuteRecord),
    Alert(AlertRecord),
    AlertOutcome {
        session: SessionToken,
        seq: u32,
        outcome: AlertOutcome,
    },
    /// A sustained slouch ended (`slouch_end`); attributed to the day it started in.
    SlouchEpisode {
        session: SessionToken,
        start_ms: i64,
        end_ms: i64,
        duration_s: f64,
        alerts: u32,
    },
    /// A movement break long enough to reset the sitting clock: moving since `start_ms`, credited
    /// at `at_ms`.
    BreakTaken {
        session: SessionToken,
        start_ms: i64,
        at_ms: i64,
    },
    Gap {
        session: SessionToken,
        kind: GapKind,
        from_ms: i64,
        duration_ms: i64,
        reason: Option<String>,
    },
    /// A calibration taken (`ok`, `detail` = the calibration) or rejected (`detail` = why).
    Calibration {
        session: SessionToken,
        at_ms: i64,
        ok: bool,
        detail: String,
    },
    SessionEnded {
        session: SessionToken,
        end_ms: i64,
    },
}

impl Record {
    pub fn session(&self) -> SessionToken {
        match self {
            Self::SessionStarted { session, .. }
            | Self::AlertOutcome { session, .. }
            | Self::SlouchEpisode { session, .. }
            | Self::BreakTaken { session, .. }
            | Self::Gap { session, .. }
            | Self::Calibration { session, .. }
            | Self::SessionEnded { session, .. } => *session,
            Self::Interval(r) => r.session,
            Self::Minute(r) => r.session,
            Self::Alert(r) => r.session,
        }
    }

    /// A heartbeat: the current state of something still growing, superseded by the next
    /// heartbeat or by the finished record. Skipping one loses nothing.
    pub fn is_heartbeat(&self) -> bool {
        match self {
            Self::Interval(r) => r.open,
            Self::Minute(r) => r.open,
            _ => false,
        }
    }

    /// For coalescing in the writer's queue: a later record with the same key replaces an
    /// earlier one (a growing interval's heartbeats, an open minute's updates).
    pub(crate) fn replace_key(&self) -> Option<(SessionToken, u8, i64)> {
        match self {
            Self::Interval(r) => Some((r.session, 0, i64::from(r.seq))),
            Self::Minute(r) => Some((r.session, 1, r.minute)),
            _ => None,
        }
    }
}

/// Where the feed sends records. The writer's sender never blocks; tests collect into a `Vec`.
pub trait RecordSink {
    /// `urgent`: commit now (an alert, an episode end, the session's end) instead of with the
    /// next batch.
    fn send(&mut self, record: Record, urgent: bool);
}

impl RecordSink for Vec<Record> {
    fn send(&mut self, record: Record, _urgent: bool) {
        self.push(record);
    }
}

impl RecordSink for Vec<(Record, bool)> {
    fn send(&mut self, record: Record, urgent: bool) {
        self.push((record, urgent));
    }
}
