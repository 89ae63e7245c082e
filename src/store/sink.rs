//! The history as one more sink of the session driver: every mode that records history (the
//! window's live sensor, `record`, `import`) hands it the same facts, so the history holds what
//! the summary says.
//!
//! The session begins in the history at its first sample, with the wall-clock time of that
//! sample (live) or the file's own start time (import), and ends with the driver's `Finished`.

use std::sync::Arc;

use crate::posture::{Config, EventKind};
use crate::session::{Fact, Sink, SinkError};

use super::feed::{FeedOptions, HistoryFeed};
use super::history::{History, HistorySink};
use super::record::{AlertKind, HoldReason, SessionSource, SessionStart};

/// When the session happened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StartTime {
    /// Live: the wall clock when the first sample arrives.
    Now,
    /// A file: its first sample was taken at this UTC time, seconds since the epoch.
    At { utc_s: f64 },
}

/// Feeds a session into the history.
pub struct HistoryRecorder {
    history: Arc<History>,
    source: SessionSource,
    start: StartTime,
    options: FeedOptions,
    feed: Option<HistoryFeed<HistorySink>>,
    last_t_s: f64,
    hold_reason: HoldReason,
    /// The wall clock the engine last read, UTC s (live sessions): the session's start, and
    /// the check for a wall clock that has jumped ahead.
    wall_utc_s: Option<f64>,
}

/// The wall clock this far ahead of where session time puts the history (ms) is a jump, not
/// drift or latency: a suspend (the monotonic clock the session runs on stops), the clock set
/// forward, an NTP step. A device clock 100 ppm off drifts 9 s a day.
pub const FOLLOW_AHEAD_MS: i64 = 60_000;

impl HistoryRecorder {
    /// A live session (`import == false`) or an imported file (its records wait for room in the
    /// writer's channel instead of ever being dropped).
    pub fn new(
        history: Arc<History>,
        source: SessionSource,
        start: StartTime,
        config: &Config,
        import: bool,
    ) -> Self {
        let options = if import {
            FeedOptions::for_import(config)
        } else {
            FeedOptions::from_config(config)
        };
        Self {
            history,
            source,
            start,
            options,
            feed: None,
            last_t_s: 0.0,
            hold_reason: HoldReason::Snooze,
            wall_utc_s: None,
        }
    }

    /// The wall clock now, UTC seconds since the epoch (a live session's engine tells it after
    /// every poll). A live session starts in the history at this time; when the wall clock is
    /// found more than [`FOLLOW_AHEAD_MS`] ahead of the session's time, the history follows it
    /// forward from the next sample ([`HistoryFeed::shift_forward`]). It never follows it back:
    /// that would store the same hour twice; the session runs on in session time instead.
    pub fn wall_clock(&mut self, utc_s: f64) {
        if utc_s.is_finite() {
            self.wall_utc_s = Some(utc_s);
        }
    }

    /// Why alerts are held back right now (the engine knows: snooze, meeting, quiet hours).
    pub fn set_hold_reason(&mut self, reason: HoldReason) {
        self.hold_reason = reason;
    }

    /// The wearer snoozed in answer to an alert (session time `t_s`).
    pub fn snoozed(&mut self, t_s: f64) {
        if let Some(feed) = &mut self.feed {
            feed.snoozed(t_s);
        }
    }

    pub fn history(&self) -> &Arc<History> {
        &self.history
    }

    /// The session began in the history (a sample arrived).
    pub fn started(&self) -> bool {
        self.feed.is_some()
    }
}

/// Seconds since the Unix epoch now.
pub fn now_utc_s() -> f64 {
    chrono::Utc::now().timestamp_micros() as f64 / 1e6
}

impl Sink for HistoryRecorder {
    fn fact(&mut self, fact: &Fact<'_>) -> Result<(), SinkError> {
        match fact {
            Fact::Sample { sample, step } => {
                let wall_utc_s = self.wall_utc_s.take();
                let fresh = self.feed.is_none();
                let feed = self.feed.get_or_insert_with(|| {
                    let started_utc_s = match self.start {
                        StartTime::Now => wall_utc_s.unwrap_or_else(now_utc_s),
                        StartTime::At { utc_s } => utc_s,
                    };
                    self.history.begin_session(
                        SessionStart {
                            source: self.source.clone(),
                            started_utc_s,
                            t0_s: sample.t_s,
                        },
                        self.options,
                    )
                });
                if let (false, StartTime::Now, Some(wall)) = (fresh, self.start, wall_utc_s) {
                    let ahead_ms = (wall * 1000.0).round() as i64 - feed.utc_ms(sample.t_s);
                    if ahead_ms > FOLLOW_AHEAD_MS {
                        tracing::info!(
                            "the wall clock is {:.0} s ahead of the session's time (a suspend or a clock change): the history follows it",
                            ahead_ms as f64 / 1000.0
                        );
                        feed.shift_forward(ahead_ms);
                    }
                }
                feed.sample(
                    step.posture.t_s,
                    step.posture.state,
                    step.posture.flexion_deg,
                );
                self.last_t_s = sample.t_s;
            }
            Fact::Event(e) => {
                if let Some(feed) = &mut self.feed {
                    match &e.kind {
                        EventKind::HeldBack { alert } => {
                            let kind = if alert == "break_reminder" {
                                AlertKind::BreakReminder
                            } else {
                                AlertKind::Slouch
                            };
                            feed.held_back(e.time_s, kind, self.hold_reason);
                        }
                        _ => feed.event(e),
                    }
                }
            }
            Fact::Finished { .. } => {
                if let Some(feed) = &mut self.feed {
                    feed.finish(self.last_t_s);
                }
            }
            Fact::Calibrated { .. } | Fact::Info(_) => {}
        }
        // The writer thread owns the failures (kept, retried, one notice in its status): the
        // session never waits or fails for the history.
        Ok(())
    }
}
