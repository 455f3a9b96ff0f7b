//! How the keys are carried while the lines fold: every key becomes a 32-bit integer where it
//! can. Int64 ids become offsets from their smallest value where the Parquet statistics give
//! their span ([`Narrow`]); any other key of integers or text gets dictionary codes
//! ([`Dictionary`]): customer_id together with the group_by columns as one customer key, and
//! order_id as an order key. The folds then see no group columns and no text, and the
//! customers get their own keys back once they are grouped.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use polars::prelude::*;

use super::dictionary::Dictionary;
use super::narrow::Narrow;
use crate::columns::{CUSTOMER_ID, ORDER_ID};
use crate::settings::{Analysis, Frequency};

/// How the keys of a run are carried (chosen from the schema, before any line is read).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    /// Int64 ids carried as 32-bit offsets.
    pub(super) narrow: Narrow,
    /// When the customers are coded: the columns of the customer key (group_by...,
    /// customer_id) and their types.
    customers: Option<Vec<(PlSmallStr, DataType)>>,
    /// When the order ids are coded: their type.
    orders: Option<DataType>,
    /// The most codes an order key can have in one pass (the input's lines, with room).
    order_bound: u32,
}

/// The dictionaries of one attempt at a pass: made afresh each time, they hold the codes of
/// that attempt only.
#[derive(Default)]
pub struct Codes {
    customers: Option<Arc<Dictionary>>,
    orders: Option<Arc<Dictionary>>,
}

impl Keys {
    /// The keys of lines with `schema` under `analysis`, about `lines` of them, with the
    /// ids' spans from the Parquet statistics already read into `narrow`.
    pub fn choose(schema: &Schema, analysis: &Analysis, narrow: Narrow, lines: u64) -> Keys {
        let dtype = |name: &str| schema.get(name).cloned();
        let codable = |t: &DataType| t.is_integer() || t == &DataType::String;
        let customer_columns: Option<Vec<(PlSmallStr, DataType)>> = analysis
            .group_by
            .iter()
            .map(String::as_str)
            .chain([CUSTOMER_ID])
            .map(|name| Some((PlSmallStr::from(name), dtype(name)?)))
            .collect();
        let code_customers = !(analysis.group_by.is_empty() && narrow.customer_narrowed())
            && customer_columns
                .as_ref()
                .is_some_and(|c| c.iter().all(|(_, t)| codable(t)));
        let order_type = dtype(ORDER_ID).filter(|t| codable(t));
        let code_orders = analysis.frequency == Frequency::Orders
            && narrow.order_span().is_none()
            && order_type.is_some();
        let mut narrow = narrow;
        if code_customers {
            narrow.forget_customer();
        }
        Keys {
            narrow,
            customers: customer_columns.filter(|_| code_customers),
            orders: order_type.filter(|_| code_orders),
            order_bound: u32::try_from(lines.saturating_mul(2).max(1 << 20)).unwrap_or(u32::MAX),
        }
    }

    /// Keys carried as they are: no offsets, no codes (the exact fallback when an id lies
    /// outside its file's statistics).
    pub fn as_they_are(&self) -> Keys {
        Keys {
            narrow: Narrow::default(),
            customers: self.customers.clone(),
            orders: self.orders.clone(),
            order_bound: self.order_bound,
        }
    }

    /// Whether the customers are coded: the folds then see no group columns.
    pub fn customers_coded(&self) -> bool {
        self.customers.is_some()
    }

    /// Whether the customer key is a 32-bit integer while the lines fold.
    pub fn customer_is_32_bit(&self) -> bool {
        self.customers.is_some() || self.narrow.customer_narrowed()
    }

    /// The largest order key while the lines fold, when it is a 32-bit integer.
    pub fn order_span(&self) -> Option<u32> {
        match self.orders {
            Some(_) => Some(self.order_bound),
            None => self.narrow.order_span(),
        }
    }

    /// The schema the folds see: coded keys are UInt32, and the group columns are inside the
    /// customer key.
    pub fn fold_schema(&self, schema: &Schema) -> Schema {
        let mut out = schema.clone();
        if let Some(columns) = &self.customers {
            for (name, _) in columns {
                out.shift_remove(name.as_str());
            }
            out.insert(CUSTOMER_ID.into(), DataType::UInt32);
        }
        if self.orders.is_some() {
            out.insert(ORDER_ID.into(), DataType::UInt32);
        }
        out
    }

    /// The analysis the folds see: no group columns when they are inside the customer key.
    pub fn fold_analysis(&self, analysis: &Analysis) -> Analysis {
        let mut out = analysis.clone();
        if self.customers.is_some() {
            out.group_by.clear();
        }
        out
    }

    /// `lines` with the keys carried as chosen, and the dictionaries that code them.
    /// `outside` is set when a narrowed id does not fit (see [`Narrow::apply`]).
    pub fn apply(&self, lines: LazyFrame, outside: &Arc<AtomicBool>) -> (LazyFrame, Codes) {
        let mut lines = self.narrow.apply(lines, outside);
        let mut codes = Codes::default();
        if let Some(columns) = &self.customers {
            let dictionary = Arc::new(
                Dictionary::for_columns(columns).expect("only codable columns are chosen"),
            );
            let exprs: Vec<Expr> = columns.iter().map(|(n, _)| col(n.clone())).collect();
            lines = lines
                .with_column(coded(exprs, dictionary.clone()).alias(CUSTOMER_ID))
                .drop(cols(
                    columns[..columns.len() - 1]
                        .iter()
                        .map(|(n, _)| n.clone())
                        .collect::<Vec<_>>(),
                ));
            codes.customers = Some(dictionary);
        }
        if let Some(dtype) = &self.orders {
            let dictionary = Arc::new(
                Dictionary::for_columns(&[(ORDER_ID.into(), dtype.clone())])
                    .expect("only codable columns are chosen"),
            );
            lines =
                lines.with_column(coded(vec![col(ORDER_ID)], dictionary.clone()).alias(ORDER_ID));
            codes.orders = Some(dictionary);
        }
        (lines, codes)
    }

    /// The folded customers with their own keys: narrowed ids back in their type (in the
    /// plan), coded ones decoded by [`Codes::decode`] after the pass.
    pub fn restore(&self, customers: LazyFrame) -> LazyFrame {
        self.narrow.restore(customers)
    }
}

impl Codes {
    /// `customers` (one row per customer key) with the key columns decoded in place of the
    /// code; as it is when the customers were not coded.
    pub fn decode(&self, customers: DataFrame) -> PolarsResult<DataFrame> {
        let Some(dictionary) = &self.customers else {
            return Ok(customers);
        };
        let codes = customers.column(CUSTOMER_ID)?.u32()?.clone();
        let mut out = customers.drop(CUSTOMER_ID)?;
        for column in dictionary.decode(&codes)? {
            out.with_column(column)?;
        }
        Ok(out)
    }

    /// Whether a dictionary ran out of codes (the query then failed).
    pub fn full(&self) -> bool {
        [&self.customers, &self.orders]
            .into_iter()
            .flatten()
            .any(|d| d.full())
    }
}

/// The UInt32 code of each row's key, the key being the values of `exprs`.
fn coded(exprs: Vec<Expr>, dictionary: Arc<Dictionary>) -> Expr {
    let mut exprs = exprs.into_iter();
    let first = exprs.next().expect("a key has a column");
    let rest: Vec<Expr> = exprs.collect();
    first.map_many(
        move |columns: &mut [Column]| {
            let name = columns[0].name().clone();
            Ok(dictionary.encode(columns)?.with_name(name).into_column())
        },
        &rest,
        |_, fields: &[Field]| Ok(Field::new(fields[0].name().clone(), DataType::UInt32)),
    )
}
