//! Integer keys carried in 32 bits while the lines fold, from the spans the Parquet
//! statistics give.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use polars::prelude::*;

use crate::columns::{CUSTOMER_ID, ORDER_ID};

use super::direct::Group;

/// 64-bit integer keys carried in 32 bits while the lines fold: a key whose values span less
/// than 2^32 (per the Parquet files' statistics) becomes its offset from its smallest value,
/// as UInt32, and customer_id is given back in its own type once customers are grouped.
/// Narrower hash keys and rows for the group-bys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Narrow {
    /// customer_id's smallest value and its span (largest - smallest), when it is narrowed.
    customer: Option<(i64, u32)>,
    /// order_id's smallest value and its span (largest - smallest), when it is narrowed.
    order: Option<(i64, u32)>,
    /// order_id is text: it travels as written (the in-place fold checks that it rises).
    order_text: bool,
    /// The one integer group column whose span the statistics give: its code travels in the
    /// direct fold's slots (direct.rs).
    group: Option<Group>,
}

impl Narrow {
    /// Narrow the Int64 customer_id and order_id of `schema` whose span (smallest, largest)
    /// is known and under 2^32.
    pub fn for_spans(
        schema: &Schema,
        customer: Option<(i64, i64)>,
        order: Option<(i64, i64)>,
    ) -> Narrow {
        let narrow = |name: &str, span: Option<(i64, i64)>| {
            let (lo, hi) = span?;
            let width = u32::try_from(i128::from(hi) - i128::from(lo)).ok()?;
            (schema.get(name) == Some(&DataType::Int64)).then_some((lo, width))
        };
        Narrow {
            customer: narrow(CUSTOMER_ID, customer),
            order: narrow(ORDER_ID, order),
            order_text: schema.get(ORDER_ID) == Some(&DataType::String),
            group: None,
        }
    }

    /// With the span (smallest, largest) the statistics give for the one group column of
    /// `group_by`, when it is an integer column of up to 64 bits spanning less than 2^32 - 2.
    pub fn with_group(
        mut self,
        schema: &Schema,
        group_by: &[String],
        span: Option<(i64, i64)>,
    ) -> Narrow {
        let [name] = group_by else {
            return self;
        };
        let dtype = schema.get(name.as_str()).cloned();
        let signed = matches!(
            dtype,
            Some(DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64)
        );
        self.group = span.zip(dtype).and_then(|((lo, hi), dtype)| {
            let width = u32::try_from(i128::from(hi) - i128::from(lo)).ok()?;
            (signed && width < u32::MAX - 2).then(|| Group {
                name: name.as_str().into(),
                dtype,
                lo,
                span: width,
            })
        });
        self
    }

    /// The group column the direct fold carries, when there is one.
    pub(super) fn group(&self) -> Option<&Group> {
        self.group.as_ref()
    }

    /// Every key in its own type (after an id was found outside its file's statistics).
    pub fn widened(&self) -> Narrow {
        Narrow {
            order_text: self.order_text,
            ..Narrow::default()
        }
    }

    /// Whether order_id is text.
    pub fn order_text(&self) -> bool {
        self.order_text
    }

    /// Whether customer_id is narrowed.
    pub fn customer_narrowed(&self) -> bool {
        self.customer.is_some()
    }

    /// customer_id's span, when it is narrowed.
    pub fn customer_span(&self) -> Option<u32> {
        self.customer.map(|(_, span)| span)
    }

    /// order_id's span, when it is narrowed.
    pub fn order_span(&self) -> Option<u32> {
        self.order.map(|(_, span)| span)
    }

    /// The keys as offsets. A value outside the span sets `outside` and stops the query
    /// (rather than become another key): [`super::Fold`] then runs the pass again with the
    /// ids as they are. Any other failure leaves `outside` unset.
    pub(super) fn apply(&self, lines: LazyFrame, outside: &Arc<AtomicBool>) -> LazyFrame {
        let lo = |key: Option<(i64, u32)>| key.map(|(lo, _)| lo);
        let columns: Vec<Expr> = [(CUSTOMER_ID, lo(self.customer)), (ORDER_ID, lo(self.order))]
            .into_iter()
            .filter_map(|(name, lo)| lo.map(|lo| offset(name, lo, outside)))
            .collect();
        if columns.is_empty() {
            lines
        } else {
            lines.with_columns(columns)
        }
    }

    /// customer_id back in its own type.
    pub(super) fn restore(&self, customers: LazyFrame) -> LazyFrame {
        match self.customer {
            None => customers,
            Some((lo, _)) => customers
                .with_column((col(CUSTOMER_ID).cast(DataType::Int64) + lit(lo)).alias(CUSTOMER_ID)),
        }
    }
}

/// `name - lo` as UInt32; a value that does not fit (below `lo`, or 2^32 or more above it)
/// sets `outside` and fails the batch.
fn offset(name: &str, lo: i64, outside: &Arc<AtomicBool>) -> Expr {
    let outside = outside.clone();
    col(name)
        .map(
            move |c| {
                let ids = c.cast(&DataType::Int64)?;
                let mut missed = false;
                let offsets: UInt32Chunked =
                    ids.i64()?
                        .apply_nonnull_values_generic(DataType::UInt32, |v| {
                            let d = i128::from(v) - i128::from(lo);
                            if (0..=i128::from(u32::MAX)).contains(&d) {
                                d as u32
                            } else {
                                missed = true;
                                0
                            }
                        });
                if missed {
                    outside.store(true, Ordering::Relaxed);
                    polars_bail!(ComputeError: "an id lies outside its file's statistics");
                }
                Ok(offsets.with_name(c.name().clone()).into_column())
            },
            |_, f| Ok(Field::new(f.name().clone(), DataType::UInt32)),
        )
        .alias(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_carried_in_32_bits_only_when_int64_and_spanning_less_than_2_pow_32() {
        let schema = Schema::from_iter([
            Field::new(CUSTOMER_ID.into(), DataType::Int64),
            Field::new(ORDER_ID.into(), DataType::Int32),
        ]);
        let top = i64::from(u32::MAX);
        let narrow = Narrow::for_spans(&schema, Some((-5, top - 5)), Some((0, 9)));
        // order_id is already 32 bits wide.
        assert_eq!(
            (narrow.customer, narrow.order),
            (Some((-5, u32::MAX)), None)
        );
        let wide = Narrow::for_spans(&schema, Some((-5, top - 4)), None);
        assert_eq!(wide, Narrow::default().widened());
        // Offsets there and back, at both ends of the span.
        let ids = [-5i64, top - 5, 12];
        let lines = df!(CUSTOMER_ID => ids, ORDER_ID => [1i32, 2, 3])
            .unwrap()
            .lazy();
        let flag = Arc::new(AtomicBool::new(false));
        let carried = narrow.apply(lines, &flag).collect().unwrap();
        assert!(!flag.load(Ordering::Relaxed));
        let offsets = carried.column(CUSTOMER_ID).unwrap().u32().unwrap().clone();
        assert_eq!(
            offsets.into_no_null_iter().collect::<Vec<_>>(),
            [0, u32::MAX, 17]
        );
        let back = narrow.restore(carried.lazy()).collect().unwrap();
        let back = back.column(CUSTOMER_ID).unwrap().i64().unwrap().clone();
        assert_eq!(back.into_no_null_iter().collect::<Vec<_>>(), ids);
        // A value outside the span (statistics that lie) fails; it never becomes another key.
        let outside = df!(CUSTOMER_ID => [-6i64], ORDER_ID => [1i32])
            .unwrap()
            .lazy();
        assert!(narrow.apply(outside, &flag).collect().is_err());
        assert!(flag.load(Ordering::Relaxed), "the miss is flagged");
    }

    #[test]
    fn a_failure_that_is_not_a_narrowing_miss_is_not_flagged() {
        let schema = Schema::from_iter([Field::new(CUSTOMER_ID.into(), DataType::Int64)]);
        let narrow = Narrow::for_spans(&schema, Some((0, 10)), None);
        let flag = Arc::new(AtomicBool::new(false));
        // A bad value in another column fails the query; the ids themselves all fit.
        let lines = df!(CUSTOMER_ID => [1i64, 2], "amount" => ["1.5", "x"])
            .unwrap()
            .lazy()
            .with_column(col("amount").strict_cast(DataType::Float64));
        assert!(narrow.apply(lines, &flag).collect().is_err());
        assert!(!flag.load(Ordering::Relaxed), "a data error is not a miss");
    }
}
