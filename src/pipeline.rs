//! The stages in order — orientation filter, angles, state, rules — as one object that every mode
//! drives: the headless replay, the live sensor link and the GUI. What the CLI reports and what the
//! window shows therefore cannot disagree.

use std::fmt;

use crate::format::human_duration;

use crate::fusion::{FilterOutput, OrientationFilter, Pose};
use crate::posture::calibration::{Calibration, CalibrationError, CalibrationSample};
use crate::posture::rules::RuleStats;
use crate::posture::{
    Config, Event, EventKind, PostureState, Rules, StateClassifier, trunk_angles_deg,
};
use crate::sample::ImuSample;
use crate::session::CalibrationWindows;

/// The posture part of one step: what the UI draws and the angles file holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PostureUpdate {
    pub t_s: f64,
    /// Forward bend relative to calibrated upright, degrees (`None` while uncalibrated).
    pub flexion_deg: Option<f64>,
    /// Side bend, degrees, positive to the wearer's right (`None` while uncalibrated).
    pub lateral_deg: Option<f64>,
    pub state: PostureState,
}

/// Everything one sample produced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    pub pose: Pose,
    pub posture: PostureUpdate,
}

/// Time spent per state and counts, for the summary line and the history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub samples: u64,
    /// Time covered by samples (gaps excluded), seconds.
    pub monitored_s: f64,
    /// Seconds per state, indexed by [`PostureState::index`].
    pub state_s: [f64; 6],
    pub rules: RuleStats,
    pub sensor_gaps: u32,
    pub filter_restarts: u64,
}

impl Summary {
    /// What happened since `baseline` (an earlier summary of the same session): the window's
    /// "today" counters are the session's summary since the day began, computed by this same
    /// code as every summary the CLI prints. The longest slouch is the session's.
    pub fn since(&self, baseline: &Summary) -> Summary {
        let mut state_s = self.state_s;
        for (s, b) in state_s.iter_mut().zip(baseline.state_s) {
            *s = (*s - b).max(0.0);
        }
        let (r, b) = (&self.rules, &baseline.rules);
        Summary {
            samples: self.samples.saturating_sub(baseline.samples),
            monitored_s: (self.monitored_s - baseline.monitored_s).max(0.0),
            state_s,
            rules: RuleStats {
                slouch_episodes: r.slouch_episodes.saturating_sub(b.slouch_episodes),
                longest_slouch_s: r.longest_slouch_s,
                slouch_alerts: r.slouch_alerts.saturating_sub(b.slouch_alerts),
                break_reminders: r.break_reminders.saturating_sub(b.break_reminders),
                breaks_taken: r.breaks_taken.saturating_sub(b.breaks_taken),
                suppressed: r.suppressed.saturating_sub(b.suppressed),
            },
            sensor_gaps: self.sensor_gaps.saturating_sub(baseline.sensor_gaps),
            filter_restarts: self
                .filter_restarts
                .saturating_sub(baseline.filter_restarts),
        }
    }

    /// Share of monitored time in `state`, percent.
    pub fn percent(&self, state: PostureState) -> f64 {
        if self.monitored_s > 0.0 {
            100.0 * self.state_s[state.index()] / self.monitored_s
        } else {
            0.0
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "monitored        {} ({} samples)",
            human_duration(self.monitored_s),
            self.samples
        )?;
        let shares: Vec<String> = PostureState::ALL
            .iter()
            .filter(|s| self.state_s[s.index()] > 0.0 || **s == PostureState::Upright)
            .map(|s| format!("{} {:.1}%", s.label(), self.percent(*s)))
            .collect();
        writeln!(f, "time             {}", shares.join(", "))?;
        writeln!(
            f,
            "slouch episodes  {} (longest {}), {} alerts",
            self.rules.slouch_episodes,
            human_duration(self.rules.longest_slouch_s),
            self.rules.slouch_alerts
        )?;
        write!(
            f,
            "breaks           {} taken, {} reminders; {} sensor gaps",
            self.rules.breaks_taken, self.rules.break_reminders, self.sensor_gaps
        )?;
        if self.rules.suppressed > 0 {
            write!(f, "; {} alerts held back by snooze", self.rules.suppressed)?;
        }
        Ok(())
    }
}

/// The running pipeline.
pub struct Pipeline {
    config: Config,
    filter: OrientationFilter,
    calibration: Option<Calibration>,
    classifier: StateClassifier,
    rules: Rules,
    last_t_s: Option<f64>,
    summary: Summary,
    last: Option<Step>,
}

impl Pipeline {
    /// `rate_hint_hz` (session metadata or device identity) lets the filter start on the first sample.
    pub fn new(config: Config, rate_hint_hz: Option<f64>) -> Self {
        Self {
            filter: OrientationFilter::new(config.fusion, rate_hint_hz),
            config,
            calibration: None,
            classifier: StateClassifier::new(),
            rules: Rules::new(),
            last_t_s: None,
            summary: Summary::default(),
            last: None,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Applies new settings live (the filter keeps its state unless its own settings changed).
    pub fn set_config(&mut self, config: Config) {
        if config.fusion != self.config.fusion {
            self.filter = OrientationFilter::new(config.fusion, None);
        }
        self.config = config;
    }

    pub fn calibration(&self) -> Option<&Calibration> {
        self.calibration.as_ref()
    }

    pub fn set_calibration(&mut self, calibration: Option<Calibration>) {
        self.calibration = calibration;
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    pub fn summary(&self) -> Summary {
        Summary {
            filter_restarts: self.filter.restarts(),
            rules: *self.rules.stats(),
            ..self.summary.clone()
        }
    }

    /// The last step's output.
    pub fn last(&self) -> Option<&Step> {
        self.last.as_ref()
    }

    /// Snoozes alerts until session time `until_s` (`None` ends a snooze).
    pub fn snooze(&mut self, now_s: f64, until_s: Option<f64>, events: &mut Vec<Event>) {
        self.rules.snooze(now_s, until_s, events);
    }

    /// Runs one sample through every stage; events it causes are appended to `events`.
    pub fn process(&mut self, s: &ImuSample, events: &mut Vec<Event>) -> Step {
        // The filter half touches nothing the gap step does, so it may come first: one path
        // for every mode from here on.
        let out = self.filter.filter(s);
        self.process_filtered(s, &out, events)
    }

    /// The time since the previous sample (seconds, 0 after a sensor gap, which it reports).
    #[inline]
    fn gap_step(&mut self, s: &ImuSample, events: &mut Vec<Event>) -> f64 {
        let dt_s = match self.last_t_s {
            Some(last) => {
                let dt = s.t_s - last;
                if dt > self.config.sensor_gap_s {
                    self.summary.sensor_gaps += 1;
                    events.push(Event {
                        time_s: s.t_s,
                        kind: EventKind::SensorGap {
                            from_s: last,
                            duration_s: (dt * 1e6).round() / 1e6,
                        },
                    });
                    self.rules.gap(&self.config, last, s.t_s, events);
                    self.classifier.reset();
                    0.0
                } else {
                    dt.max(0.0)
                }
            }
            None => 0.0,
        };
        self.last_t_s = Some(s.t_s);
        dt_s
    }

    /// [`Self::process`] for a sample whose filter half ([`OrientationFilter::filter`]) ran
    /// ahead, in the filter [`Self::take_filter`] handed out (the headless replay runs it on a
    /// thread of its own, so filtering overlaps with the rest on two cores). The posture half
    /// ([`OrientationFilter::finish`]) runs here.
    pub fn process_filtered(
        &mut self,
        s: &ImuSample,
        out: &FilterOutput,
        events: &mut Vec<Event>,
    ) -> Step {
        let dt_s = self.gap_step(s, events);
        let pose = self.filter.finish(s, out);
        self.posture(s, pose, dt_s, events)
    }

    /// Hands out the orientation filter, to run its filter half ahead of this pipeline, given
    /// back with [`Self::give_filter`] before the summary is read. Meanwhile a stand-in with the
    /// same settings runs the posture half, and [`Self::process_filtered`] is the way in.
    pub fn take_filter(&mut self) -> OrientationFilter {
        let mut stand_in = OrientationFilter::new(self.config.fusion, None);
        stand_in.adopt_posture_half(&self.filter);
        std::mem::replace(&mut self.filter, stand_in)
    }

    /// Takes back the filter [`Self::take_filter`] handed out, with the posture half's state
    /// the stand-in kept (its restarts go in the summary).
    pub fn give_filter(&mut self, mut filter: OrientationFilter) {
        filter.adopt_posture_half(&self.filter);
        self.filter = filter;
    }

    /// The posture half of a sample: angles, state, rules and the summary, for `pose`.
    fn posture(&mut self, s: &ImuSample, pose: Pose, dt_s: f64, events: &mut Vec<Event>) -> Step {
        let angles = self
            .calibration
            .as_ref()
            .map(|cal| trunk_angles_deg(cal, &pose.up_in_sensor()));
        let state = self
            .classifier
            .update(&self.config, s.t_s, dt_s, &s.accel_g, angles.as_ref());
        let flexion_deg = angles.map(|a| a.flexion_deg);
        self.rules
            .update(&self.config, s.t_s, state, flexion_deg, events);

        self.summary.samples += 1;
        self.summary.monitored_s += dt_s;
        self.summary.state_s[state.index()] += dt_s;
        let step = Step {
            pose,
            posture: PostureUpdate {
                t_s: s.t_s,
                flexion_deg,
                lateral_deg: angles.map(|a| a.lateral_deg),
                state,
            },
        };
        self.last = Some(step);
        step
    }

    /// The session is over (end of file, recording stopped): closes a slouch still in progress
    /// so the summary counts it.
    pub fn finish(&mut self, events: &mut Vec<Event>) {
        if let Some(t) = self.last_t_s {
            self.rules.finish(t, events);
        }
    }

    /// Called by a live source when time passes with no samples: after `sensor_gap_s` of
    /// silence the state is `no_data`.
    pub fn idle(&self, now_s: f64) -> Option<PostureUpdate> {
        let last = self.last_t_s?;
        (now_s - last > self.config.sensor_gap_s).then_some(PostureUpdate {
            t_s: now_s,
            flexion_deg: None,
            lateral_deg: None,
            state: PostureState::NoData,
        })
    }

    /// The sensor was lost and is back: forget the orientation (the sensor may have moved while
    /// unplugged), keep the gyroscope bias.
    pub fn restart_filter(&mut self) {
        self.filter.restart();
    }
}

/// Collects the up direction during the two calibration windows, for [`Calibration::from_windows`].
#[derive(Debug, Clone, Default)]
pub struct WindowCapture {
    pub upright: Vec<CalibrationSample>,
    pub forward: Vec<CalibrationSample>,
}

impl WindowCapture {
    /// Adds a pose if its time falls in one of the windows.
    pub fn add(&mut self, windows: &CalibrationWindows, s: &ImuSample, pose: &Pose) {
        let inside = |(a, b): (f64, f64)| (a..=b).contains(&s.t_s);
        let sample = || CalibrationSample {
            up_s: pose.up_in_sensor(),
            gyro_dps: (s.gyro_dps - pose.gyro_bias_dps).norm(),
        };
        if inside(windows.upright_s) {
            self.upright.push(sample());
        }
        if inside(windows.forward_s) {
            self.forward.push(sample());
        }
    }

    pub fn calibrate(
        &self,
        config: &Config,
        previous: Option<&Calibration>,
    ) -> Result<Calibration, CalibrationError> {
        Calibration::from_windows(&self.upright, &self.forward, previous, &config.calibration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_is_reported_and_excluded_from_monitored_time() {
        let mut p = Pipeline::new(Config::default(), None);
        let mut events = Vec::new();
        for i in 0..100 {
            p.process(
                &ImuSample::new(i as f64 * 0.01, [0.0, 0.0, 1.0], [0.0; 3]),
                &mut events,
            );
        }
        p.process(&ImuSample::new(5.0, [0.0, 0.0, 1.0], [0.0; 3]), &mut events);
        assert_eq!(events.len(), 1);
        assert!(
            matches!(events[0].kind, EventKind::SensorGap { duration_s, .. } if (duration_s - 4.01).abs() < 1e-9)
        );
        let s = p.summary();
        assert!((s.monitored_s - 0.99).abs() < 1e-9);
        assert_eq!(s.sensor_gaps, 1);
        assert_eq!(
            p.last().map(|s| s.posture.state),
            Some(PostureState::Uncalibrated)
        );
        assert_eq!(p.idle(7.0).map(|u| u.state), Some(PostureState::NoData));
        assert_eq!(p.idle(5.5), None);
    }
}
