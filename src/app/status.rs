//! The window's sensor status in words: the status line under the live view and the link
//! problem shown above it. Computed here, from the snapshot, so it is plain text the tests can
//! check without a window; `ui/` only draws it.

use crate::source::{LinkState, LinkStats};

use super::store::Shared;

/// Separator between the parts of the status line.
const SEPARATOR: &str = "  ·  ";

/// The status line: source, port, rate (measured, else stated), the link's counts, battery,
/// "host timing" when the device sends no clock.
pub fn status_line(sh: &Shared) -> String {
    let mut parts = vec![sh.source.label.clone()];
    if let Some(port) = &sh.source.port {
        parts.push(port.clone());
    }
    if let Some(rate) = sh.measured_rate_hz.or(sh.source.rate_hz) {
        parts.push(format!("{rate:.0} Hz"));
    }
    parts.extend(link_counts(&sh.link_stats));
    if let Some(b) = sh.source.battery_pct {
        parts.push(format!("battery {b:.0}%"));
    }
    if !sh.source.device_time {
        parts.push("host timing".into());
    }
    parts.join(SEPARATOR)
}

/// The link's counts for the status line: samples lost and checksum errors always (a healthy
/// link shows its zeros), unreadable lines — garbage, lines cut short or too long, another
/// protocol's lines, noise from a wrong baud rate — only once there are some.
pub fn link_counts(stats: &LinkStats) -> Vec<String> {
    let mut parts = vec![
        format!("{} dropped", stats.dropped_samples),
        format!("{} checksum errors", stats.checksum_failures),
    ];
    match stats.malformed_lines {
        0 => {}
        1 => parts.push("1 unreadable line".into()),
        n => parts.push(format!("{n} unreadable lines")),
    }
    parts
}

/// What is wrong with the link, in a sentence for the wearer; `None` when connected.
pub fn link_problem(link: &LinkState) -> Option<String> {
    match link {
        LinkState::Connected => None,
        LinkState::Connecting => Some("Looking for the sensor…".into()),
        LinkState::NoValidFrames { baud } => Some(format!(
            "Data arrives but nothing readable at {baud} baud: check the baud rate in Settings \
             (or whether this port is the sensor)."
        )),
        LinkState::OtherProtocol { baud } => Some(format!(
            "This port sends another device's data at {baud} baud (NMEA, as a GPS does), not a \
             spinewatch sensor's: choose the sensor's port in Settings."
        )),
        LinkState::Silent { for_s } => Some(format!(
            "The sensor is connected but silent for {for_s:.0} s."
        )),
        LinkState::Reconnecting {
            reason,
            attempt,
            retry_in_s,
        } => Some(format!(
            "Sensor unplugged ({reason}). Reconnecting: attempt {attempt}, next in {retry_in_s:.0} s."
        )),
        LinkState::Ended => Some("End of the recording.".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Settings;

    #[test]
    fn a_clean_link_shows_its_zeros_and_no_unreadable_lines() {
        let stats = LinkStats::default();
        assert_eq!(link_counts(&stats), ["0 dropped", "0 checksum errors"]);
    }

    #[test]
    fn unreadable_lines_are_shown_once_there_are_some() {
        let stats = LinkStats {
            dropped_samples: 3,
            checksum_failures: 2,
            malformed_lines: 17,
            ..LinkStats::default()
        };
        assert_eq!(
            link_counts(&stats),
            ["3 dropped", "2 checksum errors", "17 unreadable lines"]
        );
        let one = LinkStats {
            malformed_lines: 1,
            ..LinkStats::default()
        };
        assert_eq!(link_counts(&one)[2], "1 unreadable line");
    }

    #[test]
    fn the_status_line_holds_rate_counts_and_battery() {
        let mut sh = Shared::new(Settings::default(), std::path::PathBuf::from("/tmp"));
        sh.source.label = "/dev/ttyACM0 — swref-1.0.0 (MPU6050)".into();
        sh.source.rate_hz = Some(100.0);
        sh.source.battery_pct = Some(87.0);
        // The measured rate wins over the stated one: a device streaming faster than it says.
        sh.measured_rate_hz = Some(499.6);
        sh.link_stats.malformed_lines = 5;
        assert_eq!(
            status_line(&sh),
            "/dev/ttyACM0 — swref-1.0.0 (MPU6050)  ·  500 Hz  ·  0 dropped  ·  \
             0 checksum errors  ·  5 unreadable lines  ·  battery 87%"
        );
    }

    #[test]
    fn a_wrong_baud_rate_and_another_device_get_different_advice() {
        let baud = link_problem(&LinkState::NoValidFrames { baud: 9600 }).unwrap_or_default();
        assert!(baud.contains("nothing readable at 9600 baud"), "{baud}");
        assert!(baud.contains("check the baud rate"), "{baud}");
        let other = link_problem(&LinkState::OtherProtocol { baud: 115_200 }).unwrap_or_default();
        assert!(other.contains("not a spinewatch sensor"), "{other}");
        assert!(!other.contains("check the baud rate"), "{other}");
        assert_eq!(link_problem(&LinkState::Connected), None);
    }
}
