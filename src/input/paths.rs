//! Input paths -> the list of files to read: plain files, globs (expanded here, so quoted
//! globs work), and folders (walked recursively for .csv and .parquet files).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::decode::Decoded;

use crate::error::{Error, Result};

/// A file format, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.csv`
    Csv,
    /// `.parquet`, `.pq`
    Parquet,
}

/// One input file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as found.
    pub path: PathBuf,
    /// Format by extension.
    pub format: Format,
    /// Size in bytes.
    pub size: u64,
    /// The UTF-8 copy the file is read from, when it is in another encoding
    /// (`input.csv.encoding`); None: the file is read as it is.
    pub decoded: Option<Arc<Decoded>>,
}

impl SourceFile {
    /// The file of `path`, read as it is.
    pub fn new(path: PathBuf, format: Format, size: u64) -> SourceFile {
        SourceFile {
            path,
            format,
            size,
            decoded: None,
        }
    }

    /// The path the file's text is read from: its UTF-8 copy, or the file itself. Messages
    /// name [`SourceFile::path`].
    pub fn read_path(&self) -> &Path {
        self.decoded.as_ref().map_or(&self.path, |d| d.path())
    }
}

/// The format of `path` by its extension.
pub fn format_of(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "csv" => Some(Format::Csv),
        "parquet" | "pq" => Some(Format::Parquet),
        _ => None,
    }
}

fn is_glob(p: &str) -> bool {
    p.contains(['*', '?', '['])
}

fn cwd() -> String {
    std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "?".into())
}

/// Expand every pattern; each must name at least one file. Files come in the order of the
/// patterns, sorted within a glob or folder, each once.
pub fn resolve(patterns: &[String]) -> Result<Vec<SourceFile>> {
    let mut seen = HashSet::new();
    let mut files = Vec::new();
    for pattern in patterns {
        let found = expand(pattern)?;
        for path in found {
            let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if seen.insert(key) {
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                let format = format_of(&path)
                    .ok_or_else(|| Error::InputUnsupported { path: path.clone() })?;
                files.push(SourceFile::new(path, format, size));
            }
        }
    }
    Ok(files)
}

fn expand(pattern: &str) -> Result<Vec<PathBuf>> {
    let path = Path::new(pattern);
    if path.is_dir() {
        let mut found = Vec::new();
        walk(path, &mut found).map_err(|e| Error::InputRead {
            path: path.to_path_buf(),
            message: format!("cannot list folder: {e}"),
        })?;
        found.sort();
        if found.is_empty() {
            return Err(Error::InputNotFound {
                pattern: pattern.to_string(),
                what: "CSV or Parquet file (the folder has no .csv or .parquet file)",
                cwd: cwd(),
            });
        }
        return Ok(found);
    }
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if !is_glob(pattern) {
        return Err(Error::InputNotFound {
            pattern: pattern.to_string(),
            what: "file or folder",
            cwd: cwd(),
        });
    }
    let entries = glob::glob(pattern)
        .map_err(|e| Error::Usage(format!("input {pattern:?} is not a valid glob: {e}")))?;
    let mut found = Vec::new();
    for entry in entries.flatten() {
        if entry.is_dir() {
            let mut inner = Vec::new();
            let _ = walk(&entry, &mut inner);
            inner.sort();
            found.extend(inner);
        } else if format_of(&entry).is_some() {
            found.push(entry);
        }
    }
    found.sort();
    if found.is_empty() {
        return Err(Error::InputNotFound {
            pattern: pattern.to_string(),
            what: "CSV or Parquet file",
            cwd: cwd(),
        });
    }
    Ok(found)
}

/// Supported files under `dir`, skipping hidden and `_`-prefixed entries (`_SUCCESS`, `.crc`).
fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        if path.is_dir() {
            walk(&path, found)?;
        } else if format_of(&path).is_some() {
            found.push(path);
        }
    }
    Ok(())
}
