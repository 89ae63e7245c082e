//! Outputs never destroy files: before anything is opened, an output that is one of the inputs,
//! the same file as another output, or a file that already exists (unless `--force`) is refused.

use std::path::{Path, PathBuf};

use super::CliError;

/// The file a path names, for comparing: canonical if it exists, else its folder's canonical
/// path joined with its name (a file that will be created).
fn identity(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let name = path.file_name().map(PathBuf::from).unwrap_or_default();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    dir.canonicalize().unwrap_or(dir).join(name)
}

/// Checks `outputs` (flag name, path) against `inputs` and each other.
pub fn check_outputs(
    inputs: &[&Path],
    outputs: &[(&str, &Path)],
    force: bool,
) -> Result<(), CliError> {
    let inputs: Vec<PathBuf> = inputs.iter().map(|p| identity(p)).collect();
    let mut seen: Vec<(&str, PathBuf)> = Vec::new();
    for (flag, path) in outputs {
        let id = identity(path);
        if inputs.contains(&id) {
            return Err(CliError::Usage(format!(
                "{flag} {} is an input of this command; it would be destroyed",
                path.display()
            )));
        }
        if let Some((other, _)) = seen.iter().find(|(_, p)| *p == id) {
            return Err(CliError::Usage(format!(
                "{flag} and {other} are the same file ({})",
                path.display()
            )));
        }
        if !force && path.exists() {
            return Err(CliError::Usage(format!(
                "{flag} {}: already exists (use --force to replace it)",
                path.display()
            )));
        }
        seen.push((flag, id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_duplicates_and_existing_files_are_refused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let input = dir.path().join("s.csv");
        std::fs::write(&input, "x").unwrap_or_else(|e| panic!("{e}"));
        let new = dir.path().join("new.csv");
        let via_dots = dir.path().join(".").join("s.csv");
        assert!(check_outputs(&[&input], &[("--angles", &via_dots)], true).is_err());
        assert!(check_outputs(&[], &[("--out", &new), ("--events", &new)], false).is_err());
        assert!(check_outputs(&[], &[("--events", &input)], false).is_err());
        assert!(check_outputs(&[], &[("--events", &input)], true).is_ok());
        assert!(check_outputs(&[&input], &[("--angles", &new)], false).is_ok());
    }
}
