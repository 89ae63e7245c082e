//! The day's activity script: what the simulated wearer does, and when.
//!
//! A script is a list of [`Segment`]s (calibrate, sit upright, type, slouch, reach, lean back,
//! swivel, walk). Building it compiles the segments into *pieces* of keyed pose joined by
//! minimum-jerk blends (`sim/compile.rs`), lays the per-script random overlays on top
//! (`sim/texture.rs`: sway, breathing, typing jitter, gait) and derives the truth
//! (`sim/truth.rs`: episodes and threshold crossings). A random desk day is written by
//! [`Script::random_day`] (`sim/random_day.rs`). The vocabulary (segments, activities,
//! episodes, thresholds; `sim/vocabulary.rs`) is re-exported here, so
//! `crate::sim::script::Segment` and friends keep their paths.
//!
//! This file holds the [`Script`] itself and its evaluation: the pose at a time `t` (s) with
//! exact first and second time derivatives (angles in deg, hip acceleration in m/s²). Nothing
//! per sample is stored: evaluating costs one piece lookup (amortised O(1) for a
//! forward-moving cursor) and a handful of sines.

use std::f64::consts::PI;

use super::compile::{CalibrationTimes, Piece, compile, min_jerk};
use super::jet::Jet;
use super::texture::{Bursts, Texture};
use super::truth;

pub(crate) use super::vocabulary::wrap_deg;
pub use super::vocabulary::{
    Activity, ActivityKind, CALIBRATION_LEAN_DEG, CALIBRATION_TOTAL_S, Episode, EpisodeKind,
    SLOUCH_HOLD_S, SLOUCH_THRESHOLD_DEG, STEADY_SETTLE_S, Segment, WALK_OVERHEAD_S, WalkSpec,
    WalkTurn,
};
// The simulator reports its calibration poses in the session's own type.
pub use crate::session::CalibrationWindows;

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
    pub(super) pieces: Vec<Piece>,
    pub(super) texture: Texture,
    episodes: Vec<Episode>,
    calibration: Option<CalibrationTimes>,
    pub(super) duration_s: f64,
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

    /// Compiles `segments`, draws the texture from `texture_seed` and derives the truth.
    pub(super) fn build(segments: Vec<Segment>, texture_seed: u64, heading0_deg: f64) -> Self {
        let texture = Texture::new(texture_seed);
        let compiled = compile(&segments, heading0_deg);
        let mut script = Self {
            segments,
            pieces: compiled.pieces,
            texture,
            episodes: Vec::new(),
            calibration: compiled.calibration,
            duration_s: compiled.duration_s,
        };
        script.episodes = truth::episodes(&script, &compiled.infos);
        script
    }

    /// The same script with desk bursts while seated (typing, knocks, a bouncing knee: a few
    /// seconds at 4–12 Hz, up to 0.25 g; see [`Bursts`]), drawn from the texture's seed. They
    /// change the accelerometer, not the truth: none of them is a posture or a walk.
    pub fn with_desk_bursts(mut self) -> Self {
        self.texture.bursts = Some(Bursts::new(self.texture.seed, self.duration_s));
        self
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

    /// Calibration windows (s) of the first [`Segment::Calibrate`], if the script has one:
    /// `upright_s` while the wearer sits upright and still (true flexion 0° ± sway and
    /// breathing of ≈0.5°), `forward_s` while they hold the forward lean of
    /// [`CALIBRATION_LEAN_DEG`].
    pub fn calibration_windows(&self) -> Option<CalibrationWindows> {
        self.calibration.map(|c| c.windows)
    }

    /// The whole lean movement of that calibration (s): from leaving upright to being back
    /// upright, which brackets [`CalibrationWindows::forward_s`].
    pub fn calibration_lean_motion_s(&self) -> Option<(f64, f64)> {
        self.calibration.map(|c| c.lean_motion_s)
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

    /// The pose at `t` (s) inside piece `i`, overlays included.
    pub(super) fn pose_in_piece(&self, i: usize, t: f64) -> PoseJets {
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
        if let Some(bursts) = &tex.bursts
            && seated_at_desk(p)
        {
            for (acc_k, burst_k) in acc.iter_mut().zip(bursts.accel_mps2(t)) {
                *acc_k += burst_k;
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
}

/// Sitting at the desk outside the calibration: where desk bursts happen.
fn seated_at_desk(p: &Piece) -> bool {
    let still = |k: &super::compile::Key| k.hip_z == 0.0 && k.gait == 0.0 && k.speed == 0.0;
    !matches!(
        p.kind,
        ActivityKind::Calibrate | ActivityKind::Walk | ActivityKind::Turn
    ) && still(&p.a)
        && still(&p.b)
}

/// A calibrated day with one slow, sustained slouch, shared by the unit tests of the stages.
#[cfg(test)]
pub(super) fn slouch_script() -> Script {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
