//! The one integration-test binary (every tests/*.rs would link polars again): the real
//! `rfmseg` binary on fixtures, every failure's exit code and message, and a property test of
//! the whole pipeline against a naive reference.

mod backtest;
mod calendar;
mod check;
mod dialects;
mod explain;
mod failures;
mod faults;
mod holdout;
mod hostile;
mod levels;
mod money;
mod movers;
mod progress;
mod property;
mod provenance;
mod readme;
mod reference;
mod rejects;
mod report;
mod retention;
mod rtl;
mod run_ok;
mod snapshots;
mod sql;
mod sql_dates;
mod state;
mod state_property;
mod thresholds;
mod util;
mod window;
