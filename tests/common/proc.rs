//! A child `spinewatch` process for end-to-end tests: its stdout lines arrive on a channel,
//! stderr is kept, and it is killed when dropped. Included with
//! `#[path = "common/proc.rs"] mod proc;` by the tests that run the binary.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_spinewatch");

/// A child process whose stdout lines arrive on a channel; killed when dropped.
pub struct Proc {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    /// Every stdout line read so far.
    pub seen: Vec<String>,
    stderr: Option<std::process::ChildStderr>,
    err: String,
}

impl Proc {
    pub fn spawn(args: &[&str], env: &[(&str, &Path)]) -> Proc {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {args:?}: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let stderr = child.stderr.take();
        let (tx, lines) = mpsc::channel();
        thread::Builder::new()
            .name("test-stdout".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            })
            .unwrap_or_else(|e| panic!("thread: {e}"));
        Proc {
            child,
            lines,
            seen: Vec::new(),
            stderr,
            err: String::new(),
        }
    }

    /// Waits for a stdout line starting with `prefix`; returns it.
    pub fn expect_line(&mut self, prefix: &str, within: Duration) -> String {
        let end = Instant::now() + within;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with(prefix) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line starting with {prefix:?} in {within:?}; got {:?}",
                    self.seen
                ),
            }
        }
    }

    /// Waits for the process to exit; returns all of stdout (including lines seen before).
    pub fn wait_output(&mut self, within: Duration) -> String {
        let end = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Drain the rest of stdout.
                while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
                    self.seen.push(line);
                }
                let err = self.stderr_text();
                assert!(
                    status.success(),
                    "{status}: stdout {:?}, stderr {err}",
                    self.seen
                );
                return self.seen.join("\n");
            }
            while let Ok(line) = self.lines.try_recv() {
                self.seen.push(line);
            }
            assert!(
                Instant::now() < end,
                "process still running after {within:?}; stdout {:?}",
                self.seen
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// All of stderr (read once the process has exited; kept for later calls).
    pub fn stderr_text(&mut self) -> String {
        if let Some(mut e) = self.stderr.take() {
            let _ = e.read_to_string(&mut self.err);
        }
        self.err.clone()
    }

    /// Ctrl-C.
    pub fn interrupt(&self) {
        let ok = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill -INT failed");
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident anonymous memory of this process (heap, stacks), kB. Not `VmRSS`: that also counts
/// the pages of the program's own code as they are first run, which grow for a while in a
/// 350 MB debug binary and say nothing about what the app holds.
pub fn rss_anon_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("RssAnon:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}
