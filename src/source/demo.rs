//! The built-in simulated wearer, paced in real time: what the app shows when no sensor is
//! plugged in, clearly labelled "Demo sensor".

use std::time::{Duration, Instant};

use crate::sample::ImuSample;
use crate::session::CalibrationWindows;
use crate::sim::{Mount, Script, Segment, SimOptions, Simulator, WalkSpec};
use crate::source::{LinkState, LinkStats, SampleSource, SourceEvent, SourceInfo, SourceKind};

/// Label shown wherever the source is named.
pub const DEMO_LABEL: &str = "Demo sensor";
const RATE_HZ: f64 = 100.0;
/// Length of one simulated day before a new one starts, minutes.
const DAY_MIN: f64 = 8.0 * 60.0;
/// If the demo falls this far behind real time (machine suspended), it skips ahead.
const MAX_LAG_S: f64 = 5.0;

/// The simulator paced at 100 Hz against the wall clock.
pub struct DemoSource {
    sim: Simulator,
    options: SimOptions,
    day: u64,
    started: Instant,
    /// Session time at which the current simulated day began.
    offset_s: f64,
    peeked: Option<ImuSample>,
    last_t_s: Option<f64>,
    stats: LinkStats,
    windows: Option<CalibrationWindows>,
}

impl DemoSource {
    pub fn new(seed: u64) -> Self {
        let options = SimOptions {
            rate_hz: RATE_HZ,
            seed,
            mount: Mount::Typical,
            ..SimOptions::default()
        };
        let mut demo = Self {
            sim: Simulator::new(Script::random_day(1.0, seed), options.clone()),
            options,
            day: seed,
            started: Instant::now(),
            offset_s: 0.0,
            peeked: None,
            last_t_s: None,
            stats: LinkStats::default(),
            windows: None,
        };
        demo.new_day(0.0);
        demo
    }

    fn new_day(&mut self, offset_s: f64) {
        self.day = self.day.wrapping_add(1);
        let day = Script::random_day(DAY_MIN, self.day);
        // The first day opens with a few minutes that show what the app does (a reach that
        // does not alert, a held slouch that does, leaning back, a walk), then goes on at random.
        let script = if offset_s == 0.0 {
            let mut segments = showcase();
            segments.extend(day.segments().iter().skip(1).cloned());
            Script::from_segments_seeded(segments, self.day)
        } else {
            day
        };
        self.windows = script.calibration_windows().map(|w| CalibrationWindows {
            upright_s: (w.upright_s.0 + offset_s, w.upright_s.1 + offset_s),
            forward_s: (w.forward_s.0 + offset_s, w.forward_s.1 + offset_s),
        });
        // Same seed, same mounting and bias: the sensor stays where it was clipped.
        self.sim = Simulator::new(script, self.options.clone());
        self.offset_s = offset_s;
        self.peeked = None;
    }

    /// Where the simulated wearer holds the calibration poses of the current day, in session
    /// time (each day starts by sitting upright, then leaning forward).
    pub fn calibration_windows(&self) -> Option<CalibrationWindows> {
        self.windows
    }

    /// Makes the simulated wearer follow the calibration wizard: a new day starts now, with
    /// the upright pose, then the forward lean. Returns the new windows.
    pub fn start_calibration(&mut self) -> Option<CalibrationWindows> {
        let next = self.next_time_s();
        self.new_day(next);
        self.windows
    }

    fn next_time_s(&self) -> f64 {
        self.last_t_s.map_or(0.0, |t| t + 1.0 / RATE_HZ)
    }

    fn next_sample(&mut self) -> ImuSample {
        if let Some(s) = self.peeked.take() {
            return s;
        }
        loop {
            if let Some((mut s, _truth)) = self.sim.next() {
                s.t_s += self.offset_s;
                return s;
            }
            let next = self.next_time_s();
            self.new_day(next);
        }
    }
}

fn showcase() -> Vec<Segment> {
    let typing = |duration_s: f64, flexion_deg: f64| Segment::Typing {
        duration_s,
        flexion_deg,
        lateral_deg: 0.0,
    };
    vec![
        Segment::Calibrate,
        typing(40.0, 4.0),
        Segment::Reach {
            move_s: 1.0,
            hold_s: 3.0,
            flexion_deg: 40.0,
            lateral_deg: 5.0,
        },
        typing(30.0, 6.0),
        Segment::Slouch {
            creep_s: 25.0,
            hold_s: 95.0,
            flexion_deg: 31.0,
            lateral_deg: 3.0,
        },
        typing(45.0, 5.0),
        Segment::LeanBack {
            duration_s: 30.0,
            flexion_deg: -15.0,
        },
        typing(60.0, 4.0),
        Segment::Walk(WalkSpec::new(150.0)),
        typing(60.0, 3.0),
    ]
}

impl SampleSource for DemoSource {
    fn poll(&mut self, out: &mut Vec<SourceEvent>) {
        let mut now_s = self.started.elapsed().as_secs_f64();
        if let Some(last) = self.last_t_s
            && now_s - last > MAX_LAG_S
        {
            // Suspended or starved: pretend the clock started later instead of flooding.
            self.started += Duration::from_secs_f64(now_s - last);
            now_s = last;
        }
        loop {
            let s = self.next_sample();
            if s.t_s > now_s {
                self.peeked = Some(s);
                break;
            }
            if let Some(last) = self.last_t_s {
                let missing = ((s.t_s - last) * RATE_HZ).round() as i64 - 1;
                if missing > 0 {
                    self.stats.dropped_samples += missing as u64;
                }
            }
            self.stats.frames_ok += 1;
            self.last_t_s = Some(s.t_s);
            out.push(SourceEvent::Sample(s));
        }
    }

    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: SourceKind::Demo,
            label: DEMO_LABEL.into(),
            port: None,
            rate_hz: Some(RATE_HZ),
            battery_pct: None,
            device_time: true,
            units: None,
        }
    }

    fn link(&self) -> (LinkState, LinkStats) {
        (LinkState::Connected, self.stats)
    }

    fn poll_interval(&self) -> Duration {
        Duration::from_millis(20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{Pipeline, WindowCapture};
    use crate::posture::{Config, EventKind};

    #[test]
    fn the_first_demo_minutes_show_one_alert_and_a_break() {
        let script = Script::from_segments(showcase());
        let windows = script
            .calibration_windows()
            .unwrap_or_else(|| panic!("no windows"));
        let options = SimOptions {
            mount: Mount::Typical,
            ..SimOptions::default()
        };
        let config = Config::default();
        let mut pipeline = Pipeline::new(config.clone(), Some(RATE_HZ));
        let mut capture = WindowCapture::default();
        let mut events = Vec::new();
        for (s, _) in Simulator::new(script, options) {
            let step = pipeline.process(&s, &mut events);
            capture.add(&windows, &s, &step.pose);
            if pipeline.calibration().is_none() && s.t_s > windows.end_s() + 4.0 {
                let c = capture
                    .calibrate(&config, None)
                    .unwrap_or_else(|e| panic!("{e}"));
                pipeline.set_calibration(Some(c));
            }
        }
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.name()).collect();
        assert_eq!(
            kinds.iter().filter(|k| **k == "slouch_alert").count(),
            1,
            "{kinds:?}"
        );
        assert!(kinds.contains(&"break_taken"), "{kinds:?}");
        let alert = events
            .iter()
            .find(|e| matches!(e.kind, EventKind::SlouchAlert { .. }))
            .map_or(0.0, |e| e.time_s);
        assert!((120.0..240.0).contains(&alert), "alert at {alert}");
    }

    #[test]
    fn paced_and_monotonic_with_calibration_windows() {
        let started = Instant::now();
        let mut demo = DemoSource::new(3);
        assert!(demo.calibration_windows().is_some());
        std::thread::sleep(Duration::from_millis(120));
        let mut out = Vec::new();
        demo.poll(&mut out);
        // About 12 samples in 120 ms at 100 Hz, never more than the real time that passed
        // allows (on a busy machine the sleep may last much longer than asked).
        let allowed = (started.elapsed().as_secs_f64() * RATE_HZ).ceil() as usize + 1;
        assert!(
            (5..=allowed).contains(&out.len()),
            "{} samples, at most {allowed}",
            out.len()
        );
        let w = demo.start_calibration();
        let next = demo.next_time_s();
        assert!(w.is_some_and(|w| w.upright_s.0 >= next - 1e-9));
    }
}
