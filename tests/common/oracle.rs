//! The ideal monitor: the posture rules on the simulator's true flexion and activity. What a
//! perfect sensor, filter and calibration would report, to measure the real path against.
//! Included with `#[path = "common/oracle.rs"] mod oracle;`.

#![allow(dead_code)]

use spinewatch::posture::{Config, Event, EventKind, PostureState, Rules};
use spinewatch::sim::{Script, SimOptions, Simulator};

/// The ideal monitor's events and its time per state, s (indexed by `PostureState::index`).
pub struct Ideal {
    pub events: Vec<Event>,
    pub state_s: [f64; 6],
}

/// Runs `script` through the simulator with `options` (only the truth is used) and the rules on
/// the true flexion: moving while the truth walks, slouched with the classifier's hysteresis.
/// Hysteresis can merge a reach into a slouch that follows within the release time, so the
/// oracle, not the episode list, says when an alert is due.
pub fn ideal(script: &Script, options: &SimOptions, config: &Config) -> Ideal {
    let mut rules = Rules::new();
    let mut events = Vec::new();
    let mut state_s = [0.0; 6];
    let (mut slouched, mut last_t) = (false, None::<f64>);
    for (_, truth) in Simulator::new(script.clone(), options.clone()) {
        let f = truth.flexion_deg;
        slouched = f >= config.slouch_threshold_deg || (slouched && f >= config.slouch_release_deg);
        let state = if truth.activity.is_moving() {
            PostureState::Moving
        } else if slouched {
            PostureState::Slouched
        } else if f <= config.lean_back_threshold_deg {
            PostureState::LeaningBack
        } else {
            PostureState::Upright
        };
        if let Some(t0) = last_t {
            state_s[state.index()] += truth.t_s - t0;
        }
        last_t = Some(truth.t_s);
        rules.update(config, truth.t_s, state, Some(f), &mut events);
    }
    Ideal { events, state_s }
}

/// When each first slouch alert (not a repeat) came, s.
pub fn alerts(events: &[Event]) -> Vec<f64> {
    events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::SlouchAlert { repeat: 0, .. }))
        .map(|e| e.time_s)
        .collect()
}

/// When each break taken started, s.
pub fn breaks(events: &[Event]) -> Vec<f64> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::BreakTaken { start_s } => Some(start_s),
            _ => None,
        })
        .collect()
}
