//! The live path for end-to-end fault tests: `spinewatch simulate --pty --speed max` (another
//! process) as the sensor, and the settings the window would have for it (its port, the
//! wearer's calibration from the script's own poses, no quiet hours). Included with
//! `#[path = "common/live.rs"] mod live;` next to `proc` and `oracle`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use spinewatch::app::{Paths, Settings};
use spinewatch::posture::Config;
use spinewatch::sim::{Mount, Script, SimOptions};
use spinewatch::store::{History, StoreError};

use super::oracle;
use super::proc::Proc;

/// The simulated sensor on its pty, and what it will send.
pub struct Device {
    pub sim: Proc,
    pub link: PathBuf,
    pub script: Script,
    pub options: SimOptions,
}

/// The device's options, as `simulate --pty` builds them (no dropouts: every sample is sent).
pub fn device_options(seed: u64) -> SimOptions {
    SimOptions {
        rate_hz: 100.0,
        seed,
        mount: Mount::Random,
        dropout_prob: 0.0,
        ..SimOptions::default()
    }
}

/// Starts a random day of `minutes` at 100 Hz as fast as the link reads, on a link in `dir`.
pub fn spawn_device(dir: &Path, minutes: f64, seed: u64) -> Device {
    spawn_device_at(dir, minutes, seed, "max")
}

/// As [`spawn_device`], at `speed` (`max`, or a factor of real time).
pub fn spawn_device_at(dir: &Path, minutes: f64, seed: u64, speed: &str) -> Device {
    let link = dir.join("sensor-link");
    let (minutes_arg, seed_arg, link_arg) = (
        minutes.to_string(),
        seed.to_string(),
        link.display().to_string(),
    );
    let mut sim = Proc::spawn(
        &[
            "simulate",
            "--pty",
            "--speed",
            speed,
            "--rate-hz",
            "100",
            "--minutes",
            &minutes_arg,
            "--seed",
            &seed_arg,
            "--link",
            &link_arg,
        ],
        &[],
    );
    sim.expect_line("pty:", Duration::from_secs(30));
    Device {
        sim,
        link,
        script: Script::random_day(minutes, seed),
        options: device_options(seed),
    }
}

/// The engine's options as the live fault tests run it: the sensor found on its own (the port
/// in the settings), saving settings or not.
pub fn engine_options(paths: Paths, persist: bool) -> spinewatch::app::EngineOptions {
    spinewatch::app::EngineOptions {
        paths,
        start: spinewatch::app::engine::StartSource::Auto,
        replay_batch: 1000,
        persist,
        demo_seed: 1,
    }
}

/// Writes the settings file the engine reads at start: the device's port, the calibration the
/// wearer would have taken, desktop notifications on (so alerts reach the notifier).
pub fn write_settings(paths: &Paths, device: &Device) {
    write_settings_for(paths, &device.link, &device.script, &device.options);
}

/// As [`write_settings`], for a device on `link` playing `script` with `options`.
pub fn write_settings_for(paths: &Paths, link: &Path, script: &Script, options: &SimOptions) {
    let config = Config::default();
    let settings = Settings {
        port: Some(link.display().to_string()),
        calibration: Some(oracle::calibration(script, options, &config).to_metadata()),
        notifications: true,
        ..Settings::default()
    };
    spinewatch::app::state::save_settings(&paths.settings_file, &settings)
        .unwrap_or_else(|e| panic!("{}: {e}", paths.settings_file.display()));
}

/// The one session CSV in `dir`.
pub fn the_recording(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    assert_eq!(files.len(), 1, "one recording: {files:?}");
    files[0].clone()
}

/// The window's engine as the window runs it: on its `pipeline` thread with the system clock
/// and an in-memory notifier, the start source chosen from the settings under `paths` (the
/// sensor's port), the window hidden, the record button pressed.
pub fn spawn_recording_engine(
    paths: spinewatch::app::Paths,
) -> (spinewatch::app::EngineHandle, std::thread::JoinHandle<()>) {
    use spinewatch::app::clock::SystemClock;
    use spinewatch::app::notifier::MemoryNotifier;
    use spinewatch::app::{Command, Engine};

    let (engine, handle) = Engine::new(
        engine_options(paths, true),
        Box::new(SystemClock::new()),
        Box::new(MemoryNotifier::default()),
    );
    handle.set_visible(false);
    handle.send(Command::StartRecording);
    let thread = engine
        .spawn()
        .unwrap_or_else(|e| panic!("pipeline thread: {e}"));
    (handle, thread)
}

/// The session times (s) of the slouch alerts the history stored, in order; with `first_only`,
/// without the repeats of an alert still standing.
pub fn history_alert_times_s(history: &History, first_only: bool) -> Vec<f64> {
    let sql = format!(
        "SELECT (a.at_ms - s.start_ms) / 1000.0 + s.t0_s FROM alerts a \
         JOIN sessions s ON s.id = a.session_id WHERE a.kind = 'slouch_alert'{} \
         ORDER BY a.at_ms",
        if first_only { " AND a.repeat = 0" } else { "" }
    );
    history
        .read(|c| {
            let fail = |source| StoreError::Sql {
                doing: "listing the alerts",
                source,
            };
            let mut q = c.prepare(&sql).map_err(fail)?;
            let rows = q.query_map([], |r| r.get::<_, f64>(0)).map_err(fail)?;
            rows.collect::<Result<Vec<f64>, _>>().map_err(fail)
        })
        .unwrap_or_else(|e| panic!("history alerts: {e}"))
}
