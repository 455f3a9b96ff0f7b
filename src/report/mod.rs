//! Renders what people read: the run summary ([`run`]), `check`'s report ([`check`]), the
//! segment report of `rfmseg report` in the terminal, as JSON and as an HTML page with charts
//! ([`text`], [`json`], [`html`], [`charts`]), `explain`'s text and JSON ([`explain`]),
//! `inspect`'s provenance and state text ([`inspect`]), the run summary as JSON
//! ([`summary_json`]) and
//! the live progress line ([`progress`]). Nothing here computes a number from data: the
//! numbers come from [`crate::pipeline`] and [`crate::review`].

pub mod backtest;
pub mod charts;
pub mod check;
pub mod explain;
pub mod format;
pub mod html;
pub mod inspect;
pub mod json;
pub mod progress;
pub mod run;
pub mod summary_json;
pub mod text;
