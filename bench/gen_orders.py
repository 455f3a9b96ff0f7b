#!/usr/bin/env python3
"""Deterministic synthetic order lines for rfmseg benchmarks.

    python3 bench/gen_orders.py --lines 10000000 --out /tmp/bench/orders-10m.parquet [--string-ids]
    python3 bench/gen_orders.py --lines 10000000 --out /tmp/bench/date.parquet \\
        --layout date --spans realistic --region --string-ids --id-prefix C --string-order-ids

Shape (per the benchmark brief): about 3 lines per order and 8 lines per customer; purchase
counts heavy-tailed with about half of the customers buying once; 2% return lines (negative
amounts, their own order ids); 500 stores; two years of dates ending 2024-06-30; integer
customer ids (or zero-padded text ids with --string-ids). Written in row groups of about
1M lines so that memory stays flat however many lines are asked for. Same arguments, same
bytes (without options: the same bytes as the generator before --layout existed).

Columns: order_id (int64 | string), customer_id (int64 | string), order_date (date32),
store_id (int32), [region (int32) with --region], amount (float64, 2 decimals).

Options for the shapes real exports have:
  --layout order     lines in order-id order, customers in id order (the default);
  --layout date      an export sorted by date: order ids rise with time (1, 2, ... in date
                     order; a return is its own order, on its own later date), an order's
                     lines together, orders of one day in a seeded random order;
  --layout shuffled  the lines in a seeded random permutation (order ids as in `order`).
  --spans today      each customer's orders uniform between day 0 and their last day (the
                     default with --layout order, so the default output stays as it was);
  --spans realistic  a customer starts on a random day and buys with gaps of about 45 days
                     (a gamma span over their orders, cut at the end of the data): one-time
                     buyers on one day, heavy buyers over months or years; returns 0-30 days
                     after the purchase (the default with --layout date or shuffled).
  --string-ids       text customer ids, zero-padded to 9 digits, after --id-prefix ("C" gives
                     "C000123456"; the default "" gives "000123456" as before);
  --string-order-ids text order numbers "O0000123456" (a return in the order and shuffled
                     layouts, whose integer id is negative, is "R0000123456");
  --region           a region column, store_id // 50 (10 regions);
  --csv              write CSV (header row, ISO dates) instead of Parquet: the same lines.

The same --spans and --seed give the same customers, orders and amounts in every layout and
type: only the order of the lines and the ids' spelling (and in the date layout, the order
numbers) differ. The date and shuffled layouts write the lines to seeded buckets in a
temporary folder beside the output (about 26 bytes a line) and then sort or permute one
bucket at a time, so memory stays at a few hundred MB whatever the size.
"""
import argparse
import datetime as dt
import os
import shutil
import tempfile

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

END = dt.date(2024, 6, 30)
DAYS = 730
STORES = 500
PER_CHUNK = 125_000  # customers per generated chunk: ~1M lines
BUCKET_LINES = 2_000_000  # lines per bucket of the date and shuffled layouts, about
ROW_GROUP = 1 << 20
# One spilled line: what the table needs, before ids are spelt.
SPILL = np.dtype([("customer", "<i8"), ("order", "<i8"), ("day", "<i2"), ("store", "<i2"), ("amount", "<f8")])


def customer_orders(rng, n):
    """Orders per customer: half buy once, the rest a heavy tail (mean ~4.3)."""
    once = rng.random(n) < 0.5
    tail = 1 + np.minimum(rng.zipf(2.2, n), 400)
    return np.where(once, 1, tail)


def customers_orders_stores(rng, first_customer, customers):
    """Orders per customer, each order's customer, and its store: each customer shops mostly
    at one store. Both models start with these random calls, in this order."""
    orders_per = customer_orders(rng, customers)
    n_orders = int(orders_per.sum())
    cust_of_order = np.repeat(np.arange(first_customer, first_customer + customers), orders_per)
    home = rng.integers(0, STORES, customers)
    store_of_order = np.where(rng.random(n_orders) < 0.9, np.repeat(home, orders_per), rng.integers(0, STORES, n_orders))
    return orders_per, n_orders, cust_of_order, store_of_order


def order_lines(rng, first_order, n_orders, cust_of_order, store_of_order, day_of_order):
    """Each order's lines (1 + Poisson(2)), their amounts, and which are returns (2%). Both
    models draw these after their days, in this order."""
    lines_per = 1 + rng.poisson(2.0, n_orders)
    n_lines = int(lines_per.sum())
    order_ids = np.repeat(np.arange(first_order, first_order + n_orders), lines_per)
    customer = np.repeat(cust_of_order, lines_per)
    store = np.repeat(store_of_order, lines_per).astype(np.int32)
    day = np.repeat(day_of_order, lines_per)
    amount = np.round(rng.gamma(2.0, 15.0, n_lines), 2)
    returns = rng.random(n_lines) < 0.02
    return n_lines, order_ids, customer, store, day, amount, returns


def chunk_today(rng, first_customer, customers, first_order):
    """The original model (random calls in the original order: same seed, same lines)."""
    orders_per, n_orders, cust_of_order, store_of_order = customers_orders_stores(rng, first_customer, customers)
    # Each customer shops over a span of their active days.
    end_day = rng.integers(0, DAYS, customers)
    day_of_order = np.repeat(end_day, orders_per) - rng.integers(0, DAYS, n_orders) % (np.repeat(end_day, orders_per) + 1)
    n_lines, order_ids, customer, store, day, amount, returns = order_lines(
        rng, first_order, n_orders, cust_of_order, store_of_order, day_of_order
    )
    amount = np.where(returns, -amount, amount)
    order_ids = np.where(returns, -order_ids, order_ids)  # a return is its own order
    return customer, order_ids, day, store, amount, n_orders


def chunk_realistic(rng, first_customer, customers, first_order):
    """Customers who buy over realistic spans: a start day, then gaps of ~45 days."""
    orders_per, n_orders, cust_of_order, store_of_order = customers_orders_stores(rng, first_customer, customers)
    start = rng.integers(0, DAYS, customers)
    gaps = rng.gamma(np.maximum(orders_per - 1, 1), 45.0)
    span = np.where(orders_per > 1, np.minimum(np.round(gaps), DAYS - 1 - start), 0).astype(np.int64)
    # First order on the start day, last at start + span, the others uniform in between.
    first_of = np.repeat(np.cumsum(orders_per) - orders_per, orders_per)
    k = np.arange(n_orders) - first_of
    last = np.repeat(orders_per - 1, orders_per)
    u = rng.random(n_orders)
    u = np.where(k == 0, 0.0, np.where(k == last, 1.0, u))
    day_of_order = np.repeat(start, orders_per) + np.round(u * np.repeat(span, orders_per)).astype(np.int64)
    n_lines, order_ids, customer, store, day, amount, returns = order_lines(
        rng, first_order, n_orders, cust_of_order, store_of_order, day_of_order
    )
    delay = rng.integers(0, 31, n_lines)
    amount = np.where(returns, -amount, amount)
    order_ids = np.where(returns, -order_ids, order_ids)  # a return is its own order
    day = np.where(returns, np.minimum(day + delay, DAYS - 1), day)
    return customer, order_ids, day, store, amount, n_orders


def spelt(values, prefix, width):
    """Integers as zero-padded text after a prefix: 123 -> "C000000123"."""
    text = pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, text, "") if prefix else text


def to_table(customer, order_ids, day, store, amount, args):
    if args.string_order_ids:
        ret = order_ids < 0
        digits = spelt(np.abs(order_ids), "", 10)
        order_col = pc.if_else(pa.array(ret), pc.binary_join_element_wise("R", digits, ""),
                               pc.binary_join_element_wise("O", digits, ""))
    else:
        order_col = pa.array(order_ids.astype(np.int64))
    if args.string_ids:
        if args.id_prefix:
            ids = spelt(customer.astype(np.int64), args.id_prefix, 9)
        else:
            ids = pa.array(np.char.zfill(customer.astype(str), 9))
    else:
        ids = pa.array(customer.astype(np.int64))
    dates = np.datetime64(END.isoformat(), "D") - (DAYS - 1 - day.astype(np.int64)).astype("timedelta64[D]")
    columns = {
        "order_id": order_col,
        "customer_id": ids,
        "order_date": pa.array(dates.astype("datetime64[D]"), pa.date32()),
        "store_id": pa.array(store.astype(np.int32)),
    }
    if args.region:
        columns["region"] = pa.array((store // 50).astype(np.int32))
    columns["amount"] = pa.array(amount)
    return pa.table(columns)


class Sink:
    """Parquet (zstd, row groups of ~1M lines) or CSV, opened at the first table."""

    def __init__(self, path, csv):
        self.path, self.csv, self.writer, self.rows = path, csv, None, 0

    def write(self, table, row_group_size=None):
        if self.writer is None:
            if self.csv:
                self.writer = pcsv.CSVWriter(self.path, table.schema, write_options=pcsv.WriteOptions(quoting_style="none"))
            else:
                self.writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        if self.csv:
            self.writer.write_table(table)
        else:
            self.writer.write_table(table, row_group_size=row_group_size)
        self.rows += table.num_rows

    def close(self):
        self.writer.close()


def generate(args, rng, each):
    """Generate chunks of customers until args.lines lines; call each(columns) per chunk."""
    make = chunk_today if args.spans == "today" else chunk_realistic
    written, customer, order = 0, 0, 1
    while written < args.lines:
        customer_col, order_ids, day, store, amount, n_orders = make(rng, customer, PER_CHUNK, order)
        keep = min(len(customer_col), args.lines - written)
        if keep < len(customer_col):
            customer_col, order_ids, day, store, amount = (a[:keep] for a in (customer_col, order_ids, day, store, amount))
        each(customer_col, order_ids, day, store, amount)
        written += keep
        customer += PER_CHUNK
        order += n_orders


def mix(x, seed):
    """A seeded 64-bit hash (splitmix64) of each value."""
    z = (x.astype(np.uint64) + np.uint64(seed & 0xFFFFFFFFFFFFFFFF)) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def write_bucketed(args, rng, sink):
    """The date and shuffled layouts: spill the lines to buckets, then order one at a time."""
    buckets = max(1, -(-args.lines // BUCKET_LINES))
    if args.layout == "date":
        buckets = min(buckets, DAYS)
    spill = tempfile.mkdtemp(prefix=".gen-orders-", dir=os.path.dirname(os.path.abspath(args.out)))
    try:
        files = [open(os.path.join(spill, f"{b:05d}.bin"), "wb") for b in range(buckets)]
        place = np.random.default_rng([args.seed, 1])  # its own stream: the lines stay the same

        def each(customer, order_ids, day, store, amount):
            rec = np.empty(len(customer), SPILL)
            rec["customer"], rec["order"], rec["day"], rec["store"], rec["amount"] = customer, order_ids, day, store, amount
            if args.layout == "date":
                b = day.astype(np.int64) * buckets // DAYS
            else:
                b = place.integers(0, buckets, len(customer))
            by = np.argsort(b, kind="stable")
            counts = np.bincount(b, minlength=buckets)
            at = 0
            for i, c in enumerate(counts):
                if c:
                    files[i].write(rec[by[at:at + c]].tobytes())
                at += c

        generate(args, rng, each)
        for f in files:
            f.close()
        next_order = 1
        for b in range(buckets):
            path = os.path.join(spill, f"{b:05d}.bin")
            rec = np.fromfile(path, SPILL)
            os.remove(path)
            if len(rec) == 0:
                continue
            if args.layout == "date":
                # By day, then the orders of a day in a seeded random order; an order's lines
                # keep their order (lexsort is stable); then number the orders 1, 2, ...
                by = np.lexsort((rec["order"], mix(rec["order"], args.seed), rec["day"]))
                rec = rec[by]
                new = np.empty(len(rec), bool)
                new[0] = True
                new[1:] = rec["order"][1:] != rec["order"][:-1]
                ids = next_order - 1 + np.cumsum(new)
                next_order = int(ids[-1]) + 1
            else:
                rec = rec[np.random.default_rng([args.seed, 2, b]).permutation(len(rec))]
                ids = rec["order"]
            for at in range(0, len(rec), ROW_GROUP):
                part = rec[at:at + ROW_GROUP]
                sink.write(to_table(part["customer"], ids[at:at + ROW_GROUP], part["day"], part["store"].astype(np.int32), part["amount"], args), ROW_GROUP)
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--layout", choices=["order", "date", "shuffled"], default="order")
    ap.add_argument("--spans", choices=["today", "realistic"], help="default: today with --layout order, else realistic")
    ap.add_argument("--string-ids", action="store_true")
    ap.add_argument("--id-prefix", default="", help="before the 9 digits of a text customer id (with --string-ids)")
    ap.add_argument("--string-order-ids", action="store_true")
    ap.add_argument("--region", action="store_true")
    ap.add_argument("--csv", action="store_true")
    ap.add_argument("--seed", type=int, default=20240630)
    args = ap.parse_args()
    if args.spans is None:
        args.spans = "today" if args.layout == "order" else "realistic"
    if args.lines < 1:
        ap.error("--lines must be at least 1")
    rng = np.random.default_rng(args.seed)
    sink = Sink(args.out, args.csv)
    if args.layout == "order":
        generate(args, rng, lambda *cols: sink.write(to_table(*cols, args)))
    else:
        write_bucketed(args, rng, sink)
    sink.close()
    print(f"wrote {sink.rows:,} lines to {args.out}")


if __name__ == "__main__":
    main()
