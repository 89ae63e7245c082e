//! The PNG report of a known synthetic week: a valid PNG of one A4 page at 150 dpi, drawn (not
//! blank), with its text (the embedded font works) and nothing cut off at the bottom.
//!
//! `cargo test --test report_png -- --ignored` also writes the example pages in `docs/`
//! (`report-day.png`, `report-week.png`), and the day's and the week's HTML into the temporary
//! directory (`report-day.html`, `report-week.html`) for a browser screenshot such as
//! `docs/report-html.png`.

#[path = "report_fixture.rs"]
mod fixture;

use fixture::{date, write_history, zone};
use spinewatch::report::{self, ReportData, ReportPeriod, Thresholds};
use spinewatch::store::{Days, History, HistoryOptions};

fn build(history: &History, period: ReportPeriod) -> ReportData {
    let days = Days::new(zone(), 0).unwrap_or_else(|e| panic!("{e}"));
    report::build(
        history,
        &days,
        period,
        Thresholds::defaults(),
        "2026-12-01 09:00".into(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

struct Decoded {
    width: u32,
    height: u32,
    /// Pixels per metre, from `pHYs`.
    ppm: Option<(u32, u32)>,
    rgb: Vec<u8>,
}

fn decode(bytes: &[u8]) -> Decoded {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "PNG signature");
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap_or_else(|e| panic!("{e}"));
    let info = reader.info();
    let (width, height) = (info.width, info.height);
    let ppm = info.pixel_dims.map(|d| (d.xppu, d.yppu));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let mut rgb = vec![0; reader.output_buffer_size().unwrap_or(0)];
    let frame = reader
        .next_frame(&mut rgb)
        .unwrap_or_else(|e| panic!("{e}"));
    rgb.truncate(frame.buffer_size());
    Decoded {
        width,
        height,
        ppm,
        rgb,
    }
}

impl Decoded {
    fn px(&self, x: u32, y: u32) -> (u8, u8, u8) {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        (self.rgb[i], self.rgb[i + 1], self.rgb[i + 2])
    }

    /// Share of non-white pixels in rows `y0..y1`.
    fn ink(&self, y0: u32, y1: u32) -> f64 {
        let mut inked = 0usize;
        for y in y0..y1 {
            for x in 0..self.width {
                if self.px(x, y) != (255, 255, 255) {
                    inked += 1;
                }
            }
        }
        inked as f64 / (f64::from(y1 - y0) * f64::from(self.width))
    }

    fn count(&self, c: (u8, u8, u8)) -> usize {
        self.rgb
            .chunks_exact(3)
            .filter(|p| (p[0], p[1], p[2]) == c)
            .count()
    }
}

fn assert_a4_page(bytes: &[u8]) -> Decoded {
    let img = decode(bytes);
    assert_eq!((img.width, img.height), (1240, 1754), "A4 at 150 dpi");
    // A4 is 1 : √2.
    let ratio = f64::from(img.height) / f64::from(img.width);
    assert!((ratio - 2f64.sqrt()).abs() < 0.01, "{ratio}");
    // 150 dpi = 5906 pixels per metre.
    assert_eq!(img.ppm, Some((5906, 5906)));
    assert_eq!(img.rgb.len(), 1240 * 1754 * 3);
    // Drawn, not blank: a good share of the page has ink, in several colours.
    let ink = img.ink(0, img.height);
    assert!(ink > 0.06 && ink < 0.6, "ink {ink}");
    // The header's text is there (the embedded font loaded): dark pixels in the title rows.
    assert!(img.ink(54, 100) > 0.02, "title text");
    // Okabe–Ito blue (section rules, the heat map's darkest class is a mix) and bluish green.
    assert!(img.count((0x00, 0x72, 0xB2)) > 2000, "blue");
    assert!(img.count((0x00, 0x9E, 0x73)) > 200, "bluish green");
    // Nothing spills into the bottom margin: the page was laid out to fit.
    assert_eq!(img.ink(1754 - 40, 1754), 0.0, "bottom margin is empty");
    // The page is filled down to its footer (nothing was cut short) and no further.
    let last_row = (0..img.height)
        .rev()
        .find(|y| img.ink(*y, y + 1) > 0.0)
        .unwrap_or(0);
    assert!(last_row > 1300, "the page ends at row {last_row}");
    img
}

#[test]
fn day_week_and_month_pngs_are_a4_pages_at_150_dpi() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("history.sqlite");
    write_history(&path, &zone());
    let history = History::open(&path, HistoryOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    for period in [
        ReportPeriod::Day(date(2026, 11, 24)),
        ReportPeriod::Week(date(2026, 11, 24)),
        ReportPeriod::Month {
            year: 2026,
            month: 11,
        },
    ] {
        let data = build(&history, period);
        let bytes = report::png::render(&data).unwrap_or_else(|e| panic!("{e}"));
        assert_a4_page(&bytes);
        // The same data renders to the same pixels (nothing depends on the clock or a cache).
        let again = report::png::render(&data).unwrap_or_else(|e| panic!("{e}"));
        assert!(bytes == again, "{period:?} renders the same twice");
    }
}

#[test]
#[ignore = "writes the example pages into docs/"]
fn write_docs_images() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("history.sqlite");
    write_history(&path, &zone());
    let history = History::open(&path, HistoryOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let week = build(&history, ReportPeriod::Week(date(2026, 11, 24)));
    let day = build(&history, ReportPeriod::Day(date(2026, 11, 24)));
    for (name, data) in [("report-day.png", &day), ("report-week.png", &week)] {
        let bytes = report::png::render(data).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(docs.join(name), bytes).unwrap_or_else(|e| panic!("{e}"));
    }
    for (name, data) in [("report-week.html", &week), ("report-day.html", &day)] {
        std::fs::write(std::env::temp_dir().join(name), report::html::render(data))
            .unwrap_or_else(|e| panic!("{e}"));
    }
}
