#!/usr/bin/env python3
"""Run the SQL that `rfmseg sql` wrote on DuckDB and on Apache Spark (local mode) and compare
every row with what `rfmseg run` wrote for the same config and input.

    python3 tests/sql/conformance.py MANIFEST.json

The manifest (written by tests/cli/sql.rs) lists the cases:
    {"cases": [{"name", "input", "format": "csv"|"parquet", "expected": run output (Parquet),
                "decimals", "table", "duckdb": SQL file, "spark": SQL file}, ...]}
A case with "error" (and no "expected") must stop with a message containing that text. A case
with "time_zone" runs with that session time zone (DuckDB's TimeZone, Spark's
spark.sql.session.timeZone; UTC otherwise). A CSV case with "separator" is loaded with that
field separator (DuckDB's delim, Spark's sep; a comma otherwise): the engines' loaders read the
file's dialect, the query its text amounts (input.csv.decimal_comma, input.csv.thousands).
CSV inputs are registered with every column as text (DuckDB all_varchar, Spark without schema
inference), Parquet inputs as typed. Same columns (names, order, types), same rows in the same
order: keys, dates, counts, scores and segments equal; monetary equal to the cent (the number
of bit-identical values is reported too). One Spark session serves every case.

Exit status: 0 all equal, 1 a difference (printed), 3 duckdb or pyspark (or Java) missing.
"""
import json
import sys
import time
import datetime as dt

try:
    import duckdb
    import pyarrow.parquet as pq
    import pyspark
    from pyspark.sql import SparkSession
except ImportError as e:  # the Rust test turns this into a failure that says what to do
    print(
        f"conformance: cannot import {e.name}: install the engines with "
        "`pip install duckdb pyspark pyarrow` (.ci/run does it; Spark also needs Java 17)",
        file=sys.stderr,
    )
    sys.exit(3)


def arrow_kind(t):
    s = str(t)
    return {"large_string": "string", "date32[day]": "date"}.get(s, s)


SPARK_KINDS = {
    "LongType": "int64",
    "IntegerType": "int32",
    "DoubleType": "double",
    "DateType": "date",
    "StringType": "string",
    "ShortType": "int16",
    "ByteType": "int8",
}


def norm(v):
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return v


def compare(engine, case, names, kinds, rows, elapsed):
    expected = pq.read_table(case["expected"])
    exp_names = expected.column_names
    exp_kinds = [arrow_kind(f.type) for f in expected.schema]
    problems = []
    if names != exp_names:
        problems.append(f"columns {names} != expected {exp_names}")
    elif kinds != exp_kinds:
        diff = [(n, k, e) for n, k, e in zip(names, kinds, exp_kinds) if k != e]
        problems.append(f"column types differ (column, got, expected): {diff}")
    exp_rows = [tuple(r.values()) for r in expected.to_pylist()]
    if len(rows) != len(exp_rows):
        problems.append(f"{len(rows)} rows, expected {len(exp_rows)}")
    scale = 10 ** case["decimals"]
    mon = exp_names.index("monetary") if "monetary" in exp_names else None
    identical = 0
    shown = 0
    for i, (got, exp) in enumerate(zip(rows, exp_rows)):
        bad = []
        for j, (g, e) in enumerate(zip(got, exp)):
            if j == mon:
                if g is None or round(g * scale) != round(e * scale):
                    bad.append((exp_names[j], g, e))
                elif g == e:
                    identical += 1
            elif norm(g) != norm(e):
                bad.append((exp_names[j] if j < len(exp_names) else j, g, e))
        if bad:
            if shown < 5:
                problems.append(f"row {i}: (column, got, expected) {bad}")
            shown += 1
    if shown > 5:
        problems.append(f"... {shown} rows differ in all")
    status = "FAIL" if problems else "ok"
    print(
        f"{engine:6} {case['name']:34} {status}: {len(rows)} rows, monetary bit-identical "
        f"{identical}/{len(exp_rows)}, {elapsed:.2f} s",
        flush=True,
    )
    for p in problems:
        print(f"         {p}", flush=True)
    return not problems


def run_case(engine, case, execute):
    """Time `execute()` (-> names, kinds, rows) and compare; a failing query is a failure,
    unless the case expects the query to stop with a message (`error`), as `run` does."""
    start = time.perf_counter()
    expected_error = case.get("error")
    try:
        names, kinds, rows = execute()
    except Exception as e:  # noqa: BLE001 - report and go on
        message = str(e)
        if expected_error and expected_error in message:
            elapsed = time.perf_counter() - start
            print(f"{engine:6} {case['name']:34} ok: stopped with {expected_error!r}, {elapsed:.2f} s", flush=True)
            return True
        print(f"{engine:6} {case['name']:34} FAIL: {message.splitlines()[0]}", flush=True)
        return False
    if expected_error:
        print(f"{engine:6} {case['name']:34} FAIL: {len(rows)} rows, expected an error {expected_error!r}", flush=True)
        return False
    return compare(engine, case, names, kinds, rows, time.perf_counter() - start)


def run_duckdb(cases):
    ok = True
    for case in cases:
        con = duckdb.connect()
        path = case["input"].replace("'", "''")
        if case["format"] == "csv":
            delim = case.get("separator", ",").replace("'", "''")
            source = f"read_csv('{path}', header = true, all_varchar = true, delim = '{delim}')"
        else:
            source = f"read_parquet('{path}')"
        con.execute(f'CREATE VIEW "{case["table"]}" AS SELECT * FROM {source}')
        con.execute(f"SET TimeZone = '{case.get('time_zone') or 'UTC'}'")
        sql = open(case["duckdb"]).read()

        def execute():
            result = con.sql(sql).to_arrow_table()
            kinds = [arrow_kind(f.type) for f in result.schema]
            return result.column_names, kinds, [tuple(r.values()) for r in result.to_pylist()]

        ok &= run_case("duckdb", case, execute)
    return ok


def run_spark(cases):
    start = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("rfmseg-sql-conformance")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    print(f"spark  {pyspark.__version__} session started in {time.perf_counter() - start:.1f} s", flush=True)
    ok = True
    try:
        for case in cases:
            if case["format"] == "csv":
                frame = spark.read.csv(
                    case["input"], header=True, inferSchema=False, sep=case.get("separator", ",")
                )
            else:
                frame = spark.read.parquet(case["input"])
            frame.createOrReplaceTempView(case["table"])
            spark.conf.set("spark.sql.session.timeZone", case.get("time_zone") or "UTC")
            sql = open(case["spark"]).read()

            def execute():
                result = spark.sql(sql)
                rows = [tuple(r) for r in result.collect()]
                kinds = [SPARK_KINDS.get(type(f.dataType).__name__, str(f.dataType)) for f in result.schema]
                return result.columns, kinds, rows

            ok &= run_case("spark", case, execute)
    finally:
        spark.stop()
    return ok


def main():
    manifest = json.load(open(sys.argv[1]))
    cases = manifest["cases"]
    engines = manifest.get("engines", ["duckdb", "spark"])
    ok = True
    if "duckdb" in engines:
        ok &= run_duckdb(cases)
    if "spark" in engines:
        ok &= run_spark(cases)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
