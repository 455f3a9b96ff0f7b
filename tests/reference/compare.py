#!/usr/bin/env python3
"""Compare two rfmseg outputs row by row.

    python3 compare.py A.parquet B.parquet [--max-rows N]

Same column names in the same order, same logical types (string/large_string and
binary/large_binary count as the same; nullability and metadata are ignored), the same number
of rows in the same order, equal values (null equals null); floating-point columns such as
monetary may differ by 1e-9 relative. On a difference, prints a summary and the first
differing rows with all their columns from both files, and exits 1. Exit 0 when equal,
2 when a file cannot be read.
"""

import argparse
import math
import sys

import pyarrow as pa
import pyarrow.parquet as pq

REL_TOL = 1e-9


def logical_type(t):
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return pa.binary()
    if pa.types.is_dictionary(t):
        return logical_type(t.value_type)
    return t


def same_value(a, b, is_float):
    if a is None or b is None:
        return a is None and b is None
    if is_float:
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or abs(a - b) <= REL_TOL * max(abs(a), abs(b))
    return a == b


def key_columns(names):
    """The row key: the group_by columns (everything before customer_id) and customer_id."""
    return names[: names.index("customer_id") + 1] if "customer_id" in names else []


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--max-rows", type=int, default=10, help="differing rows to print")
    args = ap.parse_args(argv)
    try:
        ta, tb = pq.read_table(args.a), pq.read_table(args.b)
    except (OSError, pa.ArrowException) as e:
        print(f"cannot read: {e}", file=sys.stderr)
        return 2

    problems = []
    if ta.column_names != tb.column_names:
        problems.append(f"columns differ:\n  A: {ta.column_names}\n  B: {tb.column_names}")
    common = [c for c in ta.column_names if c in tb.column_names]
    for c in common:
        t1, t2 = logical_type(ta.schema.field(c).type), logical_type(tb.schema.field(c).type)
        if t1 != t2:
            problems.append(f"column {c!r}: type {ta.schema.field(c).type} in A, "
                            f"{tb.schema.field(c).type} in B")
    if ta.num_rows != tb.num_rows:
        problems.append(f"row count: {ta.num_rows} in A, {tb.num_rows} in B")

    ra, rb = ta.to_pylist(), tb.to_pylist()
    keys = key_columns(common)
    if keys and ta.num_rows != tb.num_rows:
        ka = {tuple(r[k] for k in keys) for r in ra}
        kb = {tuple(r[k] for k in keys) for r in rb}
        only_a, only_b = sorted(ka - kb, key=repr), sorted(kb - ka, key=repr)
        if only_a:
            problems.append(f"{len(only_a)} key(s) {keys} only in A, first: {only_a[:5]}")
        if only_b:
            problems.append(f"{len(only_b)} key(s) {keys} only in B, first: {only_b[:5]}")

    floats = {c for c in common if pa.types.is_floating(ta.schema.field(c).type)}
    diff_rows, diff_count = [], {}
    for i in range(min(len(ra), len(rb))):
        cols = [c for c in common if not same_value(ra[i][c], rb[i][c], c in floats)]
        for c in cols:
            diff_count[c] = diff_count.get(c, 0) + 1
        if cols:
            diff_rows.append((i, cols))
    if diff_rows:
        problems.append(f"{len(diff_rows)} row(s) differ; by column: "
                        + ", ".join(f"{c} {n}" for c, n in diff_count.items()))

    if not problems:
        print(f"equal: {ta.num_rows} rows, {len(common)} columns")
        return 0
    print(f"DIFFERENT: A={args.a} B={args.b}")
    for p in problems:
        print(f"- {p}")
    for i, cols in diff_rows[: args.max_rows]:
        print(f"\nrow {i} (differs in {', '.join(cols)}):")
        width = max(len(c) for c in common)
        for c in common:
            mark = "  <-- differs" if c in cols else ""
            print(f"  {c:<{width}}  A: {ra[i][c]!r:<28} B: {rb[i][c]!r}{mark}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
