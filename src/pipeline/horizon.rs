//! What the customers did after a scoring date, for `rfmseg backtest`: the lines of the horizon
//! `as_of < order_date <= as_of + H`, read with the run's column mapping, per (group...,
//! customer): the purchase lines and the net minor units, by the run's rules (lines with a
//! customer, a date and an amount; `round(amount * 10^d)` half away from zero; with
//! `returns: exclude` return lines add nothing to the revenue).

use polars::prelude::*;

use crate::columns::*;
use crate::error::{Error, Result};
use crate::input::{self, Spec};
use crate::rfm;
use crate::settings::{Returns, Settings};

/// Per customer of the horizon: purchase lines (amount >= 0) in it (UInt64).
pub const HORIZON_PURCHASES: &str = "__horizon_purchases";
/// Per customer of the horizon: the minor units of its kept lines (Int64).
pub const HORIZON_MINOR: &str = "__horizon_minor";
const HORIZON_ABS: &str = "__horizon_abs";

/// The input's files and lines, scanned as `run` scans them.
fn lines(settings: &Settings) -> Result<LazyFrame> {
    let files = input::resolve(&settings.input.paths)?;
    let spec = Spec {
        input: &settings.input,
        group_by: &settings.analysis.group_by,
        monetary_decimals: settings.analysis.monetary_decimals,
    };
    match settings.input.rejects_path {
        None => input::scan(&files, &spec),
        Some(_) => input::scan_lenient(&files, &spec),
    }
}

/// The latest order date of the input among lines with a customer, a date and an amount
/// (days since 1970-01-01), None when there is no such line.
pub fn last_order_date(settings: &Settings) -> Result<Option<i32>> {
    input::latest_date(lines(settings)?)
}

/// Per (group..., customer) with a line in `as_of < order_date <= as_of + days`: its purchase
/// lines ([`HORIZON_PURCHASES`]) and its net minor units ([`HORIZON_MINOR`]).
pub fn horizon(settings: &Settings, as_of: i32, days: u32) -> Result<DataFrame> {
    let analysis = &settings.analysis;
    let day = || col(ORDER_DATE).cast(DataType::Int32);
    let end = i64::from(as_of) + i64::from(days);
    let inside = col(CUSTOMER_ID)
        .is_not_null()
        .and(col(AMOUNT).is_not_null())
        .and(day().gt(lit(i64::from(as_of))))
        .and(day().lt_eq(lit(end)));
    let is_return = || col(AMOUNT).lt(lit(0.0));
    let scale = 10f64.powi(analysis.monetary_decimals as i32);
    let minor = || rfm::minor_units(col(AMOUNT), scale);
    let kept = match analysis.returns {
        Returns::Net => minor(),
        Returns::Exclude => when(is_return()).then(lit(0i64)).otherwise(minor()),
    };
    let mut keys: Vec<Expr> = analysis.group_by.iter().map(|g| col(g.as_str())).collect();
    keys.push(col(CUSTOMER_ID));
    let mut customers = lines(settings)?
        .filter(inside)
        .group_by(keys)
        .agg([
            is_return()
                .not()
                .cast(DataType::UInt64)
                .sum()
                .alias(HORIZON_PURCHASES),
            kept.clone().sum().alias(HORIZON_MINOR),
            kept.abs().cast(DataType::Float64).sum().alias(HORIZON_ABS),
        ])
        .collect_with_engine(Engine::Streaming)
        .map_err(Error::engine("reading the horizon's lines"))?
        .unwrap_single();
    let total: f64 = customers
        .column(HORIZON_ABS)
        .ok()
        .and_then(|c| c.f64().ok()?.sum())
        .unwrap_or(0.0);
    if total >= MINOR_UNITS_LIMIT {
        return Err(Error::Data(
            "the horizon's amounts sum past 64-bit minor units; use a shorter --horizon-days"
                .into(),
        ));
    }
    customers = customers
        .drop(HORIZON_ABS)
        .map_err(Error::engine("reading the horizon's lines"))?;
    Ok(customers)
}
