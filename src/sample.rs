//! The one measurement type that crosses every seam from the sensor to the orientation filter.

use nalgebra::Vector3;

/// One accelerometer + gyroscope reading in the sensor's own frame.
///
/// Units are fixed so no stage has to guess: time in seconds, specific force in g (+1 g on the axis
/// pointing up when the sensor is at rest), rotation rate in degrees per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImuSample {
    /// Sample time in seconds (session time or device time; monotonic within a session).
    pub t_s: f64,
    /// Specific force in g.
    pub accel_g: Vector3<f64>,
    /// Rotation rate in deg/s.
    pub gyro_dps: Vector3<f64>,
}

impl ImuSample {
    /// Builds a sample from plain arrays (`[x, y, z]`), the form most parsers produce.
    pub fn new(t_s: f64, accel_g: [f64; 3], gyro_dps: [f64; 3]) -> Self {
        Self {
            t_s,
            accel_g: Vector3::from(accel_g),
            gyro_dps: Vector3::from(gyro_dps),
        }
    }
}
