//! Settings: validated as you type, applied live, persisted per user; a broken settings file
//! never stops the app.

mod common;

use common::{rig_in, tempdir};
use egui_kittest::kittest::Queryable;
use spinewatch::app::engine::StartSource;
use spinewatch::app::state::load_settings;
use spinewatch::ui::settings::{BREAK, THRESHOLD};

#[test]
fn settings_are_validated_as_you_type_and_applied_live() {
    let mut rig = rig_in(tempdir(), StartSource::Demo, 100);
    rig.click("Settings");
    let settings_file = rig.dir.path().join("settings.json");

    rig.harness
        .get_by_label(THRESHOLD)
        .set_text_value_accesskit("120");
    rig.settle();
    assert!(rig.has("must be between 5 and 90"));
    assert!(rig.has_text("the last valid settings stay in use"));
    assert_eq!(rig.read(|s| s.settings.posture.slouch_threshold_deg), 20.0);

    rig.harness
        .get_by_label(THRESHOLD)
        .set_text_value_accesskit("2x");
    rig.settle();
    assert!(rig.has("must be a number"));

    rig.harness
        .get_by_label(THRESHOLD)
        .set_text_value_accesskit("25");
    rig.harness
        .get_by_label(BREAK)
        .set_text_value_accesskit("30");
    rig.settle();
    assert!(!rig.has("must be a number"));
    let (threshold, release, break_s) = rig.read(|s| {
        (
            s.settings.posture.slouch_threshold_deg,
            s.settings.posture.slouch_release_deg,
            s.settings.posture.break_interval_s,
        )
    });
    assert_eq!((threshold, release, break_s), (25.0, 20.0, 1800.0));
    // Persisted per user.
    let saved = load_settings(&settings_file);
    assert!(saved.warnings.is_empty(), "{:?}", saved.warnings);
    assert_eq!(saved.settings.posture.slouch_threshold_deg, 25.0);

    rig.click("Vibrate the sensor with alerts");
    rig.settle();
    assert!(rig.read(|s| s.settings.vibration));
    assert!(load_settings(&settings_file).settings.vibration);
}

#[test]
fn a_broken_settings_file_is_set_aside_with_a_warning() {
    let dir = tempdir();
    std::fs::write(dir.path().join("settings.json"), "{\"posture\": 3")
        .unwrap_or_else(|e| panic!("{e}"));
    let rig = rig_in(dir, StartSource::Demo, 100);
    assert!(rig.has_text("could not be used"));
    assert!(rig.dir.path().join("settings.json.broken").exists());
    assert_eq!(
        rig.read(|s| s.settings.clone()),
        spinewatch::app::Settings::default()
    );
}
