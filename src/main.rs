//! The `spinewatch` command: parses the command line and dispatches (see `spinewatch::cli`).

use std::process::ExitCode;

use clap::Parser;
use spinewatch::cli::{Cli, run};

/// Exit code for bad input or usage (clap uses the same for usage errors).
const EXIT_BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    // Before any thread starts: the app runs all day (see `app::allocator`).
    spinewatch::app::allocator::use_one_arena();
    init_logging();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    match run(cli) {
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
    // A second subscriber cannot be installed; there is none before this one.
    let _already = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
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
