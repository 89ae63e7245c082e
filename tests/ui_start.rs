//! Start-up: no display gives a one-line message and exit code 2; recording from the window
//! writes a session the replay player lists and opens.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{rig_in, tempdir};
use egui::Role;
use egui_kittest::kittest::{By, Queryable};
use spinewatch::app::engine::StartSource;
use spinewatch::session::read_all;
use spinewatch::source::SourceKind;

#[test]
fn without_a_display_the_app_says_so_in_one_line() {
    for args in [&[][..], &["replay", "some.csv"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_spinewatch"))
            .args(args)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("--headless"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn the_demo_sensor_is_labelled_and_recording_writes_a_session() {
    let mut rig = rig_in(tempdir(), StartSource::Auto, 100);
    assert_eq!(rig.engine.source_kind(), SourceKind::Demo);
    assert!(rig.has("Source: Demo sensor"));

    rig.click("Record");
    rig.tick();
    assert!(rig.read(|s| s.recording.is_some()));
    for _ in 0..30 {
        std::thread::sleep(Duration::from_millis(40));
        rig.engine.tick();
    }
    rig.harness.run();
    // At least a second recorded (more when a busy machine oversleeps), under ten.
    assert!(
        rig.has_text("Recording 0:0") && !rig.has_text("Recording 0:00"),
        "the recording's clock shows its first seconds"
    );
    rig.click("Stop recording");
    rig.tick();
    let sessions = rig.read(|s| s.sessions.clone());
    assert_eq!(sessions.len(), 1);
    let bytes = std::fs::read(&sessions[0].path).unwrap_or_default();
    let (meta, samples) = read_all(&bytes[..], "rec").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(meta.device.as_deref(), Some("Demo sensor"));
    assert_eq!(meta.rate_hz, Some(100.0));
    assert!(samples.len() >= 80, "{} samples", samples.len());
    assert_eq!(samples[0].t_s, 0.0);

    // The recording is in the replay tab's list and opens in the player.
    rig.click("Replay");
    let name = sessions[0]
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    assert!(rig.has_text(&name));
    rig.harness
        .get(By::new().role(Role::Button).label_contains(&name))
        .click();
    rig.harness.run();
    rig.settle();
    assert!(rig.read(|s| s.replay.is_some()));
    assert_eq!(rig.engine.source_kind(), SourceKind::Replay);
}
