//! The `spinewatch` command: the desktop app by default, and headless tools for scripts.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use spinewatch::posture::Config;
use spinewatch::replay::{self, CalibrationSource, ReplayOptions};
use spinewatch::session::CalibrationWindows;
use spinewatch::sim::Mount;
use spinewatch::sim::export::{ExportOptions, export};

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
    /// Print the window's frame counts every 5 s to stderr (for measuring the app's cost).
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
    /// Simulate a wearer's desk day and write it as a session CSV (plus the truth).
    ///
    /// The day starts with the two calibration poses (their windows are stored in the file, so
    /// `replay --headless` calibrates by itself), then upright sitting, typing, slow and quick
    /// slouches, reaches, leaning back, chair turns and walking breaks; the sensor is clipped on
    /// in a random orientation, with gyroscope bias, noise and dropped samples.
    Simulate(SimulateArgs),
}

#[derive(Args)]
struct SimulateArgs {
    /// Length of the day in minutes.
    #[arg(long, default_value_t = 60.0)]
    minutes: f64,
    /// Random seed: the same seed gives the same day.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Sample rate in Hz (25 to 1000).
    #[arg(long, default_value_t = 100.0, value_parser = parse_rate_hz)]
    rate_hz: f64,
    /// Clip the sensor on as usually worn (x up the spine) instead of in a random orientation.
    #[arg(long)]
    typical_mount: bool,
    /// Session CSV to write.
    #[arg(long, value_name = "FILE.csv")]
    out: PathBuf,
    /// Also write the true angles per sample (and the episodes as `# episode=` lines).
    #[arg(long, value_name = "TRUTH.csv")]
    truth: Option<PathBuf>,
}

fn parse_rate_hz(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number"))?;
    if (25.0..=1000.0).contains(&rate) {
        Ok(rate)
    } else {
        Err(format!("{rate} Hz is outside 25 to 1000 Hz"))
    }
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
        Some(Command::Simulate(args)) => run_simulate(args),
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
    let mut out = String::new();
    out.push_str(&format!("session          {}\n", opts.input.display()));
    let calibration = match report.calibration_source {
        CalibrationSource::CommandLine => "from --calibrate windows",
        CalibrationSource::StoredInFile => "stored in the file",
        CalibrationSource::WindowsInFile => "from the file's calibration windows",
        CalibrationSource::None => "none (angles empty, state uncalibrated)",
    };
    out.push_str(&format!(
        "calibration      {calibration}\n{}\n",
        report.summary
    ));
    print_stdout(&out);
    Ok(())
}

fn run_simulate(args: SimulateArgs) -> Result<(), String> {
    if !(args.minutes.is_finite() && args.minutes > 0.0 && args.minutes <= 24.0 * 60.0) {
        return Err(format!(
            "--minutes {} must be between 0 and 1440",
            args.minutes
        ));
    }
    let opts = ExportOptions {
        minutes: args.minutes,
        seed: args.seed,
        rate_hz: args.rate_hz,
        mount: if args.typical_mount {
            Mount::Typical
        } else {
            Mount::Random
        },
        out: args.out,
        truth: args.truth,
    };
    let report = export(&opts).map_err(|e| format!("{}: {e}", opts.out.display()))?;
    let mut out = format!(
        "wrote {} ({} samples, {}, {} episodes of which {} sustained slouches)\n",
        opts.out.display(),
        report.samples,
        spinewatch::pipeline::human_duration(report.duration_s),
        report.episodes,
        report.sustained_slouches
    );
    if let Some(t) = &opts.truth {
        out.push_str(&format!("truth in {}\n", t.display()));
    }
    print_stdout(&out);
    Ok(())
}

/// Prints to stdout, ignoring a closed pipe (`spinewatch ... | head` must not panic).
fn print_stdout(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}
