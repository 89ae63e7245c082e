//! Where bytes come from: a serial port (with auto-detection and reconnects), and the simulated
//! sensor that stands in for one on a pseudo-terminal. Transports carry bytes only; decoding is
//! the protocol module's job, on the pipeline thread.

mod ports;
mod reader;
pub mod serial;
pub mod simulator;
