//! The tray and the notification buttons over real D-Bus: each test starts a private
//! `dbus-daemon` (no service activation, so nothing on the machine answers but the test's own
//! doubles), then runs this test binary again as a child with `DBUS_SESSION_BUS_ADDRESS` pointing
//! at it (the libraries read the address from the environment, and a child process keeps that
//! out of the other tests). In the child, the test plays the other side: a StatusNotifierWatcher
//! and host that reads the icon and clicks menu items, or a notification server that clicks
//! buttons.
//!
//! Without `dbus-daemon` (Debian package `dbus-daemon`) the tests say they skipped; with
//! `CI=true` that is a failure.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use spinewatch::app::clock::FixedClock;
use spinewatch::app::engine::StartSource;
use spinewatch::app::notifier::{DesktopNotifier, MemoryNotifier, Notifier};
use spinewatch::app::{Command as EngineCommand, Engine, EngineOptions, Paths, SnoozeLength};
use spinewatch::desktop::appearance::{self, ColorScheme};
use spinewatch::desktop::notify_actions::{
    self, AlertKind, AlertNotification, Choice, NotifyError, Outcome,
};
use spinewatch::desktop::tray::{TrayAction, TrayModel, TrayService, TrayStatus};
use spinewatch::posture::PostureState;
use spinewatch::ui::desktop::Desktop;
use zbus::object_server::SignalEmitter;
use zbus::zvariant::{OwnedValue, Value};

/// Set in the child process, which does the work.
const CHILD_ENV: &str = "SPINEWATCH_TEST_DBUS_CHILD";

const WAIT: Duration = Duration::from_secs(10);

/// A private session bus, killed when dropped.
struct PrivateBus {
    daemon: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        if let Err(e) = self.daemon.kill() {
            eprintln!("dbus-daemon kill: {e}");
        }
        if let Err(e) = self.daemon.wait() {
            eprintln!("dbus-daemon wait: {e}");
        }
    }
}

/// Starts `dbus-daemon` on a socket in a temporary directory; `None` when it is not installed.
fn private_bus() -> Option<PrivateBus> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = dir.path().join("bus.conf");
    std::fs::write(
        &config,
        format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
            dir.path().display()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let spawned = Command::new("dbus-daemon")
        .arg(format!("--config-file={}", config.display()))
        .args(["--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        // Its only chatter is a warning that it may not raise its fd limit.
        .stderr(Stdio::null())
        .spawn();
    let mut daemon = match spawned {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let msg = "dbus-daemon is not installed (apt-get install dbus-daemon)";
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
            eprintln!("skipped: {msg}");
            return None;
        }
        Err(e) => panic!("dbus-daemon: {e}"),
    };
    let mut address = String::new();
    let stdout = daemon.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    BufReader::new(stdout)
        .read_line(&mut address)
        .unwrap_or_else(|e| panic!("{e}"));
    let address = address.trim().to_string();
    assert!(
        address.starts_with("unix:"),
        "dbus-daemon printed {address:?}"
    );
    Some(PrivateBus {
        daemon,
        address,
        _dir: dir,
    })
}

/// Runs the ignored test `name` of this binary as a child on a private bus and checks it passed.
fn run_child(name: &str) {
    let Some(bus) = private_bus() else { return };
    run_child_at(name, &bus.address);
}

/// Runs the ignored test `name` as a child with this bus address.
fn run_child_at(name: &str, address: &str) {
    let out = Command::new(std::env::current_exe().unwrap_or_else(|e| panic!("{e}")))
        .args([
            "--ignored",
            "--exact",
            name,
            "--nocapture",
            "--test-threads=1",
        ])
        .env("DBUS_SESSION_BUS_ADDRESS", address)
        .env(CHILD_ENV, "1")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{name} failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("1 passed"),
        "{name} did not run:\n{stdout}\n{stderr}"
    );
}

fn in_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------- tray

/// A StatusNotifierWatcher that remembers who registered.
struct FakeWatcher {
    items: Arc<Mutex<Vec<String>>>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl FakeWatcher {
    fn register_status_notifier_item(&self, service: String) {
        if let Ok(mut items) = self.items.lock() {
            items.push(service);
        }
    }

    fn register_status_notifier_host(&self, _service: String) {}

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.items.lock().map(|i| i.clone()).unwrap_or_default()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }
}

type Pixmaps = Vec<(i32, i32, Vec<u8>)>;
type Layout = (i32, HashMap<String, OwnedValue>, Vec<OwnedValue>);

/// The host's side: reads the item's properties and clicks its menu, as a panel does.
struct Host {
    item: zbus::Proxy<'static>,
    menu: zbus::Proxy<'static>,
}

impl Host {
    fn new(conn: &zbus::Connection, service: &str) -> Self {
        let proxy = |path: &'static str, iface: &'static str| {
            async_io::block_on(
                zbus::proxy::Builder::<zbus::Proxy<'static>>::new(conn)
                    .destination(service.to_string())
                    .and_then(|b| b.path(path))
                    .and_then(|b| b.interface(iface))
                    .unwrap_or_else(|e| panic!("{e}"))
                    .cache_properties(zbus::proxy::CacheProperties::No)
                    .build(),
            )
            .unwrap_or_else(|e| panic!("{e}"))
        };
        Self {
            item: proxy("/StatusNotifierItem", "org.kde.StatusNotifierItem"),
            menu: proxy("/MenuBar", "com.canonical.dbusmenu"),
        }
    }

    fn tooltip(&self) -> String {
        let (_, _, _, description): (String, Pixmaps, String, String) =
            async_io::block_on(self.item.get_property("ToolTip")).unwrap_or_else(|e| panic!("{e}"));
        description
    }

    fn pixmaps(&self) -> Pixmaps {
        async_io::block_on(self.item.get_property("IconPixmap")).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The root menu's items as (id, label, toggle state).
    fn menu_items(&self) -> Vec<(i32, String, Option<i32>)> {
        let (_, (_, _, children)): (u32, Layout) = async_io::block_on(
            self.menu
                .call("GetLayout", &(0i32, -1i32, Vec::<String>::new())),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        children
            .into_iter()
            .map(|child| {
                let (id, props, _): Layout = child.try_into().unwrap_or_else(|e| panic!("{e}"));
                let text = |k: &str| {
                    props
                        .get(k)
                        .and_then(|v| String::try_from(v.try_clone().ok()?).ok())
                };
                let label = text("label").unwrap_or_default();
                let toggle = props
                    .get("toggle-state")
                    .and_then(|v| i32::try_from(v).ok());
                let label = if text("type").as_deref() == Some("separator") {
                    "---".to_string()
                } else {
                    label
                };
                (id, label, toggle)
            })
            .collect()
    }

    fn click(&self, label: &str) {
        let items = self.menu_items();
        let id = items
            .iter()
            .find(|(_, l, _)| l == label)
            .map(|(id, _, _)| *id)
            .unwrap_or_else(|| panic!("no menu item {label:?} in {items:?}"));
        async_io::block_on(
            self.menu
                .call::<_, _, ()>("Event", &(id, "clicked", Value::I32(0), 0u32)),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn tray_over_dbus() {
    run_child("tray_child");
}

#[test]
#[ignore = "run by tray_over_dbus on a private bus"]
fn tray_child() {
    if !in_child() {
        return;
    }
    let (tx, rx) = mpsc::channel();
    let mut status = TrayStatus {
        state: PostureState::Upright,
        flexion_deg: Some(4.0),
        slouched_today_s: 14.0 * 60.0,
        ..TrayStatus::default()
    };
    let mut tray = TrayService::start(&status, move |action| {
        if tx.send(action).is_err() {
            eprintln!("tray action after the test ended");
        }
    })
    .unwrap_or_else(|e| panic!("{e}"));
    // No panel yet (as at login, before the panel has started): no host, the window must not
    // hide to the tray.
    assert!(!tray.host_present());

    // The panel starts: the tray registers with it by itself.
    let items = Arc::new(Mutex::new(Vec::new()));
    let conn = async_io::block_on(
        zbus::connection::Builder::session()
            .and_then(|b| b.name("org.kde.StatusNotifierWatcher"))
            .and_then(|b| {
                b.serve_at(
                    "/StatusNotifierWatcher",
                    FakeWatcher {
                        items: Arc::clone(&items),
                    },
                )
            })
            .unwrap_or_else(|e| panic!("{e}"))
            .build(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    wait_until("the tray to register", || {
        items.lock().map(|i| !i.is_empty()).unwrap_or(false)
    });
    wait_until("the host to count as present", || tray.host_present());
    let service = items.lock().map(|i| i[0].clone()).unwrap_or_default();
    assert!(
        service.starts_with("org.kde.StatusNotifierItem-"),
        "{service}"
    );

    let host = Host::new(&conn, &service);
    assert_eq!(host.tooltip(), "4° forward · slouched 14 min today");
    let sizes: Vec<_> = host
        .pixmaps()
        .iter()
        .map(|(w, h, d)| (*w, *h, d.len()))
        .collect();
    assert_eq!(
        sizes,
        [16, 22, 24, 32, 48].map(|n| (n, n, (n * n * 4) as usize))
    );
    let labels: Vec<_> = host.menu_items().into_iter().map(|(_, l, _)| l).collect();
    assert_eq!(
        labels,
        [
            "Hide window",
            "---",
            "Snooze 30 min",
            "Snooze 1 h",
            "Snooze until tomorrow",
            "Meeting mode",
            "---",
            "Calibrate…",
            "Start recording",
            "---",
            "Quit"
        ]
    );

    // Menu clicks arrive as actions.
    let next = || {
        rx.recv_timeout(WAIT)
            .unwrap_or_else(|e| panic!("no action: {e}"))
    };
    host.click("Snooze 30 min");
    assert_eq!(
        next(),
        TrayAction::Engine(EngineCommand::Snooze(SnoozeLength::Minutes(30)))
    );
    host.click("Meeting mode");
    assert_eq!(
        next(),
        TrayAction::Engine(EngineCommand::SetMeetingMode(true))
    );
    host.click("Quit");
    assert_eq!(next(), TrayAction::Quit);
    async_io::block_on(host.item.call::<_, _, ()>("Activate", &(0i32, 0i32)))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(next(), TrayAction::ToggleWindow);

    // A new status is published: tooltip, icon pixels, menu labels and the checkbox.
    let before = host.pixmaps();
    status = TrayStatus {
        state: PostureState::Slouched,
        flexion_deg: Some(27.0),
        meeting: true,
        recording: true,
        window_visible: false,
        ..status
    };
    tray.set_status(&status);
    assert_eq!(tray.model(), &TrayModel::new(&status));
    assert_eq!(
        host.tooltip(),
        "27° forward · slouched 14 min today · meeting mode · recording"
    );
    assert_ne!(host.pixmaps(), before, "the icon did not change");
    let items = host.menu_items();
    assert!(
        items.iter().any(|(_, l, _)| l == "Show window"),
        "{items:?}"
    );
    assert!(
        items.iter().any(|(_, l, _)| l == "Stop recording"),
        "{items:?}"
    );
    let meeting = items.iter().find(|(_, l, _)| l == "Meeting mode");
    assert_eq!(meeting.and_then(|(_, _, t)| *t), Some(1), "{items:?}");
    host.click("Stop recording");
    assert_eq!(next(), TrayAction::Engine(EngineCommand::StopRecording));

    // The panel quits: no host any more.
    drop(host);
    drop(conn);
    wait_until("the host to count as gone", || !tray.host_present());
}

// ---------------------------------------------------------------- notifications

/// One `Notify` call as the server received it.
#[derive(Debug, Clone)]
struct NotifyCall {
    id: u32,
    summary: String,
    body: String,
    actions: Vec<String>,
}

/// A notification server whose capabilities the test sets.
struct FakeNotifications {
    capabilities: Arc<Mutex<Vec<String>>>,
    calls: Arc<Mutex<Vec<NotifyCall>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl FakeNotifications {
    fn get_capabilities(&self) -> Vec<String> {
        self.capabilities
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default()
    }

    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        _app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        _hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let Ok(mut calls) = self.calls.lock() else {
            return 0;
        };
        let id = u32::try_from(calls.len()).unwrap_or(0) + 1;
        calls.push(NotifyCall {
            id,
            summary,
            body,
            actions,
        });
        id
    }

    fn close_notification(&self, _id: u32) {}

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "fake".into(),
            "spinewatch tests".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    #[zbus(signal)]
    async fn action_invoked(
        emitter: &SignalEmitter<'_>,
        id: u32,
        action_key: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn notification_closed(
        emitter: &SignalEmitter<'_>,
        id: u32,
        reason: u32,
    ) -> zbus::Result<()>;
}

/// Waits for the server's `n`th `Notify` call (from 0) and returns it.
fn nth_call(calls: &Arc<Mutex<Vec<NotifyCall>>>, n: usize) -> NotifyCall {
    wait_until("a Notify call", || {
        calls.lock().map(|c| c.len() > n).unwrap_or(false)
    });
    calls
        .lock()
        .map(|c| c[n].clone())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn alert(kind: AlertKind) -> AlertNotification {
    AlertNotification {
        kind,
        title: "Sit up".into(),
        body: "Slouched for 1 min".into(),
    }
}

/// Shows `alert` on a thread and, once the server has it, sends `signal` (the wearer's click or
/// the close) until the outcome arrives: the client subscribes to the signals only after the
/// `Notify` call returns, so one early signal could be missed.
fn shown_then(
    conn: &zbus::Connection,
    calls: &Arc<Mutex<Vec<NotifyCall>>>,
    alert: AlertNotification,
    signal: impl Fn(&SignalEmitter<'_>, u32) -> zbus::Result<()>,
) -> (NotifyCall, Result<Outcome, NotifyError>) {
    let seen = calls.lock().map(|c| c.len()).unwrap_or(0);
    let (tx, rx) = mpsc::channel();
    notify_actions::spawn_show(alert, move |outcome| {
        if tx.send(outcome).is_err() {
            eprintln!("outcome after the test ended");
        }
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let call = nth_call(calls, seen);
    let emitter = SignalEmitter::new(conn, "/org/freedesktop/Notifications")
        .unwrap_or_else(|e| panic!("{e}"));
    let start = Instant::now();
    loop {
        if let Ok(outcome) = rx.recv_timeout(Duration::from_millis(100)) {
            return (call, outcome);
        }
        assert!(start.elapsed() < WAIT, "no outcome for {call:?}");
        signal(&emitter, call.id).unwrap_or_else(|e| panic!("{e}"));
    }
}

fn click(action: &'static str) -> impl Fn(&SignalEmitter<'_>, u32) -> zbus::Result<()> {
    move |emitter, id| async_io::block_on(FakeNotifications::action_invoked(emitter, id, action))
}

#[test]
fn notifications_over_dbus() {
    run_child("notifications_child");
}

#[test]
#[ignore = "run by notifications_over_dbus on a private bus"]
fn notifications_child() {
    if !in_child() {
        return;
    }
    // No notification server on the bus: an error, not a hang.
    let err = notify_actions::show_blocking(&alert(AlertKind::Slouch));
    assert!(matches!(err, Err(NotifyError::Server { .. })), "{err:?}");

    let capabilities = Arc::new(Mutex::new(vec!["actions".to_string(), "body".to_string()]));
    let calls = Arc::new(Mutex::new(Vec::new()));
    let conn = async_io::block_on(
        zbus::connection::Builder::session()
            .and_then(|b| b.name("org.freedesktop.Notifications"))
            .and_then(|b| {
                b.serve_at(
                    "/org/freedesktop/Notifications",
                    FakeNotifications {
                        capabilities: Arc::clone(&capabilities),
                        calls: Arc::clone(&calls),
                    },
                )
            })
            .unwrap_or_else(|e| panic!("{e}"))
            .build(),
    )
    .unwrap_or_else(|e| panic!("{e}"));

    // Slouch alert: its buttons, and "Snooze 30 min" becomes the snooze command.
    let (call, outcome) = shown_then(&conn, &calls, alert(AlertKind::Slouch), click("snooze-30"));
    assert_eq!(call.summary, "Sit up");
    assert_eq!(call.body, "Slouched for 1 min");
    assert_eq!(
        call.actions,
        [
            "default",
            "Open spinewatch",
            "snooze-30",
            "Snooze 30 min",
            "sitting-up",
            "Sitting up"
        ]
    );
    assert_eq!(
        outcome.ok(),
        Some(Outcome::Chosen(Choice::Engine(EngineCommand::Snooze(
            SnoozeLength::Minutes(30)
        ))))
    );

    // Break reminder: "Later" dismisses; a click on the body opens the window.
    let (call, outcome) = shown_then(
        &conn,
        &calls,
        alert(AlertKind::BreakReminder),
        click("later"),
    );
    assert_eq!(call.actions[2..], ["break-done", "Done", "later", "Later"]);
    assert_eq!(
        outcome.ok(),
        Some(Outcome::Chosen(Choice::Engine(
            EngineCommand::DismissBanner
        )))
    );
    let (_, outcome) = shown_then(
        &conn,
        &calls,
        alert(AlertKind::BreakReminder),
        click("default"),
    );
    assert_eq!(outcome.ok(), Some(Outcome::Chosen(Choice::OpenWindow)));

    // Closed without a choice.
    let (_, outcome) = shown_then(&conn, &calls, alert(AlertKind::Slouch), |e, id| {
        async_io::block_on(FakeNotifications::notification_closed(e, id, 2))
    });
    assert_eq!(outcome.ok(), Some(Outcome::Closed));

    // The app's own notifier, as the window starts it: the slouch alert carries its buttons,
    // and "Snooze 30 min" reaches the engine, through the window, as the banner's snooze does.
    let (choice_tx, choice_rx) = mpsc::channel();
    let mut notifier = DesktopNotifier::with_actions(move |choice| {
        if choice_tx.send(choice).is_err() {
            eprintln!("choice after the test ended");
        }
    });
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let noon = chrono::NaiveDate::from_ymd_opt(2025, 6, 2)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .unwrap_or_default();
    let (mut engine, handle) = Engine::new(
        EngineOptions {
            paths: Paths::under(dir.path()),
            start: StartSource::Demo,
            persist: false,
            ..EngineOptions::default()
        },
        Box::new(FixedClock(noon)),
        Box::new(MemoryNotifier::default()),
    );
    let mut desktop = Desktop::new(None, None, false).with_notification_choices(choice_rx);
    let ctx = egui::Context::default();
    let seen = calls.lock().map(|c| c.len()).unwrap_or(0);
    notifier.alert(
        AlertKind::Slouch,
        "Time to sit up",
        "You have been slouching for 1m 00s.",
    );
    let call = nth_call(&calls, seen);
    assert_eq!(call.summary, "Time to sit up");
    assert_eq!(
        call.actions[2..],
        ["snooze-30", "Snooze 30 min", "sitting-up", "Sitting up"]
    );
    assert_eq!(notifier.works(), Some(true));
    let emitter = SignalEmitter::new(&conn, "/org/freedesktop/Notifications")
        .unwrap_or_else(|e| panic!("{e}"));
    wait_until("the snooze from the notification", || {
        // Clicked until the waiter (subscribed after Notify returned) has seen one.
        click("snooze-30")(&emitter, call.id).unwrap_or_else(|e| panic!("{e}"));
        desktop.logic(&ctx, &handle, true);
        engine.run_until_idle(10);
        handle.read(|sh| sh.snooze.until_s.is_some())
    });
    // A notice (not an alert) never has buttons.
    notifier.notify("spinewatch keeps watching", "It is in the tray.");
    let notice = nth_call(&calls, seen + 1);
    assert_eq!(notice.summary, "spinewatch keeps watching");
    assert!(notice.actions.is_empty(), "{:?}", notice.actions);

    // A server without buttons: a plain notification, no actions sent, nothing to wait for.
    if let Ok(mut c) = capabilities.lock() {
        c.retain(|c| c != "actions");
    }
    let outcome = notify_actions::show_blocking(&alert(AlertKind::Slouch));
    assert_eq!(outcome.ok(), Some(Outcome::ShownWithoutButtons));
    let last = calls.lock().map(|c| c.last().cloned()).unwrap_or(None);
    assert_eq!(last.map(|c| c.actions), Some(Vec::new()));
    // The app's notifier there: the alert as a plain notification (the banner still shows).
    let before = calls.lock().map(|c| c.len()).unwrap_or(0);
    notifier.alert(
        AlertKind::BreakReminder,
        "Time for a short break",
        "Try: walk.",
    );
    let plain = nth_call(&calls, before);
    assert_eq!(plain.summary, "Time for a short break");
    assert!(plain.actions.is_empty(), "{:?}", plain.actions);
}

// ---------------------------------------------------------------- the light/dark preference

/// The desktop portal's Settings, answering the colour scheme the test sets.
struct FakePortal {
    scheme: u32,
}

#[zbus::interface(name = "org.freedesktop.portal.Settings")]
impl FakePortal {
    fn read_one(&self, namespace: String, key: String) -> zbus::fdo::Result<OwnedValue> {
        if (namespace.as_str(), key.as_str()) != ("org.freedesktop.appearance", "color-scheme") {
            return Err(zbus::fdo::Error::Failed(format!("no {namespace} {key}")));
        }
        OwnedValue::try_from(Value::U32(self.scheme))
            .map_err(|e| zbus::fdo::Error::Failed(e.to_string()))
    }

    #[zbus(signal)]
    async fn setting_changed(
        emitter: &SignalEmitter<'_>,
        namespace: &str,
        key: &str,
        value: Value<'_>,
    ) -> zbus::Result<()>;
}

#[test]
fn appearance_over_dbus() {
    run_child("appearance_child");
}

#[test]
#[ignore = "run by appearance_over_dbus on a private bus"]
fn appearance_child() {
    if !in_child() {
        return;
    }
    let conn = async_io::block_on(
        zbus::connection::Builder::session()
            .and_then(|b| b.name("org.freedesktop.portal.Desktop"))
            .and_then(|b| b.serve_at("/org/freedesktop/portal/desktop", FakePortal { scheme: 1 }))
            .unwrap_or_else(|e| panic!("{e}"))
            .build(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (tx, rx) = mpsc::channel();
    appearance::watch(move |s| {
        if tx.send(s).is_err() {
            eprintln!("scheme after the test ended");
        }
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let first = rx
        .recv_timeout(WAIT)
        .unwrap_or_else(|e| panic!("no first answer: {e}"));
    assert_eq!(first, ColorScheme::PreferDark);
    // The desktop switches to light: the window is told.
    let emitter = SignalEmitter::new(&conn, "/org/freedesktop/portal/desktop")
        .unwrap_or_else(|e| panic!("{e}"));
    async_io::block_on(FakePortal::setting_changed(
        &emitter,
        "org.gnome.desktop.interface",
        "gtk-theme",
        Value::from("Adwaita"),
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    async_io::block_on(FakePortal::setting_changed(
        &emitter,
        "org.freedesktop.appearance",
        "color-scheme",
        Value::U32(2),
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let next = rx
        .recv_timeout(WAIT)
        .unwrap_or_else(|e| panic!("no change: {e}"));
    assert_eq!(
        next,
        ColorScheme::PreferLight,
        "other settings are not schemes"
    );
}

// ---------------------------------------------------------------- no bus at all

#[test]
fn without_a_session_bus_both_fail_at_once() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let address = format!("unix:path={}", dir.path().join("no-bus").display());
    run_child_at("no_bus_child", &address);
}

#[test]
#[ignore = "run by without_a_session_bus_both_fail_at_once with a dead bus address"]
fn no_bus_child() {
    if !in_child() {
        return;
    }
    let start = Instant::now();
    let tray = TrayService::start(&TrayStatus::default(), |_| {});
    assert!(tray.is_err(), "a tray without a bus");
    let shown = notify_actions::show_blocking(&alert(AlertKind::Slouch));
    assert!(
        matches!(shown, Err(NotifyError::Server { .. })),
        "{shown:?}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}
