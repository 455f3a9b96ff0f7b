#!/usr/bin/env python3
"""The rfmseg contract as a Python-polars script, as a data team would write it for the
benchmark.

    python3 bench/peers/polars_rfm.py CONFIG.yaml INPUT.parquet|INPUT.csv OUTPUT.parquet [--form two|one]

The same config keys as duckdb_rfm.py (rfm_config.py): mapped columns, as_of, window_days,
returns, integer minor units (round half away from zero), frequency orders|lines|days,
monetary total|average, group_by, rank / quantile / fixed scores, r/f/m ranges and cells.
Native column types: Parquet's, or what polars infers from CSV (no id cast to text). Lazy
scans, filters before the group-by, the streaming engine.

--form two (the default): lines to orders, then orders to customers (a count of order rows);
--form one: one group_by per customer with n_unique of the purchase lines' order ids. On 10M
date-sorted lines with text customer ids (2 cores) two was about 15% faster and 10% leaner.
Threads: POLARS_MAX_THREADS, as for rfmseg.

Monetary is divided by 10^d value by value (numpy): polars divides a float column by a
scalar through its reciprocal, one ulp off the contract's `sum / 10^d` for most amounts.
"""
import argparse
import os
import sys
import time

import polars as pl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rfm_config  # noqa: E402


def exact_div(e, divisor):
    """e / divisor in IEEE division, value by value."""
    return e.cast(pl.Float64).map_batches(lambda s: pl.Series(s.name, s.to_numpy() / divisor), return_dtype=pl.Float64,
                                          is_elementwise=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("config")
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--form", choices=["two", "one"], default="two")
    args = ap.parse_args()
    cfg = rfm_config.load(args.config)
    c = cfg.columns
    g = cfg.group_by
    start = time.time()
    if args.input.lower().endswith(".csv"):
        scan = pl.scan_csv(args.input, try_parse_dates=True)
    else:
        scan = pl.scan_parquet(args.input)
    picked = [pl.col(x) for x in g] + [
        pl.col(c["customer_id"]).alias("customer_id"),
        pl.col(c["order_date"]).cast(pl.Date).alias("d"),
        pl.col(c["amount"]).cast(pl.Float64).alias("amount"),
    ]
    if cfg.frequency == "orders":
        picked.append(pl.col(c["order_id"]).alias("order_id"))
    lines = scan.select(picked).drop_nulls(["customer_id", "d", "amount"])
    as_of = cfg.as_of or lines.select(pl.col("d").max()).collect(engine="streaming").item()
    keep = pl.col("d") <= as_of
    if cfg.window_days is not None:
        keep &= (pl.lit(as_of) - pl.col("d")).dt.total_days() < cfg.window_days
    if cfg.returns == "exclude":
        keep &= pl.col("amount") >= 0
    kept = lines.filter(keep).with_columns(
        (pl.col("amount") * cfg.scale).round(mode="half_away_from_zero").cast(pl.Int64).alias("minor"),
        (pl.col("amount") >= 0).alias("p"),
    )
    p = pl.col("p")
    keys = g + ["customer_id"]
    if cfg.frequency == "orders" and args.form == "two":
        cust = (
            kept.group_by(keys + ["order_id"])
            .agg(pl.col("minor").sum(), p.any(), pl.col("d").filter(p).min().alias("first_order_date"),
                 pl.col("d").filter(p).max().alias("last_order_date"))
            .group_by(keys)
            .agg((p & pl.col("order_id").is_not_null()).sum().alias("frequency"), pl.col("minor").sum(),
                 pl.col("first_order_date").min(), pl.col("last_order_date").max())
        )
    else:
        frequency = {
            "orders": pl.col("order_id").filter(p).drop_nulls().n_unique(),
            "lines": p.sum(),
            "days": pl.col("d").filter(p).n_unique(),
        }[cfg.frequency]
        cust = kept.group_by(keys).agg(
            frequency.alias("frequency"),
            pl.col("minor").sum(),
            pl.col("d").filter(p).min().alias("first_order_date"),
            pl.col("d").filter(p).max().alias("last_order_date"),
        )
    total = pl.col("minor") if cfg.monetary == "total" else pl.col("minor") / pl.col("frequency")
    metrics = cust.filter(pl.col("last_order_date").is_not_null()).select(
        *[pl.col(x) for x in keys],
        (pl.lit(as_of) - pl.col("last_order_date")).dt.total_days().cast(pl.Int64).alias("recency_days"),
        pl.col("frequency").cast(pl.Int64),
        exact_div(total, cfg.scale).alias("monetary"),
        "first_order_date",
        "last_order_date",
    )

    def over(e):
        return e.over(g) if g else e

    def score(value, ms, recency):
        v = pl.col(value)
        if ms.method == "rank":
            worse = over(v.rank("min", descending=recency)) - 1
            return (1 + (ms.bins * worse) // over(pl.len())).cast(pl.Int32)
        if ms.method == "quantile":
            edges = [over(v.quantile(i / ms.bins, "linear")) for i in range(1, ms.bins)]
            k = 1 + pl.sum_horizontal([(v > e).cast(pl.Int32) for e in edges])
            return (ms.bins + 1 - k if recency else k).cast(pl.Int32)
        passed = pl.sum_horizontal([((v > t) if recency else (v >= t)).cast(pl.Int32) for t in ms.thresholds])
        return (ms.bins - passed if recency else 1 + passed).cast(pl.Int32)

    sep = "-" if cfg.wide_cells else ""
    scored = metrics.with_columns(
        score("recency_days", cfg.recency, True).alias("r"),
        score("frequency", cfg.frequency_scoring, False).alias("f"),
        score("monetary", cfg.monetary_scoring, False).alias("m"),
    ).with_columns(
        pl.concat_str([pl.col("r"), pl.col("f"), pl.col("m")], separator=sep).alias("rfm_cell"),
        (pl.col("r") + pl.col("f") + pl.col("m")).cast(pl.Int32).alias("rfm_score"),
    )
    segment = pl.lit(cfg.default)
    for rule in reversed(cfg.rules):
        cond = pl.lit(True)
        for k, (lo, hi) in rule.ranges.items():
            cond &= pl.col(k).is_between(lo, hi)
        if rule.cells is not None:
            cond &= pl.col("rfm_cell").is_in(rule.cells)
        segment = pl.when(cond).then(pl.lit(rule.name)).otherwise(segment)
    (
        scored.with_columns(segment.alias("segment"))
        .select(*keys, "recency_days", "frequency", "monetary", "first_order_date", "last_order_date",
                "r", "f", "m", "rfm_cell", "rfm_score", "segment")
        .sort(keys, nulls_last=True)
        .collect(engine="streaming")
        .write_parquet(args.output)
    )
    print(f"polars ({args.form}-level): {time.time() - start:.2f} s")


if __name__ == "__main__":
    main()
