//! `spinewatch record` while the window holds the sensor: a simulated sensor on a pty, held open
//! (exclusively, as the window's serial reader does) by this test process, which also plays the
//! window on the one-instance socket. `record` names the holder instead of failing on a busy
//! port; once the window is gone, it records from the same port.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use spinewatch::desktop::instance::{self, Claim, InstanceName};

const BIN: &str = env!("CARGO_BIN_EXE_spinewatch");

/// `simulate --pty`, killed when dropped.
struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        if let Err(e) = self.0.kill() {
            eprintln!("simulator kill: {e}");
        }
        let _ = self.0.wait();
    }
}

/// Starts the simulated sensor with its link at `link`; returns once the pty is there.
fn simulator(link: &Path) -> Sim {
    let mut child = Command::new(BIN)
        .args(["simulate", "--pty", "--rate-hz", "50", "--link"])
        .arg(link)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("simulate: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let sim = Sim(child);
    let mut lines = BufReader::new(stdout).lines();
    let start = Instant::now();
    loop {
        match lines.next() {
            Some(Ok(l)) if l.starts_with("pty:") => break,
            Some(Ok(_)) => {}
            other => panic!("simulator ended before its pty: {other:?}"),
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no pty line");
    }
    // Keep reading its stdout so it never blocks on a full pipe.
    std::thread::Builder::new()
        .name("sim-stdout".into())
        .spawn(move || for _ in lines {})
        .unwrap_or_else(|e| panic!("{e}"));
    sim
}

fn record(home: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("record")
        .args(["--no-history", "--seconds", "3"])
        .args(args)
        .env("SPINEWATCH_HOME", home)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("record: {e}"))
}

#[test]
fn record_names_the_window_holding_the_port_then_records_once_it_is_gone() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("home");
    let link = dir.path().join("sensor-link");
    let _sim = simulator(&link);
    let pty: PathBuf = std::fs::canonicalize(&link).unwrap_or_else(|e| panic!("{e}"));
    let pty_text = pty.display().to_string();

    // The "window": holds the port open and answers on the instance socket of this home.
    let held = serialport::new(pty_text.as_str(), 115_200)
        .timeout(Duration::from_millis(100))
        .open()
        .unwrap_or_else(|e| panic!("open {pty_text}: {e}"));
    let name = InstanceName::for_home(Some(home.as_os_str()));
    let window = match instance::claim(&name, |_| true) {
        Ok(Claim::Primary(p)) => p,
        Ok(Claim::Secondary(_)) => panic!("a fresh home's name is taken"),
        Err(e) => panic!("{e}"),
    };
    window.set_port(Some(pty_text.clone()));
    let pid = std::process::id();

    // Asked for the port by its link: the window is named, no busy error.
    let out = record(&home, &["--port", link.to_str().unwrap_or_default()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "spinewatch: error: the port {pty_text} is held by spinewatch (pid {pid}), the window; close it or use its Record button"
        )
    );
    // Looking for the sensor itself: the same, with the way to use another sensor.
    let out = record(&home, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "the port {pty_text} is held by spinewatch (pid {pid}), the window; close it or use its Record button (or pass --port for another sensor)"
        )),
        "{stderr}"
    );
    // Another port than the window's: not the window's business.
    let out = record(&home, &["--port", "/dev/null/none", "--seconds", "0.5"]);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("held by spinewatch"),
        "{out:?}"
    );

    // The window closes: the same command records.
    drop(window);
    drop(held);
    let csv = dir.path().join("after.csv");
    let out = record(
        &home,
        &[
            "--port",
            link.to_str().unwrap_or_default(),
            "--out",
            csv.to_str().unwrap_or_default(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let rows = std::fs::read_to_string(&csv)
        .unwrap_or_else(|e| panic!("{e}: {stderr}"))
        .lines()
        .filter(|l| !l.starts_with('#'))
        .count();
    assert!(rows > 50, "{rows} rows: {stderr}");
}
