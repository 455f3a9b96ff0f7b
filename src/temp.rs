//! Temporary files beside a target: their names, their removal when a write fails (even by a
//! panic), and the cleaning of those a killed run left behind. The output's temporary file sits
//! beside the output; the UTF-8 copies of CSV inputs in another encoding sit in the system's
//! temporary folder (`input::decode`), named after a target there.
//!
//! A temporary file for `out/segments.parquet` is `out/.segments.parquet.rfmseg-tmp-PID-START`:
//! PID is the writing process, START its start time (clock ticks since boot, from
//! `/proc/PID/stat`), which tells a live writer from a later process that reuses the PID.
//! Before each write, leftovers of the same target are removed when their writer is gone
//! (no process PID, or one that started at another time). The temporary file of a live
//! run, e.g. a concurrent run writing the same target, is never touched. Where `/proc` is
//! not available, leftovers older than [`STALE_WITHOUT_PROC`] are removed instead.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the writer of a leftover cannot be checked, leftovers older than this are removed.
pub const STALE_WITHOUT_PROC: Duration = Duration::from_secs(24 * 60 * 60);

const MARK: &str = ".rfmseg-tmp-";

/// The start time of process `pid` (field 22 of `/proc/PID/stat`); None when there is no
/// such process or no `/proc`.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: split after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

fn prefix(target: &Path) -> Option<String> {
    let name = target.file_name()?.to_string_lossy().into_owned();
    Some(format!(".{name}{MARK}"))
}

/// The temporary path for `target` written by this process.
pub fn path_for(target: &Path) -> PathBuf {
    let pid = std::process::id();
    let start = start_time(pid).unwrap_or(0);
    let prefix = prefix(target).unwrap_or_else(|| format!(".rfmseg{MARK}"));
    target.with_file_name(format!("{prefix}{pid}-{start}"))
}

/// Remove the temporary files of `target` left by writers that are gone; returns how many
/// were removed. Errors are ignored: a leftover that cannot be removed stays.
pub fn clean_stale(target: &Path) -> usize {
    let Some(prefix) = prefix(target) else {
        return 0;
    };
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let proc_available = Path::new("/proc/self/stat").exists();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(id) = name.strip_prefix(&prefix) else {
            continue;
        };
        let Some((pid, start)) = id
            .split_once('-')
            .and_then(|(p, s)| Some((p.parse::<u32>().ok()?, s.parse::<u64>().ok()?)))
        else {
            continue;
        };
        let stale = if proc_available {
            start_time(pid) != Some(start)
        } else {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STALE_WITHOUT_PROC)
        };
        if stale
            && entry.file_type().is_ok_and(|t| t.is_file())
            && std::fs::remove_file(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// A temporary file that is removed when dropped, unless it was moved into place.
pub struct Guard {
    path: PathBuf,
    armed: bool,
}

impl Guard {
    /// Guard `path` (which need not exist yet).
    pub fn new(path: PathBuf) -> Guard {
        Guard { path, armed: true }
    }

    /// The guarded path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file was renamed into place: nothing to remove.
    pub fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_of_gone_writers_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.parquet");
        let mine = path_for(&target);
        std::fs::write(&mine, "live").unwrap();
        // PID 1 exists but did not start at the last possible tick: a reused PID.
        let reused = dir
            .path()
            .join(format!(".out.parquet.rfmseg-tmp-1-{}", u64::MAX));
        // No such PID (above the kernel's maximum).
        let gone = dir.path().join(".out.parquet.rfmseg-tmp-4194305-77");
        let other_target = dir.path().join(".other.parquet.rfmseg-tmp-4194305-77");
        let not_ours = dir.path().join(".out.parquet.rfmseg-tmp-notes");
        for p in [&reused, &gone, &other_target, &not_ours] {
            std::fs::write(p, "x").unwrap();
        }
        assert_eq!(clean_stale(&target), 2);
        assert!(mine.exists(), "the live writer's file was removed");
        assert!(!reused.exists() && !gone.exists());
        assert!(other_target.exists() && not_ours.exists());
    }

    #[test]
    fn a_guard_removes_its_file_unless_disarmed() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::write(&a, "x").unwrap();
        std::fs::write(&b, "x").unwrap();
        drop(Guard::new(a.clone()));
        let mut g = Guard::new(b.clone());
        g.disarm();
        drop(g);
        assert!(!a.exists() && b.exists());
    }
}
