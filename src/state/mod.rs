//! A saved state (`rfmseg run --state DIR`): the rollups of every input folded so far, from
//! which a run scores exactly as a run over all those inputs would.
//!
//! The folder holds `state.json` ([`manifest`]), the rollup files it lists
//! (`rollup-NNNNNN.parquet`, one per input folded, merged when they grow many), the customers
//! snapshot of every rollup row (`customers-NNNNNN.parquet`, kept up to date by folds under a
//! config without a window, with `customers-NNNNNN-changes.parquet`: the customers changed
//! since it was written) and `lock`. A fold
//! writes its rollup file whole (temporary file, flushed, footer checked, renamed), then
//! `state.json` the same way; only then are files it no longer lists removed. A run killed at
//! any moment therefore leaves the earlier `state.json`, which lists only whole files; the
//! next run removes what the killed one left. The lock (an OS file lock, released when the
//! process ends however it ends) keeps two runs from folding into one state at once.

pub mod depends;
pub mod manifest;

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output;
use crate::settings::Settings;

pub use depends::Depends;
pub use manifest::{Batch, Manifest, RollupFile};

/// The name of generation `generation`'s rollup file.
pub fn rollup_name(generation: u64) -> String {
    format!("{ROLLUP_PREFIX}{generation:06}.parquet")
}

/// The name of generation `generation`'s customers snapshot.
pub fn snapshot_name(generation: u64) -> String {
    format!("{SNAPSHOT_PREFIX}{generation:06}.parquet")
}

/// The name of generation `generation`'s snapshot of the customers changed since the snapshot.
pub fn changes_name(generation: u64) -> String {
    format!("{SNAPSHOT_PREFIX}{generation:06}-changes.parquet")
}

/// The manifest's file name.
pub const MANIFEST: &str = "state.json";
const LOCK: &str = "lock";
const ROLLUP_PREFIX: &str = "rollup-";
const SNAPSHOT_PREFIX: &str = "customers-";

/// A state folder, locked for this process.
pub struct State {
    dir: PathBuf,
    _lock: File,
    /// What it holds; None for a new state (nothing folded yet).
    pub manifest: Option<Manifest>,
}

impl State {
    /// Open the state in `dir` for a fold, creating the folder when it does not exist; lock
    /// it, remove what a killed run left, and check that every file it lists is there.
    pub fn open(dir: &Path) -> Result<State> {
        let fail = |message: String| Error::State {
            dir: dir.to_path_buf(),
            message,
        };
        if dir.exists() && !dir.is_dir() {
            return Err(fail(
                "is a file; --state takes a folder (created on the first run), e.g. state/nightly"
                    .into(),
            ));
        }
        std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create the folder: {e}")))?;
        let lock_path = dir.join(LOCK);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| fail(format!("cannot open {}: {e}", lock_path.display())))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(fail(
                    "another rfmseg run is folding into this state now (it holds the folder's lock); wait for it to finish, then run again".into(),
                ))
            }
            Err(TryLockError::Error(e)) => return Err(fail(format!("cannot lock the folder: {e}"))),
        }
        let manifest = read_manifest(dir)?;
        if manifest.is_none() {
            let foreign: Vec<String> = entries(dir)?
                .into_iter()
                .filter(|name| name != LOCK && !ours(name))
                .collect();
            if !foreign.is_empty() {
                return Err(fail(format!(
                    "holds files but no {MANIFEST} ({}), so it is not an rfmseg state; give --state an empty or new folder",
                    foreign.join(", ")
                )));
            }
        }
        let state = State {
            dir: dir.to_path_buf(),
            _lock: lock,
            manifest,
        };
        state.remove_unlisted();
        state.check_files()?;
        Ok(state)
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Refuse a config that changes what the state was folded with.
    pub fn check_depends(&self, settings: &Settings) -> Result<()> {
        let Some(manifest) = &self.manifest else {
            return Ok(());
        };
        let now = Depends::of(settings);
        let changed = manifest.depends.changed(&now);
        if changed.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = changed
            .iter()
            .map(|(key, was, is)| {
                format!(
                    "{key} was {was} when the state was folded, the config {} says {is}",
                    settings.source.display()
                )
            })
            .collect();
        Err(Error::StateDepends {
            dir: self.dir.clone(),
            message: format!(
                "the config changes what this state was folded with: {}. Its rollups hold lines read and grouped under those values, so scores from it would not match a run over the same lines. Set {} back, or start a new state: --state with a new folder, folding the whole history again",
                list.join("; "),
                if changed.len() == 1 { "the key" } else { "the keys" }
            ),
        })
    }

    /// The rollup files the manifest lists, as paths.
    pub fn rollup_paths(&self) -> Vec<PathBuf> {
        self.manifest
            .iter()
            .flat_map(|m| m.files.iter().map(|f| self.dir.join(&f.name)))
            .collect()
    }

    /// The path of the customers snapshot, when the manifest lists one.
    pub fn snapshot_path(&self) -> Option<PathBuf> {
        let snapshot = self.manifest.as_ref()?.snapshot.as_ref()?;
        Some(self.dir.join(&snapshot.name))
    }

    /// The path of the snapshot of the customers changed since the snapshot, when the manifest
    /// lists one.
    pub fn changes_path(&self) -> Option<PathBuf> {
        let changes = self.manifest.as_ref()?.snapshot_changes.as_ref()?;
        Some(self.dir.join(&changes.name))
    }

    /// Make `manifest` the state: `state.json` written atomically; then the rollup files it
    /// no longer lists are removed.
    pub fn commit(&mut self, manifest: Manifest) -> Result<()> {
        let text = serde_json::to_string_pretty(&manifest).map_err(|e| Error::State {
            dir: self.dir.clone(),
            message: format!("internal: cannot write {MANIFEST}: {e}"),
        })?;
        output::write_text(&(text + "\n"), &self.dir.join(MANIFEST))?;
        self.manifest = Some(manifest);
        self.remove_unlisted();
        Ok(())
    }

    /// Remove rollup files the manifest does not list, and temporary files: left by a run
    /// killed before its manifest was written, or replaced by a merge. (The lock is held:
    /// no other run is writing.)
    fn remove_unlisted(&self) {
        let listed = |name: &str| {
            self.manifest
                .as_ref()
                .is_some_and(|m| m.listed().any(|f| f.name == name))
        };
        for name in entries(&self.dir).unwrap_or_default() {
            if ours(&name) && !listed(&name) {
                let _ = std::fs::remove_file(self.dir.join(&name));
            }
        }
    }

    /// Every listed rollup file must be there, whole (its size as recorded).
    fn check_files(&self) -> Result<()> {
        let Some(manifest) = &self.manifest else {
            return Ok(());
        };
        for file in manifest.listed() {
            let path = self.dir.join(&file.name);
            let size = std::fs::metadata(&path).map(|m| m.len()).ok();
            if size != Some(file.bytes) {
                let what = match size {
                    None => "is missing".to_string(),
                    Some(s) => format!("has {s} bytes, {MANIFEST} says {}", file.bytes),
                };
                return Err(Error::State {
                    dir: self.dir.clone(),
                    message: format!(
                        "is damaged: {} {what}. Restore the folder from a backup, or start a new state (--state with a new folder) and fold the history again",
                        file.name
                    ),
                });
            }
        }
        Ok(())
    }
}

/// The manifest of the state in `dir`, without locking it (`rfmseg inspect DIR`); None when
/// the folder has no `state.json`.
pub fn read_manifest(dir: &Path) -> Result<Option<Manifest>> {
    let path = dir.join(MANIFEST);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::State {
                dir: dir.to_path_buf(),
                message: format!("cannot read {MANIFEST}: {e}"),
            })
        }
    };
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| Error::State {
        dir: dir.to_path_buf(),
        message: format!(
            "{MANIFEST} cannot be read ({e}): the folder is not an rfmseg state, or the file was edited; restore it from a backup or start a new state"
        ),
    })?;
    if manifest.format != manifest::FORMAT {
        return Err(Error::State {
            dir: dir.to_path_buf(),
            message: format!(
                "{MANIFEST} has format {:?}; this rfmseg reads {:?}. Fold the history into a new state with this version",
                manifest.format,
                manifest::FORMAT
            ),
        });
    }
    Ok(Some(manifest))
}

/// A file name the state writes (rollups, and temporary files of them or of the manifest).
fn ours(name: &str) -> bool {
    name.starts_with(ROLLUP_PREFIX)
        || name.starts_with(SNAPSHOT_PREFIX)
        || name.contains(".rfmseg-tmp-")
}

fn entries(dir: &Path) -> Result<Vec<String>> {
    let read = std::fs::read_dir(dir).map_err(|e| Error::State {
        dir: dir.to_path_buf(),
        message: format!("cannot list the folder: {e}"),
    })?;
    Ok(read
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect())
}

/// The SHA-256 of a file's bytes, lowercase hex, read in 1 MiB pieces.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Now, UTC, as RFC 3339 to the second.
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}
