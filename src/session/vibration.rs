//! The one table of vibration patterns: what the clip does on each alert, the same from
//! `spinewatch record --vibrate` and from the window.

use crate::posture::EventKind;

/// A buzz of the sensor's motor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vibration {
    pub duration_ms: u32,
    pub strength_pct: u8,
}

/// A slouch alert: 400 ms at 80 % is felt through a shirt without being startling.
pub const SLOUCH_ALERT: Vibration = Vibration {
    duration_ms: 400,
    strength_pct: 80,
};

/// A break reminder: shorter and softer; it is an invitation, not a correction.
pub const BREAK_REMINDER: Vibration = Vibration {
    duration_ms: 250,
    strength_pct: 50,
};

/// The pattern for an event, if it buzzes at all.
pub fn for_event(kind: &EventKind) -> Option<Vibration> {
    match kind {
        EventKind::SlouchAlert { .. } => Some(SLOUCH_ALERT),
        EventKind::BreakReminder { .. } => Some(BREAK_REMINDER),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_alerts_and_reminders_buzz() {
        let alert = EventKind::SlouchAlert {
            start_s: 0.0,
            held_s: 60.0,
            flexion_deg: 30.0,
            repeat: 0,
        };
        assert_eq!(for_event(&alert), Some(SLOUCH_ALERT));
        assert_eq!(for_event(&EventKind::BreakTaken { start_s: 0.0 }), None);
        const { assert!(SLOUCH_ALERT.strength_pct > BREAK_REMINDER.strength_pct) };
    }
}
