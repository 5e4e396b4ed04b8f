"""How the cohort state's tables are attached to a DuckDB connection (engine/bitcoin/cohort_state.py).

Every table of the state is a set of segments (Parquet files, and DuckDB temp tables not yet
written); `<table>_raw` is their union and the views of sql/cohorts/state_views.sql are what the
engine reads. The SQL lives in sql/cohorts/ (state_empty, state_views, lots_single, state_compact);
this module only names files and tables of ours, never formats user input into SQL.
"""

from __future__ import annotations

import re
from functools import lru_cache

from costbasis.engine import db
from costbasis.engine.spark import hooks as spark_hooks

HARD_TABLES = ("height_price", "lots", "events", "daily", "base")
# the logistic holder split's tables: built on the first logistic call, then kept up to date
LOGISTIC_TABLES = ("tlots", "levents", "ldaily")
TABLES = HARD_TABLES + LOGISTIC_TABLES

_CREATE = re.compile(r"CREATE OR REPLACE TEMP (?:VIEW|TABLE) (\w+) AS\s+(.*)", re.S)


def q(name: str) -> str:
    """sql/<name>.sql as a subquery (no trailing semicolon)."""
    return db.sql_text(name).strip().rstrip(";")


def statements(name: str) -> dict[str, str]:
    """The `CREATE OR REPLACE TEMP VIEW|TABLE <name> AS <select>` statements of sql/<name>.sql,
    as {name: select}."""
    out = {}
    for stmt in db.sql_text(name).split(";\n"):
        body = "\n".join(line for line in stmt.splitlines() if not line.startswith("--")).strip()
        if body:
            m = _CREATE.fullmatch(body.rstrip(";"))
            assert m, (name, body[:60])
            out[m.group(1)] = m.group(2)
    return out


@lru_cache(maxsize=None)
def views() -> dict[str, str]:
    """sql/cohorts/state_views.sql as {view: select} (the Spark hooks define the same views)."""
    return statements("state_views")


def value(con, name: str, params: dict | None = None):
    """The first column of the one row sql/<name>.sql returns."""
    return db.script(con, name, params).fetchall()[0][0]


def tmp(con, name: str, sql: str, params=None) -> None:
    """Temp table `name` (a name of ours) from `sql` (one of our files)."""
    if spark_hooks.offload(con, name, sql, params):   # --engine spark: a cold build's whole-chain tables
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}", params or {})


def prepare(con) -> None:
    """The empty tables of every state table's columns (read for a table without segments)."""
    db.script(con, "state_empty")


def segments(con, name: str, files: list, temps: list[str], like: str | None = None) -> None:
    """View `name`_raw = union of persisted segment files and DuckDB temp tables (names of ours);
    without either, the empty table of state table `like` (default: `name`)."""
    parts = []
    if files:
        con.read_parquet([str(f) for f in files]).create_view(f"__seg_{name}_files", replace=True)
        parts.append(f"SELECT * FROM __seg_{name}_files")
    parts += [f"SELECT * FROM {t}" for t in temps]
    if not parts:
        parts.append(f"SELECT * FROM __empty_{like or name}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name}_raw AS " + " UNION ALL BY NAME ".join(parts))
    segs = getattr(spark_hooks, "segments", None)   # --engine spark reads the same segment files
    if segs is not None:
        segs(con, name, files, temps)
    if name == "lots":
        _single[id(con)] = len(files) + len(temps) == 1


_single: dict[int, bool] = {}   # connection -> its lots are one segment (unique keys)


def attach_views(con) -> None:
    for name, sql in views().items():
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")
    if _single.get(id(con)):
        con.execute(db.sql_text("lots_single"))


def compact(con, table: str) -> str:
    """The whole of `table` (persisted segments + the new one) as one temp table; its name."""
    name = f"__compact_{table}"
    tmp(con, name, statements("state_compact")[name])
    return name


def live_for_days(con, from_day: int, to_day: int, base_day: int | None) -> None:
    """Temp table cohort_live for [from_day, to_day] (cohort_bands registered), from the snapshot
    `base` plus the recent lots when every day is after it, else from the lots."""
    if base_day is not None and from_day > base_day:
        con.execute(db.sql_text("recent_lots"), {"base_day": base_day})
        con.execute(db.sql_text("live_events_recent"), {"base_day": base_day, "to_day": to_day})
    elif from_day == to_day:   # one day (e.g. `bands --asof`): no running sums over the history
        spark_hooks.create(con, "live_events_day", {"day": to_day}) or con.execute(db.sql_text("live_events_day"), {"day": to_day})
    else:
        spark_hooks.create(con, "live_events_full", {"to_day": to_day}) or con.execute(db.sql_text("live_events_full"), {"to_day": to_day})
    spark_hooks.create(con, "cohort_live", {"from_day": from_day, "to_day": to_day}) or con.execute(db.sql_text("cohort_live"), {"from_day": from_day, "to_day": to_day})
