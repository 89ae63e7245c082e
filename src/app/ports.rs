//! The serial side of source selection. The serial transport (`transport::serial`) is built on
//! the `main` branch; until it is merged here these functions report that no serial sensor can
//! be opened, and the app runs on the demo sensor.

use std::time::Duration;

use crate::source::SampleSource;

use super::store::PortChoice;

/// Serial ports the port picker offers. Empty until the serial transport is merged.
pub fn serial_ports_unavailable_until_transport_lands() -> Vec<PortChoice> {
    Vec::new()
}

/// Ports for the picker.
pub fn list_ports() -> Vec<PortChoice> {
    serial_ports_unavailable_until_transport_lands()
}

/// Looks for a spinewatch sensor at start-up; returns its port.
pub fn probe_sensor(_timeout: Duration) -> Option<String> {
    None
}

/// Opens a serial sensor (the source reconnects by itself and reports its link state), or
/// explains why it cannot.
pub fn open_serial(_port: Option<String>, _baud: u32) -> Result<Box<dyn SampleSource>, String> {
    Err("serial sensors are not supported by this build yet".into())
}
