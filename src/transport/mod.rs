//! Where bytes come from: a serial port, its discovery and probing ([`ports`]), and the named
//! `serial-reader` thread that owns the open port, reconnects with a capped backoff and hands
//! bytes to a lock-free ring ([`reader`]). Transports carry bytes only; decoding is the protocol
//! module's job, on the pipeline thread ([`crate::source::serial`] puts the two together).

pub mod ports;
pub mod reader;

pub use ports::{
    DEFAULT_BAUD, PROBE_TIMEOUT, PortInfo, PortKind, ProbeAnswer, ProbeResult, SIM_LINK_ENV, UsbId,
    list_ports, probe_ports, probe_sensor, simulator_link_path,
};
