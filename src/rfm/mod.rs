//! Order lines -> per-customer metrics -> scores, as pure LazyFrame transformations:
//! [`fold`] folds the lines of each (group, customer) into the metrics' raw material and the
//! line counters of the run summary; [`metrics`] gives recency, frequency and monetary;
//! [`score`] finds the edges and bins the metrics (rank, quantile, r-rfm or fixed) within each
//! group (with `min_group_customers`, small groups within a parent partition: [`levels`]), and
//! builds `rfm_cell` and `rfm_score`.

pub mod fold;
pub mod levels;
mod metrics;
mod score;
pub mod thresholds;

pub use fold::{minor_units, Fallback, Fold, Partition, Spans, Window};
pub use levels::{ByLevel, LevelCount};
pub use metrics::customers;
pub use score::{edges, score};

use polars::prelude::*;

use crate::columns::{F, M, R};
use crate::settings::Scoring;

/// Per row, the entry of `table` (one per cell, in
/// [`all_cells`](crate::settings::cells::all_cells) order) at the row's
/// (`r`, `f`, `m`); null where a score is null. A gather from a table of 125 (or so) values:
/// no string is built per row.
pub fn by_cell(table: Series, scoring: &Scoring) -> Expr {
    let [_, bf, bm] = scoring.bins().map(|b| lit(b as i32));
    let one = || lit(1i32);
    let cell = ((col(R) - one()) * bf + (col(F) - one())) * bm + (col(M) - one());
    let dtype = table.dtype().clone();
    cell.map(
        move |c| {
            let cell = c.cast(&IDX_DTYPE)?;
            Ok(table.take(cell.idx()?)?.into_column())
        },
        move |_, f| Ok(Field::new(f.name().clone(), dtype.clone())),
    )
}
