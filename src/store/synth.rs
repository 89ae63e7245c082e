//! Synthetic sessions for tests and benchmarks (the app never uses this): a script of segments
//! played through a [`HistoryFeed`] at a chosen sample rate, with the events the rules would
//! give, and a deterministic random desk day.
//!
//! Sample `k` at `t = start + k / rate` takes the state of the segment holding the step before
//! it, `[t - 1/rate, t)`, so each state gets exactly its segments' durations of monitored time
//! (the pipeline credits a step to the later sample's state). A [`PostureState::NoData`] segment
//! sends no samples: a sensor gap.

use crate::posture::{Event, EventKind, PostureState};

use super::feed::HistoryFeed;
use super::record::RecordSink;

/// A stretch of the script.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    pub duration_s: f64,
    /// `NoData`: no samples at all (a gap).
    pub state: PostureState,
    pub flexion_deg: Option<f64>,
}

impl Segment {
    pub fn new(duration_s: f64, state: PostureState, flexion_deg: Option<f64>) -> Self {
        Self {
            duration_s,
            state,
            flexion_deg,
        }
    }
}

/// The default rule timings the synthetic events follow, seconds.
const SLOUCH_DELAY_S: f64 = 60.0;
const SLOUCH_REPEAT_S: f64 = 300.0;
const SLOUCH_RELEASE_S: f64 = 3.0;
const BREAK_MIN_S: f64 = 120.0;
const BREAK_INTERVAL_S: f64 = 2700.0;
const BREAK_REPEAT_S: f64 = 900.0;

/// The events of a script starting at `start_s`: slouch alerts after 60 s and every 300 s, a
/// `slouch_end` 3 s after each slouch of at least 60 s, a `break_taken` 120 s into each
/// movement of at least that, and break reminders after 45 min of sitting, then every 15 min.
/// Sensor gaps are added while playing.
pub fn script_events(start_s: f64, segments: &[Segment]) -> Vec<Event> {
    let mut out = Vec::new();
    let mut t = start_s;
    let mut sitting_since = start_s;
    let mut next_reminder = start_s + BREAK_INTERVAL_S;
    for seg in segments {
        let end = t + seg.duration_s;
        match seg.state {
            PostureState::Slouched if seg.duration_s >= SLOUCH_DELAY_S => {
                let mut at = t + SLOUCH_DELAY_S;
                let mut repeat = 0;
                while at < end {
                    out.push(Event {
                        time_s: at,
                        kind: EventKind::SlouchAlert {
                            start_s: t,
                            held_s: at - t,
                            flexion_deg: seg.flexion_deg.unwrap_or(f64::NAN),
                            repeat,
                        },
                    });
                    repeat += 1;
                    at += SLOUCH_REPEAT_S;
                }
                out.push(Event {
                    time_s: end + SLOUCH_RELEASE_S,
                    kind: EventKind::SlouchEnd {
                        start_s: t,
                        end_s: end,
                        duration_s: seg.duration_s,
                        alerts: repeat,
                    },
                });
            }
            PostureState::Moving if seg.duration_s >= BREAK_MIN_S => {
                out.push(Event {
                    time_s: t + BREAK_MIN_S,
                    kind: EventKind::BreakTaken { start_s: t },
                });
                sitting_since = end;
                next_reminder = end + BREAK_INTERVAL_S;
            }
            _ => {}
        }
        if seg.state != PostureState::Moving {
            while next_reminder < end {
                out.push(Event {
                    time_s: next_reminder.max(t),
                    kind: EventKind::BreakReminder {
                        sitting_s: next_reminder - sitting_since,
                        exercise: "standing back extension".into(),
                        dose: "5 slow repetitions".into(),
                    },
                });
                next_reminder += BREAK_REPEAT_S;
            }
        }
        t = end;
    }
    out.sort_by(|a, b| a.time_s.total_cmp(&b.time_s));
    out
}

/// Plays `segments` from session time `start_s` at `rate_hz` into `feed`, with
/// [`script_events`] (when `with_events`) and a `sensor_gap` after each gap. Returns the time of
/// the last sample. Does not call `finish`.
pub fn play<S: RecordSink>(
    feed: &mut HistoryFeed<S>,
    start_s: f64,
    segments: &[Segment],
    rate_hz: f64,
    with_events: bool,
) -> f64 {
    let events = if with_events {
        script_events(start_s, segments)
    } else {
        Vec::new()
    };
    let mut next_event = 0;
    let dt = 1.0 / rate_hz;
    let mut seg_start = start_s;
    let mut last_sample: Option<f64> = None;
    let mut first = true;
    for seg in segments {
        let n = (seg.duration_s * rate_hz).round() as u64;
        if seg.state == PostureState::NoData {
            seg_start += seg.duration_s;
            continue;
        }
        for k in 0..n {
            // The sample closing the step [seg_start + k dt, seg_start + (k+1) dt).
            let t = seg_start + (k + 1) as f64 * dt;
            if first {
                // The very first sample only opens the session (no step before it).
                feed.sample(seg_start, seg.state, seg.flexion_deg);
                last_sample = Some(seg_start);
                first = false;
            }
            if let Some(last) = last_sample
                && t - last > dt * 1.5
            {
                // After a gap the first sample only restarts monitoring, as in the pipeline.
                feed.event(&Event {
                    time_s: seg_start,
                    kind: EventKind::SensorGap {
                        from_s: last,
                        duration_s: seg_start - last,
                    },
                });
                feed.sample(seg_start, seg.state, seg.flexion_deg);
            }
            while next_event < events.len() && events[next_event].time_s <= t {
                feed.event(&events[next_event]);
                next_event += 1;
            }
            feed.sample(t, seg.state, seg.flexion_deg);
            last_sample = Some(t);
        }
        seg_start += seg.duration_s;
    }
    for e in &events[next_event..] {
        feed.event(e);
    }
    last_sample.unwrap_or(start_s)
}

/// xorshift64*: a tiny deterministic generator, so a benchmark's data is the same every run.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A random desk day of `hours` of monitored time plus one 30 s sensor gap: mostly upright,
/// slouches of 20 s to 10 min, some leaning back, a walk now and then. Durations are whole
/// seconds.
pub fn desk_day(seed: u64, hours: f64) -> Vec<Segment> {
    let mut rng = Rng::new(seed);
    let total_s = (hours * 3600.0).round();
    let mut out = Vec::new();
    let mut t = 0.0;
    let mut gap_done = false;
    while t < total_s {
        let pick = rng.range(0.0, 1.0);
        let (state, lo, hi, flexion) = if pick < 0.45 {
            (PostureState::Upright, 60.0, 900.0, rng.range(-5.0, 15.0))
        } else if pick < 0.75 {
            (PostureState::Slouched, 20.0, 600.0, rng.range(22.0, 70.0))
        } else if pick < 0.88 {
            (
                PostureState::LeaningBack,
                30.0,
                300.0,
                rng.range(-25.0, -11.0),
            )
        } else {
            (PostureState::Moving, 30.0, 300.0, rng.range(0.0, 30.0))
        };
        let d = rng.range(lo, hi).round().min(total_s - t).max(1.0);
        out.push(Segment::new(
            d,
            state,
            Some((flexion * 10.0).round() / 10.0),
        ));
        t += d;
        if !gap_done && t > total_s / 2.0 {
            out.push(Segment::new(30.0, PostureState::NoData, None));
            gap_done = true;
        }
    }
    out
}
