//! Sitting bouts, derived from the stored intervals (the store keeps states, not bouts).
//!
//! **Definition.** A sitting bout is a stretch of seated monitored time: every state but
//! `moving` (upright, slouched, leaning back, and uncalibrated, which is still worn and still).
//! It ends where the wearer moves — any `moving` interval, i.e. walking-level activity held for
//! the classifier's entry time (2 s by default): standing up and walking away interrupts sitting,
//! as in the sedentary-behaviour literature, even when it is too short to count as a break —
//! or where the data stops for longer than [`MAX_BRIDGED_GAP_MS`] (we cannot know what happened
//! in a long gap). Shorter gaps (a sensor dropout) are bridged and count towards the bout's
//! length, which is wall time from its first seated instant to its last. A bout belongs to the
//! day, and the period, it started in, like a slouch episode.
//!
//! This is stricter than the break reminder's sitting clock, which only a break of at least
//! `break_min_s` (2 min) of movement resets: a bout here can be shorter than the time the
//! reminder counted.

use rusqlite::Connection;

use crate::posture::PostureState;
use crate::store::StoreError;
use crate::store::query::load_spans;

/// Gaps in the data up to this long (1 min) do not end a bout, ms.
pub const MAX_BRIDGED_GAP_MS: i64 = 60_000;

/// How far before and after the period intervals are read, so that a bout is measured whole
/// (one that runs past the period's end) and one already running at the period's start is seen
/// as such (and left to the period before), ms. No one sits for a day.
const LOOK_AROUND_MS: i64 = 24 * 3_600_000;

/// Bouts of at least this long are counted apart (30 min and 60 min, the usual cut-offs), s.
pub const LONG_BOUT_S: [f64; 2] = [30.0 * 60.0, 60.0 * 60.0];

/// One sitting bout, UTC ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bout {
    pub start_ms: i64,
    pub end_ms: i64,
}

impl Bout {
    /// Seconds.
    pub fn duration_s(&self) -> f64 {
        (self.end_ms - self.start_ms) as f64 / 1000.0
    }
}

/// The bouts that started in `[from_ms, to_ms)`, in order (see the module docs for the rule).
pub fn sitting_bouts(conn: &Connection, from_ms: i64, to_ms: i64) -> Result<Vec<Bout>, StoreError> {
    let spans = load_spans(
        conn,
        from_ms.saturating_sub(LOOK_AROUND_MS),
        to_ms.saturating_add(LOOK_AROUND_MS),
    )?;
    let all = bouts_of(spans.iter().map(|s| (s.start_ms, s.end_ms, s.state)));
    Ok(all
        .into_iter()
        .filter(|b| b.start_ms >= from_ms && b.start_ms < to_ms)
        .collect())
}

/// Bouts from intervals given in order of start: `(start_ms, end_ms, state)`.
pub fn bouts_of(spans: impl IntoIterator<Item = (i64, i64, PostureState)>) -> Vec<Bout> {
    let mut out = Vec::new();
    let mut current: Option<Bout> = None;
    for (start_ms, end_ms, state) in spans {
        let seated = !matches!(state, PostureState::Moving | PostureState::NoData);
        if !seated {
            out.extend(current.take());
            continue;
        }
        match &mut current {
            Some(b) if start_ms - b.end_ms <= MAX_BRIDGED_GAP_MS => {
                b.end_ms = b.end_ms.max(end_ms);
            }
            _ => {
                out.extend(current.take());
                current = Some(Bout { start_ms, end_ms });
            }
        }
    }
    out.extend(current);
    out
}

/// Bouts summed up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoutStats {
    pub count: u32,
    /// All bouts together, seconds.
    pub total_s: f64,
    /// The longest, with when it started (local, for people).
    pub longest: Option<(Bout, String)>,
    /// Bouts of at least 30 min.
    pub over_30_min: u32,
    /// Bouts of at least 60 min.
    pub over_60_min: u32,
}

impl BoutStats {
    /// `when` labels a start time (UTC ms) for people.
    pub fn of(bouts: &[Bout], when: impl Fn(i64) -> String) -> Self {
        let mut s = Self::default();
        let mut longest: Option<Bout> = None;
        for b in bouts {
            s.count += 1;
            s.total_s += b.duration_s();
            s.over_30_min += u32::from(b.duration_s() >= LONG_BOUT_S[0]);
            s.over_60_min += u32::from(b.duration_s() >= LONG_BOUT_S[1]);
            if longest.is_none_or(|l| b.duration_s() > l.duration_s()) {
                longest = Some(*b);
            }
        }
        s.longest = longest.map(|b| (b, when(b.start_ms)));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PostureState::*;

    #[test]
    fn moving_ends_a_bout_and_short_gaps_are_bridged() {
        let min = 60_000;
        let bouts = bouts_of([
            (0, 10 * min, Upright),
            (10 * min, 20 * min, Slouched),
            // a 30 s dropout: bridged
            (20 * min + 30_000, 40 * min, LeaningBack),
            (40 * min, 41 * min, Moving),
            (41 * min, 50 * min, Uncalibrated),
            // a 5 min gap: a new bout
            (55 * min, 60 * min, Upright),
        ]);
        assert_eq!(
            bouts,
            vec![
                Bout {
                    start_ms: 0,
                    end_ms: 40 * min
                },
                Bout {
                    start_ms: 41 * min,
                    end_ms: 50 * min
                },
                Bout {
                    start_ms: 55 * min,
                    end_ms: 60 * min
                },
            ]
        );
        let stats = BoutStats::of(&bouts, |ms| ms.to_string());
        assert_eq!(stats.count, 3);
        assert_eq!(stats.total_s, 54.0 * 60.0);
        assert_eq!(stats.over_30_min, 1);
        assert_eq!(stats.over_60_min, 0);
        assert_eq!(
            stats.longest.map(|(b, w)| (b.start_ms, w)),
            Some((0, "0".into()))
        );
    }
}
