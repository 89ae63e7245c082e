//! The window's size and position across runs, in a small file beside the settings
//! (`window.json` in the config directory). Kept apart from `settings.json` because it changes
//! whenever the window is dragged, which is not a setting, and a broken file here must never
//! cost the wearer their settings: it is ignored with a warning and overwritten next time.
//!
//! Plain values only (no egui): `ui::desktop` reads the window's rectangle each frame, and
//! [`WindowTracker`] decides when it is worth writing.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The file's name, beside `settings.json`.
pub const FILE_NAME: &str = "window.json";

/// Smallest window the layout works in, logical points (the window's own minimum).
pub const MIN_SIZE_PT: [f32; 2] = [760.0, 520.0];

/// Larger than any screen: a size beyond this is a broken file, not a window.
const MAX_SIZE_PT: f32 = 16_384.0;

/// A window edge this far off any plausible desktop is a broken file.
const MAX_POS_PT: f32 = 65_536.0;

/// After the last move or resize, wait this long before writing (a drag is many changes).
pub const WRITE_AFTER: Duration = Duration::from_secs(2);

/// Where and how large the window was, logical points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WindowState {
    /// Inner (content) size, width and height.
    pub inner_size_pt: [f32; 2],
    /// Outer top-left corner on the desktop; `None` where the window system does not tell
    /// (Wayland), and the compositor places the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outer_pos_pt: Option<[f32; 2]>,
    #[serde(default)]
    pub maximized: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum WindowStateError {
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a window state ({source}); using the default size")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path} holds an impossible window ({what}); using the default size")]
    Implausible { path: PathBuf, what: String },
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// `window.json` beside the settings file.
pub fn path_beside(settings_file: &Path) -> PathBuf {
    settings_file.with_file_name(FILE_NAME)
}

impl WindowState {
    /// The state made usable: a size below the minimum is raised to it (a screen may have
    /// shrunk since); `Err` names what cannot be a window (not finite, absurdly large).
    fn checked(mut self) -> Result<Self, String> {
        let finite = |v: [f32; 2]| v.iter().all(|x| x.is_finite());
        if !finite(self.inner_size_pt) || self.inner_size_pt.iter().any(|&x| x > MAX_SIZE_PT) {
            return Err(format!("size {:?}", self.inner_size_pt));
        }
        if let Some(p) = self.outer_pos_pt
            && (!finite(p) || p.iter().any(|x| x.abs() > MAX_POS_PT))
        {
            return Err(format!("position {p:?}"));
        }
        for (v, min) in self.inner_size_pt.iter_mut().zip(MIN_SIZE_PT) {
            *v = v.max(min);
        }
        Ok(self)
    }

    /// Reads the last state: `Ok(None)` when there is none yet; `Err` when the file is there
    /// but unusable (the caller warns and uses the default).
    pub fn load(path: &Path) -> Result<Option<Self>, WindowStateError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(WindowStateError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let state: Self =
            serde_json::from_str(&text).map_err(|source| WindowStateError::Parse {
                path: path.to_path_buf(),
                source,
            })?;
        state
            .checked()
            .map(Some)
            .map_err(|what| WindowStateError::Implausible {
                path: path.to_path_buf(),
                what,
            })
    }

    /// Writes the state (to a temporary file renamed over the old one, so a crash mid-write
    /// leaves the previous state, not half a file).
    pub fn save(&self, path: &Path) -> Result<(), WindowStateError> {
        let write_err = |source| WindowStateError::Write {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(write_err)?;
        }
        let text =
            serde_json::to_string_pretty(self).map_err(|e| write_err(std::io::Error::other(e)))?;
        let partial = path.with_extension("json.partial");
        std::fs::write(&partial, text + "\n")
            .and_then(|()| std::fs::rename(&partial, path))
            .map_err(write_err)
    }
}

/// Loads the state for the window's start; a broken file is a warning (the caller gets `None`
/// and the default size, and the next write replaces the file).
pub fn load_or_warn(path: &Path) -> Option<WindowState> {
    match WindowState::load(path) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("{e}");
            None
        }
    }
}

/// Decides when the window's state is written: some time after it last changed, and at exit
/// if anything is still unwritten. Fed the state every frame, with the time.
#[derive(Debug)]
pub struct WindowTracker {
    path: PathBuf,
    /// What the file holds (or held at start).
    written: Option<WindowState>,
    /// The latest state seen, and when it first differed from `written`.
    pending: Option<(WindowState, Instant)>,
}

impl WindowTracker {
    pub fn new(path: PathBuf, loaded: Option<WindowState>) -> Self {
        Self {
            path,
            written: loaded,
            pending: None,
        }
    }

    /// The window as it is now (`None` when it cannot be measured, e.g. hidden or minimised:
    /// nothing to remember then). Returns the state to write now, if it is time.
    pub fn observe(&mut self, now_state: Option<WindowState>, now: Instant) -> Option<WindowState> {
        if let Some(s) = now_state {
            if Some(s) == self.written {
                self.pending = None;
            } else {
                let since = match self.pending {
                    Some((p, since)) if p == s => since,
                    // Every change restarts the wait: write once the window rests.
                    _ => now,
                };
                self.pending = Some((s, since));
            }
        }
        match self.pending {
            Some((s, since)) if now.duration_since(since) >= WRITE_AFTER => Some(s),
            _ => None,
        }
    }

    /// The latest state known: seen, or else written (a maximised window keeps this size).
    pub fn last(&self) -> Option<WindowState> {
        self.pending.map(|(s, _)| s).or(self.written)
    }

    /// What is still unwritten (at exit).
    pub fn unwritten(&self) -> Option<WindowState> {
        self.pending.map(|(s, _)| s)
    }

    /// Writes `state`; a failure is a warning (the window works without it).
    pub fn write(&mut self, state: WindowState) {
        match state.save(&self.path) {
            Ok(()) => {
                self.written = Some(state);
                self.pending = None;
            }
            Err(e) => {
                tracing::warn!("{e}");
                // Not retried every frame: the next change tries again.
                self.written = Some(state);
                self.pending = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(w: f32, h: f32, pos: Option<[f32; 2]>) -> WindowState {
        WindowState {
            inner_size_pt: [w, h],
            outer_pos_pt: pos,
            maximized: false,
        }
    }

    #[test]
    fn saved_state_loads_back_and_a_missing_file_is_none() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = path_beside(&dir.path().join("settings.json"));
        assert_eq!(path, dir.path().join("window.json"));
        assert!(matches!(WindowState::load(&path), Ok(None)));
        let s = state(1200.0, 800.0, Some([40.0, -20.0]));
        s.save(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(WindowState::load(&path).ok().flatten(), Some(s));
        // Wayland: no position.
        let s = state(900.0, 600.0, None);
        s.save(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(WindowState::load(&path).ok().flatten(), Some(s));
    }

    #[test]
    fn a_broken_or_impossible_file_is_an_error_and_the_default_is_used() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("window.json");
        for bad in [
            "{not json",
            r#"{"inner_size_pt": [1e9, 700]}"#,
            r#"{"inner_size_pt": [800, 700], "outer_pos_pt": [1e12, 0]}"#,
            r#"{"inner_size_pt": "big"}"#,
        ] {
            std::fs::write(&path, bad).unwrap_or_else(|e| panic!("{e}"));
            assert!(WindowState::load(&path).is_err(), "{bad}");
            assert_eq!(load_or_warn(&path), None, "{bad}");
        }
        // Too small for the layout: raised to the minimum rather than refused.
        std::fs::write(&path, r#"{"inner_size_pt": [100, 700]}"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            WindowState::load(&path).ok().flatten(),
            Some(state(MIN_SIZE_PT[0], 700.0, None))
        );
    }

    #[test]
    fn the_tracker_writes_once_the_window_rests_and_not_when_unchanged() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("window.json");
        let start = state(1040.0, 700.0, Some([0.0, 0.0]));
        let mut t = WindowTracker::new(path.clone(), Some(start));
        let t0 = Instant::now();
        assert_eq!(t.observe(Some(start), t0), None, "unchanged");
        // A drag: every frame a new position; nothing written while it goes on.
        let mut now = t0;
        for i in 1..=10 {
            now = t0 + Duration::from_millis(500 * i);
            let moving = state(1040.0, 700.0, Some([i as f32 * 10.0, 0.0]));
            assert_eq!(t.observe(Some(moving), now), None, "frame {i}");
        }
        let rest = state(1040.0, 700.0, Some([100.0, 0.0]));
        assert_eq!(
            t.observe(Some(rest), now + Duration::from_millis(1900)),
            None
        );
        // Hidden meanwhile (no measurement): the pending state still counts.
        assert_eq!(t.observe(None, now + WRITE_AFTER), Some(rest));
        t.write(rest);
        assert_eq!(WindowState::load(&path).ok().flatten(), Some(rest));
        assert_eq!(t.observe(Some(rest), now + 10 * WRITE_AFTER), None);
        assert_eq!(t.unwritten(), None);
        // At exit, a change not yet written is there to write.
        let resized = state(1300.0, 900.0, Some([100.0, 0.0]));
        assert_eq!(t.observe(Some(resized), now + 11 * WRITE_AFTER), None);
        assert_eq!(t.unwritten(), Some(resized));
    }

    #[test]
    fn an_unwritable_place_warns_and_does_not_retry_every_frame() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap_or_else(|e| panic!("{e}"));
        let mut t = WindowTracker::new(blocker.join("window.json"), None);
        let t0 = Instant::now();
        let s = state(1040.0, 700.0, None);
        assert_eq!(t.observe(Some(s), t0), None);
        assert_eq!(t.observe(Some(s), t0 + WRITE_AFTER), Some(s));
        t.write(s);
        assert_eq!(t.observe(Some(s), t0 + 2 * WRITE_AFTER), None);
    }
}
