#!/usr/bin/env python3
"""Independent reference implementation of the RFM contract (/work/shared/CONTRACT.md).

It exists to cross-check `rfmseg run` row by row (see compare.py next to it), so it follows the
contract text literally and favours clarity over speed: plain Python over lists of lines,
pandas/pyarrow only for reading and writing files, numpy only for the quantile edges, and
DuckDB only to evaluate the segments' `when:` SQL expressions. Each step quotes the contract
clause it implements.

    python3 rfm_reference.py --config CFG.yaml [--input PATH ...] [--as-of YYYY-MM-DD]
                             [--output OUT.parquet] [--quantile-edges numpy|exact]

Exit status: 0 ok; 1 input/data error; 2 usage or config error; 3 the contract does not
define the result (e.g. `monetary: average` for a customer whose frequency is 0).
Where the contract is silent, the choice made here is marked "CHOICE:" in a comment.
"""

import argparse
import datetime as dt
import glob
import math
import os
import re
import sys
import tempfile
from bisect import bisect_left
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

ROLES = ("customer_id", "order_date", "amount", "order_id")
METHODS = ("rank", "quantile", "r-rfm", "fixed")
REQUIRED_ROLES = ("customer_id", "order_date", "amount")
METRICS = ("recency", "frequency", "monetary")
SCORE_OF = {"recency": "r", "frequency": "f", "monetary": "m"}
OUTPUT_COLUMNS = ("customer_id", "recency_days", "frequency", "monetary", "first_order_date",
                  "last_order_date", "r", "f", "m", "rfm_cell", "rfm_score", "segment")
# "a `when:` boolean SQL expression over r, f, m, recency_days, frequency, monetary, rfm_score
#  and the group_by columns"
WHEN_COLUMNS = ("r", "f", "m", "recency_days", "frequency", "monetary", "rfm_score")


class ConfigError(Exception):
    """Exit 2. Carries every problem found, each with its place in the YAML file."""

    def __init__(self, problems):
        super().__init__("\n".join(problems))
        self.problems = problems


class InputError(Exception):
    """Exit 1: a file that cannot be read, or a value that cannot be read as its role's type."""


class ContractGap(Exception):
    """Exit 3: the contract does not define a result for this input."""


def warn(msg):
    print(f"warning: {msg}", file=sys.stderr)


# --------------------------------------------------------------------------------------------
# Config
# --------------------------------------------------------------------------------------------

class Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans (only true/false), as serde_yaml reads them: a segment
    named `No` or `Off` stays a string."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def yaml_places(node, path=(), out=None):
    """Map each key path, e.g. ('segments', 'rules', 2, 'r'), to its 1-based (line, column)."""
    if out is None:
        out = {}
    out[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            yaml_places(value_node, path + (key,), out)
            # a key's place is where the key is written, not where its value starts
            out[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yaml_places(item, path + (i,), out)
    return out


@dataclass
class MetricScoring:
    method: str  # rank | quantile | r-rfm | fixed
    bins: int
    thresholds: list = None  # fixed only: t_1..t_{bins-1}


@dataclass
class Rule:
    name: str
    ranges: dict  # score column ('r'|'f'|'m') -> (lo, hi), inclusive
    cells: list = None  # exact rfm_cell strings
    when: str = None  # SQL boolean expression


@dataclass
class Settings:
    paths: list
    date_format: str
    columns: dict  # role -> file column name; order_id only when mapped
    group_by: list  # output column names
    group_source: dict  # group_by name -> file column name
    as_of: dt.date
    window_days: int
    returns: str
    monetary: str
    decimals: int
    frequency: str
    scoring: dict  # metric -> MetricScoring
    default_segment: str
    rules: list
    output: str
    config_path: str = ""
    places: dict = field(default_factory=dict)
    min_group_customers: int = None  # scoring.min_group_customers, with group_by


def parse_iso_date_arg(text):
    """`--as-of YYYY-MM-DD`, or the config's `as_of` when YAML left it a string."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(f"{text!r} is not a YYYY-MM-DD date")
    return dt.date.fromisoformat(text)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v):
    return (is_int(v) or isinstance(v, float)) and not (isinstance(v, float) and not math.isfinite(v))


def load_config(path, cli_inputs, cli_output, cli_as_of):
    """Read the YAML config, apply the command-line overrides, and collect ALL problems."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError([f"{path}: cannot read the config: {e.strerror}"])
    try:
        raw = yaml.load(text, Loader=Yaml12Loader)
        places = yaml_places(yaml.compose(text, Loader=Yaml12Loader)) if raw is not None else {}
    except yaml.YAMLError as e:
        raise ConfigError([f"{path}: not valid YAML: {e}"])
    if raw is None:
        raw = {}
    problems = []

    def at(keys):
        keys = tuple(keys)
        while keys and keys not in places:
            keys = keys[:-1]
        line, col = places.get(keys, (1, 1))
        return f"{path}:{line}:{col}"

    def dotted(keys):
        out = ""
        for k in keys:
            out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else str(k))
        return out

    def problem(keys, msg):
        problems.append(f"{at(keys)}: {dotted(keys)}: {msg}")

    def section(name, known):
        value = raw.get(name, {})
        if value is None:
            value = {}
        if not isinstance(value, dict):
            problem([name], "must be a mapping")
            return {}
        # "Every key above keeps this name and meaning; more keys may be added."
        # CHOICE: an unknown key outside segment rules is a warning here, not an error, so the
        # reference still runs configs that use keys the tool adds later.
        for k in value:
            if k not in known:
                warn(f"{at([name, k])}: {name}.{k}: key unknown to the reference, ignored")
        return value

    if not isinstance(raw, dict):
        raise ConfigError([f"{path}:1:1: the config must be a YAML mapping"])
    for k in raw:
        if k not in ("input", "analysis", "scoring", "segments", "output"):
            warn(f"{at([k])}: {k}: top-level key unknown to the reference, ignored")

    inp = section("input", ("paths", "date_format", "columns"))
    ana = section("analysis", ("as_of", "window_days", "returns", "monetary",
                               "monetary_decimals", "frequency", "group_by"))
    sco = section("scoring", ("method", "bins", "min_group_customers") + METRICS)
    seg = section("segments", ("default", "rules"))
    out = section("output", ("path",))

    # --- input.paths ("files, globs or folders"); --input overrides it
    paths = inp.get("paths")
    if cli_inputs:
        paths = list(cli_inputs)
    elif paths is None:
        problem(["input", "paths"], "no input: set input.paths or pass --input")
        paths = []
    elif isinstance(paths, str):
        paths = [paths]
    elif not (isinstance(paths, list) and paths and all(isinstance(p, str) for p in paths)):
        problem(["input", "paths"], "must be a path or a non-empty list of paths")
        paths = []

    date_format = inp.get("date_format")
    if date_format is not None and not (isinstance(date_format, str) and date_format):
        problem(["input", "date_format"], "must be a strptime format such as \"%d/%m/%Y\"")
        date_format = None

    # --- analysis.group_by
    group_by = ana.get("group_by") or []
    if isinstance(group_by, str):
        group_by = [group_by]
    if not (isinstance(group_by, list) and all(isinstance(g, str) and g for g in group_by)):
        problem(["analysis", "group_by"], "must be a list of column names")
        group_by = []
    if len(set(group_by)) != len(group_by):
        problem(["analysis", "group_by"], "lists a column twice")
    for i, g in enumerate(group_by):
        if g in OUTPUT_COLUMNS or g in ROLES:
            problem(["analysis", "group_by", i],
                    f"{g!r} is a role or an output column, it cannot be a group")

    # --- input.columns: role -> the file's column name
    # CHOICE: a required role left out of input.columns reads the column of the same name;
    # order_id is used only when input.columns maps it (the contract's "when order_id is mapped").
    cols_raw = inp.get("columns") or {}
    columns = {}
    group_source = {g: g for g in group_by}
    if not isinstance(cols_raw, dict):
        problem(["input", "columns"], "must be a mapping of role to column name")
        cols_raw = {}
    for role, name in cols_raw.items():
        if not (isinstance(name, str) and name):
            problem(["input", "columns", role], "must be a column name")
            continue
        if role in ROLES:
            columns[role] = name
        elif role in group_source:
            # CHOICE: a group_by column may be mapped too; the output keeps the group_by name.
            group_source[role] = name
        else:
            problem(["input", "columns", role],
                    f"unknown role {role!r}; roles are {', '.join(ROLES)} and the group_by columns")
    for role in REQUIRED_ROLES:
        columns.setdefault(role, role)

    # --- analysis.as_of (--as-of overrides), window_days, returns, monetary, decimals, frequency
    as_of = ana.get("as_of")
    if cli_as_of is not None:
        as_of = cli_as_of
    if isinstance(as_of, dt.datetime):
        problem(["analysis", "as_of"], "must be a date (YYYY-MM-DD), not a date-time")
        as_of = None
    elif isinstance(as_of, str):
        try:
            as_of = parse_iso_date_arg(as_of)
        except ValueError as e:
            problem(["analysis", "as_of"], str(e))
            as_of = None
    elif as_of is not None and not isinstance(as_of, dt.date):
        problem(["analysis", "as_of"], "must be a date (YYYY-MM-DD)")
        as_of = None

    window_days = ana.get("window_days")
    if window_days is not None and not (is_int(window_days) and window_days >= 1):
        problem(["analysis", "window_days"], "must be a whole number of days, at least 1")
        window_days = None

    returns = ana.get("returns", "net")
    if returns not in ("net", "exclude"):
        problem(["analysis", "returns"], f"{returns!r}: must be net or exclude")
    monetary = ana.get("monetary", "total")
    if monetary not in ("total", "average"):
        problem(["analysis", "monetary"], f"{monetary!r}: must be total or average")
    decimals = ana.get("monetary_decimals", 2)
    if not (is_int(decimals) and 0 <= decimals <= 15):
        problem(["analysis", "monetary_decimals"], "must be a whole number from 0 to 15")
        decimals = 2
    # "`orders` = distinct order_id among purchase lines (the default when order_id is mapped);
    #  `lines` = purchase lines (the default without order_id)"
    frequency = ana.get("frequency", "orders" if "order_id" in columns else "lines")
    if frequency not in ("orders", "lines", "days"):
        problem(["analysis", "frequency"], f"{frequency!r}: must be orders, lines or days")
    elif frequency == "orders" and "order_id" not in columns:
        problem(["analysis", "frequency"],
                "orders needs an order_id column: map it in input.columns, or use lines or days")

    # --- scoring: "r, f, m in 1..bins (bins default 5, 2 to 10, per metric)";
    # "method: rank | quantile | r-rfm | fixed; per-metric blocks override"
    base_method = sco.get("method", "rank")
    if base_method not in METHODS:
        problem(["scoring", "method"], f"{base_method!r}: must be rank, quantile, r-rfm or fixed")
        base_method = "rank"
    base_bins = sco.get("bins", 5)
    if not (is_int(base_bins) and 2 <= base_bins <= 10):
        problem(["scoring", "bins"], "must be a whole number from 2 to 10")
        base_bins = 5
    scoring = {}
    for metric in METRICS:
        block = sco.get(metric) or {}
        if not isinstance(block, dict):
            problem(["scoring", metric], "must be a mapping {method, bins, thresholds}")
            block = {}
        for k in block:
            if k not in ("method", "bins", "thresholds"):
                warn(f"{at(['scoring', metric, k])}: scoring.{metric}.{k}: unknown key, ignored")
        method = block.get("method", base_method)
        if method not in METHODS:
            problem(["scoring", metric, "method"],
                    f"{method!r}: must be rank, quantile, r-rfm or fixed")
            method = "rank"
        bins = block.get("bins", base_bins)
        if not (is_int(bins) and 2 <= bins <= 10):
            problem(["scoring", metric, "bins"], "must be a whole number from 2 to 10")
            bins = base_bins
        thresholds = block.get("thresholds")
        if method == "fixed":
            # "`fixed`: ascending thresholds t_1..t_{bins-1} in the metric's own unit"
            keys = ["scoring", metric, "thresholds"]
            if thresholds is None:
                problem(["scoring", metric], f"method fixed needs thresholds ({bins - 1} numbers)")
            elif not (isinstance(thresholds, list) and all(is_number(t) for t in thresholds)):
                problem(keys, "must be a list of numbers")
            elif len(thresholds) != bins - 1:
                problem(keys, f"{len(thresholds)} thresholds for {bins} bins: need {bins - 1}")
            elif any(a >= b for a, b in zip(thresholds, thresholds[1:])):
                # CHOICE: "ascending" read as strictly ascending.
                problem(keys, "must be strictly ascending")
        elif thresholds is not None:
            warn(f"{at(['scoring', metric, 'thresholds'])}: scoring.{metric}.thresholds "
                 f"ignored: the method is {method}")
            thresholds = None
        scoring[metric] = MetricScoring(method, bins, thresholds)

    # "With scoring.min_group_customers: N (and group_by), a partition with fewer than N
    #  customers is scored with the edges of its parent partition"
    min_group = sco.get("min_group_customers")
    if min_group is not None:
        if not (is_int(min_group) and min_group >= 1):
            problem(["scoring", "min_group_customers"], "must be a whole number >= 1")
            min_group = None
        elif not group_by:
            problem(["scoring", "min_group_customers"], "needs analysis.group_by")
            min_group = None

    # --- segments
    default_segment = seg.get("default", "Other")
    if not (isinstance(default_segment, str) and default_segment):
        problem(["segments", "default"], "must be a segment name")
    rules_raw = seg.get("rules") or []
    if not isinstance(rules_raw, list):
        problem(["segments", "rules"], "must be a list of rules")
        rules_raw = []
    rules, seen = [], set()
    for i, rr in enumerate(rules_raw):
        keys = ["segments", "rules", i]
        if not isinstance(rr, dict):
            problem(keys, "a rule must be a mapping such as {name: Champions, r: [4, 5]}")
            continue
        # "... a duplicate name or an unknown key is a config error"
        for k in rr:
            if k not in ("name", "r", "f", "m", "cells", "when", "description"):
                problem(keys + [k], f"unknown key {k!r}; a rule has name, r, f, m, cells, when")
        name = rr.get("name")
        if not (isinstance(name, str) and name):
            problem(keys, "a rule needs a name")
            name = f"#{i}"
        elif name in seen:
            problem(keys + ["name"], f"duplicate segment name {name!r}")
        seen.add(name)
        # "A rule with no condition ... is a config error"
        if not any(k in rr for k in ("r", "f", "m", "cells", "when")):
            problem(keys, f"rule {name!r} has no condition (r, f, m, cells or when)")
        ranges = {}
        for metric in METRICS:
            s = SCORE_OF[metric]
            if s not in rr:
                continue
            v, bins = rr[s], scoring[metric].bins
            # "inclusive ranges on r, f, m (`r: [4, 5]`, or `r: 5`)"
            if is_int(v):
                lo, hi = v, v
            elif isinstance(v, list) and len(v) == 2 and all(is_int(x) for x in v):
                lo, hi = v
            else:
                problem(keys + [s], "must be a score (5) or an inclusive range ([4, 5])")
                continue
            # "a range outside 1..bins ... is a config error"
            if not (1 <= lo <= hi <= bins):
                problem(keys + [s], f"range [{lo}, {hi}] is outside 1..{bins} (or empty)")
                continue
            ranges[s] = (lo, hi)
        cells = None
        if "cells" in rr:
            v = rr["cells"]
            if not (isinstance(v, list) and v and all(isinstance(c, (str, int)) and
                                                       not isinstance(c, bool) for c in v)):
                problem(keys + ["cells"], "must be a non-empty list of cells such as \"555\"")
            else:
                cells = [str(c) for c in v]  # CHOICE: an unquoted 555 means the cell "555"
        when = None
        if "when" in rr:
            when = rr["when"]
            if not (isinstance(when, str) and when.strip()):
                problem(keys + ["when"], "must be a SQL boolean expression")
                when = None
            else:
                # The group columns' real types are known only after reading the input (it is
                # checked again then): accept the expression if it binds with some typing of
                # them (text or integer), e.g. `store_id = 2` over an integer Parquet column.
                msg = check_when(when, group_by, {g: "VARCHAR" for g in group_by})
                if msg and group_by:
                    import itertools
                    for kinds in itertools.product(("VARCHAR", "BIGINT", "DOUBLE"), repeat=len(group_by)):
                        if not check_when(when, group_by, dict(zip(group_by, kinds))):
                            msg = None
                            break
                if msg:
                    problem(keys + ["when"], msg)
        rules.append(Rule(name, ranges, cells, when))

    output = cli_output if cli_output else out.get("path")
    if not (isinstance(output, str) and output):
        problem(["output", "path"], "no output: set output.path or pass --output")

    if problems:
        raise ConfigError(problems)
    return Settings(paths=paths, date_format=date_format, columns=columns, group_by=group_by,
                    group_source=group_source, as_of=as_of, window_days=window_days,
                    returns=returns, monetary=monetary, decimals=decimals, frequency=frequency,
                    scoring=scoring, default_segment=default_segment, rules=rules, output=output,
                    config_path=path, places=places, min_group_customers=min_group)


DUCK_TYPES = {"r": "INTEGER", "f": "INTEGER", "m": "INTEGER", "recency_days": "BIGINT",
              "frequency": "BIGINT", "monetary": "DOUBLE", "rfm_score": "INTEGER"}


def check_when(expr, group_by, group_types):
    """Bind `expr` against an empty table of exactly the allowed columns. Returns a problem
    ("an unknown column", not boolean, not SQL) or None."""
    con = duckdb.connect()
    cols = [f'"{c}" {t}' for c, t in DUCK_TYPES.items()]
    cols += [f'"{g}" {group_types[g]}' for g in group_by]
    con.execute(f"CREATE TABLE customers ({', '.join(cols)})")
    try:
        kinds = con.execute(f"DESCRIBE SELECT ({expr}) AS matched FROM customers").fetchall()
    except duckdb.Error as e:
        allowed = ", ".join(WHEN_COLUMNS + tuple(group_by))
        return f"{expr!r} is not a valid expression over {allowed}: {str(e).splitlines()[0]}"
    finally:
        con.close()
    if kinds[0][1] not in ("BOOLEAN", '"NULL"', "NULL"):
        return f"{expr!r} is not a boolean expression (it gives {kinds[0][1]})"
    return None


# --------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------

DATA_EXTENSIONS = {".csv": "csv", ".parquet": "parquet"}


def expand_paths(paths):
    """"files, globs or folders; CSV or Parquet by extension"."""
    files = []
    for p in paths:
        if any(ch in p for ch in "*?["):
            matched = sorted(m for m in glob.glob(p, recursive=True) if os.path.isfile(m))
            if not matched:
                raise InputError(f"{p}: the pattern matches no file")
            files += matched
        elif os.path.isdir(p):
            # CHOICE: a folder means the .csv/.parquet files directly inside it (not recursive),
            # in name order; other files there are skipped.
            inside = sorted(os.path.join(p, n) for n in os.listdir(p)
                            if os.path.isfile(os.path.join(p, n))
                            and Path(n).suffix.lower() in DATA_EXTENSIONS
                            and not n.startswith((".", "_")))
            if not inside:
                raise InputError(f"{p}: the folder holds no .csv or .parquet file")
            files += inside
        elif os.path.isfile(p):
            files.append(p)
        else:
            raise InputError(f"{p}: no such file or folder")
    out, seen = [], set()
    for f in files:
        if Path(f).suffix.lower() not in DATA_EXTENSIONS:
            raise InputError(f"{f}: not a .csv or .parquet file")
        key = os.path.realpath(f)
        if key not in seen:  # CHOICE: a file named twice (folder + glob) is read once
            seen.add(key)
            out.append(f)
    return out


ISO_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(?: ?(?:Z|[+-]\d{2}(?::?\d{2})?))?)?")


def parse_date_text(text, date_format):
    """A date written as text -> its calendar date, or None when it cannot be read.
    "only the calendar date counts (for a zoned datetime, the date in its own zone)": the
    date is the one written, whatever the time or zone after it."""
    if date_format:
        try:
            return dt.datetime.strptime(text, date_format).date()
        except ValueError:
            return None
    # CHOICE (no date_format): ISO 8601 calendar date, optionally followed by a time
    # ("T" or space) with optional seconds, fraction and zone (Z, +hh:mm, +hhmm, +hh).
    m = ISO_DATE.fullmatch(text)
    if not m:
        return None
    y, mo, d, hh, mi, ss = m.groups()
    if hh is not None and not (int(hh) < 24 and int(mi) < 60 and (ss is None or int(ss) < 60)):
        return None
    try:
        return dt.date(int(y), int(mo), int(d))
    except ValueError:
        return None


NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def parse_amount_text(text):
    # CHOICE: a plain decimal number (optional sign, fraction, exponent); no spaces, no
    # thousands separators, no currency symbols, no nan/inf.
    return float(text) if NUMBER.fullmatch(text) else None


@dataclass
class Line:
    file: str
    row: int  # 1-based data row in its file (the header is not counted)
    customer_id: object
    order_date: dt.date
    amount: float
    order_id: object
    group: tuple


def bad_value(file, row, column, value, want):
    line = f" (line {row + 1})" if file.lower().endswith(".csv") else ""
    return InputError(f"{file}: row {row}{line}, column {column!r}: {value!r} is not {want}")


def read_file(path, settings):
    """One file -> per-column Python lists for the mapped columns, plus the customer_id kind.
    From CSV "it is text": every mapped column is read as a string, an empty field is null."""
    needed = {role: name for role, name in settings.columns.items()}
    for g in settings.group_by:
        needed["group:" + g] = settings.group_source[g]
    kind = DATA_EXTENSIONS[Path(path).suffix.lower()]
    values, types = {}, {}
    if kind == "csv":
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False,
                                encoding="utf-8")
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame()
        except (OSError, UnicodeDecodeError, pd.errors.ParserError) as e:
            raise InputError(f"{path}: cannot read as CSV: {e}")
        for key, name in needed.items():
            if name not in frame.columns:
                raise InputError(f"{path}: no column {name!r} (for {key.replace('group:', 'group_by ')});"
                                 f" the file has {', '.join(map(str, frame.columns))}")
            values[key] = [None if v == "" else v for v in frame[name].tolist()]
            types[key] = pa.string()
        return values, types
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as e:
        raise InputError(f"{path}: cannot read as Parquet: {e}")
    for key, name in needed.items():
        if name not in schema.names:
            raise InputError(f"{path}: no column {name!r} (for {key.replace('group:', 'group_by ')});"
                             f" the file has {', '.join(schema.names)}")
    try:
        table = pq.read_table(path, columns=sorted(set(needed.values())))
    except (OSError, pa.ArrowException) as e:
        raise InputError(f"{path}: cannot read as Parquet: {e}")
    for key, name in needed.items():
        col = table.column(name)
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        types[key] = col.type
        if key == "order_date" and pa.types.is_timestamp(col.type) and col.type.tz:
            # "for a zoned datetime, the date in its own zone": wall-clock time in its zone
            col = pc.local_timestamp(col)
        values[key] = col.to_pylist()
    return values, types


def read_lines(settings):
    """All files -> Line objects, nulls dropped and counted. Every value is checked first:
    "A value that cannot be read as its role's type ... is an input error: the run stops,
    naming the file, row, column and offending value, and writes nothing."
    CHOICE: values are checked on every row, including rows later dropped for a null in
    another role or dated after as_of."""
    files = expand_paths(settings.paths)
    lines = []
    stats = {"files": files, "rows": 0, "null customer_id": 0, "null order_date": 0,
             "null amount": 0}
    id_kinds, group_types = set(), {g: set() for g in settings.group_by}
    date_cache = {}
    for path in files:
        values, types = read_file(path, settings)
        n = len(values["customer_id"])
        stats["rows"] += n
        cid_type = types["customer_id"]
        # "customer_id: string or integer, kept as written"
        if pa.types.is_string(cid_type) or pa.types.is_large_string(cid_type):
            id_kinds.add("string")
        elif pa.types.is_integer(cid_type):
            id_kinds.add("integer")
        elif not pa.types.is_null(cid_type):
            raise InputError(f"{path}: column {settings.columns['customer_id']!r} has type "
                             f"{cid_type}; customer_id must be a string or an integer")
        for g in settings.group_by:
            group_types[g].add(types["group:" + g])
        date_type, amount_type = types["order_date"], types["amount"]
        date_is_text = pa.types.is_string(date_type) or pa.types.is_large_string(date_type)
        amount_is_text = pa.types.is_string(amount_type) or pa.types.is_large_string(amount_type)
        if not (date_is_text or pa.types.is_date(date_type) or pa.types.is_timestamp(date_type)
                or pa.types.is_null(date_type)):
            raise InputError(f"{path}: column {settings.columns['order_date']!r} has type "
                             f"{date_type}; order_date must be a date, a datetime or text")
        if not (amount_is_text or pa.types.is_integer(amount_type) or pa.types.is_floating(amount_type)
                or pa.types.is_decimal(amount_type) or pa.types.is_null(amount_type)):
            raise InputError(f"{path}: column {settings.columns['amount']!r} has type "
                             f"{amount_type}; amount must be a number")
        for i in range(n):
            row = i + 1
            cid = values["customer_id"][i]
            raw_date = values["order_date"][i]
            raw_amount = values["amount"][i]
            # order_date -> calendar date
            if raw_date is None:
                day = None
            elif date_is_text:
                if raw_date not in date_cache:
                    date_cache[raw_date] = parse_date_text(raw_date, settings.date_format)
                day = date_cache[raw_date]
                if day is None:
                    want = (f"a date in the format {settings.date_format!r}" if settings.date_format
                            else "an ISO date (YYYY-MM-DD, optionally with a time)")
                    raise bad_value(path, row, settings.columns["order_date"], raw_date, want)
            elif isinstance(raw_date, dt.datetime):
                day = raw_date.date()  # naive, or already in its own zone (local_timestamp)
            else:
                day = raw_date
            # amount -> float in currency units
            if raw_amount is None:
                amount = None
            elif amount_is_text:
                amount = parse_amount_text(raw_amount)
                if amount is None:
                    raise bad_value(path, row, settings.columns["amount"], raw_amount, "a number")
            else:
                amount = float(raw_amount)
                if not math.isfinite(amount):
                    # CHOICE: NaN / infinity in a Parquet float column is "not a number".
                    raise bad_value(path, row, settings.columns["amount"], raw_amount, "a number")
            # "Rows whose customer_id, order_date or amount is null are dropped and counted"
            if cid is None or day is None or amount is None:
                if cid is None:
                    stats["null customer_id"] += 1
                elif day is None:
                    stats["null order_date"] += 1
                else:
                    stats["null amount"] += 1
                continue
            oid = values["order_id"][i] if "order_id" in values else None
            group = tuple(values["group:" + g][i] for g in settings.group_by)
            lines.append(Line(path, row, cid, day, amount, None if oid is None else str(oid), group))
    # CHOICE: customer_id stays an integer only when every file gives integers; any text
    # (every CSV) makes all ids text, integers written in decimal.
    customer_type = pa.int64() if id_kinds == {"integer"} else pa.string()
    if customer_type == pa.string():
        for ln in lines:
            ln.customer_id = str(ln.customer_id)
    # CHOICE: a group column keeps its type when all files agree; otherwise it becomes text.
    out_group_types = {}
    for j, g in enumerate(settings.group_by):
        kinds = {t for t in group_types[g] if not pa.types.is_null(t)}
        kinds = {pa.string() if pa.types.is_large_string(t) else t for t in kinds}
        if len(kinds) == 1:
            out_group_types[g] = kinds.pop()
        elif not kinds:
            out_group_types[g] = pa.string()
        else:
            out_group_types[g] = pa.string()
            for ln in lines:
                ln.group = tuple((None if v is None else str(v)) if k == j else v
                                 for k, v in enumerate(ln.group))
    stats["customer_type"] = customer_type
    stats["group_types"] = out_group_types
    return lines, stats


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------

def round_half_away_from_zero(x):
    """round(x), half away from zero, exact on the float x (no `floor(x + 0.5)` rounding slip)."""
    whole = math.trunc(x)
    frac = x - whole  # exact for finite floats
    if abs(frac) >= 0.5:
        whole += 1 if x > 0 else -1
    return int(whole)


def minor_units(amount, d):
    # "Amounts are taken in integer minor units: round(amount * 10^d), half away from zero"
    # (on the float amount, as numpy and SQL engines on DOUBLE compute it)
    return round_half_away_from_zero(amount * 10 ** d)


@dataclass
class Customer:
    group: tuple
    customer_id: object
    recency_days: int
    frequency: int
    monetary: float
    first_order_date: dt.date
    last_order_date: dt.date
    scores: dict = field(default_factory=dict)  # 'r'|'f'|'m' -> int
    rfm_cell: str = ""
    rfm_score: int = 0
    segment: str = ""
    score_level: int = None  # with min_group_customers


def compute_customers(lines, settings, stats):
    # "as_of: the last calendar day observed, inclusive. Default: the latest order date in
    #  the input." CHOICE: the latest date among lines kept after the null drop, return lines
    #  included, before the returns/window filters.
    as_of = settings.as_of
    if as_of is None:
        if not lines:
            raise InputError("no order line has a customer_id, an order_date and an amount, "
                             "so there is no default as_of; pass --as-of")
        as_of = max(ln.order_date for ln in lines)
    stats["as_of"] = as_of

    kept = []
    stats["after as_of"] = stats["outside window"] = stats["returns excluded"] = 0
    for ln in lines:
        # "Lines dated after as_of are ignored"
        if ln.order_date > as_of:
            stats["after as_of"] += 1
            continue
        # "window_days (optional, W): only lines with as_of - order_date < W count"
        if settings.window_days is not None and (as_of - ln.order_date).days >= settings.window_days:
            stats["outside window"] += 1
            continue
        # "returns: net (default) keeps negative lines, which lower monetary; exclude drops them"
        if settings.returns == "exclude" and ln.amount < 0:
            stats["returns excluded"] += 1
            continue
        kept.append(ln)
    stats["lines kept"] = len(kept)

    # "Per customer (per group and customer where group_by is set)"
    by_key = {}
    for ln in kept:
        by_key.setdefault((ln.group, ln.customer_id), []).append(ln)

    d = settings.decimals
    customers, unscored = [], 0
    for (group, cid), its_lines in by_key.items():
        # "A line with amount >= 0 is a purchase; amount < 0 is a return."
        purchases = [ln for ln in its_lines if ln.amount >= 0]
        # "A customer with no purchase line in the window is not scored (counted in the summary)."
        if not purchases:
            unscored += 1
            continue
        purchase_dates = [ln.order_date for ln in purchases]
        last, first = max(purchase_dates), min(purchase_dates)
        # "recency_days = as_of - last purchase date, whole days (0 = bought on as_of)"
        recency_days = (as_of - last).days
        # "frequency: orders = distinct order_id among purchase lines; lines = purchase
        #  lines; days = distinct purchase dates"
        if settings.frequency == "orders":
            # CHOICE: a purchase line with a null order_id belongs to no order.
            frequency = len({ln.order_id for ln in purchases if ln.order_id is not None})
        elif settings.frequency == "lines":
            frequency = len(purchases)
        else:
            frequency = len(set(purchase_dates))
        # "Sums are exact integers." over the kept lines (returns too, with returns: net)
        total_minor = sum(minor_units(ln.amount, d) for ln in its_lines)
        if settings.monetary == "total":
            # "monetary = sum of kept lines' minor units / 10^d"
            monetary = total_minor / 10 ** d
        else:
            # "(monetary: average) = (that sum / frequency) / 10^d"
            if frequency == 0:
                raise ContractGap(
                    f"customer {cid!r}{' in group ' + repr(group) if group else ''} has purchase "
                    "lines but none with an order_id, so frequency is 0 and monetary: average "
                    "is a division by zero the contract does not define")
            monetary = (total_minor / frequency) / 10 ** d
        customers.append(Customer(group, cid, recency_days, frequency, monetary, first, last))
    stats["customers scored"] = len(customers)
    stats["customers not scored (no purchase line)"] = unscored
    return customers


# --------------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------------

def metric_value(c, metric):
    return {"recency": c.recency_days, "frequency": c.frequency, "monetary": c.monetary}[metric]


def goodness(c, metric):
    # "Goodness: -recency_days for r, frequency for f, monetary for m (bigger is better)."
    return -c.recency_days if metric == "recency" else metric_value(c, metric)


def quantile_edges_numpy(values, bins):
    # "edges e_i = quantile of the metric's own value at i/bins, i = 1..bins-1, linear
    #  interpolation (numpy/pandas 'linear', SQL PERCENTILE_CONT)"
    qs = [i / bins for i in range(1, bins)]
    return [float(e) for e in np.quantile(np.array(values, dtype=float), qs, method="linear")]


def quantile_edges_exact(values, bins):
    """The same edges in exact rational arithmetic: h = (n-1)*i/bins,
    e = x[floor h] + (h - floor h) * (x[floor h + 1] - x[floor h])."""
    x = sorted(Fraction(v) for v in values)
    n, edges = len(x), []
    for i in range(1, bins):
        h = Fraction((n - 1) * i, bins)
        lo = h.numerator // h.denominator
        hi = min(lo + 1, n - 1)
        edges.append(x[lo] + (h - lo) * (x[hi] - x[lo]))
    return edges


def score_partition(members, metric, ms, edges_mode, stats, pool=None):
    """Scores of one metric for the customers of one partition, in `members` order, with the
    edges of `pool` (the partition whose edges score them; `members` itself by default)."""
    pool = members if pool is None else pool
    n = len(pool)
    if ms.method == "rank":
        # "score = 1 + floor(bins * worse / N), where worse is the number of customers in the
        #  partition with strictly lower goodness. Ties share a score"
        ordered = sorted(goodness(c, metric) for c in pool)
        return [1 + (ms.bins * bisect_left(ordered, goodness(c, metric))) // n for c in members]
    if ms.method in ("quantile", "r-rfm"):
        pool_values = [metric_value(c, metric) for c in pool]
        values = [metric_value(c, metric) for c in members]
        numpy_edges = quantile_edges_numpy(pool_values, ms.bins)
        exact_edges = quantile_edges_exact(pool_values, ms.bins)

        def passes(v, q, one):
            # quantile: "k = 1 + #{i : value > e_i} (right-closed bins)"
            # r-rfm: "q_i = the same quantiles as quantile; k = 1 + #{i : value >= q_i + 1}"
            return v >= q + one if ms.method == "r-rfm" else v > q

        def scores_for(edges, as_fraction):
            one = Fraction(1) if as_fraction else 1.0
            out = []
            for v in values:
                v = Fraction(v) if as_fraction else float(v)
                k = 1 + sum(1 for e in edges if passes(v, e, one))
                # "f and m score k, r scores bins + 1 - k"
                out.append(ms.bins + 1 - k if metric == "recency" else k)
            return out

        by_numpy = scores_for(numpy_edges, False)
        by_exact = scores_for(exact_edges, True)
        if by_numpy != by_exact:
            stats.setdefault("quantile numpy/exact disagreements", []).append(
                (metric, sum(a != b for a, b in zip(by_numpy, by_exact)), numpy_edges,
                 [str(e) for e in exact_edges]))
        return by_exact if edges_mode == "exact" else by_numpy
    # "fixed: frequency and monetary: score = 1 + #{i : value >= t_i}; recency (days):
    #  score = bins - #{i : recency_days > t_i}"
    t = ms.thresholds
    if metric == "recency":
        return [ms.bins - sum(1 for ti in t if c.recency_days > ti) for c in members]
    return [1 + sum(1 for ti in t if metric_value(c, metric) >= ti) for c in members]


def score_customers(customers, settings, edges_mode, stats):
    # "The partition is the group_by key (the whole input without one); N is its customer count."
    partitions = {}
    for c in customers:
        partitions.setdefault(c.group, []).append(c)
    stats["partitions"] = len(partitions)
    stats["empty score levels"] = []
    wide = any(ms.bins > 9 for ms in settings.scoring.values())
    min_group = settings.min_group_customers
    for group, members in partitions.items():
        # "upward until the partition has at least N customers or is the whole input: for
        #  rank, worse and N are counted over every row of that partition; for quantile and
        #  r-rfm, its quantiles" (the level is decided once per partition, for r, f and m)
        level = len(group)
        within = lambda k: [c for c in customers if c.group[:k] == group[:k]]
        if min_group is not None:
            while level > 0 and len(within(level)) < min_group:
                level -= 1
            for c in members:
                c.score_level = level
        pool = within(level) if min_group is not None else members
        for metric in METRICS:
            ms = settings.scoring[metric]
            scores = score_partition(members, metric, ms, edges_mode, stats, pool)
            for c, s in zip(members, scores):
                c.scores[SCORE_OF[metric]] = s
            # "a score level may be empty: the run reports it, it does not fail"
            empty = sorted(set(range(1, ms.bins + 1)) - set(scores))
            if empty:
                stats["empty score levels"].append((group, SCORE_OF[metric], empty))
    for c in customers:
        r, f, m = c.scores["r"], c.scores["f"], c.scores["m"]
        # "rfm_cell = the three scores as digits, e.g. "545" (bins above 9: joined with '-')"
        # CHOICE: '-' as soon as any of the three metrics has bins above 9.
        c.rfm_cell = f"{r}-{f}-{m}" if wide else f"{r}{f}{m}"
        # "rfm_score = r + f + m"
        c.rfm_score = r + f + m


# --------------------------------------------------------------------------------------------
# Segments
# --------------------------------------------------------------------------------------------

def when_matches(expr, customers, settings, group_types):
    """Evaluate a `when:` SQL expression with DuckDB over a frame holding exactly the columns
    the contract allows. SQL NULL counts as no match."""
    data = {
        "r": pa.array([c.scores["r"] for c in customers], pa.int32()),
        "f": pa.array([c.scores["f"] for c in customers], pa.int32()),
        "m": pa.array([c.scores["m"] for c in customers], pa.int32()),
        "recency_days": pa.array([c.recency_days for c in customers], pa.int64()),
        "frequency": pa.array([c.frequency for c in customers], pa.int64()),
        "monetary": pa.array([c.monetary for c in customers], pa.float64()),
        "rfm_score": pa.array([c.rfm_score for c in customers], pa.int32()),
    }
    for j, g in enumerate(settings.group_by):
        data[g] = pa.array([c.group[j] for c in customers], group_types[g])
    data["__row"] = pa.array(range(len(customers)), pa.int64())
    customers_table = pa.table(data)
    con = duckdb.connect()
    con.register("customers", customers_table)
    try:
        rows = con.execute(
            f"SELECT __row, COALESCE(({expr}), FALSE) FROM customers ORDER BY __row").fetchall()
    except duckdb.Error as e:
        raise ConfigError([f"{settings.config_path}: when {expr!r}: {str(e).splitlines()[0]}"])
    return [bool(v) for _, v in rows]


def assign_segments(customers, settings, group_types):
    # "An ordered list of rules; the first rule that matches names the segment; no match gives
    #  the default segment (default name "Other"). A rule ANDs its conditions"
    for c in customers:
        c.segment = None
    for rule in settings.rules:
        matched = [True] * len(customers)
        for s, (lo, hi) in rule.ranges.items():
            matched = [ok and lo <= c.scores[s] <= hi for ok, c in zip(matched, customers)]
        if rule.cells is not None:
            cells = set(rule.cells)
            matched = [ok and c.rfm_cell in cells for ok, c in zip(matched, customers)]
        if rule.when is not None and customers:
            by_sql = when_matches(rule.when, customers, settings, group_types)
            matched = [ok and w for ok, w in zip(matched, by_sql)]
        for c, ok in zip(customers, matched):
            if ok and c.segment is None:
                c.segment = rule.name
    for c in customers:
        if c.segment is None:
            c.segment = settings.default_segment


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

def sort_key(c):
    # "sorted by the group_by columns, then customer_id"
    # CHOICE (as rfmseg, SQL and pandas): a null group value sorts last; text sorts by code
    # point (= UTF-8 byte order).
    return tuple((1, "") if v is None else (0, v) for v in c.group) + (c.customer_id,)


def write_output(customers, settings, stats):
    customers = sorted(customers, key=sort_key)
    # "columns in this order: group_by columns..., customer_id, recency_days (Int64),
    #  frequency (Int64), monetary (Float64), first_order_date (Date), last_order_date (Date),
    #  r, f, m (Int32), rfm_cell (String), rfm_score (Int32), segment (String)"
    fields, arrays = [], []
    for j, g in enumerate(settings.group_by):
        t = stats["group_types"][g]
        fields.append(pa.field(g, t))
        arrays.append(pa.array([c.group[j] for c in customers], t))
    spec = [
        ("customer_id", stats["customer_type"], lambda c: c.customer_id),
        ("recency_days", pa.int64(), lambda c: c.recency_days),
        ("frequency", pa.int64(), lambda c: c.frequency),
        ("monetary", pa.float64(), lambda c: c.monetary),
        ("first_order_date", pa.date32(), lambda c: c.first_order_date),
        ("last_order_date", pa.date32(), lambda c: c.last_order_date),
        ("r", pa.int32(), lambda c: c.scores["r"]),
        ("f", pa.int32(), lambda c: c.scores["f"]),
        ("m", pa.int32(), lambda c: c.scores["m"]),
        ("rfm_cell", pa.string(), lambda c: c.rfm_cell),
        ("rfm_score", pa.int32(), lambda c: c.rfm_score),
        ("segment", pa.string(), lambda c: c.segment),
    ]
    if settings.min_group_customers is not None:
        # "The output then has score_level (Int32, after rfm_score)"
        spec.insert(len(spec) - 1, ("score_level", pa.int32(), lambda c: c.score_level))
    for name, t, get in spec:
        fields.append(pa.field(name, t))
        arrays.append(pa.array([get(c) for c in customers], t))
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    target = Path(settings.output)
    target.parent.mkdir(parents=True, exist_ok=True)  # CHOICE: create the output folder
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return table


def print_summary(stats, table, settings):
    err = sys.stderr
    print(f"read {stats['rows']} lines from {len(stats['files'])} file(s)", file=err)
    for k in ("null customer_id", "null order_date", "null amount"):
        if stats[k]:
            print(f"  dropped {stats[k]} line(s) with {k}", file=err)
    print(f"as_of {stats['as_of']}; ignored {stats['after as_of']} line(s) after it, "
          f"{stats['outside window']} outside the window, {stats['returns excluded']} "
          f"excluded returns; {stats['lines kept']} line(s) kept", file=err)
    print(f"scored {stats['customers scored']} customer row(s) in {stats['partitions']} "
          f"partition(s); not scored (no purchase line): "
          f"{stats['customers not scored (no purchase line)']}", file=err)
    for group, score, empty in stats["empty score levels"]:
        where = f" in {dict(zip(settings.group_by, group))}" if settings.group_by else ""
        print(f"  empty {score} level(s){where}: {empty}", file=err)
    for metric, count, np_edges, exact_edges in stats.get("quantile numpy/exact disagreements", []):
        warn(f"quantile {metric}: numpy's float edges {np_edges} and exact edges {exact_edges} "
             f"give {count} customer(s) a different score")
    counts = pd.Series(table.column("segment").to_pylist(), dtype=object).value_counts()
    for name, n in counts.items():
        print(f"  {name}: {n}", file=err)
    print(f"wrote {table.num_rows} row(s) to {settings.output}", file=err)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--input", nargs="+", action="extend", help="overrides input.paths")
    ap.add_argument("--as-of", help="YYYY-MM-DD; overrides analysis.as_of")
    ap.add_argument("--output", help="overrides output.path")
    ap.add_argument("--quantile-edges", choices=("numpy", "exact"), default="numpy",
                    help="quantile edges by numpy.quantile (default, the contract's literal "
                         "reading) or in exact rational arithmetic")
    args = ap.parse_args(argv)
    try:
        cli_as_of = None
        if args.as_of is not None:
            try:
                cli_as_of = parse_iso_date_arg(args.as_of)
            except ValueError as e:
                raise ConfigError([f"--as-of: {e}"])
        settings = load_config(args.config, args.input, args.output, cli_as_of)
        lines, stats = read_lines(settings)
        # Re-check `when:` expressions with the group columns' real types.
        duck = {pa.string(): "VARCHAR", pa.int8(): "TINYINT", pa.int16(): "SMALLINT",
                pa.int32(): "INTEGER", pa.int64(): "BIGINT", pa.uint8(): "UTINYINT",
                pa.uint16(): "USMALLINT", pa.uint32(): "UINTEGER", pa.uint64(): "UBIGINT",
                pa.float32(): "FLOAT", pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN"}
        gtypes = {g: duck.get(t, None) for g, t in stats["group_types"].items()}
        if all(gtypes.values()):
            problems = [f"{settings.config_path}: rule {r.name!r}: {msg}" for r in settings.rules
                        if r.when and (msg := check_when(r.when, settings.group_by, gtypes))]
            if problems:
                raise ConfigError(problems)
        customers = compute_customers(lines, settings, stats)
        score_customers(customers, settings, args.quantile_edges, stats)
        assign_segments(customers, settings, stats["group_types"])
        table = write_output(customers, settings, stats)
        print_summary(stats, table, settings)
        return 0
    except ConfigError as e:
        print("config error:\n  " + "\n  ".join(e.problems), file=sys.stderr)
        return 2
    except InputError as e:
        print(f"input error: {e}", file=sys.stderr)
        return 1
    except ContractGap as e:
        print(f"undefined by the contract: {e}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
