//! `export(dir)`: the history as CSV files anyone can open, times in ISO 8601 (UTC and local).
//!
//! - `sessions.csv`: one row per session.
//! - `intervals.csv`: one row per interval (state, flexion, time per band), with its local day.
//! - `events.csv`: alerts and reminders (with their outcome), slouch episodes, breaks, sensor
//!   gaps and calibrations, in time order.
//!
//! Each file is written beside its final name and renamed into place, so a failed export never
//! leaves a half file under the real name.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, TimeZone};
use rusqlite::Connection;

use super::days::Days;
use super::error::StoreError;

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    pub files: Vec<PathBuf>,
    pub sessions: usize,
    pub intervals: usize,
    pub events: usize,
}

/// One CSV field, quoted when it needs to be (RFC 4180).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

struct Times<'a, Tz: TimeZone> {
    days: &'a Days<Tz>,
}

impl<Tz: TimeZone> Times<'_, Tz>
where
    Tz::Offset: std::fmt::Display,
{
    fn utc(&self, ms: i64) -> String {
        DateTime::from_timestamp_millis(ms)
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
            .unwrap_or_default()
    }

    fn local(&self, ms: i64) -> String {
        self.days
            .local(ms)
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, false))
            .unwrap_or_default()
    }

    fn day(&self, ms: i64) -> String {
        self.days.day_of_ms(ms).format("%Y-%m-%d").to_string()
    }
}

/// Writes one file through a temporary name; `rows` writes the lines after the header.
fn write_file(
    dir: &Path,
    name: &str,
    header: &str,
    rows: impl FnOnce(&mut dyn Write) -> Result<usize, StoreError>,
) -> Result<(PathBuf, usize), StoreError> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let io = |doing, p: &Path| {
        let p = p.to_path_buf();
        move |source| StoreError::Io {
            doing,
            path: p,
            source,
        }
    };
    let file = File::create(&tmp).map_err(io("cannot create", &tmp))?;
    let mut out = BufWriter::new(file);
    writeln!(out, "{header}").map_err(io("cannot write", &tmp))?;
    let n = rows(&mut out)?;
    out.flush().map_err(io("cannot write", &tmp))?;
    out.get_ref().sync_all().map_err(io("cannot write", &tmp))?;
    drop(out);
    std::fs::rename(&tmp, &path).map_err(io("cannot rename into place", &path))?;
    Ok((path, n))
}

/// Exports the whole history into `dir` (created if needed).
pub fn export<Tz: TimeZone>(
    conn: &Connection,
    days: &Days<Tz>,
    dir: &Path,
) -> Result<ExportReport, StoreError>
where
    Tz::Offset: std::fmt::Display,
{
    std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
        doing: "cannot create the export directory",
        path: dir.to_path_buf(),
        source,
    })?;
    let t = Times { days };
    let wio = |source| StoreError::Io {
        doing: "cannot write the export in",
        path: dir.to_path_buf(),
        source,
    };

    let (sessions_path, sessions) = write_file(
        dir,
        "sessions.csv",
        "session_id,source,label,content_hash,start_utc,end_utc,start_local,end_local,\
         clock_shift_s,finished",
        |out| {
            let mut stmt = conn
                .prepare(
                    "SELECT id, source, label, content_hash, start_ms, end_ms, clock_shift_ms,
                            finished FROM sessions ORDER BY start_ms",
                )
                .map_err(StoreError::sql("exporting sessions"))?;
            let mut rows = stmt
                .query([])
                .map_err(StoreError::sql("exporting sessions"))?;
            let mut n = 0;
            while let Some(r) = rows.next().map_err(StoreError::sql("exporting sessions"))? {
                let get = |e| StoreError::sql("exporting sessions")(e);
                let id: i64 = r.get(0).map_err(get)?;
                let source: String = r.get(1).map_err(get)?;
                let label: String = r.get(2).map_err(get)?;
                let hash: Option<String> = r.get(3).map_err(get)?;
                let (start, end): (i64, i64) = (r.get(4).map_err(get)?, r.get(5).map_err(get)?);
                let shift: i64 = r.get(6).map_err(get)?;
                let finished: bool = r.get(7).map_err(get)?;
                writeln!(
                    out,
                    "{id},{source},{},{},{},{},{},{},{},{}",
                    field(&label),
                    opt(hash),
                    t.utc(start),
                    t.utc(end),
                    t.local(start),
                    t.local(end),
                    shift as f64 / 1000.0,
                    finished
                )
                .map_err(wio)?;
                n += 1;
            }
            Ok(n)
        },
    )?;

    let (intervals_path, intervals) = write_file(
        dir,
        "intervals.csv",
        "day,start_local,end_local,start_utc,end_utc,state,duration_s,flexion_mean_deg,\
         flexion_max_deg,under_20_s,20_to_60_s,over_60_s,session_id",
        |out| {
            let mut stmt = conn
                .prepare(
                    "SELECT start_ms, end_ms, state, flexion_mean_deg, flexion_max_deg,
                            under_20_ms, from_20_to_60_ms, over_60_ms, session_id
                     FROM intervals ORDER BY start_ms",
                )
                .map_err(StoreError::sql("exporting intervals"))?;
            let mut rows = stmt
                .query([])
                .map_err(StoreError::sql("exporting intervals"))?;
            let mut n = 0;
            while let Some(r) = rows
                .next()
                .map_err(StoreError::sql("exporting intervals"))?
            {
                let get = |e| StoreError::sql("exporting intervals")(e);
                let (start, end): (i64, i64) = (r.get(0).map_err(get)?, r.get(1).map_err(get)?);
                let state: String = r.get(2).map_err(get)?;
                let mean: Option<f64> = r.get(3).map_err(get)?;
                let max: Option<f64> = r.get(4).map_err(get)?;
                let bands: [i64; 3] = [
                    r.get(5).map_err(get)?,
                    r.get(6).map_err(get)?,
                    r.get(7).map_err(get)?,
                ];
                let session: i64 = r.get(8).map_err(get)?;
                writeln!(
                    out,
                    "{},{},{},{},{},{state},{},{},{},{},{},{},{session}",
                    t.day(start),
                    t.local(start),
                    t.local(end),
                    t.utc(start),
                    t.utc(end),
                    (end - start) as f64 / 1000.0,
                    opt(mean.map(|m| format!("{m:.2}"))),
                    opt(max.map(|m| format!("{m:.2}"))),
                    bands[0] as f64 / 1000.0,
                    bands[1] as f64 / 1000.0,
                    bands[2] as f64 / 1000.0,
                )
                .map_err(wio)?;
                n += 1;
            }
            Ok(n)
        },
    )?;

    // Every kind of event as (time, kind, outcome, duration, detail, session).
    const EVENTS: &str = "
        SELECT at_ms, kind, outcome || coalesce(' (' || held_back_by || ')', ''), held_s,
               coalesce(exercise, printf('%.1f°', flexion_deg), ''), session_id FROM alerts
        UNION ALL SELECT start_ms, 'slouch_episode', '', duration_s, printf('%d alerts', alerts),
               session_id FROM slouches
        UNION ALL SELECT at_ms, 'break_taken', '', (at_ms - start_ms) / 1000.0, '', session_id
               FROM breaks
        UNION ALL SELECT from_ms, CASE kind WHEN 'gap' THEN 'sensor_gap' ELSE 'sensor_lost' END,
               '', duration_ms / 1000.0, coalesce(reason, ''), session_id FROM gaps
        UNION ALL SELECT at_ms, CASE ok WHEN 1 THEN 'calibrated' ELSE 'calibration_failed' END,
               '', NULL, detail, session_id FROM calibrations
        ORDER BY 1";
    let (events_path, events) = write_file(
        dir,
        "events.csv",
        "day,time_local,time_utc,kind,outcome,duration_s,detail,session_id",
        |out| {
            let mut stmt = conn
                .prepare(EVENTS)
                .map_err(StoreError::sql("exporting events"))?;
            let mut rows = stmt
                .query([])
                .map_err(StoreError::sql("exporting events"))?;
            let mut n = 0;
            while let Some(r) = rows.next().map_err(StoreError::sql("exporting events"))? {
                let get = |e| StoreError::sql("exporting events")(e);
                let at: i64 = r.get(0).map_err(get)?;
                let kind: String = r.get(1).map_err(get)?;
                let outcome: String = r.get(2).map_err(get)?;
                let duration: Option<f64> = r.get(3).map_err(get)?;
                let detail: String = r.get(4).map_err(get)?;
                let session: i64 = r.get(5).map_err(get)?;
                writeln!(
                    out,
                    "{},{},{},{kind},{},{},{},{session}",
                    t.day(at),
                    t.local(at),
                    t.utc(at),
                    field(&outcome),
                    opt(duration),
                    field(&detail)
                )
                .map_err(wio)?;
                n += 1;
            }
            Ok(n)
        },
    )?;

    Ok(ExportReport {
        files: vec![sessions_path, intervals_path, events_path],
        sessions,
        intervals,
        events,
    })
}
