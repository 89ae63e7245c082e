//! "Has the sensor moved on the body?" A resting pose far from anything a seated wearer does
//! (a side bend or a flexion no sitting posture produces), held for a while, means the clip was
//! probably knocked or re-clipped; the window then offers to recalibrate. Pure, in session time.

use serde::{Deserialize, Serialize};

use crate::pipeline::PostureUpdate;

/// Where "far from any calibrated pose" begins and where "near again" ends, with hysteresis.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MovedSettings {
    /// A side bend beyond this (either side) is far, degrees.
    pub far_lateral_deg: f64,
    /// Flexion below this is far (leaning back beyond a chair's recline), degrees.
    pub far_flexion_min_deg: f64,
    /// Flexion above this is far (deeper than sitting allows), degrees.
    pub far_flexion_max_deg: f64,
    /// Back within this side bend…
    pub near_lateral_deg: f64,
    /// …and flexion within this range is near again, degrees.
    pub near_flexion_min_deg: f64,
    pub near_flexion_max_deg: f64,
    /// Far and resting this long means moved, seconds.
    pub after_s: f64,
}

impl Default for MovedSettings {
    fn default() -> Self {
        Self {
            far_lateral_deg: 30.0,
            far_flexion_min_deg: -40.0,
            far_flexion_max_deg: 80.0,
            near_lateral_deg: 20.0,
            near_flexion_min_deg: -30.0,
            near_flexion_max_deg: 60.0,
            after_s: 20.0,
        }
    }
}

/// The detector's state.
#[derive(Debug, Clone, Default)]
pub struct MovedDetector {
    far_since_s: Option<f64>,
    moved: bool,
}

impl MovedDetector {
    /// Takes one posture update (`resting`: the filter's rest flag). Returns `Some(moved)` when
    /// the verdict changes.
    pub fn update(
        &mut self,
        settings: &MovedSettings,
        p: &PostureUpdate,
        resting: bool,
    ) -> Option<bool> {
        let (Some(f), Some(l)) = (p.flexion_deg, p.lateral_deg) else {
            self.far_since_s = None;
            return None;
        };
        let far = l.abs() > settings.far_lateral_deg
            || !(settings.far_flexion_min_deg..=settings.far_flexion_max_deg).contains(&f);
        let near = l.abs() < settings.near_lateral_deg
            && (settings.near_flexion_min_deg..=settings.near_flexion_max_deg).contains(&f);
        if far && resting {
            let since = *self.far_since_s.get_or_insert(p.t_s);
            if p.t_s - since >= settings.after_s && !self.moved {
                self.moved = true;
                return Some(true);
            }
        } else if near {
            self.far_since_s = None;
            if self.moved {
                self.moved = false;
                return Some(false);
            }
        }
        None
    }

    pub fn moved(&self) -> bool {
        self.moved
    }

    /// A new calibration: whatever was far is now the reference.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::posture::PostureState;

    fn at(t_s: f64, flexion: f64, lateral: f64) -> PostureUpdate {
        PostureUpdate {
            t_s,
            flexion_deg: Some(flexion),
            lateral_deg: Some(lateral),
            state: PostureState::Upright,
        }
    }

    #[test]
    fn a_far_resting_pose_held_20_s_means_moved_and_near_again_clears_it() {
        let s = MovedSettings::default();
        let mut d = MovedDetector::default();
        assert_eq!(d.update(&s, &at(0.0, 5.0, 45.0), true), None);
        assert_eq!(d.update(&s, &at(19.9, 5.0, 45.0), true), None);
        assert_eq!(d.update(&s, &at(20.0, 5.0, 45.0), true), Some(true));
        assert_eq!(
            d.update(&s, &at(21.0, 5.0, 25.0), true),
            None,
            "between: no change"
        );
        assert_eq!(d.update(&s, &at(22.0, 5.0, 5.0), true), Some(false));
    }

    #[test]
    fn moving_or_a_brief_far_pose_is_not_moved() {
        let s = MovedSettings::default();
        let mut d = MovedDetector::default();
        for i in 0..100 {
            assert_eq!(d.update(&s, &at(f64::from(i), 85.0, 0.0), false), None);
        }
        assert!(!d.moved());
    }
}
