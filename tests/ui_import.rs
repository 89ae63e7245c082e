//! "Import session…" in the window: a recording goes into the history in the background, at the
//! time it was recorded, and the window says so; the same file again changes nothing.

mod common;

use common::{rig_in, slouch, tempdir, upright, write_session};
use egui_kittest::kittest::Queryable;
use spinewatch::app::engine::StartSource;
use spinewatch::sim::Segment;
use spinewatch::store::Days;

#[test]
fn import_session_fills_the_history_and_says_so() {
    let dir = tempdir();
    let raw = write_session(
        dir.path(),
        "raw.csv",
        vec![
            Segment::Calibrate,
            upright(30.0),
            slouch(90.0),
            upright(30.0),
        ],
        true,
    );
    let body = std::fs::read_to_string(&raw).unwrap_or_default();
    let path = dir.path().join("morning.csv");
    std::fs::write(
        &path,
        format!("# started=2025-06-02T09:00:00+00:00\n{body}"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut rig = rig_in(dir, StartSource::Demo, 100);
    rig.click("Replay");
    rig.harness
        .get_by_label("Session file")
        .set_text_value_accesskit(&path.display().to_string());
    rig.harness.run();
    rig.click("Import session…");
    let imported = notice_within(&mut rig, "import");
    let notices = rig.read(|s| s.notices.clone());
    assert!(imported, "no import notice: {notices:?}");
    assert!(
        notices.iter().any(|n| n.contains("into the history")),
        "{notices:?}"
    );
    let history = rig
        .handle
        .history()
        .cloned()
        .unwrap_or_else(|| panic!("the rig has a history"));
    let days = Days::new(chrono::Utc, 0).unwrap_or_else(|e| panic!("{e}"));
    let day = history
        .day(
            &days,
            chrono::NaiveDate::from_ymd_opt(2025, 6, 2).unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(day.figures.monitored_s > 150.0, "{:?}", day.figures);
    assert_eq!(day.figures.slouch_alerts, 1);

    rig.click("Import session…");
    assert!(
        notice_within(&mut rig, "nothing changed"),
        "the second import says it changed nothing: {:?}",
        rig.read(|s| s.notices.clone())
    );
}

/// Ticks the engine until a notice contains `needle`, for up to about 6 s of wall time: the
/// import runs on threads of its own (its reader and writer at a lower priority), so a busy
/// machine delays it.
fn notice_within(rig: &mut common::Rig, needle: &str) -> bool {
    for _ in 0..300 {
        if rig.tick_until(100, |s| s.notices.iter().any(|n| n.contains(needle))) {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    false
}
