//! Session time for a live serial sensor: the device's own microsecond clock when it sends one
//! (exact spacing whatever USB does), host arrival time otherwise, kept strictly increasing and in
//! whole microseconds, and continued across a reconnect (by the device's clock if it kept
//! running, by host time after a reboot).
//!
//! Session time 0 is the arrival of the first sample.
//!
//! Untimed lines (a sketch printing plain numbers) are timed by their real rate, measured from
//! their arrivals ([`Rhythm`]): a chunk of lines read at once is spread back from its arrival by
//! the measured period, and each line's time follows the previous one by that period, pulled
//! gently (by [`RHYTHM_GAIN`] of the difference) towards its arrival. Why: a read holds a few
//! lines, read up to a few milliseconds after the last one came, so raw arrival times jitter by
//! about a read interval; spreading by a nominal period that is too long (100 Hz for a 500 Hz
//! sketch) pushed lines before their predecessors and the monotonic clamp then stacked them one
//! microsecond apart.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Seconds rounded to the microsecond, the resolution of device clocks and session files: a
/// recording's rows then read back as exactly the times the live run used.
pub fn round_us(t_s: f64) -> f64 {
    (t_s * 1e6).round() / 1e6
}

/// Reads remembered to measure the line rate, at most.
const RHYTHM_READS: usize = 256;
/// Span of arrivals the line rate is measured over, seconds.
const RHYTHM_SPAN_S: f64 = 2.0;
/// Fewest lines, and shortest span in seconds, a rate is measured from.
const RHYTHM_MIN_LINES: u64 = 3;
const RHYTHM_MIN_SPAN_S: f64 = 0.01;
/// Span of arrivals, seconds, before the measured rate is stated as the source's rate (the
/// period is used for timing from the first few lines; a stated rate should not wobble).
const RHYTHM_STATED_SPAN_S: f64 = 0.5;
/// Nothing read for this long (seconds) is a pause, not part of the rhythm.
const RHYTHM_PAUSE_S: f64 = 0.5;
/// Share of the difference between arrival and rhythm an untimed line's time moves towards its
/// arrival: 1/8 averages the read jitter over about eight lines and still follows a drifting
/// clock closely (a 1 % rate error leaves the times 8 % of a period behind).
pub const RHYTHM_GAIN: f64 = 0.125;

/// The measured arrival rate of sample lines (reads and how many lines each held).
#[derive(Debug, Clone, Default)]
pub struct Rhythm {
    /// (read instant, sample lines that had arrived by then), oldest first.
    reads: VecDeque<(Instant, u64)>,
    lines: u64,
    /// Last measured period between lines, seconds.
    period_s: Option<f64>,
    /// The period has been measured over [`RHYTHM_STATED_SPAN_S`] at least once.
    settled: bool,
}

impl Rhythm {
    /// A read at `at` held `lines` sample lines.
    pub fn arrived(&mut self, at: Instant, lines: usize) {
        if lines == 0 {
            return;
        }
        let paused = self.reads.back().is_some_and(|(last, _)| {
            at.saturating_duration_since(*last).as_secs_f64() > RHYTHM_PAUSE_S
        });
        if paused {
            self.reads.clear(); // a pause says nothing about the rate; keep the last measure
        }
        self.lines = self.lines.saturating_add(lines as u64);
        self.reads.push_back((at, self.lines));
        while self.reads.len() > RHYTHM_READS
            || self.reads.front().is_some_and(|(first, _)| {
                self.reads.len() > 2
                    && at.saturating_duration_since(*first).as_secs_f64() > RHYTHM_SPAN_S
            })
        {
            self.reads.pop_front();
        }
        if let (Some((t0, n0)), Some((t1, n1))) = (self.reads.front(), self.reads.back()) {
            let span_s = t1.saturating_duration_since(*t0).as_secs_f64();
            // Lines counted at the first read had arrived before the span began.
            let n = n1.saturating_sub(*n0);
            if n >= RHYTHM_MIN_LINES && span_s >= RHYTHM_MIN_SPAN_S {
                self.period_s = Some(span_s / n as f64);
                self.settled |= span_s >= RHYTHM_STATED_SPAN_S;
            }
        }
    }

    /// The measured period between lines, seconds, once there is one.
    pub fn period_s(&self) -> Option<f64> {
        self.period_s
    }

    /// The measured line rate in Hz, once measured over at least [`RHYTHM_STATED_SPAN_S`].
    pub fn settled_rate_hz(&self) -> Option<f64> {
        self.settled.then_some(self.period_s?).map(|p| 1.0 / p)
    }

    /// Forgets the reads (the link was lost), keeping the last measure as a first guess.
    fn restart(&mut self) {
        self.reads.clear();
    }
}

/// The time base of one serial source.
#[derive(Debug, Clone, Default)]
pub struct TimeBase {
    /// Host instant of session time 0 (arrival of the first sample).
    t0: Option<Instant>,
    /// (device µs, session s) of this connection's first sample.
    anchor: Option<(u64, f64)>,
    last_t: Option<f64>,
    /// Sequence number and device time (µs) of the last sample, to recognise a device whose
    /// clock kept running across a reconnect.
    last_device: Option<(u32, u64)>,
    /// Set when the link was lost after samples had flowed: the last sample's time.
    lost: Option<f64>,
    /// The last sample was untimed and timed by the rhythm: the next untimed one follows it.
    untimed_run: bool,
    rhythm: Rhythm,
}

/// A sample's session time, and whether it is the first after a loss.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stamp {
    pub t_s: f64,
    /// The link is back: seconds since the last sample before the loss.
    pub back_after_s: Option<f64>,
}

impl TimeBase {
    /// Session seconds of host instant `at`.
    pub fn host_s(&self, at: Instant) -> f64 {
        self.t0
            .map_or(0.0, |t0| at.saturating_duration_since(t0).as_secs_f64())
    }

    /// A read at host instant `at` held `lines` sample lines: feeds the measured line rate.
    /// Call it once per read, before stamping the read's samples.
    pub fn arrived(&mut self, at: Instant, lines: usize) {
        self.rhythm.arrived(at, lines);
    }

    /// The line rate measured from arrivals, Hz, once measured over half a second.
    pub fn measured_rate_hz(&self) -> Option<f64> {
        self.rhythm.settled_rate_hz()
    }

    /// The time of one sample: `device_us` and `seq` from its frame (if the format has them),
    /// read at host instant `at` with `lines_after` more lines in the same read, `period_s` the
    /// nominal sample period (the device's stated rate; untimed lines use the measured one).
    pub fn stamp(
        &mut self,
        device_us: Option<u64>,
        seq: Option<u32>,
        at: Instant,
        lines_after: usize,
        period_s: f64,
    ) -> Stamp {
        let untimed_period_s = self.rhythm.period_s().unwrap_or(period_s);
        let spread_s = match device_us {
            Some(_) => period_s,
            None => untimed_period_s,
        } * lines_after as f64;
        if self.t0.is_none() {
            let back = Duration::try_from_secs_f64(spread_s).unwrap_or(Duration::ZERO);
            self.t0 = Some(at.checked_sub(back).unwrap_or(at));
        }
        // Earliest time this sample may have: strictly after the previous one.
        let floor = self.last_t.map(|t| t + 1e-6);
        let host = self.host_s(at) - spread_s;
        let t = match (device_us, self.anchor) {
            (Some(us), Some((anchor_us, anchor_t))) => {
                anchor_t + us.saturating_sub(anchor_us) as f64 * 1e-6
            }
            (Some(us), None) => {
                // First sample of this connection: session start; after a reconnect, the
                // device's own clock if it kept running (same device, not rebooted), else host
                // time.
                let t = match self.last_t {
                    None => 0.0,
                    Some(last) => match continued_gap_s(self.last_device, seq, us, period_s) {
                        Some(gap) => last + gap,
                        None => host.max(last + period_s),
                    },
                };
                self.anchor = Some((us, t));
                t
            }
            (None, _) => match self.last_t {
                Some(prev) if self.untimed_run && self.lost.is_none() => {
                    follow_rhythm(prev, host, untimed_period_s)
                }
                _ => host.max(floor.unwrap_or(0.0)),
            },
        };
        self.untimed_run = device_us.is_none();
        let t = round_us(floor.map_or(t, |f| t.max(f)));
        let back_after_s = self.lost.take().map(|last| round_us(t - last));
        self.last_t = Some(t);
        self.last_device = seq.zip(device_us);
        Stamp {
            t_s: t,
            back_after_s,
        }
    }

    /// The link was lost at host instant `now`: the loss's session time, if samples had flowed
    /// and it was not already lost. The next connection re-anchors the device clock.
    pub fn lost(&mut self, now: Instant) -> Option<f64> {
        self.anchor = None;
        self.untimed_run = false;
        self.rhythm.restart();
        let last = self.last_t.filter(|_| self.lost.is_none())?;
        self.lost = Some(last);
        Some(round_us(last.max(self.host_s(now))))
    }
}

/// The time of an untimed line that arrived at session time `host` (already spread back within
/// its read), following the previous line's time `prev` by the measured `period_s`: one period
/// on, moved [`RHYTHM_GAIN`] of the way towards its arrival, never less than half a period on.
/// A line far later than the rhythm predicts (the sketch paused) takes its arrival time.
fn follow_rhythm(prev: f64, host: f64, period_s: f64) -> f64 {
    let predicted = prev + period_s;
    let behind = host - predicted;
    if behind > (10.0 * period_s).max(0.05) {
        host
    } else {
        (predicted + RHYTHM_GAIN * behind).max(prev + 0.5 * period_s)
    }
}

/// The gap in seconds between the last sample before a reconnect and the first after it, by the
/// device's clock, when the device evidently kept running: its sequence number moved forward and
/// its clock advanced about as far as that many sample periods (`period_s`) take — the rule of
/// firmware-protocol.md, section 5, applied across the reconnect. Raw counters wrap at 2^32.
pub fn continued_gap_s(
    last: Option<(u32, u64)>,
    seq: Option<u32>,
    device_us: u64,
    period_s: f64,
) -> Option<f64> {
    let (last_seq, last_us) = last?;
    let k = seq?.wrapping_sub(last_seq);
    if k == 0 || k >= 1 << 31 {
        return None; // repeated or backwards: the device restarted
    }
    // Truncation is the point: compare the raw 32-bit device clocks.
    let d_us = f64::from((device_us as u32).wrapping_sub(last_us as u32));
    let expected_us = f64::from(k) * period_s * 1e6;
    let slack_us = crate::protocol::TIME_JUMP_SLACK_US as f64;
    (d_us >= 0.5 * expected_us - slack_us && d_us <= 2.0 * expected_us + slack_us)
        .then_some(d_us * 1e-6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_time_sets_the_spacing_and_a_reboot_falls_back_to_host_time() {
        let mut tb = TimeBase::default();
        let at = Instant::now();
        let a = tb.stamp(Some(5_000_000), Some(10), at, 0, 0.01);
        let b = tb.stamp(Some(5_010_000), Some(11), at, 0, 0.01);
        assert_eq!((a.t_s, b.t_s), (0.0, 0.01));
        assert_eq!(tb.lost(at), Some(0.01));
        assert_eq!(tb.lost(at), None, "lost once");
        // Rebooted: sequence and clock from 0. Time moves on from host time, never back.
        let c = tb.stamp(Some(0), Some(0), at, 0, 0.01);
        assert_eq!(c.t_s, 0.02);
        assert_eq!(c.back_after_s, Some(0.01));
    }

    #[test]
    fn untimed_lines_are_spread_back_from_their_arrival_and_stay_increasing() {
        let mut tb = TimeBase::default();
        let at = Instant::now();
        let times: Vec<f64> = (0..5)
            .map(|i| tb.stamp(None, None, at, 4 - i, 0.01).t_s)
            .collect();
        assert_eq!(times, [0.0, 0.01, 0.02, 0.03, 0.04]);
        // The same arrival again: a period on, pulled an eighth of the way back to its arrival.
        assert_eq!(tb.stamp(None, None, at, 0, 0.01).t_s, 0.04875);
    }

    #[test]
    fn untimed_lines_at_500_hz_are_timed_by_their_measured_rate() {
        // A line every 2 ms; the reader wakes every 4–5 ms (jittered) and takes what is there.
        let base = Instant::now();
        let mut tb = TimeBase::default();
        let mut times = Vec::new();
        let (mut sent, mut read_ms, mut jitter) = (0u32, 0.0f64, 7u32);
        while sent < 2500 {
            jitter = jitter.wrapping_mul(1_103_515_245).wrapping_add(12_345) % 1000;
            read_ms += 4.0 + f64::from(jitter) / 1000.0;
            let upto = (read_ms / 2.0).floor() as u32 + 1;
            let at = base + Duration::from_secs_f64(read_ms / 1000.0);
            let n = upto.saturating_sub(sent) as usize;
            tb.arrived(at, n);
            for i in 0..n {
                times.push(tb.stamp(None, None, at, n - 1 - i, 0.01).t_s);
            }
            sent = upto;
        }
        let rate = tb.measured_rate_hz().unwrap_or_default();
        assert!((rate - 500.0).abs() < 5.0, "{rate} Hz");
        for (i, w) in times.windows(2).enumerate().skip(100) {
            let d = w[1] - w[0];
            assert!((0.0015..=0.0025).contains(&d), "interval {i}: {d} s");
        }
    }

    #[test]
    fn a_device_clock_that_kept_running_measures_the_gap() {
        // 100 Hz; 400 samples (4 s) later by sequence, 4.0 s later by the clock: continued.
        let last = Some((1000, 5_000_000));
        assert_eq!(
            continued_gap_s(last, Some(1400), 9_000_000, 0.01),
            Some(4.0)
        );
        // Across the 32-bit clock wrap.
        let last = Some((u32::MAX, u64::from(u32::MAX) - 5_000));
        // 10 samples on, 0.1 s on by a clock that wrapped past 2^32 µs.
        let gap = continued_gap_s(last, Some(9), 94_999, 0.01);
        assert!(gap.is_some_and(|g| (g - 0.1).abs() < 1e-9), "{gap:?}");
        // Rebooted (sequence back to 0), or the clock disagrees with the sequence: host time.
        let last = Some((1000, 5_000_000));
        assert_eq!(continued_gap_s(last, Some(0), 1_000, 0.01), None);
        assert_eq!(continued_gap_s(last, Some(1001), 900_000_000, 0.01), None);
        assert_eq!(continued_gap_s(None, Some(1), 0, 0.01), None);
        assert_eq!(continued_gap_s(last, None, 0, 0.01), None);
    }
}
