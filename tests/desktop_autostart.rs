//! Start at login, on a temporary directory: enable writes an entry that desktops accept and that
//! runs this very path with `--minimized`, whatever characters the path has; disable removes it.

use std::path::Path;

use proptest::prelude::*;
use spinewatch::desktop::autostart::{self, Autostart, MINIMIZED_FLAG};

/// Reads an `Exec` value back the way a desktop does: string escapes first, then the quoting,
/// then `%%` → `%` (Desktop Entry spec, "The Exec key"). Panics on anything malformed.
fn parse_exec(value: &str) -> Vec<String> {
    let mut unescaped = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            unescaped.push(c);
            continue;
        }
        match chars.next() {
            Some('s') => unescaped.push(' '),
            Some('n') => unescaped.push('\n'),
            Some('t') => unescaped.push('\t'),
            Some('r') => unescaped.push('\r'),
            Some('\\') => unescaped.push('\\'),
            other => panic!("bad string escape \\{other:?} in {value:?}"),
        }
    }
    let mut args = Vec::new();
    let mut chars = unescaped.chars().peekable();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let mut arg = String::new();
        if first == '"' {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(c @ ('"' | '`' | '$' | '\\')) => arg.push(c),
                        other => panic!("bad quoted escape {other:?} in {value:?}"),
                    },
                    Some(c) => arg.push(c),
                    None => panic!("unterminated quote in {value:?}"),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                assert!(
                    !"\"'\\><~|&;$*?#()`\t\n".contains(c),
                    "unquoted {c:?} in {value:?}"
                );
                arg.push(c);
                chars.next();
            }
        }
        let mut out = String::new();
        let mut it = arg.chars();
        while let Some(c) = it.next() {
            if c == '%' {
                assert_eq!(it.next(), Some('%'), "field code in {value:?}");
            }
            out.push(c);
        }
        args.push(out);
    }
    args
}

fn exec_of(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("Exec="))
        .unwrap_or_else(|| panic!("no Exec= in {text}"))
        .to_string()
}

#[test]
fn awkward_paths_come_back_unchanged() {
    for path in [
        "/usr/bin/spinewatch",
        "/home/ann/my apps/spinewatch",
        r#"/home/ann/"quoted"/spinewatch"#,
        "/home/ann/$HOME/spinewatch",
        r"/home/ann/back\slash/spinewatch",
        "/home/ann/100%/spinewatch",
        "/home/ann/it's/spinewatch",
        "/home/ann/`tick`/spinewatch",
        "/tmp/new\nline/spinewatch",
    ] {
        let line = autostart::exec_line(Path::new(path)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            parse_exec(&line),
            [path, MINIMIZED_FLAG],
            "{path:?} → {line:?}"
        );
    }
}

#[test]
fn enable_disable_and_is_enabled_on_a_temporary_dir() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auto = Autostart::new(dir.path().join("autostart"));
    assert!(!auto.is_enabled().unwrap_or_else(|e| panic!("{e}")));
    auto.disable().unwrap_or_else(|e| panic!("{e}"));

    let exe = Path::new("/opt/spine watch/bin/spinewatch");
    auto.enable(exe).unwrap_or_else(|e| panic!("{e}"));
    assert!(auto.is_enabled().unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(auto.path(), dir.path().join("autostart/spinewatch.desktop"));
    let text = std::fs::read_to_string(auto.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        parse_exec(&exec_of(&text)),
        [exe.to_str().unwrap_or(""), MINIMIZED_FLAG]
    );
    assert!(text.starts_with("[Desktop Entry]\n"));
    assert!(text.contains("\nType=Application\n"));

    // Enabling again replaces the entry (a new path) and leaves no temporary file behind.
    auto.enable(Path::new("/usr/bin/spinewatch"))
        .unwrap_or_else(|e| panic!("{e}"));
    let text = std::fs::read_to_string(auto.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(exec_of(&text), "/usr/bin/spinewatch --minimized");
    let names: Vec<_> = std::fs::read_dir(dir.path().join("autostart"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    assert_eq!(names, ["spinewatch.desktop"]);

    auto.disable().unwrap_or_else(|e| panic!("{e}"));
    assert!(!auto.is_enabled().unwrap_or_else(|e| panic!("{e}")));
    assert!(!auto.path().exists());
}

#[test]
fn an_entry_the_user_switched_off_in_the_desktop_counts_as_off() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auto = Autostart::new(dir.path());
    auto.enable(Path::new("/usr/bin/spinewatch"))
        .unwrap_or_else(|e| panic!("{e}"));
    let text = std::fs::read_to_string(auto.path()).unwrap_or_else(|e| panic!("{e}"));
    let off = text.replace(
        "X-GNOME-Autostart-enabled=true",
        "X-GNOME-Autostart-enabled=false",
    );
    std::fs::write(auto.path(), off).unwrap_or_else(|e| panic!("{e}"));
    assert!(!auto.is_enabled().unwrap_or_else(|e| panic!("{e}")));
}

#[test]
fn a_directory_that_cannot_be_created_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap_or_else(|e| panic!("{e}"));
    let auto = Autostart::new(file.join("autostart"));
    let err = auto
        .enable(Path::new("/usr/bin/spinewatch"))
        .err()
        .unwrap_or_else(|| panic!("enable under a file succeeded"));
    assert!(err.to_string().contains("not-a-dir"), "{err}");
    assert!(std::error::Error::source(&err).is_some());
}

#[cfg(unix)]
#[test]
fn a_path_that_is_not_utf8_is_refused() {
    use std::os::unix::ffi::OsStrExt;
    let exe = Path::new(std::ffi::OsStr::from_bytes(b"/tmp/\xff/spinewatch"));
    assert!(matches!(
        autostart::exec_line(exe),
        Err(autostart::AutostartError::NotUtf8 { .. })
    ));
}

proptest! {
    /// Any UTF-8 path without NUL or other control characters besides newline and tab survives
    /// the quoting.
    #[test]
    fn any_path_round_trips(path in "/[^\u{0}-\u{8}\u{b}-\u{1f}\u{7f}]{0,40}") {
        let line = autostart::exec_line(Path::new(&path)).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(parse_exec(&line), vec![path.clone(), MINIMIZED_FLAG.to_string()]);
    }
}

/// `desktop-file-validate` (desktop-file-utils) accepts the entry for awkward paths too; skipped
/// when it is not installed.
#[test]
fn desktop_file_validate_accepts_the_entry() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (i, exe) in [
        "/usr/bin/spinewatch",
        r#"/home/ann/my "apps" $HOME \ 100%/spinewatch"#,
    ]
    .iter()
    .enumerate()
    {
        let auto = Autostart::new(dir.path().join(i.to_string()));
        auto.enable(Path::new(exe))
            .unwrap_or_else(|e| panic!("{e}"));
        let out = match std::process::Command::new("desktop-file-validate")
            .arg(auto.path())
            .output()
        {
            Ok(out) => out,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                eprintln!("skipped: desktop-file-validate is not installed (desktop-file-utils)");
                return;
            }
            Err(e) => panic!("{e}"),
        };
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success() && said.trim().is_empty(),
            "{exe}: {said}"
        );
    }
}
