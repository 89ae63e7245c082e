//! Hand checks on a real desktop (all ignored; they use the session bus of whoever runs them):
//!
//! ```sh
//! cargo test --test desktop_manual -- --ignored --nocapture tray       # icon cycles its states
//! cargo test --test desktop_manual -- --ignored --nocapture notification
//! ```
//!
//! `SPINEWATCH_MANUAL_S` sets how long each runs (default 30 s).

use std::time::{Duration, Instant};

use spinewatch::desktop::notify_actions::{self, AlertKind, AlertNotification};
use spinewatch::desktop::tray::{TrayService, TrayStatus};
use spinewatch::posture::PostureState;

fn run_for() -> Duration {
    let s = std::env::var("SPINEWATCH_MANUAL_S")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    Duration::from_secs(s)
}

/// Shows the modules' own log lines (host appearing and going, failures).
fn log_to_stderr() {
    if let Err(e) = tracing_subscriber::fmt()
        .with_env_filter("spinewatch=debug")
        .with_writer(std::io::stderr)
        .try_init()
    {
        eprintln!("no log: {e}");
    }
}

#[test]
#[ignore = "manual: shows a tray icon on the desktop's panel"]
fn tray() {
    log_to_stderr();
    let mut tray = TrayService::start(&TrayStatus::default(), |action| {
        println!("tray action: {action:?}");
    })
    .unwrap_or_else(|e| panic!("{e}"));
    println!("tray host present: {}", tray.host_present());
    let states = [
        (PostureState::Upright, Some(6.0), false),
        (PostureState::Slouched, Some(27.0), false),
        (PostureState::Slouched, Some(27.0), true),
        (PostureState::NoData, None, false),
    ];
    let start = Instant::now();
    let mut i = 0;
    while start.elapsed() < run_for() {
        let (state, flexion_deg, snoozed) = states[i % states.len()];
        let status = TrayStatus {
            state,
            flexion_deg,
            snoozed,
            slouched_today_s: 14.0 * 60.0 + i as f64 * 60.0,
            ..TrayStatus::default()
        };
        tray.set_status(&status);
        println!(
            "showing {:?}: {} (host present: {})",
            tray.model().icon,
            tray.model().tooltip,
            tray.host_present()
        );
        i += 1;
        std::thread::sleep(Duration::from_secs(5));
    }
}

#[test]
#[ignore = "manual: shows a slouch alert with buttons and prints the choice"]
fn notification() {
    log_to_stderr();
    match notify_rust::get_capabilities() {
        Ok(caps) => println!("server capabilities: {caps:?}"),
        Err(e) => println!("no capabilities: {e}"),
    }
    let alert = AlertNotification {
        kind: AlertKind::Slouch,
        title: "Time to sit up".into(),
        body: "You have been slouched for 1 min.".into(),
    };
    let outcome = notify_actions::show_blocking(&alert);
    println!("outcome: {outcome:?}");
}
