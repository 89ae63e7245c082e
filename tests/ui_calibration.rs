//! The calibration wizard, end to end on a replayed session, driven through the window.

mod common;

use common::{Rig, rig_in, tempdir, upright, write_session};
use spinewatch::app::engine::StartSource;
use spinewatch::app::store::WizardView;
use spinewatch::posture::PostureState;
use spinewatch::sim::Segment;

fn replay_rig(segments: Vec<Segment>) -> Rig {
    let dir = tempdir();
    let path = write_session(dir.path(), "cal.csv", segments, false);
    rig_in(dir, StartSource::Replay(path), 50)
}

#[test]
fn calibration_wizard_end_to_end_on_a_replayed_session() {
    // The wearer in the file calibrates at the start: upright and still, then a forward lean.
    let mut rig = replay_rig(vec![Segment::Calibrate, upright(30.0)]);
    assert!(rig.has_text("no calibration in the file"));

    rig.click("Calibrate");
    rig.settle();
    assert_eq!(rig.read(|s| s.wizard.clone()), WizardView::Waiting);
    assert!(rig.has_text("Waiting for sensor data"));

    rig.choose_speed("as fast as possible");
    rig.click("Play");
    assert!(rig.tick_until(50, |s| matches!(s.wizard, WizardView::Upright { .. })));
    assert!(rig.has("Sit upright and still"));
    assert!(rig.has_text("Calibration · step 1 of 2"));

    assert!(rig.tick_until(100, |s| matches!(s.wizard, WizardView::Lean { .. })));
    assert!(rig.has("Lean forward slowly, then sit back up"));

    assert!(rig.tick_until(100, |s| matches!(
        s.wizard,
        WizardView::Succeeded { .. } | WizardView::Failed { .. }
    )));
    let view = rig.read(|s| s.wizard.clone());
    assert!(
        matches!(view, WizardView::Succeeded { lean_deg } if lean_deg > 20.0),
        "{view:?}"
    );
    assert!(rig.has("Calibrated"));
    rig.click("Done");
    rig.settle();

    // The rest of the session is measured: upright, small angles.
    assert!(rig.read(|s| s.calibrated));
    let (state, flexion) = rig.read(|s| (s.state(), s.posture.and_then(|p| p.flexion_deg)));
    assert_eq!(state, PostureState::Upright);
    assert!(flexion.is_some_and(|f| f.abs() < 8.0), "{flexion:?}");
    assert!(rig.has_text("calibrated with the wizard"));
}

#[test]
fn a_missing_lean_is_explained_and_can_be_retried() {
    let mut rig = replay_rig(vec![upright(60.0)]);
    rig.click("Calibrate");
    rig.choose_speed("as fast as possible");
    rig.click("Play");
    assert!(rig.tick_until(200, |s| matches!(s.wizard, WizardView::Failed { .. })));
    assert!(rig.has("Step 2 did not work"));
    assert!(rig.has_text("lean forward at least"));
    assert!(!rig.read(|s| s.calibrated));

    rig.click("Try again");
    rig.tick();
    assert!(rig.read(|s| matches!(s.wizard, WizardView::Waiting | WizardView::Upright { .. })));
    rig.click("Cancel");
    rig.settle();
    assert_eq!(rig.read(|s| s.wizard.clone()), WizardView::Idle);
}
