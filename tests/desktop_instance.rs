//! One instance per user, across real processes: this test binary claims a fresh name, then runs
//! itself again as a second process that finds the name taken, asks the first to raise its
//! window and who holds the sensor, prints what it heard and exits 0.

use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use spinewatch::desktop::instance::{self, Claim, InstanceName, Request};

/// Tells the second process which name to use (and that it is the second process).
const CHILD_ENV: &str = "SPINEWATCH_TEST_INSTANCE_NAME";

#[test]
fn a_second_process_raises_the_first_and_learns_who_holds_the_sensor() {
    let name = InstanceName::custom(format!("spinewatch-test-handover-{}", std::process::id()));
    let (tx, rx) = mpsc::channel();
    let primary = match instance::claim(&name, instance::channel_callback(tx, || {})) {
        Ok(Claim::Primary(p)) => p,
        Ok(Claim::Secondary(_)) => panic!("a fresh name is already taken"),
        Err(e) => panic!("{e}"),
    };
    primary.set_port(Some("/dev/ttyACM0".into()));

    let out = Command::new(std::env::current_exe().unwrap_or_else(|e| panic!("{e}")))
        .args(["--ignored", "--exact", "second_process", "--nocapture"])
        .env(CHILD_ENV, name.as_str())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "second process failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).ok(),
        Some(Request::Raise),
        "the first process was not asked to raise"
    );
    let me = std::process::id();
    assert!(stdout.contains(&format!("raised pid={me}\n")), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "holder: the spinewatch window (pid {me}) is using /dev/ttyACM0\n"
        )),
        "{stdout}"
    );

    // Once the first is gone the name is free again: the next start is the first instance.
    drop(primary);
    assert!(matches!(
        instance::claim(&name, |_| true),
        Ok(Claim::Primary(_))
    ));
    assert!(matches!(instance::ask_holder(&name), Ok(None)));
}

/// The second process of the test above (run by it, with the name in the environment; does
/// nothing when run on its own).
#[test]
#[ignore = "helper process, started by a_second_process_raises_the_first_and_learns_who_holds_the_sensor"]
fn second_process() {
    let Some(name) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let name = InstanceName::custom(name.to_string_lossy());
    let second = match instance::claim(&name, |_| true) {
        Ok(Claim::Secondary(s)) => s,
        Ok(Claim::Primary(_)) => panic!("the second process became the first"),
        Err(e) => panic!("{e}"),
    };
    let pid = second.raise().unwrap_or_else(|e| panic!("{e}"));
    println!("raised pid={pid}");
    let holder = instance::ask_holder(&name)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("nobody holds the name"));
    println!("holder: {holder}");
}
