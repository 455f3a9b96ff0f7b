#!/usr/bin/env python3
"""Compare two RFM outputs row by row: the same customers (per group), the same metrics,
scores and segments.

    python3 bench/compare.py EXPECTED.parquet ACTUAL.parquet [--group COL]...

Compared columns: the group columns and customer_id (the keys), recency_days, frequency,
monetary, r, f, m, segment (and first_order_date, last_order_date, rfm_cell, rfm_score when
both files have them). Rows are matched after sorting by the keys. A key column whose type
differs between the files (rfmseg reads CSV ids and groups as text; DuckDB and polars infer
integers) is compared as text. Monetary must be equal exactly (both sides divide the same
integer minor units the same way). Exit status 1 on a difference.
"""
import argparse
import sys

import polars as pl

VALUES = ["recency_days", "frequency", "monetary", "first_order_date", "last_order_date",
          "r", "f", "m", "rfm_cell", "rfm_score", "segment"]
REQUIRED = {"recency_days", "frequency", "monetary", "r", "f", "m", "segment"}


def compare(expected_path, actual_path, groups, show=5):
    """None when equal, else a text describing the first differences."""
    a = pl.read_parquet(expected_path)
    b = pl.read_parquet(actual_path)
    keys = list(groups) + ["customer_id"]
    missing = [c for c in keys + sorted(REQUIRED) if c not in a.columns or c not in b.columns]
    if missing:
        return f"missing columns {missing} (expected has {a.columns}, actual has {b.columns})"
    values = [c for c in VALUES if c in a.columns and c in b.columns]
    problems = []
    if a.height != b.height:
        problems.append(f"{a.height:,} rows expected, {b.height:,} rows in actual")
    casts = []
    for k in keys:
        if a.schema[k] != b.schema[k]:
            casts.append(f"{k} ({a.schema[k]} vs {b.schema[k]}) compared as text")
            a = a.with_columns(pl.col(k).cast(pl.String))
            b = b.with_columns(pl.col(k).cast(pl.String))
    for c in values:
        if a.schema[c] != b.schema[c]:
            problems.append(f"column {c}: type {a.schema[c]} expected, {b.schema[c]} in actual")
    if problems:
        return "; ".join(problems)
    a = a.select(keys + values)
    b = b.select(keys + values)
    joined = a.join(b, on=keys, how="full", suffix="__actual", nulls_equal=True, coalesce=True)
    only_a = joined.filter(pl.col(values[0] + "__actual").is_null() & pl.col(values[0]).is_not_null())
    only_b = joined.filter(pl.col(values[0]).is_null() & pl.col(values[0] + "__actual").is_not_null())
    if only_a.height:
        problems.append(f"{only_a.height:,} keys only in expected, e.g. {only_a.select(keys).head(show).rows()}")
    if only_b.height:
        problems.append(f"{only_b.height:,} keys only in actual, e.g. {only_b.select(keys).head(show).rows()}")
    both = joined.filter(pl.col(values[0]).is_not_null() & pl.col(values[0] + "__actual").is_not_null())
    for c in values:
        diff = both.filter(pl.col(c).ne_missing(pl.col(c + "__actual")))
        if diff.height:
            extra = ""
            if c == "monetary":
                gap = diff.select((pl.col(c) - pl.col(c + "__actual")).abs().max()).item()
                extra = f" (largest gap {gap:.3g})"
            problems.append(f"{c}: {diff.height:,} rows differ{extra}, e.g. "
                            f"{diff.select(keys + [c, c + '__actual']).head(show).rows()}")
    if problems:
        return "; ".join(problems) + ("" if not casts else f" [{'; '.join(casts)}]")
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("expected")
    ap.add_argument("actual")
    ap.add_argument("--group", action="append", default=[])
    args = ap.parse_args()
    why = compare(args.expected, args.actual, args.group)
    if why:
        print(f"DIFFERENT: {why}")
        sys.exit(1)
    print(f"equal: {pl.scan_parquet(args.expected).select(pl.len()).collect().item():,} rows")


if __name__ == "__main__":
    main()
