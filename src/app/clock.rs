//! Wall-clock time of day, injectable so quiet hours and "until tomorrow" are testable.

use chrono::{Local, NaiveDateTime};

/// Local date and time.
pub trait Clock: Send {
    fn local_now(&self) -> NaiveDateTime;
}

/// The system's local time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn local_now(&self) -> NaiveDateTime {
        Local::now().naive_local()
    }
}

/// A fixed time, for tests.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub NaiveDateTime);

impl Clock for FixedClock {
    fn local_now(&self) -> NaiveDateTime {
        self.0
    }
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
}
