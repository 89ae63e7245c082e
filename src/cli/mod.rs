//! The command line: what each command takes (clap) and does. `main.rs` only parses and
//! dispatches; each command has its file here, and the library code it runs lives with the
//! pipeline stage it belongs to.

pub mod history;
pub mod import;
pub mod outputs;
pub mod ports;
pub mod record;
pub mod replay;
pub mod report;
pub mod simulate;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Parser, Subcommand};

use crate::posture::{Config, ConfigError};

pub use ports::PortsArgs;
pub use record::RecordArgs;
pub use replay::ReplayArgs;
pub use simulate::SimulateArgs;

#[derive(Parser)]
#[command(
    name = "spinewatch",
    version,
    about = "Posture monitor for a clip-on accelerometer + gyroscope",
    long_about = "spinewatch turns a back-worn IMU's readings into spine flexion and side bend relative \
to your own calibrated upright posture, and reminds you when you stay slouched or sit too long.\n\n\
Run without a command to open the desktop app. The commands below work without a display."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Print the window's frame counts every 5 s to stderr (for measuring the app's cost).
    #[arg(long)]
    pub stats: bool,
    /// Start hidden in the tray (how start at login runs the app).
    #[arg(long)]
    pub minimized: bool,
}

#[derive(Subcommand)]
pub enum Command {
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
    /// List serial ports with their USB vendor/product, and probe each for a spinewatch sensor.
    ///
    /// Every port is opened briefly (in parallel) and sent an identify command; the table says
    /// which answered with an identity line, which sent valid frames, which sent only noise
    /// (wrong baud rate or another device) and which stayed silent.
    Ports(PortsArgs),
    /// Record the live sensor to a session CSV, with alerts, until Ctrl-C or --seconds.
    ///
    /// Finds the sensor by itself (or use --port), keeps reconnecting through unplugs (the gaps
    /// are marked in the file and the events), and flushes the file every second so a crash loses
    /// at most the last second. Files go to the per-user data directory
    /// (~/.local/share/spinewatch/sessions on Linux) unless --out is given.
    Record(RecordArgs),
    /// Import recorded sessions into the history, at the files' own times.
    ///
    /// Each file runs through the same pipeline as `replay --headless`, so its history says what
    /// the replay reports. The same file twice changes nothing; a file overlapping history
    /// already there is refused (naming the overlap) unless --replace.
    Import(import::ImportArgs),
    /// The posture history: a day, an ISO week or a month, as a table or JSON; export; prune.
    History(history::HistoryArgs),
    /// Write a posture report of a day, an ISO week or a month as HTML or PNG.
    ///
    /// One self-contained page (no external resources; prints on A4) for the wearer or their
    /// physical therapist: wear time and data completeness, time per flexion band (ISO 11226)
    /// and the longest holds, an hour-by-hour heat map, alerts and how they were answered,
    /// breaks, sitting bouts, the calibration and thresholds in force. The figures are those of
    /// the history's day/week/month queries. Reads history.sqlite from the per-user data
    /// directory (or $SPINEWATCH_HOME) unless --history is given.
    Report(report::ReportArgs),
}

/// Why a command failed: one line for the wearer, exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Options that do not fit together or a value out of range.
    #[error("{0}")]
    Usage(String),
    #[error("{}: {source}", path.display())]
    Config {
        path: PathBuf,
        #[source]
        source: ConfigError,
    },
    #[error(transparent)]
    Replay(#[from] replay::ReplayError),
    #[error(transparent)]
    Record(#[from] record::RecordError),
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Window(#[from] crate::ui::launch::GuiError),
    #[error(transparent)]
    Import(Box<import::ImportError>),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Simulator(String),
    #[error(transparent)]
    Report(#[from] report::ReportCommandError),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Some(Command::Replay(args)) if !args.headless => {
            open_window(Some(args.file), cli.stats, cli.minimized)
        }
        Some(Command::Replay(args)) => replay::main(args),
        Some(Command::Simulate(args)) => simulate::main(args),
        Some(Command::Ports(args)) => ports::main(args),
        Some(Command::Record(args)) => record::main(args),
        Some(Command::Import(args)) => import::main(args),
        Some(Command::History(args)) => history::main(args),
        Some(Command::Report(args)) => report::main(args),
        None => open_window(None, cli.stats, cli.minimized),
    }
}

/// The desktop app; without a display, a one-line message pointing to the headless commands.
fn open_window(replay: Option<PathBuf>, stats: bool, minimized: bool) -> Result<(), CliError> {
    Ok(crate::ui::launch::run(crate::ui::launch::GuiOptions {
        replay,
        stats,
        minimized,
    })?)
}

/// The history for a command that records one. A history that cannot be opened (a newer
/// database, a broken file) is a warning: the command goes on without it. Another spinewatch
/// holding it is said too (this one then writes nothing to it).
pub fn open_history(path: &std::path::Path) -> Option<std::sync::Arc<crate::store::History>> {
    match crate::store::History::open(path, crate::store::HistoryOptions::default()) {
        Ok(h) => {
            if let crate::store::HistoryStatus::ReadOnly { message, .. } = h.status() {
                eprintln!("spinewatch: warning: {message}");
            }
            Some(std::sync::Arc::new(h))
        }
        Err(e) => {
            eprintln!("spinewatch: warning: no history this time: {e}");
            None
        }
    }
}

/// Settings from `--config` (defaults without it); unknown keys are printed as warnings.
pub fn load_config(path: Option<&PathBuf>) -> Result<Config, CliError> {
    let Some(path) = path else {
        return Ok(Config::default());
    };
    // Posture is pure: the file is read here, at the edge.
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.clone(),
        source,
    })?;
    let loaded = Config::from_json_str(&text).map_err(|source| CliError::Config {
        path: path.clone(),
        source,
    })?;
    for w in &loaded.warnings {
        eprintln!("spinewatch: warning: {}: {w}", path.display());
    }
    Ok(loaded.config)
}

/// Sets a flag on Ctrl-C (SIGINT/SIGTERM), so long-running commands end cleanly.
pub fn stop_flag() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    if let Err(e) = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed)) {
        eprintln!("spinewatch: warning: Ctrl-C will not end cleanly: {e}");
    }
    stop
}

/// Prints to stdout, ignoring a closed pipe (`spinewatch ... | head` must not panic).
pub fn print_stdout(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    // A reader that went away (`| head`) is not an error of ours; what matters went to files.
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        tracing::debug!("stdout closed: {e}");
    }
}
