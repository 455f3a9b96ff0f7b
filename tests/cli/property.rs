//! The whole pipeline (config file -> CSV or Parquet input -> Parquet output) against the
//! naive reference, on random inputs with many ties, groups, returns, nulls and as_of /
//! window cut-offs.

use chrono::NaiveDate;
use polars::prelude::*;
use proptest::prelude::*;
use rfmseg::cmd::run::RunOptions;
use rfmseg::pipeline::Options;

use crate::reference::*;
use crate::util::*;

const AMOUNTS: [f64; 12] = [
    -7.5, -2.5, -0.004, 0.0, 0.005, 1.0, 2.5, 2.5, 10.0, 10.01, 99.99, 1.005,
];

pub(crate) fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, d).unwrap()
}

pub(crate) fn line() -> impl Strategy<Value = Line> {
    (
        0..3usize,
        prop::option::weighted(0.93, 0..9u32),
        prop::option::weighted(0.95, 1..26u32),
        prop::option::weighted(0.95, 0..AMOUNTS.len()),
        0..6u32,
        prop::option::weighted(0.9, 0..3usize),
    )
        .prop_map(|(g, c, d, a, o, st)| Line {
            group: ["north", "south", "west"][g].to_string(),
            store: st.map(|st| ["s1", "s2", "s3"][st].to_string()),
            customer: c.map(|c| format!("{c:03}")),
            date: d.map(day),
            amount: a.map(|a| AMOUNTS[a]),
            order: format!("o{o}"),
        })
}

/// Lines as exports list them: often several in a row with the same group, customer and
/// order (the lines of one order), which the aggregation folds run by run before grouping.
pub(crate) fn in_runs(lines: impl Strategy<Value = Vec<Line>>) -> impl Strategy<Value = Vec<Line>> {
    lines
        .prop_flat_map(|lines| {
            let n = lines.len();
            (
                Just(lines),
                prop::collection::vec(prop::bool::weighted(0.6), n),
            )
        })
        .prop_map(|(mut lines, same_keys)| {
            for i in 1..lines.len() {
                if same_keys[i] {
                    let before = lines[i - 1].clone();
                    let line = &mut lines[i];
                    (line.group, line.store, line.customer, line.order) =
                        (before.group, before.store, before.customer, before.order);
                }
            }
            lines
        })
}

fn method(metric: usize, bins: u32) -> impl Strategy<Value = Meth> {
    let n = bins as usize - 1;
    prop_oneof![
        Just(Meth::Rank),
        Just(Meth::Quantile),
        Just(Meth::RRfm),
        prop::collection::btree_set(0..40u32, n).prop_map(move |set| {
            Meth::Fixed(
                set.into_iter()
                    .map(|v| {
                        if metric == 2 {
                            f64::from(v) * 2.5
                        } else {
                            f64::from(v) / 2.0
                        }
                    })
                    .collect(),
            )
        }),
    ]
}

fn scoring() -> impl Strategy<Value = [(Meth, u32); 3]> {
    let bins = || prop_oneof![4 => 2..=6u32, 1 => Just(10u32)];
    (bins(), bins(), bins()).prop_flat_map(|(a, b, c)| {
        (method(0, a), method(1, b), method(2, c))
            .prop_map(move |(ma, mb, mc)| [(ma, a), (mb, b), (mc, c)])
    })
}

fn condition(bins: [u32; 3]) -> impl Strategy<Value = Cond> {
    let wide = bins.iter().any(|b| *b > 9);
    prop_oneof![
        (0..3usize, 0..10u32, 0..10u32).prop_map(move |(i, a, b)| {
            let (lo, hi) = (1 + a % bins[i], 1 + b % bins[i]);
            Cond::Range(i, lo.min(hi), lo.max(hi))
        }),
        prop::collection::vec((0..10u32, 0..10u32, 0..10u32), 1..4).prop_map(move |cells| {
            Cond::Cells(
                cells
                    .into_iter()
                    .map(|(r, f, m)| {
                        let s = [1 + r % bins[0], 1 + f % bins[1], 1 + m % bins[2]];
                        if wide {
                            format!("{}-{}-{}", s[0], s[1], s[2])
                        } else {
                            format!("{}{}{}", s[0], s[1], s[2])
                        }
                    })
                    .collect(),
            )
        }),
        (1..6i32, 1..4i64).prop_map(|(a, b)| Cond::RecentAndFrequent(a, b)),
        (0..30u32, 3..15i32).prop_map(|(x, y)| Cond::RichOrHighScore(f64::from(x) * 2.5, y)),
    ]
}

pub(crate) fn params() -> impl Strategy<Value = Params> {
    scoring().prop_flat_map(|scoring| {
        let bins = [scoring[0].1, scoring[1].1, scoring[2].1];
        (
            any::<bool>(),
            any::<bool>(),
            prop_oneof![Just(2u32), Just(0), Just(3)],
            prop_oneof![Just(Freq::Orders), Just(Freq::Lines), Just(Freq::Days)],
            prop::option::of(5..28u32),
            prop::option::of(1..15u32),
            any::<bool>(),
            prop::collection::vec(prop::collection::vec(condition(bins), 1..3), 0..5),
            any::<bool>(),
            prop::option::of(1..14u64),
        )
            .prop_map(
                move |(ex, avg, dec, freq, as_of, window, grouped, rules, by_store, min_group)| {
                    Params {
                        exclude_returns: ex,
                        average: avg,
                        decimals: dec,
                        frequency: freq,
                        as_of: as_of.map(day),
                        window,
                        grouped,
                        by_store: grouped && by_store,
                        min_group: min_group.filter(|_| grouped),
                        scoring: scoring.clone(),
                        rules: rules
                            .into_iter()
                            .enumerate()
                            .map(|(i, c)| (format!("S{i}"), c))
                            .collect(),
                    }
                },
            )
    })
}

pub(crate) fn yaml(p: &Params) -> String {
    let mut s = String::from(
        "input:\n  columns: {customer_id: cust, order_date: day, amount: value, order_id: order}\nanalysis:\n",
    );
    s += &format!(
        "  returns: {}\n  monetary: {}\n  monetary_decimals: {}\n  frequency: {}\n",
        if p.exclude_returns { "exclude" } else { "net" },
        if p.average { "average" } else { "total" },
        p.decimals,
        match p.frequency {
            Freq::Orders => "orders",
            Freq::Lines => "lines",
            Freq::Days => "days",
        }
    );
    if let Some(d) = p.as_of {
        s += &format!("  as_of: {d}\n");
    }
    if let Some(w) = p.window {
        s += &format!("  window_days: {w}\n");
    }
    if p.grouped && p.by_store {
        s += "  group_by: [grp, store]\n";
    } else if p.grouped {
        s += "  group_by: [grp]\n";
    }
    s += "scoring:\n  method: rank\n";
    if let Some(n) = p.min_group {
        s += &format!("  min_group_customers: {n}\n");
    }
    for (name, (meth, bins)) in ["recency", "frequency", "monetary"].iter().zip(&p.scoring) {
        s += &format!("  {name}: {{bins: {bins}, method: ");
        s += &match meth {
            Meth::Rank => "rank}\n".to_string(),
            Meth::Quantile => "quantile}\n".to_string(),
            Meth::RRfm => "r-rfm}\n".to_string(),
            Meth::Fixed(t) => format!("fixed, thresholds: {t:?}}}\n"),
        };
    }
    s += "segments:\n  rules:\n";
    for (name, conds) in &p.rules {
        let parts: Vec<String> = conds.iter().map(|c| c.yaml()).collect();
        // Two conditions on the same key cannot share a mapping: keep the first.
        let mut seen = std::collections::HashSet::new();
        let parts: Vec<String> = parts
            .into_iter()
            .filter(|p| seen.insert(p.split(':').next().unwrap().to_string()))
            .collect();
        s += &format!("    - {{name: {name}, {}}}\n", parts.join(", "));
    }
    s
}

/// The rules as the YAML states them (duplicate keys dropped like in `yaml`).
pub(crate) fn effective(p: &Params) -> Params {
    let mut p = p.clone();
    for (_, conds) in &mut p.rules {
        let mut seen = std::collections::HashSet::new();
        conds.retain(|c| seen.insert(c.yaml().split(':').next().unwrap().to_string()));
    }
    p
}

pub(crate) fn csv(lines: &[Line]) -> String {
    let mut s = String::from("grp,store,cust,day,value,order\n");
    for l in lines {
        s += &format!(
            "{},{},{},{},{},{}\n",
            l.group,
            l.store.clone().unwrap_or_default(),
            l.customer.clone().unwrap_or_default(),
            l.date.map(|d| d.to_string()).unwrap_or_default(),
            l.amount.map(|a| a.to_string()).unwrap_or_default(),
            l.order
        );
    }
    s
}

/// The lines as Parquet: group, customer and order as text, or with `integer_ids` as Int32,
/// Int64 and Int64 (the integer lines' ids are digits).
/// `lines` as a Parquet file, in row groups of `row_group` lines (polars' default when None):
/// small ones make many morsels of the scan.
pub(crate) fn parquet(
    lines: &[Line],
    path: &std::path::Path,
    integer_ids: bool,
    row_group: Option<usize>,
) {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    let mut df = df!(
        "grp" => lines.iter().map(|l| l.group.clone()).collect::<Vec<_>>(),
        "store" => lines.iter().map(|l| l.store.clone()).collect::<Vec<_>>(),
        "cust" => lines.iter().map(|l| l.customer.clone()).collect::<Vec<_>>(),
        "day" => lines.iter().map(|l| l.date.map(|d| (d - epoch).num_days() as i32)).collect::<Vec<_>>(),
        "value" => lines.iter().map(|l| l.amount).collect::<Vec<_>>(),
        "order" => lines.iter().map(|l| l.order.clone()).collect::<Vec<_>>(),
    )
    .unwrap();
    df.apply("day", |c| c.cast(&DataType::Date).unwrap())
        .unwrap();
    if integer_ids {
        for (name, dtype) in [
            ("grp", DataType::Int32),
            ("cust", DataType::Int64),
            ("order", DataType::Int64),
        ] {
            df.apply(name, |c| c.strict_cast(&dtype).unwrap()).unwrap();
        }
    }
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .with_row_group_size(row_group)
        .finish(&mut df)
        .unwrap();
}

/// A column as text, nulls as None.
fn optional_strings(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let c = df.column(name).unwrap().cast(&DataType::String).unwrap();
    c.str()
        .unwrap()
        .iter()
        .map(|v| v.map(str::to_string))
        .collect()
}

fn rows_of(df: &DataFrame, p: &Params) -> Vec<Row> {
    let s = |c: &str| strings(df, c);
    let i = |c: &str| ints(df, c);
    let date = |c: &str| -> Vec<NaiveDate> { s(c).iter().map(|d| d.parse().unwrap()).collect() };
    let columns: &[&str] = match (p.grouped, p.by_store) {
        (false, _) => &[],
        (true, false) => &["grp"],
        (true, true) => &["grp", "store"],
    };
    let values: Vec<Vec<Option<String>>> =
        columns.iter().map(|c| optional_strings(df, c)).collect();
    let groups: Vec<Vec<Option<String>>> = (0..df.height())
        .map(|k| values.iter().map(|v| v[k].clone()).collect())
        .collect();
    let levels: Vec<Option<i32>> = match p.min_group {
        Some(_) => i("score_level")
            .into_iter()
            .map(|l| Some(l as i32))
            .collect(),
        None => {
            assert!(
                df.column("score_level").is_err(),
                "score_level without min_group_customers"
            );
            vec![None; df.height()]
        }
    };
    let monetary = floats(df, "monetary");
    let (cust, rec, freq, first, last) = (
        s("customer_id"),
        i("recency_days"),
        i("frequency"),
        date("first_order_date"),
        date("last_order_date"),
    );
    let (r, f, m, cell, score, seg) = (
        i("r"),
        i("f"),
        i("m"),
        s("rfm_cell"),
        i("rfm_score"),
        s("segment"),
    );
    (0..df.height())
        .map(|k| Row {
            groups: groups[k].clone(),
            customer: cust[k].clone(),
            recency: rec[k],
            frequency: freq[k],
            monetary: monetary[k],
            first: first[k],
            last: last[k],
            scores: [r[k] as i32, f[k] as i32, m[k] as i32],
            cell: cell[k].clone(),
            score: score[k] as i32,
            segment: seg[k].clone(),
            level: levels[k],
        })
        .collect()
}

/// A run of `p`'s config (written to `c.yaml` in `s`) on `input` with `options`, whose output
/// (`out.parquet`) must hold the naive reference's rows for `lines`.
struct Checked {
    cfg: std::path::PathBuf,
    overrides: rfmseg::config::Overrides,
    out: std::path::PathBuf,
    expected: Vec<Row>,
    report: Box<rfmseg::pipeline::summary::RunSummary>,
}

fn run_against_reference(
    s: &Scratch,
    p: &Params,
    lines: &[Line],
    input: &std::path::Path,
    options: &RunOptions,
) -> Result<Checked, TestCaseError> {
    let cfg = s.write("c.yaml", &yaml(p));
    let out = s.path("out.parquet");
    let overrides = rfmseg::config::Overrides {
        inputs: vec![input.display().to_string()],
        output: Some(out.clone()),
        as_of: None,
    };
    let settings = rfmseg::config::load(&cfg, &overrides)
        .map_err(|e| TestCaseError::fail(format!("{e}\n{}", yaml(p))))?;
    let expected = reference(lines, p);
    let outcome = rfmseg::cmd::run::run(&settings, options)
        .map_err(|e| TestCaseError::fail(format!("{e}")))?;
    let rfmseg::cmd::run::Outcome::Done(report) = outcome else {
        return Err(TestCaseError::fail("the run wrote no report"));
    };
    let got = rows_of(&read_parquet(&out), p);
    prop_assert_eq!(got.len(), expected.len(), "config:\n{}", yaml(p));
    for (g, e) in got.iter().zip(&expected) {
        prop_assert_eq!(g, e, "config:\n{}", yaml(p));
    }
    Ok(Checked {
        cfg,
        overrides,
        out,
        expected,
        report,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn pipeline_matches_the_naive_reference(
        lines in in_runs(prop::collection::vec(line(), 1..60)),
        p in params(),
        as_parquet in any::<bool>(),
    ) {
        let p = effective(&p);
        let s = Scratch::new();
        let input = if as_parquet {
            let path = s.path("lines.parquet");
            parquet(&lines, &path, false, None);
            path
        } else {
            s.write("lines.csv", &csv(&lines))
        };
        let edges = s.path("edges.yaml");
        let options = RunOptions { thresholds_out: Some(edges.clone()), ..Default::default() };
        let Checked { cfg, overrides, out, expected, .. } = run_against_reference(&s, &p, &lines, &input, &options)?;
        // The in-memory engine writes the same file.
        let in_memory = s.path("in-memory.parquet");
        let settings_im = rfmseg::config::load(&cfg, &rfmseg::config::Overrides { output: Some(in_memory.clone()), ..overrides.clone() })
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        rfmseg::cmd::run::run(&settings_im, &RunOptions { pipeline: Options { in_memory: true, ..Default::default() }, ..Default::default() })
            .map_err(|e| TestCaseError::fail(format!("in memory: {e}")))?;
        prop_assert!(read_parquet(&out).equals_missing(&read_parquet(&in_memory)), "engines differ:\n{}", yaml(&p));
        if expected.is_empty() {
            return Ok(());
        }
        // The edges of this run, frozen, score the same data the same.
        let frozen_cfg = s.write(
            "frozen.yaml",
            &yaml(&p).replace("scoring:\n", &format!("scoring:\n  thresholds_from: {}\n", edges.display())),
        );
        let again = s.path("again.parquet");
        let overrides = rfmseg::config::Overrides { output: Some(again.clone()), ..overrides };
        let settings = rfmseg::config::load(&frozen_cfg, &overrides).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        // ... also when the customers are aggregated in several hash partitions.
        let partitions = Some(1 + (lines.len() % 4) as u32);
        rfmseg::cmd::run::run(&settings, &RunOptions { pipeline: Options { partitions, ..Default::default() }, ..Default::default() })
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert!(read_parquet(&out).equals_missing(&read_parquet(&again)), "frozen edges differ:\n{}", std::fs::read_to_string(&edges).unwrap());
    }
}

/// Lines with integer customer ids, group codes and order ids. With `own_orders` every order
/// id belongs to one customer (and group), so `frequency: orders` folds lines by order id
/// alone; otherwise the small ids are shared between customers and the run must notice and
/// fold by (group, customer, order).
/// Integer ids as `base + k * scale`: small, past 2^32, or spread wider than 2^32 (then they
/// cannot be carried in 32 bits). All ids of a case have as many digits, so that the
/// reference's text order is their numeric order.
fn id_scale() -> impl Strategy<Value = (i64, i64)> {
    prop_oneof![
        Just((0, 1)),
        Just((4_000_000_000_000, 1)),
        Just((1_000_000_000_000, 700_000_000)),
    ]
}

fn integer_lines(own_orders: bool) -> impl Strategy<Value = Vec<Line>> {
    (
        prop::collection::vec((line(), 0..3u32, 0..9u32), 1..60),
        id_scale(),
    )
        .prop_map(move |(lines, (base, scale))| {
            let id = |k: u32| (base + i64::from(k) * scale).to_string();
            lines
                .into_iter()
                .map(|(l, g, c)| {
                    let o: u32 = l.order[1..].parse().unwrap();
                    Line {
                        group: g.to_string(),
                        customer: l.customer.map(|_| id(c)),
                        order: if own_orders {
                            // One group and customer per order id (a null customer's lines
                            // share customer 0's ids: nulls are not folded).
                            id(o * 100 + g * 10 + c)
                        } else {
                            id(o)
                        },
                        ..l
                    }
                })
                .collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Integer ids in Parquet (carried in 32 bits when their span allows), in row groups of
    /// a few lines or one. With `frequency: orders` (most cases), orders counted where their
    /// lines are (order ids in 32 bits, with or without group_by) or the fold by order id alone give the
    /// reference's rows when every order id has one customer, and the run falls back to the
    /// exact fold (and still gives them) when lines come apart or an id is shared; also in
    /// several hash partitions. With `together`, each order's lines come one after another.
    #[test]
    fn order_id_fold_matches_the_naive_reference(
        (own_orders, lines) in any::<bool>().prop_flat_map(|own| (Just(own), in_runs(integer_lines(own)))),
        p in params(),
        partitions in 1..4u32,
        frequency in prop_oneof![3 => Just(Freq::Orders), 1 => Just(Freq::Lines), 1 => Just(Freq::Days)],
        row_group in prop::option::of(1..8usize),
        together in any::<bool>(),
    ) {
        let p = effective(&Params { frequency, ..p });
        let mut lines = lines;
        if together {
            lines.sort_by(|a, b| (&a.group, &a.customer, &a.order).cmp(&(&b.group, &b.customer, &b.order)));
        }
        let s = Scratch::new();
        let input = s.path("lines.parquet");
        parquet(&lines, &input, true, row_group);
        let options = RunOptions { pipeline: Options { partitions: Some(partitions), ..Default::default() }, ..Default::default() };
        let report = run_against_reference(&s, &p, &lines, &input, &options)?.report;
        let again = |why: &str| report.timings.iter().any(|(stage, _)| stage.contains(why));
        // The fold by order id alone ran whole: no fallback to the exact fold.
        if own_orders {
            prop_assert!(!again("an order id is shared"), "an order id held by one customer made the run fall back");
        }
        // Orders whose lines come together are counted where they are, whatever the morsels
        // and the group_by.
        let span = |ids: Vec<i64>| ids.iter().max().zip(ids.iter().min()).is_none_or(|(hi, lo)| hi - lo <= i64::from(u32::MAX));
        let narrow = span(lines.iter().filter_map(|l| l.customer.as_ref()?.parse().ok()).collect())
            && span(lines.iter().map(|l| l.order.parse().unwrap()).collect());
        // An order whose lines name two stores (under group_by [grp, store]) is two rows to
        // count: the fold rightly hands it to the group-by over orders.
        let key = |l: &Line| (p.grouped.then(|| l.group.clone()), l.store.clone().filter(|_| p.by_store), l.customer.clone());
        let mut keys: std::collections::HashMap<&str, _> = std::collections::HashMap::new();
        let one_key_per_order = lines
            .iter()
            .filter(|l| l.customer.is_some())
            .all(|l| *keys.entry(l.order.as_str()).or_insert_with(|| key(l)) == key(l));
        if own_orders && together && narrow && one_key_per_order && p.frequency == Freq::Orders {
            prop_assert!(!again("order lines are not in runs"), "orders whose lines come together were counted again");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Text customer and order ids, in Parquet (row groups of a few lines or one) or CSV,
    /// without group_by: orders are counted where their lines are while the ids rise through
    /// the file, and the run falls back to the fold by customer and order otherwise (order
    /// ids out of order, or shared between customers). The reference's rows either way.
    #[test]
    fn text_ids_counted_in_place_match_the_naive_reference(
        (own_orders, lines) in any::<bool>().prop_flat_map(|own| (Just(own), in_runs(integer_lines(own)))),
        p in params(),
        row_group in prop::option::of(1..8usize),
        rising in any::<bool>(),
        as_parquet in any::<bool>(),
    ) {
        let p = effective(&Params { frequency: Freq::Orders, grouped: false, by_store: false, min_group: None, ..p });
        let mut lines = lines;
        if rising {
            lines.sort_by(|a, b| a.order.cmp(&b.order));
        }
        let s = Scratch::new();
        let input = if as_parquet {
            let path = s.path("lines.parquet");
            parquet(&lines, &path, false, row_group);
            path
        } else {
            s.write("lines.csv", &csv(&lines))
        };
        let report = run_against_reference(&s, &p, &lines, &input, &RunOptions::default())?.report;
        let again = |why: &str| report.timings.iter().any(|(stage, _)| stage.contains(why));
        if own_orders && rising {
            prop_assert!(!again("order lines are not in runs"), "rising text order ids were counted again");
        }
    }
}

/// Customer ids and groups in Arabic script (every one in Windows-1256), two holding a
/// separator of some dialect (they are quoted where it is theirs).
const ARABIC_IDS: [&str; 9] = [
    "علي",
    "محمد",
    "رضا",
    "پرويز گلستان",
    "چمن;ژاله",
    "کوثر, ب",
    "مريم",
    "گلناز|نو",
    "زهرا",
];
const ARABIC_GROUPS: [&str; 3] = ["شمال", "جنوب", "مرکز"];

/// Amounts past a thousand, so that thousands separators are written.
const LARGE_AMOUNTS: [f64; 6] = [1234.5, -2500.0, 1000000.01, 98765.432, 1000.0, -1234567.89];

/// `line()` with Arabic ids and groups, and a large amount a quarter of the time.
fn arabic_line() -> impl Strategy<Value = Line> {
    (line(), prop::option::weighted(0.25, 0..LARGE_AMOUNTS.len())).prop_map(|(l, large)| {
        let group = ["north", "south", "west"]
            .iter()
            .position(|g| *g == l.group)
            .expect("a generated group");
        Line {
            group: ARABIC_GROUPS[group].to_string(),
            customer: l
                .customer
                .map(|c| ARABIC_IDS[c.parse::<usize>().unwrap()].to_string()),
            amount: match (l.amount, large) {
                (Some(_), Some(k)) => Some(LARGE_AMOUNTS[k]),
                (a, _) => a,
            },
            ..l
        }
    })
}

/// `lines` as `form` writes them (header `grp,store,cust,day,value,order`).
fn csv_in(lines: &[Line], form: &crate::dialects::Form) -> Vec<u8> {
    let header = ["grp", "store", "cust", "day", "value", "order"];
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            vec![
                l.group.clone(),
                l.store.clone().unwrap_or_default(),
                l.customer.clone().unwrap_or_default(),
                l.date.map(|d| d.to_string()).unwrap_or_default(),
                l.amount.map(|a| a.to_string()).unwrap_or_default(),
                l.order.clone(),
            ]
        })
        .collect();
    form.bytes(&form.text_with_amounts_in(&header, &rows, "value"))
}

/// How the Solar Hijri file of [`solar_hijri_text_gives_the_rows_of_iso_text`] writes a line.
#[derive(Debug, Clone, Copy)]
enum Written {
    Ascii,
    Persian,
    ArabicIndic,
}

fn written(text: &str, how: Written) -> String {
    match how {
        Written::Ascii => text.to_string(),
        Written::Persian => crate::calendar::persian_digits(text),
        Written::ArabicIndic => crate::calendar::arabic_indic_digits(text),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// The same random lines written plain (comma-separated UTF-8, '.' decimal point) and in
    /// a CSV dialect (`;`, tab or `|` separated; decimal comma; '.', ',', space or no-break
    /// space thousands; Windows-1256 or UTF-16), with Arabic-script ids and groups: the plain
    /// run gives the naive reference's rows, and the dialect's run the same file.
    #[test]
    fn csv_dialects_give_the_rows_of_the_plain_file(
        lines in in_runs(prop::collection::vec(arabic_line(), 1..60)),
        p in params(),
        form in prop::sample::select(crate::dialects::forms()),
    ) {
        let (name, form) = form;
        let p = effective(&p);
        let s = Scratch::new();
        let plain = s.path("lines.csv");
        std::fs::write(&plain, csv_in(&lines, &crate::dialects::PLAIN)).unwrap();
        let Checked { out, .. } = run_against_reference(&s, &p, &lines, &plain, &RunOptions::default())?;
        let input = s.path("dialect.csv");
        std::fs::write(&input, csv_in(&lines, &form)).unwrap();
        let cfg = s.write("dialect.yaml", &yaml(&p).replacen("input:\n", &format!("input:\n{}", form.yaml()), 1));
        let dialect_out = s.path("dialect.parquet");
        let overrides = rfmseg::config::Overrides {
            inputs: vec![input.display().to_string()],
            output: Some(dialect_out.clone()),
            as_of: None,
        };
        let settings = rfmseg::config::load(&cfg, &overrides)
            .map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
        rfmseg::cmd::run::run(&settings, &RunOptions::default())
            .map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
        prop_assert!(
            read_parquet(&out).equals_missing(&read_parquet(&dialect_out)),
            "{} reads differently:\n{}",
            name,
            std::fs::read_to_string(&cfg).unwrap()
        );
    }

    /// Issue 18: the same random lines, written once in ISO with ASCII digits and once in the
    /// Solar Hijri calendar (`input.calendar: persian`, as `YYYY/MM/DD`, `YYYY-MM-DD` or
    /// through `date_format: "%d/%m/%Y"`) with Persian, Arabic-Indic or ASCII digits line by
    /// line (amounts with `٫`), give the same output and line counts, as_of given in each
    /// calendar (in the config or as `--as-of`) or taken from the data. The days run across
    /// Esfand 30 of the leap year 1403 and Nowruz 1404, or (spread) across a whole year and
    /// its month lengths.
    #[test]
    fn solar_hijri_text_gives_the_rows_of_iso_text(
        lines in in_runs(prop::collection::vec(line(), 1..60)),
        p in params(),
        spread in prop_oneof![Just(1i64), Just(17i64)],
        form in 0..3usize,
        digits in prop::collection::vec(prop_oneof![Just(Written::Ascii), Just(Written::Persian), Just(Written::ArabicIndic)], 60),
        as_of_on_the_command_line in any::<bool>(),
    ) {
        let p = effective(&p);
        // June 1..26 2024 -> days from 2025-03-10 (1403/12/20), `spread` days apart.
        let base = NaiveDate::from_ymd_opt(2025, 3, 10).unwrap();
        let moved = |d: NaiveDate| base + chrono::Duration::days(spread * (i64::from(chrono::Datelike::day(&d)) - 1));
        let lines: Vec<Line> = lines.into_iter().map(|l| Line { date: l.date.map(moved), ..l }).collect();
        let p = Params { as_of: p.as_of.map(moved), ..p };
        let s = Scratch::new();
        let iso = s.write("iso.csv", &csv(&lines));
        let shamsi = |d: NaiveDate| {
            let (y, m, day) = crate::calendar::solar_hijri(d);
            match form {
                0 => format!("{y}/{m:02}/{day:02}"),
                1 => format!("{y}-{m}-{day}"),
                _ => format!("{day:02}/{m:02}/{y}"),
            }
        };
        let mut text = String::from("grp,store,cust,day,value,order\n");
        for (l, how) in lines.iter().zip(digits.iter().cycle()) {
            text += &format!(
                "{},{},{},{},{},{}\n",
                l.group,
                l.store.clone().unwrap_or_default(),
                l.customer.clone().unwrap_or_default(),
                l.date.map(|d| written(&shamsi(d), *how)).unwrap_or_default(),
                l.amount.map(|a| written(&a.to_string(), *how)).unwrap_or_default(),
                l.order
            );
        }
        let persian = s.write("persian.csv", &text);
        let run = |name: &str, config: String, input: &std::path::Path, as_of: Option<String>| {
            let cfg = s.write(&format!("{name}.yaml"), &config);
            let out = s.path(&format!("{name}.parquet"));
            let overrides = rfmseg::config::Overrides {
                inputs: vec![input.display().to_string()],
                output: Some(out.clone()),
                as_of,
            };
            let settings = rfmseg::config::load(&cfg, &overrides)
                .map_err(|e| TestCaseError::fail(format!("{name}: {e}\n{config}")))?;
            let outcome = rfmseg::cmd::run::run(&settings, &RunOptions::default())
                .map_err(|e| TestCaseError::fail(format!("{name}: {e}\n{config}")))?;
            let rfmseg::cmd::run::Outcome::Done(summary) = outcome else {
                return Err(TestCaseError::fail("the run wrote no summary"));
            };
            Ok((read_parquet(&out), summary))
        };
        let plain = yaml(&p);
        let (want, want_summary) = run("iso", plain.clone(), &iso, None)?;
        let without_as_of = yaml(&Params { as_of: None, ..p.clone() });
        let mut config = without_as_of.replacen(
            "input:\n",
            &format!(
                "input:\n  calendar: persian\n{}",
                if form == 2 { "  date_format: \"%d/%m/%Y\"\n" } else { "" }
            ),
            1,
        );
        let mut as_of = None;
        if let Some(d) = p.as_of {
            let (y, m, day) = crate::calendar::solar_hijri(d);
            let given = crate::calendar::persian_digits(&format!("{y}/{m:02}/{day:02}"));
            if as_of_on_the_command_line {
                as_of = Some(given);
            } else {
                config = config.replacen("analysis:\n", &format!("analysis:\n  as_of: \"{given}\"\n"), 1);
            }
        }
        let (got, summary) = run("persian", config.clone(), &persian, as_of)?;
        prop_assert!(got.equals_missing(&want), "config:\n{}\n{}\n{}", config, got, want);
        prop_assert_eq!(&summary.lines, &want_summary.lines);
        prop_assert_eq!(summary.as_of, want_summary.as_of);
    }
}
