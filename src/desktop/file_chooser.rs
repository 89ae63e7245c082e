//! Opening a session the desktop way: the desktop's own file chooser through the XDG desktop
//! portal (rfd's portal backend; no GTK), on a thread of its own so the window keeps drawing
//! while the chooser is up. Where neither the portal nor rfd's zenity fallback answers, the
//! chooser returns nothing and the typed path in the Replay view remains.
//!
//! Also the check for files dropped on the window: only a session CSV is opened.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ChooserError {
    #[error("could not start the file chooser thread: {0}")]
    Thread(#[from] std::io::Error),
}

/// Shows the chooser for a session CSV, starting in `start_dir`, and calls `on_done` with the
/// file picked (`None`: cancelled, or no chooser on this desktop). Returns at once.
pub fn spawn_pick_session(
    start_dir: PathBuf,
    on_done: impl FnOnce(Option<PathBuf>) + Send + 'static,
) -> Result<(), ChooserError> {
    std::thread::Builder::new()
        .name("file-chooser".into())
        .spawn(move || {
            let mut dialog = rfd::FileDialog::new()
                .set_title("Open a recorded session")
                .add_filter("Session CSV", &["csv", "CSV"]);
            if start_dir.is_dir() {
                dialog = dialog.set_directory(&start_dir);
            }
            on_done(dialog.pick_file());
        })?;
    Ok(())
}

/// Whether a dropped file looks like a session to open: a `.csv` (any case). The player reads
/// it and says what is wrong if it is not one after all.
pub fn is_session_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// The session to open among dropped files: the first CSV, or `Err` with words for the wearer
/// when none of them is one. `Ok(None)` when nothing was dropped.
pub fn pick_dropped<'a>(
    paths: impl IntoIterator<Item = &'a Path>,
) -> Result<Option<&'a Path>, String> {
    let mut other = None;
    for p in paths {
        if is_session_file(p) {
            return Ok(Some(p));
        }
        other.get_or_insert(p);
    }
    match other {
        Some(p) => Err(format!(
            "{} is not a session CSV; drop a .csv file recorded by spinewatch",
            p.display()
        )),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_csv_among_the_dropped_files_is_opened() {
        let a = Path::new("/tmp/notes.txt");
        let b = Path::new("/tmp/Monday.CSV");
        let c = Path::new("/tmp/tuesday.csv");
        assert_eq!(pick_dropped([a, b, c]), Ok(Some(b)));
        assert_eq!(pick_dropped([]), Ok(None));
        let err = pick_dropped([a]).err().unwrap_or_default();
        assert!(
            err.starts_with("/tmp/notes.txt is not a session CSV"),
            "{err}"
        );
        assert!(!is_session_file(Path::new("/tmp/csv")));
    }
}
