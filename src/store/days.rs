//! The wearer's local days and hours, for any [`chrono::TimeZone`].
//!
//! A day runs from `day_start_min` minutes after local midnight to the same time the next local
//! date, so it has 23 or 25 hours across a DST change. A day start that falls into a DST gap
//! (the clock skips it) begins when the clock resumes; one that happens twice (the clock goes
//! back) begins at the first. Everything else is derived from these instants: a time belongs to
//! the day whose `[start, next start)` holds it, so day totals add up exactly to the whole.
//! Production uses [`chrono::Local`], which honours the `TZ` environment variable; tests use
//! fixed offsets and IANA zones.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Timelike};

use super::error::StoreError;

/// Minutes in a day: the day-start setting is below this.
pub const MINUTES_PER_DAY: u32 = 24 * 60;

/// A local clock hour of a day: its label and its `[start_ms, end_ms)` in UTC. The first and
/// last hours are partial when the day starts off the hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourSlot {
    /// The local clock hour, 0–23 (the same label twice on a day the clock goes back).
    pub hour: u32,
    pub start_ms: i64,
    pub end_ms: i64,
}

/// How the wearer's days are cut: a time zone and the day-start setting.
#[derive(Debug, Clone)]
pub struct Days<Tz: TimeZone> {
    tz: Tz,
    day_start_min: u32,
}

impl Days<chrono::Local> {
    /// The machine's local time zone (`TZ` is honoured), days starting at `day_start_min`.
    pub fn in_local_zone(day_start_min: u32) -> Result<Self, StoreError> {
        Self::new(chrono::Local, day_start_min)
    }
}

impl<Tz: TimeZone> Days<Tz> {
    /// `day_start_min`: minutes after local midnight at which a day begins (0–1439), for people
    /// who work past midnight. Whole quarter hours keep every per-day figure exact; other
    /// values split a quarter hour's flexion bands between two days by time.
    pub fn new(tz: Tz, day_start_min: u32) -> Result<Self, StoreError> {
        if day_start_min >= MINUTES_PER_DAY {
            return Err(StoreError::BadDate {
                what: "day start (minutes after midnight, 0–1439)",
                value: day_start_min.to_string(),
            });
        }
        Ok(Self { tz, day_start_min })
    }

    pub fn tz(&self) -> &Tz {
        &self.tz
    }

    pub fn day_start_min(&self) -> u32 {
        self.day_start_min
    }

    /// When `date` begins, UTC ms.
    pub fn day_start_ms(&self, date: NaiveDate) -> i64 {
        let naive = date.and_time(chrono::NaiveTime::MIN)
            + Duration::minutes(i64::from(self.day_start_min));
        // In a DST gap, step to the first local time that exists (gaps end on a quarter hour).
        for quarter in 0..=16 {
            match self
                .tz
                .from_local_datetime(&(naive + Duration::minutes(15 * quarter)))
            {
                LocalResult::Single(t) => return t.timestamp_millis(),
                LocalResult::Ambiguous(first, _) => return first.timestamp_millis(),
                LocalResult::None => {}
            }
        }
        // No zone has a 4-hour gap; fall back to reading the local time as UTC.
        naive.and_utc().timestamp_millis()
    }

    /// `[start, end)` of `date`, UTC ms.
    pub fn day_range_ms(&self, date: NaiveDate) -> (i64, i64) {
        let next = date.succ_opt().unwrap_or(date);
        (self.day_start_ms(date), self.day_start_ms(next))
    }

    /// The local date-time of a UTC instant.
    pub fn local(&self, utc_ms: i64) -> Option<DateTime<Tz>> {
        DateTime::from_timestamp_millis(utc_ms).map(|t| t.with_timezone(&self.tz))
    }

    /// The day a UTC instant belongs to.
    pub fn day_of_ms(&self, utc_ms: i64) -> NaiveDate {
        let guess = self
            .local(utc_ms)
            .map(|t| (t.naive_local() - Duration::minutes(i64::from(self.day_start_min))).date())
            .unwrap_or_default();
        // The guess can be off by one near a DST change that moves the day start; the
        // ranges decide.
        if utc_ms < self.day_start_ms(guess) {
            guess.pred_opt().unwrap_or(guess)
        } else if utc_ms >= self.day_range_ms(guess).1 {
            guess.succ_opt().unwrap_or(guess)
        } else {
            guess
        }
    }

    /// The local clock hours of `date`, in order, covering it exactly (23, 24 or 25 of them,
    /// plus one when the day starts off the hour).
    pub fn hours(&self, date: NaiveDate) -> Vec<HourSlot> {
        let (start, end) = self.day_range_ms(date);
        let mut out = Vec::with_capacity(26);
        let mut t = start;
        while t < end {
            let Some(local) = self.local(t) else { break };
            let into_hour_ms = i64::from(local.minute()) * 60_000
                + i64::from(local.second()) * 1000
                + i64::from(local.timestamp_subsec_millis());
            let next = (t - into_hour_ms + 3_600_000).min(end);
            // An offset change mid-hour (none in use today) must still move forward.
            let next = if next <= t { end } else { next };
            out.push(HourSlot {
                hour: local.hour(),
                start_ms: t,
                end_ms: next,
            });
            t = next;
        }
        out
    }

    /// `HH:MM` local time of a UTC instant.
    pub fn local_hhmm(&self, utc_ms: i64) -> String {
        self.local(utc_ms)
            .map(|t| format!("{:02}:{:02}", t.hour(), t.minute()))
            .unwrap_or_default()
    }
}

/// Monday of the ISO week holding `date`.
pub fn iso_week_monday(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// First and last day of a month.
pub fn month_bounds(year: i32, month: u32) -> Result<(NaiveDate, NaiveDate), StoreError> {
    let bad = || StoreError::BadDate {
        what: "month",
        value: format!("{year:04}-{month:02}"),
    };
    let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    let last = next.and_then(|n| n.pred_opt()).ok_or_else(bad)?;
    Ok((first, last))
}

/// `YYYY-MM-DD`.
pub fn parse_day(text: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| StoreError::BadDate {
        what: "day (YYYY-MM-DD)",
        value: text.to_string(),
    })
}

/// `YYYY-MM` → (year, month).
pub fn parse_month(text: &str) -> Result<(i32, u32), StoreError> {
    let bad = || StoreError::BadDate {
        what: "month (YYYY-MM)",
        value: text.to_string(),
    };
    let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
    let year: i32 = y.parse().map_err(|_| bad())?;
    let month: u32 = m.parse().map_err(|_| bad())?;
    month_bounds(year, month).map_err(|_| bad())?;
    Ok((year, month))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn a_fixed_zone_day_is_24_hours_from_its_local_start() {
        let tz = FixedOffset::east_opt(5 * 3600 + 45 * 60).unwrap_or_else(|| panic!("offset"));
        let days = Days::new(tz, 0).unwrap_or_else(|e| panic!("{e}"));
        let (start, end) = days.day_range_ms(date(2026, 11, 24));
        assert_eq!(end - start, 86_400_000);
        // 00:00 at +05:45 is 18:15 UTC the day before.
        assert_eq!(days.local_hhmm(start), "00:00");
        assert_eq!(start.rem_euclid(3_600_000), 15 * 60_000);
        let hours = days.hours(date(2026, 11, 24));
        assert_eq!(hours.len(), 24);
        assert_eq!(hours[9].hour, 9);
        assert_eq!(days.day_of_ms(start), date(2026, 11, 24));
        assert_eq!(days.day_of_ms(start - 1), date(2026, 11, 23));
        assert_eq!(days.day_of_ms(end - 1), date(2026, 11, 24));
    }

    #[test]
    fn a_day_start_setting_moves_the_boundary_and_makes_a_partial_first_hour() {
        let days = Days::new(chrono::Utc, 4 * 60 + 30).unwrap_or_else(|e| panic!("{e}"));
        let hours = days.hours(date(2026, 11, 24));
        assert_eq!(hours.len(), 25);
        assert_eq!(
            (hours[0].hour, hours[0].end_ms - hours[0].start_ms),
            (4, 1_800_000)
        );
        assert_eq!(hours[24].hour, 4);
        assert!(Days::new(chrono::Utc, 1440).is_err());
    }

    #[test]
    fn weeks_and_months() {
        assert_eq!(iso_week_monday(date(2026, 11, 29)), date(2026, 11, 23));
        assert_eq!(iso_week_monday(date(2026, 11, 23)), date(2026, 11, 23));
        assert_eq!(
            month_bounds(2028, 2).ok(),
            Some((date(2028, 2, 1), date(2028, 2, 29)))
        );
        assert_eq!(parse_month("2026-12").ok(), Some((2026, 12)));
        assert!(parse_month("2026-13").is_err());
        assert!(parse_day("2026-02-30").is_err());
    }
}
