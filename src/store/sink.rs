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
}

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
                let feed = self.feed.get_or_insert_with(|| {
                    let started_utc_s = match self.start {
                        StartTime::Now => now_utc_s(),
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
