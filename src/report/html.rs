//! The report as one self-contained HTML file: maud for the markup (escaped, checked at compile
//! time), the charts as inline SVG written from [`super::charts`], the stylesheet embedded, with
//! a print stylesheet for A4. No scripts, no fonts, no images, no links to anything outside the
//! file: it can be mailed, archived or opened offline years later.
//!
//! Every figure that `spinewatch history --json` also gives carries `data-scope` (`total`, a day
//! `YYYY-MM-DD`, or `hour-N`), `data-key` (its JSON key) and `data-value` (the exact number), so
//! the page can be checked against the JSON by a script.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::ReportData;
use super::charts::{self, Anchor, Scene, Shape, colour};
use super::text::{self, Cell, DAY_COLUMNS, Fact};

/// The page width the charts are drawn for, page pixels (A4 at 150 dpi less the margins).
pub const FULL_WIDTH: f64 = 1120.0;
/// A chart in one of two columns.
pub const HALF_WIDTH: f64 = 540.0;

const CSS: &str = r#"
* { box-sizing: border-box; }
html { background: #f2f2f2; }
body { font-family: "DejaVu Sans", "Noto Sans", "Helvetica Neue", Arial, sans-serif; color: #111;
  background: #fff; max-width: 210mm; margin: 0 auto; padding: 10mm 10mm 8mm; font-size: 10pt;
  line-height: 1.35; }
header { margin-bottom: 4mm; }
h1 { font-size: 16pt; margin: 0 0 1mm; }
h1 .app { color: #0072b2; }
h2 { font-size: 11.5pt; margin: 0 0 2mm; padding-bottom: 0.8mm; border-bottom: 0.4mm solid #0072b2; }
h3 { font-size: 10pt; margin: 2.5mm 0 1mm; }
p { margin: 0 0 1.5mm; }
.meta, .note, .muted { color: #555; }
.meta { font-size: 9pt; }
section { margin: 0 0 4.5mm; break-inside: avoid; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 6mm; }
.cols > section { margin-bottom: 0; }
.row { margin-bottom: 4.5mm; }
.cards { display: grid; grid-template-columns: repeat(6, 1fr); gap: 2mm; }
.card { border: 0.3mm solid #c8c8c8; border-radius: 1.5mm; padding: 1.6mm 1.8mm; min-width: 0; }
.card .label, .card .note { font-size: 7.5pt; color: #555; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.card .value { font-size: 12.5pt; font-weight: bold; white-space: nowrap; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; }
th, td { text-align: left; padding: 0.5mm 1.4mm; border-bottom: 0.2mm solid #e0e0e0;
  vertical-align: top; }
thead th { border-bottom: 0.3mm solid #888; font-weight: bold; }
th { font-weight: normal; }
table.facts th { width: 1%; white-space: nowrap; color: #444; }
table.facts td.num { width: 1%; font-weight: bold; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.note { font-size: 8pt; }
tr.empty td { color: #888; }
svg { display: block; width: 100%; height: auto; margin: 1mm 0 2mm; }
svg text { font-family: inherit; }
.sentence { font-style: italic; }
.notes p { font-size: 8.5pt; }
.medical { border-left: 1mm solid #d55e00; padding-left: 2mm; }
footer { color: #555; font-size: 8pt; border-top: 0.2mm solid #c8c8c8; padding-top: 1.5mm; }
@page { size: A4; margin: 10mm; }
@media print {
  html { background: none; }
  body { max-width: none; margin: 0; padding: 0; font-size: 9pt; }
  section, .row { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
}
@media (max-width: 160mm) {
  .cols { grid-template-columns: 1fr; }
  .cards { grid-template-columns: repeat(3, 1fr); }
}
"#;

/// A number for a `data-value` or an SVG coordinate: the shortest text that reads back exactly.
fn exact(v: f64) -> String {
    format!("{v}")
}

/// SVG coordinates to 0.1 px: enough at any print size, and short.
fn px(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 { "0".into() } else { format!("{r}") }
}

/// The whole page.
pub fn render(d: &ReportData) -> String {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content=(concat!("spinewatch ", env!("CARGO_PKG_VERSION")));
                title { "spinewatch posture report — " (d.title) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 { span.app { "spinewatch" } " posture report" }
                    p { strong { (d.title) } }
                    p.meta {
                        (text::period_line(d)) ". Times are local (" (d.utc_offset) "). "
                        "Angles are relative to the wearer's calibrated upright, positive forward. "
                        "Not a medical device."
                    }
                }
                section.cards aria-label="Summary" {
                    @for f in text::headline(d) {
                        div.card {
                            div.label { (f.label) }
                            (figure_div(&f))
                            @if let Some(n) = &f.note { div.note { (n) } }
                        }
                    }
                }
                section {
                    h2 { "Period, wear time and data" }
                    (facts_table(&text::period_facts(d)))
                    @if let Some(c) = &d.comparison { p.sentence { "Trend: " (c) } }
                }
                div.cols.row {
                    section {
                        h2 { "Posture states" }
                        (svg(&charts::state_bar(d, HALF_WIDTH)))
                        (facts_table(&text::state_facts(d)))
                    }
                    section {
                        h2 { "Time per flexion band (ISO 11226)" }
                        (svg(&charts::band_bar(d, HALF_WIDTH)))
                        (facts_table(&text::band_facts(d)))
                    }
                }
                section {
                    h2 { "Longest holds above the slouch threshold" }
                    (holds_table(d))
                }
                @if let Some(t) = &d.timeline {
                    section {
                        h2 { "The day minute by minute" }
                        (svg(&charts::timeline(t, d.thresholds.config.slouch_threshold_deg, FULL_WIDTH)))
                    }
                }
                @if let Some(s) = charts::daily_bars(d, FULL_WIDTH) {
                    section { h2 { "Day by day" } (svg(&s)) (day_table(d)) }
                }
                section {
                    h2 { "Upright share by hour of day" }
                    (svg(&charts::heat_map(d, FULL_WIDTH)))
                }
                div.cols.row {
                    section {
                        h2 { "Alerts and how they were answered" }
                        (svg(&charts::alert_bar(d, HALF_WIDTH)))
                        (facts_table(&text::alert_facts(d)))
                    }
                    section {
                        h2 { "Breaks and sitting bouts" }
                        (facts_table(&text::break_facts(d)))
                        h3 { "Sitting bouts" }
                        (facts_table(&text::bout_facts(d)))
                    }
                }
                div.cols.row {
                    section {
                        h2 { "Calibration" }
                        @for line in text::calibration_lines(d) { p { (line) } }
                    }
                    section {
                        h2 { "Thresholds in force" }
                        p.note { (text::threshold_source(d)) }
                        (facts_table(&text::threshold_facts(d)))
                    }
                }
                section.notes {
                    h2 { "Reading this report" }
                    @let notes = text::notes(d);
                    @for (i, n) in notes.iter().enumerate() {
                        @if i + 1 == notes.len() { p.medical { strong { (n) } } } @else { p { (n) } }
                    }
                }
                footer {
                    "Made by spinewatch " (env!("CARGO_PKG_VERSION")) " on " (d.generated)
                    " from the posture history. The figures are those of "
                    code { "spinewatch history --json" } " for the same period."
                }
            }
        }
    };
    page.into_string()
}

fn figure_div(f: &Fact) -> Markup {
    html! {
        div.value data-scope="total" data-key=(f.key) data-value=[f.value.map(exact)] { (f.text) }
    }
}

fn facts_table(facts: &[Fact]) -> Markup {
    html! {
        table.facts {
            tbody {
                @for f in facts {
                    tr {
                        th scope="row" { (f.label) }
                        td.num data-scope="total" data-key=(f.key) data-value=[f.value.map(exact)] {
                            (f.text)
                        }
                        td.note { @if let Some(n) = &f.note { (n) } }
                    }
                }
            }
        }
    }
}

fn holds_table(d: &ReportData) -> Markup {
    let f = d.figures();
    html! {
        @if d.holds.is_empty() {
            p.muted { "No slouch was held long enough to count as an episode." }
        } @else {
            table {
                thead { tr {
                    th { "Started" } th.num { "Held" } th.num { "Peak flexion" } th.num { "Alerts" }
                } }
                tbody {
                    @for h in &d.holds {
                        tr {
                            td { (h.when) }
                            td.num { (text::duration(h.duration_s)) }
                            td.num {
                                (h.peak_flexion_deg.map_or_else(|| "—".to_string(), |v| format!("{v:.0}°")))
                            }
                            td.num { (h.alerts) }
                        }
                    }
                }
            }
            p.note {
                (f.slouch_episodes) " episode" @if f.slouch_episodes != 1 { "s" }
                " in all; the " (d.holds.len()) " longest are listed."
            }
        }
    }
}

fn day_table(d: &ReportData) -> Markup {
    html! {
        table.days {
            thead { tr {
                @for (i, c) in DAY_COLUMNS.iter().enumerate() {
                    @if i == 0 { th { (c) } } @else { th.num { (c) } }
                }
            } }
            tbody {
                @for (day, cells) in text::day_rows(d) {
                    @let empty = cells.get(1).and_then(|c| c.value) == Some(0.0);
                    tr.empty[empty] data-day=(day) {
                        @for (i, c) in cells.iter().enumerate() {
                            (cell(&day, c, i == 0))
                        }
                    }
                }
            }
        }
    }
}

fn cell(day: &str, c: &Cell, first: bool) -> Markup {
    html! {
        @if first {
            td { (c.text) }
        } @else if c.key.is_empty() {
            td.num { (c.text) }
        } @else {
            td.num data-scope=(day) data-key=(c.key) data-value=[c.value.map(exact)] { (c.text) }
        }
    }
}

fn anchor(a: Anchor) -> &'static str {
    match a {
        Anchor::Start => "start",
        Anchor::Middle => "middle",
        Anchor::End => "end",
    }
}

/// A scene as inline SVG (no namespace attribute needed inside HTML, so no URL in the file).
fn svg(s: &Scene) -> Markup {
    html! {
        svg viewBox=(format!("0 0 {} {}", px(s.width), px(s.height))) role="img"
            aria-label=(s.description) {
            title { (s.description) }
            @for shape in &s.shapes {
                (shape_svg(shape))
            }
        }
    }
}

fn shape_svg(shape: &Shape) -> Markup {
    match shape {
        Shape::Rect {
            x,
            y,
            w,
            h,
            fill,
            title,
            datum,
        } => html! {
            rect x=(px(*x)) y=(px(*y)) width=(px(*w)) height=(px(*h)) fill=(fill.hex())
                data-scope=[datum.as_ref().map(|d| d.scope.clone())]
                data-key=[datum.as_ref().map(|d| d.key)]
                data-value=[datum.as_ref().map(|d| exact(d.value))] {
                @if let Some(t) = title { title { (t) } }
            }
        },
        Shape::NoData { x, y, w, h } => html! {
            rect x=(px(*x)) y=(px(*y)) width=(px(*w)) height=(px(*h))
                fill=(colour::LIGHT_GREY.hex()) {}
            line x1=(px(*x)) y1=(px(y + h)) x2=(px(x + w)) y2=(px(*y))
                stroke=(colour::GREY.hex()) stroke-width="1" {}
        },
        Shape::Line {
            x1,
            y1,
            x2,
            y2,
            colour,
            width,
            dashed,
        } => html! {
            line x1=(px(*x1)) y1=(px(*y1)) x2=(px(*x2)) y2=(px(*y2)) stroke=(colour.hex())
                stroke-width=(px(*width)) stroke-dasharray=[dashed.then_some("6 4")] {}
        },
        Shape::Polygon {
            points,
            fill,
            outline,
        } => {
            let pts: Vec<String> = points
                .iter()
                .map(|(x, y)| format!("{},{}", px(*x), px(*y)))
                .collect();
            html! {
                polygon points=(pts.join(" ")) fill=(fill.hex()) stroke=(outline.hex())
                    stroke-width="1" {}
            }
        }
        Shape::Text {
            x,
            y,
            text,
            size,
            colour,
            anchor: a,
            bold,
        } => html! {
            text x=(px(*x)) y=(px(*y)) font-size=(px(*size)) fill=(colour.hex())
                text-anchor=(anchor(*a)) dominant-baseline="central"
                font-weight=[bold.then_some("bold")] { (text) }
        },
    }
}
