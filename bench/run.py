#!/usr/bin/env python3
"""Time rfmseg against the same job in DuckDB SQL and in a Python-polars script, on the
shapes real exports have, and check that all three write the same customers, scores and
segments.

    python3 bench/run.py --all --lines 10000000 --runs 3 [--markdown]
    python3 bench/run.py --shape date-text --lines 1000000 --lines 10000000 --threads 1
    python3 bench/run.py --layout shuffled --string-ids --csv --config FILE --lines 1000000

A shape is a data file (layout, id types, Parquet or CSV) and a config. Either name presets
with --shape (repeatable) or --all (every row of the table in docs/performance.md, in order),
or describe one shape with --layout, --string-ids, --string-order-ids, --csv and --config.

Presets (--shape NAME):
  order              Parquet, lines in order-id order, integer ids
  date               Parquet, export sorted by date, integer ids
  date-text          the same with text customer ids ("C000123456")
  date-text-orders   the same with text customer ids and text order numbers ("O0000123456")
  csv                the same as CSV
  per-store          Parquet sorted by date, per-store scoring (group_by: [store_id], rank)
  per-region-window  Parquet sorted by date, per-region quantile, 365-day window, returns
                     excluded, average monetary (group_by: [region])
  shuffled           Parquet, lines in no order at all (integer ids)

The order lines are generated once per shape and size by bench/gen_orders.py (realistic
spans, a region column, customer ids "C" + 9 digits when text) and cached in
/tmp/rfmseg-bench; --generate-only makes them and stops. rfmseg is built with cargo in
release mode unless --rfmseg names a binary. Each repetition runs every tool once, in turn,
so that load affects all alike; the medians of --runs repetitions are printed: wall time,
peak memory (RSS, from /usr/bin/time), and rfmseg's ratios to the faster peer's time and to
the leaner peer's memory. After the first repetition each peer's output is compared with
rfmseg's (bench/compare.py: same rows, keys, metrics, scores and segments); a difference is
reported as MISMATCH and the exit status is 1.

--threads N sets POLARS_MAX_THREADS for every tool (rfmseg and the polars script) and
DuckDB's threads, for 1- and 2-thread scaling.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = "/tmp/rfmseg-bench"
DEFAULT_CONFIG = os.path.join(ROOT, "config", "rfm.yaml")
PER_STORE = os.path.join(HERE, "configs", "per-store.yaml")
PER_REGION = os.path.join(HERE, "configs", "per-region-window.yaml")

sys.path.insert(0, HERE)

# name: (label, layout, text customer ids, text order ids, csv, config)
PRESETS = {
    "order": ("Parquet, lines in order-id order, integer ids", "order", False, False, False, DEFAULT_CONFIG),
    "date": ("Parquet, export sorted by date, integer ids", "date", False, False, False, DEFAULT_CONFIG),
    "date-text": ("Parquet sorted by date, text customer ids", "date", True, False, False, DEFAULT_CONFIG),
    "date-text-orders": ("Parquet sorted by date, text customer ids and text order numbers", "date", True, True, False, DEFAULT_CONFIG),
    "csv": ("CSV sorted by date, text customer ids and text order numbers", "date", True, True, True, DEFAULT_CONFIG),
    "per-store": ("Parquet sorted by date, per-store scoring (group_by: [store_id], rank)", "date", False, False, False, PER_STORE),
    "per-region-window": ("Parquet sorted by date, per-region quantile, 365-day window, returns excluded, average monetary",
                          "date", False, False, False, PER_REGION),
    "shuffled": ("Parquet, lines in no order at all, integer ids", "shuffled", False, False, False, DEFAULT_CONFIG),
}
TOOLS = ("rfmseg", "duckdb", "polars")
PEER_NAMES = {"duckdb": "DuckDB", "polars": "polars"}


class Shape:
    def __init__(self, name, label, layout, string_ids, string_order_ids, csv, config):
        self.name, self.label, self.layout = name, label, layout
        self.string_ids, self.string_order_ids, self.csv, self.config = string_ids, string_order_ids, csv, config

    def data(self, lines, spans):
        kind = self.layout + ("-spans-today" if spans == "today" else "")
        kind += "-text-ids" if self.string_ids else ""
        kind += "-text-orders" if self.string_order_ids else ""
        return os.path.join(CACHE, f"orders-{lines}-{kind}.{'csv' if self.csv else 'parquet'}")

    def gen_flags(self, spans):
        flags = ["--layout", self.layout, "--spans", spans, "--region"]
        if self.string_ids:
            flags += ["--string-ids", "--id-prefix", "C"]
        if self.string_order_ids:
            flags += ["--string-order-ids"]
        if self.csv:
            flags += ["--csv"]
        return flags

    def groups(self):
        import yaml
        cfg = yaml.safe_load(open(self.config)) or {}
        return list((cfg.get("analysis") or {}).get("group_by") or [])


def custom_shape(args):
    parts = ["CSV" if args.csv else "Parquet", {"order": "lines in order-id order", "date": "sorted by date",
                                                "shuffled": "lines in no order"}[args.layout]]
    ids = []
    if args.string_ids:
        ids.append("text customer ids")
    if args.string_order_ids:
        ids.append("text order numbers")
    parts.append(" and ".join(ids) if ids else "integer ids")
    config = args.config or DEFAULT_CONFIG
    if os.path.abspath(config) != DEFAULT_CONFIG:
        parts.append(f"config {os.path.relpath(config, ROOT)}")
    return Shape("custom", ", ".join(parts), args.layout, args.string_ids, args.string_order_ids, args.csv, config)


def ensure_packages():
    try:
        import duckdb, numpy, polars, pyarrow, yaml  # noqa: F401,E401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "duckdb", "polars", "pyyaml", "numpy", "pyarrow"], check=True)


def timed(cmd, env):
    """(wall seconds, peak RSS MiB) of one run, or None when it failed."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        start = time.perf_counter()
        out = subprocess.run(["/usr/bin/time", "-o", t.name, "-f", "%M", *cmd], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        if out.returncode != 0:
            tail = out.stderr.strip().splitlines()[-3:]
            print(f"    failed (exit {out.returncode}): {' | '.join(tail)}", flush=True)
            return None
        kb = int(t.read().strip().splitlines()[-1])
    return wall, kb / 1024


def fmt_tool(name, med):
    if med is None:
        return f"{name} failed"
    return f"{name} {med[0]:.2f} s, {med[1]:,.0f} MiB"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, action="append", help="order lines (repeatable); default 10000000")
    ap.add_argument("--runs", type=int, default=3, help="repetitions (default 3)")
    ap.add_argument("--shape", action="append", choices=list(PRESETS), help="a preset shape (repeatable)")
    ap.add_argument("--all", action="store_true", help="every preset, in the table's order")
    ap.add_argument("--layout", choices=["order", "date", "shuffled"], default="order")
    ap.add_argument("--string-ids", action="store_true", help='text customer ids ("C000123456")')
    ap.add_argument("--string-order-ids", action="store_true", help='text order numbers ("O0000123456")')
    ap.add_argument("--csv", action="store_true", help="CSV input instead of Parquet")
    ap.add_argument("--config", help="config for the described shape (default config/rfm.yaml)")
    ap.add_argument("--spans", choices=["realistic", "today"], default="realistic",
                    help="customer model of gen_orders.py (default realistic)")
    ap.add_argument("--rfmseg", help="this rfmseg binary instead of building one with cargo")
    ap.add_argument("--threads", type=int, help="POLARS_MAX_THREADS for all tools and DuckDB's threads")
    ap.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of rfmseg,duckdb,polars")
    ap.add_argument("--duckdb-form", choices=["one", "two"], help="duckdb_rfm.py --form (default: its own)")
    ap.add_argument("--duckdb-rank", choices=["counts", "window"], help="duckdb_rfm.py --rank (default: its own)")
    ap.add_argument("--polars-form", choices=["one", "two"], help="polars_rfm.py --form (default: its own)")
    ap.add_argument("--no-check", action="store_true", help="skip comparing the peers' outputs with rfmseg's")
    ap.add_argument("--generate-only", action="store_true", help="make the data files and stop")
    ap.add_argument("--markdown", action="store_true", help="also print one markdown table row per shape")
    args = ap.parse_args()
    lines = args.lines or [10_000_000]
    if args.all or args.shape:
        names = list(PRESETS) if args.all else args.shape
        if args.config or args.csv or args.string_ids or args.string_order_ids or args.layout != "order":
            ap.error("--shape/--all fix layout, ids, format and config; describe a shape without them")
        shapes = [Shape(n, *PRESETS[n]) for n in names]
    else:
        shapes = [custom_shape(args)]
    tools = [t for t in args.tools.split(",") if t]
    if any(t not in TOOLS for t in tools) or not tools:
        ap.error(f"--tools takes a subset of {','.join(TOOLS)}")
    ensure_packages()
    os.makedirs(CACHE, exist_ok=True)

    def data_file(shape, n):
        path = shape.data(n, args.spans)
        if not os.path.exists(path):
            tmp = path + ".part"
            gen = [sys.executable, os.path.join(HERE, "gen_orders.py"), "--lines", str(n), "--out", tmp, *shape.gen_flags(args.spans)]
            print(f"generating {path}", flush=True)
            subprocess.run(gen, check=True, stdout=subprocess.DEVNULL)
            os.replace(tmp, path)
        return path

    if args.generate_only:
        for n in lines:
            for shape in shapes:
                path = data_file(shape, n)
                print(f"{path}: {os.path.getsize(path) / 2**20:,.0f} MiB")
        return

    rfmseg = None
    if args.rfmseg:
        rfmseg = os.path.abspath(args.rfmseg)
    elif "rfmseg" in tools:
        subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
        rfmseg = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "rfmseg")
    env = dict(os.environ)
    if args.threads:
        env["POLARS_MAX_THREADS"] = str(args.threads)
    # Each run writes its outputs in its own folder: two runs at once must not read each other's.
    out_dir = tempfile.mkdtemp(prefix="out-", dir=CACHE)
    try:
        measure(args, shapes, lines, tools, rfmseg if "rfmseg" in tools else None, env, out_dir, data_file)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def measure(args, shapes, lines, tools, rfmseg, env, out_dir, data_file):
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; threads: "
          f"{args.threads or 'all'}; runs per tool: {args.runs}; rfmseg: {rfmseg if 'rfmseg' in tools else '-'}", flush=True)
    rows, mismatches = [], 0
    for n in lines:
        for shape in shapes:
            data = data_file(shape, n)
            groups = shape.groups()
            outputs = {t: os.path.join(out_dir, f"{t}.parquet") for t in tools}
            peer = lambda script, form: [sys.executable, os.path.join(HERE, "peers", script), shape.config, data, outputs[script.split("_")[0]]] + \
                (["--form", form] if form else [])
            cmds = {
                "rfmseg": lambda: [rfmseg, "run", "-q", "--config", shape.config, "--input", data, "--output", outputs["rfmseg"]],
                "duckdb": lambda: peer("duckdb_rfm.py", args.duckdb_form) + (["--threads", str(args.threads)] if args.threads else [])
                + (["--rank", args.duckdb_rank] if args.duckdb_rank else []),
                "polars": lambda: peer("polars_rfm.py", args.polars_form),
            }
            print(f"\n== {shape.label}: {n:,} lines ({os.path.relpath(data, CACHE)}, config {os.path.relpath(shape.config, ROOT)})", flush=True)
            results = {t: [] for t in tools}
            checks = {}
            for rep in range(args.runs):
                for t in tools:  # in turn, so that load affects all alike
                    if os.path.exists(outputs[t]):
                        os.remove(outputs[t])
                    results[t].append(timed(cmds[t](), env))
                if rep == 0 and not args.no_check and "rfmseg" in tools and results["rfmseg"][0]:
                    from compare import compare
                    for t in tools:
                        if t != "rfmseg" and results[t][0]:
                            why = compare(outputs["rfmseg"], outputs[t], groups)
                            checks[t] = why
                            if why:
                                mismatches += 1
            med = {}
            for t, v in results.items():
                ok = [x for x in v if x]
                med[t] = (statistics.median(w for w, _ in ok), statistics.median(m for _, m in ok)) if len(ok) == len(v) else None
            print(f"  {'tool':<8} {'wall s':>8} {'peak MiB':>9}")
            for t in tools:
                if med[t]:
                    print(f"  {t:<8} {med[t][0]:>8.2f} {med[t][1]:>9,.0f}")
                else:
                    print(f"  {t:<8} {'failed':>8}")
            peers = [t for t in tools if t != "rfmseg" and med[t]]
            ratio_t = ratio_m = None
            if "rfmseg" in tools and med["rfmseg"] and peers:
                fast = min(peers, key=lambda t: med[t][0])
                lean = min(peers, key=lambda t: med[t][1])
                ratio_t, ratio_m = med["rfmseg"][0] / med[fast][0], med["rfmseg"][1] / med[lean][1]
                print(f"  rfmseg / faster peer ({fast}): {ratio_t:.2f}x time; rfmseg / leaner peer ({lean}): {ratio_m:.2f}x memory")
            for t, why in checks.items():
                if why:
                    print(f"  check {t}: MISMATCH with rfmseg: {why}")
                else:
                    print(f"  check {t}: same output as rfmseg")
            rows.append((shape, n, med, ratio_t, ratio_m, checks))
    if args.markdown:
        print("\n| input | lines | rfmseg | DuckDB | polars | time ratio | memory ratio | same output |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for shape, n, med, rt, rm, checks in rows:
            cell = lambda t: (f"{med[t][0]:.2f} s, {med[t][1]:,.0f} MiB" if med[t] else "failed") if t in med else "-"
            same = "yes" if checks and not any(checks.values()) else ("**no**" if checks else "not checked")
            r = lambda x: "-" if x is None else (f"**{x:.2f}**" if x > 0.5 else f"{x:.2f}")
            print(f"| {shape.label} | {n / 1e6:g}M | {cell('rfmseg')} | {cell('duckdb')} | {cell('polars')} | {r(rt)} | {r(rm)} | {same} |")
    if mismatches:
        print(f"\n{mismatches} peer output(s) differ from rfmseg's: see MISMATCH above")
        sys.exit(1)


if __name__ == "__main__":
    main()
