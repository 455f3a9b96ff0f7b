"""The part of an rfmseg config the benchmark peers read (shared by duckdb_rfm.py and
polars_rfm.py, so that both score exactly what the config says).

Read: input.columns, analysis.{as_of, window_days, returns, monetary, monetary_decimals,
frequency, group_by}, scoring.{method, bins} with per-metric blocks (rank, quantile, fixed
with thresholds), segments.{default, rules} with r/f/m ranges and cells. Anything else that
would change the result (a `when` rule, r-rfm, min_group_customers, thresholds_from, holdout,
text dates, CSV options) is refused, so a peer never computes something else silently.
"""
import datetime as dt
from dataclasses import dataclass, field

import yaml

ROLES = ("customer_id", "order_date", "amount", "order_id")


@dataclass
class Metric:
    method: str
    bins: int
    thresholds: list = field(default_factory=list)


@dataclass
class Rule:
    name: str
    ranges: dict  # "r" | "f" | "m" -> (lo, hi)
    cells: list | None


@dataclass
class Config:
    columns: dict
    as_of: dt.date | None
    window_days: int | None
    returns: str
    monetary: str
    decimals: int
    frequency: str
    group_by: list
    recency: Metric
    frequency_scoring: Metric
    monetary_scoring: Metric
    default: str
    rules: list

    @property
    def scale(self):
        return 10 ** self.decimals

    @property
    def wide_cells(self):
        return max(self.recency.bins, self.frequency_scoring.bins, self.monetary_scoring.bins) > 9


def refuse(what):
    raise SystemExit(f"peer: {what} is not implemented by this benchmark peer")


def load(path):
    cfg = yaml.safe_load(open(path)) or {}
    inp, an, sc, sg = (cfg.get(k) or {} for k in ("input", "analysis", "scoring", "segments"))
    for key in ("date_format", "calendar", "csv", "rejects_path"):
        if key in inp:
            refuse(f"input.{key}")
    cols = {role: role for role in ROLES}
    cols.update(inp.get("columns") or {})
    for key in ("min_group_customers", "thresholds_from"):
        if key in sc:
            refuse(f"scoring.{key}")
    if (cfg.get("output") or {}).get("holdout"):
        refuse("output.holdout")
    method, bins = sc.get("method", "rank"), sc.get("bins", 5)

    def metric(name):
        block = sc.get(name) or {}
        m = Metric(block.get("method", method), block.get("bins", bins), list(block.get("thresholds") or []))
        if m.method not in ("rank", "quantile", "fixed"):
            refuse(f"scoring method {m.method}")
        if m.method == "fixed" and len(m.thresholds) != m.bins - 1:
            raise SystemExit(f"peer: scoring.{name}: fixed needs bins - 1 thresholds")
        return m

    frequency = an.get("frequency", "orders" if cols.get("order_id") else "lines")
    rules = []
    for r in sg.get("rules") or []:
        if "when" in r:
            refuse("a `when` segment rule")
        ranges = {}
        for k in ("r", "f", "m"):
            if k in r:
                v = r[k]
                ranges[k] = (v, v) if isinstance(v, int) else (v[0], v[1])
        cells = None
        if "cells" in r:
            cells = [str(c) for c in r["cells"]]  # "545", or "10-3-5" with more than 9 bins
        rules.append(Rule(r["name"], ranges, cells))
    metrics = metric("recency"), metric("frequency"), metric("monetary")
    if max(m.bins for m in metrics) <= 9:
        for rule in rules:
            rule.cells = rule.cells and [c.replace("-", "") for c in rule.cells]
    as_of = an.get("as_of")
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    return Config(
        columns=cols,
        as_of=as_of,
        window_days=an.get("window_days"),
        returns=an.get("returns", "net"),
        monetary=an.get("monetary", "total"),
        decimals=an.get("monetary_decimals", 2),
        frequency=frequency,
        group_by=list(an.get("group_by") or []),
        recency=metrics[0],
        frequency_scoring=metrics[1],
        monetary_scoring=metrics[2],
        default=sg.get("default", "Other"),
        rules=rules,
    )
