//! The fault suite: what a day at a real desk does to the link, each as an automated test with
//! `spinewatch simulate --pty` as the device.
//!
//! - 100 unplug/replug cycles in one recording, the device rebooting every time (sequence and
//!   clock from 0) on a new pty behind the stable link: no crash, every loss marked, ≥ 95 % of
//!   what was sent recorded.
//! - SIGKILL of `record`, and of the window's engine, while recording and committing history,
//!   then a restart: recordings valid up to their last flush, the history whole, monitoring
//!   resumes.
#![cfg(unix)]

#[path = "common/live.rs"]
mod live;
#[path = "common/oracle.rs"]
mod oracle;
#[path = "common/proc.rs"]
mod proc;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use proc::Proc;
use spinewatch::cli::record::{RecordOptions, record};
use spinewatch::session::read_all;
use spinewatch::source::serial::{SerialOptions, SerialSource};

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"))
}

#[test]
fn a_hundred_replugs_with_reboots_lose_only_the_unplugged_time() {
    const CYCLES: usize = 100;
    let dir = tempdir();
    let link = dir.path().join("sensor-link");
    let sent = dir.path().join("sent.csv");
    // 52 simulated minutes as fast as the link reads (the device waits for the host after
    // each replug); unplugged every 30 s of stream time for 0.2 s, rebooting each time. What
    // is lost: the unplugged time, and what was still in the pty's buffer when it closed (as
    // a real unplug loses what is in the USB buffers).
    let spans: Vec<String> = (1..=CYCLES).map(|k| format!("{}:0.2", 30 * k)).collect();
    let link_arg = link.display().to_string();
    let sent_arg = sent.display().to_string();
    let mut args = vec![
        "simulate",
        "--pty",
        "--speed",
        "max",
        "--minutes",
        "52",
        "--link",
        &link_arg,
        "--sent",
        &sent_arg,
        "--reboot-on-replug",
    ];
    for s in &spans {
        args.push("--disconnect-at");
        args.push(s);
    }
    let mut sim = Proc::spawn(&args, &[]);
    sim.expect_line("pty:", Duration::from_secs(30));

    let mut source = SerialSource::open(SerialOptions {
        port: Some(link_arg.clone()),
        baud: 115_200,
    });
    let opts = RecordOptions {
        out: Some(dir.path().join("rec.csv")),
        events: Some(dir.path().join("events.jsonl")),
        ..Default::default()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let (report, sim_out) = thread::scope(|scope| {
        let recording = thread::Builder::new()
            .name("test-record".into())
            .spawn_scoped(scope, || record(&mut source, &opts, &stop, &mut |_line| {}))
            .unwrap_or_else(|e| panic!("thread: {e}"));
        let sim_out = sim.wait_output(Duration::from_secs(600));
        thread::sleep(Duration::from_millis(500));
        flag.store(true, Ordering::Relaxed);
        let report = recording
            .join()
            .unwrap_or_else(|_| panic!("record thread panicked"))
            .unwrap_or_else(|e| panic!("record: {e}"));
        (report, sim_out)
    });
    let stats = report.link;
    let delivered: u64 = sim_out
        .lines()
        .find_map(|l| l.strip_prefix("sent "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no sent count in {sim_out}"));
    assert!(
        sim_out.contains(&format!(" {CYCLES} disconnects")),
        "{sim_out}"
    );

    let text = std::fs::read_to_string(dir.path().join("rec.csv")).unwrap_or_default();
    let lost = text
        .lines()
        .filter(|l| l.starts_with("# sensor_lost "))
        .count();
    let back = text
        .lines()
        .filter(|l| l.starts_with("# sensor_back "))
        .count();
    let (_, got) = read_all(text.as_bytes(), "rec.csv").unwrap_or_else(|e| panic!("{e}"));
    let events = std::fs::read_to_string(dir.path().join("events.jsonl")).unwrap_or_default();
    let lost_events = events.matches("\"kind\":\"sensor_lost\"").count();
    println!(
        "{CYCLES} replugs: sent {delivered}, recorded {} ({:.2} %), {lost} lost / {back} back marks, \
         {} reconnects, {} dropped counted, {} samples in the summary",
        got.len(),
        100.0 * got.len() as f64 / delivered as f64,
        stats.reconnects,
        stats.dropped_samples,
        report.summary.samples
    );
    // The device closing the port at the end of its day is a loss too.
    assert_eq!(lost, CYCLES + 1, "every loss marked in the CSV");
    assert_eq!(back, CYCLES, "every return marked in the CSV");
    assert_eq!(lost_events, CYCLES + 1, "every loss an event");
    assert_eq!(stats.reconnects as usize, CYCLES);
    // A reboot restarts the sequence numbers: not a gap of billions of samples.
    assert_eq!(stats.dropped_samples, 0, "no samples counted as dropped");
    assert!(
        got.len() as f64 >= 0.95 * delivered as f64,
        "recorded {} of {delivered}",
        got.len()
    );
    assert!(got.len() as u64 <= delivered, "nothing recorded twice");
    // Session time runs on across reboots: strictly increasing, never back to 0.
    assert!(
        got.windows(2).all(|w| w[1].t_s > w[0].t_s),
        "session time is monotonic across reboots"
    );
}

/// SIGKILL of the monitor while it records and commits history, five times, then a run that
/// ends normally: every CSV reads back (valid up to its last flush), the history opens with
/// every session it had committed and passes SQLite's integrity check, and monitoring resumes.
/// The kills land at different moments of the 5-second commit cycle (1.3 s to 7.9 s in).
#[test]
fn sigkill_while_recording_and_committing_history_loses_nothing_committed() {
    let dir = tempdir();
    let home = dir.path().join("home");
    let link = dir.path().join("sensor-link");
    let link_arg = link.display().to_string();
    // The device streams in real time throughout (the history's 5-second commit cycle is wall
    // time, and so is a recording's length here).
    let mut sim = Proc::spawn(
        &["simulate", "--pty", "--minutes", "10", "--link", &link_arg],
        &[],
    );
    sim.expect_line("pty:", Duration::from_secs(30));
    let env = [("SPINEWATCH_HOME", home.as_path())];
    let kill_after_ms = [1300u64, 3100, 4700, 6200, 7900];
    let mut recordings = Vec::new();
    for (i, ms) in kill_after_ms.iter().enumerate() {
        let out = dir.path().join(format!("rec{i}.csv"));
        let out_arg = out.display().to_string();
        let mut rec = Proc::spawn(&["record", "--port", &link_arg, "--out", &out_arg], &env);
        // Streaming: the file has rows.
        let end = std::time::Instant::now() + Duration::from_secs(30);
        while std::fs::read_to_string(&out)
            .map(|t| t.lines().filter(|l| !l.starts_with('#')).count())
            .unwrap_or(0)
            < 50
        {
            assert!(
                std::time::Instant::now() < end,
                "recording {i} did not start"
            );
            thread::sleep(Duration::from_millis(20));
        }
        thread::sleep(Duration::from_millis(*ms));
        rec.child.kill().unwrap_or_else(|e| panic!("SIGKILL: {e}"));
        let _status = rec.child.wait();
        recordings.push(out);
        // The port is free again once the process is gone; the device notices the host left.
        thread::sleep(Duration::from_millis(300));
    }
    // Monitoring resumes: a last run that ends on its own.
    let last = dir.path().join("last.csv");
    let last_arg = last.display().to_string();
    let mut rec = Proc::spawn(
        &[
            "record",
            "--port",
            &link_arg,
            "--out",
            &last_arg,
            "--seconds",
            "6",
        ],
        &env,
    );
    let out = rec.wait_output(Duration::from_secs(60));
    assert!(out.contains("monitored "), "{out}");
    recordings.push(last);

    let db = spinewatch::app::Paths::under(&home).history_file;
    check_after_kills("record", &recordings, &db);
}

/// After runs killed in the middle of recording and committing, and a last one that stopped
/// normally: every recording reads back (valid up to its last flush), the history passes
/// SQLite's integrity check and holds one session a run, the last one finished, each with what
/// its run had committed (its start at once, the rest within the 5-second commit cycle).
fn check_after_kills(
    what: &str,
    recordings: &[std::path::PathBuf],
    history_file: &std::path::Path,
) {
    let mut durations = Vec::new();
    for path in recordings {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
        let (_, samples) = read_all(text.as_bytes(), &path.display().to_string())
            .unwrap_or_else(|e| panic!("{} does not read back: {e}", path.display()));
        assert!(!samples.is_empty(), "{} is empty", path.display());
        durations.push(samples.last().map_or(0.0, |s| s.t_s));
    }
    let conn = rusqlite::Connection::open(history_file)
        .unwrap_or_else(|e| panic!("{}: {e}", history_file.display()));
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(check, "ok");
    let sessions: Vec<(i64, i64, bool)> = {
        let mut stmt = conn
            .prepare("SELECT start_ms, end_ms, finished FROM sessions ORDER BY start_ms")
            .unwrap_or_else(|e| panic!("{e}"));
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap_or_else(|e| panic!("{e}"))
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    println!("{what}: recordings (s) {durations:.1?}; sessions in the history {sessions:?}");
    assert_eq!(sessions.len(), recordings.len(), "{sessions:?}");
    assert!(
        sessions.last().is_some_and(|s| s.2),
        "the last session finished"
    );
    for ((start, end, _), d) in sessions.iter().zip(&durations) {
        let stored_s = (end - start) as f64 / 1000.0;
        assert!(
            stored_s <= d + 1.0 && stored_s >= d - 5.0 - 1.5,
            "a session of {stored_s:.1} s in the history for a recording of {d:.1} s"
        );
    }
}

/// The window's engine, exactly as the window runs it (the `pipeline` thread, the system clock,
/// the recorder and the history), in a child process of this test binary so that it can be
/// killed: started by `sigkill_of_the_window_engine_while_recording_and_committing`, not on its
/// own (it returns at once without `SPINEWATCH_CHILD_HOME`). It records from the port in the
/// settings until a file `stop` appears in its home, then stops recording and shuts down.
#[test]
#[ignore = "a child process of sigkill_of_the_window_engine_while_recording_and_committing"]
fn window_engine_child() {
    use spinewatch::app::{Command, Paths};

    let Some(home) = std::env::var_os("SPINEWATCH_CHILD_HOME") else {
        return;
    };
    let home = std::path::PathBuf::from(home);
    spinewatch::app::allocator::use_one_arena();
    let (handle, thread) = live::spawn_recording_engine(Paths::under(&home));
    while !home.join("stop").exists() {
        thread::sleep(Duration::from_millis(20));
    }
    handle.send(Command::StopRecording);
    handle.send(Command::Shutdown);
    thread
        .join()
        .unwrap_or_else(|_| panic!("the pipeline thread panicked"));
}

/// SIGKILL of the window's engine (in a child process: [`window_engine_child`]) while it records
/// and commits history, five times at different moments of the 5-second commit cycle, then a
/// run that stops normally: every recording reads back (valid up to its last flush), the history
/// opens, passes SQLite's integrity check and holds every session with what it had committed,
/// and monitoring resumes each time (the next run records and stores again).
#[test]
fn sigkill_of_the_window_engine_while_recording_and_committing() {
    use spinewatch::app::{Paths, Settings};

    let dir = tempdir();
    let home = dir.path().join("home");
    let paths = Paths::under(&home);
    let link = dir.path().join("sensor-link");
    let link_arg = link.display().to_string();
    let settings = Settings {
        port: Some(link_arg.clone()),
        notifications: false,
        ..Settings::default()
    };
    spinewatch::app::state::save_settings(&paths.settings_file, &settings)
        .unwrap_or_else(|e| panic!("{}: {e}", paths.settings_file.display()));
    let mut sim = Proc::spawn(
        &["simulate", "--pty", "--minutes", "10", "--link", &link_arg],
        &[],
    );
    sim.expect_line("pty:", Duration::from_secs(30));
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let child = || {
        std::process::Command::new(&exe)
            .args(["--ignored", "--exact", "window_engine_child", "--nocapture"])
            .env("SPINEWATCH_CHILD_HOME", &home)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("the window engine: {e}"))
    };
    let csvs = || -> Vec<std::path::PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(&paths.sessions_dir)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "csv"))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let rows = |p: &std::path::Path| {
        std::fs::read_to_string(p)
            .map(|t| t.lines().filter(|l| !l.starts_with('#')).count())
            .unwrap_or(0)
    };
    // Waits for run `i`'s own recording (the one more than there were) to have rows.
    let wait_streaming = |i: usize| {
        let end = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let files = csvs();
            if files.len() > i && rows(&files[files.len() - 1]) > 50 {
                return;
            }
            assert!(
                std::time::Instant::now() < end,
                "run {i}: monitoring and recording did not resume ({} recordings)",
                files.len()
            );
            thread::sleep(Duration::from_millis(20));
        }
    };

    let kill_after_ms = [1300u64, 3100, 4700, 6200, 7900];
    for (i, ms) in kill_after_ms.iter().enumerate() {
        let mut engine = child();
        wait_streaming(i);
        thread::sleep(Duration::from_millis(*ms));
        engine.kill().unwrap_or_else(|e| panic!("SIGKILL: {e}"));
        let _status = engine.wait();
        // A recording's name has the second it started: the next one must not reuse it.
        thread::sleep(Duration::from_millis(1100));
    }
    // A last run that stops normally.
    let mut engine = child();
    wait_streaming(kill_after_ms.len());
    thread::sleep(Duration::from_secs(3));
    std::fs::write(home.join("stop"), b"").unwrap_or_else(|e| panic!("{e}"));
    let end = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(status)) = engine.try_wait() {
            assert!(status.success(), "the last run ended with {status}");
            break;
        }
        assert!(std::time::Instant::now() < end, "the last run did not stop");
        thread::sleep(Duration::from_millis(20));
    }

    let recordings = csvs();
    assert_eq!(recordings.len(), kill_after_ms.len() + 1, "{recordings:?}");
    check_after_kills("window engine", &recordings, &paths.history_file);
}
