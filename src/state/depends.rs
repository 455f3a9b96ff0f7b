//! The config keys a saved state depends on: the ones that decide which lines a rollup row
//! holds and how they are read (the column mapping, date handling, `returns`,
//! `monetary_decimals`, `frequency`, `group_by`). Scoring and segment keys, `window_days`,
//! `as_of`, `monetary` and the output are read when the state is scored, and may change
//! freely. `input.csv` (the dialect) only says how a file is written: each night's file may
//! be written differently, and its lines are the same lines.

use serde::{Deserialize, Serialize};

use crate::settings::{Frequency, Returns, Settings};

/// The keys and their values, as `key: value` text, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Depends(pub Vec<(String, String)>);

impl Depends {
    /// What `settings` would fold lines under.
    pub fn of(settings: &Settings) -> Depends {
        let input = &settings.input;
        let analysis = &settings.analysis;
        let columns = &input.columns;
        let quoted = |s: &str| format!("{s:?}");
        let keys = [
            ("input.columns.customer_id", quoted(&columns.customer_id)),
            ("input.columns.order_date", quoted(&columns.order_date)),
            ("input.columns.amount", quoted(&columns.amount)),
            (
                "input.columns.order_id",
                columns
                    .order_id
                    .as_deref()
                    .map_or("(not mapped)".to_string(), quoted),
            ),
            (
                "input.date_format",
                input
                    .date_format
                    .as_deref()
                    .map_or("(none)".to_string(), quoted),
            ),
            ("input.calendar", input.calendar.name().to_string()),
            (
                "analysis.returns",
                match analysis.returns {
                    Returns::Net => "net",
                    Returns::Exclude => "exclude",
                }
                .to_string(),
            ),
            (
                "analysis.monetary_decimals",
                analysis.monetary_decimals.to_string(),
            ),
            (
                "analysis.frequency",
                match analysis.frequency {
                    Frequency::Orders => "orders",
                    Frequency::Lines => "lines",
                    Frequency::Days => "days",
                }
                .to_string(),
            ),
            (
                "analysis.group_by",
                format!(
                    "[{}]",
                    analysis
                        .group_by
                        .iter()
                        .map(|g| quoted(g))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        ];
        Depends(keys.map(|(k, v)| (k.to_string(), v)).to_vec())
    }

    /// The keys whose value differs in `now`: (key, the state's value, the config's value).
    pub fn changed<'a>(&'a self, now: &'a Depends) -> Vec<(&'a str, &'a str, &'a str)> {
        let value = |d: &'a Depends, key: &str| {
            d.0.iter()
                .find(|(k, _)| k == key)
                .map_or("(not recorded)", |(_, v)| v.as_str())
        };
        let mut keys: Vec<&str> = self.0.iter().map(|(k, _)| k.as_str()).collect();
        keys.extend(
            now.0
                .iter()
                .map(|(k, _)| k.as_str())
                .filter(|k| !self.0.iter().any(|(s, _)| s == k)),
        );
        keys.into_iter()
            .map(|k| (k, value(self, k), value(now, k)))
            .filter(|(_, was, is)| was != is)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depends(pairs: &[(&str, &str)]) -> Depends {
        Depends(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn only_the_keys_whose_values_differ_are_named() {
        let state = depends(&[
            ("analysis.frequency", "orders"),
            ("analysis.returns", "net"),
        ]);
        let same = state.clone();
        assert!(state.changed(&same).is_empty());
        let now = depends(&[
            ("analysis.frequency", "lines"),
            ("analysis.returns", "net"),
            ("analysis.group_by", "[\"store\"]"),
        ]);
        assert_eq!(
            state.changed(&now),
            vec![
                ("analysis.frequency", "orders", "lines"),
                ("analysis.group_by", "(not recorded)", "[\"store\"]"),
            ]
        );
    }
}
