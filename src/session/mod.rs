//! Session files: the CSV format every recording, replay and external tool shares.
//!
//! Format (stable contract, see README): optional `# key=value` metadata and `#` comment lines,
//! then the header `time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps` (columns found by name, extra
//! columns allowed), then one row per sample. Time in seconds, acceleration in g, rotation rate in
//! deg/s.

mod error;
mod meta;
mod reader;
pub mod recorder;
mod writer;

pub use error::{SessionError, SessionErrorKind};
pub use meta::{CalibrationWindows, SessionMeta};
pub use reader::{REQUIRED_COLUMNS, SessionReader, read_all};
pub use recorder::{Recorder, RecorderOptions, RecordingStats};
pub use writer::{FORMAT_VERSION, SessionWriter};
