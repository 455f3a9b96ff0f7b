"""Generate the small, deterministic retail order-line sample used by rfmseg's quick start and tests.

Run from anywhere:  python3 data-samples/generate.py
Writes orders.csv and orders.parquet beside this script (the same rows, same order).

One row per order line, two years of trading ending 2024-06-30:

  order_id     text. "O0001234" for a sale; "R000123" for a return (a return has its own id)
  order_line   1..5, the line number within its order
  customer_id  text, zero-padded ("00042"); EMPTY in the CSV / null in Parquet for guest checkouts
  order_date   the calendar date of the order. CSV: YYYY-MM-DD text; Parquet: a date32 column
  store_id     S01..S08; every store belongs to exactly one region
  region       North, South, East, West
  channel      pos (in store) or web
  sku          the product, "SKU10042"
  quantity     units; negative on a return line
  amount       line value in currency units, 2 decimals; negative on a return line, 0.00 on a free gift

What is in it (all from a fixed seed, so every run writes the same bytes):
  - about 780 registered customers with heavy-tailed purchase counts: about half buy once,
    a few buy 20+ times; most shop at one home store, some at a second store too;
  - orders of 1-5 lines, sharing order_id, date, store and channel across their lines;
  - about 3% return lines, each dated after the purchase it returns (same customer, store, sku);
  - about 4% guest-checkout lines with no customer_id;
  - a handful of customers whose only lines in the period are returns (of purchases made
    before the period started).

Uses only numpy, pandas and pyarrow.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20240630
START = np.datetime64("2022-07-01")
END = np.datetime64("2024-06-30")  # the last day of the sample; some order is dated on it
N_DAYS = int((END - START).astype(int)) + 1

STORES = ["S01", "S02", "S03", "S04", "S05", "S06", "S07", "S08"]
STORE_REGION = {
    "S01": "North", "S02": "North", "S03": "North",
    "S04": "South", "S05": "South",
    "S06": "East", "S07": "East",
    "S08": "West",
}
STORE_WEIGHT = np.array([0.20, 0.12, 0.08, 0.16, 0.10, 0.14, 0.08, 0.12])

N_CUSTOMERS = 780
N_RETURN_ONLY = 6
N_SKUS = 400
LINES_PER_ORDER_P = [0.45, 0.27, 0.15, 0.08, 0.05]  # 1..5 lines
GUEST_LINE_SHARE = 0.04
RETURN_LINE_SHARE = 0.03

OUT_DIR = Path(__file__).resolve().parent


def day_weights():
    """Relative trading volume per day: busier weekends, a December peak, a summer dip."""
    days = START + np.arange(N_DAYS)
    dates = pd.DatetimeIndex(days)
    w = np.ones(N_DAYS)
    w[dates.day_of_week >= 5] *= 1.3
    w[dates.month == 12] *= 1.7
    w[dates.month == 11] *= 1.2
    w[dates.month.isin([7, 8])] *= 0.85
    return w


def main():
    rng = np.random.default_rng(SEED)
    cum_w = np.concatenate([[0.0], np.cumsum(day_weights())])

    def draw_days(lo, hi, size):
        """Day offsets in [lo, hi] (inclusive), following the seasonal day weights."""
        u = rng.uniform(cum_w[lo], cum_w[hi + 1], size)
        return np.searchsorted(cum_w, u, side="right") - 1

    # Product catalogue: list prices and a skewed popularity.
    sku_ids = np.array([f"SKU{10000 + i}" for i in range(N_SKUS)])
    sku_price = np.maximum(np.round(rng.lognormal(np.log(14.0), 0.8, N_SKUS)) - 0.01, 0.99)
    sku_pop = 1.0 / np.arange(1, N_SKUS + 1) ** 0.9
    sku_pop = sku_pop[rng.permutation(N_SKUS)]
    sku_pop /= sku_pop.sum()

    # Customers: ids are a sparse, zero-padded sample of 1..1999.
    ids = np.sort(rng.choice(np.arange(1, 2000), N_CUSTOMERS + N_RETURN_ONLY, replace=False))
    ids = np.array([f"{i:05d}" for i in ids])
    return_only_ids = rng.choice(ids, N_RETURN_ONLY, replace=False)
    cust_ids = np.array([c for c in ids if c not in set(return_only_ids)])

    # Heavy tail: half buy once, the rest 2 + a log-normal count, capped at 60.
    one_timer = rng.random(N_CUSTOMERS) < 0.5
    n_orders = np.where(
        one_timer, 1, 2 + np.floor(rng.lognormal(0.5, 1.15, N_CUSTOMERS)).clip(0, 58)
    ).astype(int)

    home = rng.choice(len(STORES), N_CUSTOMERS, p=STORE_WEIGHT)
    has_second = rng.random(N_CUSTOMERS) < 0.15
    second = rng.choice(len(STORES), N_CUSTOMERS, p=STORE_WEIGHT)
    second = np.where(second == home, (home + 1) % len(STORES), second)
    web_pref = rng.beta(1.0, 3.0, N_CUSTOMERS)

    orders = []  # (customer_id or None, day offset, store index, channel)
    for c in range(N_CUSTOMERS):
        k = n_orders[c]
        # Active span: frequent buyers stay longer. The span is centred anywhere in the
        # period and clipped to it, so some customers were already buying before it began
        # and some are still buying at its end.
        span = rng.exponential(45.0) * k + 20 * (k > 1)
        centre = rng.uniform(0, N_DAYS - 1)
        lo = int(max(0, centre - span / 2))
        hi = int(min(N_DAYS - 1, centre + span / 2))
        for d in draw_days(lo, hi, k):
            store = second[c] if (has_second[c] and rng.random() < 0.3) else home[c]
            channel = "web" if rng.random() < web_pref[c] else "pos"
            orders.append((cust_ids[c], int(d), int(store), channel))

    # The sample ends on END: the most frequent customer orders on that day.
    top = int(np.argmax(n_orders))
    orders.append((cust_ids[top], N_DAYS - 1, int(home[top]), "pos"))

    n_customer_orders = len(orders)
    n_guest_orders = int(round(n_customer_orders * GUEST_LINE_SHARE / (1 - GUEST_LINE_SHARE)))
    for d in draw_days(0, N_DAYS - 1, n_guest_orders):
        store = int(rng.choice(len(STORES), p=STORE_WEIGHT))
        orders.append((None, int(d), store, "pos" if rng.random() < 0.8 else "web"))

    # Order ids follow the calendar, as a till system would hand them out.
    order_rank = sorted(range(len(orders)), key=lambda i: (orders[i][1], i))
    rows = []
    for seq, i in enumerate(order_rank):
        cust, day, store, channel = orders[i]
        order_id = f"O{1001 + seq:07d}"
        n_lines = int(rng.choice(5, p=LINES_PER_ORDER_P)) + 1
        skus = rng.choice(N_SKUS, n_lines, replace=False, p=sku_pop)
        for line, s in enumerate(skus, start=1):
            qty = int(rng.choice([1, 2, 3, 4, 6], p=[0.70, 0.19, 0.07, 0.03, 0.01]))
            amount = sku_price[s] * qty
            if rng.random() < 0.12:  # promotion: 10-30% off, to odd cents
                amount *= 1 - rng.choice([0.10, 0.15, 0.20, 0.30])
            if rng.random() < 0.003:  # free gift with purchase
                amount = 0.0
            rows.append(dict(order_id=order_id, order_line=line, customer_id=cust, day=day,
                             store=store, channel=channel, sku=s, quantity=qty,
                             amount=round(float(amount), 2)))

    # Returns: ~3% of all lines, each a return of an earlier purchase line, 1-45 days later.
    purchases = pd.DataFrame(rows)
    n_returns = int(round(len(purchases) * RETURN_LINE_SHARE / (1 - RETURN_LINE_SHARE)))
    candidates = purchases[(purchases.amount > 0) & (purchases.day < N_DAYS - 2)]
    picked = candidates.sample(n=n_returns - N_RETURN_ONLY - 2, random_state=SEED)
    returns = []
    for _, p in picked.iterrows():
        day = min(int(p.day) + int(rng.integers(1, 46)), N_DAYS - 1)
        qty = int(rng.integers(1, p.quantity + 1))
        cust = None if pd.isna(p.customer_id) else p.customer_id  # a guest's return
        returns.append(dict(customer_id=cust, day=day, store=p.store,
                            channel=p.channel, sku=p.sku, quantity=-qty,
                            amount=-round(float(p.amount) * qty / p.quantity, 2)))
    # Customers whose only lines are returns of purchases made before the period; one of
    # them returns two items on the same day, in one return order.
    for j, cust in enumerate(sorted(return_only_ids)):
        day = int(rng.integers(0, 40))
        store = int(rng.choice(len(STORES), p=STORE_WEIGHT))
        for _ in range(2 if j == 0 else 1):
            s = int(rng.choice(N_SKUS, p=sku_pop))
            returns.append(dict(customer_id=cust, day=day, store=store, channel="pos",
                                sku=s, quantity=-1, amount=-float(sku_price[s]),
                                group=j))
    returns.sort(key=lambda r: (r["day"], r.get("group", -1), r["customer_id"] or ""))
    seq, prev_group = 0, None
    for r in returns:
        g = r.pop("group", None)
        if g is None or g != prev_group:
            seq += 1
            line = 1
        else:
            line += 1
        prev_group = g
        r["order_id"] = f"R{seq:06d}"
        r["order_line"] = line
    lines = pd.concat([purchases, pd.DataFrame(returns)], ignore_index=True)

    lines["order_date"] = (START + lines["day"].to_numpy().astype("timedelta64[D]")).astype("datetime64[D]")
    lines["store_id"] = [STORES[i] for i in lines["store"]]
    lines["region"] = lines["store_id"].map(STORE_REGION)
    lines["sku"] = sku_ids[lines["sku"].to_numpy()]
    lines = lines.sort_values(["order_date", "order_id", "order_line"], kind="stable")
    lines = lines.reset_index(drop=True)
    columns = ["order_id", "order_line", "customer_id", "order_date", "store_id", "region",
               "channel", "sku", "quantity", "amount"]
    lines = lines[columns]

    # Parquet: real types (date32, int64, float64); customer_id stays a String column.
    def text(col):
        return pa.array([None if pd.isna(v) else str(v) for v in lines[col]], pa.string())

    table = pa.table({
        "order_id": text("order_id"),
        "order_line": pa.array(lines["order_line"].astype("int64").tolist(), pa.int64()),
        "customer_id": text("customer_id"),
        "order_date": pa.array(lines["order_date"].dt.date.tolist(), pa.date32()),
        "store_id": text("store_id"),
        "region": text("region"),
        "channel": text("channel"),
        "sku": text("sku"),
        "quantity": pa.array(lines["quantity"].astype("int64").tolist(), pa.int64()),
        "amount": pa.array(lines["amount"].astype("float64").tolist(), pa.float64()),
    })
    pq.write_table(table, OUT_DIR / "orders.parquet", compression="zstd")

    # CSV: every value as text; dates YYYY-MM-DD; amounts with exactly 2 decimals; guests empty.
    text = lines.copy()
    text["customer_id"] = text["customer_id"].fillna("")
    text["order_date"] = text["order_date"].dt.strftime("%Y-%m-%d")
    text["amount"] = [f"{a:.2f}" for a in text["amount"]]
    text.to_csv(OUT_DIR / "orders.csv", index=False, lineterminator="\n")

    # The same lines as a week of nightly exports (README, "Nightly runs"): the history up to
    # 2024-06-23, then one file per day to 2024-06-30, each in the sample's own row order.
    nightly = OUT_DIR / "nightly"
    nightly.mkdir(exist_ok=True)
    start = "2024-06-24"
    text[text["order_date"] < start].to_csv(nightly / "history.csv", index=False, lineterminator="\n")
    for day in pd.date_range(start, "2024-06-30").strftime("%Y-%m-%d"):
        text[text["order_date"] == day].to_csv(nightly / f"orders-{day}.csv", index=False, lineterminator="\n")

    n_cust = lines["customer_id"].dropna().nunique()
    print(f"wrote {len(lines)} lines, {lines['order_id'].nunique()} orders, {n_cust} customers "
          f"to {OUT_DIR / 'orders.csv'} and {OUT_DIR / 'orders.parquet'}")


if __name__ == "__main__":
    main()
