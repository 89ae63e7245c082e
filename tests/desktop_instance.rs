//! One instance per user, across real processes: this test binary claims a fresh name, then runs
//! itself again as a second process that finds the name taken, asks the first to raise its
//! window and who holds the sensor, prints what it heard and exits 0.

// Abstract sockets and SO_PEERCRED are Linux features.
#![cfg(target_os = "linux")]

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

/// Tells the other-user process which name to try.
const OTHER_USER_ENV: &str = "SPINEWATCH_TEST_OTHER_USER_NAME";

/// An abstract socket has no permissions, so the uid check is what keeps other users out: a
/// process of another user (`nobody`, started by this test when it runs as root) can neither
/// raise this window nor pass for it.
#[test]
fn another_users_process_is_refused() {
    use std::os::unix::process::CommandExt;
    if !rustix::process::getuid().is_root() {
        eprintln!("skipped: needs root to start a process as another user");
        return;
    }
    let name = InstanceName::custom(format!("spinewatch-test-other-{}", std::process::id()));
    let (tx, rx) = mpsc::channel();
    let Ok(Claim::Primary(_primary)) =
        instance::claim(&name, instance::channel_callback(tx, || {}))
    else {
        panic!("a fresh name is already taken");
    };
    // The test binary must be reachable for `nobody`: run a copy from a world-readable place.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let exe = dir.path().join("desktop_instance");
    std::fs::copy(
        std::env::current_exe().unwrap_or_else(|e| panic!("{e}")),
        &exe,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    set_mode(dir.path(), 0o755);
    set_mode(&exe, 0o755);
    let out = Command::new(&exe)
        .args(["--ignored", "--exact", "other_user_process", "--nocapture"])
        .env(OTHER_USER_ENV, name.as_str())
        .current_dir(dir.path())
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("impostor uid=0\n"), "{stdout}");
    assert!(
        stdout.contains("raw reply: {\"reply\":\"error\""),
        "{stdout}"
    );
    assert!(
        rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "raised by another user"
    );
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// The other user's side of the test above.
#[test]
#[ignore = "helper process, started as another user by another_users_process_is_refused"]
fn other_user_process() {
    use std::io::{BufRead, BufReader, Write};
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::{SocketAddr, UnixStream};
    let Some(name) = std::env::var_os(OTHER_USER_ENV) else {
        return;
    };
    let name = InstanceName::custom(name.to_string_lossy());
    let second = match instance::claim(&name, |_| true) {
        Ok(Claim::Secondary(s)) => s,
        Ok(Claim::Primary(_)) => panic!("the name was free"),
        Err(e) => panic!("{e}"),
    };
    match second.raise() {
        Err(instance::InstanceError::Impostor { uid, .. }) => println!("impostor uid={uid}"),
        other => panic!("raise across users: {other:?}"),
    }
    // Ignoring that check and asking anyway: the listener refuses too.
    let addr =
        SocketAddr::from_abstract_name(name.as_str().as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let mut stream = UnixStream::connect_addr(&addr).unwrap_or_else(|e| panic!("{e}"));
    stream
        .write_all(b"{\"request\":\"raise\"}\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut line = String::new();
    BufReader::new(&stream)
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{e}"));
    print!("raw reply: {line}");
}
