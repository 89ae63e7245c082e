//! Trunk angles from the up direction.
//!
//! Conventions (shared with the simulated wearer): trunk frame x forward (out of the chest), y to the
//! wearer's left, z up the spine when upright. The trunk orientation is
//! `world_from_trunk = Rz(heading) · Rx(lateral) · Ry(flexion)`, so the earth's up direction seen from
//! the trunk is `u = (−sin θ cos φ, sin φ, cos θ cos φ)` and
//! `flexion θ = atan2(−u.x, u.z)` (positive = forward bend) and `lateral φ = asin(u.y)`
//! (positive = side bend to the wearer's right) recover both angles exactly, whatever the heading.

use nalgebra::Vector3;

use super::calibration::Calibration;
use super::trig;

/// Flexion and side bend relative to the calibrated upright posture, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrunkAngles {
    /// Forward bend, degrees; positive forward, negative leaning back.
    pub flexion_deg: f64,
    /// Side bend, degrees; positive to the wearer's right.
    pub lateral_deg: f64,
}

/// Angles of the trunk given the earth's up direction in the sensor frame (`up_s`, unit) and the
/// wearer's calibration.
///
/// Inlined: it runs once a sample, and as a call it spent about 10 instructions a sample on its
/// frame and on handing the two angles back.
#[inline]
pub fn trunk_angles_deg(cal: &Calibration, up_s: &Vector3<f64>) -> TrunkAngles {
    // The up direction expressed in the calibrated trunk frame.
    let u = Vector3::new(
        up_s.dot(cal.forward_s()),
        up_s.dot(&cal.left_s()),
        up_s.dot(cal.up_s()),
    );
    TrunkAngles {
        flexion_deg: trig::atan2(-u.x, u.z).to_degrees(),
        lateral_deg: trig::asin(u.y.clamp(-1.0, 1.0)).to_degrees(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::UnitQuaternion;
    use proptest::prelude::*;

    /// World-from-trunk for the given angles in degrees (the documented convention).
    fn trunk(heading: f64, flexion: f64, lateral: f64) -> UnitQuaternion<f64> {
        UnitQuaternion::from_axis_angle(&Vector3::z_axis(), heading.to_radians())
            * UnitQuaternion::from_axis_angle(&Vector3::x_axis(), lateral.to_radians())
            * UnitQuaternion::from_axis_angle(&Vector3::y_axis(), flexion.to_radians())
    }

    fn quat() -> impl Strategy<Value = UnitQuaternion<f64>> {
        (-1.0f64..1.0, -1.0f64..1.0, -1.0f64..1.0, -1.0f64..1.0)
            .prop_filter("non-degenerate", |(w, x, y, z)| {
                w * w + x * x + y * y + z * z > 0.01
            })
            .prop_map(|(w, x, y, z)| {
                UnitQuaternion::from_quaternion(nalgebra::Quaternion::new(w, x, y, z))
            })
    }

    proptest! {
        /// For any mounting of the sensor, calibrating on an upright pose and a forward lean and
        /// then measuring any posture gives back the true trunk flexion and side bend.
        #[test]
        fn any_mounting_gives_the_true_angles(
            mount in quat(),
            heading in -180.0f64..180.0,
            lean in 15.0f64..60.0,
            flexion in -40.0f64..85.0,
            lateral in -40.0f64..40.0,
        ) {
            let up_in_sensor = |q: UnitQuaternion<f64>| (q * mount).inverse_transform_vector(&Vector3::z());
            let upright = [up_in_sensor(trunk(heading, 0.0, 0.0))];
            let leaning: Vec<_> = (1..=10)
                .map(|i| up_in_sensor(trunk(heading + 3.0, lean * i as f64 / 10.0, 0.0)))
                .collect();
            let cal = Calibration::from_up_vectors(&upright, &leaning, None)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let a = trunk_angles_deg(&cal, &up_in_sensor(trunk(heading - 50.0, flexion, lateral)));
            prop_assert!((a.flexion_deg - flexion).abs() < 1e-6, "{} vs {}", a.flexion_deg, flexion);
            prop_assert!((a.lateral_deg - lateral).abs() < 1e-6, "{} vs {}", a.lateral_deg, lateral);
        }
    }
}
