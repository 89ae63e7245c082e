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
//!
//! Desk bursts ([`Bursts`], on in random days, off in hand-written scripts unless asked for):
//! hard typing, knocks on the desk and a bouncing knee, a few seconds at 4–12 Hz and up to
//! 0.25 g at the upper back, while seated. They move the sensor, not the trunk: they are not
//! walking, so a monitor must neither pause a slouch's clock for them nor count them as breaks.

use std::f64::consts::{PI, TAU};

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

/// One burst: `amp · sin²(π·τ/dur) · sin(2π·hz·τ + phase)` along `dir`, τ = t − t0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Burst {
    t0_s: f64,
    dur_s: f64,
    hz: f64,
    amp_mps2: f64,
    phase: f64,
    /// Unit direction in the world frame (x, y, z).
    dir: [f64; 3],
}

/// The desk bursts of a script: at most one per slot of [`Bursts::SLOT_S`], drawn per slot
/// from the seed, so the acceleration is a pure function of time.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Bursts {
    /// `slots[k]` is the burst in `[k·SLOT_S, (k+1)·SLOT_S)`, if any.
    slots: Vec<Option<Burst>>,
}

impl Bursts {
    /// Slot length, s: a burst somewhere in about two of every three of them.
    pub(super) const SLOT_S: f64 = 40.0;
    /// Strongest burst, g (the "up to about 0.25 g at the upper back").
    pub(super) const MAX_G: f64 = 0.25;

    /// The bursts of a script of `duration_s` with texture seed `seed`.
    pub(super) fn new(seed: u64, duration_s: f64) -> Self {
        let mut r = Rng::stream(seed, 0xB0B5);
        let n = if duration_s.is_finite() && duration_s > 0.0 {
            (duration_s / Self::SLOT_S).ceil() as usize
        } else {
            0
        };
        let slots = (0..n)
            .map(|k| {
                // Draw everything for every slot, so one slot's draws never shift another's.
                let present = r.chance(0.65);
                let kind = r.below(3);
                let dur_s = r.range(2.0, 8.0);
                let start = r.range(0.0, Self::SLOT_S - dur_s);
                let (hz, g, dir) = match kind {
                    // A bouncing knee: the chair and the trunk go up and down.
                    0 => (
                        r.range(4.0, 6.0),
                        r.range(0.1, Self::MAX_G),
                        [0.0, 0.0, 1.0],
                    ),
                    // Hard typing: the forearms push the trunk fore and aft.
                    1 => (r.range(6.0, 12.0), r.range(0.05, 0.15), [0.8, 0.0, 0.6]),
                    // Knocks on the desk felt through the chair, mostly vertical.
                    _ => (
                        r.range(8.0, 12.0),
                        r.range(0.1, Self::MAX_G),
                        [0.3, 0.3, 0.9],
                    ),
                };
                let phase = r.range(0.0, TAU);
                let norm = dir.iter().map(|d| d * d).sum::<f64>().sqrt();
                present.then(|| Burst {
                    t0_s: k as f64 * Self::SLOT_S + start,
                    dur_s,
                    hz,
                    amp_mps2: g * 9.81,
                    phase,
                    dir: dir.map(|d| d / norm),
                })
            })
            .collect();
        Self { slots }
    }

    /// The burst acceleration at `t` (s), world frame, m/s².
    pub(super) fn accel_mps2(&self, t: f64) -> [f64; 3] {
        let slot = (t / Self::SLOT_S).floor();
        let burst = (slot >= 0.0)
            .then(|| self.slots.get(slot as usize).copied().flatten())
            .flatten();
        let Some(b) = burst else {
            return [0.0; 3];
        };
        let tau = t - b.t0_s;
        if !(0.0..=b.dur_s).contains(&tau) {
            return [0.0; 3];
        }
        let envelope = (PI * tau / b.dur_s).sin().powi(2);
        let a = b.amp_mps2 * envelope * (TAU * b.hz * tau + b.phase).sin();
        b.dir.map(|d| a * d)
    }

    /// The bursts, for tests: (start s, duration s, Hz, peak g).
    #[cfg(test)]
    pub(super) fn list(&self) -> Vec<(f64, f64, f64, f64)> {
        self.slots
            .iter()
            .flatten()
            .map(|b| (b.t0_s, b.dur_s, b.hz, b.amp_mps2 / 9.81))
            .collect()
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
    /// Desk bursts while seated, if the script has them.
    pub(super) bursts: Option<Bursts>,
    /// The seed the texture was drawn from (bursts are drawn from it when asked for).
    pub(super) seed: u64,
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
            bursts: None,
            seed,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_are_short_fast_and_at_most_a_quarter_g() {
        let b = Bursts::new(7, 3600.0);
        let list = b.list();
        assert!(list.len() > 40, "{} bursts in an hour", list.len());
        for &(t0, dur, hz, g) in &list {
            assert!((2.0..=8.0).contains(&dur) && (4.0..=12.0).contains(&hz));
            assert!(g <= Bursts::MAX_G + 1e-12);
            let peak = (0..1000)
                .map(|i| {
                    let a = b.accel_mps2(t0 + dur * f64::from(i) / 1000.0);
                    a.iter().map(|x| x * x).sum::<f64>().sqrt()
                })
                .fold(0.0, f64::max);
            assert!(peak <= g * 9.81 + 1e-9);
        }
        assert_eq!(b.accel_mps2(-1.0), [0.0; 3]);
        assert_eq!(b.accel_mps2(1e9), [0.0; 3]);
        assert_eq!(b, Bursts::new(7, 3600.0), "deterministic for the seed");
    }
}
