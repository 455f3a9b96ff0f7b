#!/usr/bin/env python3
"""The rfmseg contract for the benchmark config in DuckDB SQL: what a data team would write.

    python3 bench/peers/duckdb_rfm.py CONFIG.yaml INPUT.parquet OUTPUT.parquet

Covers what the benchmark uses: mapped columns, default as_of (latest order date), net
returns, integer minor units, frequency = distinct order ids among purchase lines, total
monetary, rank scoring (1 + floor(bins * worse / N)) for all three metrics, and segment rules
given as exact cells. Prints the wall time of the query.
"""
import sys
import time

import duckdb
import yaml


def main():
    cfg_path, source, target = sys.argv[1:4]
    cfg = yaml.safe_load(open(cfg_path))
    cols = cfg["input"]["columns"]
    bins = cfg.get("scoring", {}).get("bins", 5)
    d = cfg.get("analysis", {}).get("monetary_decimals", 2)
    rules = cfg["segments"]["rules"]
    default = cfg["segments"].get("default", "Other")
    case = "CASE " + " ".join(
        "WHEN rfm_cell IN ({}) THEN '{}'".format(
            ", ".join("'{}'".format(c) for c in r["cells"]), r["name"].replace("'", "''"))
        for r in rules) + " ELSE '{}' END".format(default)
    sql = f"""
    COPY (
    WITH lines AS (
      SELECT CAST({cols['customer_id']} AS VARCHAR) AS customer_id, CAST({cols['order_date']} AS DATE) AS d,
             CAST({cols['amount']} AS DOUBLE) AS amount, {cols['order_id']} AS order_id
      FROM read_parquet('{source}')
      WHERE {cols['customer_id']} IS NOT NULL AND {cols['order_date']} IS NOT NULL AND {cols['amount']} IS NOT NULL
    ),
    latest AS (SELECT max(d) AS as_of FROM lines),
    cust AS (
      SELECT customer_id,
             count(DISTINCT order_id) FILTER (WHERE amount >= 0) AS frequency,
             sum(CAST(round(amount * {10 ** d}) AS BIGINT)) AS minor,
             min(d) FILTER (WHERE amount >= 0) AS first_order_date,
             max(d) FILTER (WHERE amount >= 0) AS last_order_date
      FROM lines GROUP BY customer_id
      HAVING count(*) FILTER (WHERE amount >= 0) > 0
    ),
    metrics AS (
      SELECT customer_id, (SELECT as_of FROM latest) - last_order_date AS recency_days, frequency,
             minor / {10 ** d} AS monetary, first_order_date, last_order_date
      FROM cust
    ),
    scored AS (
      SELECT *,
        CAST(1 + floor({bins} * (rank() OVER (ORDER BY recency_days DESC) - 1) / count(*) OVER ()) AS INTEGER) AS r,
        CAST(1 + floor({bins} * (rank() OVER (ORDER BY frequency) - 1) / count(*) OVER ()) AS INTEGER) AS f,
        CAST(1 + floor({bins} * (rank() OVER (ORDER BY monetary) - 1) / count(*) OVER ()) AS INTEGER) AS m
      FROM metrics
    ),
    cells AS (SELECT *, CAST(r AS VARCHAR) || CAST(f AS VARCHAR) || CAST(m AS VARCHAR) AS rfm_cell, r + f + m AS rfm_score FROM scored)
    SELECT customer_id, recency_days, frequency, monetary, first_order_date, last_order_date,
           r, f, m, rfm_cell, rfm_score, {case} AS segment
    FROM cells ORDER BY customer_id
    ) TO '{target}' (FORMAT parquet)
    """
    start = time.time()
    duckdb.sql(sql)
    print(f"duckdb: {time.time() - start:.2f} s")


if __name__ == "__main__":
    main()
