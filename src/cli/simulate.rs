//! `spinewatch simulate`: a simulated wearer's day as a session CSV (with its truth), or as a
//! protocol-v1 device on a pseudo-terminal (`--pty`).

use std::path::PathBuf;

use clap::Args;

use crate::format::human_duration;
use crate::sim::Mount;
use crate::sim::export::{ExportOptions, export};

use super::{CliError, print_stdout, stop_flag};

#[derive(Args)]
pub struct SimulateArgs {
    /// With --into-history: this many simulated working days (Monday to Friday, 8 hours from
    /// 09:00 local), ending yesterday.
    #[arg(long, value_name = "N", requires = "into_history")]
    pub days: Option<u32>,
    /// Fill the history with --days simulated working days (for demos and benches), through the
    /// same pipeline as a live day, at 25 Hz (a speed-up: what the history keeps is the same).
    #[arg(long, requires = "days", conflicts_with_all = ["out", "truth", "pty"])]
    pub into_history: bool,
    /// With --into-history: the history file (default: history.sqlite in the data directory).
    #[arg(long, value_name = "FILE", requires = "into_history")]
    pub history: Option<PathBuf>,
    /// Replace --out / --truth files that already exist.
    #[arg(long)]
    pub force: bool,
    /// Length of the day in minutes.
    #[arg(long, default_value_t = 60.0)]
    pub minutes: f64,
    /// Random seed: the same seed gives the same day.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Sample rate in Hz (25 to 1000).
    #[arg(long, default_value_t = 100.0, value_parser = parse_rate_hz)]
    pub rate_hz: f64,
    /// Clip the sensor on as usually worn (x up the spine) instead of in a random orientation.
    #[arg(long)]
    pub typical_mount: bool,
    /// Session CSV to write (required unless --pty).
    #[arg(long, value_name = "FILE.csv", required_unless_present_any = ["pty", "into_history"])]
    pub out: Option<PathBuf>,
    /// Also write the true angles per sample (and the episodes as `# episode=` lines).
    #[arg(long, value_name = "TRUTH.csv")]
    pub truth: Option<PathBuf>,
    /// Be a sensor instead: stream the day in protocol v1 on a new pseudo-terminal, in real time.
    ///
    /// Prints the pty's path and keeps a stable link to it (see --link). Point spinewatch at
    /// either (`record --port PATH`), or let it find the link by itself. Answers identify, rate
    /// and vibrate commands (vibrate commands are printed on stderr).
    #[arg(long, conflicts_with_all = ["out", "truth"])]
    pub pty: bool,
    /// With --pty: simulated seconds per real second (e.g. 20), or "max" (as fast as read).
    #[arg(long, default_value = "1", requires = "pty")]
    pub speed: crate::sim::device::Speed,
    /// With --pty: the symlink kept pointed at the current pty (re-pointed after --disconnect-at,
    /// as a udev rule does for hardware). Default: $SPINEWATCH_SIM_LINK, else
    /// $XDG_RUNTIME_DIR/spinewatch-sim-tty, which auto-detection tries.
    #[arg(long, value_name = "PATH", requires = "pty")]
    pub link: Option<PathBuf>,
    /// With --pty: do not create the link.
    #[arg(long, requires = "pty", conflicts_with = "link")]
    pub no_link: bool,
    /// With --pty: also write every sample line delivered intact, as a session CSV (to check a
    /// recording against).
    #[arg(long, value_name = "SENT.csv", requires = "pty")]
    pub sent: Option<PathBuf>,
    /// With --pty: a line of binary garbage every this many (simulated) seconds.
    #[arg(long, value_name = "S", requires = "pty")]
    pub garbage_every_s: Option<f64>,
    /// With --pty: probability (0–1) that a sample line's checksum is corrupted.
    #[arg(long, default_value_t = 0.0, value_name = "P", requires = "pty", value_parser = parse_prob)]
    pub corrupt_checksum_prob: f64,
    /// With --pty: probability (0–1) that a sample line is not sent.
    #[arg(long, default_value_t = 0.0, value_name = "P", requires = "pty", value_parser = parse_prob)]
    pub drop_prob: f64,
    /// With --pty: send nothing from second S for DUR seconds (port stays open). Repeatable.
    #[arg(long, value_name = "S:DUR", requires = "pty")]
    pub pause_at: Vec<crate::sim::device::Span>,
    /// With --pty: unplug at second S (close the pty), come back DUR seconds later on a new pty.
    /// Repeatable.
    #[arg(long, value_name = "S:DUR", requires = "pty")]
    pub disconnect_at: Vec<crate::sim::device::Span>,
    /// With --pty: each replug is a reboot (sequence numbers and the device clock from 0).
    #[arg(long, requires = "pty")]
    pub reboot_on_replug: bool,
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

/// `spinewatch simulate`.
pub fn main(args: SimulateArgs) -> Result<(), CliError> {
    if !(args.minutes.is_finite() && args.minutes > 0.0 && args.minutes <= 24.0 * 60.0) {
        return Err(CliError::Usage(format!(
            "--minutes {} must be between 0 and 1440",
            args.minutes
        )));
    }
    let mount = if args.typical_mount {
        Mount::Typical
    } else {
        Mount::Random
    };
    if args.pty {
        return run_simulate_pty(args, mount);
    }
    if args.into_history {
        return into_history(&args);
    }
    let Some(out) = args.out else {
        return Err(CliError::Usage("--out is required (or use --pty)".into()));
    };
    let mut outputs = vec![("--out", out.as_path())];
    if let Some(t) = &args.truth {
        outputs.push(("--truth", t.as_path()));
    }
    super::outputs::check_outputs(&[], &outputs, args.force)?;
    let opts = ExportOptions {
        minutes: args.minutes,
        seed: args.seed,
        rate_hz: args.rate_hz,
        mount,
        out,
        truth: args.truth,
    };
    let report = export(&opts).map_err(|source| CliError::Write {
        path: opts.out.clone(),
        source,
    })?;
    let mut out = format!(
        "wrote {} ({} samples, {}, {} episodes of which {} sustained slouches)\n",
        opts.out.display(),
        report.samples,
        human_duration(report.duration_s),
        report.episodes,
        report.sustained_slouches
    );
    if let Some(t) = &opts.truth {
        out.push_str(&format!("truth in {}\n", t.display()));
    }
    print_stdout(&out);
    Ok(())
}

#[cfg(unix)]
fn run_simulate_pty(args: SimulateArgs, mount: Mount) -> Result<(), CliError> {
    use crate::sim::device::{DeviceEvent, Faults, PtyOptions, run_pty};
    if let Some(g) = args.garbage_every_s
        && !(g.is_finite() && g > 0.0)
    {
        return Err(CliError::Usage(format!(
            "--garbage-every-s {g} must be a positive number of seconds"
        )));
    }
    let link = if args.no_link {
        None
    } else {
        Some(
            args.link
                .unwrap_or_else(crate::transport::simulator_link_path),
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
            reboot_on_replug: args.reboot_on_replug,
        },
        link: link.clone(),
        sent: args.sent,
        ..Default::default()
    };
    let stop = stop_flag();
    let mut on_event = |e: DeviceEvent| {
        let text = match e {
            DeviceEvent::Ready {
                path,
                reconnect,
                calibration,
            } => {
                let mut text = format!(
                    "{} {path}{}\n",
                    if reconnect { "reconnected:" } else { "pty:" },
                    link.as_ref()
                        .map(|l| format!(" (link {})", l.display()))
                        .unwrap_or_default()
                );
                if !reconnect {
                    if let Some(c) = calibration {
                        text.push_str(&format!(
                            "calibration poses at {c} s (record --calibrate {c} captures them)\n"
                        ));
                    }
                    text.push_str("waiting for a host to open the port (Ctrl-C ends)\n");
                }
                text
            }
            DeviceEvent::HostConnected => "host connected; streaming\n".into(),
            DeviceEvent::HostGone => "host closed the port\n".into(),
            DeviceEvent::Unplugged { at_s } => format!("unplugged at {at_s:.2} s\n"),
            DeviceEvent::Command(c) => {
                if let crate::protocol::Command::Vibrate {
                    duration_ms,
                    strength_pct,
                } = c
                {
                    eprintln!("vibrate {duration_ms} ms at {strength_pct}%");
                }
                return;
            }
        };
        print_stdout(&text);
    };
    let report =
        run_pty(&opts, &stop, &mut on_event).map_err(|e| CliError::Simulator(e.to_string()))?;
    print_stdout(&format!(
        "sent {} samples ({}); dropped {}, corrupted {}, garbage lines {}, not delivered {}, \
skipped {} (pauses/unplugs), {} disconnects, {} commands\n",
        report.sent,
        human_duration(report.duration_s),
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
fn run_simulate_pty(_args: SimulateArgs, _mount: Mount) -> Result<(), CliError> {
    Err(CliError::Usage(
        "--pty needs a Unix system (pseudo-terminals)".into(),
    ))
}

/// Rate of the simulated days written into the history, Hz: the filter's minimum, enough for
/// posture (the history keeps intervals and minutes, not samples).
const HISTORY_RATE_HZ: f64 = 25.0;

/// `simulate --days N --into-history`.
fn into_history(args: &SimulateArgs) -> Result<(), CliError> {
    use chrono::{Datelike, Local, TimeZone, Weekday};
    use std::sync::Arc;

    use crate::posture::Config;
    use crate::session::{CaptureMode, SessionDriver};
    use crate::sim::{Script, SimOptions, Simulator};
    use crate::store::{History, HistoryRecorder, SessionSource, StartTime};

    let n = args.days.unwrap_or(0);
    if !(1..=3660).contains(&n) {
        return Err(CliError::Usage(format!("--days {n} must be 1 to 3660")));
    }
    let path = args
        .history
        .clone()
        .unwrap_or_else(|| crate::paths::Paths::for_user().history_file);
    let history = Arc::new(History::open(&path, Default::default())?);
    if history.is_read_only() {
        return Err(CliError::Usage(
            "another spinewatch holds the history; close it first".into(),
        ));
    }
    // The working days, oldest first, ending yesterday.
    let mut dates = Vec::new();
    let mut date = Local::now().date_naive();
    while dates.len() < n as usize {
        date = date.pred_opt().unwrap_or(date);
        if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            dates.push(date);
        }
    }
    dates.reverse();
    let config = Config::default();
    let mut samples = 0u64;
    for (i, date) in dates.iter().enumerate() {
        let seed = args.seed.wrapping_add(i as u64);
        let start = date
            .and_hms_opt(9, 0, 0)
            .and_then(|t| Local.from_local_datetime(&t).earliest())
            .ok_or_else(|| CliError::Usage(format!("no 09:00 on {date} here")))?;
        let script = Script::random_day(8.0 * 60.0, seed);
        let windows = script.calibration_windows();
        let sim = Simulator::new(
            script,
            SimOptions {
                rate_hz: HISTORY_RATE_HZ,
                seed,
                mount: crate::sim::Mount::Typical,
                ..SimOptions::default()
            },
        );
        let mut driver = SessionDriver::new(config.clone(), Some(HISTORY_RATE_HZ));
        if let Some(w) = windows {
            driver.capture(w, CaptureMode::AT_END);
        }
        let mut sink = HistoryRecorder::new(
            Arc::clone(&history),
            SessionSource::Live {
                device: "simulated wearer".into(),
            },
            StartTime::At {
                utc_s: start.timestamp() as f64,
            },
            &config,
            true,
        );
        for (s, _truth) in sim {
            // The history sink never fails.
            let _never = driver.sample(&s, &mut [&mut sink]);
            samples += 1;
        }
        let _never = driver.finish(&mut [&mut sink]);
    }
    history.flush()?;
    print_stdout(&format!(
        "filled {} with {n} simulated working days ({} to {}, {samples} samples at {HISTORY_RATE_HZ} Hz)\n",
        path.display(),
        dates.first().map(|d| d.to_string()).unwrap_or_default(),
        dates.last().map(|d| d.to_string()).unwrap_or_default(),
    ));
    Ok(())
}
