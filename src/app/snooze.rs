//! When alerts are held back: a snooze for a while or until tomorrow, meeting mode, quiet hours.
//! Pure: session time and the local time of day are passed in, so it is tested without a clock.
//!
//! The rules only know one thing, "held back until session time T" (∞ for meeting mode and
//! quiet hours); [`SnoozePolicy::effective_until_s`] says which T is in force now.

use chrono::{NaiveDateTime, Timelike};

use super::clock::seconds_until_midnight;
use super::command::SnoozeLength;
use super::state::QuietHours;
use super::store::SnoozeView;

/// The wearer's snooze choices and the quiet-hours state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SnoozePolicy {
    until_s: Option<f64>,
    label: Option<String>,
    meeting: bool,
    quiet_now: bool,
}

impl SnoozePolicy {
    /// Snoozes from session time `now_s`; "until tomorrow" counts to the next local midnight.
    pub fn snooze(&mut self, now_s: f64, length: SnoozeLength, local_now: NaiveDateTime) {
        let seconds = match length {
            SnoozeLength::Minutes(m) => f64::from(m) * 60.0,
            SnoozeLength::UntilTomorrow => seconds_until_midnight(local_now),
        };
        self.until_s = Some(now_s + seconds);
        self.label = Some(length.label());
    }

    pub fn end_snooze(&mut self) {
        self.until_s = None;
        self.label = None;
    }

    pub fn set_meeting(&mut self, on: bool) {
        self.meeting = on;
    }

    /// Follows time: a snooze that ran out ends, quiet hours start or stop. Returns whether
    /// anything changed (the window then redraws).
    pub fn update(
        &mut self,
        now_s: f64,
        local_now: Option<NaiveDateTime>,
        quiet_hours: &QuietHours,
    ) -> bool {
        let before = self.clone();
        if self.until_s.is_some_and(|until| now_s >= until) {
            self.end_snooze();
        }
        match local_now {
            Some(t) => self.quiet_now = quiet_hours.contains(t.hour() * 60 + t.minute()),
            // A replay is not happening now: quiet hours do not apply to it.
            None => self.quiet_now = false,
        }
        *self != before
    }

    /// Alerts are held back until this session time (`None`: alerts are on).
    pub fn effective_until_s(&self) -> Option<f64> {
        if self.meeting || self.quiet_now {
            Some(f64::INFINITY)
        } else {
            self.until_s
        }
    }

    pub fn view(&self) -> SnoozeView {
        SnoozeView {
            until_s: self.until_s,
            label: self.label.clone(),
            meeting: self.meeting,
            quiet_hours: self.quiet_now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32, m: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
            .and_then(|d| d.and_hms_opt(h, m, 0))
            .unwrap_or_default()
    }

    #[test]
    fn a_snooze_runs_out_by_session_time() {
        let mut p = SnoozePolicy::default();
        let quiet = QuietHours::default();
        p.snooze(100.0, SnoozeLength::Minutes(30), at(10, 0));
        assert_eq!(p.effective_until_s(), Some(1900.0));
        assert_eq!(p.view().label.as_deref(), Some("30 min"));
        assert!(!p.update(1899.0, Some(at(10, 30)), &quiet));
        assert!(p.update(1900.0, Some(at(10, 30)), &quiet));
        assert_eq!(p.effective_until_s(), None);
    }

    #[test]
    fn until_tomorrow_counts_to_local_midnight() {
        let mut p = SnoozePolicy::default();
        p.snooze(0.0, SnoozeLength::UntilTomorrow, at(22, 30));
        assert_eq!(p.effective_until_s(), Some(5400.0));
    }

    #[test]
    fn meeting_mode_and_quiet_hours_hold_everything_back() {
        let mut p = SnoozePolicy::default();
        let quiet = QuietHours {
            enabled: true,
            start: "18:00".into(),
            end: "08:00".into(),
        };
        p.set_meeting(true);
        assert_eq!(p.effective_until_s(), Some(f64::INFINITY));
        p.set_meeting(false);
        assert!(p.update(0.0, Some(at(19, 0)), &quiet));
        assert!(p.view().quiet_hours);
        assert_eq!(p.effective_until_s(), Some(f64::INFINITY));
        assert!(p.update(0.0, Some(at(9, 0)), &quiet));
        assert_eq!(p.effective_until_s(), None);
        // A replay: quiet hours never apply.
        p.update(0.0, Some(at(19, 0)), &quiet);
        p.update(0.0, None, &quiet);
        assert_eq!(p.effective_until_s(), None);
    }
}
