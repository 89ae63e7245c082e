//! The report's charts as plain shape lists ([`Scene`]), so the HTML (as SVG) and the PNG (with
//! plotters) draw exactly the same thing. Coordinates are pixels of the PNG page (A4 at
//! 150 dpi); the SVG uses them as its `viewBox` and scales. Text is placed by its vertical
//! middle.
//!
//! Colours are the Okabe–Ito palette (distinguishable with every common colour-vision
//! deficiency); the heat map is one blue ramp (lightness only), and "no data" is grey with a
//! diagonal, never just a paler colour.

use crate::posture::PostureState;
use crate::store::record::{AlertKind, AlertOutcome};

use super::text::{alerts_open, deg};
use super::{ReportData, Timeline};

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// `self` moved towards `other` by `t` (0–1).
    pub fn mix(self, other: Rgb, t: f64) -> Rgb {
        let m = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
        Rgb(m(self.0, other.0), m(self.1, other.1), m(self.2, other.2))
    }
}

/// Okabe & Ito (2008), "Color Universal Design".
pub mod colour {
    use super::Rgb;
    pub const BLACK: Rgb = Rgb(0, 0, 0);
    pub const ORANGE: Rgb = Rgb(0xE6, 0x9F, 0x00);
    pub const SKY_BLUE: Rgb = Rgb(0x56, 0xB4, 0xE9);
    pub const BLUISH_GREEN: Rgb = Rgb(0x00, 0x9E, 0x73);
    pub const YELLOW: Rgb = Rgb(0xF0, 0xE4, 0x42);
    pub const BLUE: Rgb = Rgb(0x00, 0x72, 0xB2);
    pub const VERMILLION: Rgb = Rgb(0xD5, 0x5E, 0x00);
    pub const REDDISH_PURPLE: Rgb = Rgb(0xCC, 0x79, 0xA7);
    /// Not in the palette: neutral greys for axes, text and "no data".
    pub const WHITE: Rgb = Rgb(0xFF, 0xFF, 0xFF);
    pub const GREY: Rgb = Rgb(0x99, 0x99, 0x99);
    pub const LIGHT_GREY: Rgb = Rgb(0xEE, 0xEE, 0xEE);
    pub const AXIS: Rgb = Rgb(0x44, 0x44, 0x44);
    pub const TEXT: Rgb = Rgb(0x11, 0x11, 0x11);
    pub const MUTED: Rgb = Rgb(0x55, 0x55, 0x55);
}

use colour::*;

/// The colour of a posture state.
pub fn state_colour(s: PostureState) -> Rgb {
    match s {
        PostureState::Upright => BLUISH_GREEN,
        PostureState::Slouched => VERMILLION,
        PostureState::LeaningBack => SKY_BLUE,
        PostureState::Moving => BLUE,
        PostureState::Uncalibrated => GREY,
        PostureState::NoData => LIGHT_GREY,
    }
}

/// Under 20°, 20–60°, over 60°.
pub const BAND_COLOURS: [Rgb; 3] = [BLUISH_GREEN, ORANGE, VERMILLION];

/// The colour of an alert's outcome.
pub fn outcome_colour(o: AlertOutcome) -> Rgb {
    match o {
        AlertOutcome::Corrected => BLUISH_GREEN,
        AlertOutcome::Snoozed => SKY_BLUE,
        AlertOutcome::Ignored => VERMILLION,
        AlertOutcome::Open => YELLOW,
        AlertOutcome::HeldBack => GREY,
    }
}

/// The heat map's classes of % upright: `[0, 20)`, `[20, 40)`, … `[80, 100]`.
pub const HEAT_CLASSES: usize = 5;

/// The colour of a % upright class, and whether text on it should be white.
pub fn heat_colour(upright_pct: f64) -> (Rgb, bool) {
    let class = ((upright_pct / 20.0).floor().max(0.0) as usize).min(HEAT_CLASSES - 1);
    (WHITE.mix(BLUE, 0.12 + 0.22 * class as f64), class >= 3)
}

/// Horizontal placement of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// A figure a shape stands for, carried into the SVG as `data-scope`, `data-key`, `data-value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Datum {
    /// `total`, a day `YYYY-MM-DD`, or `hour-N` (the N-th hour slot of a day report).
    pub scope: String,
    pub key: &'static str,
    pub value: f64,
}

/// One thing to draw.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Rect {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        fill: Rgb,
        /// A tooltip in the HTML.
        title: Option<String>,
        datum: Option<Datum>,
    },
    /// A cell without data: light grey with a diagonal.
    NoData { x: f64, y: f64, w: f64, h: f64 },
    Line {
        x1: f64,
        y1: f64,
        x2: f64,
        y2: f64,
        colour: Rgb,
        width: f64,
        dashed: bool,
    },
    Polygon {
        points: Vec<(f64, f64)>,
        fill: Rgb,
        outline: Rgb,
    },
    Text {
        x: f64,
        /// The vertical middle of the text.
        y: f64,
        text: String,
        /// Pixels.
        size: f64,
        colour: Rgb,
        anchor: Anchor,
        bold: bool,
    },
}

/// A chart: its size in page pixels and its shapes, with a description for screen readers.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    pub width: f64,
    pub height: f64,
    pub description: String,
    pub shapes: Vec<Shape>,
}

/// Chart text size in page pixels (150 dpi: 15 px ≈ 7.2 pt).
pub const SIZE_SMALL: f64 = 15.0;

impl Scene {
    fn new(width: f64, height: f64, description: impl Into<String>) -> Self {
        Self {
            width,
            height,
            description: description.into(),
            shapes: Vec::new(),
        }
    }

    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: Rgb) {
        if w > 0.0 && h > 0.0 {
            self.shapes.push(Shape::Rect {
                x,
                y,
                w,
                h,
                fill,
                title: None,
                datum: None,
            });
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn rect_with(
        &mut self,
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        fill: Rgb,
        title: String,
        datum: Option<Datum>,
    ) {
        self.shapes.push(Shape::Rect {
            x,
            y,
            w: w.max(0.0),
            h: h.max(0.0),
            fill,
            title: Some(title),
            datum,
        });
    }

    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, colour: Rgb, width: f64) {
        self.shapes.push(Shape::Line {
            x1,
            y1,
            x2,
            y2,
            colour,
            width,
            dashed: false,
        });
    }

    fn dashed(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, colour: Rgb) {
        self.shapes.push(Shape::Line {
            x1,
            y1,
            x2,
            y2,
            colour,
            width: 1.5,
            dashed: true,
        });
    }

    fn text(&mut self, x: f64, y: f64, text: impl Into<String>, size: f64, anchor: Anchor) {
        self.shapes.push(Shape::Text {
            x,
            y,
            text: text.into(),
            size,
            colour: TEXT,
            anchor,
            bold: false,
        });
    }

    fn text_in(&mut self, x: f64, y: f64, text: impl Into<String>, colour: Rgb, anchor: Anchor) {
        self.shapes.push(Shape::Text {
            x,
            y,
            text: text.into(),
            size: SIZE_SMALL,
            colour,
            anchor,
            bold: false,
        });
    }

    /// A legend entry: a swatch and its label; returns the x after it.
    fn swatch(&mut self, x: f64, y: f64, fill: Option<Rgb>, label: &str) -> f64 {
        match fill {
            Some(c) => self.rect(x, y - 7.0, 14.0, 14.0, c),
            None => self.shapes.push(Shape::NoData {
                x,
                y: y - 7.0,
                w: 14.0,
                h: 14.0,
            }),
        }
        self.text(x + 20.0, y, label, SIZE_SMALL, Anchor::Start);
        // An estimate of the label's width (DejaVu Sans averages ~0.55 em).
        x + 20.0 + label.chars().count() as f64 * SIZE_SMALL * 0.56 + 18.0
    }
}

/// A 100 % stacked bar with a percent axis under it: `parts` are (value, colour, label); the
/// shares are of their sum.
pub fn share_bar(
    parts: &[(f64, Rgb, &str)],
    width: f64,
    axis_title: &str,
    description: &str,
) -> Scene {
    let bar_h = 24.0;
    let mut s = Scene::new(width, 74.0, description);
    let total: f64 = parts.iter().map(|p| p.0).sum();
    let (x0, x1) = (2.0, width - 14.0);
    let span = x1 - x0;
    if total > 0.0 {
        let mut x = x0;
        for (v, c, label) in parts {
            let w = span * v / total;
            let pct = 100.0 * v / total;
            s.rect_with(x, 2.0, w, bar_h, *c, format!("{label}: {pct:.1}%"), None);
            if w > 46.0 {
                let on_dark = *c != YELLOW && *c != ORANGE && *c != SKY_BLUE;
                s.text_in(
                    x + w / 2.0,
                    2.0 + bar_h / 2.0,
                    format!("{pct:.0}%"),
                    if on_dark { WHITE } else { TEXT },
                    Anchor::Middle,
                );
            }
            x += w;
        }
    } else {
        s.shapes.push(Shape::NoData {
            x: x0,
            y: 2.0,
            w: span,
            h: bar_h,
        });
    }
    let axis_y = 2.0 + bar_h + 3.0;
    s.line(x0, axis_y, x1, axis_y, AXIS, 1.0);
    for i in 0..=4 {
        let x = x0 + span * f64::from(i) / 4.0;
        s.line(x, axis_y, x, axis_y + 5.0, AXIS, 1.0);
        let anchor = match i {
            0 => Anchor::Start,
            4 => Anchor::End,
            _ => Anchor::Middle,
        };
        s.text(x, axis_y + 14.0, format!("{}", i * 25), SIZE_SMALL, anchor);
    }
    s.text(
        x0 + span / 2.0,
        axis_y + 32.0,
        axis_title,
        SIZE_SMALL,
        Anchor::Middle,
    );
    s
}

/// Posture states as shares of wear time.
pub fn state_bar(d: &ReportData, width: f64) -> Scene {
    let st = &d.figures().state_s;
    share_bar(
        &[
            (st.upright, state_colour(PostureState::Upright), "upright"),
            (
                st.slouched,
                state_colour(PostureState::Slouched),
                "slouched",
            ),
            (
                st.leaning_back,
                state_colour(PostureState::LeaningBack),
                "leaning back",
            ),
            (st.moving, state_colour(PostureState::Moving), "moving"),
            (
                st.uncalibrated,
                state_colour(PostureState::Uncalibrated),
                "uncalibrated",
            ),
        ],
        width,
        "share of wear time (%)",
        "Time per posture state as a share of wear time",
    )
}

/// Flexion bands as shares of the time with a known angle.
pub fn band_bar(d: &ReportData, width: f64) -> Scene {
    let b = &d.figures().flexion_bands_s;
    share_bar(
        &[
            (b.under_20, BAND_COLOURS[0], "under 20°"),
            (b.from_20_to_60, BAND_COLOURS[1], "20–60°"),
            (b.over_60, BAND_COLOURS[2], "over 60°"),
        ],
        width,
        "share of time with a known angle (%)",
        "Time per flexion band (ISO 11226) as a share of the time with a known angle",
    )
}

/// How slouch alerts were answered, as shares of all slouch alerts.
pub fn alert_bar(d: &ReportData, width: f64) -> Scene {
    let f = d.figures();
    share_bar(
        &[
            (
                f64::from(f.alerts_corrected),
                outcome_colour(AlertOutcome::Corrected),
                "corrected",
            ),
            (
                f64::from(f.alerts_snoozed),
                outcome_colour(AlertOutcome::Snoozed),
                "snoozed",
            ),
            (
                f64::from(f.alerts_ignored),
                outcome_colour(AlertOutcome::Ignored),
                "ignored",
            ),
            (
                f64::from(alerts_open(f)),
                outcome_colour(AlertOutcome::Open),
                "open",
            ),
        ],
        width,
        "share of slouch alerts (%)",
        "How slouch alerts were answered, as a share of all slouch alerts",
    )
}

/// The hour-of-day × day heat map of % upright. A day report has one such row, and under it
/// the hour's monitored and slouched minutes (the `hours` of `history --day --json`).
pub fn heat_map(d: &ReportData, width: f64) -> Scene {
    let day_hours = if d.is_day() {
        d.summary.days().first().and_then(|day| day.hours.clone())
    } else {
        None
    };
    let rows = d.heat.len().max(1);
    let row_h = match rows {
        1 => 30.0,
        2..=7 => 27.0,
        _ => 15.5,
    };
    let label_w = if day_hours.is_some() { 138.0 } else { 118.0 };
    let top = 26.0;
    let grid_w = width - label_w - 4.0;
    let cell_w = grid_w / 24.0;
    let extra_rows = if day_hours.is_some() { 2.0 } else { 0.0 };
    let grid_h = row_h * (rows as f64 + extra_rows);
    let height = top + grid_h + 34.0;
    let mut s = Scene::new(
        width,
        height,
        "Share of calibrated time upright in each local hour",
    );
    // The x axis's title sits at the top left, level with the hour numbers.
    s.text(
        label_w - 8.0,
        top - 10.0,
        "local hour (h)",
        SIZE_SMALL,
        Anchor::End,
    );
    for h in 0..24 {
        if cell_w >= 40.0 || h % 2 == 0 {
            s.text(
                label_w + cell_w * (f64::from(h) + 0.5),
                top - 10.0,
                format!("{h:02}"),
                SIZE_SMALL,
                Anchor::Middle,
            );
        }
    }
    let with_numbers = row_h >= 24.0;
    for (r, row) in d.heat.iter().enumerate() {
        let y = top + row_h * r as f64;
        let size = if row_h < 20.0 { 12.5 } else { SIZE_SMALL };
        let label = if day_hours.is_some() {
            "upright (%)".to_string()
        } else {
            row.label.clone()
        };
        s.shapes.push(Shape::Text {
            x: label_w - 8.0,
            y: y + row_h / 2.0,
            text: label,
            size,
            colour: TEXT,
            anchor: Anchor::End,
            bold: false,
        });
        for (h, cell) in row.upright_pct.iter().enumerate() {
            let x = label_w + cell_w * h as f64;
            match cell {
                Some(p) => {
                    let (fill, white) = heat_colour(*p);
                    s.rect_with(
                        x + 1.0,
                        y + 1.0,
                        cell_w - 2.0,
                        row_h - 2.0,
                        fill,
                        format!("{} {h:02}:00: {p:.1}% upright", row.label),
                        None,
                    );
                    if with_numbers {
                        s.text_in(
                            x + cell_w / 2.0,
                            y + row_h / 2.0,
                            format!("{p:.0}"),
                            if white { WHITE } else { TEXT },
                            Anchor::Middle,
                        );
                    }
                }
                None => s.shapes.push(Shape::NoData {
                    x: x + 1.0,
                    y: y + 1.0,
                    w: cell_w - 2.0,
                    h: row_h - 2.0,
                }),
            }
        }
    }
    if let Some(hours) = &day_hours {
        // Hour slots by clock hour (a day the clock goes back has one label twice: summed).
        let mut monitored = [0.0f64; 24];
        let mut slouched = [0.0f64; 24];
        for h in hours {
            if let Some(i) = usize::try_from(h.hour).ok().filter(|i| *i < 24) {
                monitored[i] += h.monitored_s;
                slouched[i] += h.slouched_s;
            }
        }
        for (r, (label, key, values)) in [
            ("monitored (min)", "monitored_s", &monitored),
            ("slouched (min)", "slouched_s", &slouched),
        ]
        .into_iter()
        .enumerate()
        {
            let y = top + row_h * (rows + r) as f64;
            s.text(
                label_w - 8.0,
                y + row_h / 2.0,
                label,
                SIZE_SMALL,
                Anchor::End,
            );
            s.line(label_w, y, label_w + grid_w, y, LIGHT_GREY, 1.0);
            for (h, v) in values.iter().enumerate() {
                let x = label_w + cell_w * h as f64;
                // An invisible cell carries the exact figure (the SVG's data attributes).
                s.rect_with(
                    x + 1.0,
                    y + 1.0,
                    cell_w - 2.0,
                    row_h - 2.0,
                    WHITE,
                    format!("{h:02}:00 {label}: {:.1}", v / 60.0),
                    Some(Datum {
                        scope: format!("hour-{h}"),
                        key,
                        value: *v,
                    }),
                );
                if *v > 0.0 {
                    s.text_in(
                        x + cell_w / 2.0,
                        y + row_h / 2.0,
                        format!("{:.0}", v / 60.0),
                        if key == "slouched_s" {
                            VERMILLION
                        } else {
                            TEXT
                        },
                        Anchor::Middle,
                    );
                }
            }
        }
    }
    let legend_y = top + grid_h + 18.0;
    let mut x = s.text_at_start(label_w, legend_y, "% of calibrated time upright:");
    for class in 0..HEAT_CLASSES {
        let lo = class * 20;
        let label = if class + 1 == HEAT_CLASSES {
            format!("{lo}–100")
        } else {
            format!("{lo}–{}", lo + 20)
        };
        x = s.swatch(x, legend_y, Some(heat_colour(lo as f64).0), &label);
    }
    s.swatch(x, legend_y, None, "no calibrated data");
    s
}

impl Scene {
    /// A label at `x`; returns the x after it (estimated).
    fn text_at_start(&mut self, x: f64, y: f64, text: &str) -> f64 {
        self.text(x, y, text, SIZE_SMALL, Anchor::Start);
        x + text.chars().count() as f64 * SIZE_SMALL * 0.56 + 14.0
    }
}

/// The plot area of an x–y chart, pixels.
struct Area {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Area {
    fn x(&self, v: f64, lo: f64, hi: f64) -> f64 {
        self.left + (self.right - self.left) * (v - lo) / (hi - lo)
    }

    fn y(&self, v: f64, lo: f64, hi: f64) -> f64 {
        self.bottom - (self.bottom - self.top) * (v - lo) / (hi - lo)
    }
}

/// The flexion range shown by the timeline, degrees.
const TIMELINE_DEG: (f64, f64) = (-30.0, 90.0);

/// The day's flexion minute by minute (min–max per minute, coloured by state), on the ISO 11226
/// bands, with alerts and breaks above and the states in a strip below.
pub fn timeline(t: &Timeline, slouch_threshold_deg: f64, width: f64) -> Scene {
    let (lo, hi) = TIMELINE_DEG;
    let a = Area {
        left: 56.0,
        right: width - 10.0,
        top: 52.0,
        bottom: 232.0,
    };
    let mut s = Scene::new(
        width,
        a.bottom + 128.0,
        "Flexion minute by minute, with alerts, breaks and posture states",
    );
    let (x0, x1) = (t.from_h, t.to_h.max(t.from_h + 1.0));
    // The bands behind the data.
    let bands = [(lo, 20.0), (20.0, 60.0), (60.0, hi)];
    for ((b_lo, b_hi), c) in bands.into_iter().zip(BAND_COLOURS) {
        let (y_top, y_bottom) = (a.y(b_hi, lo, hi), a.y(b_lo, lo, hi));
        s.rect(
            a.left,
            y_top,
            a.right - a.left,
            y_bottom - y_top,
            WHITE.mix(c, 0.14),
        );
    }
    // Axes and grid.
    for v in [-30.0, 0.0, 20.0, 40.0, 60.0, 80.0] {
        let y = a.y(v, lo, hi);
        s.line(a.left - 6.0, y, a.left, y, AXIS, 1.0);
        s.text(a.left - 9.0, y, deg(v), SIZE_SMALL, Anchor::End);
        if v == 0.0 {
            s.line(a.left, y, a.right, y, GREY, 1.0);
        }
    }
    s.dashed(a.left, a.y(20.0, lo, hi), a.right, a.y(20.0, lo, hi), AXIS);
    s.dashed(a.left, a.y(60.0, lo, hi), a.right, a.y(60.0, lo, hi), AXIS);
    if (slouch_threshold_deg - 20.0).abs() > 0.05 && slouch_threshold_deg < hi {
        let y = a.y(slouch_threshold_deg, lo, hi);
        s.dashed(a.left, y, a.right, y, VERMILLION);
        s.text_in(
            a.right - 4.0,
            y - 9.0,
            format!("slouch threshold {}", deg(slouch_threshold_deg)),
            VERMILLION,
            Anchor::End,
        );
    }
    s.text(
        a.left - 50.0,
        a.top - 36.0,
        "flexion (°)",
        SIZE_SMALL,
        Anchor::Start,
    );
    s.line(a.left, a.top, a.left, a.bottom, AXIS, 1.0);
    s.line(a.left, a.bottom, a.right, a.bottom, AXIS, 1.0);
    // The minutes.
    let minute_w = ((a.right - a.left) / ((x1 - x0) * 60.0)).max(1.0);
    let strip_y = a.bottom + 8.0;
    for m in &t.minutes {
        let x = a.x(m.at_h, x0, x1);
        let c = state_colour(m.state);
        s.rect(x, strip_y, minute_w, 14.0, c);
        if let (Some(fmin), Some(fmax)) = (m.flexion_min_deg, m.flexion_max_deg) {
            let (y_top, y_bottom) = (
                a.y(fmax.clamp(lo, hi), lo, hi),
                a.y(fmin.clamp(lo, hi), lo, hi),
            );
            s.rect(x, y_top, minute_w, (y_bottom - y_top).max(2.0), c);
        }
    }
    // Alerts (triangles pointing down) and breaks (diamonds) above the plot.
    for m in &t.marks {
        let x = a.x(m.at_h, x0, x1);
        match m.alert {
            Some((kind, outcome)) => {
                let y = if kind == AlertKind::Slouch {
                    a.top - 30.0
                } else {
                    a.top - 12.0
                };
                let fill = outcome_colour(outcome);
                let points = if kind == AlertKind::Slouch {
                    vec![(x - 6.0, y - 7.0), (x + 6.0, y - 7.0), (x, y + 5.0)]
                } else {
                    vec![
                        (x - 6.0, y - 6.0),
                        (x + 6.0, y - 6.0),
                        (x + 6.0, y + 6.0),
                        (x - 6.0, y + 6.0),
                    ]
                };
                s.shapes.push(Shape::Polygon {
                    points,
                    fill,
                    outline: BLACK,
                });
            }
            None => {
                let y = a.top - 12.0;
                s.shapes.push(Shape::Polygon {
                    points: vec![(x, y - 7.0), (x + 7.0, y), (x, y + 7.0), (x - 7.0, y)],
                    fill: BLUE,
                    outline: BLACK,
                });
            }
        }
    }
    // The time axis.
    let axis_y = strip_y + 14.0 + 6.0;
    for (h, label) in &t.ticks {
        let x = a.x(*h, x0, x1);
        s.line(x, axis_y - 4.0, x, axis_y + 2.0, AXIS, 1.0);
        s.text(x, axis_y + 13.0, label.clone(), SIZE_SMALL, Anchor::Middle);
    }
    s.text(
        (a.left + a.right) / 2.0,
        axis_y + 32.0,
        "local time (h)",
        SIZE_SMALL,
        Anchor::Middle,
    );
    // Legend.
    let ly = axis_y + 56.0;
    let mut x = a.left;
    for st in [
        PostureState::Upright,
        PostureState::Slouched,
        PostureState::LeaningBack,
        PostureState::Moving,
        PostureState::Uncalibrated,
    ] {
        x = s.swatch(x, ly, Some(state_colour(st)), st.label());
    }
    x += 10.0;
    s.shapes.push(Shape::Polygon {
        points: vec![(x, ly - 6.0), (x + 12.0, ly - 6.0), (x + 6.0, ly + 6.0)],
        fill: WHITE,
        outline: BLACK,
    });
    x = s.text_at_start(x + 18.0, ly, "slouch alert");
    s.shapes.push(Shape::Polygon {
        points: vec![
            (x, ly - 6.0),
            (x + 12.0, ly - 6.0),
            (x + 12.0, ly + 6.0),
            (x, ly + 6.0),
        ],
        fill: WHITE,
        outline: BLACK,
    });
    x = s.text_at_start(x + 18.0, ly, "break reminder");
    s.shapes.push(Shape::Polygon {
        points: vec![
            (x + 6.0, ly - 7.0),
            (x + 13.0, ly),
            (x + 6.0, ly + 7.0),
            (x - 1.0, ly),
        ],
        fill: BLUE,
        outline: BLACK,
    });
    s.text_at_start(x + 18.0, ly, "break taken");
    // The alerts' fill says how they were answered: second legend line.
    let ly2 = ly + 22.0;
    let mut x = s.text_at_start(a.left, ly2, "alert fill:");
    for o in [
        AlertOutcome::Corrected,
        AlertOutcome::Snoozed,
        AlertOutcome::Ignored,
        AlertOutcome::Open,
        AlertOutcome::HeldBack,
    ] {
        let label = match o {
            AlertOutcome::HeldBack => "held back",
            other => other.as_str(),
        };
        x = s.swatch(x, ly2, Some(outcome_colour(o)), label);
    }
    s
}

/// A nice step for an axis from 0 to `max` with about `n` ticks.
fn nice_step(max: f64, n: f64) -> f64 {
    let raw = (max / n).max(1e-9);
    let mag = 10f64.powf(raw.log10().floor());
    let r = raw / mag;
    let nice = if r <= 1.0 {
        1.0
    } else if r <= 2.0 {
        2.0
    } else if r <= 2.5 {
        2.5
    } else if r <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Axes of a bar chart: y from 0 to `y_max` in `unit`, labels at every tick.
fn bar_axes(s: &mut Scene, a: &Area, y_max: f64, y_title: &str, x_title: &str) {
    let step = nice_step(y_max, 4.0);
    let mut v = 0.0;
    while v <= y_max + 1e-9 {
        let y = a.y(v, 0.0, y_max);
        s.line(a.left - 6.0, y, a.left, y, AXIS, 1.0);
        if v > 0.0 {
            s.line(a.left, y, a.right, y, LIGHT_GREY, 1.0);
        }
        let label = if step.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        };
        s.text(a.left - 9.0, y, label, SIZE_SMALL, Anchor::End);
        v += step;
    }
    s.text(
        a.left - 50.0,
        a.top - 20.0,
        y_title,
        SIZE_SMALL,
        Anchor::Start,
    );
    s.line(a.left, a.top, a.left, a.bottom, AXIS, 1.0);
    s.line(a.left, a.bottom, a.right, a.bottom, AXIS, 1.0);
    s.text(
        (a.left + a.right) / 2.0,
        a.bottom + 36.0,
        x_title,
        SIZE_SMALL,
        Anchor::Middle,
    );
}

/// Week and month reports: hours per day, stacked by posture state.
pub fn daily_bars(d: &ReportData, width: f64) -> Option<Scene> {
    if d.is_day() {
        return None;
    }
    let days = d.summary.days();
    let max_h = days
        .iter()
        .map(|day| day.figures.monitored_s / 3600.0)
        .fold(0.0, f64::max)
        .max(1.0);
    let step = nice_step(max_h, 4.0);
    let y_max = (max_h / step).ceil() * step;
    let a = Area {
        left: 56.0,
        right: width - 10.0,
        top: 30.0,
        bottom: 180.0,
    };
    let mut s = Scene::new(
        width,
        a.bottom + 76.0,
        "Wear time per day, by posture state",
    );
    let x_title = match d.period {
        super::ReportPeriod::Month { .. } => "day of the month",
        _ => "day",
    };
    bar_axes(&mut s, &a, y_max, "wear time (h)", x_title);
    let slot = (a.right - a.left) / days.len().max(1) as f64;
    let states = [
        PostureState::Upright,
        PostureState::Slouched,
        PostureState::LeaningBack,
        PostureState::Moving,
        PostureState::Uncalibrated,
    ];
    for (i, (day, detail)) in days.iter().zip(&d.days).enumerate() {
        let x = a.left + slot * i as f64 + slot * 0.15;
        let w = slot * 0.7;
        let st = &day.figures.state_s;
        let values = [
            st.upright,
            st.slouched,
            st.leaning_back,
            st.moving,
            st.uncalibrated,
        ];
        let keys = [
            "state_s.upright",
            "state_s.slouched",
            "state_s.leaning_back",
            "state_s.moving",
            "state_s.uncalibrated",
        ];
        let mut base = 0.0;
        for ((state, v), key) in states.iter().zip(values).zip(keys) {
            if v <= 0.0 {
                continue;
            }
            let (y_top, y_bottom) = (
                a.y((base + v) / 3600.0, 0.0, y_max),
                a.y(base / 3600.0, 0.0, y_max),
            );
            s.rect_with(
                x,
                y_top,
                w,
                y_bottom - y_top,
                state_colour(*state),
                format!("{} {}: {:.2} h", detail.label, state.label(), v / 3600.0),
                Some(Datum {
                    scope: day.day.clone(),
                    key,
                    value: v,
                }),
            );
            base += v;
        }
        let label = if days.len() <= 7 {
            detail.label.clone()
        } else {
            detail.date.format("%-d").to_string()
        };
        s.text(
            x + w / 2.0,
            a.bottom + 14.0,
            label,
            SIZE_SMALL,
            Anchor::Middle,
        );
    }
    let ly = a.bottom + 62.0;
    let mut x = a.left;
    for st in states {
        x = s.swatch(x, ly, Some(state_colour(st)), st.label());
    }
    Some(s)
}
