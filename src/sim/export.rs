//! Writes a simulated day as a session CSV plus its truth file (`spinewatch simulate`).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use super::script::{ActivityKind, Script};
use super::wearer::{Mount, SimOptions, Simulator};
use crate::format::push_fixed;
use crate::session::{SessionMeta, SessionWriter};

/// Header of the truth file.
pub const TRUTH_HEADER: &str =
    "time_s,flexion_deg,lateral_deg,heading_deg,activity,steady,qw,qx,qy,qz";

/// The name of an activity in files.
pub fn activity_name(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Calibrate => "calibrate",
        ActivityKind::Upright => "upright",
        ActivityKind::Typing => "typing",
        ActivityKind::Slouch => "slouch",
        ActivityKind::Reach => "reach",
        ActivityKind::LeanBack => "lean_back",
        ActivityKind::Walk => "walk",
        ActivityKind::Turn => "turn",
    }
}

/// What to simulate and where to write it.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub minutes: f64,
    pub seed: u64,
    pub rate_hz: f64,
    pub mount: Mount,
    pub out: PathBuf,
    pub truth: Option<PathBuf>,
}

/// Counts for the command's summary line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExportReport {
    pub samples: u64,
    pub duration_s: f64,
    pub sustained_slouches: usize,
    pub episodes: usize,
}

/// The session metadata a simulated day carries: the rate, where the calibration poses are, and
/// the simulator's hidden parameters (for checking, never used by the pipeline).
pub fn session_meta(sim: &Simulator, seed: u64) -> SessionMeta {
    let mut meta = SessionMeta {
        device: Some(format!("simulated wearer (seed {seed})")),
        rate_hz: Some(sim.rate_hz()),
        calibration_windows: sim.script().calibration_windows(),
        ..Default::default()
    };
    let m = sim.mount();
    let b = sim.gyro_bias_dps();
    meta.other.push((
        "sim_trunk_from_sensor".into(),
        format!("{:.6},{:.6},{:.6},{:.6}", m.w, m.i, m.j, m.k),
    ));
    meta.other.push((
        "sim_gyro_bias_dps".into(),
        format!("{:.4},{:.4},{:.4}", b.x, b.y, b.z),
    ));
    meta
}

/// Simulates a random desk day and writes it.
pub fn export(opts: &ExportOptions) -> io::Result<ExportReport> {
    let script = Script::random_day(opts.minutes, opts.seed);
    let episodes = script.episodes().to_vec();
    let sim = Simulator::new(
        script,
        SimOptions {
            rate_hz: opts.rate_hz,
            seed: opts.seed,
            mount: opts.mount,
            ..Default::default()
        },
    );
    let duration_s = sim.script().duration_s();
    let meta = session_meta(&sim, opts.seed);
    let mut session = SessionWriter::new(BufWriter::new(File::create(&opts.out)?), &meta)?;
    let mut truth = match &opts.truth {
        Some(path) => {
            let mut w = BufWriter::new(File::create(path)?);
            writeln!(w, "# spinewatch simulated truth (seed {})", opts.seed)?;
            for e in &episodes {
                let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.3}"));
                writeln!(
                    w,
                    "# episode={},{:.3},{:.3},{},{},{}",
                    activity_name(e.kind),
                    e.start_s,
                    e.end_s,
                    opt(e.above_20_s),
                    opt(e.sustained_from_s),
                    e.sustained
                )?;
            }
            writeln!(w, "{TRUTH_HEADER}")?;
            Some(w)
        }
        None => None,
    };
    let mut row = Vec::with_capacity(128);
    let mut samples = 0u64;
    for (sample, t) in sim {
        session.write_sample(&sample)?;
        samples += 1;
        if let Some(w) = &mut truth {
            row.clear();
            push_fixed(&mut row, t.t_s, 6);
            for v in [t.flexion_deg, t.lateral_deg, t.heading_deg] {
                row.push(b',');
                push_fixed(&mut row, v, 4);
            }
            row.push(b',');
            row.extend_from_slice(activity_name(t.activity.kind).as_bytes());
            row.extend_from_slice(if t.activity.steady { b",1" } else { b",0" });
            let q = t.world_from_sensor;
            for v in [q.w, q.i, q.j, q.k] {
                row.push(b',');
                push_fixed(&mut row, v, 7);
            }
            row.push(b'\n');
            w.write_all(&row)?;
        }
    }
    session.flush()?;
    if let Some(w) = &mut truth {
        w.flush()?;
    }
    Ok(ExportReport {
        samples,
        duration_s,
        sustained_slouches: episodes.iter().filter(|e| e.sustained).count(),
        episodes: episodes.len(),
    })
}
