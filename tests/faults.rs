//! The fault suite: what a day at a real desk does to the link, each as an automated test with
//! `spinewatch simulate --pty` as the device.
//!
//! - 100 unplug/replug cycles in one recording, the device rebooting every time (sequence and
//!   clock from 0) on a new pty behind the stable link: no crash, every loss marked, ≥ 95 % of
//!   what was sent recorded.
#![cfg(unix)]

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
