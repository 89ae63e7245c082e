//! Truth: what actually happened, derived from the compiled script, for scoring a monitor.
//!
//! Why: a posture monitor is judged on when true flexion crossed the slouch threshold
//! ([`SLOUCH_THRESHOLD_DEG`], deg) and whether it stayed there for [`SLOUCH_HOLD_S`] (s). The
//! script is an analytic function of time, so these times are found exactly rather than read
//! off sampled data: a 20 ms scan that skips pieces whose flexion bound rules a crossing out,
//! then bisection to about 1 µs. Every non-`Upright` segment becomes one [`Episode`].

use super::compile::SegmentInfo;
use super::script::Script;
use super::vocabulary::{ActivityKind, Episode, SLOUCH_HOLD_S, SLOUCH_THRESHOLD_DEG};

/// The episodes of `script`, one per non-`Upright` segment in `infos`, in time order.
pub(super) fn episodes(script: &Script, infos: &[(ActivityKind, SegmentInfo)]) -> Vec<Episode> {
    let mut episodes = Vec::new();
    for (kind, info) in infos {
        let kind = *kind;
        if kind == ActivityKind::Upright {
            continue;
        }
        let spans = script.spans_starting_in(SLOUCH_THRESHOLD_DEG, info.start_s, info.end_s);
        let sustained_from = spans
            .iter()
            .find(|(a, b)| b - a >= SLOUCH_HOLD_S)
            .map(|(a, _)| *a);
        episodes.push(Episode {
            kind,
            start_s: info.start_s,
            end_s: info.end_s,
            target_flexion_deg: info.target_flexion_deg,
            above_20_s: spans.first().map(|(a, _)| *a),
            held_above_20_s: spans.iter().map(|(a, b)| b - a).fold(0.0, f64::max),
            sustained_from_s: sustained_from,
            sustained: sustained_from.is_some(),
            moving_s: info.moving_s,
        });
    }
    episodes
}

impl Script {
    /// First time (s) in `[episode.start_s, episode.end_s]` at which true flexion is at least
    /// `threshold_deg` (`start_s` if it already is), or `None`.
    pub fn above_threshold_s(&self, episode: &Episode, threshold_deg: f64) -> Option<f64> {
        self.first_time(threshold_deg, episode.start_s, episode.end_s, true)
    }

    /// All maximal intervals (s) over the whole day during which true flexion is at least
    /// `threshold_deg`, with crossing times refined to about a microsecond.
    ///
    /// Why: alert tests can check every alert against these spans (an alert is correct only
    /// inside a span that has lasted ≥ 60 s) regardless of which segment caused it.
    pub fn spans_above(&self, threshold_deg: f64) -> Vec<(f64, f64)> {
        self.spans_starting_in(threshold_deg, 0.0, self.duration_s)
    }

    /// Maximal intervals at or above `threshold_deg` whose start lies in `[t0, t1]` (a span
    /// already running at `t0` is reported as starting at `t0`).
    pub fn spans_starting_in(&self, threshold_deg: f64, t0: f64, t1: f64) -> Vec<(f64, f64)> {
        let mut spans = Vec::new();
        let mut t = t0;
        while let Some(s) = self.first_time(threshold_deg, t, t1, true) {
            let e = self
                .first_time(threshold_deg, s, self.duration_s, false)
                .unwrap_or(self.duration_s);
            spans.push((s, e));
            if e >= t1 {
                break;
            }
            t = e.max(s + 1e-9);
        }
        spans
    }

    /// First time in `[t_from, t_to]` at which `(flexion ≥ threshold) == want_above`.
    ///
    /// Scans at 20 ms (far finer than any posture feature: sway is < 0.2 Hz, and pieces whose
    /// flexion bound rules the condition out are skipped whole), then bisects the crossing.
    fn first_time(&self, thr: f64, t_from: f64, t_to: f64, want_above: bool) -> Option<f64> {
        const STEP_S: f64 = 0.02;
        if t_to < t_from {
            return None;
        }
        let cond = |f: f64| (f >= thr) == want_above;
        let mut i = self.piece_index(t_from);
        if cond(self.pose_in_piece(i, t_from).flex_deg.v) {
            return Some(t_from);
        }
        let mut prev_t = t_from;
        while i < self.pieces.len() {
            let p = &self.pieces[i];
            let seg_end = p.t1.min(t_to);
            let overlay = self.texture.flex_overlay_bound(
                p.a.sway.abs().max(p.b.sway.abs()),
                p.a.typing.abs().max(p.b.typing.abs()),
                p.a.gait.abs().max(p.b.gait.abs()),
            );
            let upper = p.a.flex.max(p.b.flex) + overlay;
            let lower = p.a.flex.min(p.b.flex) - overlay;
            let impossible = if want_above {
                upper < thr
            } else {
                lower >= thr
            };
            if !impossible && seg_end > prev_t {
                let n = ((seg_end - prev_t) / STEP_S).ceil().max(1.0) as usize;
                let start = prev_t;
                for k in 1..=n {
                    let t = start + (seg_end - start) * (k as f64 / n as f64);
                    if cond(self.pose_in_piece(i, t).flex_deg.v) {
                        return Some(self.bisect(thr, want_above, prev_t, t));
                    }
                    prev_t = t;
                }
            }
            prev_t = prev_t.max(seg_end);
            if seg_end >= t_to {
                break;
            }
            i += 1;
        }
        None
    }

    /// Narrows `[lo, hi]` (condition false at `lo`, true at `hi`) to about 1 µs.
    fn bisect(&self, thr: f64, want_above: bool, mut lo: f64, mut hi: f64) -> f64 {
        while hi - lo > 1e-6 {
            let mid = 0.5 * (lo + hi);
            let f = self.pose_in_piece(self.piece_index(mid), mid).flex_deg.v;
            if (f >= thr) == want_above {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    }
}

#[cfg(test)]
mod tests {
    use super::super::script::slouch_script;
    use super::*;

    #[test]
    fn slouch_episode_truth() {
        let s = slouch_script();
        let eps = s.episodes();
        let slouch = eps
            .iter()
            .find(|e| e.kind == ActivityKind::Slouch)
            .expect("slouch episode");
        let t20 = slouch.above_20_s.expect("crosses 20°");
        assert!(t20 > slouch.start_s && t20 < slouch.start_s + 90.0);
        assert!((s.flexion_deg_at(t20) - 20.0).abs() < 1e-3);
        assert!(s.flexion_deg_at(t20 - 0.5) < 20.0);
        assert!(slouch.sustained && slouch.held_above_20_s > 100.0);
        let from = slouch.sustained_from_s.expect("sustained");
        assert!(from >= t20 && from < slouch.start_s + 90.0);
        assert_eq!(s.above_threshold_s(slouch, 20.0), slouch.above_20_s);
        let spans = s.spans_above(20.0);
        assert_eq!(spans.len(), 2, "{spans:?}"); // calibration lean and the slouch
        assert!((spans[1].0 - t20).abs() < 1e-5);
        let cal = &eps[0];
        assert_eq!(cal.kind, ActivityKind::Calibrate);
        assert!(!cal.sustained);
    }
}
