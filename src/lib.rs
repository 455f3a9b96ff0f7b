//! rfmseg: per-customer Recency, Frequency, Monetary metrics, 1-to-N scores and named
//! segments from retail order lines, written as Parquet.
//!
//! The pipeline, one module a step:
//! [`config`] (YAML -> checked settings) -> [`input`] (files -> one LazyFrame of lines) ->
//! [`rfm`] (lines -> customers -> scores) -> [`segment`] (rules -> segment names) ->
//! [`output`] (atomic Parquet) -> [`report`] (the summary people read). [`run`] drives it;
//! [`check`] evaluates the rules on the score grid and, optionally, on data;
//! [`segment_report`] reads a run's output back (and an older run's) for the KPIs, movement
//! and charts marketing reads; [`sql`] writes the same computation as one SQL query for
//! Spark or DuckDB; [`inspect`] prints the [`provenance`] a run stores in its output's footer.

pub mod check;
pub mod columns;
pub mod config;
pub mod error;
pub mod input;
pub mod inspect;
pub mod output;
pub mod provenance;
pub mod report;
pub mod rfm;
pub mod run;
pub mod segment;
pub mod segment_report;
pub mod sql;

pub use error::{Error, Result};
