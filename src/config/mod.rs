//! The YAML config: load (serde_yaml) -> check (every problem at once, each with its line and
//! column) -> resolved [`Settings`] the pipeline runs on. Command-line overrides are applied
//! before the check, so a missing `input.paths` is fine when `--input` is given.

mod canonical;
mod checker;
mod holdout;
mod input;
mod keys;
pub use canonical::canonical_text;
pub mod locate;
mod raw;
mod segments;
mod validate;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::settings::Settings;

/// Values given on the command line, which win over the config's.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Replaces `input.paths` when not empty.
    pub inputs: Vec<String>,
    /// Replaces `output.path`.
    pub output: Option<PathBuf>,
    /// Replaces `analysis.as_of`: a day as written on the command line, read in
    /// `input.calendar` when the config is checked.
    pub as_of: Option<String>,
}

/// Read, check and resolve the config at `path` with command-line `overrides`.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Settings> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::ConfigRead {
        path: path.to_path_buf(),
        source,
    })?;
    from_text(text, path, overrides)
}

/// The settings of a run, from the canonical config text its output's footer stores
/// (`rfmseg explain`), named in errors as the config in `file`'s footer. A
/// `scoring.thresholds_from` file is not read (the footer stores the edges the run used, and
/// the file need not exist any more): `scoring.thresholds_from` names it, `scoring.frozen` is
/// None.
pub fn from_footer(text: &str, file: &Path) -> Result<Settings> {
    const KEY: &str = "  thresholds_from: ";
    let frozen = text
        .lines()
        .find_map(|l| l.strip_prefix(KEY))
        .map(|quoted| serde_json::from_str::<String>(quoted).unwrap_or(quoted.to_string()));
    let kept: String = text
        .lines()
        .filter(|l| !l.starts_with(KEY))
        .map(|l| format!("{l}\n"))
        .collect();
    let named = PathBuf::from(format!("{} (the config in its footer)", file.display()));
    let mut settings = from_text(kept, &named, &Overrides::default())?;
    settings.scoring.thresholds_from = frozen;
    Ok(settings)
}

/// Check and resolve config `text`, read from `path` (named in errors), with command-line
/// `overrides`: [`load`] without the file read.
pub fn from_text(text: String, path: &Path, overrides: &Overrides) -> Result<Settings> {
    let resolved = validate::resolve(&text, overrides).map_err(|e| match e {
        validate::Failure::Syntax {
            line,
            column,
            message,
        } => Error::ConfigSyntax {
            path: path.to_path_buf(),
            line,
            column,
            message,
        },
        validate::Failure::Problems(problems) => Error::ConfigInvalid {
            path: path.to_path_buf(),
            problems,
        },
    })?;
    Ok(Settings {
        source: path.to_path_buf(),
        text,
        ..resolved
    })
}
