//! The default as_of read from the lines: the latest order date among lines with a customer,
//! a date and an amount (one scan of three columns). Parquet statistics can give it without
//! the scan ([`super::parquet_stats`]).

use polars::prelude::*;

use crate::columns::{AMOUNT, CUSTOMER_ID, ORDER_DATE};
use crate::error::{Error, Result};

/// The latest order date among lines with a customer, a date and an amount (the default
/// `as_of`), as days since 1970-01-01; None when there is no such line.
pub fn latest_date(lines: LazyFrame) -> Result<Option<i32>> {
    let df = lines
        .filter(
            col(CUSTOMER_ID)
                .is_not_null()
                .and(col(AMOUNT).is_not_null()),
        )
        .select([col(ORDER_DATE).max().cast(DataType::Int32)])
        .collect_with_engine(Engine::Streaming)
        .map_err(Error::engine("finding the latest order date"))?
        .unwrap_single();
    Ok(df
        .columns()
        .first()
        .and_then(|c| c.get(0).ok())
        .and_then(|v| v.extract::<i32>()))
}
