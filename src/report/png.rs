//! The report as a PNG: one A4 page at 150 dpi (1240 × 1754 px), drawn with plotters into a
//! plain RGB buffer and encoded with the `png` crate.
//!
//! Text is drawn by plotters' `ab_glyph` backend from DejaVu Sans embedded in the binary
//! (`assets/fonts/`), so nothing is looked up on the system (no fontconfig, no freetype); each
//! glyph is placed from the font's own metrics (see `Painter::layout`). The
//! words and numbers come from [`super::text`] and the charts from [`super::charts`], as in the
//! HTML; only the layout differs: the page is fixed, so the sections are packed into columns, and
//! the one chart that is not part of every report — the day's minute-by-minute timeline, or the
//! week's or month's day-by-day bars — is left out when the rest would not fit (a month's heat map
//! of 31 rows takes its place; the HTML has it all). The per-day table is in the HTML only (the
//! heat map and the bars show the days here).

use std::cell::Cell;
use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};

use plotters::backend::BitMapBackend;
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, IntoDrawingArea};
use plotters::element::{PathElement, Polygon, Rectangle, Text};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{
    Color, FontDesc, FontFamily, FontStyle, RGBColor, ShapeStyle, register_font,
};

use super::charts::{self, Anchor, Rgb, Scene, Shape, colour::*};
use super::text::{self, Fact};
use super::{ReportData, ReportError};

/// Dots per inch of the page, written into the PNG's `pHYs` chunk.
pub const DPI: u32 = 150;
/// A4 (210 × 297 mm) at [`DPI`], pixels.
pub const PAGE_W: u32 = 1240;
pub const PAGE_H: u32 = 1754;
/// Page margin, pixels (≈ 9 mm).
const MARGIN: f64 = 54.0;
/// Gap between columns and between sections, pixels.
const GAP: f64 = 24.0;
const SECTION_GAP: f64 = 14.0;

/// DejaVu Sans 2.37 (Bitstream Vera licence, see `assets/fonts/DejaVuSans-LICENSE.txt`).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "spinewatch-dejavu-sans";

/// ab_glyph scales a font so that ascent − descent is the size asked for; SVG and CSS sizes are
/// the em. DejaVu Sans: (1901 + 483) / 2048 units.
const SCALE_PER_EM: f64 = 2384.0 / 2048.0;

/// Text sizes, pixels per em (16 px ≈ 7.7 pt at 150 dpi).
const TEXT: f64 = 16.0;
const SMALL: f64 = 13.5;
const HEADING: f64 = 16.5;
/// The notes at the bottom.
const NOTE: f64 = 12.8;

/// Registers the font with plotters (once) and returns it for its metrics.
fn register() -> Result<&'static FontRef<'static>, ReportError> {
    static REGISTERED: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            let ok = register_font(FAMILY, FontStyle::Normal, FONT).is_ok();
            FontRef::try_from_slice(FONT).ok().filter(|_| ok)
        })
        .as_ref()
        .ok_or(ReportError::Font {
            name: "DejaVuSans.ttf",
        })
}

fn draw_error(e: impl std::fmt::Display) -> ReportError {
    ReportError::Draw {
        message: e.to_string(),
    }
}

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// The page as PNG bytes.
pub fn render(d: &ReportData) -> Result<Vec<u8>, ReportError> {
    let metrics = register()?;
    let mut buf = vec![255u8; PAGE_W as usize * PAGE_H as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (PAGE_W, PAGE_H)).into_drawing_area();
        let painter = Painter {
            area: &root,
            metrics,
            dry: Cell::new(true),
        };
        // Measure first: the optional chart goes in only if everything fits.
        let bottom = f64::from(PAGE_H) - MARGIN;
        let with_chart = page(&painter, d, true)? <= bottom;
        painter.dry.set(false);
        page(&painter, d, with_chart)?;
        root.present().map_err(draw_error)?;
    }
    encode(&buf)
}

fn encode(rgb_pixels: &[u8]) -> Result<Vec<u8>, ReportError> {
    let mut out = Vec::new();
    let encode_err = |source| ReportError::Encode { source };
    {
        let mut encoder = ::png::Encoder::new(&mut out, PAGE_W, PAGE_H);
        encoder.set_color(::png::ColorType::Rgb);
        encoder.set_depth(::png::BitDepth::Eight);
        // 150 dpi = 5905.5 pixels per metre.
        let ppm = (f64::from(DPI) / 0.0254).round() as u32;
        encoder.set_pixel_dims(Some(::png::PixelDimensions {
            xppu: ppm,
            yppu: ppm,
            unit: ::png::Unit::Meter,
        }));
        let mut writer = encoder.write_header().map_err(encode_err)?;
        writer.write_image_data(rgb_pixels).map_err(encode_err)?;
        writer.finish().map_err(encode_err)?;
    }
    Ok(out)
}

/// Draws on the page, or (while `dry`) only measures.
struct Painter<'a, 'b> {
    area: &'a DrawingArea<BitMapBackend<'b>, Shift>,
    metrics: &'static FontRef<'static>,
    dry: Cell<bool>,
}

fn font(size: f64) -> FontDesc<'static> {
    FontDesc::new(
        FontFamily::Name(FAMILY),
        size * SCALE_PER_EM,
        FontStyle::Normal,
    )
}

fn pt(x: f64, y: f64) -> (i32, i32) {
    (x.round() as i32, y.round() as i32)
}

impl Painter<'_, '_> {
    /// Where each glyph of `text` starts (its leftmost ink, from the pen position plus its side
    /// bearing) and the advance of the whole text, pixels.
    ///
    /// plotters' ab_glyph backend draws a string's glyphs at their pen positions without their
    /// side bearings, which spaces letters unevenly at these sizes; so text is drawn one glyph at
    /// a time, each where the font puts it.
    fn layout(&self, text: &str, size: f64) -> (Vec<(char, f64)>, f64) {
        let scaled = self
            .metrics
            .as_scaled(PxScale::from((size * SCALE_PER_EM) as f32));
        let mut pen = 0.0f32;
        let mut prev = None;
        let mut glyphs = Vec::with_capacity(text.len());
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                pen += scaled.kern(p, id);
            }
            glyphs.push((c, f64::from(pen + scaled.h_side_bearing(id))));
            pen += scaled.h_advance(id);
            prev = Some(id);
        }
        (glyphs, f64::from(pen))
    }

    fn width_of(&self, text: &str, size: f64) -> f64 {
        self.layout(text, size).1
    }

    /// Text with its vertical middle at `y` (as SVG's `dominant-baseline="central"`).
    #[allow(clippy::too_many_arguments)]
    fn text(
        &self,
        x: f64,
        y: f64,
        s: &str,
        size: f64,
        c: Rgb,
        anchor: Anchor,
        bold: bool,
    ) -> Result<(), ReportError> {
        if self.dry.get() || s.is_empty() {
            return Ok(());
        }
        let (glyphs, width) = self.layout(s, size);
        let start = match anchor {
            Anchor::Start => x,
            Anchor::Middle => x - width / 2.0,
            Anchor::End => x - width,
        };
        let colour = rgb(c);
        let style = font(size)
            .color(&colour)
            .pos(Pos::new(HPos::Left, VPos::Center));
        // plotters' ab_glyph backend puts the baseline ~0.11 em below a centred position; the
        // middle of the x-height is ~0.35 em above the baseline.
        let y = y + 0.24 * size;
        // No bold face is embedded: bold overdraws one pixel to the right.
        let passes: &[f64] = if bold { &[0.0, 1.0] } else { &[0.0] };
        for (ch, at) in glyphs {
            if ch.is_whitespace() {
                continue;
            }
            for dx in passes {
                self.area
                    .draw(&Text::new(
                        ch.to_string(),
                        pt(start + at + dx, y),
                        style.clone(),
                    ))
                    .map_err(draw_error)?;
            }
        }
        Ok(())
    }

    fn rect(&self, x: f64, y: f64, w: f64, h: f64, c: Rgb) -> Result<(), ReportError> {
        if self.dry.get() || w <= 0.0 || h <= 0.0 {
            return Ok(());
        }
        // plotters-bitmap fills an opaque rectangle from its first corner up to, not including,
        // the second: pixel edges, as the SVG's. At least one pixel either way.
        let (x0, y0) = pt(x, y);
        let (x1, y1) = pt(x + w, y + h);
        self.area
            .draw(&Rectangle::new(
                [(x0, y0), (x1.max(x0 + 1), y1.max(y0 + 1))],
                rgb(c).filled(),
            ))
            .map_err(draw_error)
    }

    fn line(
        &self,
        (x1, y1): (f64, f64),
        (x2, y2): (f64, f64),
        c: Rgb,
        width: f64,
        dashed: bool,
    ) -> Result<(), ReportError> {
        if self.dry.get() {
            return Ok(());
        }
        let style = ShapeStyle {
            color: rgb(c).to_rgba(),
            filled: false,
            stroke_width: width.round().max(1.0) as u32,
        };
        if !dashed {
            return self
                .area
                .draw(&PathElement::new(vec![pt(x1, y1), pt(x2, y2)], style))
                .map_err(draw_error);
        }
        // 6 on, 4 off, as the SVG's stroke-dasharray.
        let len = (x2 - x1).hypot(y2 - y1);
        let (ux, uy) = if len > 0.0 {
            ((x2 - x1) / len, (y2 - y1) / len)
        } else {
            (0.0, 0.0)
        };
        let mut t = 0.0;
        while t < len {
            let e = (t + 6.0).min(len);
            self.area
                .draw(&PathElement::new(
                    vec![pt(x1 + ux * t, y1 + uy * t), pt(x1 + ux * e, y1 + uy * e)],
                    style,
                ))
                .map_err(draw_error)?;
            t += 10.0;
        }
        Ok(())
    }

    fn polygon(&self, points: &[(f64, f64)], fill: Rgb, outline: Rgb) -> Result<(), ReportError> {
        if self.dry.get() || points.is_empty() {
            return Ok(());
        }
        let pts: Vec<(i32, i32)> = points.iter().map(|(x, y)| pt(*x, *y)).collect();
        self.area
            .draw(&Polygon::new(pts.clone(), rgb(fill).filled()))
            .map_err(draw_error)?;
        let mut closed = pts;
        if let Some(first) = closed.first().copied() {
            closed.push(first);
        }
        self.area
            .draw(&PathElement::new(closed, rgb(outline).stroke_width(1)))
            .map_err(draw_error)
    }

    /// A chart at `(ox, oy)`; returns its height.
    fn scene(&self, s: &Scene, ox: f64, oy: f64) -> Result<f64, ReportError> {
        for shape in &s.shapes {
            match shape {
                Shape::Rect {
                    x, y, w, h, fill, ..
                } => self.rect(ox + x, oy + y, *w, *h, *fill)?,
                Shape::NoData { x, y, w, h } => {
                    self.rect(ox + x, oy + y, *w, *h, LIGHT_GREY)?;
                    self.line((ox + x, oy + y + h), (ox + x + w, oy + y), GREY, 1.0, false)?;
                }
                Shape::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    colour,
                    width,
                    dashed,
                } => self.line(
                    (ox + x1, oy + y1),
                    (ox + x2, oy + y2),
                    *colour,
                    *width,
                    *dashed,
                )?,
                Shape::Polygon {
                    points,
                    fill,
                    outline,
                } => {
                    let moved: Vec<(f64, f64)> =
                        points.iter().map(|(x, y)| (ox + x, oy + y)).collect();
                    self.polygon(&moved, *fill, *outline)?;
                }
                Shape::Text {
                    x,
                    y,
                    text,
                    size,
                    colour,
                    anchor,
                    bold,
                } => self.text(ox + x, oy + y, text, *size, *colour, *anchor, *bold)?,
            }
        }
        Ok(s.height)
    }

    /// Splits `text` into lines no wider than `width` at `size` (at most `max_lines`; the last
    /// one cut with an ellipsis).
    fn wrap(&self, text: &str, size: f64, width: f64, max_lines: usize) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        let mut line = String::new();
        for word in self.split_long_words(text, size, width) {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if self.width_of(&candidate, size) <= width || line.is_empty() {
                line = candidate;
            } else {
                lines.push(std::mem::replace(&mut line, word.to_string()));
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        if lines.len() > max_lines {
            lines.truncate(max_lines);
            if let Some(last) = lines.last_mut() {
                while !last.is_empty() && self.width_of(&format!("{last} …"), size) > width {
                    last.pop();
                }
                last.push_str(" …");
            }
        }
        lines
    }

    /// The words of `text`, any wider than `width` cut into pieces that fit.
    fn split_long_words(&self, text: &str, size: f64, width: f64) -> Vec<String> {
        let mut out = Vec::new();
        for word in text.split_whitespace() {
            if self.width_of(word, size) <= width {
                out.push(word.to_string());
                continue;
            }
            let mut piece = String::new();
            for ch in word.chars() {
                piece.push(ch);
                if self.width_of(&piece, size) > width {
                    piece.pop();
                    out.push(std::mem::take(&mut piece));
                    piece.push(ch);
                }
            }
            if !piece.is_empty() {
                out.push(piece);
            }
        }
        out
    }

    /// A paragraph; returns its height.
    #[allow(clippy::too_many_arguments)]
    fn paragraph(
        &self,
        x: f64,
        y: f64,
        width: f64,
        s: &str,
        size: f64,
        c: Rgb,
        bold: bool,
    ) -> Result<f64, ReportError> {
        let line_h = size * 1.3;
        let lines = self.wrap(s, size, width, 8);
        for (i, l) in lines.iter().enumerate() {
            self.text(
                x,
                y + line_h * (i as f64 + 0.5),
                l,
                size,
                c,
                Anchor::Start,
                bold,
            )?;
        }
        Ok(line_h * lines.len() as f64)
    }

    /// A section heading with its rule; returns its height.
    fn heading(&self, x: f64, y: f64, width: f64, title: &str) -> Result<f64, ReportError> {
        self.text(x, y + 9.0, title, HEADING, TEXT_COLOUR, Anchor::Start, true)?;
        self.rect(x, y + 21.0, width, 2.0, BLUE)?;
        Ok(29.0)
    }

    /// Labelled figures: labels in one column, values after them (wrapped when long), notes
    /// after the value or on the next line. Returns the height.
    fn facts(&self, x: f64, y: f64, width: f64, facts: &[Fact]) -> Result<f64, ReportError> {
        let row_h = TEXT * 1.25;
        let label_w = facts
            .iter()
            .map(|f| self.width_of(&f.label, TEXT))
            .fold(0.0, f64::max)
            + 12.0;
        let value_x = x + label_w;
        let value_w = (width - label_w).max(40.0);
        let mut at = y;
        for f in facts {
            self.text(
                x,
                at + row_h / 2.0,
                &f.label,
                TEXT,
                MUTED,
                Anchor::Start,
                false,
            )?;
            let lines = self.wrap(&f.text, TEXT, value_w, 3);
            for (i, l) in lines.iter().enumerate() {
                self.text(
                    value_x,
                    at + row_h * (i as f64 + 0.5),
                    l,
                    TEXT,
                    TEXT_COLOUR,
                    Anchor::Start,
                    true,
                )?;
            }
            let last_w = lines.last().map_or(0.0, |l| self.width_of(l, TEXT));
            at += row_h * lines.len().max(1) as f64;
            if let Some(note) = &f.note {
                let room = value_w - last_w - 10.0;
                if self.width_of(note, SMALL) <= room {
                    self.text(
                        value_x + last_w + 10.0,
                        at - row_h / 2.0,
                        note,
                        SMALL,
                        MUTED,
                        Anchor::Start,
                        false,
                    )?;
                } else {
                    at += self.paragraph(value_x, at - 2.0, value_w, note, SMALL, MUTED, false)?;
                }
            }
        }
        Ok(at - y)
    }
}

const TEXT_COLOUR: Rgb = charts::colour::TEXT;

/// Lays out (or measures) the page; returns the y of its bottom.
///
/// Header and cards; the optional chart; the heat map; then the figures in three fixed columns
/// (period and data, calibration, thresholds | states, bands, holds | alerts, breaks, bouts);
/// the notes at the bottom.
fn page(p: &Painter, d: &ReportData, with_chart: bool) -> Result<f64, ReportError> {
    let x0 = MARGIN;
    let width = f64::from(PAGE_W) - 2.0 * MARGIN;
    let mut y = MARGIN;

    // Header.
    p.text(x0, y + 12.0, "spinewatch", 27.0, BLUE, Anchor::Start, true)?;
    let app_w = p.width_of("spinewatch ", 27.0);
    p.text(
        x0 + app_w,
        y + 12.0,
        "posture report",
        27.0,
        TEXT_COLOUR,
        Anchor::Start,
        true,
    )?;
    y += 36.0;
    p.text(
        x0,
        y + 10.0,
        &d.title,
        19.0,
        TEXT_COLOUR,
        Anchor::Start,
        true,
    )?;
    y += 26.0;
    let meta = format!(
        "{}. Times are local ({}). Angles are relative to the wearer's calibrated upright, \
         positive forward. Not a medical device.",
        text::period_line(d),
        d.utc_offset
    );
    y += p.paragraph(x0, y, width, &meta, SMALL, MUTED, false)?;
    y += 8.0;

    // Cards.
    let cards = text::headline(d);
    let card_gap = 12.0;
    let card_w = (width - card_gap * (cards.len() as f64 - 1.0)) / cards.len() as f64;
    let card_h = 72.0;
    for (i, f) in cards.iter().enumerate() {
        let cx = x0 + (card_w + card_gap) * i as f64;
        if !p.dry.get() {
            p.rect(cx, y, card_w, card_h, Rgb(0xC8, 0xC8, 0xC8))?;
            p.rect(cx + 1.5, y + 1.5, card_w - 3.0, card_h - 3.0, WHITE)?;
        }
        p.text(
            cx + 10.0,
            y + 14.0,
            &f.label,
            SMALL,
            MUTED,
            Anchor::Start,
            false,
        )?;
        p.text(
            cx + 10.0,
            y + 38.0,
            &f.text,
            22.0,
            TEXT_COLOUR,
            Anchor::Start,
            true,
        )?;
        if let Some(n) = &f.note {
            p.text(cx + 10.0, y + 59.0, n, 12.5, MUTED, Anchor::Start, false)?;
        }
    }
    y += card_h + SECTION_GAP + 2.0;

    // The optional big chart.
    if with_chart {
        if let Some(t) = &d.timeline {
            y += p.heading(x0, y, width, "The day minute by minute")?;
            let s = charts::timeline(t, d.thresholds.config.slouch_threshold_deg, width);
            y += p.scene(&s, x0, y)? + SECTION_GAP;
        } else if let Some(s) = charts::daily_bars(d, width) {
            y += p.heading(x0, y, width, "Day by day")?;
            y += p.scene(&s, x0, y)? + SECTION_GAP;
        }
    }

    // The heat map.
    y += p.heading(x0, y, width, "Upright share by hour of day")?;
    y += p.scene(&charts::heat_map(d, width), x0, y)? + SECTION_GAP;

    // Three columns of figures.
    let col_w = (width - 2.0 * GAP) / 3.0;
    let cols = [x0, x0 + col_w + GAP, x0 + 2.0 * (col_w + GAP)];
    let top = y;

    let x = cols[0];
    let mut c = top;
    c += p.heading(x, c, col_w, "Period, wear time and data")?;
    c += p.facts(x, c, col_w, &text::period_facts(d))?;
    if let Some(sentence) = &d.comparison {
        c += 2.0;
        c += p.paragraph(
            x,
            c,
            col_w,
            &format!("Trend: {sentence}"),
            SMALL,
            MUTED,
            false,
        )?;
    }
    c += SECTION_GAP;
    c += p.heading(x, c, col_w, "Thresholds in force")?;
    c += p.paragraph(x, c, col_w, &text::threshold_source(d), SMALL, MUTED, false)? + 3.0;
    c += p.facts(x, c, col_w, &text::threshold_facts(d))?;
    let bottom0 = c;

    let x = cols[1];
    let mut c = top;
    c += p.heading(x, c, col_w, "Posture states")?;
    c += p.scene(&charts::state_bar(d, col_w), x, c)?;
    c += p.facts(x, c, col_w, &text::state_facts(d))? + SECTION_GAP;
    c += p.heading(x, c, col_w, "Flexion bands (ISO 11226)")?;
    c += p.scene(&charts::band_bar(d, col_w), x, c)?;
    c += p.facts(x, c, col_w, &text::band_facts(d))? + SECTION_GAP;
    c += p.heading(x, c, col_w, "Longest holds over the threshold")?;
    c += holds(p, x, c, col_w, d)?;
    let bottom1 = c;

    let x = cols[2];
    let mut c = top;
    c += p.heading(x, c, col_w, "Alerts and how they were answered")?;
    c += p.facts(x, c, col_w, &text::alert_facts(d))? + SECTION_GAP;
    c += p.heading(x, c, col_w, "Breaks")?;
    c += p.facts(x, c, col_w, &text::break_facts(d))? + SECTION_GAP;
    c += p.heading(x, c, col_w, "Sitting bouts")?;
    c += p.facts(x, c, col_w, &text::bout_facts(d))? + SECTION_GAP;
    c += p.heading(x, c, col_w, "Calibration")?;
    for line in text::calibration_lines(d) {
        c += p.paragraph(x, c, col_w, &line, SMALL, TEXT_COLOUR, false)? + 2.0;
    }
    let bottom2 = c;
    y = bottom0.max(bottom1).max(bottom2) + SECTION_GAP;

    // Notes.
    y += p.heading(x0, y, width, "Reading this report")?;
    let notes = text::notes(d);
    for (i, n) in notes.iter().enumerate() {
        let last = i + 1 == notes.len();
        let indent = if last { 12.0 } else { 0.0 };
        let h = p.paragraph(x0 + indent, y, width - indent, n, NOTE, TEXT_COLOUR, last)?;
        if last {
            p.rect(x0, y + 1.0, 4.0, h - 2.0, VERMILLION)?;
        }
        y += h + 3.0;
    }
    y += 4.0;
    let footer = format!(
        "Made by spinewatch {} on {} from the posture history; the figures are those of \
         \u{201c}spinewatch history --json\u{201d} for the same period.",
        env!("CARGO_PKG_VERSION"),
        d.generated
    );
    y += p.paragraph(x0, y, width, &footer, 12.0, MUTED, false)?;
    Ok(y)
}

/// The holds table; returns its height.
fn holds(p: &Painter, x: f64, y: f64, width: f64, d: &ReportData) -> Result<f64, ReportError> {
    if d.holds.is_empty() {
        return p.paragraph(
            x,
            y,
            width,
            "No slouch was held long enough to count as an episode.",
            TEXT,
            MUTED,
            false,
        );
    }
    let row_h = TEXT * 1.25;
    // Column right edges (the first column is left-aligned).
    let cols = [
        (x, "Started", Anchor::Start),
        (x + width * 0.66, "Held", Anchor::End),
        (x + width * 0.85, "Peak", Anchor::End),
        (x + width, "Alerts", Anchor::End),
    ];
    for (cx, title, a) in cols {
        p.text(cx, y + row_h / 2.0, title, SMALL, MUTED, a, true)?;
    }
    p.rect(x, y + row_h, width, 1.0, GREY)?;
    let mut at = y + row_h + 2.0;
    for h in &d.holds {
        let cells = [
            h.when.clone(),
            text::duration(h.duration_s),
            h.peak_flexion_deg
                .map_or_else(|| "—".to_string(), |v| format!("{v:.0}°")),
            h.alerts.to_string(),
        ];
        for ((cx, _, a), cell) in cols.iter().zip(&cells) {
            p.text(*cx, at + row_h / 2.0, cell, TEXT, TEXT_COLOUR, *a, false)?;
        }
        at += row_h;
    }
    let f = d.figures();
    let note = format!(
        "{} episode{} in all; the {} longest are listed.",
        f.slouch_episodes,
        if f.slouch_episodes == 1 { "" } else { "s" },
        d.holds.len()
    );
    at += p.paragraph(x, at + 2.0, width, &note, SMALL, MUTED, false)?;
    Ok(at - y)
}
