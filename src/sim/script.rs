//! The day's activity script: what the simulated wearer does, and when.
//!
//! A script is a list of [`Segment`]s (calibrate, sit upright, type, slouch, reach, lean back,
//! swivel, walk). Building it compiles the segments into *pieces*: short spans during which
//! every pose parameter (flexion, side bend, heading, hip height, walking speed and the gains of
//! the small overlays) moves from one key to the next along a minimum-jerk curve
//! `s(τ) = 10τ³ − 15τ⁴ + 6τ⁵`. Minimum-jerk blends start and end with zero velocity and zero
//! acceleration, so the pose is C² everywhere: the orientation filter under test sees no steps
//! it could not follow, and the simulated accelerometer sees no impulses.
//!
//! On top of the keyed pose sit overlays that are pure functions of absolute time with
//! per-script random frequencies and phases: postural sway (two slow sinusoids each for flexion
//! and side bend, ±1–2° total), breathing (≈0.25 Hz, ±0.2–0.35° of flexion, always on),
//! typing jitter (3–12 Hz, rotations below 0.01° and ≈±0.02 g of acceleration) and gait (step
//! frequency 1.8–2.0 Hz: ±3 cm vertical hip bounce, fore–aft surge, lateral sway at stride
//! frequency, and small trunk rocking). Their gains are keyed like the pose, so they fade in and
//! out smoothly too.
//!
//! Nothing per sample is stored: evaluating the script at a time `t` costs one piece lookup
//! (amortised O(1) for a forward-moving cursor) and a handful of sines.

use std::f64::consts::{PI, TAU};

use super::jet::Jet;
use super::rng::Rng;

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

/// Default duration (s) of a posture change into an `Upright`, `Typing` or `LeanBack` hold.
const TRANSITION_S: f64 = 2.0;
/// Shortest duration (s) accepted for a segment; shorter or non-finite values are raised to it.
const MIN_SEGMENT_S: f64 = 0.05;
/// Hip height (m) above the seated pivot when standing.
const STANDING_HIP_M: f64 = 0.45;

/// Calibration preface timing (s): still, lean, hold, return, settle.
const CAL_STILL_S: f64 = 10.0;
const CAL_LEAN_S: f64 = 3.0;
const CAL_HOLD_S: f64 = 3.0;
const CAL_RETURN_S: f64 = 3.0;
const CAL_SETTLE_S: f64 = 2.0;
/// Total length (s) of a [`Segment::Calibrate`] that starts from the upright rest pose.
pub const CALIBRATION_TOTAL_S: f64 =
    CAL_STILL_S + CAL_LEAN_S + CAL_HOLD_S + CAL_RETURN_S + CAL_SETTLE_S;
/// Sway gain during calibration: the wearer is asked to sit still.
const CAL_SWAY: f64 = 0.15;

/// Walk phases (s): lean forward, rise, start walking, …, stop walking, lower, sit back.
const WALK_LEAN_S: f64 = 1.0;
const WALK_RISE_S: f64 = 1.2;
const WALK_START_S: f64 = 1.5;
const WALK_STOP_S: f64 = 1.5;
const WALK_LOWER_S: f64 = 1.5;
const WALK_SIT_S: f64 = 1.2;
/// Time (s) a [`Segment::Walk`] spends standing up and sitting down around its `walk_s`.
pub const WALK_OVERHEAD_S: f64 =
    WALK_LEAN_S + WALK_RISE_S + WALK_START_S + WALK_STOP_S + WALK_LOWER_S + WALK_SIT_S;
/// Trunk flexion (deg) used to stand up / sit down, and while walking.
const WALK_TRANSFER_FLEX_DEG: f64 = 32.0;
const WALK_FLEX_DEG: f64 = 5.0;
/// Flexion (deg) of the seated posture a walk returns to.
const SEATED_FLEX_DEG: f64 = 3.0;

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
    /// The windows are reported by [`Script::calibration_windows`].
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

    fn kind(&self) -> ActivityKind {
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

/// Times (s) a calibration routine should use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationWindows {
    /// The wearer sits upright and still (true flexion 0° ± sway/breathing of ≈0.5°).
    pub upright_s: (f64, f64),
    /// The wearer holds the forward lean of [`CALIBRATION_LEAN_DEG`].
    pub forward_s: (f64, f64),
    /// The whole lean movement: from leaving upright to being back upright.
    pub lean_motion_s: (f64, f64),
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

/// Keyed pose parameters. Angles in degrees, lengths in metres, speed in m/s, gains unitless.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Key {
    flex: f64,
    lat: f64,
    heading: f64,
    hip_z: f64,
    speed: f64,
    sway: f64,
    typing: f64,
    gait: f64,
}

impl Key {
    fn seated(heading: f64, flex: f64, lat: f64, sway: f64, typing: f64) -> Self {
        Self {
            flex,
            lat,
            heading,
            hip_z: 0.0,
            speed: 0.0,
            sway,
            typing,
            gait: 0.0,
        }
    }

    fn close_to(&self, o: &Key) -> bool {
        let fields = [
            (self.flex, o.flex),
            (self.lat, o.lat),
            (self.heading, o.heading),
            (self.hip_z, o.hip_z),
            (self.speed, o.speed),
            (self.sway, o.sway),
            (self.typing, o.typing),
            (self.gait, o.gait),
        ];
        fields.iter().all(|(a, b)| (a - b).abs() < 1e-9)
    }
}

/// A span `[t0, t1]` blending key `a` into key `b` along a minimum-jerk curve.
#[derive(Debug, Clone, Copy)]
struct Piece {
    t0: f64,
    t1: f64,
    a: Key,
    b: Key,
    kind: ActivityKind,
    steady: bool,
}

/// A sinusoid `amp · sin(omega·t + phase)`; `omega` in rad/s.
#[derive(Debug, Clone, Copy)]
struct Osc {
    amp: f64,
    omega: f64,
    phase: f64,
}

impl Osc {
    fn new(rng: &mut Rng, amp: f64, freq_hz: f64) -> Self {
        Self {
            amp,
            omega: TAU * freq_hz,
            phase: rng.range(0.0, TAU),
        }
    }

    fn at(&self, t: f64) -> Jet {
        Jet::sinusoid(t, self.amp, self.omega, self.phase)
    }
}

/// The per-script random "texture": overlay amplitudes, frequencies and phases.
#[derive(Debug, Clone)]
struct Texture {
    /// Postural sway in flexion / side bend (deg), scaled by the `sway` gain.
    sway_flex: [Osc; 2],
    sway_lat: [Osc; 2],
    /// Breathing in flexion (deg), always on.
    breath: Osc,
    /// Typing: tiny rotations (deg: flexion, side bend, heading) and hip jitter (m, world x/y/z).
    typing_rot: [Osc; 3],
    typing_pos: [[Osc; 2]; 3],
    /// Gait: vertical bounce, fore–aft surge, lateral sway (m); trunk flexion, side bend and
    /// axial rotation (deg).
    bounce: Osc,
    surge: Osc,
    side: Osc,
    gait_flex: Osc,
    gait_lat: Osc,
    gait_yaw: Osc,
}

impl Texture {
    fn new(seed: u64) -> Self {
        let mut r = Rng::stream(seed, 0x7E57);
        // Draw amplitudes and frequencies explicitly (the constructor draws only the phase).
        let osc = |r: &mut Rng, amp: (f64, f64), hz: (f64, f64)| {
            let a = r.range(amp.0, amp.1);
            let f = r.range(hz.0, hz.1);
            Osc::new(r, a, f)
        };
        let sway_flex = [
            osc(&mut r, (0.6, 0.9), (0.03, 0.07)),
            osc(&mut r, (0.4, 0.6), (0.09, 0.16)),
        ];
        let sway_lat = [
            osc(&mut r, (0.4, 0.6), (0.04, 0.08)),
            osc(&mut r, (0.25, 0.4), (0.11, 0.19)),
        ];
        let breath = osc(&mut r, (0.2, 0.35), (0.2, 0.3));
        // Rotations must stay tiny: at 0.46 m from the pivot, an angle jitter of amplitude A
        // at frequency f already moves the sensor with A·(2πf)²·0.46 m/s², so 0.005–0.01° at
        // 3–6 Hz (≲0.4 deg/s, ≲0.012 g) is the most a realistic typing rock can be.
        let typing_rot = [
            osc(&mut r, (0.005, 0.01), (3.0, 6.0)),
            osc(&mut r, (0.005, 0.01), (3.0, 6.0)),
            osc(&mut r, (0.005, 0.01), (3.0, 6.0)),
        ];
        // Accelerations of 0.003–0.005 g per component, converted to displacement amplitudes
        // a/ω² so that, with the rotations, the jitter reaches about ±0.02 g.
        let jitter = |r: &mut Rng, hz: (f64, f64)| {
            let a_mps2 = r.range(0.003, 0.005) * 9.81;
            let f = r.range(hz.0, hz.1);
            let w = TAU * f;
            Osc::new(r, a_mps2 / (w * w), f)
        };
        let typing_pos = [
            [jitter(&mut r, (6.0, 9.0)), jitter(&mut r, (9.0, 12.0))],
            [jitter(&mut r, (6.0, 9.0)), jitter(&mut r, (9.0, 12.0))],
            [jitter(&mut r, (6.0, 9.0)), jitter(&mut r, (9.0, 12.0))],
        ];
        let step_hz = r.range(1.8, 2.0);
        let stride_hz = step_hz / 2.0;
        let bounce_m = r.range(0.025, 0.035);
        let bounce = Osc::new(&mut r, bounce_m, step_hz);
        let surge = Osc::new(&mut r, 0.015, step_hz);
        let side = Osc::new(&mut r, 0.02, stride_hz);
        let gait_flex = Osc::new(&mut r, 1.0, step_hz);
        let gait_lat = Osc::new(&mut r, 1.5, stride_hz);
        let gait_yaw = Osc::new(&mut r, 3.0, stride_hz);
        Self {
            sway_flex,
            sway_lat,
            breath,
            typing_rot,
            typing_pos,
            bounce,
            surge,
            side,
            gait_flex,
            gait_lat,
            gait_yaw,
        }
    }

    /// Largest flexion (deg) the overlays can add for the given peak gains.
    fn flex_overlay_bound(&self, sway: f64, typing: f64, gait: f64) -> f64 {
        sway * (self.sway_flex[0].amp.abs() + self.sway_flex[1].amp.abs())
            + self.breath.amp.abs()
            + typing * self.typing_rot[0].amp.abs()
            + gait * self.gait_flex.amp.abs()
    }
}

/// The pose at one instant with exact time derivatives, as the wearer model consumes it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PoseJets {
    /// Trunk flexion θ (deg).
    pub flex_deg: Jet,
    /// Trunk side bend φ (deg, positive to the right).
    pub lat_deg: Jet,
    /// Trunk heading ψ (deg, about world z, unwrapped).
    pub heading_deg: Jet,
    /// Linear acceleration of the hip pivot in the world frame (m/s²).
    pub hip_acc_mps2: [f64; 3],
    pub activity: Activity,
}

/// A whole day: the compiled segments plus the truth derived from them.
#[derive(Debug, Clone)]
pub struct Script {
    segments: Vec<Segment>,
    pieces: Vec<Piece>,
    texture: Texture,
    episodes: Vec<Episode>,
    calibration: Option<CalibrationWindows>,
    duration_s: f64,
}

/// Minimum-jerk blend value and its first and second derivatives with respect to τ.
fn min_jerk(tau: f64) -> (f64, f64, f64) {
    let t2 = tau * tau;
    let t3 = t2 * tau;
    let s = t3 * (10.0 - 15.0 * tau + 6.0 * t2);
    let one_m = 1.0 - tau;
    let ds = 30.0 * t2 * one_m * one_m;
    let dds = 60.0 * tau * one_m * (1.0 - 2.0 * tau);
    (s, ds, dds)
}

fn sanitize_duration(x: f64, min: f64) -> f64 {
    if x.is_finite() { x.max(min) } else { min }
}

fn sanitize_angle(x: f64, limit: f64) -> f64 {
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

/// Accumulates pieces while compiling segments.
struct Builder {
    pieces: Vec<Piece>,
    t: f64,
    cur: Key,
}

impl Builder {
    fn push(&mut self, duration_s: f64, to: Key, kind: ActivityKind, steady: bool) {
        if duration_s > 0.0 {
            let t1 = self.t + duration_s;
            self.pieces.push(Piece {
                t0: self.t,
                t1,
                a: self.cur,
                b: to,
                kind,
                steady,
            });
            self.t = t1;
        }
        self.cur = to;
    }
}

/// What compiling one segment produced besides pieces.
struct SegmentInfo {
    start_s: f64,
    end_s: f64,
    target_flexion_deg: f64,
    moving_s: Option<(f64, f64)>,
}

impl Script {
    /// A scripted day from explicit segments (overlay texture from seed 0, initial heading 0°).
    pub fn from_segments(segments: Vec<Segment>) -> Self {
        Self::from_segments_seeded(segments, 0)
    }

    /// Like [`Script::from_segments`] with the sway/breathing/gait texture drawn from `seed`.
    pub fn from_segments_seeded(segments: Vec<Segment>, seed: u64) -> Self {
        Self::build(segments, seed, 0.0)
    }

    fn build(segments: Vec<Segment>, texture_seed: u64, heading0_deg: f64) -> Self {
        let texture = Texture::new(texture_seed);
        let mut b = Builder {
            pieces: Vec::with_capacity(segments.len() * 3 + 1),
            t: 0.0,
            cur: Key::seated(heading0_deg, 0.0, 0.0, CAL_SWAY, 0.0),
        };
        let mut calibration = None;
        let mut infos = Vec::with_capacity(segments.len());
        for seg in &segments {
            let info = compile_segment(&mut b, seg, &mut calibration);
            infos.push((seg.kind(), info));
        }
        if b.pieces.is_empty() {
            // An empty script is a zero-length upright rest; keep one piece so lookups work.
            let rest = b.cur;
            b.pieces.push(Piece {
                t0: 0.0,
                t1: 0.0,
                a: rest,
                b: rest,
                kind: ActivityKind::Upright,
                steady: true,
            });
        }
        let duration_s = b.t;
        let mut script = Self {
            segments,
            pieces: b.pieces,
            texture,
            episodes: Vec::new(),
            calibration,
            duration_s,
        };
        let mut episodes = Vec::new();
        for (kind, info) in infos {
            if kind == ActivityKind::Upright {
                continue;
            }
            let spans = script.spans_starting_in(SLOUCH_THRESHOLD_DEG, info.start_s, info.end_s);
            let sustained_from = spans
                .iter()
                .find(|(a, b)| b - a >= SLOUCH_HOLD_S)
                .map(|(a, _)| *a);
            episodes.push(Episode {
                kind,
                start_s: info.start_s,
                end_s: info.end_s,
                target_flexion_deg: info.target_flexion_deg,
                above_20_s: spans.first().map(|(a, _)| *a),
                held_above_20_s: spans.iter().map(|(a, b)| b - a).fold(0.0, f64::max),
                sustained_from_s: sustained_from,
                sustained: sustained_from.is_some(),
                moving_s: info.moving_s,
            });
        }
        script.episodes = episodes;
        script
    }

    /// A plausible random desk day of `minutes` (deterministic for `seed`).
    ///
    /// It starts with [`Segment::Calibrate`] and then alternates sitting blocks (typing,
    /// upright, slow-creep and quick slouches — some sustained past 60 s, some not — reaches,
    /// lean-backs, chair swivels, small side bends) with walking breaks 20–55 min apart, so some
    /// sitting stretches exceed 45 min. Days of 30 min or more always contain at least one
    /// sustained slouch, one reach, one lean-back and one walk. A slouch is always followed by
    /// sitting up, so every slouch episode has its own threshold crossing. The duration is
    /// exactly `minutes · 60` s unless that is shorter than the calibration preface (21 s).
    pub fn random_day(minutes: f64, seed: u64) -> Self {
        let mut rng = Rng::stream(seed, 0xDA7);
        let total = if minutes.is_finite() && minutes > 0.0 {
            minutes * 60.0
        } else {
            0.0
        };
        let heading0 = rng.range(-180.0, 180.0);
        let mut segments = vec![Segment::Calibrate];
        let cal = CALIBRATION_TOTAL_S;
        if total <= cal {
            return Self::build(segments, seed, heading0);
        }
        let long = total >= 30.0 * 60.0 - 1e-9;

        // Plan the walks first so the sitting blocks between them have known lengths.
        let mut walks: Vec<(f64, WalkSpec)> = Vec::new();
        let mut t = cal;
        loop {
            let mut gap = rng.range(20.0, 55.0) * 60.0;
            if walks.is_empty() && long {
                gap = gap.min(rng.range(0.35, 0.6) * total);
            }
            let spec = random_walk(&mut rng);
            let start = t + gap;
            let end = start + WALK_OVERHEAD_S + spec.walk_s;
            if end + 30.0 > total {
                break;
            }
            walks.push((start, spec));
            t = end;
        }

        let mut musts: Vec<Vec<Segment>> = if long {
            let mut m = vec![
                slouch_unit(&mut rng, true),
                reach_unit(&mut rng),
                leanback_unit(&mut rng),
            ];
            rng.shuffle(&mut m);
            m
        } else {
            Vec::new()
        };
        let mut block_start = cal;
        for (start, spec) in walks {
            let len = start - block_start;
            let must_total: f64 = musts.iter().map(|u| unit_duration(u)).sum();
            let take = if !musts.is_empty() && len >= must_total + 30.0 {
                std::mem::take(&mut musts)
            } else {
                Vec::new()
            };
            segments.extend(fill_block(&mut rng, len, take));
            block_start = start + WALK_OVERHEAD_S + spec.walk_s;
            segments.push(Segment::Walk(spec));
        }
        segments.extend(fill_block(&mut rng, total - block_start, musts));
        Self::build(segments, seed, heading0)
    }

    /// Total length (s).
    pub fn duration_s(&self) -> f64 {
        self.duration_s
    }

    /// The segments as given (before clamping).
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Episodes in time order, non-overlapping (one per non-`Upright` segment).
    pub fn episodes(&self) -> &[Episode] {
        &self.episodes
    }

    /// Calibration windows of the first [`Segment::Calibrate`], if the script has one.
    pub fn calibration_windows(&self) -> Option<CalibrationWindows> {
        self.calibration
    }

    /// The activity at time `t_s` (clamped to the script).
    pub fn activity_at(&self, t_s: f64) -> Activity {
        let mut cursor = self.piece_index(t_s);
        self.pose_at(t_s, &mut cursor).activity
    }

    /// True trunk flexion (deg) at `t_s`, including sway, breathing, typing and gait.
    pub fn flexion_deg_at(&self, t_s: f64) -> f64 {
        let i = self.piece_index(t_s);
        self.pose_in_piece(i, t_s).flex_deg.v
    }

    /// First time (s) in `[episode.start_s, episode.end_s]` at which true flexion is at least
    /// `threshold_deg` (`start_s` if it already is), or `None`.
    pub fn above_threshold_s(&self, episode: &Episode, threshold_deg: f64) -> Option<f64> {
        self.first_time(threshold_deg, episode.start_s, episode.end_s, true)
    }

    /// All maximal intervals (s) over the whole day during which true flexion is at least
    /// `threshold_deg`, with crossing times refined to about a microsecond.
    ///
    /// Why: alert tests can check every alert against these spans (an alert is correct only
    /// inside a span that has lasted ≥ 60 s) regardless of which segment caused it.
    pub fn spans_above(&self, threshold_deg: f64) -> Vec<(f64, f64)> {
        self.spans_starting_in(threshold_deg, 0.0, self.duration_s)
    }

    /// Maximal intervals at or above `threshold_deg` whose start lies in `[t0, t1]` (a span
    /// already running at `t0` is reported as starting at `t0`).
    pub fn spans_starting_in(&self, threshold_deg: f64, t0: f64, t1: f64) -> Vec<(f64, f64)> {
        let mut spans = Vec::new();
        let mut t = t0;
        while let Some(s) = self.first_time(threshold_deg, t, t1, true) {
            let e = self
                .first_time(threshold_deg, s, self.duration_s, false)
                .unwrap_or(self.duration_s);
            spans.push((s, e));
            if e >= t1 {
                break;
            }
            t = e.max(s + 1e-9);
        }
        spans
    }

    /// Index of the piece containing `t` by binary search.
    pub(crate) fn piece_index(&self, t: f64) -> usize {
        self.pieces
            .partition_point(|p| p.t1 <= t)
            .min(self.pieces.len() - 1)
    }

    /// Index of the piece containing `t`, moving a cursor forward (O(1) amortised when `t`
    /// increases) and falling back to binary search when `t` goes backwards.
    fn locate(&self, t: f64, cursor: &mut usize) -> usize {
        let n = self.pieces.len();
        let mut i = (*cursor).min(n - 1);
        if t < self.pieces[i].t0 {
            i = self.piece_index(t);
        }
        while i + 1 < n && t >= self.pieces[i].t1 {
            i += 1;
        }
        *cursor = i;
        i
    }

    /// The pose at `t` (clamped to the script's ends) using a forward-moving cursor.
    pub(crate) fn pose_at(&self, t: f64, cursor: &mut usize) -> PoseJets {
        let i = self.locate(t, cursor);
        self.pose_in_piece(i, t)
    }

    fn pose_in_piece(&self, i: usize, t: f64) -> PoseJets {
        let p = &self.pieces[i];
        let span = p.t1 - p.t0;
        let (s, ds, dds) = if span > 0.0 {
            let tau = ((t - p.t0) / span).clamp(0.0, 1.0);
            let (s, ds, dds) = min_jerk(tau);
            (s, ds / span, dds / (span * span))
        } else {
            (1.0, 0.0, 0.0)
        };
        let blend = |a: f64, b: f64| {
            let k = b - a;
            Jet {
                v: a + k * s,
                d: k * ds,
                a: k * dds,
            }
        };
        let (a, b) = (&p.a, &p.b);
        let tex = &self.texture;
        let mut flex = blend(a.flex, b.flex) + tex.breath.at(t);
        let mut lat = blend(a.lat, b.lat);
        let heading_base = blend(a.heading, b.heading);
        let mut heading = heading_base;
        let hip_z = blend(a.hip_z, b.hip_z);
        let mut acc = [0.0, 0.0, hip_z.a];

        if a.sway != 0.0 || b.sway != 0.0 {
            let g = blend(a.sway, b.sway);
            flex = flex + g * (tex.sway_flex[0].at(t) + tex.sway_flex[1].at(t));
            lat = lat + g * (tex.sway_lat[0].at(t) + tex.sway_lat[1].at(t));
        }
        if a.typing != 0.0 || b.typing != 0.0 {
            let g = blend(a.typing, b.typing);
            flex = flex + g * tex.typing_rot[0].at(t);
            lat = lat + g * tex.typing_rot[1].at(t);
            heading = heading + g * tex.typing_rot[2].at(t);
            for (acc_k, pair) in acc.iter_mut().zip(&tex.typing_pos) {
                *acc_k += (g * (pair[0].at(t) + pair[1].at(t))).a;
            }
        }
        if a.gait != 0.0 || b.gait != 0.0 || a.speed != 0.0 || b.speed != 0.0 {
            let g = blend(a.gait, b.gait);
            let speed = blend(a.speed, b.speed);
            flex = flex + g * tex.gait_flex.at(t);
            lat = lat + g * tex.gait_lat.at(t);
            heading = heading + g * tex.gait_yaw.at(t);
            // The hip moves along the walking direction ψ_base: velocity speed·(cos ψ, sin ψ),
            // whose derivative (speed·dir)' is the forward plus centripetal acceleration; the
            // step oscillations ride on top in the walking frame (dir, perp, up).
            let (sp, cp) = (heading_base * (PI / 180.0)).sin_cos();
            let surge = g * tex.surge.at(t);
            let side = g * tex.side.at(t);
            acc[0] += (speed * cp).d + (surge * cp - side * sp).a;
            acc[1] += (speed * sp).d + (surge * sp + side * cp).a;
            acc[2] += (g * tex.bounce.at(t)).a;
        }
        PoseJets {
            flex_deg: flex,
            lat_deg: lat,
            heading_deg: heading,
            hip_acc_mps2: acc,
            activity: Activity {
                kind: p.kind,
                steady: p.steady && t - p.t0 >= STEADY_SETTLE_S,
            },
        }
    }

    /// First time in `[t_from, t_to]` at which `(flexion ≥ threshold) == want_above`.
    ///
    /// Scans at 20 ms (far finer than any posture feature: sway is < 0.2 Hz, and pieces whose
    /// flexion bound rules the condition out are skipped whole), then bisects the crossing.
    fn first_time(&self, thr: f64, t_from: f64, t_to: f64, want_above: bool) -> Option<f64> {
        const STEP_S: f64 = 0.02;
        if t_to < t_from {
            return None;
        }
        let cond = |f: f64| (f >= thr) == want_above;
        let mut i = self.piece_index(t_from);
        if cond(self.pose_in_piece(i, t_from).flex_deg.v) {
            return Some(t_from);
        }
        let mut prev_t = t_from;
        while i < self.pieces.len() {
            let p = &self.pieces[i];
            let seg_end = p.t1.min(t_to);
            let overlay = self.texture.flex_overlay_bound(
                p.a.sway.abs().max(p.b.sway.abs()),
                p.a.typing.abs().max(p.b.typing.abs()),
                p.a.gait.abs().max(p.b.gait.abs()),
            );
            let upper = p.a.flex.max(p.b.flex) + overlay;
            let lower = p.a.flex.min(p.b.flex) - overlay;
            let impossible = if want_above {
                upper < thr
            } else {
                lower >= thr
            };
            if !impossible && seg_end > prev_t {
                let n = ((seg_end - prev_t) / STEP_S).ceil().max(1.0) as usize;
                let start = prev_t;
                for k in 1..=n {
                    let t = start + (seg_end - start) * (k as f64 / n as f64);
                    if cond(self.pose_in_piece(i, t).flex_deg.v) {
                        return Some(self.bisect(thr, want_above, prev_t, t));
                    }
                    prev_t = t;
                }
            }
            prev_t = prev_t.max(seg_end);
            if seg_end >= t_to {
                break;
            }
            i += 1;
        }
        None
    }

    /// Narrows `[lo, hi]` (condition false at `lo`, true at `hi`) to about 1 µs.
    fn bisect(&self, thr: f64, want_above: bool, mut lo: f64, mut hi: f64) -> f64 {
        while hi - lo > 1e-6 {
            let mid = 0.5 * (lo + hi);
            let f = self.pose_in_piece(self.piece_index(mid), mid).flex_deg.v;
            if (f >= thr) == want_above {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    }
}

/// Compiles one segment into pieces, returning its time span and episode details.
fn compile_segment(
    b: &mut Builder,
    seg: &Segment,
    calibration: &mut Option<CalibrationWindows>,
) -> SegmentInfo {
    use ActivityKind as K;
    let start_s = b.t;
    let heading = b.cur.heading;
    let mut target = 0.0;
    let mut moving_s = None;
    match seg {
        Segment::Calibrate => {
            let upright = Key::seated(heading, 0.0, 0.0, CAL_SWAY, 0.0);
            if !b.cur.close_to(&upright) {
                b.push(TRANSITION_S, upright, K::Calibrate, false);
            }
            let still0 = b.t;
            b.push(CAL_STILL_S, upright, K::Calibrate, true);
            let lean = Key {
                flex: CALIBRATION_LEAN_DEG,
                ..upright
            };
            b.push(CAL_LEAN_S, lean, K::Calibrate, false);
            let hold0 = b.t;
            b.push(CAL_HOLD_S, lean, K::Calibrate, true);
            b.push(CAL_RETURN_S, upright, K::Calibrate, false);
            let back = b.t;
            b.push(CAL_SETTLE_S, upright, K::Calibrate, true);
            if calibration.is_none() {
                *calibration = Some(CalibrationWindows {
                    upright_s: (still0, still0 + CAL_STILL_S),
                    forward_s: (hold0, hold0 + CAL_HOLD_S),
                    lean_motion_s: (still0 + CAL_STILL_S, back),
                });
            }
            target = CALIBRATION_LEAN_DEG;
        }
        Segment::Upright {
            flexion_deg,
            lateral_deg,
            ..
        }
        | Segment::Typing {
            flexion_deg,
            lateral_deg,
            ..
        } => {
            let typing = matches!(seg, Segment::Typing { .. });
            let d = seg.duration_s();
            let tr = TRANSITION_S.min(d / 2.0);
            let flex = sanitize_angle(*flexion_deg, 80.0);
            let key = Key::seated(
                heading,
                flex,
                sanitize_angle(*lateral_deg, 45.0),
                if typing { 0.5 } else { 1.0 },
                if typing { 1.0 } else { 0.0 },
            );
            b.push(tr, key, seg.kind(), false);
            b.push(d - tr, key, seg.kind(), true);
            target = flex;
        }
        Segment::Slouch {
            creep_s,
            hold_s,
            flexion_deg,
            lateral_deg,
        } => {
            let flex = sanitize_angle(*flexion_deg, 80.0);
            let key = Key::seated(heading, flex, sanitize_angle(*lateral_deg, 45.0), 0.6, 0.0);
            b.push(
                sanitize_duration(*creep_s, MIN_SEGMENT_S),
                key,
                K::Slouch,
                false,
            );
            b.push(sanitize_duration(*hold_s, 0.0), key, K::Slouch, true);
            target = flex;
        }
        Segment::Reach {
            move_s,
            hold_s,
            flexion_deg,
            lateral_deg,
        } => {
            let prev = b.cur;
            let flex = sanitize_angle(*flexion_deg, 80.0);
            let key = Key::seated(heading, flex, sanitize_angle(*lateral_deg, 45.0), 0.2, 0.0);
            let mv = sanitize_duration(*move_s, 0.2);
            b.push(mv, key, K::Reach, false);
            b.push(sanitize_duration(*hold_s, 0.0), key, K::Reach, true);
            b.push(mv, prev, K::Reach, false);
            target = flex;
        }
        Segment::LeanBack { flexion_deg, .. } => {
            let d = seg.duration_s();
            let tr = TRANSITION_S.min(d / 2.0);
            let flex = sanitize_angle(*flexion_deg, 80.0);
            let key = Key::seated(heading, flex, 0.0, 0.7, 0.0);
            b.push(tr, key, K::LeanBack, false);
            b.push(d - tr, key, K::LeanBack, true);
            target = flex;
        }
        Segment::Turn {
            heading_change_deg, ..
        } => {
            let key = Key {
                heading: heading + sanitize_angle(*heading_change_deg, 1800.0),
                typing: 0.0,
                ..b.cur
            };
            b.push(seg.duration_s(), key, K::Turn, false);
        }
        Segment::Walk(spec) => {
            let walk_s = sanitize_duration(spec.walk_s, MIN_SEGMENT_S);
            let speed = if spec.speed_mps.is_finite() {
                spec.speed_mps.clamp(0.0, 3.0)
            } else {
                0.0
            };
            let lean = Key {
                flex: WALK_TRANSFER_FLEX_DEG,
                lat: 0.0,
                typing: 0.0,
                sway: 0.3,
                ..b.cur
            };
            b.push(WALK_LEAN_S, lean, K::Walk, false);
            let standing = Key {
                flex: WALK_FLEX_DEG,
                hip_z: STANDING_HIP_M,
                sway: 0.3,
                ..lean
            };
            b.push(WALK_RISE_S, standing, K::Walk, false);
            let moving0 = b.t;
            let mut walking = Key {
                speed,
                gait: 1.0,
                sway: 0.0,
                ..standing
            };
            b.push(WALK_START_S, walking, K::Walk, false);
            // Walking phase, split at the turns.
            let walk0 = b.t;
            let mut turns = spec.turns.clone();
            turns.sort_by(|x, y| x.at_s.total_cmp(&y.at_s));
            let mut local = 0.0;
            for turn in turns {
                let dur = sanitize_duration(turn.duration_s, 0.2);
                let at = if turn.at_s.is_finite() {
                    turn.at_s.max(local)
                } else {
                    continue;
                };
                if at + dur > walk_s {
                    continue;
                }
                b.push(at - local, walking, K::Walk, false);
                walking.heading += sanitize_angle(turn.heading_change_deg, 1800.0);
                b.push(dur, walking, K::Walk, false);
                local = at + dur;
            }
            b.push(walk0 + walk_s - b.t, walking, K::Walk, false);
            let stopped = Key {
                speed: 0.0,
                gait: 0.0,
                sway: 0.3,
                ..walking
            };
            b.push(WALK_STOP_S, stopped, K::Walk, false);
            moving_s = Some((moving0, b.t));
            let lowered = Key {
                flex: WALK_TRANSFER_FLEX_DEG,
                hip_z: 0.0,
                ..stopped
            };
            b.push(WALK_LOWER_S, lowered, K::Walk, false);
            let seated = Key::seated(walking.heading, SEATED_FLEX_DEG, 0.0, 1.0, 0.0);
            b.push(WALK_SIT_S, seated, K::Walk, false);
            target = WALK_FLEX_DEG;
        }
    }
    SegmentInfo {
        start_s,
        end_s: b.t,
        target_flexion_deg: target,
        moving_s,
    }
}

fn unit_duration(unit: &[Segment]) -> f64 {
    unit.iter().map(Segment::duration_s).sum()
}

fn random_walk(rng: &mut Rng) -> WalkSpec {
    let walk_s = rng.range(120.0, 300.0);
    let mut turns = Vec::new();
    let turn = |at_s: f64, duration_s: f64, heading_change_deg: f64| WalkTurn {
        at_s,
        duration_s,
        heading_change_deg,
    };
    let leave = rng.sign() * rng.range(120.0, 180.0);
    let dur = rng.range(2.0, 3.0);
    turns.push(turn(0.0, dur, leave));
    let mut at = dur + rng.range(10.0, 30.0);
    while at < walk_s - 12.0 {
        let d = rng.sign() * rng.range(30.0, 180.0);
        let dur = rng.range(1.0, 3.0);
        turns.push(turn(at, dur, d));
        at += dur + rng.range(15.0, 45.0);
    }
    // Head back towards the desk, roughly facing the original direction.
    let total: f64 = turns.iter().map(|t| t.heading_change_deg).sum();
    let back = wrap_deg(-total + rng.range(-15.0, 15.0));
    turns.push(turn(walk_s - 3.5, 3.0, back));
    WalkSpec {
        walk_s,
        speed_mps: rng.range(1.0, 1.4),
        turns,
    }
}

fn seated_filler(rng: &mut Rng, duration_s: f64) -> Segment {
    let flexion_deg = rng.range(0.0, 5.0);
    let lateral_deg = rng.range(-3.0, 3.0);
    if rng.chance(0.5) {
        Segment::Typing {
            duration_s,
            flexion_deg,
            lateral_deg,
        }
    } else {
        Segment::Upright {
            duration_s,
            flexion_deg,
            lateral_deg,
        }
    }
}

/// A slouch followed by sitting back up. `sustained` forces a hold of 70–200 s at 25–40°.
fn slouch_unit(rng: &mut Rng, sustained: bool) -> Vec<Segment> {
    let creep_s = if rng.chance(0.5) {
        rng.range(20.0, 120.0)
    } else {
        rng.range(2.0, 8.0)
    };
    let hold_s = if sustained {
        rng.range(70.0, 200.0)
    } else if rng.chance(0.6) {
        rng.range(70.0, 360.0)
    } else {
        rng.range(10.0, 45.0)
    };
    let sit_up = rng.range(30.0, 180.0);
    vec![
        Segment::Slouch {
            creep_s,
            hold_s,
            flexion_deg: rng.range(25.0, 40.0),
            lateral_deg: rng.range(-5.0, 5.0),
        },
        seated_filler(rng, sit_up),
    ]
}

fn reach_unit(rng: &mut Rng) -> Vec<Segment> {
    let move_s = rng.range(0.6, 1.5);
    let hold_s = rng.range((2.0 - 2.0 * move_s).max(0.3), 15.0 - 2.0 * move_s);
    vec![Segment::Reach {
        move_s,
        hold_s,
        flexion_deg: rng.range(30.0, 50.0),
        lateral_deg: rng.range(-8.0, 8.0),
    }]
}

fn leanback_unit(rng: &mut Rng) -> Vec<Segment> {
    vec![Segment::LeanBack {
        duration_s: rng.range(20.0, 120.0),
        flexion_deg: rng.range(-20.0, -10.0),
    }]
}

fn random_unit(rng: &mut Rng) -> Vec<Segment> {
    let x = rng.uniform() * 100.0;
    if x < 22.0 {
        vec![Segment::Upright {
            duration_s: rng.range(30.0, 240.0),
            flexion_deg: rng.range(0.0, 5.0),
            lateral_deg: rng.range(-4.0, 4.0),
        }]
    } else if x < 52.0 {
        vec![Segment::Typing {
            duration_s: rng.range(60.0, 480.0),
            flexion_deg: rng.range(0.0, 6.0),
            lateral_deg: rng.range(-3.0, 3.0),
        }]
    } else if x < 68.0 {
        slouch_unit(rng, false)
    } else if x < 78.0 {
        reach_unit(rng)
    } else if x < 86.0 {
        let mut u = leanback_unit(rng);
        u[0] = Segment::LeanBack {
            duration_s: rng.range(20.0, 180.0),
            flexion_deg: rng.range(-20.0, -10.0),
        };
        u
    } else {
        vec![
            Segment::Upright {
                duration_s: rng.range(3.0, 10.0),
                flexion_deg: rng.range(0.0, 4.0),
                lateral_deg: rng.range(-2.0, 2.0),
            },
            Segment::Turn {
                duration_s: rng.range(1.0, 3.0),
                heading_change_deg: rng.sign() * rng.range(30.0, 120.0),
            },
        ]
    }
}

/// Random sitting segments lasting exactly `len` s (if the mandatory `musts` fit), with the
/// `musts` inserted at random positions.
fn fill_block(rng: &mut Rng, len: f64, musts: Vec<Vec<Segment>>) -> Vec<Segment> {
    const MIN_FILL_S: f64 = 15.0;
    let must_total: f64 = musts.iter().map(|u| unit_duration(u)).sum();
    let mut remaining = len - must_total;
    let mut units: Vec<Vec<Segment>> = Vec::new();
    while remaining >= 1.0 {
        let unit = random_unit(rng);
        let d = unit_duration(&unit);
        if d + MIN_FILL_S > remaining {
            units.push(vec![seated_filler(rng, remaining)]);
            remaining = 0.0;
            break;
        }
        units.push(unit);
        remaining -= d;
    }
    for m in musts {
        let pos = rng.below(units.len() as u64 + 1) as usize;
        units.insert(pos, m);
    }
    let mut out: Vec<Segment> = units.into_iter().flatten().collect();
    if remaining > 0.0 {
        out.push(seated_filler(rng, remaining));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slouch_script() -> Script {
        Script::from_segments(vec![
            Segment::Calibrate,
            Segment::Upright {
                duration_s: 30.0,
                flexion_deg: 2.0,
                lateral_deg: 0.0,
            },
            Segment::Slouch {
                creep_s: 90.0,
                hold_s: 100.0,
                flexion_deg: 32.0,
                lateral_deg: 2.0,
            },
            Segment::Upright {
                duration_s: 30.0,
                flexion_deg: 2.0,
                lateral_deg: 0.0,
            },
        ])
    }

    #[test]
    fn min_jerk_endpoints_are_at_rest() {
        let (s0, d0, a0) = min_jerk(0.0);
        let (s1, d1, a1) = min_jerk(1.0);
        assert_eq!((s0, d0, a0), (0.0, 0.0, 0.0));
        assert!((s1 - 1.0).abs() < 1e-15 && d1.abs() < 1e-15 && a1.abs() < 1e-12);
    }

    #[test]
    fn durations_and_calibration_windows() {
        let s = slouch_script();
        assert!((s.duration_s() - (CALIBRATION_TOTAL_S + 30.0 + 190.0 + 30.0)).abs() < 1e-9);
        let w = s.calibration_windows().expect("calibrate present");
        assert_eq!(w.upright_s, (0.0, 10.0));
        assert_eq!(w.forward_s, (13.0, 16.0));
        for t in [13.5, 15.5] {
            assert!((s.flexion_deg_at(t) - CALIBRATION_LEAN_DEG).abs() < 1.0);
        }
        for t in [1.0, 5.0, 9.5] {
            assert!(s.flexion_deg_at(t).abs() < 1.0);
            assert!(s.activity_at(t).steady);
        }
        assert!(!s.activity_at(11.5).steady);
    }

    #[test]
    fn slouch_episode_truth() {
        let s = slouch_script();
        let eps = s.episodes();
        let slouch = eps
            .iter()
            .find(|e| e.kind == ActivityKind::Slouch)
            .expect("slouch episode");
        let t20 = slouch.above_20_s.expect("crosses 20°");
        assert!(t20 > slouch.start_s && t20 < slouch.start_s + 90.0);
        assert!((s.flexion_deg_at(t20) - 20.0).abs() < 1e-3);
        assert!(s.flexion_deg_at(t20 - 0.5) < 20.0);
        assert!(slouch.sustained && slouch.held_above_20_s > 100.0);
        let from = slouch.sustained_from_s.expect("sustained");
        assert!(from >= t20 && from < slouch.start_s + 90.0);
        assert_eq!(s.above_threshold_s(slouch, 20.0), slouch.above_20_s);
        let spans = s.spans_above(20.0);
        assert_eq!(spans.len(), 2, "{spans:?}"); // calibration lean and the slouch
        assert!((spans[1].0 - t20).abs() < 1e-5);
        let cal = &eps[0];
        assert_eq!(cal.kind, ActivityKind::Calibrate);
        assert!(!cal.sustained);
    }

    #[test]
    fn random_day_is_deterministic_and_exact_length() {
        let a = Script::random_day(45.0, 11);
        let b = Script::random_day(45.0, 11);
        assert_eq!(a.segments(), b.segments());
        assert_eq!(a.episodes(), b.episodes());
        assert!((a.duration_s() - 45.0 * 60.0).abs() < 1e-6);
        let c = Script::random_day(45.0, 12);
        assert_ne!(a.segments(), c.segments());
    }

    #[test]
    fn tiny_and_degenerate_days() {
        let s = Script::random_day(0.1, 3);
        assert!((s.duration_s() - CALIBRATION_TOTAL_S).abs() < 1e-9);
        let e = Script::from_segments(vec![]);
        assert_eq!(e.duration_s(), 0.0);
        assert!(e.episodes().is_empty());
        let _ = e.flexion_deg_at(5.0);
        let n = Script::random_day(f64::NAN, 3);
        assert!(n.duration_s() > 0.0);
        let weird = Script::from_segments(vec![Segment::Upright {
            duration_s: f64::NAN,
            flexion_deg: f64::INFINITY,
            lateral_deg: -400.0,
        }]);
        assert!(weird.duration_s() > 0.0 && weird.flexion_deg_at(0.05).is_finite());
    }

    #[test]
    fn wrap_deg_range() {
        for x in [-540.0, -180.0, -179.0, 0.0, 180.0, 181.0, 720.5] {
            let w = wrap_deg(x);
            assert!(w > -180.0 && w <= 180.0, "{x} -> {w}");
            assert!(((w - x) / 360.0 - ((w - x) / 360.0).round()).abs() < 1e-12);
        }
    }
}
