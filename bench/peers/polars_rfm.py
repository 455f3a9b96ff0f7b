#!/usr/bin/env python3
"""The rfmseg contract for the benchmark config as a Python-polars script: what a data team
would write.

    python3 bench/peers/polars_rfm.py CONFIG.yaml INPUT.parquet OUTPUT.parquet

Same subset as duckdb_rfm.py: default as_of, net returns, integer minor units, frequency =
distinct order ids among purchase lines, total monetary, rank scoring, cell rules.
"""
import sys
import time

import polars as pl
import yaml


def main():
    cfg_path, source, target = sys.argv[1:4]
    cfg = yaml.safe_load(open(cfg_path))
    cols = cfg["input"]["columns"]
    bins = cfg.get("scoring", {}).get("bins", 5)
    d = cfg.get("analysis", {}).get("monetary_decimals", 2)
    start = time.time()
    lines = (
        pl.scan_parquet(source)
        .select(
            pl.col(cols["customer_id"]).alias("customer_id"),
            pl.col(cols["order_date"]).cast(pl.Date).alias("d"),
            pl.col(cols["amount"]).cast(pl.Float64).alias("amount"),
            pl.col(cols["order_id"]).alias("order_id"),
        )
        .drop_nulls(["customer_id", "d", "amount"])
    )
    as_of = lines.select(pl.col("d").max()).collect(engine="streaming").item()
    purchase = pl.col("amount") >= 0
    cust = (
        lines.group_by("customer_id")
        .agg(
            pl.col("order_id").filter(purchase).n_unique().alias("frequency"),
            (pl.col("amount") * 10**d).round(mode="half_away_from_zero").cast(pl.Int64).sum().alias("minor"),
            pl.col("d").filter(purchase).min().alias("first_order_date"),
            pl.col("d").filter(purchase).max().alias("last_order_date"),
        )
        .filter(pl.col("last_order_date").is_not_null())
        .with_columns(
            (pl.lit(as_of) - pl.col("last_order_date")).dt.total_days().alias("recency_days"),
            # note: polars divides by a scalar through its reciprocal, so this can be 1 ulp off
            (pl.col("minor") / 10**d).alias("monetary"),
        )
    )
    n = pl.len()
    score = lambda e, desc: (1 + (bins * (e.rank("min", descending=desc) - 1)) // n).cast(pl.Int32)
    scored = cust.with_columns(
        score(pl.col("recency_days"), True).alias("r"),
        score(pl.col("frequency"), False).alias("f"),
        score(pl.col("monetary"), False).alias("m"),
    ).with_columns(
        pl.concat_str([pl.col("r"), pl.col("f"), pl.col("m")]).alias("rfm_cell"),
        (pl.col("r") + pl.col("f") + pl.col("m")).alias("rfm_score"),
    )
    segment = pl.lit(cfg["segments"].get("default", "Other"))
    for rule in reversed(cfg["segments"]["rules"]):
        segment = pl.when(pl.col("rfm_cell").is_in(rule["cells"])).then(pl.lit(rule["name"])).otherwise(segment)
    (
        scored.with_columns(segment.alias("segment"))
        .select("customer_id", "recency_days", "frequency", "monetary", "first_order_date",
                "last_order_date", "r", "f", "m", "rfm_cell", "rfm_score", "segment")
        .sort("customer_id")
        .collect(engine="streaming")
        .write_parquet(target)
    )
    print(f"polars: {time.time() - start:.2f} s")


if __name__ == "__main__":
    main()
