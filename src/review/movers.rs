//! Movers for campaign triggers (`rfmseg report --movers FILE`): one row per customer whose
//! segment changed between two runs, customers new in this run and gone from it included;
//! customers whose segment stayed are left out. Columns: the keys (group columns, then
//! customer_id), `from_segment`, `to_segment` (null where the customer is not in that run),
//! the previous run's r, f, m, rfm_score (`from_*`) and this run's (`to_*`); sorted by the
//! keys as run outputs are (group columns with nulls last, then customer_id).

use polars::prelude::*;

use super::frame;
use super::movement::{aligned_keys, check_comparable, check_unique};
use crate::columns::*;
use crate::error::{Error, Result};
use crate::output::read_back::ScoredFile;

/// Internal: the customer is in the run.
const PRESENT: &str = "__present";

/// The movers from `previous` to `current`.
pub fn movers(current: &ScoredFile, previous: &ScoredFile) -> Result<DataFrame> {
    check_comparable(current, previous)?;
    check_unique(current)?;
    check_unique(previous)?;
    let keys = aligned_keys(current, previous);
    let side = |run: &ScoredFile, now: bool| {
        let name = |pair: (&'static str, &'static str)| if now { pair.1 } else { pair.0 };
        let mut columns = keys.clone();
        columns.push(col(SEGMENT).alias(name((FROM_SEGMENT, TO_SEGMENT))));
        for (before, after, score) in MOVER_SCORES {
            columns.push(col(score).alias(name((before, after))));
        }
        columns.push(lit(true).alias(name((IN_PREVIOUS, PRESENT))));
        run.data.clone().lazy().select(columns)
    };
    let names = frame::cols(&current.key_columns());
    let mut output = names.clone();
    output.extend([col(FROM_SEGMENT), col(TO_SEGMENT)]);
    output.extend(MOVER_SCORES.iter().map(|(before, _, _)| col(*before)));
    output.extend(MOVER_SCORES.iter().map(|(_, after, _)| col(*after)));
    let presence = |c: &str| col(c).fill_null(lit(false));
    // In one run only, or in both with another segment.
    let moved = presence(IN_PREVIOUS)
        .neq(presence(PRESENT))
        .or(col(FROM_SEGMENT).eq_missing(col(TO_SEGMENT)).not());
    side(previous, false)
        .join(
            side(current, true),
            names.clone(),
            names.clone(),
            JoinArgs {
                nulls_equal: true,
                coalesce: JoinCoalesce::CoalesceColumns,
                ..JoinArgs::new(JoinType::Full)
            },
        )
        .filter(moved)
        .select(output)
        .sort_by_exprs(names, SortMultipleOptions::default().with_nulls_last(true))
        .collect()
        .map_err(Error::engine("finding the customers whose segment changed"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn run(ids: &[&str], segments: &[&str], r: &[i32]) -> ScoredFile {
        let n = ids.len();
        let data = df!(
            CUSTOMER_ID => ids,
            SEGMENT => segments,
            R => r,
            F => vec![1i32; n],
            M => vec![2i32; n],
            RFM_SCORE => r.iter().map(|r| r + 3).collect::<Vec<_>>(),
        )
        .unwrap();
        ScoredFile {
            path: PathBuf::from("x.parquet"),
            group_columns: Vec::new(),
            data,
            score_level: false,
            as_of: None,
            holdout: false,
        }
    }

    #[test]
    fn movers_are_the_changed_the_new_and_the_gone_sorted() {
        let now = run(&["d", "b", "a", "c"], &["X", "Y", "Y", "X"], &[1, 2, 3, 4]);
        let before = run(&["a", "b", "e", "c"], &["Y", "X", "X", "X"], &[5, 6, 7, 8]);
        let m = movers(&now, &before).unwrap();
        let column = |name: &str| -> Vec<Option<String>> {
            let c = m.column(name).unwrap().cast(&DataType::String).unwrap();
            c.str()
                .unwrap()
                .iter()
                .map(|v| v.map(str::to_string))
                .collect()
        };
        let some = |v: &[&str]| -> Vec<Option<String>> {
            v.iter()
                .map(|s| (!s.is_empty()).then(|| s.to_string()))
                .collect()
        };
        // a: Y -> Y stays out; b: X -> Y; c: X -> X stays out; d: new; e: gone.
        assert_eq!(column(CUSTOMER_ID), some(&["b", "d", "e"]));
        assert_eq!(column(FROM_SEGMENT), some(&["X", "", "X"]));
        assert_eq!(column(TO_SEGMENT), some(&["Y", "X", ""]));
        assert_eq!(column("from_r"), some(&["6", "", "7"]));
        assert_eq!(column("to_r"), some(&["2", "1", ""]));
        assert_eq!(column("to_rfm_score"), some(&["5", "4", ""]));
        assert_eq!(
            m.get_column_names(),
            [
                CUSTOMER_ID,
                FROM_SEGMENT,
                TO_SEGMENT,
                "from_r",
                "from_f",
                "from_m",
                "from_rfm_score",
                "to_r",
                "to_f",
                "to_m",
                "to_rfm_score"
            ]
        );
    }
}
