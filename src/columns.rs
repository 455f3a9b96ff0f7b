//! Column names, in one place: the contract's output columns and the internal columns of the
//! pipeline. Nothing else in the crate spells a column name as a string literal.

/// Output: the customer key, as written in the input.
pub const CUSTOMER_ID: &str = "customer_id";
/// Output: days from the last purchase to `as_of`.
pub const RECENCY_DAYS: &str = "recency_days";
/// Output: purchases counted per `analysis.frequency`.
pub const FREQUENCY: &str = "frequency";
/// Output: net (or average) spend in currency units.
pub const MONETARY: &str = "monetary";
/// Output: first purchase date in the window.
pub const FIRST_ORDER_DATE: &str = "first_order_date";
/// Output: last purchase date in the window.
pub const LAST_ORDER_DATE: &str = "last_order_date";
/// Output: recency score.
pub const R: &str = "r";
/// Output: frequency score.
pub const F: &str = "f";
/// Output: monetary score.
pub const M: &str = "m";
/// Output: the three scores as one string, e.g. "545".
pub const RFM_CELL: &str = "rfm_cell";
/// Output: r + f + m.
pub const RFM_SCORE: &str = "rfm_score";
/// Output: the segment name.
pub const SEGMENT: &str = "segment";
/// Output, with `scoring.min_group_customers` (after `rfm_score`): how many group_by columns
/// the scores were computed within (the level of the partition whose edges were used).
pub const SCORE_LEVEL: &str = "score_level";

/// Output (with `output.holdout`, the last column): true for a customer held out of campaigns.
pub const HOLDOUT: &str = "holdout";

/// The contract's output columns after the group_by columns, in their order.
pub const OUTPUT_COLUMNS: [&str; 12] = [
    CUSTOMER_ID,
    RECENCY_DAYS,
    FREQUENCY,
    MONETARY,
    FIRST_ORDER_DATE,
    LAST_ORDER_DATE,
    R,
    F,
    M,
    RFM_CELL,
    RFM_SCORE,
    SEGMENT,
];

/// Input role / internal line column: the order date as a calendar date.
pub const ORDER_DATE: &str = "order_date";
/// Input role / internal line column: the line amount in currency units.
pub const AMOUNT: &str = "amount";
/// Input role / internal line column: the order key.
pub const ORDER_ID: &str = "order_id";

/// Internal: the line amount in integer minor units.
pub const MINOR: &str = "__minor";
/// Internal: total minor units of the kept lines of a customer.
pub const SUM_MINOR: &str = "__sum_minor";
/// Internal: the latest date of any valid line (for the default `as_of`).
pub const MAX_LINE_DATE: &str = "__max_line_date";
/// Internal: the run's line counters (one row of totals), for the summary.
pub const N_LINES: &str = "__n_lines";
/// Internal: lines with no customer id.
pub const N_NULL_CUSTOMER: &str = "__n_null_customer";
/// Internal: lines with a null order date.
pub const N_NULL_DATE: &str = "__n_null_date";
/// Internal: lines with a null amount (and a date).
pub const N_NULL_AMOUNT: &str = "__n_null_amount";
/// Internal: valid lines dated after `as_of`.
pub const N_AFTER_AS_OF: &str = "__n_after_as_of";
/// Internal: valid lines before the window.
pub const N_OUTSIDE_WINDOW: &str = "__n_outside_window";
/// Internal: return lines dropped by `returns: exclude`.
pub const N_RETURNS_EXCLUDED: &str = "__n_returns_excluded";
/// Internal: lines whose amount is NaN or infinite (an input error).
pub const N_BAD_AMOUNT: &str = "__n_bad_amount";
/// Internal: purchase lines kept.
pub const N_PURCHASES: &str = "__n_purchases";
/// Internal: return lines kept.
pub const N_RETURNS: &str = "__n_returns";
/// Internal: per customer, with `frequency: orders` folded by order id, true when one of the
/// customer's order ids also holds lines of another customer (or group): the exact fold must
/// run instead.
pub const ORDER_SHARED: &str = "__order_shared";
/// Internal: the source file of a line (diagnostics only).
pub const SOURCE_ROW: &str = "__row";

/// Rejects file (`input.rejects_path`): the input file holding the value.
pub const REJECT_FILE: &str = "file";
/// Rejects file: the data row, counted from 1 (as error messages count it).
pub const REJECT_ROW: &str = "row";
/// Rejects file: the line the row starts on (CSV; empty for Parquet).
pub const REJECT_LINE: &str = "line";
/// Rejects file: the column in the input file.
pub const REJECT_COLUMN: &str = "column";
/// Rejects file: the value as written.
pub const REJECT_VALUE: &str = "value";
/// Rejects file: why it cannot be read.
pub const REJECT_REASON: &str = "reason";
/// The rejects file's columns, in order.
pub const REJECT_COLUMNS: [&str; 6] = [
    REJECT_FILE,
    REJECT_ROW,
    REJECT_LINE,
    REJECT_COLUMN,
    REJECT_VALUE,
    REJECT_REASON,
];
/// Internal: the input file's place in the list (rejects are sorted by it).
pub const FILE_INDEX: &str = "__file";
/// Internal: the role's place (rejects of one row are sorted by it).
pub const ROLE_INDEX: &str = "__role";

/// One of the three metrics: its score column, its metric column and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// The score column: r, f or m.
    pub score: &'static str,
    /// The metric column: recency_days, frequency or monetary.
    pub column: &'static str,
    /// The name used in configs, thresholds files and messages: recency, frequency, monetary.
    pub name: &'static str,
}

/// The three metrics, in r, f, m order: the one place they are paired.
pub const METRICS: [Metric; 3] = [
    Metric {
        score: R,
        column: RECENCY_DAYS,
        name: "recency",
    },
    Metric {
        score: F,
        column: FREQUENCY,
        name: "frequency",
    },
    Metric {
        score: M,
        column: MONETARY,
        name: "monetary",
    },
];

/// The metric of score column `score` (r, f or m; anything else is m).
pub fn metric(score: &str) -> Metric {
    METRICS
        .into_iter()
        .find(|m| m.score == score)
        .unwrap_or(METRICS[2])
}

/// The metric columns a `when` rule may name besides the group_by columns.
pub const WHEN_COLUMNS: [&str; 7] = [R, F, M, RECENCY_DAYS, FREQUENCY, MONETARY, RFM_SCORE];

/// Report: customers in a set (the run, a segment, a group).
pub const CUSTOMERS: &str = "customers";
/// Report: sum of monetary.
pub const REVENUE: &str = "revenue";
/// Report: sum of frequency.
pub const PURCHASES: &str = "purchases";
/// Report: customers with frequency >= 2.
pub const REPEATERS: &str = "__repeaters";
/// Report: monetary of the top 20% of customers by monetary.
pub const TOP_REVENUE: &str = "__top_revenue";
/// Report: median recency_days.
pub const MEDIAN_RECENCY: &str = "median_recency_days";
/// Report: median frequency.
pub const MEDIAN_FREQUENCY: &str = "median_frequency";
/// Report: median monetary.
pub const MEDIAN_MONETARY: &str = "median_monetary";
/// Report: a row's place in the group table.
pub const GROUP_INDEX: &str = "__group";
/// Report: average monetary of an R x F cell.
pub const AVG_MONETARY: &str = "__avg_monetary";
/// Report: a histogram bin.
pub const BIN: &str = "__bin";
/// Report: the previous run's segment of a customer.
pub const FROM: &str = "__from";
/// Report: this run's segment of a customer.
pub const TO: &str = "__to";
/// Report: the customer is in the previous run.
pub const IN_PREVIOUS: &str = "__in_previous";
/// Report: the customer is in this run.
pub const IN_CURRENT: &str = "__in_current";
/// Report: rfm_score in the previous run.
pub const PREVIOUS_SCORE: &str = "__previous_score";
/// Report: last_order_date in this run.
pub const LAST_NOW: &str = "__last_order_now";
/// Report: a previous customer who bought after the previous run's as_of.
pub const BOUGHT_AGAIN: &str = "__bought_again";

/// Movers file: the previous run's segment (null: new in this run).
pub const FROM_SEGMENT: &str = "from_segment";
/// Movers file: this run's segment (null: gone from this run).
pub const TO_SEGMENT: &str = "to_segment";
/// Movers file: the previous run's scores, then this run's, in this order.
pub const MOVER_SCORES: [(&str, &str, &str); 4] = [
    ("from_r", "to_r", R),
    ("from_f", "to_f", F),
    ("from_m", "to_m", M),
    ("from_rfm_score", "to_rfm_score", RFM_SCORE),
];

/// The smallest magnitude of minor units (`amount * 10^monetary_decimals`) that does not fit
/// in 64 bits, 2^63: an amount at or past it is a bad amount.
pub const MINOR_UNITS_LIMIT: f64 = 9_223_372_036_854_775_808.0;

/// Saved state (`run --state`), a rollup row: the day of its lines (Date).
pub const DAY: &str = "day";
/// Saved state, a rollup row: the purchase lines' minor units, summed (Int64).
pub const PURCHASE_MINOR: &str = "purchase_minor";
/// Saved state, a rollup row: the return lines' minor units, summed (Int64, zero or less).
pub const RETURN_MINOR: &str = "return_minor";
/// Saved state, a rollup row: purchase lines (UInt32).
pub const PURCHASE_LINES: &str = "purchase_lines";
/// Saved state, a rollup row: return lines (UInt32).
pub const RETURN_LINES: &str = "return_lines";
/// Internal: a batch's valid lines (with a customer, a date and an amount).
pub const N_VALID: &str = "__n_valid";
/// Internal: a batch's earliest valid line date.
pub const MIN_LINE_DATE: &str = "__min_line_date";
/// Internal: the sum of the absolute minor units of a batch's lines (Float64), which says
/// whether its sums fit in 64 bits.
pub const ABS_MINOR: &str = "__abs_minor";
