//! The replay player: play/pause, and seeking by clicking on the whole-session overview. A seek
//! re-runs the same pipeline from the start, so the state at the target equals a straight run.

mod common;

use common::{rig_in, slouch, tempdir, upright, write_session};
use egui_kittest::kittest::Queryable;
use spinewatch::app::engine::StartSource;
use spinewatch::pipeline::Pipeline;
use spinewatch::posture::Config;
use spinewatch::session::calibrate_from_windows;
use spinewatch::session::read_all;
use spinewatch::sim::Segment;

#[test]
fn replay_seek_by_clicking_the_overview() {
    let dir = tempdir();
    let path = write_session(
        dir.path(),
        "seek.csv",
        vec![
            Segment::Calibrate,
            upright(40.0),
            slouch(120.0),
            upright(60.0),
        ],
        true,
    );
    let mut rig = rig_in(dir, StartSource::Replay(path.clone()), 200);
    let overview = rig.read(|s| s.replay.as_ref().and_then(|r| r.overview.clone()));
    let overview = overview.unwrap_or_else(|| panic!("the overview is scanned on open"));
    assert_eq!(overview.alerts_s.len(), 1, "one alert in the overview");
    assert!(rig.has("Play"));
    assert!(rig.has_text("0:00 / 4:"));

    // Click the middle of the overview: the player runs up to the middle, paused.
    let mid = overview.start_s + 0.5 * (overview.end_s - overview.start_s);
    rig.harness.get_by_label("Session overview").click();
    rig.settle();
    let (pos, playing) = rig.read(|s| {
        let r = s.replay.as_ref();
        (
            r.map_or(0.0, |r| r.position_s),
            r.is_some_and(|r| r.playing),
        )
    });
    assert!((pos - mid).abs() < 1.0, "at {pos}, wanted about {mid}");
    assert!(!playing);

    // Same state as a straight run of the pipeline to that sample.
    let bytes = std::fs::read(&path).unwrap_or_default();
    let (meta, samples) = read_all(&bytes[..], "seek.csv").unwrap_or_else(|e| panic!("{e}"));
    let config = Config::default();
    let windows = meta
        .calibration_windows
        .unwrap_or_else(|| panic!("windows"));
    let cal =
        calibrate_from_windows(&path, &windows, &config, false).unwrap_or_else(|e| panic!("{e}"));
    let mut pipeline = Pipeline::new(config, meta.rate_hz);
    pipeline.set_calibration(Some(cal));
    let mut events = Vec::new();
    let mut last = None;
    for s in samples.iter().take_while(|s| s.t_s <= pos) {
        last = Some(pipeline.process(s, &mut events).posture);
    }
    let shown = rig.read(|s| s.posture);
    assert_eq!(shown, last);

    // Play to the end, then seek back by clicking again: the same state as before.
    rig.click("Play");
    rig.tick();
    assert!(rig.has("Pause"));
    rig.choose_speed("as fast as possible");
    assert!(rig.read(|s| s.replay.as_ref().is_some_and(|r| r.ended)));
    rig.harness.get_by_label("Session overview").click();
    rig.settle();
    assert_eq!(rig.read(|s| s.posture), last);
    assert_eq!(
        rig.read(|s| s.today.alerts),
        0,
        "the alert comes after the middle"
    );

    rig.click("Back to live");
    rig.settle();
    assert!(rig.read(|s| s.replay.is_none()));
}

#[test]
fn a_session_that_cannot_be_read_is_reported_not_fatal() {
    let dir = tempdir();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "not,a,session\n1,2,3\n").unwrap_or_else(|e| panic!("{e}"));
    let mut rig = rig_in(dir, StartSource::Demo, 100);
    rig.click("Replay");
    rig.harness
        .get_by_label("Session file")
        .set_text_value_accesskit(&bad.display().to_string());
    rig.harness.run();
    rig.click("Open");
    rig.settle();
    assert!(rig.read(|s| s.replay.is_none()));
    assert!(rig.has_text("could not open the session"));
}

/// "Open demo session" in the Replay view opens the bundled session in the player: calibrated
/// from its windows, its slouch alert on the overview, and the alert banner when played.
#[test]
fn the_demo_session_opens_from_the_replay_view_and_shows_its_alert() {
    let dir = tempdir();
    let home = dir.path().to_path_buf();
    let mut rig = rig_in(dir, StartSource::Demo, 200);
    rig.click("Replay");
    assert!(rig.has("Open demo session"));
    rig.click("Open demo session");
    rig.settle();
    let (path, alerts) = rig.read(|s| {
        let r = s.replay.as_ref();
        (
            r.map(|r| r.path.clone()),
            r.and_then(|r| r.overview.as_ref())
                .map(|o| o.alerts_s.len()),
        )
    });
    assert_eq!(path, Some(home.join("demo-session.csv")));
    assert_eq!(alerts, Some(1), "the overview shows the slouch alert");
    assert!(rig.has("Replay: demo-session.csv"));
    assert!(
        rig.read(|s| s.calibrated),
        "calibrated from the demo's windows"
    );
    assert!(rig.has_text("0:00 / 6:"));
    rig.choose_speed("as fast as possible");
    rig.click("Play");
    assert!(rig.tick_until(5000, |s| matches!(
        s.banner.as_ref().map(|b| &b.kind),
        Some(spinewatch::app::store::BannerKind::Slouch { .. })
    )));
    assert!(rig.has("Time to sit up"));
}

/// A file dropped on the window (as the window system hands it to egui).
#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn drop_file(rig: &mut common::Rig, path: std::path::PathBuf) {
    rig.harness
        .input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(path)));
    rig.settle();
}

/// A session CSV dropped on the window opens in the player from whichever view is showing;
/// another file is refused with a word in the Replay view.
#[test]
fn a_session_csv_dropped_on_the_window_opens_in_the_player() {
    let dir = tempdir();
    let session = write_session(
        dir.path(),
        "dropped.csv",
        vec![
            Segment::Calibrate,
            upright(20.0),
            slouch(70.0),
            upright(10.0),
        ],
        true,
    );
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "not a session").unwrap_or_else(|e| panic!("{e}"));
    let mut rig = rig_in(dir, StartSource::Demo, 200);
    rig.click("History");
    drop_file(&mut rig, notes);
    assert!(rig.has_text("notes.txt is not a session CSV"));
    assert!(rig.read(|s| s.replay.is_none()));

    drop_file(&mut rig, session.clone());
    let (path, alerts) = rig.read(|s| {
        let r = s.replay.as_ref();
        (
            r.map(|r| r.path.clone()),
            r.and_then(|r| r.overview.as_ref())
                .map(|o| o.alerts_s.len()),
        )
    });
    assert_eq!(path, Some(session));
    assert_eq!(alerts, Some(1));
    assert!(rig.has("Replay: dropped.csv"));
    assert!(!rig.has_text("is not a session CSV"));
}
