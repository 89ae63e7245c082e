//! One writer per history file: an advisory lock on `history.sqlite.lock` beside it.
//!
//! The lock is the kernel's (`File::try_lock`, `flock` on Linux): it goes away with the process
//! that held it, however it ended, so a crash never leaves a stale lock behind. The holder writes
//! its pid into the file so the second instance can say who has it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::error::StoreError;

/// The lock file for a database: `history.sqlite` → `history.sqlite.lock`.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Held while this process writes the history; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
    path: PathBuf,
}

impl InstanceLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Who has the history.
#[derive(Debug)]
pub enum LockOutcome {
    /// This process: it may write.
    Acquired(InstanceLock),
    /// Another process (its pid if it wrote one): open read only.
    HeldBy { pid: Option<u32> },
}

/// Tries to take the lock for `db` without waiting.
pub fn try_acquire(db: &Path) -> Result<LockOutcome, StoreError> {
    let path = lock_path(db);
    let io = |doing| {
        let path = path.clone();
        move |source| StoreError::Io {
            doing,
            path,
            source,
        }
    };
    // No truncation on open: the holder's pid must survive a second instance's attempt.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io("cannot open the history lock file"))?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0)
                .and_then(|()| file.seek(SeekFrom::Start(0)))
                .and_then(|_| writeln!(file, "{}", std::process::id()))
                .and_then(|()| file.flush())
                .map_err(io("cannot write the pid into the history lock file"))?;
            Ok(LockOutcome::Acquired(InstanceLock { _file: file, path }))
        }
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            // The pid is only for the message; an unreadable one is said as unknown.
            let pid = match file.read_to_string(&mut text) {
                Ok(_) => text.trim().parse().ok(),
                Err(_) => None,
            };
            Ok(LockOutcome::HeldBy { pid })
        }
        Err(TryLockError::Error(e)) => Err(io("cannot lock the history lock file")(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_second_taker_is_told_the_holders_pid_and_the_lock_frees_on_drop() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = dir.path().join("history.sqlite");
        let first = try_acquire(&db).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(first, LockOutcome::Acquired(_)));
        let second = try_acquire(&db).unwrap_or_else(|e| panic!("{e}"));
        match second {
            LockOutcome::HeldBy { pid } => assert_eq!(pid, Some(std::process::id())),
            LockOutcome::Acquired(_) => panic!("two holders"),
        }
        drop(first);
        let third = try_acquire(&db).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(third, LockOutcome::Acquired(_)));
    }
}
