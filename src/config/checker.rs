//! The problems of one config, collected with their place in the file (all are reported
//! together).

use super::locate::Locations;
use crate::error::Problem;

/// Collects config problems, each placed in the file by its dotted path.
pub(super) struct Checker<'a> {
    pub(super) at: &'a Locations,
    pub(super) problems: Vec<Problem>,
}

impl Checker<'_> {
    pub(super) fn add(&mut self, path: &str, label: Option<&str>, message: impl Into<String>) {
        let place = match label {
            Some(l) => format!("{path} ({l})"),
            None => path.to_string(),
        };
        self.problems.push(Problem {
            place,
            spot: self.at.find(path),
            message: message.into(),
        });
    }
}
