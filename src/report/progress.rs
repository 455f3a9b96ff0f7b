//! Progress of long runs, on stderr: a live line on a terminal (stage, lines read, elapsed;
//! indicatif), plain log lines when stderr is not a terminal. Runs shorter than
//! [`QUIET_FOR`] show nothing, so quick runs (and their exact summaries) stay clean; with
//! `--quiet` the display is never started.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::format::n;
pub use crate::pipeline::Progress;

/// Nothing is shown before a run has lasted this long (default; the environment variable
/// `RFMSEG_PROGRESS_AFTER`, in seconds, changes it).
pub const QUIET_FOR: Duration = Duration::from_secs(2);

fn quiet_for() -> Duration {
    std::env::var("RFMSEG_PROGRESS_AFTER")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(QUIET_FOR, Duration::from_secs_f64)
}
/// Plain log lines (not a terminal) come at most this often, and at each new stage.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// The progress line: the stage and the lines read.
fn message(progress: &Progress) -> String {
    let lines = n(progress.lines());
    format!("{}; {lines} lines read", progress.current())
}

/// The display thread; [`Display::finish`] stops it and clears the live line.
pub struct Display {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

/// Start showing `progress` on stderr.
pub fn show(progress: Arc<Progress>) -> Display {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let handle = std::thread::spawn(move || {
        if std::io::stderr().is_terminal() {
            live(&progress, &flag)
        } else {
            log(&progress, &flag)
        }
    });
    Display {
        stop,
        handle: Some(handle),
    }
}

impl Display {
    /// Stop the display (the live line is cleared) before the summary is printed.
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

const TICK: Duration = Duration::from_millis(100);

fn live(progress: &Progress, stop: &AtomicBool) {
    let start = Instant::now();
    let after = quiet_for();
    let mut bar: Option<indicatif::ProgressBar> = None;
    // Draw, then look at the stop flag: a display that is due is drawn at least once.
    loop {
        if start.elapsed() >= after {
            let bar = bar.get_or_insert_with(|| {
                let b = indicatif::ProgressBar::new_spinner();
                b.set_style(
                    indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                );
                b
            });
            bar.set_message(message(progress));
            bar.tick();
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        std::thread::sleep(TICK);
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
}

fn log(progress: &Progress, stop: &AtomicBool) {
    let start = Instant::now();
    let after = quiet_for();
    let mut last: Option<(Instant, String)> = None;
    // Log, then look at the stop flag: a line that is due is printed at least once.
    loop {
        let elapsed = start.elapsed();
        let stage = progress.current();
        let due = elapsed >= after
            && match &last {
                None => true,
                Some((at, s)) => *s != stage || at.elapsed() >= LOG_EVERY,
            };
        if due {
            eprintln!(
                "rfmseg: [{:>6.1}s] {}",
                elapsed.as_secs_f64(),
                message(progress)
            );
            last = Some((Instant::now(), stage));
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        std::thread::sleep(TICK);
    }
}
