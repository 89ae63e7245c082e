//! What every fuzz target shares: case counts (CI-sized or the dedicated run's), the runner, a
//! per-thread allocation meter for the bounded-memory properties, readable byte strings, and the
//! check that nothing that is not a finite number reaches the posture rules.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt;
use std::time::Instant;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseResult, TestRunner};
use spinewatch::pipeline::{Pipeline, Step};
use spinewatch::posture::calibration::Calibration;
use spinewatch::posture::{Config as PostureConfig, Event};
use spinewatch::sample::ImuSample;

/// Total cases of the dedicated run when `SPINEWATCH_FUZZ_CASES` is not set.
pub const DEDICATED_DEFAULT: u64 = 10_000_000;

/// The dedicated run's total split across the targets, in thousandths (they sum to 1000). Why
/// uneven: a decoder case costs microseconds, an import case opens a SQLite file and runs the
/// replay thread, so an even split would spend nearly all the time on imports.
pub const SHARE_PER_MILLE: [(&str, u64); 7] = [
    ("protocol_stream", 560),
    ("protocol_round_trip", 100),
    ("session_csv", 180),
    ("session_csv_round_trip", 20),
    ("config_json", 100),
    ("settings_json", 38),
    ("import", 2),
];

/// Cases of `target` in the dedicated run: its share of `SPINEWATCH_FUZZ_CASES` (default 10 M).
pub fn dedicated_cases(target: &str) -> u32 {
    let total = std::env::var("SPINEWATCH_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse::<u64>().ok())
        .unwrap_or(DEDICATED_DEFAULT);
    let share = SHARE_PER_MILLE
        .iter()
        .find(|(name, _)| *name == target)
        .map_or(0, |(_, s)| *s);
    u32::try_from((total * share / 1000).max(1)).unwrap_or(u32::MAX)
}

/// Cases per proptest runner: the run goes batch by batch (each with fresh random seeds), so a
/// time limit stops it between batches with an exact count of the cases that passed.
const BATCH_CASES: u32 = 20_000;

/// The dedicated run's wall-time limit per target, seconds (`SPINEWATCH_FUZZ_SECONDS`; none
/// when unset). A target that reaches it stops after its current batch and says how many of
/// its cases ran: the count is then what the run proved, not the count asked for.
fn time_limit_s() -> Option<f64> {
    std::env::var("SPINEWATCH_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| *v > 0.0)
}

/// Runs `test` on `cases` inputs from `strategy` and panics with proptest's minimised input on
/// the first failure. Prints the cases and the wall time (seen with `--nocapture`).
pub fn run<S: Strategy>(
    target: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> TestCaseResult,
) where
    S::Value: fmt::Debug,
{
    let started = Instant::now();
    let limit = time_limit_s();
    let mut done = 0u32;
    while done < cases {
        let batch = (cases - done).min(BATCH_CASES);
        let mut runner = TestRunner::new(Config {
            cases: batch,
            failure_persistence: None,
            // Shrinking a hostile stream can take long; this many steps finds a short input.
            max_shrink_iters: 4096,
            ..Config::default()
        });
        if let Err(e) = runner.run(&strategy, &test) {
            panic!("{target}: after {done} cases passed: {e}");
        }
        done += batch;
        let elapsed = started.elapsed().as_secs_f64();
        if done < cases && limit.is_some_and(|l| elapsed >= l) {
            eprintln!(
                "fuzz {target}: time limit: {done} of {cases} cases passed in {elapsed:.1} s"
            );
            return;
        }
    }
    eprintln!(
        "fuzz {target}: {cases} cases passed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Bytes shown as a byte-string literal in failure reports (`b"$SW1,S,..\r\n"`), not numbers.
#[derive(Clone, PartialEq)]
pub struct Bytes(pub Vec<u8>);

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

// ---------------------------------------------------------------------------------------------
// Allocation meter

/// The system allocator, counting what this thread allocates. Why per thread: the test harness
/// runs targets side by side, and a target's bound must not see another's allocations.
pub struct Metered;

thread_local! {
    static ALLOCATED: Cell<u64> = const { Cell::new(0) };
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn on_alloc(bytes: usize) {
    let bytes = i64::try_from(bytes).unwrap_or(i64::MAX);
    // try_with: a thread being torn down has no counters any more; that allocation is not ours.
    let _ = ALLOCATED.try_with(|a| a.set(a.get().saturating_add(bytes.unsigned_abs())));
    let _ = LIVE.try_with(|l| {
        let now = l.get().saturating_add(bytes);
        l.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
}

fn on_free(bytes: usize) {
    let bytes = i64::try_from(bytes).unwrap_or(i64::MAX);
    let _ = LIVE.try_with(|l| l.set(l.get().saturating_sub(bytes)));
}

// SAFETY: every call is forwarded unchanged to `System`; the counters are plain thread-local
// cells that never allocate.
unsafe impl GlobalAlloc for Metered {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        on_alloc(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        on_free(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        on_alloc(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        on_free(layout.size());
        on_alloc(new_size);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Bytes this thread allocated so far (never decreases).
pub fn allocated_bytes() -> u64 {
    ALLOCATED.with(Cell::get)
}

/// Runs `f` and returns its result with the most memory it held at once beyond what was live
/// when it started, in bytes (this thread only).
pub fn peak_extra_bytes<T>(f: impl FnOnce() -> T) -> (T, i64) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = f();
    let peak = PEAK.with(Cell::get);
    (out, peak - base)
}

// ---------------------------------------------------------------------------------------------
// Nothing but finite numbers reaches the rules

/// `text` (a `Debug` rendering) without its quoted strings: a reason read from a file may say
/// "inf" without being a number.
fn without_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut quoted, mut escaped) = (false, false);
    for c in text.chars() {
        match (quoted, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (_, false, '"') => quoted = !quoted,
            (false, _, c) => out.push(c),
            (true, false, _) => {}
        }
    }
    out
}

/// Whether `text` (a `Debug` rendering) holds a non-finite number: `NaN`, `inf` as a word
/// outside quoted strings.
pub fn has_non_finite(text: &str) -> bool {
    let text = without_strings(text);
    let bytes = text.as_bytes();
    ["NaN", "inf"].iter().any(|word| {
        text.match_indices(word).any(|(i, w)| {
            let before = i.checked_sub(1).and_then(|j| bytes.get(j));
            let after = bytes.get(i + w.len());
            !before.is_some_and(u8::is_ascii_alphanumeric)
                && !after.is_some_and(u8::is_ascii_alphanumeric)
        })
    })
}

/// Checks one pipeline step: the pose, the angles (finite or `None`) and the time.
pub fn check_step(step: &Step) -> Result<(), String> {
    let p = &step.posture;
    let pose = &step.pose;
    let finite = p.t_s.is_finite()
        && p.flexion_deg.is_none_or(f64::is_finite)
        && p.lateral_deg.is_none_or(f64::is_finite)
        && pose.up_s.iter().all(|v| v.is_finite())
        && pose.gyro_bias_dps.iter().all(|v| v.is_finite())
        && pose.world_from_sensor.coords.iter().all(|v| v.is_finite());
    if finite {
        Ok(())
    } else {
        Err(format!("non-finite step reached the rules: {step:?}"))
    }
}

/// Checks an event the rules (or the driver) emitted: no NaN or infinity anywhere in it.
pub fn check_event(event: &Event) -> Result<(), String> {
    let text = format!("{event:?}");
    if event.time_s.is_finite() && !has_non_finite(&text) {
        Ok(())
    } else {
        Err(format!("non-finite event: {text}"))
    }
}

/// Checks a calibration that was accepted (from a file, the settings or windows of samples):
/// its up and forward directions are unit vectors at right angles, as the angles assume.
pub fn check_calibration(c: &Calibration) -> Result<(), String> {
    let (up, forward) = (c.up_s(), c.forward_s());
    let unit = |v: f64| (v - 1.0).abs() <= 1e-6;
    if unit(up.norm()) && unit(forward.norm()) && up.dot(forward).abs() <= 1e-6 {
        Ok(())
    } else {
        Err(format!(
            "calibration accepted with up {up:?} and forward {forward:?}: not unit, not at right \
             angles"
        ))
    }
}

/// The calibration the pipeline checks run with (upright: z up; forward: x), so angles are
/// computed and checked too, not only the pose.
pub fn test_calibration() -> Option<Calibration> {
    Calibration::from_metadata("up=0,0,1;forward=1,0,0").ok()
}

/// Runs `samples` through a calibrated pipeline with `config` and checks every step and event.
pub fn check_pipeline(
    config: &PostureConfig,
    calibration: Option<Calibration>,
    rate_hint_hz: Option<f64>,
    samples: &[ImuSample],
) -> Result<(), String> {
    if let Some(c) = &calibration {
        check_calibration(c)?;
    }
    let mut pipeline = Pipeline::new(config.clone(), rate_hint_hz);
    pipeline.set_calibration(calibration.or_else(test_calibration));
    let mut events = Vec::new();
    for s in samples {
        let step = pipeline.process(s, &mut events);
        check_step(&step)?;
    }
    pipeline.finish(&mut events);
    for e in &events {
        check_event(e)?;
    }
    Ok(())
}
