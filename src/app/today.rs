//! The window's "today" counters: the session's [`Summary`] since the local day began (the same
//! summary code the CLI prints, so a gap or a slouch counts the same everywhere), plus the
//! breaks the wearer marked done by hand.

use chrono::NaiveDate;

use crate::pipeline::Summary;
use crate::posture::PostureState;

use super::store::Today;

/// Tracks where today began in the session's summary.
#[derive(Debug, Clone, Default)]
pub struct TodayCounter {
    baseline: Summary,
    date: Option<NaiveDate>,
    marked_breaks: u32,
}

impl TodayCounter {
    /// A new session: counting starts from zero.
    pub fn reset(&mut self) {
        *self = Self {
            date: self.date,
            ..Self::default()
        };
    }

    /// The local date now (`None` in a replay, which has no "today"); returns true when a new
    /// day began and the counters restarted from `summary`.
    pub fn follow_date(&mut self, date: Option<NaiveDate>, summary: &Summary) -> bool {
        let Some(date) = date else {
            return false;
        };
        // A wall clock set back over midnight (by hand, an NTP step) must not start "today"
        // again, nor a second time when it reaches midnight: one date back is still today. More
        // than that, the clock was simply wrong before, and its date is believed.
        let new_day = self
            .date
            .is_some_and(|d| date > d || Some(date) < d.pred_opt());
        if new_day || self.date.is_none() {
            self.date = Some(date);
        }
        if new_day {
            self.baseline = summary.clone();
            self.marked_breaks = 0;
        }
        new_day
    }

    /// The wearer pressed "Mark break done".
    pub fn mark_break(&mut self) {
        self.marked_breaks += 1;
    }

    /// Today's counters from the session's summary now.
    pub fn today(&self, summary: &Summary, since_break_s: f64) -> Today {
        let day = summary.since(&self.baseline);
        Today {
            slouched_s: day.state_s[PostureState::Slouched.index()],
            alerts: day.rules.slouch_alerts,
            break_reminders: day.rules.break_reminders,
            breaks: day.rules.breaks_taken + self.marked_breaks,
            monitored_s: day.monitored_s,
            since_break_s,
            held_back: day.rules.suppressed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(slouched_s: f64, alerts: u32) -> Summary {
        let mut s = Summary {
            monitored_s: 2.0 * slouched_s,
            ..Summary::default()
        };
        s.state_s[PostureState::Slouched.index()] = slouched_s;
        s.rules.slouch_alerts = alerts;
        s
    }

    #[test]
    fn today_is_the_summary_since_midnight() {
        let d1 = NaiveDate::from_ymd_opt(2026, 11, 24);
        let d2 = NaiveDate::from_ymd_opt(2026, 11, 25);
        let mut t = TodayCounter::default();
        assert!(!t.follow_date(d1, &summary(0.0, 0)));
        t.mark_break();
        let s = summary(300.0, 2);
        assert_eq!(t.today(&s, 10.0).slouched_s, 300.0);
        assert_eq!(t.today(&s, 10.0).breaks, 1);
        assert!(t.follow_date(d2, &s));
        let later = summary(360.0, 3);
        let today = t.today(&later, 0.0);
        assert_eq!((today.slouched_s, today.alerts, today.breaks), (60.0, 1, 0));
        assert_eq!(today.monitored_s, 120.0);
        // A replay has no date: nothing restarts.
        assert!(!t.follow_date(None, &later));
    }

    #[test]
    fn a_clock_set_back_over_midnight_is_not_a_new_day_twice() {
        let d = |day| NaiveDate::from_ymd_opt(2025, 3, day).unwrap_or_default();
        let mut t = TodayCounter::default();
        assert!(!t.follow_date(Some(d(4)), &summary(0.0, 0)));
        assert!(t.follow_date(Some(d(5)), &summary(60.0, 1)), "midnight");
        // Back an hour to 23:30 of the 4th: still the 5th's counters.
        assert!(!t.follow_date(Some(d(4)), &summary(120.0, 2)));
        assert_eq!(t.today(&summary(120.0, 2), 0.0).alerts, 1);
        // The clock reaches midnight again: not a second new day.
        assert!(!t.follow_date(Some(d(5)), &summary(180.0, 3)));
        assert_eq!(t.today(&summary(180.0, 3), 0.0).alerts, 2);
        assert!(t.follow_date(Some(d(6)), &summary(240.0, 4)));
        // A clock that was days ahead and is put right: its date is believed.
        assert!(t.follow_date(Some(d(2)), &summary(300.0, 5)));
        assert_eq!(t.today(&summary(300.0, 5), 0.0).alerts, 0);
    }
}
