//! The script compiler: segments into *pieces* of keyed pose.
//!
//! Each segment becomes a few pieces: short spans during which every pose parameter (flexion
//! and side bend in deg, heading in deg, hip height in m, walking speed in m/s and the unitless
//! gains of the texture overlays) moves from one key to the next along a minimum-jerk curve
//! `s(τ) = 10τ³ − 15τ⁴ + 6τ⁵`. Why minimum-jerk: it starts and ends with zero velocity and
//! zero acceleration, so the pose is C² everywhere; the orientation filter under test sees no
//! steps it could not follow, and the simulated accelerometer sees no impulses. Compiling also
//! records where the calibration poses are and each segment's span, for the truth.

use super::vocabulary::{
    ActivityKind, CAL_HOLD_S, CAL_LEAN_S, CAL_RETURN_S, CAL_SETTLE_S, CAL_STILL_S,
    CALIBRATION_LEAN_DEG, MIN_SEGMENT_S, Segment, WALK_LEAN_S, WALK_LOWER_S, WALK_RISE_S,
    WALK_SIT_S, WALK_START_S, WALK_STOP_S, sanitize_angle, sanitize_duration,
};
use crate::session::CalibrationWindows;

/// Default duration (s) of a posture change into an `Upright`, `Typing` or `LeanBack` hold.
const TRANSITION_S: f64 = 2.0;
/// Hip height (m) above the seated pivot when standing.
const STANDING_HIP_M: f64 = 0.45;
/// Sway gain during calibration: the wearer is asked to sit still.
const CAL_SWAY: f64 = 0.15;
/// Trunk flexion (deg) used to stand up / sit down, and while walking.
const WALK_TRANSFER_FLEX_DEG: f64 = 32.0;
const WALK_FLEX_DEG: f64 = 5.0;
/// Flexion (deg) of the seated posture a walk returns to.
const SEATED_FLEX_DEG: f64 = 3.0;

/// Where the first calibration preface put its poses (s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct CalibrationTimes {
    /// The still upright window and the held forward lean.
    pub(super) windows: CalibrationWindows,
    /// The whole lean movement: from leaving upright to being back upright.
    pub(super) lean_motion_s: (f64, f64),
}

/// Keyed pose parameters. Angles in degrees, lengths in metres, speed in m/s, gains unitless.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Key {
    pub(super) flex: f64,
    pub(super) lat: f64,
    pub(super) heading: f64,
    pub(super) hip_z: f64,
    pub(super) speed: f64,
    pub(super) sway: f64,
    pub(super) typing: f64,
    pub(super) gait: f64,
}

impl Key {
    /// A seated key (hip down, not walking, no gait).
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

    /// All parameters within 1e-9 of `o`.
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
pub(super) struct Piece {
    pub(super) t0: f64,
    pub(super) t1: f64,
    pub(super) a: Key,
    pub(super) b: Key,
    pub(super) kind: ActivityKind,
    pub(super) steady: bool,
}

/// Minimum-jerk blend value and its first and second derivatives with respect to τ.
pub(super) fn min_jerk(tau: f64) -> (f64, f64, f64) {
    let t2 = tau * tau;
    let t3 = t2 * tau;
    let s = t3 * (10.0 - 15.0 * tau + 6.0 * t2);
    let one_m = 1.0 - tau;
    let ds = 30.0 * t2 * one_m * one_m;
    let dds = 60.0 * tau * one_m * (1.0 - 2.0 * tau);
    (s, ds, dds)
}

/// Accumulates pieces while compiling segments.
struct Builder {
    pieces: Vec<Piece>,
    t: f64,
    cur: Key,
}

impl Builder {
    /// Blends from the current key to `to` over `duration_s`; a zero span just jumps.
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
pub(super) struct SegmentInfo {
    pub(super) start_s: f64,
    pub(super) end_s: f64,
    pub(super) target_flexion_deg: f64,
    pub(super) moving_s: Option<(f64, f64)>,
}

/// A compiled script: its pieces, the calibration poses and each segment's span.
pub(super) struct Compiled {
    /// Never empty: an empty script is one zero-length upright piece, so lookups work.
    pub(super) pieces: Vec<Piece>,
    pub(super) calibration: Option<CalibrationTimes>,
    /// Per segment, in order: its kind and what compiling it produced.
    pub(super) infos: Vec<(ActivityKind, SegmentInfo)>,
    /// Total length (s).
    pub(super) duration_s: f64,
}

/// Compiles `segments` starting from the upright rest pose at heading `heading0_deg`.
pub(super) fn compile(segments: &[Segment], heading0_deg: f64) -> Compiled {
    let mut b = Builder {
        pieces: Vec::with_capacity(segments.len() * 3 + 1),
        t: 0.0,
        cur: Key::seated(heading0_deg, 0.0, 0.0, CAL_SWAY, 0.0),
    };
    let mut calibration = None;
    let mut infos = Vec::with_capacity(segments.len());
    for seg in segments {
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
    Compiled {
        pieces: b.pieces,
        calibration,
        infos,
        duration_s,
    }
}

/// Compiles one segment into pieces, returning its time span and episode details.
fn compile_segment(
    b: &mut Builder,
    seg: &Segment,
    calibration: &mut Option<CalibrationTimes>,
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
                *calibration = Some(CalibrationTimes {
                    windows: CalibrationWindows {
                        upright_s: (still0, still0 + CAL_STILL_S),
                        forward_s: (hold0, hold0 + CAL_HOLD_S),
                    },
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

#[cfg(test)]
mod tests {
    use super::super::script::{Script, slouch_script};
    use super::super::vocabulary::CALIBRATION_TOTAL_S;
    use super::*;

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
    fn calibration_lean_motion_spans_the_lean() {
        let s = slouch_script();
        assert_eq!(s.calibration_lean_motion_s(), Some((10.0, 19.0)));
        assert_eq!(
            Script::from_segments(vec![]).calibration_lean_motion_s(),
            None
        );
    }
}
