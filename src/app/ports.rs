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

/// Why a serial sensor could not be opened. The source reconnects by itself, so a missing,
/// busy or forbidden port is its link state, not an error here; only what can never work is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortsError {
    #[error("a baud rate of {baud} cannot open a serial port")]
    BadBaud { baud: u32 },
    #[error("the serial port name is empty")]
    EmptyPort,
}

/// Opens a serial sensor; `port: None` finds it (and finds it again after every unplug).
pub fn open_serial(
    port: Option<String>,
    baud: u32,
    units: crate::protocol::Units,
) -> Result<Box<dyn SampleSource>, PortsError> {
    if baud == 0 {
        return Err(PortsError::BadBaud { baud });
    }
    if port.as_deref().is_some_and(|p| p.trim().is_empty()) {
        return Err(PortsError::EmptyPort);
    }
    let mut source = SerialSource::open(SerialOptions { port, baud });
    source.set_units(units);
    Ok(Box::new(source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_can_never_open_is_an_error_and_the_rest_is_a_link_state() {
        let units = crate::protocol::Units::Auto;
        let err = |r: Result<Box<dyn SampleSource>, PortsError>| r.err();
        assert_eq!(
            err(open_serial(Some("/dev/ttyACM0".into()), 0, units)),
            Some(PortsError::BadBaud { baud: 0 })
        );
        assert_eq!(
            err(open_serial(Some("  ".into()), 115_200, units)),
            Some(PortsError::EmptyPort)
        );
        // A port that is not there opens as a source that keeps trying.
        assert_eq!(
            err(open_serial(Some("/nonexistent/tty".into()), 115_200, units)),
            None
        );
    }
}
