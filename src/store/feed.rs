//! The history feed: runs on the pipeline thread, turns samples and events into records.
//!
//! Pure and cheap: no I/O, no clock, no allocation per sample. Per sample it extends the open
//! interval (a few additions) and the open minute (two comparisons); records leave only when a
//! state changes, a quarter hour or minute ends, an event arrives, or once per heartbeat.
//!
//! **Time.** Session time maps to UTC by the session's start: `utc = started_utc_s + (t_s -
//! t0_s)`, in whole milliseconds. The mapping is monotonic within a session whatever the wall
//! clock does meanwhile; a session that would begin before the previous one ended is moved by
//! the writer (see [`super::write`]).
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
}

impl Default for FeedOptions {
    fn default() -> Self {
        Self {
            sensor_gap_s: Config::default().sensor_gap_s,
            heartbeat_s: 1.0,
        }
    }
}

impl FeedOptions {
    pub fn from_config(cfg: &Config) -> Self {
        Self {
            sensor_gap_s: cfg.sensor_gap_s,
            ..Self::default()
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

    /// Session seconds to UTC milliseconds.
    pub fn utc_ms(&self, t_s: f64) -> i64 {
        self.base_ms + ((t_s - self.t0_s) * 1000.0).round() as i64
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
            self.next_heartbeat_ms = t_ms + self.heartbeat_ms;
            self.minute_sample(t_ms, flexion_deg);
            return;
        };
        if t_s < last_t_s {
            return;
        }
        self.last = Some((t_s, t_ms));
        if t_s - last_t_s > self.sensor_gap_s || state == PostureState::NoData {
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
        self.next_heartbeat_ms = t_ms + self.heartbeat_ms;
        if let Some(iv) = &self.interval {
            self.sink
                .send(Record::Interval(iv.record(self.session, true)), false);
        }
        if let Some(m) = self.minute {
            self.sink.send(Record::Minute(m), false);
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
