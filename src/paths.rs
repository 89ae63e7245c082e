//! Where spinewatch keeps its files: the one function that decides it, for the window and every
//! command alike (settings, recordings, history).

use std::path::{Path, PathBuf};

/// The app's files.
#[derive(Debug, Clone, PartialEq)]
pub struct Paths {
    pub settings_file: PathBuf,
    /// Recorded sessions.
    pub sessions_dir: PathBuf,
    /// The posture history (SQLite).
    pub history_file: PathBuf,
}

/// Name of the environment variable that keeps every file under one folder.
pub const HOME_ENV: &str = "SPINEWATCH_HOME";

impl Paths {
    /// Under `$SPINEWATCH_HOME` if set (tests, benchmarks, portable installs), otherwise the
    /// per-user config and data directories (on Linux `~/.config/spinewatch` and
    /// `~/.local/share/spinewatch`).
    pub fn for_user() -> Self {
        if let Some(home) = std::env::var_os(HOME_ENV).filter(|h| !h.is_empty()) {
            return Self::under(Path::new(&home));
        }
        match directories::ProjectDirs::from("", "", "spinewatch") {
            Some(dirs) => Self {
                settings_file: dirs.config_dir().join("settings.json"),
                sessions_dir: dirs.data_dir().join("sessions"),
                history_file: dirs.data_dir().join("history.sqlite"),
            },
            None => Self::under(&std::env::temp_dir().join("spinewatch")),
        }
    }

    /// Everything under `dir`.
    pub fn under(dir: &Path) -> Self {
        Self {
            settings_file: dir.join("settings.json"),
            sessions_dir: dir.join("sessions"),
            history_file: dir.join("history.sqlite"),
        }
    }

    /// A new recording's file: `<sessions dir>/<local start time>.csv`, e.g.
    /// `2026-11-23T07-30-00.csv` (no colons, so the name is valid on every file system), with
    /// `-2`, `-3`… when taken: an earlier recording is never overwritten.
    pub fn new_recording(&self, start: &chrono::DateTime<chrono::Local>) -> PathBuf {
        let stamp = start.format("%Y-%m-%dT%H-%M-%S");
        let mut path = self.sessions_dir.join(format!("{stamp}.csv"));
        let mut n = 1;
        while path.exists() {
            n += 1;
            path = self.sessions_dir.join(format!("{stamp}-{n}.csv"));
        }
        path
    }
}

/// `started=` metadata: local time with its UTC offset (RFC 3339), so a recording knows when it
/// happened wherever it is replayed or imported.
pub fn started_stamp(start: &chrono::DateTime<chrono::Local>) -> String {
    start.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn recordings_are_named_by_start_time_and_never_reuse_a_name() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let paths = Paths::under(dir.path());
        let start = chrono::Local
            .with_ymd_and_hms(2026, 11, 23, 7, 30, 0)
            .earliest()
            .unwrap_or_else(|| panic!("no such local time"));
        let first = paths.new_recording(&start);
        assert!(
            first.ends_with("sessions/2026-11-23T07-30-00.csv"),
            "{first:?}"
        );
        std::fs::create_dir_all(&paths.sessions_dir).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&first, "x").unwrap_or_else(|e| panic!("{e}"));
        assert!(
            paths
                .new_recording(&start)
                .ends_with("sessions/2026-11-23T07-30-00-2.csv")
        );
        assert!(started_stamp(&start).starts_with("2026-11-23T07:30:00"));
    }
}
