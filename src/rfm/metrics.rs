//! From the aggregated rows to the contract's metric columns: recency in days, frequency,
//! and monetary (total or average) divided back from minor units exactly.

use polars::prelude::*;

use crate::columns::*;
use crate::settings::{Analysis, Monetary};

/// From the aggregate, the scored customers with the contract's metric columns: rows with
/// an id and at least one purchase; `recency_days` counted back from `as_of` (days since
/// 1970-01-01).
pub fn customers(aggregated: LazyFrame, analysis: &Analysis, as_of: i32) -> LazyFrame {
    let scale = 10f64.powi(analysis.monetary_decimals as i32);
    let total = col(SUM_MINOR).cast(DataType::Float64);
    let monetary = match analysis.monetary {
        Monetary::Total => divide_exactly(total, scale),
        Monetary::Average => divide_exactly(total / col(FREQUENCY).cast(DataType::Float64), scale),
    };
    let mut columns: Vec<Expr> = analysis.group_by.iter().map(|g| col(g.as_str())).collect();
    columns.extend([
        col(CUSTOMER_ID),
        (lit(i64::from(as_of))
            - col(LAST_ORDER_DATE)
                .cast(DataType::Int32)
                .cast(DataType::Int64))
        .alias(RECENCY_DAYS),
        col(FREQUENCY),
        monetary.alias(MONETARY),
        col(FIRST_ORDER_DATE),
        col(LAST_ORDER_DATE),
        col(SUM_MINOR),
    ]);
    aggregated
        .filter(
            col(CUSTOMER_ID)
                .is_not_null()
                .and(col(LAST_ORDER_DATE).is_not_null()),
        )
        .select(columns)
}

/// `e / divisor` in IEEE division, value by value. polars divides a float column by a scalar
/// as a multiplication by its reciprocal, which is one ulp off for most amounts
/// (9999 * (1 / 100) = 99.99000000000001); the contract's `sum / 10^d` must give 99.99.
fn divide_exactly(e: Expr, divisor: f64) -> Expr {
    e.map(
        move |c| {
            let values = c.f64()?.apply_values(|v| v / divisor);
            Ok(values.into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Float64)),
    )
}
