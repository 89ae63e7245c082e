//! Alert rules: prolonged slouching and long sitting. Pure: the time comes in with every call,
//! nothing reads a clock, so replay at any speed gives the same events as live.
//!
//! Slouch: an episode starts when flexion reaches `slouch_threshold_deg` (not while moving or
//! leaning back). The first alert comes once it has been held `slouch_delay_s`, then every
//! `slouch_repeat_s` while it lasts. It ends only after flexion stays below `slouch_release_deg` for
//! `slouch_release_s`, so straightening up for a moment does not reset the clock, while a reach
//! shorter than the delay never alerts.
//!
//! Breaks: sitting time accumulates while not moving; movement held for `break_min_s` is a break
//! and resets it; a reminder comes after `break_interval_s`, then every `break_repeat_s`.
//!
//! Snooze suppresses alerts and reminders (they are counted, and fire once the snooze ends if the
//! condition still holds); it never stops measuring or recording.

use serde::{Deserialize, Serialize};

use super::classify::PostureState;
use super::config::Config;
use super::exercises::EXERCISES;

/// Something that happened, at session time `time_s` (seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub time_s: f64,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened. Serialized with a `kind` field (`slouch_alert`, `slouch_end`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// Slouched for `held_s` seconds (since `start_s`); `repeat` counts from 0.
    SlouchAlert {
        start_s: f64,
        held_s: f64,
        flexion_deg: f64,
        repeat: u32,
    },
    /// A sustained slouch (held at least the delay) ended; flexion was back below the release
    /// angle from `end_s`.
    SlouchEnd {
        start_s: f64,
        end_s: f64,
        duration_s: f64,
        alerts: u32,
    },
    /// Sat `sitting_s` seconds without a movement break.
    BreakReminder {
        sitting_s: f64,
        exercise: String,
        dose: String,
    },
    /// A movement break long enough to reset the sitting clock (moving since `start_s`).
    BreakTaken { start_s: f64 },
    /// No samples from `from_s` for `duration_s` seconds (dropped data or sensor off).
    SensorGap { from_s: f64, duration_s: f64 },
    /// The live sensor stopped answering (unplugged, powered off).
    SensorLost { reason: String },
    /// The live sensor is back after `gap_s` seconds.
    SensorBack { gap_s: f64 },
    /// Alerts are snoozed until `until_s` (session time), or unsnoozed when `None`.
    Snooze { until_s: Option<f64> },
    /// An alert (`slouch_alert` or `break_reminder`) was due but held back by a snooze (meeting
    /// mode and quiet hours are snoozes too); once per held-back alert.
    HeldBack { alert: String },
    /// A calibration was taken (`calibration` in the session-metadata form).
    Calibrated { calibration: String },
    /// A calibration attempt was rejected, with the reason shown to the wearer.
    CalibrationFailed { reason: String },
}

/// Rounds a computed time to the microsecond, so event files show `60.0`, not
/// `60.00000000000001` (sample times are given to the microsecond at most).
fn round_us(seconds: f64) -> f64 {
    (seconds * 1e6).round() / 1e6
}

impl Event {
    /// Appends the event as one line of JSON (the events-file format: `time_s`, `kind`, fields).
    pub fn write_json_line(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer(&mut *out, self)?;
        out.write_all(b"\n")
    }
}

impl EventKind {
    /// The `kind` string used in files.
    pub fn name(&self) -> &'static str {
        match self {
            Self::SlouchAlert { .. } => "slouch_alert",
            Self::SlouchEnd { .. } => "slouch_end",
            Self::BreakReminder { .. } => "break_reminder",
            Self::BreakTaken { .. } => "break_taken",
            Self::SensorGap { .. } => "sensor_gap",
            Self::SensorLost { .. } => "sensor_lost",
            Self::SensorBack { .. } => "sensor_back",
            Self::Snooze { .. } => "snooze",
            Self::HeldBack { .. } => "held_back",
            Self::Calibrated { .. } => "calibrated",
            Self::CalibrationFailed { .. } => "calibration_failed",
        }
    }
}

/// Counts for the session summary.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RuleStats {
    /// Slouches held at least the alert delay.
    pub slouch_episodes: u32,
    pub longest_slouch_s: f64,
    pub slouch_alerts: u32,
    pub break_reminders: u32,
    pub breaks_taken: u32,
    /// Alerts and reminders that a snooze held back.
    pub suppressed: u32,
}

#[derive(Debug, Clone, Copy)]
struct SlouchEpisode {
    start_s: f64,
    /// Since when flexion is below the release angle (episode ends after `slouch_release_s`).
    below_since_s: Option<f64>,
    next_alert_s: f64,
    alerts: u32,
    /// Held at least the delay: reported as an episode when it ends.
    sustained: bool,
    /// The alert now due was held back by a snooze (counted once).
    held_back: bool,
}

/// What the slouch rule found to do for a sample, beyond updating the episode.
#[derive(Debug, Clone, Copy)]
enum SlouchDue {
    Nothing,
    /// The episode ends: flexion was released from `below_since_s`.
    End {
        below_since_s: f64,
    },
    /// The alert is due (it fires unless snoozed); the flexion that counted.
    Alert {
        flexion: Option<f64>,
    },
}

/// The rule state machine.
#[derive(Debug, Clone)]
pub struct Rules {
    episode: Option<SlouchEpisode>,
    sitting_s: f64,
    moving_since_s: Option<f64>,
    break_credited: bool,
    next_reminder_s: Option<f64>,
    /// The reminder now due was held back by a snooze (counted once).
    reminder_held_back: bool,
    exercise_index: usize,
    snooze_until_s: Option<f64>,
    last_t_s: Option<f64>,
    stats: RuleStats,
}

impl Default for Rules {
    fn default() -> Self {
        Self::new()
    }
}

impl Rules {
    pub fn new() -> Self {
        Self {
            episode: None,
            sitting_s: 0.0,
            moving_since_s: None,
            break_credited: false,
            next_reminder_s: None,
            reminder_held_back: false,
            exercise_index: 0,
            snooze_until_s: None,
            last_t_s: None,
            stats: RuleStats::default(),
        }
    }

    pub fn stats(&self) -> &RuleStats {
        &self.stats
    }

    /// Seconds sat since the last movement break.
    pub fn sitting_s(&self) -> f64 {
        self.sitting_s
    }

    /// Start of the current slouch (flexion above threshold), if any, seconds.
    pub fn slouch_started_s(&self) -> Option<f64> {
        self.episode.map(|e| e.start_s)
    }

    /// Until when alerts are snoozed (session time, seconds).
    pub fn snoozed_until_s(&self) -> Option<f64> {
        self.snooze_until_s
    }

    /// Snoozes alerts until `until_s` (session time), or ends the snooze with `None`.
    pub fn snooze(&mut self, now_s: f64, until_s: Option<f64>, out: &mut Vec<Event>) {
        self.snooze_until_s = until_s;
        out.push(Event {
            time_s: now_s,
            kind: EventKind::Snooze { until_s },
        });
    }

    fn snoozed(&self, t_s: f64) -> bool {
        self.snooze_until_s.is_some_and(|until| t_s < until)
    }

    /// No samples between `from_s` and `to_s`. A gap longer than the release time ends a slouch
    /// (at `from_s`); one longer than a break counts as a break (the wearer was away).
    pub fn gap(&mut self, cfg: &Config, from_s: f64, to_s: f64, out: &mut Vec<Event>) {
        let gap = to_s - from_s;
        if gap >= cfg.slouch_release_s {
            self.end_episode(from_s, to_s, out);
        }
        if gap >= cfg.break_min_s {
            self.sitting_s = 0.0;
            self.next_reminder_s = None;
        }
        self.moving_since_s = None;
        self.last_t_s = Some(to_s);
    }

    #[cold]
    #[inline(never)]
    fn end_episode(&mut self, end_s: f64, now_s: f64, out: &mut Vec<Event>) {
        let Some(ep) = self.episode.take() else {
            return;
        };
        if ep.sustained {
            let duration_s = round_us(end_s - ep.start_s);
            self.stats.slouch_episodes += 1;
            self.stats.longest_slouch_s = self.stats.longest_slouch_s.max(duration_s);
            out.push(Event {
                time_s: now_s,
                kind: EventKind::SlouchEnd {
                    start_s: ep.start_s,
                    end_s,
                    duration_s,
                    alerts: ep.alerts,
                },
            });
        }
    }

    /// The session ends at `end_s`: a slouch still going is closed there (reported with a
    /// `slouch_end` if it was sustained), so the summary counts it.
    pub fn finish(&mut self, end_s: f64, out: &mut Vec<Event>) {
        let end = self.episode.and_then(|e| e.below_since_s).unwrap_or(end_s);
        self.end_episode(end, end_s, out);
    }

    /// Feeds one classified sample at session time `t_s`.
    pub fn update(
        &mut self,
        cfg: &Config,
        t_s: f64,
        state: PostureState,
        flexion_deg: Option<f64>,
        out: &mut Vec<Event>,
    ) {
        let dt_s = self
            .last_t_s
            .map_or(0.0, |last| (t_s - last).clamp(0.0, cfg.sensor_gap_s));
        self.last_t_s = Some(t_s);
        match self.update_slouch(cfg, t_s, state, flexion_deg) {
            SlouchDue::Nothing => self.update_breaks(cfg, t_s, dt_s, state, out),
            due => self.slouch_due_then_breaks(cfg, t_s, dt_s, state, due, out),
        }
    }

    /// [`Self::update`] of a sample whose slouch rule has an event to make: it is made, then
    /// the break rule runs as for any sample.
    ///
    /// Why apart: with the event made in line, `update` kept its arguments in saved registers
    /// for the call, a frame of 12 instructions on every sample; every call from `update` is
    /// now its last act, a jump.
    #[cold]
    #[inline(never)]
    fn slouch_due_then_breaks(
        &mut self,
        cfg: &Config,
        t_s: f64,
        dt_s: f64,
        state: PostureState,
        due: SlouchDue,
        out: &mut Vec<Event>,
    ) {
        match due {
            SlouchDue::Nothing => {}
            SlouchDue::End { below_since_s } => self.end_episode(below_since_s, t_s, out),
            SlouchDue::Alert { flexion } => self.slouch_alert_due(cfg, t_s, flexion, out),
        }
        self.update_breaks(cfg, t_s, dt_s, state, out);
    }

    /// The slouch rule for one sample, up to an event: the episode is updated where it is
    /// (copying it out and back cost about 10 instructions a sample while one was going), and
    /// an event to make (the episode ends, an alert is due) is returned, for
    /// [`Self::slouch_due_then_breaks`] to make out of line.
    #[inline(always)]
    fn update_slouch(
        &mut self,
        cfg: &Config,
        t_s: f64,
        state: PostureState,
        flexion_deg: Option<f64>,
    ) -> SlouchDue {
        let posture_counts = !matches!(
            state,
            PostureState::Moving | PostureState::LeaningBack | PostureState::NoData
        );
        let flexion = flexion_deg.filter(|_| posture_counts);
        let above = flexion.is_some_and(|f| f >= cfg.slouch_threshold_deg);
        let released = flexion.is_none_or(|f| f < cfg.slouch_release_deg);

        if self.episode.is_none() && !above {
            return SlouchDue::Nothing;
        }
        let ep = match &mut self.episode {
            Some(ep) => ep,
            none => none.insert(SlouchEpisode {
                start_s: t_s,
                below_since_s: None,
                next_alert_s: t_s + cfg.slouch_delay_s,
                alerts: 0,
                sustained: false,
                held_back: false,
            }),
        };
        if released {
            let since = *ep.below_since_s.get_or_insert(t_s);
            if t_s - since >= cfg.slouch_release_s {
                return SlouchDue::End {
                    below_since_s: since,
                };
            }
        } else {
            ep.below_since_s = None;
        }
        // Held for the delay while still slouched (not while already sitting up again during
        // the release countdown): only then is it an episode worth reporting.
        if ep.below_since_s.is_none() {
            if t_s - ep.start_s >= cfg.slouch_delay_s {
                ep.sustained = true;
            }
            if t_s >= ep.next_alert_s {
                return SlouchDue::Alert { flexion };
            }
        }
        SlouchDue::Nothing
    }

    /// The slouch alert is due at `t_s` (the episode goes on, flexion not released): it fires,
    /// or a snooze holds it back.
    #[cold]
    #[inline(never)]
    fn slouch_alert_due(
        &mut self,
        cfg: &Config,
        t_s: f64,
        flexion: Option<f64>,
        out: &mut Vec<Event>,
    ) {
        let snoozed = self.snoozed(t_s);
        let Some(ep) = &mut self.episode else {
            return;
        };
        if snoozed {
            // Held back; it fires as soon as the snooze ends if the slouch goes on.
            if !ep.held_back {
                ep.held_back = true;
                self.stats.suppressed += 1;
                out.push(Event {
                    time_s: t_s,
                    kind: EventKind::HeldBack {
                        alert: "slouch_alert".into(),
                    },
                });
            }
        } else {
            out.push(Event {
                time_s: t_s,
                kind: EventKind::SlouchAlert {
                    start_s: ep.start_s,
                    held_s: round_us(t_s - ep.start_s),
                    flexion_deg: flexion.map_or(f64::NAN, |f| (f * 1e3).round() / 1e3),
                    repeat: ep.alerts,
                },
            });
            ep.alerts += 1;
            ep.held_back = false;
            self.stats.slouch_alerts += 1;
            ep.next_alert_s = t_s + cfg.slouch_repeat_s;
        }
    }

    /// The break rule for one sample; as [`Self::update_slouch`], what makes an event is out of
    /// line ([`Self::take_break`], [`Self::reminder_due`]).
    #[inline(always)]
    fn update_breaks(
        &mut self,
        cfg: &Config,
        t_s: f64,
        dt_s: f64,
        state: PostureState,
        out: &mut Vec<Event>,
    ) {
        match state {
            PostureState::Moving => {
                let since = *self.moving_since_s.get_or_insert(t_s);
                if !self.break_credited && t_s - since >= cfg.break_min_s {
                    self.take_break(t_s, since, out);
                }
                return;
            }
            PostureState::NoData => return,
            _ => {
                self.moving_since_s = None;
                self.break_credited = false;
                self.sitting_s += dt_s;
            }
        }
        if self.sitting_s < cfg.break_interval_s {
            return;
        }
        let due = *self.next_reminder_s.get_or_insert(t_s);
        if t_s < due {
            return;
        }
        self.reminder_due(cfg, t_s, out);
    }

    /// Moving since `since_s` is long enough for a break, at `t_s`.
    #[cold]
    #[inline(never)]
    fn take_break(&mut self, t_s: f64, since_s: f64, out: &mut Vec<Event>) {
        self.break_credited = true;
        self.sitting_s = 0.0;
        self.next_reminder_s = None;
        self.stats.breaks_taken += 1;
        out.push(Event {
            time_s: t_s,
            kind: EventKind::BreakTaken { start_s: since_s },
        });
    }

    /// The break reminder is due at `t_s`: it comes, or a snooze holds it back.
    #[cold]
    #[inline(never)]
    fn reminder_due(&mut self, cfg: &Config, t_s: f64, out: &mut Vec<Event>) {
        if self.snoozed(t_s) {
            if !self.reminder_held_back {
                self.reminder_held_back = true;
                self.stats.suppressed += 1;
                out.push(Event {
                    time_s: t_s,
                    kind: EventKind::HeldBack {
                        alert: "break_reminder".into(),
                    },
                });
            }
            return;
        }
        self.reminder_held_back = false;
        let exercise = EXERCISES[self.exercise_index % EXERCISES.len()];
        self.exercise_index += 1;
        self.stats.break_reminders += 1;
        self.next_reminder_s = Some(t_s + cfg.break_repeat_s);
        out.push(Event {
            time_s: t_s,
            kind: EventKind::BreakReminder {
                sitting_s: round_us(self.sitting_s),
                exercise: exercise.name.to_string(),
                dose: exercise.dose.to_string(),
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy of the rules as they were before their hot path was reworked (the episode copied
    /// out and back, events made in line), to check the rework changes nothing.
    mod old {
        use super::super::{EventKind, RuleStats, round_us};
        use crate::posture::exercises::EXERCISES;
        use crate::posture::{Config, Event, PostureState};

        #[derive(Debug, Clone, Copy)]
        struct OldEpisode {
            start_s: f64,
            /// Since when flexion is below the release angle (episode ends after `slouch_release_s`).
            below_since_s: Option<f64>,
            next_alert_s: f64,
            alerts: u32,
            /// Held at least the delay: reported as an episode when it ends.
            sustained: bool,
            /// The alert now due was held back by a snooze (counted once).
            held_back: bool,
        }

        /// The rule state machine as it was before the rework (a reference for the differential test).
        #[derive(Debug, Clone)]
        pub struct OldRules {
            episode: Option<OldEpisode>,
            sitting_s: f64,
            moving_since_s: Option<f64>,
            break_credited: bool,
            next_reminder_s: Option<f64>,
            /// The reminder now due was held back by a snooze (counted once).
            reminder_held_back: bool,
            exercise_index: usize,
            snooze_until_s: Option<f64>,
            last_t_s: Option<f64>,
            stats: RuleStats,
        }

        impl OldRules {
            pub fn new() -> Self {
                Self {
                    episode: None,
                    sitting_s: 0.0,
                    moving_since_s: None,
                    break_credited: false,
                    next_reminder_s: None,
                    reminder_held_back: false,
                    exercise_index: 0,
                    snooze_until_s: None,
                    last_t_s: None,
                    stats: RuleStats::default(),
                }
            }

            pub fn stats(&self) -> &RuleStats {
                &self.stats
            }

            /// Seconds sat since the last movement break.
            pub fn sitting_s(&self) -> f64 {
                self.sitting_s
            }

            /// Start of the current slouch (flexion above threshold), if any, seconds.
            pub fn slouch_started_s(&self) -> Option<f64> {
                self.episode.map(|e| e.start_s)
            }

            /// Until when alerts are snoozed (session time, seconds).
            pub fn snoozed_until_s(&self) -> Option<f64> {
                self.snooze_until_s
            }

            /// Snoozes alerts until `until_s` (session time), or ends the snooze with `None`.
            pub fn snooze(&mut self, now_s: f64, until_s: Option<f64>, out: &mut Vec<Event>) {
                self.snooze_until_s = until_s;
                out.push(Event {
                    time_s: now_s,
                    kind: EventKind::Snooze { until_s },
                });
            }

            fn snoozed(&self, t_s: f64) -> bool {
                self.snooze_until_s.is_some_and(|until| t_s < until)
            }

            /// No samples between `from_s` and `to_s`. A gap longer than the release time ends a slouch
            /// (at `from_s`); one longer than a break counts as a break (the wearer was away).
            pub fn gap(&mut self, cfg: &Config, from_s: f64, to_s: f64, out: &mut Vec<Event>) {
                let gap = to_s - from_s;
                if gap >= cfg.slouch_release_s {
                    self.end_episode(from_s, to_s, out);
                }
                if gap >= cfg.break_min_s {
                    self.sitting_s = 0.0;
                    self.next_reminder_s = None;
                }
                self.moving_since_s = None;
                self.last_t_s = Some(to_s);
            }

            fn end_episode(&mut self, end_s: f64, now_s: f64, out: &mut Vec<Event>) {
                let Some(ep) = self.episode.take() else {
                    return;
                };
                if ep.sustained {
                    let duration_s = round_us(end_s - ep.start_s);
                    self.stats.slouch_episodes += 1;
                    self.stats.longest_slouch_s = self.stats.longest_slouch_s.max(duration_s);
                    out.push(Event {
                        time_s: now_s,
                        kind: EventKind::SlouchEnd {
                            start_s: ep.start_s,
                            end_s,
                            duration_s,
                            alerts: ep.alerts,
                        },
                    });
                }
            }

            /// The session ends at `end_s`: a slouch still going is closed there (reported with a
            /// `slouch_end` if it was sustained), so the summary counts it.
            pub fn finish(&mut self, end_s: f64, out: &mut Vec<Event>) {
                let end = self.episode.and_then(|e| e.below_since_s).unwrap_or(end_s);
                self.end_episode(end, end_s, out);
            }

            /// Feeds one classified sample at session time `t_s`.
            pub fn update(
                &mut self,
                cfg: &Config,
                t_s: f64,
                state: PostureState,
                flexion_deg: Option<f64>,
                out: &mut Vec<Event>,
            ) {
                let dt_s = self
                    .last_t_s
                    .map_or(0.0, |last| (t_s - last).clamp(0.0, cfg.sensor_gap_s));
                self.last_t_s = Some(t_s);
                self.update_slouch(cfg, t_s, state, flexion_deg, out);
                self.update_breaks(cfg, t_s, dt_s, state, out);
            }

            fn update_slouch(
                &mut self,
                cfg: &Config,
                t_s: f64,
                state: PostureState,
                flexion_deg: Option<f64>,
                out: &mut Vec<Event>,
            ) {
                let posture_counts = !matches!(
                    state,
                    PostureState::Moving | PostureState::LeaningBack | PostureState::NoData
                );
                let flexion = flexion_deg.filter(|_| posture_counts);
                let above = flexion.is_some_and(|f| f >= cfg.slouch_threshold_deg);
                let released = flexion.is_none_or(|f| f < cfg.slouch_release_deg);

                if self.episode.is_none() && above {
                    self.episode = Some(OldEpisode {
                        start_s: t_s,
                        below_since_s: None,
                        next_alert_s: t_s + cfg.slouch_delay_s,
                        alerts: 0,
                        sustained: false,
                        held_back: false,
                    });
                }
                let Some(mut ep) = self.episode else { return };
                if released {
                    let since = *ep.below_since_s.get_or_insert(t_s);
                    if t_s - since >= cfg.slouch_release_s {
                        self.episode = Some(ep);
                        self.end_episode(since, t_s, out);
                        return;
                    }
                } else {
                    ep.below_since_s = None;
                }
                // Held for the delay while still slouched (not while already sitting up again during
                // the release countdown): only then is it an episode worth reporting.
                if ep.below_since_s.is_none() && t_s - ep.start_s >= cfg.slouch_delay_s {
                    ep.sustained = true;
                }
                if ep.below_since_s.is_none() && t_s >= ep.next_alert_s {
                    if self.snoozed(t_s) {
                        // Held back; it fires as soon as the snooze ends if the slouch goes on.
                        if !ep.held_back {
                            ep.held_back = true;
                            self.stats.suppressed += 1;
                            out.push(Event {
                                time_s: t_s,
                                kind: EventKind::HeldBack {
                                    alert: "slouch_alert".into(),
                                },
                            });
                        }
                    } else {
                        out.push(Event {
                            time_s: t_s,
                            kind: EventKind::SlouchAlert {
                                start_s: ep.start_s,
                                held_s: round_us(t_s - ep.start_s),
                                flexion_deg: flexion.map_or(f64::NAN, |f| (f * 1e3).round() / 1e3),
                                repeat: ep.alerts,
                            },
                        });
                        ep.alerts += 1;
                        ep.held_back = false;
                        self.stats.slouch_alerts += 1;
                        ep.next_alert_s = t_s + cfg.slouch_repeat_s;
                    }
                }
                self.episode = Some(ep);
            }

            fn update_breaks(
                &mut self,
                cfg: &Config,
                t_s: f64,
                dt_s: f64,
                state: PostureState,
                out: &mut Vec<Event>,
            ) {
                match state {
                    PostureState::Moving => {
                        let since = *self.moving_since_s.get_or_insert(t_s);
                        if !self.break_credited && t_s - since >= cfg.break_min_s {
                            self.break_credited = true;
                            self.sitting_s = 0.0;
                            self.next_reminder_s = None;
                            self.stats.breaks_taken += 1;
                            out.push(Event {
                                time_s: t_s,
                                kind: EventKind::BreakTaken { start_s: since },
                            });
                        }
                        return;
                    }
                    PostureState::NoData => return,
                    _ => {
                        self.moving_since_s = None;
                        self.break_credited = false;
                        self.sitting_s += dt_s;
                    }
                }
                if self.sitting_s < cfg.break_interval_s {
                    return;
                }
                let due = *self.next_reminder_s.get_or_insert(t_s);
                if t_s < due {
                    return;
                }
                if self.snoozed(t_s) {
                    if !self.reminder_held_back {
                        self.reminder_held_back = true;
                        self.stats.suppressed += 1;
                        out.push(Event {
                            time_s: t_s,
                            kind: EventKind::HeldBack {
                                alert: "break_reminder".into(),
                            },
                        });
                    }
                    return;
                }
                self.reminder_held_back = false;
                let exercise = EXERCISES[self.exercise_index % EXERCISES.len()];
                self.exercise_index += 1;
                self.stats.break_reminders += 1;
                self.next_reminder_s = Some(t_s + cfg.break_repeat_s);
                out.push(Event {
                    time_s: t_s,
                    kind: EventKind::BreakReminder {
                        sitting_s: round_us(self.sitting_s),
                        exercise: exercise.name.to_string(),
                        dose: exercise.dose.to_string(),
                    },
                });
            }
        }
    }

    /// Runs the rules at 10 Hz over a flexion profile `f(t)` for `seconds`.
    fn run(cfg: &Config, seconds: f64, f: impl Fn(f64) -> (PostureState, f64)) -> Vec<Event> {
        let mut rules = Rules::new();
        let mut out = Vec::new();
        let mut t = 0.0;
        while t <= seconds {
            let (state, flexion) = f(t);
            rules.update(cfg, t, state, Some(flexion), &mut out);
            t += 0.1;
        }
        out
    }

    fn kinds(events: &[Event]) -> Vec<(&'static str, i64)> {
        events
            .iter()
            .map(|e| (e.kind.name(), e.time_s.round() as i64))
            .collect()
    }

    fn seated(f: f64) -> (PostureState, f64) {
        let state = if f >= 20.0 {
            PostureState::Slouched
        } else {
            PostureState::Upright
        };
        (state, f)
    }

    #[test]
    fn held_slouch_alerts_after_the_delay_and_repeats() {
        let cfg = Config::default();
        let ev = run(&cfg, 800.0, |t| {
            seated(if (100.0..750.0).contains(&t) {
                30.0
            } else {
                2.0
            })
        });
        assert_eq!(
            kinds(&ev),
            vec![
                ("slouch_alert", 160),
                ("slouch_alert", 460),
                ("slouch_end", 753)
            ]
        );
        if let EventKind::SlouchEnd {
            duration_s, alerts, ..
        } = ev[2].kind
        {
            assert!((duration_s - 650.0).abs() < 0.2);
            assert_eq!(alerts, 2);
        }
    }

    #[test]
    fn a_slouch_shorter_than_the_delay_is_not_an_episode() {
        let cfg = Config::default();
        // Slouched for 58 s: the 3 s release countdown passes the 60 s mark, but the wearer had
        // already sat up.
        let ev = run(&cfg, 120.0, |t| {
            seated(if (10.0..68.0).contains(&t) { 30.0 } else { 2.0 })
        });
        assert!(ev.is_empty(), "{ev:?}");
    }

    #[test]
    fn a_slouch_still_going_at_the_end_is_closed_and_counted() {
        let cfg = Config::default();
        let mut rules = Rules::new();
        let mut out = Vec::new();
        let mut t = 0.0;
        while t <= 200.0 {
            let f = if t >= 10.0 { 30.0 } else { 2.0 };
            rules.update(&cfg, t, seated(f).0, Some(f), &mut out);
            t += 0.1;
        }
        rules.finish(200.0, &mut out);
        assert_eq!(kinds(&out), vec![("slouch_alert", 70), ("slouch_end", 200)]);
        assert_eq!(rules.stats().slouch_episodes, 1);
        assert!((rules.stats().longest_slouch_s - 190.0).abs() < 0.2);
    }

    #[test]
    fn brief_reaches_lean_back_and_walking_never_alert() {
        let cfg = Config::default();
        let reach = |t: f64| seated(if (t % 60.0) < 40.0 { 45.0 } else { 0.0 });
        assert!(run(&cfg, 600.0, reach).is_empty());
        let lean_back = |_t: f64| (PostureState::LeaningBack, -25.0);
        assert!(run(&cfg, 600.0, lean_back).is_empty());
        // Walking with a forward-tilted trunk is still walking.
        let walk = |_t: f64| (PostureState::Moving, 25.0);
        let ev = run(&cfg, 600.0, walk);
        assert!(ev.iter().all(|e| e.kind.name() == "break_taken"));
    }

    #[test]
    fn straightening_briefly_does_not_reset_the_clock() {
        let cfg = Config::default();
        // Slouched from 10 s, up for 2 s at 40 s, slouched again: alert still at 70 s.
        let ev = run(&cfg, 100.0, |t| {
            seated(if (40.0..42.0).contains(&t) {
                5.0
            } else if t >= 10.0 {
                25.0
            } else {
                0.0
            })
        });
        assert_eq!(kinds(&ev), vec![("slouch_alert", 70)]);
        // Between release and threshold (15–20°) the episode continues.
        let ev = run(&cfg, 100.0, |t| {
            seated(if (10.0..30.0).contains(&t) {
                25.0
            } else if t >= 30.0 {
                17.0
            } else {
                0.0
            })
        });
        assert_eq!(kinds(&ev), vec![("slouch_alert", 70)]);
    }

    #[test]
    fn snooze_holds_alerts_back_until_it_ends() {
        let cfg = Config::default();
        let mut rules = Rules::new();
        let mut out = Vec::new();
        rules.snooze(0.0, Some(200.0), &mut out);
        let mut t = 0.0;
        while t <= 300.0 {
            rules.update(&cfg, t, PostureState::Slouched, Some(30.0), &mut out);
            t += 0.1;
        }
        assert_eq!(
            kinds(&out),
            vec![("snooze", 0), ("held_back", 60), ("slouch_alert", 200)]
        );
        assert_eq!(rules.stats().suppressed, 1);
    }

    #[test]
    fn break_reminder_after_long_sitting_and_a_walk_resets_it() {
        let cfg = Config::default();
        let ev = run(&cfg, 2800.0, |_| seated(3.0));
        assert_eq!(kinds(&ev), vec![("break_reminder", 2700)]);
        assert!(
            matches!(&ev[0].kind, EventKind::BreakReminder { exercise, .. } if !exercise.is_empty())
        );

        // Sit 30 min, walk 3 min, sit 30 min: no reminder (the walk was a break).
        let ev = run(&cfg, 3780.0, |t| {
            if (1800.0..1980.0).contains(&t) {
                (PostureState::Moving, 0.0)
            } else {
                seated(3.0)
            }
        });
        assert_eq!(kinds(&ev), vec![("break_taken", 1920)]);

        // A 1-minute walk is not a break: the reminder still comes, at 45 min of sitting.
        let ev = run(&cfg, 2900.0, |t| {
            if (1800.0..1860.0).contains(&t) {
                (PostureState::Moving, 0.0)
            } else {
                seated(3.0)
            }
        });
        assert_eq!(kinds(&ev), vec![("break_reminder", 2760)]);
    }

    #[test]
    fn events_serialize_with_time_and_kind() {
        let e = Event {
            time_s: 1.5,
            kind: EventKind::SensorGap {
                from_s: 0.5,
                duration_s: 1.0,
            },
        };
        let json = serde_json::to_string(&e).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"time_s":1.5,"kind":"sensor_gap","from_s":0.5,"duration_s":1.0}"#
        );
        let back: Result<Event, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(e));
    }

    use super::super::test_rng::Rng;

    /// Configs with short delays, so episodes, alerts, releases, breaks and reminders come
    /// often; one with the release angle above the threshold (both can hold at once).
    fn quick_configs() -> Vec<Config> {
        let quick = Config {
            slouch_delay_s: 2.0,
            slouch_repeat_s: 3.0,
            slouch_release_s: 1.0,
            break_min_s: 4.0,
            break_interval_s: 20.0,
            break_repeat_s: 7.0,
            sensor_gap_s: 0.5,
            ..Config::default()
        };
        let odd = Config {
            slouch_threshold_deg: 15.0,
            slouch_release_deg: 18.0,
            ..quick.clone()
        };
        vec![Config::default(), quick, odd]
    }

    /// The reworked rules give exactly the events (to the bit), counts and clocks of the old
    /// ones over long random streams: states held for a while and switching, flexion wandering
    /// across the thresholds (sometimes missing), uneven and backward time steps, gaps, snoozes
    /// and the session's end.
    #[test]
    fn the_reworked_rules_match_the_old_ones_exactly() {
        let states = PostureState::ALL;
        let mut compared = 0usize;
        let mut kinds_seen = std::collections::BTreeSet::new();
        for (c, cfg) in quick_configs().iter().enumerate() {
            for seed in 1..=8u64 {
                let mut rng = Rng::seeded(seed, c as u64);
                let (mut new, mut old) = (Rules::new(), old::OldRules::new());
                let (mut new_out, mut old_out) = (Vec::new(), Vec::new());
                let mut t = 0.0;
                let mut state = PostureState::Upright;
                let mut flexion = 5.0;
                for _ in 0..60_000 {
                    let r = rng.unit();
                    if r < 0.002 {
                        let to = t + rng.unit() * 10.0;
                        new.gap(cfg, t, to, &mut new_out);
                        old.gap(cfg, t, to, &mut old_out);
                        t = to;
                    } else if r < 0.003 {
                        let until = (rng.unit() < 0.7).then(|| t + rng.unit() * 30.0);
                        new.snooze(t, until, &mut new_out);
                        old.snooze(t, until, &mut old_out);
                    }
                    if rng.unit() < 0.01 {
                        state = states[(rng.next() % states.len() as u64) as usize];
                    }
                    flexion = (flexion + (rng.unit() - 0.5) * 4.0).clamp(-30.0, 50.0);
                    let f = (rng.unit() > 0.01).then_some(flexion);
                    t += match rng.next() % 100 {
                        0 => -0.05,
                        1 => 0.7,
                        2..=5 => rng.unit() * 0.1,
                        _ => 0.01,
                    };
                    new.update(cfg, t, state, f, &mut new_out);
                    old.update(cfg, t, state, f, &mut old_out);
                    assert_eq!(new.sitting_s().to_bits(), old.sitting_s().to_bits());
                    assert_eq!(new.snoozed_until_s(), old.snoozed_until_s());
                    assert_eq!(
                        new.slouch_started_s().map(f64::to_bits),
                        old.slouch_started_s().map(f64::to_bits)
                    );
                    compared += 1;
                }
                new.finish(t, &mut new_out);
                old.finish(t, &mut old_out);
                // Debug shows every field of every event, NaN included (which `==` would not
                // take as equal), and the shortest text that gives back each float's bits.
                let text = |e: &Event| format!("{e:?}");
                let first_difference = new_out
                    .iter()
                    .map(text)
                    .zip(old_out.iter().map(text))
                    .find(|(a, b)| a != b);
                assert_eq!(first_difference, None, "config {c} seed {seed}");
                assert_eq!(new_out.len(), old_out.len(), "config {c} seed {seed}");
                assert_eq!(format!("{:?}", new.stats()), format!("{:?}", old.stats()));
                kinds_seen.extend(new_out.iter().map(|e| e.kind.name()));
            }
        }
        assert_eq!(compared, 3 * 8 * 60_000);
        // Every kind the rules make was made, so every path was compared.
        for kind in [
            "slouch_alert",
            "slouch_end",
            "break_reminder",
            "break_taken",
            "held_back",
        ] {
            assert!(kinds_seen.contains(kind), "no {kind} in {kinds_seen:?}");
        }
    }
}
