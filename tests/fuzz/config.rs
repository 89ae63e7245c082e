//! The config loader (`--config`, `Config::from_json_str`) and the settings loader
//! (`Settings::from_json_str`, `load_settings` with broken files set aside) on JSON with random
//! keys (known ones at their range edges and past them, unknown ones), values of every type,
//! nesting, long strings, broken syntax and non-UTF-8 bytes.
//!
//! Properties: no panic; what loads validates (every number inside `RANGES`, the relations
//! between keys) and round-trips through its own JSON; errors and warnings are short and few;
//! a loaded configuration drives the pipeline with finite angles; `load_settings` never fails,
//! and a file it could not use is kept aside byte for byte.

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value};
use spinewatch::app::state::{Settings, load_settings};
use spinewatch::posture::{Config, RANGES};
use spinewatch::sample::ImuSample;

use super::support::{self, Bytes};

const CI_CONFIG_CASES: u32 = 3_000;
const CI_SETTINGS_CASES: u32 = 1_500;
const CI_FILE_CASES: u32 = 300;

/// Longest error or warning accepted (the settings file's path comes on top).
const TEXT_MAX: usize = 400;

/// Keys of the settings file besides `posture`, with what they hold.
const SETTINGS_KEYS: [&str; 12] = [
    "vibration",
    "sound",
    "notifications",
    "port",
    "baud",
    "snooze_default_min",
    "quiet_hours",
    "calibration",
    "day_starts_at_min",
    "close_to_tray",
    "start_at_login",
    "serial_units",
];

fn long_string() -> impl Strategy<Value = String> {
    (select(vec!['x', 'é', '"', '\\', '\u{0}']), 100usize..5000)
        .prop_map(|(c, n)| std::iter::repeat_n(c, n).collect())
}

/// A JSON value of any type, nested a little.
fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |v| v.is_finite())
            .prop_map(Value::from),
        "[ -~]{0,20}".prop_map(Value::String),
        long_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-z_]{0,12}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A number for a key allowed in `[min, max]`: at the edges, just past them, inside, absurd.
fn number_for(min: f64, max: f64) -> impl Strategy<Value = Value> {
    let span = (max - min).abs().max(1e-9);
    prop_oneof![
        4 => (min..=max).prop_map(Value::from),
        2 => select(vec![min, max]).prop_map(Value::from),
        2 => select(vec![min - span * 1e-9, max + span * 1e-9, min - 1.0, max + 1.0])
            .prop_map(Value::from),
        1 => select(vec![0.0, -0.0, 1e308, -1e308, 5e-324, 1e-300]).prop_map(Value::from),
        1 => select(vec![i64::MAX, i64::MIN, 0]).prop_map(Value::from),
        1 => Just(Value::from(u64::MAX)),
        1 => any_value(),
    ]
}

/// A JSON pointer into the config and a value for it.
fn config_entry() -> impl Strategy<Value = (String, Value)> {
    let ranged = (0..RANGES.len()).prop_flat_map(|i| {
        let (pointer, min, max) = RANGES.get(i).copied().unwrap_or(("/x", 0.0, 1.0));
        number_for(min, max).prop_map(move |v| (pointer.to_string(), v))
    });
    prop_oneof![
        8 => ranged,
        1 => (
            select(vec!["/fusion/motion_bias_estimation", "/fusion/rest_bias_estimation"]),
            prop_oneof![3 => any::<bool>().prop_map(Value::Bool), 1 => any_value()],
        )
            .prop_map(|(p, v)| (p.to_string(), v)),
        1 => (
            select(vec!["", "/fusion", "/calibration", "/moved"]),
            "[a-z_]{0,16}",
            any_value(),
        )
            .prop_map(|(p, k, v)| (format!("{p}/{k}"), v)),
        1 => (select(vec!["/fusion", "/calibration", "/moved"]), any_value())
            .prop_map(|(p, v)| (p.to_string(), v)),
        // An unknown key of any length: its warning still fits on a line.
        1 => ("[a-z_]{100,3000}", any_value()).prop_map(|(k, v)| (format!("/{k}"), v)),
    ]
}

/// Sets `value` at `pointer` in `root`, making objects on the way (a non-object on the way is
/// replaced by one).
fn set(root: &mut Value, pointer: &str, value: Value) {
    let mut node = root;
    let parts: Vec<&str> = pointer.split('/').skip(1).collect();
    let Some((last, path)) = parts.split_last() else {
        *node = value;
        return;
    };
    for part in path {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let Value::Object(map) = node else { return };
        node = map
            .entry((*part).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !node.is_object() {
        *node = Value::Object(Map::new());
    }
    if let Value::Object(map) = node {
        map.insert((*last).to_string(), value);
    }
}

/// A config document: entries set into an object (or, rarely, not an object at all).
fn config_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        12 => prop::collection::vec(config_entry(), 0..12).prop_map(|entries| {
            let mut root = Value::Object(Map::new());
            for (p, v) in entries {
                set(&mut root, &p, v);
            }
            root
        }),
        1 => any_value(),
    ]
}

/// How the document reaches the loader: as serde writes it, or damaged as a hand edit might.
#[derive(Debug, Clone)]
enum Text {
    Clean,
    Truncate(usize),
    Insert(usize, char),
    /// Two documents one after the other, or a key given twice.
    Doubled,
}

fn text_damage() -> impl Strategy<Value = Text> {
    prop_oneof![
        8 => Just(Text::Clean),
        1 => any::<usize>().prop_map(Text::Truncate),
        1 => (any::<usize>(), select(vec!['{', '}', ',', ':', '"', '\\', '1', 'e', '-', 'n']))
            .prop_map(|(i, c)| Text::Insert(i, c)),
        1 => Just(Text::Doubled),
    ]
}

fn render(value: &Value, damage: &Text, pretty: bool) -> String {
    let text = if pretty {
        serde_json::to_string_pretty(value).unwrap_or_default()
    } else {
        value.to_string()
    };
    let boundary = |i: usize| {
        let mut i = i % (text.len() + 1);
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    match damage {
        Text::Clean => text,
        Text::Truncate(i) => text.get(..boundary(*i)).unwrap_or_default().to_string(),
        Text::Insert(i, c) => {
            let mut t = text.clone();
            t.insert(boundary(*i), *c);
            t
        }
        Text::Doubled => match text.strip_suffix('}') {
            Some(head) if head.len() > 1 => format!("{head},{}", text.get(1..).unwrap_or("}")),
            _ => format!("{text}{text}"),
        },
    }
}

/// Keys in a JSON document, all levels: the bound on how many warnings it may give.
fn count_keys(v: &Value) -> usize {
    match v {
        Value::Object(m) => m.len() + m.values().map(count_keys).sum::<usize>(),
        Value::Array(a) => a.iter().map(count_keys).sum(),
        _ => 0,
    }
}

fn check_text(text: &str, extra: usize) -> Result<(), TestCaseError> {
    prop_assert!(
        text.len() <= TEXT_MAX + extra,
        "{} bytes: {}…",
        text.len(),
        text.chars().take(200).collect::<String>()
    );
    Ok(())
}

/// A short day of motion the pipeline runs every loaded configuration on: upright, a lean, a
/// gap, shaking; at 50 Hz.
fn motion() -> Vec<ImuSample> {
    let mut out = Vec::new();
    for i in 0..300u32 {
        let t = f64::from(i) * 0.02 + if i >= 200 { 3.0 } else { 0.0 };
        let lean = if (100..200).contains(&i) { 0.5f64 } else { 0.0 };
        let shake = if i >= 250 {
            (t * 40.0).sin() * 0.4
        } else {
            0.0
        };
        out.push(ImuSample::new(
            t,
            [lean.sin() + shake, 0.0, lean.cos()],
            [shake * 100.0, 0.0, 0.0],
        ));
    }
    out
}

fn check_config(config: &Config) -> Result<(), TestCaseError> {
    prop_assert_eq!(config.validate(), Ok(()));
    // What loaded round-trips through its own JSON, without a warning.
    let again = Config::from_json_str(&config.to_json())
        .map_err(|e| TestCaseError::fail(format!("its own JSON does not load: {e}")))?;
    prop_assert_eq!(&again.config, config);
    prop_assert!(again.warnings.is_empty(), "{:?}", again.warnings);
    support::check_pipeline(config, None, Some(50.0), &motion()).map_err(TestCaseError::fail)
}

fn config_property((value, damage, pretty): (Value, Text, bool)) -> Result<(), TestCaseError> {
    let text = render(&value, &damage, pretty);
    match Config::from_json_str(&text) {
        Ok(load) => {
            prop_assert!(load.warnings.len() <= count_keys(&value) + 1);
            for w in &load.warnings {
                check_text(w, 0)?;
            }
            check_config(&load.config)?;
        }
        Err(e) => check_text(&e.to_string(), 0)?,
    }
    Ok(())
}

/// A settings value for one key.
fn settings_entry() -> impl Strategy<Value = (String, Value)> {
    let hhmm = prop_oneof![
        (0u32..30, 0u32..70).prop_map(|(h, m)| Value::String(format!("{h:02}:{m:02}"))),
        "[0-9: ]{0,8}".prop_map(Value::String),
        any_value(),
    ];
    let units = prop_oneof![
        select(vec![
            "auto",
            "g,dps",
            "mps2,rads",
            "raw:16384,131",
            "raw:0,1",
            "raw:nan,inf",
            "g"
        ])
        .prop_map(|s| Value::String(s.to_string())),
        long_string().prop_map(Value::String),
        any_value(),
    ];
    let calibration = prop_oneof![
        select(vec![
            "up=0,0,1;forward=1,0,0",
            "up=1e308,1e308,1e308;forward=1,0,0",
            "up=0,0,1;forward=0,0,1",
            "up=nan,0,1;forward=1,0,0",
        ])
        .prop_map(|s| Value::String(s.to_string())),
        any_value(),
    ];
    prop_oneof![
        4 => config_value().prop_map(|v| ("posture".to_string(), v)),
        1 => (0usize..SETTINGS_KEYS.len(), any_value()).prop_map(|(i, v)| {
            (SETTINGS_KEYS.get(i).copied().unwrap_or("x").to_string(), v)
        }),
        1 => (
            select(vec!["baud", "snooze_default_min", "day_starts_at_min"]),
            prop_oneof![
                select(vec![9600u64, 115_200, 5, 480, 720, 721, 0, u64::from(u32::MAX) + 1])
                    .prop_map(Value::from),
                any_value(),
            ],
        )
            .prop_map(|(k, v)| (k.to_string(), v)),
        1 => (select(vec!["start", "end"]), hhmm).prop_map(|(k, v)| {
            let mut q = Map::new();
            q.insert(k.to_string(), v);
            q.insert("enabled".into(), Value::Bool(true));
            ("quiet_hours".to_string(), Value::Object(q))
        }),
        1 => units.prop_map(|v| ("serial_units".to_string(), v)),
        1 => calibration.prop_map(|v| ("calibration".to_string(), v)),
        1 => ("[a-z_]{0,12}", any_value()),
    ]
}

fn settings_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        12 => prop::collection::vec(settings_entry(), 0..10)
            .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        1 => any_value(),
    ]
}

fn check_settings(settings: &Settings) -> Result<(), TestCaseError> {
    prop_assert_eq!(settings.validate(), Ok(()));
    let (again, warnings) = Settings::from_json_str(&settings.to_json())
        .map_err(|e| TestCaseError::fail(format!("its own JSON does not load: {e}")))?;
    prop_assert_eq!(&again, settings);
    prop_assert!(warnings.is_empty(), "{:?}", warnings);
    // The stored calibration, if it reads, with the posture settings through the pipeline.
    let calibration = settings
        .calibration
        .as_deref()
        .and_then(|c| spinewatch::posture::Calibration::from_metadata(c).ok());
    support::check_pipeline(&settings.posture, calibration, Some(50.0), &motion())
        .map_err(TestCaseError::fail)
}

fn settings_property((value, damage, pretty): (Value, Text, bool)) -> Result<(), TestCaseError> {
    let text = render(&value, &damage, pretty);
    match Settings::from_json_str(&text) {
        Ok((settings, warnings)) => {
            prop_assert!(warnings.len() <= count_keys(&value) + 1);
            for w in &warnings {
                check_text(w, 0)?;
            }
            check_settings(&settings)?;
        }
        Err(e) => check_text(&e.to_string(), 0)?,
    }
    Ok(())
}

/// A settings file's bytes: JSON, maybe damaged, maybe with bytes that are not UTF-8.
fn settings_file() -> impl Strategy<Value = Bytes> {
    (
        settings_value(),
        text_damage(),
        prop::option::weighted(
            0.2,
            (any::<usize>(), select(vec![0xffu8, 0xc3, 0x80, 0x00])),
        ),
    )
        .prop_map(|(v, d, bad)| {
            let mut bytes = render(&v, &d, true).into_bytes();
            if let Some((i, b)) = bad {
                let n = bytes.len() + 1;
                bytes.insert(i % n, b);
            }
            Bytes(bytes)
        })
}

fn settings_file_property(bytes: Bytes) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let path = dir.path().join("settings.json");
    std::fs::write(&path, &bytes.0).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let loaded = load_settings(&path);
    let extra = path.as_os_str().len() * 2 + 32;
    for w in &loaded.warnings {
        check_text(w, extra)?;
    }
    prop_assert_eq!(loaded.settings.validate(), Ok(()));
    prop_assert!(
        !loaded.keep_file,
        "a file we could read must not be kept from saving"
    );
    let usable = std::str::from_utf8(&bytes.0)
        .ok()
        .is_some_and(|t| Settings::from_json_str(t).is_ok());
    let aside = dir.path().join("settings.json.broken");
    if usable {
        prop_assert!(path.exists() && !aside.exists());
    } else {
        // Set aside byte for byte, and said so; defaults in use.
        prop_assert!(!path.exists(), "the broken file is still in place");
        let kept = std::fs::read(&aside).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(Bytes(kept), bytes);
        prop_assert_eq!(&loaded.settings, &Settings::default());
        prop_assert!(
            loaded
                .warnings
                .iter()
                .any(|w| w.contains("could not be used")),
            "{:?}",
            loaded.warnings
        );
    }
    Ok(())
}

fn document() -> impl Strategy<Value = (Value, Text, bool)> {
    (config_value(), text_damage(), any::<bool>())
}

fn settings_document() -> impl Strategy<Value = (Value, Text, bool)> {
    (settings_value(), text_damage(), any::<bool>())
}

#[test]
fn config_json() {
    support::run("config_json", CI_CONFIG_CASES, document(), config_property);
}

#[test]
fn settings_json() {
    support::run(
        "settings_json",
        CI_SETTINGS_CASES,
        settings_document(),
        settings_property,
    );
}

#[test]
fn settings_files() {
    support::run(
        "settings_files",
        CI_FILE_CASES,
        settings_file(),
        settings_file_property,
    );
}

/// Config files are read as text first (`cli::load_config`): bytes that are not UTF-8 are an
/// error there, never a panic, and everything else is what `from_json_str` says.
#[test]
fn config_files_of_any_bytes() {
    support::run(
        "config_files",
        CI_FILE_CASES,
        prop::collection::vec(any::<u8>(), 0..200).prop_map(Bytes),
        |bytes| {
            let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
            let path = dir.path().join("config.json");
            std::fs::write(&path, &bytes.0).map_err(|e| TestCaseError::fail(e.to_string()))?;
            match spinewatch::cli::load_config(Some(&path)) {
                Ok(c) => check_config(&c)?,
                Err(e) => check_text(&e.to_string(), path.as_os_str().len())?,
            }
            Ok(())
        },
    );
}

#[test]
#[ignore = "dedicated fuzz run: SPINEWATCH_FUZZ_CASES, see docs/fuzzing.md"]
fn dedicated_config_json() {
    support::run(
        "config_json",
        support::dedicated_cases("config_json"),
        document(),
        config_property,
    );
}

#[test]
#[ignore = "dedicated fuzz run: SPINEWATCH_FUZZ_CASES, see docs/fuzzing.md"]
fn dedicated_settings_json() {
    // Nineteen in twenty as text, one in twenty as a file on disk (set aside when broken).
    let cases = support::dedicated_cases("settings_json");
    support::run(
        "settings_json",
        cases - cases / 20,
        settings_document(),
        settings_property,
    );
    support::run(
        "settings_files",
        (cases / 20).max(1),
        settings_file(),
        settings_file_property,
    );
}
