//! `spinewatch ports`: serial ports, their USB identity, and which one answered as a sensor.

use clap::Args;

use super::{CliError, print_stdout};

#[derive(Args)]
pub struct PortsArgs {
    /// Baud rate to probe at.
    #[arg(long, default_value_t = 115_200)]
    pub baud: u32,
    /// How long to listen to each port, seconds.
    #[arg(long, default_value_t = 2.5)]
    pub timeout_s: f64,
}

/// `spinewatch ports`.
pub fn main(args: PortsArgs) -> Result<(), CliError> {
    use crate::transport::{list_ports, probe_ports};
    if !(args.timeout_s.is_finite() && args.timeout_s > 0.0 && args.timeout_s <= 60.0) {
        return Err(CliError::Usage(format!(
            "--timeout-s {} must be between 0 and 60",
            args.timeout_s
        )));
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
    let width = ports.iter().map(|p| p.path.len()).max().unwrap_or(4).max(4);
    let mut out = format!("{:width$}  {:40}  answer\n", "port", "device");
    for (port, result) in ports.iter().zip(&results) {
        out.push_str(&format!(
            "{:width$}  {:40}  {}\n",
            port.path, port.description, result.answer
        ));
    }
    let sensors = results.iter().filter(|r| r.answer.is_sensor()).count();
    out.push_str(&format!(
        "{sensors} sensor(s) found at {} baud\n",
        args.baud
    ));
    print_stdout(&out);
    Ok(())
}
