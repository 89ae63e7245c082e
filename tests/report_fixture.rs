//! A known synthetic history for the report tests (`#[path]`-included by `tests/report_*.rs`;
//! this file has no tests of its own).
//!
//! Week 48 of 2026: a random desk day (`store::synth::desk_day`, 8 h) each weekday from 08:30
//! local, a short Saturday, nothing on Sunday; a calibration at the start of each weekday (and a
//! failed attempt before Wednesday's), two alerts held back by meeting mode on Tuesday; plus a
//! 4-hour Friday the week before, for the comparison sentence.

#![allow(dead_code)]

use std::path::Path;

use chrono::{FixedOffset, NaiveDate, TimeZone};
use spinewatch::posture::PostureState;
use spinewatch::store::synth::{Segment, desk_day, play};
use spinewatch::store::{
    AlertKind, FeedOptions, HistoryFeed, HoldReason, Record, SessionSource, SessionStart,
    SessionToken, Store,
};

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("bad date {y}-{m}-{d}"))
}

/// The Monday of the known week.
pub fn monday() -> NaiveDate {
    date(2026, 11, 23)
}

/// The zone the library-level tests use (UTC+01:00, as in `tests/store_week.rs`).
pub fn zone() -> FixedOffset {
    FixedOffset::east_opt(3600).unwrap_or_else(|| panic!("offset"))
}

fn local_s(zone: &FixedOffset, day: NaiveDate, h: u32, m: u32) -> f64 {
    zone.from_local_datetime(&day.and_hms_opt(h, m, 0).unwrap_or_default())
        .single()
        .unwrap_or_else(|| panic!("local time"))
        .timestamp() as f64
}

/// Plays one session into `store`; `extra` adds records (calibrations, held-back alerts) at
/// session times, given the feed.
fn session(
    store: &mut Store,
    token: u64,
    start_utc_s: f64,
    segments: &[Segment],
    extra: impl FnOnce(&mut HistoryFeed<Vec<Record>>, i64),
) {
    let mut feed = HistoryFeed::new(
        Vec::<Record>::new(),
        SessionToken(token),
        SessionStart {
            source: SessionSource::Live {
                device: "/dev/ttyACM0 — spinewatch-ref 1.0 (MPU6050)".into(),
            },
            started_utc_s: start_utc_s,
            t0_s: 0.0,
        },
        FeedOptions {
            heartbeat_s: 3600.0,
            ..FeedOptions::default()
        },
    );
    let end = play(&mut feed, 0.0, segments, 1.0, true);
    extra(&mut feed, (start_utc_s * 1000.0) as i64);
    feed.finish(end);
    let records = std::mem::take(feed.sink_mut());
    store
        .apply(&records)
        .unwrap_or_else(|e| panic!("applying session {token}: {e}"));
}

/// The segments of each day of the known week (Monday first; Sunday empty).
pub fn week_plan() -> Vec<(NaiveDate, Vec<Segment>)> {
    (0..7u32)
        .map(|d| {
            let day = monday() + chrono::Duration::days(i64::from(d));
            let segments = match d {
                0..=4 => desk_day(u64::from(d) + 1, 8.0),
                5 => vec![
                    Segment::new(600.0, PostureState::Uncalibrated, None),
                    Segment::new(1800.0, PostureState::Upright, Some(4.0)),
                    Segment::new(400.0, PostureState::Slouched, Some(65.0)),
                ],
                _ => Vec::new(),
            };
            (day, segments)
        })
        .collect()
}

/// Writes the known history into a new database file at `path`, days cut in `zone`.
pub fn write_history(path: &Path, zone: &FixedOffset) {
    let mut store = Store::open(path).unwrap_or_else(|e| panic!("{e}"));
    // The Friday before, for the comparison with the week before.
    let before = monday() - chrono::Duration::days(3);
    session(
        &mut store,
        100,
        local_s(zone, before, 9, 0),
        &desk_day(42, 4.0),
        |_, _| {},
    );
    for (i, (day, segments)) in week_plan().into_iter().enumerate() {
        if segments.is_empty() {
            continue;
        }
        let start = local_s(zone, day, 8, 30);
        session(&mut store, i as u64, start, &segments, |feed, start_ms| {
            if i == 2 {
                feed.sink_mut().push(Record::Calibration {
                    session: SessionToken(i as u64),
                    at_ms: start_ms - 60_000,
                    ok: false,
                    detail: "you moved while sitting upright".into(),
                });
            }
            if i < 5 {
                feed.sink_mut().push(Record::Calibration {
                    session: SessionToken(i as u64),
                    at_ms: start_ms + 20_000,
                    ok: true,
                    detail: format!("up=0.012,-0.998,0.05{i};forward=0.031,0.052,0.998"),
                });
            }
            if i == 1 {
                feed.held_back(3.0 * 3600.0, AlertKind::Slouch, HoldReason::Meeting);
                feed.held_back(3.1 * 3600.0, AlertKind::BreakReminder, HoldReason::Meeting);
            }
        });
    }
}

/// One tag of an HTML page: name, attributes, whether it closes, and the text after it up to
/// the next tag.
#[derive(Debug, Clone)]
pub struct Tag {
    pub name: String,
    pub closing: bool,
    pub attrs: Vec<(String, String)>,
    pub text_after: String,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// HTML elements that never have a closing tag.
const VOID: [&str; 6] = ["meta", "br", "hr", "img", "input", "link"];

/// A small tokenizer, enough for maud's output (attributes quoted with `"`, no comments).
/// Panics with the offending position when the page is not well formed: a tag that does not
/// end, a closing tag that does not match the open one, or elements left open.
pub fn tags(html: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    let mut offset = 0;
    while let Some(lt) = rest.find('<') {
        let Some(gt_rel) = rest[lt..].find('>') else {
            panic!("unterminated tag at byte {}", offset + lt);
        };
        let inner = &rest[lt + 1..lt + gt_rel];
        let after = &rest[lt + gt_rel + 1..];
        let next_lt = after.find('<').unwrap_or(after.len());
        let text_after = after[..next_lt].to_string();
        if inner.starts_with('!') {
            assert!(
                inner.eq_ignore_ascii_case("!DOCTYPE html"),
                "unexpected declaration <{inner}>"
            );
        } else {
            let closing = inner.starts_with('/');
            let body = inner.trim_start_matches('/');
            let name_end = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
            let name = body[..name_end].to_string();
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()),
                "bad tag name in <{inner}> at byte {}",
                offset + lt
            );
            let attrs = parse_attrs(&body[name_end..]);
            if closing {
                let open = stack.pop();
                assert_eq!(
                    open.as_deref(),
                    Some(name.as_str()),
                    "</{name}> at byte {} closes {open:?}",
                    offset + lt
                );
            } else if !VOID.contains(&name.as_str()) {
                stack.push(name.clone());
            }
            out.push(Tag {
                name,
                closing,
                attrs,
                text_after,
            });
        }
        let consumed = lt + gt_rel + 1;
        offset += consumed;
        rest = &rest[consumed..];
    }
    assert!(stack.is_empty(), "elements left open: {stack:?}");
    out
}

fn parse_attrs(mut s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return out;
        }
        let name_end = s
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(s.len());
        let name = s[..name_end].to_string();
        s = &s[name_end..];
        if let Some(after_eq) = s.strip_prefix('=') {
            let Some(quoted) = after_eq.strip_prefix('"') else {
                panic!("unquoted attribute value for {name}");
            };
            let Some(end) = quoted.find('"') else {
                panic!("unterminated attribute value for {name}");
            };
            out.push((name, quoted[..end].to_string()));
            s = &quoted[end + 1..];
        } else {
            out.push((name, String::new()));
        }
    }
}

/// Undoes maud's escaping of text.
pub fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
