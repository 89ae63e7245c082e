//! Alerts in the window during a replayed slouch: the banner, snooze holding the next one
//! back, and the confirmation once posture is corrected.

mod common;

use common::{Rig, rig_in, slouch, tempdir, upright, write_session};
use spinewatch::app::Command;
use spinewatch::app::engine::StartSource;
use spinewatch::app::state::QuietHours;
use spinewatch::app::store::BannerKind;
use spinewatch::sim::Segment;

/// Calibrate, sit, slouch 35° for 200 s, sit up, slouch again 200 s, sit up.
fn two_slouches() -> Rig {
    let dir = tempdir();
    let path = write_session(
        dir.path(),
        "slouch.csv",
        vec![
            Segment::Calibrate,
            upright(20.0),
            slouch(200.0),
            upright(40.0),
            slouch(200.0),
            upright(30.0),
        ],
        true,
    );
    let mut rig = rig_in(dir, StartSource::Replay(path), 100);
    assert!(
        rig.read(|s| s.calibrated),
        "calibrated from the file's windows"
    );
    rig.choose_speed("as fast as possible");
    rig.click("Play");
    rig
}

fn slouch_banner(s: &spinewatch::app::Shared) -> bool {
    matches!(
        s.banner.as_ref().map(|b| &b.kind),
        Some(BannerKind::Slouch { .. })
    )
}

#[test]
fn alert_banner_appears_during_a_replayed_slouch() {
    let mut rig = two_slouches();
    assert!(!rig.has("Time to sit up"));
    assert!(rig.tick_until(2000, slouch_banner));
    assert!(rig.has("Time to sit up"));
    assert!(rig.has_text("You have been slouching for 1m 00s"));
    let (t, alerts) = rig.read(|s| (s.now_s, s.today.alerts));
    // Slouch crosses 20° about 1.5 s into the creep at 41 s; the alert comes a minute later.
    assert!((100.0..106.0).contains(&t), "alert at {t}");
    assert_eq!(alerts, 1);
    // A replay never sends desktop notifications.
    assert!(
        rig.notifier
            .sent
            .lock()
            .map(|v| v.is_empty())
            .unwrap_or(false)
    );

    // Dismissed, then corrected: a short positive confirmation.
    rig.click("Dismiss");
    rig.tick();
    assert!(!rig.has("Time to sit up"));
    assert!(rig.tick_until(2000, |s| s.toast.is_some()));
    assert!(rig.has("Nice, you are sitting upright again."));
}

#[test]
fn snooze_suppresses_the_next_alert() {
    let mut rig = two_slouches();
    assert!(rig.tick_until(2000, slouch_banner));
    rig.click("Snooze 30 min");
    rig.tick();
    assert!(!rig.has("Time to sit up"));
    assert!(rig.has_text("Alerts snoozed (30 min)"));

    // Play to the end: the second slouch (and the first one's repeat) stay quiet.
    rig.engine.run_until_idle(100_000);
    rig.harness.run();
    let (ended, banner, alerts, held) = rig.read(|s| {
        (
            s.replay.as_ref().is_some_and(|r| r.ended),
            s.banner.clone(),
            s.today.alerts,
            s.today.held_back,
        )
    });
    assert!(ended);
    assert_eq!(banner, None);
    assert_eq!(alerts, 1);
    assert!(held >= 1, "held back {held}");
    assert!(rig.has_text("held back by snooze"));
    assert!(!rig.has("Time to sit up"));
}

#[test]
fn meeting_mode_holds_alerts_back() {
    let mut rig = two_slouches();
    rig.click("Meeting mode");
    rig.engine.run_until_idle(100_000);
    rig.harness.run();
    assert!(rig.has_text("Meeting mode: alerts held back"));
    assert_eq!(
        rig.read(|s| (s.today.alerts, s.banner.is_none())),
        (0, true)
    );
}

#[test]
fn break_reminder_suggests_an_exercise_and_can_be_marked_done() {
    let dir = tempdir();
    let path = write_session(
        dir.path(),
        "sitting.csv",
        vec![Segment::Calibrate, upright(400.0)],
        true,
    );
    let mut rig = rig_in(dir, StartSource::Replay(path), 200);
    let mut settings = rig.read(|s| s.settings.clone());
    settings.posture.break_interval_s = 300.0;
    rig.handle.send(Command::SetSettings(Box::new(settings)));
    rig.choose_speed("as fast as possible");
    rig.click("Play");
    assert!(rig.tick_until(2000, |s| s.banner.is_some()));
    assert!(rig.has("Time for a short break"));
    assert!(rig.has("Try: short walk, 2–5 minutes."));
    rig.click("Mark break done");
    rig.tick();
    assert!(!rig.has("Time for a short break"));
    assert!(rig.has("Well done. Back to work, upright."));
    assert_eq!(rig.read(|s| s.today.breaks), 1);
}

#[test]
fn quiet_hours_hold_alerts_back_on_a_live_source() {
    // The injected clock says 12:00.
    let mut rig = rig_in(tempdir(), StartSource::Demo, 100);
    assert!(!rig.has_text("Quiet hours: alerts held back"));
    let mut settings = rig.read(|s| s.settings.clone());
    settings.quiet_hours = QuietHours {
        enabled: true,
        start: "11:30".into(),
        end: "13:00".into(),
    };
    rig.handle.send(Command::SetSettings(Box::new(settings)));
    rig.tick();
    assert!(rig.has_text("Quiet hours: alerts held back"));
}
