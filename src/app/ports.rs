//! The serial side of source selection, on top of `source::serial`: the port picker's list,
//! start-up auto-detection, and opening a sensor (the source reconnects by itself and reports
//! its link state, so opening never fails).

use std::time::Duration;

use crate::source::SampleSource;
use crate::source::serial::{SerialOptions, SerialSource};
use crate::transport as serial;

use super::store::PortChoice;

/// Ports for the picker, with what the system says about each.
pub fn list_ports() -> Vec<PortChoice> {
    serial::list_ports()
        .into_iter()
        .map(|p| PortChoice {
            path: p.path,
            description: p.description,
        })
        .collect()
}

/// Looks for a spinewatch sensor at start-up (all ports probed in parallel); returns its port.
pub fn probe_sensor(timeout: Duration) -> Option<String> {
    serial::probe_sensor(timeout)
}

/// Opens a serial sensor; `port: None` finds it (and finds it again after every unplug).
pub fn open_serial(
    port: Option<String>,
    baud: u32,
    units: crate::protocol::Units,
) -> Result<Box<dyn SampleSource>, String> {
    let mut source = SerialSource::open(SerialOptions { port, baud });
    source.set_units(units);
    Ok(Box::new(source))
}
