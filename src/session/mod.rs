//! Session files and the one session driver.
//!
//! Format (stable contract, see README): optional `# key=value` metadata and `#` comment lines,
//! then the header `time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps` (columns found by name, extra
//! columns allowed), then one row per sample. Time in seconds, acceleration in g, rotation rate in
//! deg/s. Marks between rows ([`SessionMark`]) say where the sensor was lost and came back and
//! where a calibration was taken.
//!
//! [`SessionDriver`] runs every session, whatever its source, and hands what happens to sinks
//! ([`sinks`]: angles file, events file, CSV recorder; the history and the window add theirs).

pub mod driver;
mod error;
mod marks;
mod meta;
mod reader;
pub mod recorder;
pub mod sinks;
pub mod vibration;
mod writer;

pub use driver::{
    CalibrationOrigin, CaptureMode, EventLog, Fact, FilterAhead, FnSink, SessionDriver, Sink,
    SinkError, StartCalibration, StartCalibrationError, calibrate_from_windows,
};
pub use error::{SessionError, SessionErrorKind};
pub use marks::SessionMark;
pub use meta::{CalibrationWindows, SessionMeta};
pub use reader::{REQUIRED_COLUMNS, SessionReader, TIME_LIMIT_S, read_all};
pub use recorder::{
    DataFile, DiskFault, DiskFaultKind, Recorder, RecorderOptions, RecordingStats, recording_meta,
};
pub use sinks::{ANGLES_HEADER, AnglesSink, AnglesWriter, EventsSink, RecorderSink};
pub use writer::{FORMAT_VERSION, SessionWriter};
