//! End to end on simulated desk days: the sensor clipped on in a random orientation, with bias,
//! noise and dropped samples; calibration from the day's own calibration poses; then the whole
//! pipeline. Checks the accuracy in steady postures and that alerts come when, and only when,
//! they should.

#[path = "common/oracle.rs"]
mod oracle;

use oracle::{alerts, breaks};
use spinewatch::pipeline::Pipeline;
use spinewatch::posture::{Config, Event, EventKind};
use spinewatch::sim::{ActivityKind, Script, Segment, SimOptions, Simulator};

struct DayResult {
    steady_rms_deg: f64,
    steady_samples: usize,
    /// The largest |a| − 1 g while seated and still by the truth, g (desk bursts show here).
    seated_peak_shake_g: f64,
    events: Vec<Event>,
    script: Script,
}

fn run_day(minutes: f64, seed: u64, rate_hz: f64) -> DayResult {
    run_script(Script::random_day(minutes, seed), seed, rate_hz)
}

fn run_script(script: Script, seed: u64, rate_hz: f64) -> DayResult {
    let config = Config::default();
    let options = SimOptions {
        rate_hz,
        seed,
        ..Default::default()
    };
    // Pass 1: the filter through the calibration windows (as the replay does).
    let calibration = oracle::calibration(&script, &options, &config);

    // Pass 2: the whole day.
    let mut pipeline = Pipeline::new(config, Some(rate_hz));
    pipeline.set_calibration(Some(calibration));
    let mut events = Vec::new();
    let (mut sum_sq, mut n) = (0.0, 0usize);
    let mut seated_peak_shake_g: f64 = 0.0;
    for (s, truth) in Simulator::new(script.clone(), options) {
        let step = pipeline.process(&s, &mut events);
        if !truth.activity.is_moving() && s.t_s > 60.0 {
            seated_peak_shake_g = seated_peak_shake_g.max((s.accel_g.norm() - 1.0).abs());
        }
        // Steady postures after the first minute (the filter's bias estimate has settled).
        if truth.activity.steady && !truth.activity.is_moving() && s.t_s > 60.0 {
            let err = step.posture.flexion_deg.unwrap_or(f64::NAN) - truth.flexion_deg;
            sum_sq += err * err;
            n += 1;
        }
    }
    DayResult {
        steady_rms_deg: (sum_sq / n as f64).sqrt(),
        steady_samples: n,
        seated_peak_shake_g,
        events,
        script,
    }
}

/// The ideal monitor's events on the day's truth.
fn oracle_events(day: &DayResult, rate_hz: f64, seed: u64) -> Vec<Event> {
    let options = SimOptions {
        rate_hz,
        seed,
        ..Default::default()
    };
    oracle::ideal(&day.script, &options, &Config::default()).events
}

fn check_day(minutes: f64, seed: u64, rate_hz: f64) {
    let day = run_day(minutes, seed, rate_hz);
    println!(
        "seed {seed} @ {rate_hz} Hz: steady flexion RMS error {:.3}° over {} samples, {} events",
        day.steady_rms_deg,
        day.steady_samples,
        day.events.len()
    );
    assert!(day.steady_samples > 1000);
    assert!(
        day.steady_rms_deg <= 1.0,
        "seed {seed}: steady flexion RMS error {:.3}° > 1°",
        day.steady_rms_deg
    );

    let measured = alerts(&day.events);
    let oracle = oracle_events(&day, rate_hz, seed);
    let ideal = alerts(&oracle);
    println!("  alerts at {measured:.1?}, ideal {ideal:.1?}");
    // Every sustained slouch of the script is alerted by the ideal monitor…
    for e in day.script.episodes().iter().filter(|e| e.sustained) {
        assert!(
            ideal
                .iter()
                .any(|t| *t >= e.start_s - 60.0 && *t <= e.end_s + 5.0),
            "seed {seed}: the ideal monitor missed {e:?}"
        );
    }
    // …and the real one alerts within 5 s of each ideal alert, and at no other time.
    for t in &ideal {
        assert!(
            measured.iter().any(|m| (m - t).abs() <= 5.0),
            "seed {seed}: ideal alert at {t:.1} s has no measured alert within 5 s ({measured:.1?})"
        );
    }
    for m in &measured {
        assert!(
            ideal.iter().any(|t| (m - t).abs() <= 5.0),
            "seed {seed}: alert at {m:.1} s where an ideal monitor gives none ({ideal:.1?})"
        );
    }
    // The days' desk bursts (typing, knocks, a bouncing knee) are not walking: the breaks taken
    // are the walks, each starting within a few seconds of the ideal monitor's.
    let (measured_breaks, ideal_breaks) = (breaks(&day.events), breaks(&oracle));
    println!("  breaks from {measured_breaks:.1?}, ideal {ideal_breaks:.1?}");
    assert_eq!(
        measured_breaks.len(),
        ideal_breaks.len(),
        "seed {seed}: breaks from {measured_breaks:.1?}, ideal {ideal_breaks:.1?}"
    );
    for (m, t) in measured_breaks.iter().zip(&ideal_breaks) {
        assert!(
            (m - t).abs() <= 10.0,
            "seed {seed}: a break from {m:.1} s, ideally from {t:.1} s"
        );
    }
    // Reaches and leaning back alone never alert.
    for e in day.script.episodes() {
        if matches!(e.kind, ActivityKind::Reach | ActivityKind::LeanBack) {
            let during = |t: &f64| *t >= e.start_s && *t <= e.end_s;
            assert!(
                !measured.iter().any(during) || ideal.iter().any(during),
                "seed {seed}: alert during a {:?} {e:?}",
                e.kind
            );
        }
    }
}

#[test]
fn random_days_at_100_hz_are_accurate_and_alert_correctly() {
    for seed in [1, 2, 3] {
        check_day(45.0, seed, 100.0);
    }
}

#[test]
fn a_day_at_25_hz_with_another_mounting() {
    check_day(60.0, 11, 25.0);
}

#[test]
fn a_long_gap_restarts_cleanly() {
    let config = Config::default();
    let script = Script::random_day(20.0, 5);
    let options = SimOptions {
        rate_hz: 50.0,
        seed: 5,
        long_gap: Some((300.0, 8.0)),
        ..Default::default()
    };
    let mut pipeline = Pipeline::new(config, None);
    let mut events = Vec::new();
    let mut restarted = 0;
    for (s, _) in Simulator::new(script, options) {
        let step = pipeline.process(&s, &mut events);
        restarted += usize::from(step.pose.flags.restarted);
    }
    let gaps: Vec<_> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::SensorGap { from_s, duration_s } => Some((from_s, duration_s)),
            _ => None,
        })
        .collect();
    assert!(
        gaps.iter()
            .any(|(from, d)| (from - 300.0).abs() < 0.1 && (d - 8.0).abs() < 0.1),
        "{gaps:?}"
    );
    assert_eq!(restarted, pipeline.summary().filter_restarts as usize);
    assert!(restarted >= 1);
}

/// A desk hour with one sustained slouch and no walk, shaken by desk bursts (typing, knocks, a
/// bouncing knee: 4–12 Hz, up to 0.25 g): the slouch is alerted within 5 s of threshold +
/// delay, as an ideal monitor would, and no burst passes for a break, so the break reminder
/// comes when 45 minutes of sitting say so.
#[test]
fn desk_bursts_neither_delay_a_slouch_alert_nor_pass_for_breaks() {
    let seed = 21;
    let typing = |duration_s| Segment::Typing {
        duration_s,
        flexion_deg: 3.0,
        lateral_deg: 0.0,
    };
    let script = Script::from_segments_seeded(
        vec![
            Segment::Calibrate,
            typing(600.0),
            Segment::Slouch {
                creep_s: 20.0,
                hold_s: 300.0,
                flexion_deg: 32.0,
                lateral_deg: 0.0,
            },
            typing(2700.0),
        ],
        seed,
    )
    .with_desk_bursts();
    let day = run_script(script, seed, 100.0);
    assert!(
        day.seated_peak_shake_g > 0.15,
        "the script's bursts shake the sensor (peak {:.3} g)",
        day.seated_peak_shake_g
    );
    let oracle = oracle_events(&day, 100.0, seed);
    let (measured, ideal) = (alerts(&day.events), alerts(&oracle));
    println!("alerts at {measured:.1?}, ideal {ideal:.1?}");
    assert_eq!(ideal.len(), 1, "one sustained slouch: {ideal:?}");
    assert_eq!(measured.len(), 1, "alerts at {measured:?}");
    assert!(
        (measured[0] - ideal[0]).abs() <= 5.0,
        "{measured:?} vs {ideal:?}"
    );
    assert_eq!(
        breaks(&day.events),
        Vec::<f64>::new(),
        "bursts taken for breaks"
    );
    let reminders = |events: &[Event]| -> Vec<f64> {
        events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::BreakReminder { .. }))
            .map(|e| e.time_s)
            .collect()
    };
    let (measured, ideal) = (reminders(&day.events), reminders(&oracle));
    println!("break reminders at {measured:.1?}, ideal {ideal:.1?}");
    assert!(!ideal.is_empty());
    assert_eq!(measured.len(), ideal.len());
    for (m, t) in measured.iter().zip(&ideal) {
        assert!(
            (m - t).abs() <= 5.0,
            "reminder at {m:.1} s, ideally {t:.1} s"
        );
    }
}
