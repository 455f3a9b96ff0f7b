#!/usr/bin/env python3
"""Deterministic synthetic order lines for rfmseg benchmarks.

    python3 bench/gen_orders.py --lines 10000000 --out /tmp/bench/orders-10m.parquet [--string-ids]

Shape (per the benchmark brief): about 3 lines per order and 8 lines per customer; purchase
counts heavy-tailed with about half of the customers buying once; 2% return lines (negative
amounts, their own order ids); 500 stores; two years of dates ending 2024-06-30; integer
customer ids (or zero-padded text ids with --string-ids). Written in row groups of about
1M lines so that memory stays flat however many lines are asked for. Same arguments, same
bytes.

Columns: order_id (int64), customer_id (int64 | string), order_date (date32),
store_id (int32), amount (float64, 2 decimals).
"""
import argparse
import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

END = dt.date(2024, 6, 30)
DAYS = 730
STORES = 500


def customer_orders(rng, n):
    """Orders per customer: half buy once, the rest a heavy tail (mean ~4.3)."""
    once = rng.random(n) < 0.5
    tail = 1 + np.minimum(rng.zipf(2.2, n), 400)
    return np.where(once, 1, tail)


def chunk(rng, first_customer, customers, first_order, string_ids):
    orders_per = customer_orders(rng, customers)
    n_orders = int(orders_per.sum())
    cust_of_order = np.repeat(np.arange(first_customer, first_customer + customers), orders_per)
    # Each customer shops mostly at one store, over a span of their active days.
    home = rng.integers(0, STORES, customers)
    store_of_order = np.where(rng.random(n_orders) < 0.9, np.repeat(home, orders_per), rng.integers(0, STORES, n_orders))
    end_day = rng.integers(0, DAYS, customers)
    day_of_order = np.repeat(end_day, orders_per) - rng.integers(0, DAYS, n_orders) % (np.repeat(end_day, orders_per) + 1)
    lines_per = 1 + rng.poisson(2.0, n_orders)
    n_lines = int(lines_per.sum())
    order_ids = np.repeat(np.arange(first_order, first_order + n_orders), lines_per)
    customer = np.repeat(cust_of_order, lines_per)
    store = np.repeat(store_of_order, lines_per).astype(np.int32)
    day = np.repeat(day_of_order, lines_per)
    amount = np.round(rng.gamma(2.0, 15.0, n_lines), 2)
    returns = rng.random(n_lines) < 0.02
    amount = np.where(returns, -amount, amount)
    order_ids = np.where(returns, -order_ids, order_ids)  # a return is its own order
    dates = np.datetime64(END.isoformat(), "D") - (DAYS - 1 - day).astype("timedelta64[D]")
    if string_ids:
        ids = pa.array(np.char.zfill(customer.astype(str), 9))
    else:
        ids = pa.array(customer.astype(np.int64))
    table = pa.table({
        "order_id": pa.array(order_ids.astype(np.int64)),
        "customer_id": ids,
        "order_date": pa.array(dates.astype("datetime64[D]"), pa.date32()),
        "store_id": pa.array(store),
        "amount": pa.array(amount),
    })
    return table, n_orders


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--string-ids", action="store_true")
    ap.add_argument("--seed", type=int, default=20240630)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    per_chunk = 125_000  # customers per row group: ~1M lines
    written, customer, order = 0, 0, 1
    writer = None
    while written < args.lines:
        table, n_orders = chunk(rng, customer, per_chunk, order, args.string_ids)
        if written + table.num_rows > args.lines:
            table = table.slice(0, args.lines - written)
        if writer is None:
            writer = pq.ParquetWriter(args.out, table.schema, compression="zstd")
        writer.write_table(table)
        written += table.num_rows
        customer += per_chunk
        order += n_orders
    writer.close()
    print(f"wrote {written:,} lines to {args.out}")


if __name__ == "__main__":
    main()
