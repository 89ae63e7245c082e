//! Disk faults through the whole live path, as the window runs it: `spinewatch simulate --pty`
//! (another process) as the sensor → the engine on its `pipeline` thread → the CSV recording
//! (record button) and the history, while the disk is full or the data directory read only.
//!
//! Checked for each fault, for the recording and for the history: exactly one clear notice each
//! while it lasts (taken back when it clears), monitoring goes on (a slouch alert fires during
//! the outage and reaches the notifier), and writing resumes by itself once the fault is gone
//! (the later part of the session is in the file and the history). Nothing is torn: the CSV reads
//! back with `SessionReader`, strictly increasing, with one `# recording_gap` line that says
//! which samples are missing; the database passes `PRAGMA integrity_check` and lost nothing (its
//! writer keeps the records in memory meanwhile).
//!
//! The always-running tests use the fault switches (the recording's `DiskFault`, the history's
//! `FaultSwitch`): we run as root, where a read-only directory does not stop writes, and a full
//! filesystem needs a mount. The real-filesystem variant runs when `SPINEWATCH_FAULTS_TMPFS`
//! names an empty tmpfs mount point this (root) process may fill and remount:
//!
//! ```sh
//! mkdir -p /tmp/sw-faults && mount -t tmpfs -o size=8m tmpfs /tmp/sw-faults
//! SPINEWATCH_FAULTS_TMPFS=/tmp/sw-faults cargo test --test faults_disk -- --nocapture
//! umount /tmp/sw-faults
//! ```
#![cfg(target_os = "linux")]

#[path = "common/live.rs"]
mod live;
#[path = "common/oracle.rs"]
mod oracle;
#[path = "common/proc.rs"]
mod proc;

use std::collections::BTreeSet;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{Days as ChronoDays, Local};
use spinewatch::app::clock::SystemClock;
use spinewatch::app::notifier::MemoryNotifier;
use spinewatch::app::{Command, Engine, EngineFaults, Paths};
use spinewatch::posture::Config;
use spinewatch::session::{DiskFault, DiskFaultKind, SessionReader};
use spinewatch::store::{Days, FaultSwitch, History, HistoryOptions, HistoryStatus, WriterOptions};

/// The device streams this many times faster than real time: a simulated minute in 2.4 s, so
/// the recording's retries (1 s, 2 s, 4 s … of wall time) come within a simulated minute or two.
const SPEED: &str = "25";
const SEED: u64 = 5;

/// What one outage looked like from outside.
struct Outcome {
    /// Session time when the fault was switched on and off, s.
    on_s: f64,
    off_s: f64,
    /// Session time at the end, s.
    end_s: f64,
    /// Every distinct notice seen while the fault was on, and at the end.
    seen: BTreeSet<String>,
    at_end: Vec<String>,
    alerts_during: usize,
    toasts: BTreeSet<String>,
    history_failure_notices: u64,
    recording: std::path::PathBuf,
    paths: Paths,
    wall: Duration,
}

/// Runs a live session with the record button pressed; switches the fault on shortly before the
/// first slouch alert the ideal monitor expects, off once an alert has fired and both notices
/// are up, and stops a simulated minute and a half after both writers have resumed.
fn outage(
    need_history: bool,
    home: &Path,
    device: live::Device,
    faults: EngineFaults,
    on: &dyn Fn(),
    off: &dyn Fn(),
) -> Outcome {
    let paths = Paths::under(home);
    live::write_settings(&paths, &device);
    let config = Config::default();
    let ideal = oracle::ideal(&device.script, &device.options, &config);
    let alert_s = oracle::alerts(&ideal.events)
        .into_iter()
        .find(|&t| t >= 90.0)
        .unwrap_or_else(|| panic!("the simulated day has a slouch alert after 90 s"));
    let (on_at, off_at) = (alert_s - 30.0, alert_s + 15.0);
    let mut sim = device.sim;

    let notifier = MemoryNotifier::default();
    let started = Instant::now();
    let (engine, handle) = Engine::with_faults(
        live::engine_options(paths.clone(), false),
        Box::new(SystemClock::new()),
        Box::new(notifier.clone()),
        faults,
    );
    handle.send(Command::StartRecording);
    let thread = engine
        .spawn()
        .unwrap_or_else(|e| panic!("pipeline thread: {e}"));
    let alerts = || notifier.alerts.lock().map(|a| a.len()).unwrap_or(0);

    let mut seen = BTreeSet::new();
    let mut toasts = BTreeSet::new();
    let (mut on_s, mut off_s, mut resumed_s, mut alerts_before) = (None, None, None, 0);
    let mut alerts_during = 0;
    let end_s = loop {
        std::thread::sleep(Duration::from_millis(5));
        let (now_s, notices, toast) = handle.read(|s| {
            (
                s.now_s,
                s.notices.iter().cloned().collect::<Vec<_>>(),
                s.toast.as_ref().map(|t| t.text.clone()),
            )
        });
        toasts.extend(toast);
        assert!(
            started.elapsed() < Duration::from_secs(150),
            "stuck at {now_s:.0} s: on {on_s:?} off {off_s:?}, notices {notices:?}"
        );
        match (on_s, off_s) {
            (None, _) if now_s >= on_at => {
                on();
                on_s = Some(now_s);
                alerts_before = alerts();
            }
            (Some(_), None) => {
                seen.extend(notices.iter().cloned());
                let both = notices.iter().any(|n| n.starts_with("recording paused"))
                    && (!need_history
                        || notices.iter().any(|n| n.starts_with("the history cannot")));
                if now_s >= off_at && both && alerts() > alerts_before {
                    alerts_during = alerts() - alerts_before;
                    off();
                    off_s = Some(now_s);
                }
            }
            (Some(_), Some(_)) => {
                let resumed = notices.is_empty()
                    && handle
                        .history()
                        .is_some_and(|h| h.status() == HistoryStatus::Ok);
                match resumed_s {
                    None if resumed => resumed_s = Some(now_s),
                    Some(r) if now_s >= r + 90.0 => break now_s,
                    _ => {}
                }
            }
            _ => {}
        }
        assert!(
            !matches!(sim.child.try_wait(), Ok(Some(_))),
            "the simulated day ended first (at {now_s:.0} s; on {on_s:?}, off {off_s:?}); notices {notices:?}"
        );
    };
    handle.send(Command::StopRecording);
    let at_end: Vec<String> = handle.read(|s| s.notices.iter().cloned().collect());
    let history_failure_notices = handle.history().map_or(0, |h| h.failure_notices());
    handle.send(Command::Shutdown);
    thread
        .join()
        .unwrap_or_else(|_| panic!("the pipeline thread panicked"));
    drop(handle);
    let _killed = sim.child.kill();
    Outcome {
        on_s: on_s.unwrap_or_default(),
        off_s: off_s.unwrap_or_default(),
        end_s,
        seen,
        at_end,
        alerts_during,
        toasts,
        history_failure_notices,
        recording: live::the_recording(&paths.sessions_dir),
        wall: started.elapsed(),
        paths,
    }
}

/// A `# recording_gap` line's fields.
#[derive(Debug)]
struct Gap {
    from_s: f64,
    to_s: f64,
    samples: u64,
    reason: String,
}

fn gaps(text: &str) -> Vec<Gap> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# recording_gap "))
        .map(|rest| {
            let field = |name: &str| -> String {
                rest.split(' ')
                    .find_map(|p| p.strip_prefix(name))
                    .unwrap_or_else(|| panic!("no {name} in {rest}"))
                    .to_string()
            };
            let number = |name: &str| -> f64 {
                field(name)
                    .parse()
                    .unwrap_or_else(|e| panic!("{name} in {rest}: {e}"))
            };
            Gap {
                from_s: number("from_s="),
                to_s: number("to_s="),
                samples: number("samples=") as u64,
                reason: rest
                    .split_once("reason=")
                    .map(|(_, r)| r.to_string())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// Everything the outage must have left behind; returns the gap, for the figures.
fn check(o: &Outcome, reason_has: &str, need_history: bool) -> Gap {
    println!(
        "outage from {:.1} s to {:.1} s of session time, end {:.1} s, {:.1} s wall; alerts during it {}; notices seen {:?}; toasts {:?}",
        o.on_s,
        o.off_s,
        o.end_s,
        o.wall.as_secs_f64(),
        o.alerts_during,
        o.seen,
        o.toasts
    );
    // One clear notice each, none left once writing works again.
    let recording: Vec<_> = o
        .seen
        .iter()
        .filter(|n| n.starts_with("recording paused"))
        .collect();
    let history: Vec<_> = o
        .seen
        .iter()
        .filter(|n| n.starts_with("the history cannot"))
        .collect();
    assert_eq!(recording.len(), 1, "{:?}", o.seen);
    let expected = usize::from(need_history);
    assert!(history.len() == expected || !need_history, "{:?}", o.seen);
    assert_eq!(
        o.seen.len(),
        1 + history.len(),
        "no other notice: {:?}",
        o.seen
    );
    assert!(recording[0].contains(reason_has), "{}", recording[0]);
    assert_eq!(o.history_failure_notices, history.len() as u64);
    assert!(o.at_end.is_empty(), "taken back: {:?}", o.at_end);
    assert!(o.alerts_during >= 1, "alerts go on during the outage");
    assert!(
        o.toasts.iter().any(|t| t.starts_with("Recording resumed;")),
        "{:?}",
        o.toasts
    );

    // The recording: whole rows, increasing, one gap line where nothing was kept.
    let text = std::fs::read_to_string(&o.recording).unwrap_or_else(|e| panic!("{e}"));
    let file = File::open(&o.recording).unwrap_or_else(|e| panic!("{e}"));
    let mut reader =
        SessionReader::new(BufReader::new(file), &o.recording).unwrap_or_else(|e| panic!("{e}"));
    let mut times = Vec::new();
    while let Some(s) = reader
        .next_sample()
        .unwrap_or_else(|e| panic!("the recording reads back: {e}"))
    {
        times.push(s.t_s);
    }
    assert!(times.windows(2).all(|w| w[1] > w[0]), "strictly increasing");
    let gaps = gaps(&text);
    assert_eq!(gaps.len(), 1, "one gap line: {gaps:?}");
    let gap = gaps.into_iter().next().unwrap_or_else(|| panic!("a gap"));
    assert!(gap.reason.contains(reason_has), "{gap:?}");
    let inside = times
        .iter()
        .filter(|&&t| t >= gap.from_s && t <= gap.to_s)
        .count();
    assert_eq!(inside, 0, "no row inside the gap {gap:?}");
    let before = times.iter().filter(|&&t| t < gap.from_s).count();
    let after: Vec<f64> = times.iter().copied().filter(|&t| t > gap.to_s).collect();
    // The file starts at 0 s at the recording's first sample; the session's time of it is
    // within a poll of 0.
    let expected = (gap.to_s - gap.from_s) * 100.0 + 1.0;
    assert!(
        (gap.samples as f64 - expected).abs() <= 0.01 * expected + 2.0,
        "{gap:?}: {expected:.0} samples expected at 100 Hz"
    );
    // The gap begins at the fault (the rows taken before it were kept: at most a flush's worth
    // is between the switch and the first missed sample) and ends after it cleared.
    assert!(
        gap.from_s >= o.on_s - 5.0 && gap.from_s <= o.on_s + 40.0,
        "gap from {:.1} s for a fault at {:.1} s",
        gap.from_s,
        o.on_s
    );
    assert!(
        gap.to_s >= o.off_s - 5.0,
        "gap to {:.1} s, fault off at {:.1} s",
        gap.to_s,
        o.off_s
    );
    let resumed_s = after.last().copied().unwrap_or(0.0) - after.first().copied().unwrap_or(0.0);
    assert!(
        resumed_s >= 60.0,
        "recording resumed for {resumed_s:.1} s after the gap"
    );
    assert!(
        after.windows(2).all(|w| w[1] - w[0] < 0.05),
        "the part after the gap is whole"
    );
    println!(
        "recording: {} rows before the gap, {} after ({resumed_s:.1} s); gap {:.2}–{:.2} s, {} samples not recorded",
        before,
        after.len(),
        gap.from_s,
        gap.to_s,
        gap.samples
    );

    // The history: intact, nothing lost, the alert during the outage stored.
    let conn = rusqlite::Connection::open(&o.paths.history_file).unwrap_or_else(|e| panic!("{e}"));
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(check, "ok");
    drop(conn);
    let history = History::open(&o.paths.history_file, HistoryOptions::default())
        .unwrap_or_else(|e| panic!("the history opens: {e}"));
    let days = Days::in_local_zone(0).unwrap_or_else(|e| panic!("{e}"));
    let first = Local::now().date_naive() - ChronoDays::new(1);
    let figures = history
        .read(|c| spinewatch::store::query::period(c, &days, first, first + ChronoDays::new(3)))
        .unwrap_or_else(|e| panic!("history query: {e}"))
        .totals
        .figures;
    let alerts_s = live::history_alert_times_s(&history, false);
    println!(
        "history: monitored {:.1} s of a {:.1} s session, alerts at {alerts_s:.1?}",
        figures.monitored_s, o.end_s
    );
    assert!(
        figures.monitored_s >= o.end_s - 10.0 && figures.monitored_s <= o.end_s + 5.0,
        "the history kept the whole session: {:.1} s of {:.1} s",
        figures.monitored_s,
        o.end_s
    );
    assert!(
        alerts_s.iter().any(|&t| t >= o.on_s && t <= o.off_s + 5.0),
        "the alert during the outage is in the history: {alerts_s:?}"
    );
    assert_eq!(history.dropped(), 0);
    gap
}

fn history_options(fault: &FaultSwitch) -> HistoryOptions {
    HistoryOptions {
        writer: WriterOptions {
            commit_every_s: 0.2,
            retry_every_s: 0.2,
            fault: Some(fault.clone()),
            ..WriterOptions::default()
        },
    }
}

fn spawn_device(dir: &Path) -> live::Device {
    live::spawn_device_at(dir, 20.0, SEED, SPEED)
}

/// One outage through the engine's fault switches: the recording's file fails as `kind` says,
/// and the history's writes fail the same way, from the outage's start to its end.
fn switched_outage(kind: DiskFaultKind, message: &str) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (disk, db) = (DiskFault::new(), FaultSwitch::new());
    let faults = EngineFaults {
        recording: Some(disk.clone()),
        history: history_options(&db),
    };
    let history_fails = |on: bool| match kind {
        DiskFaultKind::Full => db.set(on),
        DiskFaultKind::ReadOnly => db.set_read_only(on),
    };
    let device = spawn_device(dir.path());
    let o = outage(
        true,
        &dir.path().join("home"),
        device,
        faults,
        &|| {
            disk.set(Some(kind));
            history_fails(true);
        },
        &|| {
            disk.set(None);
            history_fails(false);
        },
    );
    check(&o, message, true);
}

#[test]
fn a_full_disk_pauses_recording_and_history_once_alerts_go_on_and_both_resume() {
    switched_outage(DiskFaultKind::Full, "No space left on device");
}

#[test]
fn a_read_only_data_directory_pauses_recording_and_history_once_and_both_resume() {
    switched_outage(DiskFaultKind::ReadOnly, "Read-only file system");
}

/// Fills the filesystem holding `path` with it, 64 KiB at a time, until the disk is full.
fn fill(path: &Path) {
    use std::io::Write;
    let mut f = File::create(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let block = vec![0u8; 64 * 1024];
    while f.write_all(&block).and_then(|()| f.sync_all()).is_ok() {}
    let small = [0u8; 512];
    while f.write_all(&small).and_then(|()| f.sync_all()).is_ok() {}
}

/// A real full filesystem (no switch): runs only when `SPINEWATCH_FAULTS_TMPFS` names an empty
/// tmpfs mount point (see the module docs). The recording gets ENOSPC from the kernel. SQLite
/// may not fail at all while its WAL file still has room (writes into pages it already has),
/// so the history's notice is reported, not required; it must lose nothing either way.
///
/// A read-only filesystem cannot be made for real here: Linux refuses `mount -o remount,ro`
/// with EBUSY while a file on it is open for writing (the recording, the database), and a
/// directory's permissions do not stop root; the switch covers that case.
#[test]
fn a_really_full_tmpfs_pauses_the_recording_and_it_resumes() {
    let Some(mount) = std::env::var_os("SPINEWATCH_FAULTS_TMPFS") else {
        eprintln!("skipped: set SPINEWATCH_FAULTS_TMPFS to an empty tmpfs mount point to run it");
        return;
    };
    let mount = std::path::PathBuf::from(mount);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let filler = mount.join("filler");
    let faults = EngineFaults {
        recording: None,
        history: HistoryOptions {
            writer: WriterOptions {
                commit_every_s: 0.2,
                retry_every_s: 0.2,
                ..WriterOptions::default()
            },
        },
    };
    let device = spawn_device(dir.path());
    let o = outage(
        false,
        &mount.join("home"),
        device,
        faults,
        &|| fill(&filler),
        &|| std::fs::remove_file(&filler).unwrap_or_else(|e| panic!("{e}")),
    );
    let gap = check(&o, "No space left on device", false);
    println!(
        "real tmpfs: {} samples ({:.1} s) not recorded, reason {:?}; history notices {}",
        gap.samples,
        gap.to_s - gap.from_s,
        gap.reason,
        o.history_failure_notices
    );
}
