#!/usr/bin/env python3
"""The nightly fold (`rfmseg run --state`) against a full run over the same lines.

    python3 bench/state.py --lines 100000000 --day-lines 1000000 --runs 3 --rfmseg target/release/rfmseg
    python3 bench/state.py --lines 10000000 --config bench/configs/per-region-window.yaml
    python3 bench/state.py --lines 10000000 --csv

The lines are one export sorted by date (bench/gen_orders.py --layout date --region, text
customer ids with --string-ids; CSV files with --csv), of --lines + --day-lines lines: the first --lines are the
history, the last --day-lines (the newest days) the night's batch. The history is folded into
a state once (not timed); each repetition then copies that state, times the night (fold the
batch, score, write) and a full run over history + batch, in turn, and checks that both wrote
the same rows. Printed: medians of wall time and peak RSS (/usr/bin/time), the night's share
of the full run's time and memory, and the state's size on disk against the lines' Parquet.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = "/tmp/rfmseg-bench"
sys.path.insert(0, HERE)

from run import timed  # noqa: E402


def split(source, history, day, day_lines):
    """The last `day_lines` lines of `source` to `day`, the rest to `history`."""
    import pyarrow.parquet as pq

    f = pq.ParquetFile(source)
    total = f.metadata.num_rows
    keep = total - day_lines
    written = 0
    with pq.ParquetWriter(history + ".part", f.schema_arrow, compression="zstd") as h, \
            pq.ParquetWriter(day + ".part", f.schema_arrow, compression="zstd") as d:
        for batch in f.iter_batches(batch_size=1 << 20):
            n = batch.num_rows
            cut = max(0, min(n, keep - written))
            if cut:
                h.write_batch(batch.slice(0, cut))
            if cut < n:
                d.write_batch(batch.slice(cut))
            written += n
    os.replace(history + ".part", history)
    os.replace(day + ".part", day)


def data(args):
    os.makedirs(CACHE, exist_ok=True)
    tag = f"state-{args.lines}-{args.day_lines}{'-text' if args.string_ids else ''}"
    source = os.path.join(CACHE, f"{tag}-all.parquet")
    history = os.path.join(CACHE, f"{tag}-history.parquet")
    day = os.path.join(CACHE, f"{tag}-day.parquet")
    if not (os.path.exists(history) and os.path.exists(day)):
        if not os.path.exists(source):
            flags = ["--layout", "date", "--spans", "realistic", "--region"]
            if args.string_ids:
                flags += ["--string-ids", "--id-prefix", "C"]
            print(f"generating {source}", flush=True)
            subprocess.run([sys.executable, os.path.join(HERE, "gen_orders.py"), "--lines",
                            str(args.lines + args.day_lines), "--out", source + ".part", *flags],
                           check=True, stdout=subprocess.DEVNULL)
            os.replace(source + ".part", source)
        split(source, history, day, args.day_lines)
        os.remove(source)
    if args.csv:
        history, day = as_csv(history), as_csv(day)
    return history, day


def as_csv(parquet):
    """The same lines as CSV (header row, ISO dates) beside the Parquet file."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    path = parquet[: -len(".parquet")] + ".csv"
    if not os.path.exists(path):
        f = pq.ParquetFile(parquet)
        with pcsv.CSVWriter(path + ".part", f.schema_arrow) as w:
            for batch in f.iter_batches(batch_size=1 << 20):
                w.write_batch(batch)
        os.replace(path + ".part", path)
    return path


def folder_bytes(path):
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))


def same_rows(a, b):
    import pyarrow.parquet as pq

    return pq.read_table(a).equals(pq.read_table(b))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lines", type=int, default=10_000_000, help="history lines")
    p.add_argument("--day-lines", type=int, default=1_000_000, help="the night's batch")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--config", default=os.path.join(ROOT, "config", "rfm.yaml"))
    p.add_argument("--string-ids", action="store_true", help="text customer ids")
    p.add_argument("--csv", action="store_true", help="history and night as CSV files")
    p.add_argument("--rfmseg", help="the binary (default: cargo build --release)")
    args = p.parse_args()
    rfmseg = args.rfmseg
    if not rfmseg:
        subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
        rfmseg = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "rfmseg")
    history, day = data(args)
    # The state is compared with the lines' Parquet, also when the runs read the CSV files.
    parquet = lambda p: p[: -len(".csv")] + ".parquet" if p.endswith(".csv") else p  # noqa: E731
    lines_bytes = os.path.getsize(parquet(history)) + os.path.getsize(parquet(day))
    work = tempfile.mkdtemp(prefix="state-", dir=CACHE)
    try:
        base = os.path.join(work, "base")
        base_out = os.path.join(work, "base.parquet")
        print("folding the history into a state (not timed)", flush=True)
        subprocess.run([rfmseg, "run", "-q", "-c", args.config, "--state", base, "-i", history, "-o", base_out], check=True)
        history_state = folder_bytes(base)
        nights, fulls = [], []
        night_out = os.path.join(work, "night.parquet")
        full_out = os.path.join(work, "full.parquet")
        for k in range(args.runs):
            state = os.path.join(work, "night")
            shutil.rmtree(state, ignore_errors=True)
            shutil.copytree(base, state)
            night = timed([rfmseg, "run", "-q", "-c", args.config, "--state", state, "-i", day, "-o", night_out], os.environ)
            full = timed([rfmseg, "run", "-q", "-c", args.config, "-i", history, day, "-o", full_out], os.environ)
            if night is None or full is None:
                sys.exit(1)
            nights.append(night)
            fulls.append(full)
            print(f"  run {k + 1}: night {night[0]:.2f} s, {night[1]:,.0f} MiB; full {full[0]:.2f} s, {full[1]:,.0f} MiB", flush=True)
            if k == 0 and not same_rows(night_out, full_out):
                print("MISMATCH: the night's output differs from the full run's")
                sys.exit(1)
        state_bytes = folder_bytes(state)
        med = lambda runs, i: statistics.median(r[i] for r in runs)  # noqa: E731
        nt, nm, ft, fm = med(nights, 0), med(nights, 1), med(fulls, 0), med(fulls, 1)
        print(f"\nconfig {os.path.relpath(args.config, ROOT)}; history {args.lines:,} lines, night {args.day_lines:,} lines; medians of {args.runs}")
        print(f"| | night (fold + score) | full run | night / full |")
        print(f"| --- | --- | --- | --- |")
        print(f"| time | {nt:.2f} s | {ft:.2f} s | {nt / ft:.2f} |")
        print(f"| memory | {nm:,.0f} MiB | {fm:,.0f} MiB | {nm / fm:.2f} |")
        print(f"| on disk | state {state_bytes / 2**20:,.0f} MiB (history's alone {history_state / 2**20:,.0f}) | lines' Parquet {lines_bytes / 2**20:,.0f} MiB | {state_bytes / lines_bytes:.2f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
