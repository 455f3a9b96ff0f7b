#!/usr/bin/env python3
"""Time rfmseg against the same job in DuckDB SQL and in a Python-polars script.

    python3 bench/run.py --lines 10000000 [--lines 100000000] [--runs 3] [--string-ids]

Installs the peers' packages with pip, generates the order lines once per size (cached in
/tmp/rfmseg-bench), builds rfmseg in release mode, then runs each tool in turn, --runs times,
and prints the median wall time and the median peak memory (RSS, from /usr/bin/time), and the
ratios of rfmseg to the faster and to the leaner peer.
"""
import argparse
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = "/tmp/rfmseg-bench"
CONFIG = os.path.join(ROOT, "config", "rfm.yaml")


def timed(cmd):
    out = subprocess.run(["/usr/bin/time", "-f", "%e %M", *cmd], capture_output=True, text=True, check=True)
    wall, kb = out.stderr.strip().splitlines()[-1].split()
    return float(wall), int(kb) / 1024 / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, action="append", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--string-ids", action="store_true", help="zero-padded text customer ids instead of integers")
    args = ap.parse_args()
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "duckdb", "polars", "pyyaml", "numpy", "pyarrow"], check=True)
    subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
    target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    rfmseg = os.path.join(target_dir, "release", "rfmseg")
    os.makedirs(CACHE, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores; runs per tool: {args.runs}")
    for n in args.lines:
        kind = "-string-ids" if args.string_ids else ""
        data = os.path.join(CACHE, f"orders-{n}{kind}.parquet")
        if not os.path.exists(data):
            gen = [sys.executable, os.path.join(ROOT, "bench", "gen_orders.py"), "--lines", str(n), "--out", data]
            subprocess.run(gen + (["--string-ids"] if args.string_ids else []), check=True)
        tools = {
            "rfmseg": [rfmseg, "run", "-q", "--config", CONFIG, "--input", data, "--output", os.path.join(CACHE, "rfmseg.parquet")],
            "duckdb": [sys.executable, os.path.join(ROOT, "bench", "peers", "duckdb_rfm.py"), CONFIG, data, os.path.join(CACHE, "duckdb.parquet")],
            "polars": [sys.executable, os.path.join(ROOT, "bench", "peers", "polars_rfm.py"), CONFIG, data, os.path.join(CACHE, "polars.parquet")],
        }
        results = {name: [] for name in tools}
        for _ in range(args.runs):
            for name, cmd in tools.items():  # in turn, so that load affects all alike
                results[name].append(timed(cmd))
        med = {k: (statistics.median(w for w, _ in v), statistics.median(m for _, m in v)) for k, v in results.items()}
        print(f"\n{n:,} lines{' (text customer ids)' if args.string_ids else ''}")
        print(f"  {'tool':<8} {'wall s':>8} {'peak GB':>8}")
        for k, (w, m) in med.items():
            print(f"  {k:<8} {w:>8.2f} {m:>8.2f}")
        fast = min(med["duckdb"][0], med["polars"][0])
        lean = min(med["duckdb"][1], med["polars"][1])
        print(f"  rfmseg / faster peer: {med['rfmseg'][0] / fast:.2f}x time; rfmseg / leaner peer: {med['rfmseg'][1] / lean:.2f}x memory")


if __name__ == "__main__":
    main()
