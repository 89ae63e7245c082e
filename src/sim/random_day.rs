//! A random desk day: plausible, deterministic for its seed, of exactly the asked length.
//!
//! Why: the accuracy and alert tests and the demo need long days with the right mix of
//! everything — a slouch that must alert and ones that must not, reaches, lean-backs, swivels
//! and walking breaks 20–55 min apart so some sitting stretches exceed the 45 min break
//! interval — without anyone writing them by hand. The walks are planned first, then each
//! sitting block between them is filled with random units (a unit is one or a few segments,
//! such as a slouch and the sitting-up after it) whose durations add up to the block's length
//! in seconds. All draws come from one [`Rng`] stream of the seed, in a fixed order, so the
//! same seed gives the same day.

use super::rng::Rng;
use super::script::Script;
use super::vocabulary::{
    CALIBRATION_TOTAL_S, Segment, WALK_OVERHEAD_S, WalkSpec, WalkTurn, wrap_deg,
};

impl Script {
    /// A plausible random desk day of `minutes` (deterministic for `seed`).
    ///
    /// It starts with [`Segment::Calibrate`] and then alternates sitting blocks (typing,
    /// upright, slow-creep and quick slouches — some sustained past 60 s, some not — reaches,
    /// lean-backs, chair swivels, small side bends) with walking breaks 20–55 min apart, so some
    /// sitting stretches exceed 45 min. Days of 30 min or more always contain at least one
    /// sustained slouch, one reach, one lean-back and one walk. A slouch is always followed by
    /// sitting up, so every slouch episode has its own threshold crossing. While seated, desk
    /// bursts (typing, knocks, a bouncing knee) shake the sensor now and then, as at a real
    /// desk ([`Script::with_desk_bursts`]). The duration is
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
        Self::build(segments, seed, heading0).with_desk_bursts()
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
}
