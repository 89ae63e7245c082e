//! The per-script random texture: the small motions on top of the keyed pose.
//!
//! Why: a real wearer is never perfectly still, and an orientation filter tuned on a rigid
//! mannequin would be tuned wrong. The overlays are pure functions of absolute time with
//! per-script random amplitudes, frequencies and phases (drawn from the script's seed on a
//! stream of its own, so they don't depend on the segments): postural sway (two slow sinusoids
//! each for flexion and side bend, ±1–2° total), breathing (≈0.25 Hz, ±0.2–0.35° of flexion,
//! always on), typing jitter (3–12 Hz, rotations below 0.01° and ≈±0.02 g of acceleration) and
//! gait (step frequency 1.8–2.0 Hz: ±3 cm vertical hip bounce, fore–aft surge, lateral sway at
//! stride frequency, and small trunk rocking). Each is a sinusoid evaluated as a [`Jet`], so its
//! derivatives are exact. The gains that switch them on and off are keyed in
//! [`compile`](super::compile).

use std::f64::consts::TAU;

use super::jet::Jet;
use super::rng::Rng;

/// A sinusoid `amp · sin(omega·t + phase)`; `omega` in rad/s.
#[derive(Debug, Clone, Copy)]
pub(super) struct Osc {
    /// Amplitude, in the unit of the quantity it moves (deg or m).
    pub(super) amp: f64,
    omega: f64,
    /// Phase at t = 0, in rad.
    phase: f64,
}

impl Osc {
    /// An oscillation of `amp` at `freq_hz` with a random phase drawn from `rng`.
    fn new(rng: &mut Rng, amp: f64, freq_hz: f64) -> Self {
        Self {
            amp,
            omega: TAU * freq_hz,
            phase: rng.range(0.0, TAU),
        }
    }

    /// The value and its derivatives at `t` (s).
    pub(super) fn at(&self, t: f64) -> Jet {
        Jet::sinusoid(t, self.amp, self.omega, self.phase)
    }
}

/// The per-script random "texture": overlay amplitudes, frequencies and phases.
#[derive(Debug, Clone)]
pub(super) struct Texture {
    /// Postural sway in flexion / side bend (deg), scaled by the `sway` gain.
    pub(super) sway_flex: [Osc; 2],
    pub(super) sway_lat: [Osc; 2],
    /// Breathing in flexion (deg), always on.
    pub(super) breath: Osc,
    /// Typing: tiny rotations (deg: flexion, side bend, heading) and hip jitter (m, world x/y/z).
    pub(super) typing_rot: [Osc; 3],
    pub(super) typing_pos: [[Osc; 2]; 3],
    /// Gait: vertical bounce, fore–aft surge, lateral sway (m); trunk flexion, side bend and
    /// axial rotation (deg).
    pub(super) bounce: Osc,
    pub(super) surge: Osc,
    pub(super) side: Osc,
    pub(super) gait_flex: Osc,
    pub(super) gait_lat: Osc,
    pub(super) gait_yaw: Osc,
}

impl Texture {
    /// The texture of the script with this seed.
    pub(super) fn new(seed: u64) -> Self {
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
    pub(super) fn flex_overlay_bound(&self, sway: f64, typing: f64, gait: f64) -> f64 {
        sway * (self.sway_flex[0].amp.abs() + self.sway_flex[1].amp.abs())
            + self.breath.amp.abs()
            + typing * self.typing_rot[0].amp.abs()
            + gait * self.gait_flex.amp.abs()
    }
}
