//! rfmseg: per-customer Recency, Frequency, Monetary metrics, 1-to-N scores and named
//! segments from retail order lines, written as Parquet.
//!
//! A line's path: [`input`] scans the files into one LazyFrame of lines -> [`rfm`] folds them
//! into customers ([`rfm::fold`]), derives the metrics and scores them -> [`segment`] names
//! each customer's segment -> [`output`] sinks the rows to Parquet atomically. [`pipeline`]
//! drives those steps for `run` and `check`; [`cmd`] holds one module per subcommand;
//! [`report`] renders what people read; [`review`] analyses an output read back for
//! `rfmseg report`; [`sql`] writes the same job as one SQL query; [`state`] keeps the rollups
//! of `run --state` (saved state for nightly runs). [`config`] turns YAML into
//! the [`settings`] every layer reads; [`columns`], [`error`] and [`temp`] are the leaves.
//!
//! Imports point down: cmd -> report -> pipeline, review, sql -> state -> output -> segment, rfm ->
//! input -> config -> settings -> columns, error, temp.

pub mod cmd;
pub mod columns;
pub mod config;
pub mod error;
pub mod input;
pub mod output;
pub mod pipeline;
pub mod report;
pub mod review;
pub mod rfm;
pub mod segment;
pub mod settings;
pub mod sql;
pub mod state;
pub mod temp;

pub use error::{Error, Result};
