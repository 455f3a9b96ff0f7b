//! The output read back and analysed for `rfmseg report`: per-segment and per-group KPIs
//! ([`kpi`]), movement between two runs ([`movement`]) with retention ([`retention`]) and
//! the customers whose segment changed ([`movers`]), the distributions the charts draw
//! ([`distribution`]), and the whole report's numbers ([`segments::build`]); for
//! `rfmseg explain`, one customer's scores and rules ([`explain`]) and the smallest changes
//! to a better segment ([`what_if`]); for `rfmseg backtest`, its numbers ([`backtest`]). The
//! renderers in
//! [`crate::report`] only format what this module computes.

pub mod backtest;
pub mod distribution;
pub mod explain;
mod frame;
pub mod kpi;
pub mod movement;
pub mod movers;
pub mod retention;
pub mod segments;
pub mod what_if;
