//! The units of plain lines: what common sketches print (m/s² and rad/s, g and deg/s, raw
//! counts at the usual full scales; Serial Plotter labels, a header line) is read as what it is,
//! a forced choice is obeyed, and data that fit no units are held back and reported instead of
//! being read as angles.

use spinewatch::protocol::{
    DecodeError, Decoder, DecoderSettings, Frame, LineFormat, SampleFrame, Units, UnitsStatus,
};

/// Decodes `lines` (each sent with CR LF) in one push, without flushing (a live stream).
fn decode_live(settings: DecoderSettings, lines: &[String]) -> (Vec<SampleFrame>, Decoder) {
    let mut d = Decoder::new(settings);
    let mut out = Vec::new();
    for line in lines {
        d.push(format!("{line}\r\n").as_bytes(), &mut |f| {
            if let Frame::Sample(s) = f {
                out.push(s);
            }
        });
    }
    (out, d)
}

/// `n` lines of a sensor lying at rest, z up, printed by `print(i)`.
fn lines(n: usize, print: impl Fn(usize) -> String) -> Vec<String> {
    (0..n).map(print).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

const G: f64 = 9.806_65;

#[test]
fn an_adafruit_sketch_printing_mps2_and_rads_is_read_as_such() {
    // Six plain numbers, m/s² and rad/s: what Adafruit_MPU6050 examples print.
    let text = lines(40, |i| {
        format!(
            "0.12 -0.34 {:.2} 0.01 -0.02 0.00",
            9.79 + 0.01 * (i % 3) as f64
        )
    });
    let (s, _) = decode_live(DecoderSettings::default(), &text);
    assert_eq!(s.len(), 40, "every sample, none lost while recognising");
    let first = s.first().copied();
    assert!(
        first.is_some_and(|f| close(f.accel_g[2], 9.79 / G)),
        "{first:?}"
    );
    assert!(first.is_some_and(|f| close(f.gyro_dps[0], 0.01f64.to_degrees())));
    assert!(s.iter().all(|f| f.format == LineFormat::Plain));
}

#[test]
fn serial_plotter_labels_are_read() {
    let text = lines(40, |_| {
        "AccelX:0.12,AccelY:-0.34,AccelZ:9.79, GyroX:0.01,GyroY:-0.02,GyroZ:0.00".to_string()
    });
    let (s, _) = decode_live(DecoderSettings::default(), &text);
    assert_eq!(s.len(), 40);
    let first = s.first().copied();
    assert!(
        first.is_some_and(|f| close(f.accel_g[1], -0.34 / G)),
        "{first:?}"
    );
    assert!(first.is_some_and(|f| close(f.gyro_dps[1], (-0.02f64).to_degrees())));
}

#[test]
fn raw_counts_at_the_usual_full_scales() {
    // (counts per g at rest on z, counts per deg/s the same range step uses)
    for (per_g, per_dps) in [
        (16384.0, 131.0),
        (8192.0, 65.5),
        (4096.0, 32.8),
        (2048.0, 16.4),
    ] {
        let text = lines(40, |i| {
            let z = per_g as i64 - 20 + (i % 5) as i64;
            format!("-120\t35\t{z}\t{}\t-3\t1", per_dps as i64)
        });
        let (s, _) = decode_live(DecoderSettings::default(), &text);
        assert_eq!(s.len(), 40, "{per_g}");
        let first = s.first().copied();
        assert!(
            first.is_some_and(|f| close(f.accel_g[0], -120.0 / per_g)),
            "{per_g}: {first:?}"
        );
        assert!(first.is_some_and(|f| close(f.gyro_dps[0], (per_dps as i64) as f64 / per_dps)));
    }
}

#[test]
fn g_and_dps_sketches_still_read_as_g_and_dps() {
    let line = "0.0123,-0.9981,0.0456,1.25,-0.50,0.03".to_string();
    let (s, d) = decode_live(DecoderSettings::default(), &lines(10, |_| line.clone()));
    assert!(s.is_empty(), "held while recognising");
    assert_eq!(d.units(), UnitsStatus::Recognising { held: 10 });
    let (s, d) = decode_live(DecoderSettings::default(), &lines(20, |_| line.clone()));
    assert_eq!(s.len(), 20, "the window, then each line as it comes");
    assert!(s.iter().all(|f| f.accel_g == [0.0123, -0.9981, 0.0456]));
    assert!(s.iter().all(|f| f.gyro_dps == [1.25, -0.5, 0.03]));
    assert_eq!(
        d.units().to_string(),
        "plain lines in g and deg/s (recognised: gravity reads 1.00)"
    );
    assert_eq!(d.units().metadata().as_deref(), Some("g,dps (recognised)"));
}

#[test]
fn units_that_fit_nothing_are_held_back_and_said() {
    // Gravity at rest reads 3.74: none of g, m/s² or raw counts.
    let text = lines(40, |_| "1 2 3 4 5 6".to_string());
    let mut d = Decoder::new(DecoderSettings::default());
    let mut events = Vec::new();
    for line in &text {
        d.push_events(format!("{line}\r\n").as_bytes(), &mut |e| events.push(e));
    }
    assert!(
        !events.iter().any(|e| matches!(e, Ok(Frame::Sample(_)))),
        "no angle is computed from numbers in unknown units"
    );
    let reports: Vec<&DecodeError> = events.iter().filter_map(|e| e.as_ref().err()).collect();
    assert_eq!(reports.len(), 2, "one report per window judged");
    assert!(matches!(
        reports.first(),
        Some(DecodeError::UnitsUnrecognised {
            gravity_milli: 3742,
            dropped: 16
        })
    ));
    let stats = d.stats();
    assert_eq!((stats.units_unrecognised, stats.malformed_lines), (32, 0));
    assert_eq!(stats.sample_lines, 40);
    assert!(matches!(d.units(), UnitsStatus::Unrecognised { .. }));
    let said = d.units().to_string();
    assert!(said.contains("units could not be recognised"), "{said}");
    assert!(said.contains("3.74"), "{said}");
    // Memory stays bounded however long it goes on: at most one window is held.
    for _ in 0..10_000 {
        d.push(b"1 2 3 4 5 6\r\n", &mut |_| {});
    }
    assert!(matches!(d.units(), UnitsStatus::Unrecognised { .. }));
    assert_eq!(
        d.stats().units_unrecognised + 8,
        d.stats().sample_lines,
        "all but the current window dropped"
    );
}

#[test]
fn forced_units_are_obeyed_at_once() {
    for (text, units) in [
        ("0.12 -0.34 9.79 0.01 -0.02 0.00", "mps2,rads"),
        ("-601 178 8145 -65 131 6", "raw:8192,65.5"),
        ("0.5 0.5 0.5 10 20 30", "g,dps"),
    ] {
        let units: Units = units.parse().unwrap_or_else(|e| panic!("{e}"));
        let settings = DecoderSettings {
            units,
            ..DecoderSettings::default()
        };
        let (s, d) = decode_live(settings, &[text.to_string()]);
        assert_eq!(s.len(), 1, "{text}: not held back");
        assert_eq!(
            d.units(),
            UnitsStatus::Forced(match units {
                Units::Fixed(u) => u,
                Units::Auto => panic!("fixed"),
            })
        );
    }
    // And changed on a live decoder.
    let mut d = Decoder::new(DecoderSettings::default());
    d.set_units("g,dps".parse().unwrap_or_else(|e| panic!("{e}")));
    let mut n = 0;
    d.push(b"0.5 0.5 0.5 10 20 30\r\n", &mut |_| n += 1);
    assert_eq!(n, 1);
}

#[test]
fn a_header_names_columns_units_and_a_millisecond_clock() {
    // A header, then `millis()` stamps 10 ms apart and m/s² / rad/s values.
    let mut text = vec!["Timestamp,AccelX,AccelY,AccelZ,GyroX,GyroY,GyroZ".to_string()];
    text.extend(lines(32, |i| {
        format!("{},0.10,-0.30,9.80,0.010,-0.020,0.000", 5000 + 10 * i)
    }));
    let (s, d) = decode_live(DecoderSettings::default(), &text);
    assert_eq!(s.len(), 32);
    let times: Vec<Option<u64>> = s.iter().take(3).map(|f| f.device_time_us).collect();
    assert_eq!(times, [Some(5_000_000), Some(5_010_000), Some(5_020_000)]);
    assert!(s.first().is_some_and(|f| close(f.accel_g[2], 9.8 / G)));
    assert!(matches!(d.units(), UnitsStatus::Recognised { .. }));
    // Units named in the header are taken as named.
    let mut text = vec!["ax(g)\tay(g)\taz(g)\tgx(rad/s)\tgy(rad/s)\tgz(rad/s)".to_string()];
    text.extend(lines(16, |_| "0\t0\t1\t1\t0\t0".to_string()));
    let (s, d) = decode_live(DecoderSettings::default(), &text);
    assert!(
        s.first()
            .is_some_and(|f| close(f.gyro_dps[0], 1f64.to_degrees()))
    );
    assert_eq!(d.units().metadata().as_deref(), Some("g,rads (recognised)"));
    // Named units the data contradict are not trusted: m/s² named, but gravity reads 1.
    let mut text = vec!["ax_mps2,ay_mps2,az_mps2,gx,gy,gz".to_string()];
    text.extend(lines(16, |_| "0,0,1,0,0,0".to_string()));
    let (s, d) = decode_live(DecoderSettings::default(), &text);
    assert!(s.is_empty());
    assert!(matches!(d.units(), UnitsStatus::Unrecognised { .. }));
}
