//! What a run is doing, shared between the pipeline (which updates it) and the display
//! (which shows it, [`crate::report::progress`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What a run is doing, updated by the pipeline as it goes.
#[derive(Debug, Default)]
pub struct Progress {
    lines: AtomicU64,
    stage: Mutex<String>,
}

impl Progress {
    /// A fresh tracker, shared between the pipeline and the display.
    pub fn new() -> Arc<Progress> {
        let p = Progress::default();
        p.stage("starting");
        Arc::new(p)
    }

    /// The run entered `stage`.
    pub fn stage(&self, stage: impl Into<String>) {
        if let Ok(mut s) = self.stage.lock() {
            *s = stage.into();
        }
    }

    /// A new pass over the input starts: lines are counted from 0 again.
    pub fn restart_lines(&self) {
        self.lines.store(0, Ordering::Relaxed);
    }

    /// `n` more input lines were read.
    pub fn add_lines(&self, n: u64) {
        self.lines.fetch_add(n, Ordering::Relaxed);
    }

    /// Input lines read so far.
    pub fn lines(&self) -> u64 {
        self.lines.load(Ordering::Relaxed)
    }

    /// The stage the run is in.
    pub fn current(&self) -> String {
        self.stage.lock().map(|s| s.clone()).unwrap_or_default()
    }
}
