//! Time as the engine sees it, injectable so the logic never reads the system clock itself:
//! local wall time (quiet hours, "until tomorrow", the day boundary, recording names), UTC wall
//! time (where a live session lies in the history) and a monotonic clock (silence, measured
//! rate, pacing checks, retries), all from a [`Clock`].
//!
//! The wall clock may jump (set by hand, an NTP step, a suspend, which the monotonic clock does
//! not count); nothing that measures durations reads it. The rules run on session time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Local, NaiveDateTime, TimeZone, Utc};

/// Local date and time, and monotonic time.
pub trait Clock: Send {
    fn local_now(&self) -> NaiveDateTime;
    /// The wall clock in UTC (the same instant as `local_now`, without the zone's ambiguity).
    fn utc_now(&self) -> DateTime<Utc>;
    /// Monotonic time since an arbitrary start; never goes back, whatever the wall clock does.
    fn monotonic(&self) -> Duration;
}

/// The system's local time and `Instant`.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    start: Instant,
}

impl SystemClock {
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn local_now(&self) -> NaiveDateTime {
        Local::now().naive_local()
    }

    fn utc_now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn monotonic(&self) -> Duration {
        self.start.elapsed()
    }
}

/// A fixed time of day, for tests; monotonic time is real (a live pty sensor in a UI test
/// still falls silent in real time).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub NaiveDateTime);

impl Clock for FixedClock {
    fn local_now(&self) -> NaiveDateTime {
        self.0
    }

    fn utc_now(&self) -> DateTime<Utc> {
        local_to_utc(self.0)
    }

    fn monotonic(&self) -> Duration {
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed()
    }
}

/// A clock the test moves by hand: both the wall time and the monotonic time advance only with
/// [`ManualClock::advance`]. Clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    start: NaiveDateTime,
    elapsed_us: Arc<AtomicU64>,
}

impl ManualClock {
    pub fn new(start: NaiveDateTime) -> Self {
        Self {
            start,
            elapsed_us: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn advance(&self, by: Duration) {
        let us = u64::try_from(by.as_micros()).unwrap_or(u64::MAX);
        self.elapsed_us.fetch_add(us, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn local_now(&self) -> NaiveDateTime {
        let us = self.elapsed_us.load(Ordering::Relaxed);
        self.start + chrono::TimeDelta::microseconds(i64::try_from(us).unwrap_or(i64::MAX))
    }

    fn utc_now(&self) -> DateTime<Utc> {
        local_to_utc(self.local_now())
    }

    fn monotonic(&self) -> Duration {
        Duration::from_micros(self.elapsed_us.load(Ordering::Relaxed))
    }
}

/// A local time as UTC in the machine's zone: the earlier of a time the clock shows twice; one
/// it skips is read as UTC (test clocks only).
fn local_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    Local
        .from_local_datetime(&local)
        .earliest()
        .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
}

/// Seconds from `now` until the next local midnight.
pub fn seconds_until_midnight(now: NaiveDateTime) -> f64 {
    let Some(tomorrow) = now.date().succ_opt() else {
        return 24.0 * 3600.0;
    };
    let midnight = tomorrow.and_time(chrono::NaiveTime::MIN);
    (midnight - now).num_milliseconds() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midnight_is_counted_from_now() {
        let now = chrono::NaiveDate::from_ymd_opt(2025, 3, 4)
            .and_then(|d| d.and_hms_opt(22, 30, 0))
            .unwrap_or_default();
        assert_eq!(seconds_until_midnight(now), 5400.0);
    }

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start = chrono::NaiveDate::from_ymd_opt(2025, 3, 4)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap_or_default();
        let c = ManualClock::new(start);
        let view = c.clone();
        assert_eq!(view.monotonic(), Duration::ZERO);
        c.advance(Duration::from_secs(90));
        assert_eq!(view.monotonic(), Duration::from_secs(90));
        assert_eq!(view.local_now(), start + chrono::TimeDelta::seconds(90));
    }
}
