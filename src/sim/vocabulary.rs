//! The script's vocabulary: what a wearer can be scripted to do, and what the truth reports.
//!
//! [`Segment`]s are the words a day is written in (calibrate, sit upright, type, slouch, reach,
//! lean back, swivel, walk); [`Activity`] and [`Episode`] are what the simulator reports back as
//! truth. Units throughout: angles in degrees (flexion positive forward, side bend positive to
//! the wearer's right, heading counter-clockwise seen from above), times in seconds, speeds in
//! m/s. The thresholds here mirror the main crate's defaults so that truth can say which
//! stretches a correct monitor must alert on. How segments become motion is
//! [`compile`](super::compile)'s job.

/// Flexion (deg) at or above which the main crate counts the wearer as slouching.
pub const SLOUCH_THRESHOLD_DEG: f64 = 20.0;
/// How long (s) flexion must stay at or above [`SLOUCH_THRESHOLD_DEG`] before a slouch alert.
pub const SLOUCH_HOLD_S: f64 = 60.0;
/// Forward lean (deg) performed during the calibration preface.
pub const CALIBRATION_LEAN_DEG: f64 = 30.0;
/// Time (s) a held posture must have lasted before [`Activity::steady`] turns true.
///
/// Why: a minimum-jerk transition ends at rest, but a real filter still lags for a moment;
/// accuracy statistics over "steady" samples should not be polluted by that lag.
pub const STEADY_SETTLE_S: f64 = 1.0;

/// Shortest duration (s) accepted for a segment; shorter or non-finite values are raised to it.
pub(super) const MIN_SEGMENT_S: f64 = 0.05;

/// Calibration preface timing (s): still, lean, hold, return, settle.
pub(super) const CAL_STILL_S: f64 = 10.0;
pub(super) const CAL_LEAN_S: f64 = 3.0;
pub(super) const CAL_HOLD_S: f64 = 3.0;
pub(super) const CAL_RETURN_S: f64 = 3.0;
pub(super) const CAL_SETTLE_S: f64 = 2.0;
/// Total length (s) of a [`Segment::Calibrate`] that starts from the upright rest pose.
pub const CALIBRATION_TOTAL_S: f64 =
    CAL_STILL_S + CAL_LEAN_S + CAL_HOLD_S + CAL_RETURN_S + CAL_SETTLE_S;

/// Walk phases (s): lean forward, rise, start walking, …, stop walking, lower, sit back.
pub(super) const WALK_LEAN_S: f64 = 1.0;
pub(super) const WALK_RISE_S: f64 = 1.2;
pub(super) const WALK_START_S: f64 = 1.5;
pub(super) const WALK_STOP_S: f64 = 1.5;
pub(super) const WALK_LOWER_S: f64 = 1.5;
pub(super) const WALK_SIT_S: f64 = 1.2;
/// Time (s) a [`Segment::Walk`] spends standing up and sitting down around its `walk_s`.
pub const WALK_OVERHEAD_S: f64 =
    WALK_LEAN_S + WALK_RISE_S + WALK_START_S + WALK_STOP_S + WALK_LOWER_S + WALK_SIT_S;

/// What the wearer is doing; also used as the episode kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActivityKind {
    /// The calibration preface (still upright, then a forward lean and back).
    Calibrate,
    /// Sitting upright with postural sway and breathing.
    Upright,
    /// Sitting upright while typing (high-frequency jitter).
    Typing,
    /// Creeping into, or holding, a forward slouch.
    Slouch,
    /// A short forward bend to pick something up and back.
    Reach,
    /// Leaning back in the chair (negative flexion).
    LeanBack,
    /// A movement break: stand up, walk, sit down.
    Walk,
    /// A chair swivel (heading change).
    Turn,
}

/// Episode kinds are activity kinds: each non-`Upright` segment becomes one episode.
pub type EpisodeKind = ActivityKind;

/// The activity at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Activity {
    /// Which activity.
    pub kind: ActivityKind,
    /// True while a held posture (no keyed transition) has lasted at least
    /// [`STEADY_SETTLE_S`]; false in transitions, turns and walks. Use it to restrict
    /// flexion-accuracy statistics to steady postures.
    pub steady: bool,
}

impl Activity {
    /// True while the wearer is on their feet for a movement break (the whole `Walk` segment,
    /// including standing up and sitting down).
    pub fn is_moving(&self) -> bool {
        self.kind == ActivityKind::Walk
    }

    /// Same as the `steady` field.
    pub fn is_steady(&self) -> bool {
        self.steady
    }
}

/// One heading change during a walk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WalkTurn {
    /// Start (s) relative to the start of steady walking (after standing up, ≈3.7 s into the
    /// segment).
    pub at_s: f64,
    /// Duration (s) of the turn.
    pub duration_s: f64,
    /// Heading change (deg, positive = counter-clockwise seen from above, i.e. to the left).
    pub heading_change_deg: f64,
}

/// Parameters of a movement break.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkSpec {
    /// Time (s) spent walking at speed, excluding [`WALK_OVERHEAD_S`] for standing up and
    /// sitting down.
    pub walk_s: f64,
    /// Forward walking speed (m/s), clamped to 0–3.
    pub speed_mps: f64,
    /// Heading changes; overlapping turns are pushed later, turns past `walk_s` are dropped.
    pub turns: Vec<WalkTurn>,
}

impl WalkSpec {
    /// A walk of `walk_s` seconds at 1.2 m/s that turns away from the desk, wanders and
    /// turns back so the wearer ends facing the way they started.
    pub fn new(walk_s: f64) -> Self {
        let w = sanitize_duration(walk_s, MIN_SEGMENT_S);
        let turns = [
            (0.0, 2.5, 150.0),
            (0.35, 1.5, -90.0),
            (0.6, 2.5, 180.0),
            (0.8, 1.5, 90.0),
        ]
        .iter()
        .map(|&(frac, duration_s, heading_change_deg)| WalkTurn {
            at_s: frac * w,
            duration_s,
            heading_change_deg,
        })
        .chain(std::iter::once(WalkTurn {
            at_s: (w - 3.0).max(0.0),
            duration_s: 2.0,
            heading_change_deg: 30.0,
        }))
        .collect();
        Self {
            walk_s: w,
            speed_mps: 1.2,
            turns,
        }
    }
}

/// One scripted activity. Angles in degrees (flexion positive forward, lateral positive to the
/// wearer's right), times in seconds. Out-of-range values are clamped (flexion to ±80°, side
/// bend to ±45°, durations to at least 0.05 s) rather than rejected.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// Calibration preface: upright and still for 10 s, lean forward to 30° over 3 s, hold
    /// 3 s, return over 3 s, settle 2 s (21 s; 2 s more if it does not start upright).
    /// The windows are reported by
    /// [`Script::calibration_windows`](super::Script::calibration_windows).
    Calibrate,
    /// Sit upright (flexion typically 0–5°) with postural sway; the first
    /// `min(2 s, duration/2)` is the transition into the posture.
    Upright {
        duration_s: f64,
        flexion_deg: f64,
        lateral_deg: f64,
    },
    /// Like `Upright`, plus typing jitter.
    Typing {
        duration_s: f64,
        flexion_deg: f64,
        lateral_deg: f64,
    },
    /// Creep from the current posture to `flexion_deg` over `creep_s` (slow creeps take
    /// 20–120 s, quick slouches a few seconds), then hold for `hold_s`.
    Slouch {
        creep_s: f64,
        hold_s: f64,
        flexion_deg: f64,
        lateral_deg: f64,
    },
    /// Bend to `flexion_deg` in `move_s`, hold `hold_s`, and return to the previous posture
    /// in `move_s`.
    Reach {
        move_s: f64,
        hold_s: f64,
        flexion_deg: f64,
        lateral_deg: f64,
    },
    /// Lean back to `flexion_deg` (negative, typically −10° to −20°) and hold.
    LeanBack { duration_s: f64, flexion_deg: f64 },
    /// Swivel the chair by `heading_change_deg` over `duration_s`, keeping the posture.
    Turn {
        duration_s: f64,
        heading_change_deg: f64,
    },
    /// Stand up, walk, sit back down (lasts `walk_s + WALK_OVERHEAD_S`).
    Walk(WalkSpec),
}

impl Segment {
    /// Nominal duration (s) after clamping. A `Calibrate` that does not start from the upright
    /// rest pose takes 2 s longer than this.
    pub fn duration_s(&self) -> f64 {
        match self {
            Segment::Calibrate => CALIBRATION_TOTAL_S,
            Segment::Upright { duration_s, .. }
            | Segment::Typing { duration_s, .. }
            | Segment::LeanBack { duration_s, .. } => sanitize_duration(*duration_s, MIN_SEGMENT_S),
            Segment::Turn { duration_s, .. } => sanitize_duration(*duration_s, 0.2),
            Segment::Slouch {
                creep_s, hold_s, ..
            } => sanitize_duration(*creep_s, MIN_SEGMENT_S) + sanitize_duration(*hold_s, 0.0),
            Segment::Reach { move_s, hold_s, .. } => {
                2.0 * sanitize_duration(*move_s, 0.2) + sanitize_duration(*hold_s, 0.0)
            }
            Segment::Walk(spec) => sanitize_duration(spec.walk_s, MIN_SEGMENT_S) + WALK_OVERHEAD_S,
        }
    }

    /// The activity (and episode) kind this segment plays as.
    pub(super) fn kind(&self) -> ActivityKind {
        match self {
            Segment::Calibrate => ActivityKind::Calibrate,
            Segment::Upright { .. } => ActivityKind::Upright,
            Segment::Typing { .. } => ActivityKind::Typing,
            Segment::Slouch { .. } => ActivityKind::Slouch,
            Segment::Reach { .. } => ActivityKind::Reach,
            Segment::LeanBack { .. } => ActivityKind::LeanBack,
            Segment::Turn { .. } => ActivityKind::Turn,
            Segment::Walk(_) => ActivityKind::Walk,
        }
    }
}

/// One notable stretch of the day (every segment except `Upright` becomes one).
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    /// What happened.
    pub kind: EpisodeKind,
    /// Segment start (s).
    pub start_s: f64,
    /// Segment end (s); the next segment's transition out of the posture starts here.
    pub end_s: f64,
    /// Keyed target flexion (deg) of the posture (before sway); 0 for turns, the walking
    /// flexion for walks.
    pub target_flexion_deg: f64,
    /// First time (s) in `[start_s, end_s]` at which true flexion (including sway) is at least
    /// [`SLOUCH_THRESHOLD_DEG`]; `start_s` if it already is at the start.
    pub above_20_s: Option<f64>,
    /// Longest uninterrupted stretch (s) at or above the threshold among those starting within
    /// the episode (it may run past `end_s` into the next segment's transition); 0 if none.
    pub held_above_20_s: f64,
    /// Start (s) of the first stretch starting within the episode that stays at or above the
    /// threshold for at least [`SLOUCH_HOLD_S`].
    ///
    /// Why separate from `above_20_s`: during a slow creep, sway can carry flexion across 20°
    /// a few times before it stays above, so a monitor without hysteresis alerts at
    /// `sustained_from_s + 60 s`, and one with hysteresis somewhere from `above_20_s + 60 s`.
    pub sustained_from_s: Option<f64>,
    /// `sustained_from_s.is_some()`: a correct monitor must raise a slouch alert.
    pub sustained: bool,
    /// For walks: when the wearer is actually walking (from starting to stopping), in s.
    pub moving_s: Option<(f64, f64)>,
}

/// `x` (s) raised to at least `min`; `min` if not finite.
pub(super) fn sanitize_duration(x: f64, min: f64) -> f64 {
    if x.is_finite() { x.max(min) } else { min }
}

/// `x` (deg) clamped to ±`limit`; 0 if not finite.
pub(super) fn sanitize_angle(x: f64, limit: f64) -> f64 {
    if x.is_finite() {
        x.clamp(-limit, limit)
    } else {
        0.0
    }
}

/// Wraps an angle in degrees into (−180, 180].
pub(crate) fn wrap_deg(x: f64) -> f64 {
    let w = (x + 180.0).rem_euclid(360.0) - 180.0;
    if w <= -180.0 { w + 360.0 } else { w }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_deg_range() {
        for x in [-540.0, -180.0, -179.0, 0.0, 180.0, 181.0, 720.5] {
            let w = wrap_deg(x);
            assert!(w > -180.0 && w <= 180.0, "{x} -> {w}");
            assert!(((w - x) / 360.0 - ((w - x) / 360.0).round()).abs() < 1e-12);
        }
    }
}
