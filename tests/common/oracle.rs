//! The ideal monitor: the posture rules on the simulator's true flexion and activity. What a
//! perfect sensor, filter and calibration would report, to measure the real path against.
//! Included with `#[path = "common/oracle.rs"] mod oracle;`.

#![allow(dead_code)]

use spinewatch::pipeline::{Pipeline, WindowCapture};
use spinewatch::posture::{Calibration, Config, Event, EventKind, PostureState, Rules};
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

/// The wearer's calibration from the script's own calibration poses, as the replay takes it:
/// the filter run through the calibration windows, the poses captured, then calibrated.
pub fn calibration(script: &Script, options: &SimOptions, config: &Config) -> Calibration {
    let windows = script
        .calibration_windows()
        .unwrap_or_else(|| panic!("a random day starts with its calibration poses"));
    let mut pipeline = Pipeline::new(config.clone(), Some(options.rate_hz));
    let mut capture = WindowCapture::default();
    let mut ignored = Vec::new();
    for (s, _) in Simulator::new(script.clone(), options.clone()) {
        if s.t_s > windows.end_s() {
            break;
        }
        let step = pipeline.process(&s, &mut ignored);
        capture.add(&windows, &s, &step.pose);
    }
    capture
        .calibrate(config, None)
        .unwrap_or_else(|e| panic!("calibration rejected: {e}"))
}
