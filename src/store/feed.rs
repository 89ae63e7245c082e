//! The history feed: runs on the pipeline thread, turns samples and events into records.
//!
//! Pure and cheap: no I/O, no clock, no allocation per sample. Per sample it extends the open
//! interval (a few additions) and the open minute (two comparisons); records leave only when a
//! state changes, a quarter hour or minute ends, an event arrives, or once per heartbeat.
//!
//! **Time.** Session time maps to UTC by the session's start: `utc = started_utc_s + (t_s -
//! t0_s)`, in whole milliseconds. The mapping is monotonic within a session whatever the wall
//! clock does meanwhile, except that a live session follows a wall clock that jumps ahead
//! ([`HistoryFeed::shift_forward`]: a suspend, the clock set forward), never one that goes back;
//! a session that would begin before the previous one ended is moved by the writer (see
//! [`super::write`]).
//!
//! **Intervals.** As in the pipeline's summary, the time from one sample to the next belongs to
//! the later sample's state, and a step longer than `sensor_gap_s` is not monitored (nor is a
//! `no_data` sample). Steps in the same state merge into one interval, ActivityWatch-style: the
//! open interval is kept here, re-sent every `heartbeat_s` while it grows (the writer updates it
//! in place), and finished when the state changes, at a gap, or at a UTC quarter hour. The quarter
//! hour cut makes every per-hour and per-day total exact in any time zone: every zone in use is
//! offset from UTC by whole quarter hours, so every local hour and local day start (for a
//! day-start setting in whole quarter hours) is an interval boundary, and a day's flexion bands
//! are sums of whole intervals. The cut costs at most 4 records an hour.
//!
//! **Flexion bands** (ISO 11226 / EN 1005-4): under 20° (leaning back included), 20–60°
//! (both ends included), over 60°; only time with a known angle counts.
//!
//! **Alert outcomes.** A slouch alert followed by a repeat alert in the same slouch is
//! `ignored`; the last alert of a slouch that ends (`slouch_end`) is `corrected`, except when the
//! `slouch_end` only closes a slouch still held at the end of the session (`end_s` not before
//! the event's time, as `Rules::finish` reports it), which leaves it `ignored`; one the wearer
//! snoozed ([`HistoryFeed::snoozed`]) is `snoozed`; one a snooze, meeting or quiet hours kept
//! from firing ([`HistoryFeed::held_back`]) is `held_back`. Break reminders follow the same
//! rule: a repeat makes the previous one `ignored`, a `break_taken` makes it `corrected`. An
//! alert still open when the session finishes is `ignored`.

use crate::posture::config::Config;
use crate::posture::{Event, EventKind, PostureState};

use super::record::{
    AlertKind, AlertOutcome, AlertRecord, GapKind, HoldReason, IntervalRecord, MinuteRecord,
    QUARTER_HOUR_MS, Record, RecordSink, SessionStart, SessionToken,
};

/// Feed settings, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeedOptions {
    /// A step between samples longer than this is a gap, not monitored time (the pipeline's
    /// `sensor_gap_s`; use [`FeedOptions::from_config`]).
    pub sensor_gap_s: f64,
    /// How often a growing interval and minute are re-sent to the writer, session seconds. It
    /// bounds what a crash can lose, with the writer's commit period.
    pub heartbeat_s: f64,
    /// When the writer's channel is full: `false` (live) drops the record and counts it, so the
    /// pipeline never waits; `true` (import) waits for room, so nothing is dropped.
    pub wait_when_full: bool,
}

impl Default for FeedOptions {
    fn default() -> Self {
        Self {
            sensor_gap_s: Config::default().sensor_gap_s,
            heartbeat_s: 1.0,
            wait_when_full: false,
        }
    }
}

impl FeedOptions {
    /// For a live session: the pipeline's gap setting, heartbeats every second.
    pub fn from_config(cfg: &Config) -> Self {
        Self {
            sensor_gap_s: cfg.sensor_gap_s,
            ..Self::default()
        }
    }

    /// For importing a file (replayed as fast as possible): no heartbeats, only finished
    /// records, and the feed waits for room in the writer's channel rather than drop one. A
    /// crash mid-import loses the import's open interval, which re-importing the file
    /// (`--replace`) restores; heartbeats at 1 s of session time would send thousands of
    /// updates per second of wall time.
    pub fn for_import(cfg: &Config) -> Self {
        Self {
            sensor_gap_s: cfg.sensor_gap_s,
            heartbeat_s: f64::INFINITY,
            wait_when_full: true,
        }
    }
}

const MS_PER_MINUTE: i64 = 60_000;

/// Which flexion band an angle is in: 0 under 20°, 1 for 20–60°, 2 over 60°.
fn band(flexion_deg: f64) -> usize {
    if flexion_deg < 20.0 {
        0
    } else if flexion_deg <= 60.0 {
        1
    } else {
        2
    }
}

#[derive(Debug, Clone, Copy)]
struct OpenInterval {
    seq: u32,
    state: PostureState,
    start_ms: i64,
    end_ms: i64,
    /// Where this interval must end at the latest: the next UTC quarter hour.
    quarter_end_ms: i64,
    /// Σ flexion × time, degree-milliseconds, and the time with a known angle, ms.
    flexion_deg_ms: f64,
    flexion_known_ms: i64,
    flexion_max_deg: f64,
    bands_ms: [i64; 3],
}

impl OpenInterval {
    fn record(&self, session: SessionToken, open: bool) -> IntervalRecord {
        let known = self.flexion_known_ms > 0;
        IntervalRecord {
            session,
            seq: self.seq,
            start_ms: self.start_ms,
            end_ms: self.end_ms,
            state: self.state,
            flexion_mean_deg: known.then(|| self.flexion_deg_ms / self.flexion_known_ms as f64),
            flexion_max_deg: known.then_some(self.flexion_max_deg),
            bands_ms: self.bands_ms,
            open,
        }
    }
}

/// Alerts still waiting for their outcome.
#[derive(Debug, Clone, Copy, Default)]
struct OpenAlerts {
    /// The last slouch alert: its number and the start of its slouch, session seconds.
    slouch: Option<(u32, f64)>,
    reminder: Option<u32>,
    /// The most recent of the two, which a snooze answers.
    last: Option<u32>,
}

/// Turns one session's samples and events into history records for a [`RecordSink`].
#[derive(Debug)]
pub struct HistoryFeed<S: RecordSink> {
    sink: S,
    session: SessionToken,
    /// UTC at session time `t0_s`, ms.
    base_ms: i64,
    t0_s: f64,
    sensor_gap_s: f64,
    heartbeat_ms: i64,
    /// The previous sample: session time and UTC ms.
    last: Option<(f64, i64)>,
    /// The previous sample was `no_data`.
    last_was_no_data: bool,
    interval: Option<OpenInterval>,
    next_interval_seq: u32,
    minute: Option<MinuteRecord>,
    next_heartbeat_ms: i64,
    next_alert_seq: u32,
    alerts: OpenAlerts,
    /// A live `sensor_lost` waiting for its `sensor_back`: UTC ms and reason.
    lost: Option<(i64, String)>,
    finished: bool,
}

impl<S: RecordSink> HistoryFeed<S> {
    /// Starts a session's feed; the `SessionStarted` record goes out at once (urgent).
    pub fn new(mut sink: S, session: SessionToken, start: SessionStart, opts: FeedOptions) -> Self {
        let base_ms = if start.started_utc_s.is_finite() {
            (start.started_utc_s * 1000.0).round() as i64
        } else {
            0
        };
        let t0_s = if start.t0_s.is_finite() {
            start.t0_s
        } else {
            0.0
        };
        sink.send(
            Record::SessionStarted {
                session,
                source: start.source,
                started_utc_ms: base_ms,
                t0_s,
            },
            true,
        );
        Self {
            sink,
            session,
            base_ms,
            t0_s,
            sensor_gap_s: opts.sensor_gap_s,
            heartbeat_ms: (opts.heartbeat_s.max(0.001) * 1000.0).round() as i64,
            last: None,
            last_was_no_data: false,
            interval: None,
            next_interval_seq: 0,
            minute: None,
            next_heartbeat_ms: i64::MIN,
            next_alert_seq: 0,
            alerts: OpenAlerts::default(),
            lost: None,
            finished: false,
        }
    }

    pub fn session(&self) -> SessionToken {
        self.session
    }

    /// The sink (tests read the records from it).
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// The sink, to take collected records out of it (`std::mem::take`).
    pub fn sink_mut(&mut self) -> &mut S {
        &mut self.sink
    }

    /// Session seconds to UTC milliseconds. Saturates rather than wraps: the readers bound the
    /// times they hand on, but a wrapped time would be stored as a date centuries away.
    pub fn utc_ms(&self, t_s: f64) -> i64 {
        self.base_ms
            .saturating_add(((t_s - self.t0_s) * 1000.0).round() as i64)
    }

    /// From now on session time maps to UTC `ahead_ms` later: the wall clock has jumped ahead
    /// of the session (see [`super::HistoryRecorder::wall_clock`]). The open interval and
    /// minute are closed first, so the jump is not counted as monitored time and no interval
    /// spans it; an episode or gap still open moves with the rest, keeping its length. Forward
    /// only: moving back would put a second copy of an hour in the history.
    pub fn shift_forward(&mut self, ahead_ms: i64) {
        if self.finished || ahead_ms <= 0 {
            return;
        }
        self.close_interval();
        self.close_minute();
        self.base_ms = self.base_ms.saturating_add(ahead_ms);
        if let Some((_, ms)) = &mut self.last {
            *ms = ms.saturating_add(ahead_ms);
        }
        if let Some((ms, _)) = &mut self.lost {
            *ms = ms.saturating_add(ahead_ms);
        }
        self.next_heartbeat_ms = self.next_heartbeat_ms.saturating_add(ahead_ms);
    }

    /// One classified sample at session time `t_s`. A sample earlier than the previous one, or
    /// with a time that is not a number, is ignored.
    pub fn sample(&mut self, t_s: f64, state: PostureState, flexion_deg: Option<f64>) {
        if self.finished || !t_s.is_finite() {
            return;
        }
        let t_ms = self.utc_ms(t_s);
        let flexion_deg = flexion_deg.filter(|f| f.is_finite());
        let Some((last_t_s, last_ms)) = self.last else {
            self.last = Some((t_s, t_ms));
            self.last_was_no_data = state == PostureState::NoData;
            self.next_heartbeat_ms = t_ms.saturating_add(self.heartbeat_ms);
            self.minute_sample(t_ms, flexion_deg);
            return;
        };
        if t_s < last_t_s {
            return;
        }
        self.last = Some((t_s, t_ms));
        let after_no_data =
            std::mem::replace(&mut self.last_was_no_data, state == PostureState::NoData);
        if t_s - last_t_s > self.sensor_gap_s || state == PostureState::NoData || after_no_data {
            // Not monitored: a gap, no data, or the first sample after no data (it follows
            // silence, like the first sample after a gap).
            self.close_interval();
        } else if t_ms > last_ms {
            self.step(last_ms, t_ms, state, flexion_deg);
        }
        self.minute_sample(t_ms, flexion_deg);
        if t_ms >= self.next_heartbeat_ms {
            self.heartbeat(t_ms);
        }
    }

    /// Monitored time `[from_ms, to_ms)` in `state`, cut at UTC quarter hours.
    fn step(&mut self, from_ms: i64, to_ms: i64, state: PostureState, flexion_deg: Option<f64>) {
        let mut a = from_ms;
        while a < to_ms {
            let extends = self
                .interval
                .as_ref()
                .is_some_and(|iv| iv.state == state && iv.end_ms == a && a < iv.quarter_end_ms);
            if !extends {
                self.close_interval();
                let seq = self.next_interval_seq;
                self.next_interval_seq += 1;
                self.interval = Some(OpenInterval {
                    seq,
                    state,
                    start_ms: a,
                    end_ms: a,
                    quarter_end_ms: (a.div_euclid(QUARTER_HOUR_MS) + 1) * QUARTER_HOUR_MS,
                    flexion_deg_ms: 0.0,
                    flexion_known_ms: 0,
                    flexion_max_deg: f64::NEG_INFINITY,
                    bands_ms: [0; 3],
                });
            }
            let Some(iv) = self.interval.as_mut() else {
                return;
            };
            let b = to_ms.min(iv.quarter_end_ms);
            let dt_ms = b - a;
            iv.end_ms = b;
            if let Some(f) = flexion_deg {
                iv.flexion_deg_ms += f * dt_ms as f64;
                iv.flexion_known_ms += dt_ms;
                iv.flexion_max_deg = iv.flexion_max_deg.max(f);
                iv.bands_ms[band(f)] += dt_ms;
            }
            a = b;
        }
    }

    fn minute_sample(&mut self, t_ms: i64, flexion_deg: Option<f64>) {
        let Some(f) = flexion_deg else { return };
        let minute = t_ms.div_euclid(MS_PER_MINUTE);
        match &mut self.minute {
            Some(m) if m.minute == minute => {
                m.flexion_min_deg = m.flexion_min_deg.min(f);
                m.flexion_max_deg = m.flexion_max_deg.max(f);
            }
            _ => {
                self.close_minute();
                self.minute = Some(MinuteRecord {
                    session: self.session,
                    minute,
                    flexion_min_deg: f,
                    flexion_max_deg: f,
                    open: false,
                });
            }
        }
    }

    fn close_interval(&mut self) {
        if let Some(iv) = self.interval.take() {
            self.sink
                .send(Record::Interval(iv.record(self.session, false)), false);
        }
    }

    fn close_minute(&mut self) {
        if let Some(m) = self.minute.take() {
            self.sink.send(Record::Minute(m), false);
        }
    }

    /// Re-sends what is still growing, so a crash loses at most a heartbeat plus a commit period.
    fn heartbeat(&mut self, t_ms: i64) {
        self.next_heartbeat_ms = t_ms.saturating_add(self.heartbeat_ms);
        if let Some(iv) = &self.interval {
            self.sink
                .send(Record::Interval(iv.record(self.session, true)), false);
        }
        if let Some(m) = self.minute {
            self.sink
                .send(Record::Minute(MinuteRecord { open: true, ..m }), false);
        }
    }

    fn next_alert(&mut self) -> u32 {
        let seq = self.next_alert_seq;
        self.next_alert_seq += 1;
        seq
    }

    fn set_outcome(&mut self, seq: u32, outcome: AlertOutcome) {
        self.sink.send(
            Record::AlertOutcome {
                session: self.session,
                seq,
                outcome,
            },
            true,
        );
        if self.alerts.last == Some(seq) {
            self.alerts.last = None;
        }
    }

    /// An event from the pipeline (or the live source), at its own `time_s`.
    pub fn event(&mut self, event: &Event) {
        if self.finished || !event.time_s.is_finite() {
            return;
        }
        let session = self.session;
        let at_ms = self.utc_ms(event.time_s);
        match &event.kind {
            EventKind::SlouchAlert {
                start_s,
                held_s,
                flexion_deg,
                repeat,
            } => {
                if let Some((seq, _)) = self.alerts.slouch.take() {
                    self.set_outcome(seq, AlertOutcome::Ignored);
                }
                let seq = self.next_alert();
                self.alerts.slouch = Some((seq, *start_s));
                self.alerts.last = Some(seq);
                let record = AlertRecord {
                    slouch_start_ms: Some(self.utc_ms(*start_s)),
                    held_s: Some(*held_s),
                    flexion_deg: flexion_deg.is_finite().then_some(*flexion_deg),
                    repeat: Some(*repeat),
                    ..self.alert(seq, at_ms, AlertKind::Slouch, AlertOutcome::Open)
                };
                self.sink.send(Record::Alert(record), true);
            }
            EventKind::SlouchEnd {
                start_s,
                end_s,
                duration_s,
                alerts,
            } => {
                if let Some((seq, slouch_start_s)) = self.alerts.slouch
                    && slouch_start_s == *start_s
                {
                    self.alerts.slouch = None;
                    let outcome = if *end_s < event.time_s {
                        AlertOutcome::Corrected
                    } else {
                        AlertOutcome::Ignored
                    };
                    self.set_outcome(seq, outcome);
                }
                let record = Record::SlouchEpisode {
                    session,
                    start_ms: self.utc_ms(*start_s),
                    end_ms: self.utc_ms(*end_s),
                    duration_s: *duration_s,
                    alerts: *alerts,
                };
                self.sink.send(record, true);
            }
            EventKind::BreakReminder {
                sitting_s,
                exercise,
                ..
            } => {
                if let Some(seq) = self.alerts.reminder.take() {
                    self.set_outcome(seq, AlertOutcome::Ignored);
                }
                let seq = self.next_alert();
                self.alerts.reminder = Some(seq);
                self.alerts.last = Some(seq);
                let record = AlertRecord {
                    sitting_s: Some(*sitting_s),
                    exercise: Some(exercise.clone()),
                    ..self.alert(seq, at_ms, AlertKind::BreakReminder, AlertOutcome::Open)
                };
                self.sink.send(Record::Alert(record), true);
            }
            EventKind::BreakTaken { start_s } => {
                if let Some(seq) = self.alerts.reminder.take() {
                    self.set_outcome(seq, AlertOutcome::Corrected);
                }
                let start_ms = self.utc_ms(*start_s);
                let record = Record::BreakTaken {
                    session,
                    start_ms,
                    at_ms,
                };
                self.sink.send(record, true);
            }
            EventKind::SensorGap { from_s, duration_s } => {
                let record = Record::Gap {
                    session,
                    kind: GapKind::Gap,
                    from_ms: self.utc_ms(*from_s),
                    duration_ms: (duration_s * 1000.0).round() as i64,
                    reason: None,
                };
                self.sink.send(record, false);
            }
            EventKind::SensorLost { reason } => {
                self.close_interval();
                self.close_minute();
                self.lost = Some((at_ms, reason.clone()));
            }
            EventKind::SensorBack { gap_s } => {
                let (from_ms, reason) = self
                    .lost
                    .take()
                    .map_or((self.utc_ms(event.time_s - gap_s), None), |(ms, r)| {
                        (ms, Some(r))
                    });
                let record = Record::Gap {
                    session,
                    kind: GapKind::Lost,
                    from_ms,
                    duration_ms: (at_ms - from_ms).max(0),
                    reason,
                };
                self.sink.send(record, false);
            }
            EventKind::Calibrated { calibration } => {
                let record = Record::Calibration {
                    session,
                    at_ms,
                    ok: true,
                    detail: calibration.clone(),
                };
                self.sink.send(record, true);
            }
            EventKind::CalibrationFailed { reason } => {
                let record = Record::Calibration {
                    session,
                    at_ms,
                    ok: false,
                    detail: reason.clone(),
                };
                self.sink.send(record, true);
            }
            // The snooze itself is not history; `snoozed()` records what it answered.
            EventKind::Snooze { .. } => {}
            // Held-back alerts come through `held_back`, which knows why (snooze, meeting,
            // quiet hours); the session's history sink calls it for this event.
            EventKind::HeldBack { .. } => {}
        }
    }

    fn alert(&self, seq: u32, at_ms: i64, kind: AlertKind, outcome: AlertOutcome) -> AlertRecord {
        AlertRecord {
            session: self.session,
            seq,
            at_ms,
            kind,
            outcome,
            held_back_by: None,
            slouch_start_ms: None,
            held_s: None,
            flexion_deg: None,
            repeat: None,
            sitting_s: None,
            exercise: None,
        }
    }

    /// The wearer snoozed at `t_s`, answering the last alert or reminder (if still open).
    pub fn snoozed(&mut self, _t_s: f64) {
        let Some(seq) = self.alerts.last.take() else {
            return;
        };
        if self.alerts.slouch.is_some_and(|(s, _)| s == seq) {
            self.alerts.slouch = None;
        }
        if self.alerts.reminder == Some(seq) {
            self.alerts.reminder = None;
        }
        self.set_outcome(seq, AlertOutcome::Snoozed);
    }

    /// An alert or reminder of `kind` was due at `t_s` but held back (snooze, meeting mode or
    /// quiet hours).
    pub fn held_back(&mut self, t_s: f64, kind: AlertKind, by: HoldReason) {
        if self.finished || !t_s.is_finite() {
            return;
        }
        let seq = self.next_alert();
        let at_ms = self.utc_ms(t_s);
        let record = AlertRecord {
            held_back_by: Some(by),
            ..self.alert(seq, at_ms, kind, AlertOutcome::HeldBack)
        };
        self.sink.send(Record::Alert(record), true);
    }

    /// The session ended at `t_s` (after the pipeline's own `finish` events were fed): closes
    /// what is open and tells the writer to commit.
    pub fn finish(&mut self, t_s: f64) {
        if self.finished {
            return;
        }
        self.close_interval();
        self.close_minute();
        for seq in [self.alerts.slouch.map(|(s, _)| s), self.alerts.reminder]
            .into_iter()
            .flatten()
        {
            self.set_outcome(seq, AlertOutcome::Ignored);
        }
        self.alerts = OpenAlerts::default();
        let last_ms = self.last.map_or(self.base_ms, |(_, ms)| ms);
        let end_ms = if t_s.is_finite() {
            self.utc_ms(t_s).max(last_ms)
        } else {
            last_ms
        };
        if let Some((from_ms, reason)) = self.lost.take() {
            let record = Record::Gap {
                session: self.session,
                kind: GapKind::Lost,
                from_ms,
                duration_ms: (end_ms - from_ms).max(0),
                reason: Some(reason),
            };
            self.sink.send(record, false);
        }
        self.sink.send(
            Record::SessionEnded {
                session: self.session,
                end_ms,
            },
            true,
        );
        self.finished = true;
    }
}

impl<S: RecordSink> Drop for HistoryFeed<S> {
    /// A feed dropped without `finish` (the pipeline thread stopped) still hands over what it
    /// had, so nothing measured is lost; the session is left without an end mark.
    fn drop(&mut self) {
        if !self.finished {
            self.close_interval();
            self.close_minute();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::record::SessionSource;
    use crate::store::synth::{Segment, play};

    /// 2026-11-24 09:00:00 UTC.
    const NINE_UTC_S: f64 = 1_795_510_800.0;

    fn feed_at(started_utc_s: f64) -> HistoryFeed<Vec<(Record, bool)>> {
        HistoryFeed::new(
            Vec::new(),
            SessionToken(7),
            SessionStart {
                source: SessionSource::Live {
                    device: "test".into(),
                },
                started_utc_s,
                t0_s: 0.0,
            },
            FeedOptions::default(),
        )
    }

    /// The final version of every interval (heartbeats dropped).
    fn intervals(records: &[(Record, bool)]) -> Vec<IntervalRecord> {
        records
            .iter()
            .filter_map(|(r, _)| match r {
                Record::Interval(iv) if !iv.open => Some(iv.clone()),
                _ => None,
            })
            .collect()
    }

    fn outcomes(records: &[(Record, bool)]) -> Vec<(u32, AlertOutcome)> {
        records
            .iter()
            .filter_map(|(r, _)| match r {
                Record::AlertOutcome { seq, outcome, .. } => Some((*seq, *outcome)),
                Record::Alert(a) if a.outcome != AlertOutcome::Open => Some((a.seq, a.outcome)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_shift_forward_moves_the_rest_of_the_session_and_counts_no_time_across_it() {
        let mut feed = feed_at(NINE_UTC_S);
        let upright = [Segment::new(600.0, PostureState::Upright, Some(5.0))];
        let t = play(&mut feed, 0.0, &upright, 10.0, false);
        // The wall clock is an hour ahead (a suspend, the clock set forward): from here on.
        feed.shift_forward(3_600_000);
        let slouched = [Segment::new(300.0, PostureState::Slouched, Some(30.0))];
        let end = play(&mut feed, t, &slouched, 10.0, false);
        feed.finish(end);
        let ivs = intervals(feed.sink());
        let nine_ms = (NINE_UTC_S * 1000.0) as i64;
        let in_state = |state| -> i64 {
            ivs.iter()
                .filter(|i| i.state == state)
                .map(|i| i.end_ms - i.start_ms)
                .sum()
        };
        // Every second counted once: the hour across the shift is not monitored.
        assert_eq!(in_state(PostureState::Upright), 600_000);
        assert_eq!(in_state(PostureState::Slouched), 300_000);
        assert!(
            ivs.windows(2).all(|w| w[1].start_ms >= w[0].end_ms),
            "no overlap"
        );
        let last_upright = ivs
            .iter()
            .filter(|i| i.state == PostureState::Upright)
            .map(|i| i.end_ms)
            .max();
        let first_slouched = ivs
            .iter()
            .filter(|i| i.state == PostureState::Slouched)
            .map(|i| i.start_ms)
            .min();
        assert_eq!(last_upright, Some(nine_ms + 600_000));
        assert_eq!(first_slouched, Some(nine_ms + 3_600_000 + 600_000));
        let ended = feed.sink().iter().find_map(|(r, _)| match r {
            Record::SessionEnded { end_ms, .. } => Some(*end_ms),
            _ => None,
        });
        assert_eq!(ended, Some(nine_ms + 3_600_000 + 900_000));
        // Never back.
        let mut back = feed_at(NINE_UTC_S);
        back.shift_forward(-3_600_000);
        assert_eq!(back.utc_ms(10.0), nine_ms + 10_000);
    }

    #[test]
    fn equal_steps_merge_and_each_state_gets_its_exact_time() {
        let mut feed = feed_at(NINE_UTC_S);
        let script = [
            Segment::new(100.0, PostureState::Upright, Some(5.0)),
            Segment::new(50.0, PostureState::Slouched, Some(30.0)),
            Segment::new(20.0, PostureState::Uncalibrated, None),
            Segment::new(30.0, PostureState::Upright, Some(70.0)),
        ];
        play(&mut feed, 0.0, &script, 10.0, false);
        feed.finish(200.0);
        let ivs = intervals(feed.sink());
        let summary: Vec<(PostureState, i64)> = ivs
            .iter()
            .map(|i| (i.state, i.end_ms - i.start_ms))
            .collect();
        assert_eq!(
            summary,
            vec![
                (PostureState::Upright, 100_000),
                (PostureState::Slouched, 50_000),
                (PostureState::Uncalibrated, 20_000),
                (PostureState::Upright, 30_000),
            ]
        );
        // Contiguous, starting at the session's UTC start.
        assert_eq!(ivs[0].start_ms, 1_795_510_800_000);
        assert!(ivs.windows(2).all(|w| w[0].end_ms == w[1].start_ms));
        assert_eq!(ivs[0].bands_ms, [100_000, 0, 0]);
        assert_eq!(ivs[1].bands_ms, [0, 50_000, 0]);
        assert_eq!(ivs[2].bands_ms, [0, 0, 0]);
        assert_eq!(ivs[2].flexion_mean_deg, None);
        assert_eq!(ivs[3].bands_ms, [0, 0, 30_000]);
        assert_eq!(ivs[1].flexion_max_deg, Some(30.0));
        assert!(matches!(
            feed.sink().last(),
            Some((Record::SessionEnded { .. }, true))
        ));
    }

    #[test]
    fn intervals_are_cut_at_utc_quarter_hours_and_gaps_and_no_data_are_not_monitored() {
        // Start at 09:14:00 UTC: the quarter hour at 09:15 cuts the first upright stretch.
        let mut feed = feed_at(NINE_UTC_S + 14.0 * 60.0);
        feed.sample(0.0, PostureState::Upright, Some(1.0));
        for i in 1..=120 {
            feed.sample(f64::from(i), PostureState::Upright, Some(1.0));
        }
        // 5 s without samples: a gap; then 10 s upright; then a no_data sample.
        for i in 125..=135 {
            feed.sample(f64::from(i), PostureState::Upright, Some(1.0));
        }
        feed.sample(136.0, PostureState::NoData, None);
        feed.sample(137.0, PostureState::Upright, Some(1.0));
        feed.finish(137.0);
        let spans: Vec<(i64, i64)> = intervals(feed.sink())
            .iter()
            .map(|i| (i.start_ms - 1_795_510_800_000, i.end_ms - 1_795_510_800_000))
            .collect();
        let min = 60_000;
        assert_eq!(
            spans,
            vec![
                (14 * min, 15 * min),
                (15 * min, 16 * min),
                (16 * min + 5000, 16 * min + 15_000),
            ]
        );
    }

    #[test]
    fn a_growing_interval_is_resent_as_a_heartbeat_with_the_same_number() {
        let mut feed = feed_at(NINE_UTC_S);
        for i in 0..=30 {
            feed.sample(f64::from(i) * 0.1, PostureState::Upright, Some(2.0));
        }
        let beats: Vec<(u32, i64)> = feed
            .sink()
            .iter()
            .filter_map(|(r, urgent)| match r {
                Record::Interval(iv) if iv.open && !urgent => {
                    Some((iv.seq, iv.end_ms - iv.start_ms))
                }
                _ => None,
            })
            .collect();
        assert_eq!(beats, vec![(0, 1000), (0, 2000), (0, 3000)]);
        let minutes = feed
            .sink()
            .iter()
            .filter(|(r, _)| matches!(r, Record::Minute(_)))
            .count();
        assert_eq!(minutes, 3, "the open minute goes with each heartbeat");
    }

    fn alert(t: f64, start_s: f64, repeat: u32) -> Event {
        Event {
            time_s: t,
            kind: EventKind::SlouchAlert {
                start_s,
                held_s: t - start_s,
                flexion_deg: 30.0,
                repeat,
            },
        }
    }

    fn slouch_end(t: f64, start_s: f64, end_s: f64) -> Event {
        Event {
            time_s: t,
            kind: EventKind::SlouchEnd {
                start_s,
                end_s,
                duration_s: end_s - start_s,
                alerts: 1,
            },
        }
    }

    #[test]
    fn alert_outcomes_follow_the_documented_rule() {
        let mut feed = feed_at(NINE_UTC_S);
        // Slouch 1: alert, repeat, sits up → first ignored, second corrected.
        feed.event(&alert(60.0, 0.0, 0));
        feed.event(&alert(360.0, 0.0, 1));
        feed.event(&slouch_end(403.0, 0.0, 400.0));
        // Slouch 2: alert, snoozed, then the slouch ends: stays snoozed.
        feed.event(&alert(560.0, 500.0, 0));
        feed.snoozed(565.0);
        feed.event(&slouch_end(703.0, 500.0, 700.0));
        // A reminder held back by a meeting.
        feed.held_back(800.0, AlertKind::BreakReminder, HoldReason::Meeting);
        // A reminder, then a break taken → corrected; another, then a repeat → ignored.
        let reminder = |t| Event {
            time_s: t,
            kind: EventKind::BreakReminder {
                sitting_s: 2700.0,
                exercise: "walk".into(),
                dose: "2 min".into(),
            },
        };
        feed.event(&reminder(2700.0));
        feed.event(&Event {
            time_s: 2900.0,
            kind: EventKind::BreakTaken { start_s: 2780.0 },
        });
        feed.event(&reminder(5700.0));
        feed.event(&reminder(6600.0));
        // Slouch 3: still held when the session ends (Rules::finish reports end_s = time_s).
        feed.event(&alert(7060.0, 7000.0, 0));
        feed.event(&slouch_end(7100.0, 7000.0, 7100.0));
        // The last reminder is still open at finish → ignored.
        feed.finish(7100.0);
        assert_eq!(
            outcomes(feed.sink()),
            vec![
                (0, AlertOutcome::Ignored),
                (1, AlertOutcome::Corrected),
                (2, AlertOutcome::Snoozed),
                (3, AlertOutcome::HeldBack),
                (4, AlertOutcome::Corrected),
                (5, AlertOutcome::Ignored),
                (7, AlertOutcome::Ignored),
                (6, AlertOutcome::Ignored),
            ]
        );
        // Alerts and episode ends are urgent.
        assert!(
            feed.sink()
                .iter()
                .filter(|(r, _)| matches!(r, Record::Alert(_) | Record::SlouchEpisode { .. }))
                .all(|(_, urgent)| *urgent)
        );
    }

    #[test]
    fn lost_and_back_make_one_lost_gap_and_session_time_maps_to_utc() {
        let mut feed = HistoryFeed::new(
            Vec::<Record>::new(),
            SessionToken(1),
            SessionStart {
                source: SessionSource::Live {
                    device: "test".into(),
                },
                started_utc_s: NINE_UTC_S,
                t0_s: 100.0,
            },
            FeedOptions::default(),
        );
        assert_eq!(feed.utc_ms(100.0), 1_795_510_800_000);
        assert_eq!(feed.utc_ms(101.5), 1_795_510_801_500);
        feed.event(&Event {
            time_s: 110.0,
            kind: EventKind::SensorLost {
                reason: "unplugged".into(),
            },
        });
        feed.event(&Event {
            time_s: 130.0,
            kind: EventKind::SensorBack { gap_s: 20.0 },
        });
        let gaps: Vec<&Record> = feed
            .sink()
            .iter()
            .filter(|r| matches!(r, Record::Gap { .. }))
            .collect();
        assert_eq!(
            gaps,
            vec![&Record::Gap {
                session: SessionToken(1),
                kind: GapKind::Lost,
                from_ms: 1_795_510_810_000,
                duration_ms: 20_000,
                reason: Some("unplugged".into()),
            }]
        );
    }
}
