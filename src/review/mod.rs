//! The output read back and analysed for `rfmseg report`: per-segment and per-group KPIs
//! ([`kpi`]), movement between two runs ([`movement`]) with retention ([`retention`]) and
//! the customers whose segment changed ([`movers`]), the distributions the charts draw
//! ([`distribution`]), and the whole report's numbers ([`segments::build`]). The renderers in
//! [`crate::report`] only format what this module computes.

pub mod distribution;
mod frame;
pub mod kpi;
pub mod movement;
pub mod movers;
pub mod retention;
pub mod segments;
