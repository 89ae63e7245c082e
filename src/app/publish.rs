//! Snapshots, not shared mutation: the engine prepares what changed in its own working copy and
//! swaps it into what the window reads, holding the lock only for the swap (and for appending
//! the few flexion points that arrived since the last one). The window never waits for a tick.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::store::Shared;

/// Wakes the window; the argument is how soon a repaint is wanted.
pub type Waker = Box<dyn Fn(Duration) + Send>;

/// Live data wakes the window at most this often (an angle display needs no more).
pub const LIVE_REPAINT_EVERY: Duration = Duration::from_millis(250);
/// While the window is hidden, live data is published at most this often (nothing draws it;
/// the tray's tooltip and a window shown again read it). Urgent changes go at once.
pub const HIDDEN_PUBLISH_EVERY: Duration = Duration::from_secs(1);
/// The engine polls a paced source at most this often while the window shows: 20 rounds a
/// second, five times the live repaint rate, so a snapshot is never more than 50 ms old when
/// the wearer moves the mouse. A sensor at 1 kHz brings 50 samples a round (its ring holds
/// about 14 s).
pub const VISIBLE_TICK: Duration = Duration::from_millis(50);
/// ... and while it is hidden: 10 rounds a second. An alert then comes at most 0.1 s later;
/// its delay is a minute or more. Each round costs a wake-up, the housekeeping and a publish
/// check whatever it brings, so fewer rounds are most of a hidden window's cost (issue 7:
/// 50 rounds a second took 0.53 % of a core with the demo, more than the loop they replaced).
pub const HIDDEN_TICK: Duration = Duration::from_millis(100);

/// How long the engine may sleep before its next round, given what the source asks for
/// (`Duration::ZERO`: unpaced, as fast as it goes, e.g. a replay at max speed or a seek) and
/// whether the window shows. A command wakes it at once either way.
pub fn tick_interval(source_wants: Duration, visible: bool) -> Duration {
    if source_wants.is_zero() {
        return Duration::ZERO;
    }
    let floor = if visible { VISIBLE_TICK } else { HIDDEN_TICK };
    source_wants.clamp(floor, HIDDEN_TICK)
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Flexion points for the window's ring since the last publish.
#[derive(Debug, Clone, Default)]
pub struct RingDelta {
    /// The ring starts over (a new session) before these points.
    pub clear: bool,
    pub points: Vec<(f64, Option<f64>)>,
}

impl RingDelta {
    pub fn push(&mut self, t_s: f64, deg: Option<f64>) {
        self.points.push((t_s, deg));
    }

    pub fn clear(&mut self) {
        self.clear = true;
        self.points.clear();
    }
}

/// The engine's end of the snapshot: the store the window reads, its waker and visibility.
pub struct Publisher {
    shared: Arc<Mutex<Shared>>,
    waker: Arc<Mutex<Option<Waker>>>,
    visible: Arc<AtomicBool>,
    last_wake: Option<Duration>,
    /// When a snapshot was last published while the window was hidden (monotonic).
    last_hidden: Option<Duration>,
}

impl Publisher {
    pub fn new(
        shared: Arc<Mutex<Shared>>,
        waker: Arc<Mutex<Option<Waker>>>,
        visible: Arc<AtomicBool>,
    ) -> Self {
        Self {
            shared,
            waker,
            visible,
            last_wake: None,
            last_hidden: None,
        }
    }

    /// Whether the window shows (the UI says so through the engine handle).
    pub fn visible(&self) -> bool {
        self.visible.load(Ordering::Relaxed)
    }

    /// Whether a snapshot is due at `now` (monotonic): every change while the window shows,
    /// an urgent one always, live data at most every [`HIDDEN_PUBLISH_EVERY`] while hidden.
    pub fn due(&mut self, now: Duration, changed: bool, urgent: bool) -> bool {
        if urgent {
            return true;
        }
        if !changed {
            return false;
        }
        if self.visible.load(Ordering::Relaxed) {
            self.last_hidden = None;
            return true;
        }
        let due = self
            .last_hidden
            .is_none_or(|t| now.saturating_sub(t) >= HIDDEN_PUBLISH_EVERY);
        if due {
            self.last_hidden = Some(now);
        }
        due
    }

    /// Publishes `working` (its version bumped) with the ring points in `delta`.
    pub fn publish(&mut self, working: &mut Shared, delta: &mut RingDelta) {
        working.version = working.version.wrapping_add(1);
        let mut next = working.clone();
        {
            let mut ui = lock(&self.shared);
            std::mem::swap(&mut next.ring, &mut ui.ring);
            if delta.clear {
                next.ring.clear();
            }
            for &(t, d) in &delta.points {
                next.ring.push(t, d);
            }
            std::mem::swap(&mut *ui, &mut next);
        }
        // `next` now holds the previous snapshot; it is dropped here, outside the lock.
        delta.clear = false;
        delta.points.clear();
    }

    /// Wakes the window: at once when `urgent`, for live data only while it is visible and
    /// at most every [`LIVE_REPAINT_EVERY`]. `now` is monotonic time.
    pub fn wake(&mut self, now: Duration, changed: bool, urgent: bool) -> bool {
        let visible = self.visible.load(Ordering::Relaxed);
        let due = self
            .last_wake
            .is_none_or(|t| now.saturating_sub(t) >= LIVE_REPAINT_EVERY);
        let wake = urgent || (changed && visible && due);
        if wake {
            if let Some(w) = &*lock(&self.waker) {
                w(Duration::from_millis(1));
            }
            self.last_wake = Some(now);
        }
        wake
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_rounds_are_paced_by_the_window_unless_the_source_is_unpaced() {
        let ms = Duration::from_millis;
        // Live sources ask for 20 ms; a replay at 1x for 10 ms, paused for 50 ms.
        assert_eq!(tick_interval(ms(20), true), VISIBLE_TICK);
        assert_eq!(tick_interval(ms(20), false), HIDDEN_TICK);
        assert_eq!(tick_interval(ms(10), true), VISIBLE_TICK);
        assert_eq!(tick_interval(ms(50), false), HIDDEN_TICK);
        // Never longer than a hidden round, and unpaced stays unpaced.
        assert_eq!(tick_interval(Duration::from_secs(5), true), HIDDEN_TICK);
        assert_eq!(tick_interval(Duration::ZERO, false), Duration::ZERO);
        assert_eq!(tick_interval(Duration::ZERO, true), Duration::ZERO);
    }
    use crate::app::state::Settings;

    #[test]
    fn a_publish_swaps_the_snapshot_and_appends_only_new_points() {
        let shared = Arc::new(Mutex::new(Shared::new(Settings::default(), "s".into())));
        let mut p = Publisher::new(
            Arc::clone(&shared),
            Arc::new(Mutex::new(None)),
            Arc::new(AtomicBool::new(true)),
        );
        let mut working = Shared::new(Settings::default(), "s".into());
        let mut delta = RingDelta::default();
        for i in 0..10 {
            delta.push(f64::from(i), Some(1.0));
        }
        working.now_s = 9.0;
        p.publish(&mut working, &mut delta);
        assert!(delta.points.is_empty());
        delta.push(10.0, Some(2.0));
        p.publish(&mut working, &mut delta);
        let (len, now, version) = {
            let ui = lock(&shared);
            (ui.ring.len(), ui.now_s, ui.version)
        };
        assert_eq!((len, now, version), (11, 9.0, 2));
        assert!(
            working.ring.is_empty(),
            "the working copy never holds the ring"
        );
        delta.clear();
        p.publish(&mut working, &mut delta);
        assert_eq!(lock(&shared).ring.len(), 0);
    }

    #[test]
    fn live_data_wakes_a_visible_window_four_times_a_second_at_most() {
        let woken = Arc::new(Mutex::new(0u32));
        let count = Arc::clone(&woken);
        let visible = Arc::new(AtomicBool::new(true));
        let waker: Waker = Box::new(move |_| *lock(&count) += 1);
        let mut p = Publisher::new(
            Arc::new(Mutex::new(Shared::new(Settings::default(), "s".into()))),
            Arc::new(Mutex::new(Some(waker))),
            Arc::clone(&visible),
        );
        for ms in (0..1000).step_by(20) {
            p.wake(Duration::from_millis(ms), true, false);
        }
        assert_eq!(*lock(&woken), 4);
        visible.store(false, Ordering::Relaxed);
        for ms in (1000..2000).step_by(20) {
            p.wake(Duration::from_millis(ms), true, false);
        }
        assert_eq!(*lock(&woken), 4, "hidden: no wake for live data");
        p.wake(Duration::from_millis(2000), false, true);
        assert_eq!(*lock(&woken), 5, "an alert wakes it anyway");
    }

    #[test]
    fn a_hidden_window_gets_live_data_once_a_second_and_urgent_changes_at_once() {
        let visible = Arc::new(AtomicBool::new(true));
        let mut p = Publisher::new(
            Arc::new(Mutex::new(Shared::new(Settings::default(), "s".into()))),
            Arc::new(Mutex::new(None)),
            Arc::clone(&visible),
        );
        let ticks = |p: &mut Publisher, from_ms: u64, urgent_at: Option<u64>| {
            (from_ms..from_ms + 1000)
                .step_by(20)
                .filter(|&ms| p.due(Duration::from_millis(ms), true, Some(ms) == urgent_at))
                .count()
        };
        assert_eq!(ticks(&mut p, 0, None), 50, "visible: every tick with news");
        visible.store(false, Ordering::Relaxed);
        assert_eq!(ticks(&mut p, 1000, None), 1);
        assert_eq!(
            ticks(&mut p, 2000, Some(2500)),
            2,
            "once a second, and the alert"
        );
        assert!(
            !p.due(Duration::from_millis(4000), false, false),
            "nothing new"
        );
    }
}
