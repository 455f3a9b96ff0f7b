//! Sums of minor units never wrap: lines past what 64 bits sum, at the edges of Int64, and
//! amounts whose minor units do not fit at all.

use predicates::prelude::*;

use crate::util::*;

/// `customer_id,order_date,amount,order_id` lines.
fn lines(rows: &[(&str, &str, &str, u32)]) -> String {
    let mut text = String::from("customer_id,order_date,amount,order_id\n");
    for (customer, date, amount, order) in rows {
        text.push_str(&format!("{customer},{date},{amount},{order}\n"));
    }
    text
}

#[test]
fn two_lines_of_fifty_quadrillion_sum_exactly_on_every_engine_and_pass_count() {
    // Regression: 2 x 5e18 minor units wrapped to -8.4e16 with exit 0.
    let s = Scratch::new();
    let input = s.write(
        "orders.csv",
        &lines(&[
            ("A", "2024-01-01", "50000000000000000.00", 1),
            ("A", "2024-01-02", "50000000000000000.00", 2),
            ("B", "2024-01-03", "10.50", 3),
            ("B", "2024-01-03", "-0.50", 3),
        ]),
    );
    let cfg = s.write("c.yaml", &config(""));
    let mut outputs = Vec::new();
    for flags in [
        vec!["--verbose"],
        vec!["--partitions", "2"],
        vec!["--engine", "in-memory"],
    ] {
        let out = s.path(&format!("out-{}.parquet", outputs.len()));
        let run = run_with(&flags, &cfg, &input, &out);
        if flags == ["--verbose"] {
            run.stderr(predicate::str::contains(
                "again with sums in two parts: the amounts could sum past 64 bits",
            ))
            .stderr(predicate::str::contains("-0.0%").not());
        }
        let df = read_parquet(&out);
        assert_eq!(strings(&df, "customer_id"), ["A", "B"]);
        assert_eq!(floats(&df, "monetary"), [1e17, 10.0]);
        assert_eq!(ints(&df, "frequency"), [2, 1]);
        outputs.push(df);
    }
    assert!(outputs.windows(2).all(|w| w[0].equals(&w[1])));
    // The report sums every customer: never negative.
    let report = rfmseg()
        .args(["report", "--json", "-", "--segments"])
        .arg(s.path("out-0.parquet"))
        .output()
        .unwrap();
    assert!(report.status.success());
    let json: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(json["revenue"].as_f64(), Some(1e17 + 10.0));
}

#[test]
fn sums_at_the_edges_of_int64_are_exact() {
    // monetary_decimals 0: an amount is its minor units. 2^62 twice is 2^63, one past
    // i64::MAX; 2^63 - 1024 (the largest double below 2^63) alone fits; a purchase of 2^62
    // and a return of 2^62 net to 0 although their absolute total passes 64 bits.
    let s = Scratch::new();
    let input = s.write(
        "orders.csv",
        &lines(&[
            ("A", "2024-01-01", "4611686018427387904", 1),
            ("A", "2024-01-02", "4611686018427387904", 2),
            ("B", "2024-01-03", "9223372036854774784", 3),
            ("C", "2024-01-03", "4611686018427387904", 4),
            ("C", "2024-01-04", "-4611686018427387904", 5),
            ("D", "2024-01-04", "-9223372036854774784", 6),
            ("D", "2024-01-04", "1", 6),
        ]),
    );
    let cfg = s.write("c.yaml", &config("analysis: {monetary_decimals: 0}"));
    let out = s.path("out.parquet");
    let df = run_quiet(&cfg, &input, &out);
    assert_eq!(strings(&df, "customer_id"), ["A", "B", "C", "D"]);
    assert_eq!(
        floats(&df, "monetary"),
        [
            9_223_372_036_854_775_808.0,
            9_223_372_036_854_774_784.0,
            0.0,
            // -2^63 + 1025, rounded once to the nearest double.
            -9_223_372_036_854_774_784.0
        ]
    );
}

#[test]
fn an_amount_whose_minor_units_do_not_fit_in_64_bits_names_the_row_and_the_fix() {
    let s = Scratch::new();
    let input = s.write(
        "orders.csv",
        &lines(&[
            ("A", "2024-01-01", "12.50", 1),
            ("B", "2024-01-02", "92233720368547758.08", 2),
        ]),
    );
    let input = input.to_str().unwrap().to_string();
    fails(
        &config(""),
        &[&input],
        &[],
        1,
        &[
            "row 2 (line 3)",
            "\"amount\"",
            "92233720368547758.08",
            "below 9.22e16 at monetary_decimals 2",
            "lower analysis.monetary_decimals",
        ],
    );
}
