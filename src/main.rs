//! The `spinewatch` command: the desktop app by default, and headless tools for scripts.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use spinewatch::posture::Config;
use spinewatch::replay::{self, CalibrationSource, ReplayOptions};
use spinewatch::session::CalibrationWindows;

/// Exit code for bad input or usage (clap uses the same for usage errors).
const EXIT_BAD_INPUT: u8 = 2;

#[derive(Parser)]
#[command(
    name = "spinewatch",
    version,
    about = "Posture monitor for a clip-on accelerometer + gyroscope",
    long_about = "spinewatch turns a back-worn IMU's readings into spine flexion and side bend relative \
to your own calibrated upright posture, and reminds you when you stay slouched or sit too long.\n\n\
Run without a command to open the desktop app. The commands below work without a display."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Print the window's frame counts every 10 s to stderr (for measuring the app's cost).
    #[arg(long, global = true)]
    stats: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Replay a recorded session CSV through the posture pipeline.
    ///
    /// With --headless, writes per-sample angles and the alert events to files and prints a
    /// summary: monitored time, share of time upright, slouch episodes, alerts.
    Replay(ReplayArgs),
}

#[derive(Args)]
struct ReplayArgs {
    /// Session CSV (header time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps).
    file: PathBuf,
    /// Run without a window (the only mode for scripts).
    #[arg(long)]
    headless: bool,
    /// Calibration windows in session seconds: upright U0:U1, then forward lean F0:F1.
    /// Without it, a calibration stored in the file's metadata is used.
    #[arg(long, value_name = "U0:U1,F0:F1")]
    calibrate: Option<CalibrationWindows>,
    /// Settings JSON (thresholds and delays; unknown keys warn, bad values are errors).
    #[arg(long, value_name = "CONFIG.json")]
    config: Option<PathBuf>,
    /// Write one row per sample: time_s,flexion_deg,lateral_deg,qw,qx,qy,qz,state.
    #[arg(long, value_name = "ANGLES.csv")]
    angles: Option<PathBuf>,
    /// Write one JSON object per event (slouch_alert, slouch_end, break_reminder, sensor_gap, …).
    #[arg(long, value_name = "EVENTS.jsonl")]
    events: Option<PathBuf>,
    /// Skip malformed rows (counted and reported) instead of stopping at the first.
    #[arg(long)]
    skip_bad_rows: bool,
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Replay(args)) if !args.headless => open_gui(Some(args.file), cli.stats),
        Some(Command::Replay(args)) => run_replay(args),
        None => open_gui(None, cli.stats),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("spinewatch: error: {message}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SPINEWATCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn load_config(path: Option<&PathBuf>) -> Result<Config, String> {
    let Some(path) = path else {
        return Ok(Config::default());
    };
    let loaded = Config::load(path).map_err(|e| e.to_string())?;
    for w in &loaded.warnings {
        eprintln!("spinewatch: warning: {}: {w}", path.display());
    }
    Ok(loaded.config)
}

/// The desktop app; without a display, a one-line message pointing to the headless commands.
fn open_gui(replay: Option<PathBuf>, stats: bool) -> Result<(), String> {
    spinewatch::gui::run(spinewatch::gui::GuiOptions { replay, stats }).map_err(|e| e.to_string())
}

fn run_replay(args: ReplayArgs) -> Result<(), String> {
    let opts = ReplayOptions {
        config: load_config(args.config.as_ref())?,
        input: args.file,
        calibrate: args.calibrate,
        angles: args.angles,
        events: args.events,
        skip_bad_rows: args.skip_bad_rows,
    };
    let report = replay::run(&opts).map_err(|e| e.to_string())?;
    for w in &report.warnings {
        eprintln!("spinewatch: warning: {w}");
    }
    println!("session          {}", opts.input.display());
    let calibration = match report.calibration_source {
        CalibrationSource::CommandLine => "from --calibrate windows",
        CalibrationSource::StoredInFile => "stored in the file",
        CalibrationSource::WindowsInFile => "from the file's calibration windows",
        CalibrationSource::None => "none (angles empty, state uncalibrated)",
    };
    println!("calibration      {calibration}");
    println!("{}", report.summary);
    Ok(())
}
