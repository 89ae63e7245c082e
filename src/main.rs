//! The `spinewatch` command: the desktop app by default, and headless tools for scripts.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
    #[arg(long)]
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
}

#[derive(Args)]
struct PortsArgs {
    /// Baud rate to probe at.
    #[arg(long, default_value_t = 115_200)]
    baud: u32,
    /// How long to listen to each port, seconds.
    #[arg(long, default_value_t = 2.5)]
    timeout_s: f64,
}

#[derive(Args)]
struct RecordArgs {
    /// Serial port (e.g. /dev/ttyACM0, COM3, or a simulator's link); default: find the sensor.
    #[arg(long)]
    port: Option<String>,
    /// Baud rate (USB sensors ignore it; UART adapters need the firmware's).
    #[arg(long, default_value_t = 115_200)]
    baud: u32,
    /// Stop after this many seconds of recording.
    #[arg(long)]
    seconds: Option<f64>,
    /// Session CSV to write (must not exist). Default: <data dir>/sessions/<start time>.csv.
    #[arg(long, value_name = "FILE.csv")]
    out: Option<PathBuf>,
    /// Also write one JSON object per event (alerts, sensor_lost, sensor_back, …).
    #[arg(long, value_name = "EVENTS.jsonl")]
    events: Option<PathBuf>,
    /// Settings JSON (thresholds and delays), as for replay.
    #[arg(long, value_name = "CONFIG.json")]
    config: Option<PathBuf>,
    /// Make the sensor vibrate on slouch alerts and break reminders (if it has a motor).
    #[arg(long)]
    vibrate: bool,
    /// Calibrate from poses held during this recording, in seconds from its start: upright
    /// U0:U1, then forward lean F0:F1. Stored in the file, applied live when F1 has passed.
    #[arg(long, value_name = "U0:U1,F0:F1")]
    calibrate: Option<CalibrationWindows>,
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
    /// Session CSV to write (required unless --pty).
    #[arg(long, value_name = "FILE.csv", required_unless_present = "pty")]
    out: Option<PathBuf>,
    /// Also write the true angles per sample (and the episodes as `# episode=` lines).
    #[arg(long, value_name = "TRUTH.csv")]
    truth: Option<PathBuf>,
    /// Be a sensor instead: stream the day in protocol v1 on a new pseudo-terminal, in real time.
    ///
    /// Prints the pty's path and keeps a stable link to it (see --link). Point spinewatch at
    /// either (`record --port PATH`), or let it find the link by itself. Answers identify, rate
    /// and vibrate commands (vibrate commands are printed on stderr).
    #[arg(long, conflicts_with_all = ["out", "truth"])]
    pty: bool,
    /// With --pty: simulated seconds per real second (e.g. 20), or "max" (as fast as read).
    #[arg(long, default_value = "1", requires = "pty")]
    speed: spinewatch::transport::simulator::Speed,
    /// With --pty: the symlink kept pointed at the current pty (re-pointed after --disconnect-at,
    /// as a udev rule does for hardware). Default: $SPINEWATCH_SIM_LINK, else
    /// $XDG_RUNTIME_DIR/spinewatch-sim-tty, which auto-detection tries.
    #[arg(long, value_name = "PATH", requires = "pty")]
    link: Option<PathBuf>,
    /// With --pty: do not create the link.
    #[arg(long, requires = "pty", conflicts_with = "link")]
    no_link: bool,
    /// With --pty: also write every sample line delivered intact, as a session CSV (to check a
    /// recording against).
    #[arg(long, value_name = "SENT.csv", requires = "pty")]
    sent: Option<PathBuf>,
    /// With --pty: a line of binary garbage every this many (simulated) seconds.
    #[arg(long, value_name = "S", requires = "pty")]
    garbage_every_s: Option<f64>,
    /// With --pty: probability (0–1) that a sample line's checksum is corrupted.
    #[arg(long, default_value_t = 0.0, value_name = "P", requires = "pty", value_parser = parse_prob)]
    corrupt_checksum_prob: f64,
    /// With --pty: probability (0–1) that a sample line is not sent.
    #[arg(long, default_value_t = 0.0, value_name = "P", requires = "pty", value_parser = parse_prob)]
    drop_prob: f64,
    /// With --pty: send nothing from second S for DUR seconds (port stays open). Repeatable.
    #[arg(long, value_name = "S:DUR", requires = "pty")]
    pause_at: Vec<spinewatch::transport::simulator::Span>,
    /// With --pty: unplug at second S (close the pty), come back DUR seconds later on a new pty.
    /// Repeatable.
    #[arg(long, value_name = "S:DUR", requires = "pty")]
    disconnect_at: Vec<spinewatch::transport::simulator::Span>,
}

fn parse_prob(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("'{text}' is not a probability between 0 and 1")),
    }
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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let result = match cli.command {
        Some(Command::Replay(args)) if !args.headless => open_gui(Some(args.file), cli.stats),
        Some(Command::Replay(args)) => run_replay(args),
        Some(Command::Simulate(args)) => run_simulate(args),
        Some(Command::Ports(args)) => run_ports(args),
        Some(Command::Record(args)) => run_record(args),
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
    let mount = if args.typical_mount {
        Mount::Typical
    } else {
        Mount::Random
    };
    if args.pty {
        return run_simulate_pty(args, mount);
    }
    let Some(out) = args.out else {
        return Err("--out is required (or use --pty)".into());
    };
    let opts = ExportOptions {
        minutes: args.minutes,
        seed: args.seed,
        rate_hz: args.rate_hz,
        mount,
        out,
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

/// Sets a flag on Ctrl-C (SIGINT/SIGTERM), so long-running commands end cleanly.
fn stop_flag() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    if let Err(e) = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed)) {
        eprintln!("spinewatch: warning: Ctrl-C will not end cleanly: {e}");
    }
    stop
}

#[cfg(unix)]
fn run_simulate_pty(args: SimulateArgs, mount: Mount) -> Result<(), String> {
    use spinewatch::transport::simulator::{DeviceEvent, Faults, PtyOptions, run_pty};
    use std::io::Write as _;
    if let Some(g) = args.garbage_every_s
        && !(g.is_finite() && g > 0.0)
    {
        return Err(format!(
            "--garbage-every-s {g} must be a positive number of seconds"
        ));
    }
    let link = if args.no_link {
        None
    } else {
        Some(
            args.link
                .unwrap_or_else(spinewatch::transport::serial::simulator_link_path),
        )
    };
    let opts = PtyOptions {
        minutes: args.minutes,
        seed: args.seed,
        rate_hz: args.rate_hz,
        mount,
        speed: args.speed,
        faults: Faults {
            garbage_every_s: args.garbage_every_s,
            corrupt_checksum_prob: args.corrupt_checksum_prob,
            drop_prob: args.drop_prob,
            pauses: args.pause_at,
            disconnects: args.disconnect_at,
        },
        link: link.clone(),
        sent: args.sent,
        ..Default::default()
    };
    let stop = stop_flag();
    let mut on_event = |e: DeviceEvent| {
        let mut out = std::io::stdout().lock();
        match e {
            DeviceEvent::Ready {
                path,
                reconnect,
                calibration,
            } => {
                let _ = writeln!(
                    out,
                    "{} {path}{}",
                    if reconnect { "reconnected:" } else { "pty:" },
                    link.as_ref()
                        .map(|l| format!(" (link {})", l.display()))
                        .unwrap_or_default()
                );
                if !reconnect {
                    if let Some(c) = calibration {
                        let _ = writeln!(
                            out,
                            "calibration poses at {c} s (record --calibrate {c} captures them)"
                        );
                    }
                    let _ = writeln!(out, "waiting for a host to open the port (Ctrl-C ends)");
                }
            }
            DeviceEvent::HostConnected => {
                let _ = writeln!(out, "host connected; streaming");
            }
            DeviceEvent::HostGone => {
                let _ = writeln!(out, "host closed the port");
            }
            DeviceEvent::Unplugged { at_s } => {
                let _ = writeln!(out, "unplugged at {at_s:.2} s");
            }
            DeviceEvent::Command(c) => {
                if let spinewatch::protocol::Command::Vibrate {
                    duration_ms,
                    strength_pct,
                } = c
                {
                    eprintln!("vibrate {duration_ms} ms at {strength_pct}%");
                }
            }
        }
        let _ = out.flush();
    };
    let report = run_pty(&opts, &stop, &mut on_event).map_err(|e| e.to_string())?;
    print_stdout(&format!(
        "sent {} samples ({}); dropped {}, corrupted {}, garbage lines {}, not delivered {}, \
skipped {} (pauses/unplugs), {} disconnects, {} commands\n",
        report.sent,
        spinewatch::pipeline::human_duration(report.duration_s),
        report.dropped,
        report.corrupted,
        report.garbage_lines,
        report.not_delivered,
        report.skipped,
        report.disconnects,
        report.commands
    ));
    Ok(())
}

#[cfg(not(unix))]
fn run_simulate_pty(_args: SimulateArgs, _mount: Mount) -> Result<(), String> {
    Err("--pty needs a Unix system (pseudo-terminals)".into())
}

fn run_ports(args: PortsArgs) -> Result<(), String> {
    use spinewatch::transport::serial::{list_ports, probe_ports};
    if !(args.timeout_s.is_finite() && args.timeout_s > 0.0 && args.timeout_s <= 60.0) {
        return Err(format!(
            "--timeout-s {} must be between 0 and 60",
            args.timeout_s
        ));
    }
    let ports = list_ports();
    if ports.is_empty() {
        print_stdout("no serial ports found (is the sensor plugged in?)\n");
        return Ok(());
    }
    let results = probe_ports(
        &ports,
        args.baud,
        std::time::Duration::from_secs_f64(args.timeout_s),
    );
    use std::fmt::Write as _;
    let width = ports.iter().map(|p| p.path.len()).max().unwrap_or(4).max(4);
    let mut out = String::new();
    let _ = writeln!(out, "{:width$}  {:40}  answer", "port", "device");
    for (port, result) in ports.iter().zip(&results) {
        let _ = writeln!(
            out,
            "{:width$}  {:40}  {}",
            port.path, port.description, result.answer
        );
    }
    let sensors = results.iter().filter(|r| r.answer.is_sensor()).count();
    let _ = writeln!(out, "{sensors} sensor(s) found at {} baud", args.baud);
    print_stdout(&out);
    Ok(())
}

fn run_record(args: RecordArgs) -> Result<(), String> {
    use spinewatch::record::{RecordOptions, record};
    use spinewatch::transport::serial::{SerialOptions, SerialSource};
    if let Some(n) = args.seconds
        && !(n.is_finite() && n > 0.0)
    {
        return Err(format!("--seconds {n} must be a positive number"));
    }
    let config = load_config(args.config.as_ref())?;
    let opts = RecordOptions {
        seconds: args.seconds,
        out: args.out,
        events: args.events,
        config,
        vibrate: args.vibrate,
        calibration: None,
        calibrate: args.calibrate,
    };
    let stop = stop_flag();
    let mut source = SerialSource::open(SerialOptions {
        port: args.port,
        baud: args.baud,
    });
    let report = record(&mut source, &opts, &stop, &mut |line| {
        eprintln!("spinewatch: {line}")
    })?;
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = match &report.path {
        Some(p) => writeln!(out, "session          {}", p.display()),
        None => writeln!(out, "session          none (no sample arrived)"),
    };
    let _ = writeln!(
        out,
        "recorded         {} samples, {}, {} gap marks",
        report.recording.samples,
        spinewatch::pipeline::human_duration(report.recording.duration_s),
        report.recording.marks
    );
    let l = report.link;
    let _ = writeln!(
        out,
        "link             {} frames, {} checksum failures, {} malformed lines, {} samples dropped, \
{} reconnects, {} acks, {} naks",
        l.frames_ok,
        l.checksum_failures,
        l.malformed_lines,
        l.dropped_samples,
        l.reconnects,
        l.acks,
        l.naks
    );
    if report.vibrations > 0 {
        let _ = writeln!(out, "vibrations       {}", report.vibrations);
    }
    let _ = writeln!(out, "{}", report.summary);
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

/// Help and version go to stdout as usual; a usage error is one line on stderr and exit 2, like
/// every other error (scripts read one line).
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    // clap's message is the block before the blank line and "Usage:"; fold it into one line.
    let text = e.render().to_string();
    let message: Vec<&str> = text
        .lines()
        .take_while(|l| !l.trim().is_empty() && !l.starts_with("Usage:"))
        .map(str::trim)
        .collect();
    let message = message.join(" ");
    let message = message.trim_start_matches("error: ");
    eprintln!("spinewatch: error: {message} (see `spinewatch --help`)");
    ExitCode::from(EXIT_BAD_INPUT)
}
