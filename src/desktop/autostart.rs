//! "Start at login": an XDG autostart entry, `$XDG_CONFIG_HOME/autostart/spinewatch.desktop`
//! (default `~/.config/autostart/`), that starts this binary with `--minimized`.
//!
//! The text is built by pure functions ([`entry_text`], [`exec_line`]); the I/O is a thin layer
//! over a directory given by the caller ([`Autostart::new`]), so tests never touch the real home.

use std::ffi::OsStr;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::desktop::assets::DESKTOP_FILE_NAME;

/// The flag the autostart entry passes: start with the window hidden to the tray (or minimised
/// when there is no tray).
pub const MINIMIZED_FLAG: &str = "--minimized";

/// Starting at login could not be switched on or off, or its state read.
#[derive(Debug, thiserror::Error)]
pub enum AutostartError {
    /// A desktop entry is UTF-8 text, so a path that is not UTF-8 cannot be written into one.
    #[error("the program's path {path:?} is not UTF-8 and cannot go in an autostart entry")]
    NotUtf8 { path: PathBuf },
    #[error("could not create {}: {source}", dir.display())]
    CreateDir {
        dir: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("could not write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("could not remove {}: {source}", path.display())]
    Remove {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("could not read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The per-user autostart directory: `$XDG_CONFIG_HOME/autostart`, or `~/.config/autostart` when
/// that is unset, empty or relative (the XDG base-directory spec says to ignore a relative one).
/// `None` without a home directory.
pub fn default_dir() -> Option<PathBuf> {
    dir_from(
        std::env::var_os("XDG_CONFIG_HOME").as_deref(),
        std::env::var_os("HOME").as_deref(),
    )
}

/// [`default_dir`] from given variable values (testable without changing the environment).
pub fn dir_from(xdg_config_home: Option<&OsStr>, home: Option<&OsStr>) -> Option<PathBuf> {
    let config = match xdg_config_home.map(Path::new) {
        Some(p) if p.is_absolute() => p.to_path_buf(),
        _ => Path::new(home.filter(|h| !h.is_empty())?).join(".config"),
    };
    Some(config.join("autostart"))
}

/// The path to put in the entry: this process's executable, normally. On Linux
/// `current_exe` reads `/proc/self/exe`, which says `/usr/bin/spinewatch (deleted)` once a
/// package upgrade has replaced the file under a running process; the entry must name the new
/// file, so that suffix is dropped.
pub fn program_path() -> io::Result<PathBuf> {
    std::env::current_exe().map(|p| without_deleted_suffix(&p))
}

/// `p` without the ` (deleted)` that Linux appends to the link of a replaced executable.
pub fn without_deleted_suffix(p: &Path) -> PathBuf {
    match p.to_str().and_then(|s| s.strip_suffix(" (deleted)")) {
        Some(live) => PathBuf::from(live),
        None => p.to_path_buf(),
    }
}

/// Characters that force an `Exec` argument into double quotes (Desktop Entry spec, "The Exec
/// key").
const RESERVED: &[char] = &[
    ' ', '\t', '\n', '"', '\'', '\\', '>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '(', ')',
    '`',
];

/// One `Exec` argument as it must appear in the file. Three layers, in this order:
/// 1. quoting: an argument with a reserved character goes in double quotes, with `"`, `` ` ``,
///    `$` and `\` inside them escaped by a backslash;
/// 2. field codes: a literal `%` is written `%%`;
/// 3. the string-value escapes every key has: `\` → `\\`, newline → `\n`, tab → `\t`,
///    carriage return → `\r`.
///
/// So a literal backslash in a quoted path ends up as four backslashes, and `$` as `\\$`, as the
/// spec spells out.
pub fn quote_exec_arg(arg: &str) -> String {
    let quoted = if arg.is_empty() || arg.contains(RESERVED) {
        let mut q = String::with_capacity(arg.len() + 2);
        q.push('"');
        for c in arg.chars() {
            if matches!(c, '"' | '`' | '$' | '\\') {
                q.push('\\');
            }
            q.push(c);
        }
        q.push('"');
        q
    } else {
        arg.to_string()
    };
    let mut out = String::with_capacity(quoted.len());
    for c in quoted.chars() {
        match c {
            '%' => out.push_str("%%"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// The `Exec` value: the program, quoted as needed, then `--minimized`.
pub fn exec_line(exe: &Path) -> Result<String, AutostartError> {
    let program = exe.to_str().ok_or_else(|| AutostartError::NotUtf8 {
        path: exe.to_path_buf(),
    })?;
    Ok(format!("{} {MINIMIZED_FLAG}", quote_exec_arg(program)))
}

/// The whole autostart entry for the program at `exe`.
pub fn entry_text(exe: &Path) -> Result<String, AutostartError> {
    Ok(format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Name=spinewatch\n\
         Comment=Posture reminders from the clip-on sensor, started at login\n\
         Exec={}\n\
         Icon=spinewatch\n\
         Terminal=false\n\
         X-GNOME-Autostart-enabled=true\n",
        exec_line(exe)?
    ))
}

/// Whether an autostart entry's text leaves it switched on: desktops skip an entry with
/// `Hidden=true` (the spec's "deleted") and GNOME one with `X-GNOME-Autostart-enabled=false`.
pub fn text_is_enabled(text: &str) -> bool {
    let mut in_entry = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_entry = line == "[Desktop Entry]";
            continue;
        }
        if !in_entry {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        match (key.trim(), value.trim()) {
            ("Hidden", "true") | ("X-GNOME-Autostart-enabled", "false") => return false,
            _ => {}
        }
    }
    true
}

/// The autostart entry in one directory (the user's, from [`Autostart::for_user`], or a test's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Autostart {
    dir: PathBuf,
}

impl Autostart {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The user's autostart directory ([`default_dir`]); `None` without a home directory.
    pub fn for_user() -> Option<Self> {
        default_dir().map(Self::new)
    }

    /// Where the entry lives.
    pub fn path(&self) -> PathBuf {
        self.dir.join(DESKTOP_FILE_NAME)
    }

    /// Writes the entry for the program at `exe` (normally [`program_path`]), replacing
    /// any older one. Written to a temporary file and renamed, so a crash never leaves half an
    /// entry for the desktop to choke on at the next login.
    pub fn enable(&self, exe: &Path) -> Result<(), AutostartError> {
        let text = entry_text(exe)?;
        std::fs::create_dir_all(&self.dir).map_err(|source| AutostartError::CreateDir {
            dir: self.dir.clone(),
            source,
        })?;
        let path = self.path();
        let tmp = self.dir.join(format!(".{DESKTOP_FILE_NAME}.tmp"));
        let write = || -> io::Result<()> {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|source| {
            if let Err(e) = std::fs::remove_file(&tmp)
                && e.kind() != io::ErrorKind::NotFound
            {
                tracing::warn!("could not remove {}: {e}", tmp.display());
            }
            AutostartError::Write {
                path: path.clone(),
                source,
            }
        })
    }

    /// Removes the entry; already absent is fine.
    pub fn disable(&self) -> Result<(), AutostartError> {
        let path = self.path();
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(AutostartError::Remove { path, source: e })
            }
            _ => Ok(()),
        }
    }

    /// Whether the entry exists and is switched on (see [`text_is_enabled`]).
    pub fn is_enabled(&self) -> Result<bool, AutostartError> {
        let path = self.path();
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(text_is_enabled(&text)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(AutostartError::Read { path, source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_stay_unquoted() {
        assert_eq!(
            exec_line(Path::new("/usr/bin/spinewatch")).unwrap_or_else(|e| panic!("{e}")),
            "/usr/bin/spinewatch --minimized"
        );
    }

    #[test]
    fn quoting_follows_the_spec_examples() {
        assert_eq!(
            quote_exec_arg("/opt/my apps/spinewatch"),
            r#""/opt/my apps/spinewatch""#
        );
        assert_eq!(quote_exec_arg(r#"/a"b"#), r#""/a\\"b""#);
        assert_eq!(quote_exec_arg("/a$b"), r#""/a\\$b""#);
        assert_eq!(quote_exec_arg(r"/a\b"), r#""/a\\\\b""#);
        assert_eq!(quote_exec_arg("/a`b"), r#""/a\\`b""#);
        assert_eq!(quote_exec_arg("/100%/sw"), "/100%%/sw");
        assert_eq!(quote_exec_arg("/it's here"), r#""/it's here""#);
        assert_eq!(quote_exec_arg("/a\nb"), r#""/a\nb""#);
        assert_eq!(quote_exec_arg(""), r#""""#);
    }

    #[test]
    fn the_directory_follows_xdg_config_home_and_ignores_a_relative_one() {
        let os = |s: &'static str| Some(OsStr::new(s));
        assert_eq!(
            dir_from(os("/cfg"), os("/home/u")),
            Some(PathBuf::from("/cfg/autostart"))
        );
        assert_eq!(
            dir_from(os("rel/cfg"), os("/home/u")),
            Some(PathBuf::from("/home/u/.config/autostart"))
        );
        assert_eq!(
            dir_from(None, os("/home/u")),
            Some(PathBuf::from("/home/u/.config/autostart"))
        );
        assert_eq!(dir_from(os(""), None), None);
    }

    #[test]
    fn a_replaced_executable_is_named_by_its_live_path() {
        assert_eq!(
            without_deleted_suffix(Path::new("/usr/bin/spinewatch (deleted)")),
            PathBuf::from("/usr/bin/spinewatch")
        );
        assert_eq!(
            without_deleted_suffix(Path::new("/usr/bin/spinewatch")),
            PathBuf::from("/usr/bin/spinewatch")
        );
    }

    #[test]
    fn hidden_or_gnome_disabled_entries_are_off() {
        assert!(text_is_enabled("[Desktop Entry]\nExec=x\n"));
        assert!(!text_is_enabled("[Desktop Entry]\nHidden=true\n"));
        assert!(!text_is_enabled(
            "[Desktop Entry]\nX-GNOME-Autostart-enabled=false\n"
        ));
        assert!(text_is_enabled(
            "[Desktop Entry]\nExec=x\n[Desktop Action a]\nHidden=true\n"
        ));
    }
}
