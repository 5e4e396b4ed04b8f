"""A metric that exists on one engine only fails here (issue 16), without Spark or Java.

The table metrics x engines is derived from the code, not written by hand: every public metric of
costbasis.engine.api is run on DuckDB over small generated chains with the SQL files it reads
traced; a file is whole-chain when its header's `reads:` names the chain's outputs/inputs/
coin_flows or all lots, and it computes something (not only a view definition). Each whole-chain
file a metric runs must be one its call path hands to Spark with --engine spark (hooks.ASKED,
recorded by the hooks with either engine; a hook's file, hooks.spark_files()) or be listed, with
its reason, in hooks.DUCKDB_ONLY; for the metrics the issue names nothing may be listed. Every
Spark file must be one some metric runs on DuckDB (no Spark-only SQL). tests/test_spark.py checks
each Spark file's results equal DuckDB's.
"""

from __future__ import annotations

import inspect
import re
import shutil

import pytest

from costbasis.engine import api, db
from costbasis.engine.spark import hooks, settings, transpile
from costbasis.store import Store
from support.engine_fixtures import build

WHOLE_CHAIN = {"outputs", "inputs", "coin_flows", "lots", "lots_raw", "tlots", "tlots_raw"}
# public functions of engine.api that compute no chain metric (or whose metric is another's rows)
NOT_METRICS = {"status", "prices", "session", "refresh_state", "amount_unit", "bands_series", "check"}   # not metrics: store reads, helpers


def _reads(name: str) -> set[str]:
    m = re.search(r"^-- reads: (.*)$", db.sql_text(name), re.M)
    return {t.strip() for t in m.group(1).split(",")} if m else set()


def _only_views(name: str) -> bool:
    body = [ln for ln in db.sql_text(name).splitlines() if ln.strip() and not ln.lstrip().startswith("--")]
    stmts = [s for s in "\n".join(body).split(";") if s.strip()]
    return all(re.match(r"\s*CREATE\s+(OR\s+REPLACE\s+)?(TEMP\s+)?VIEW\b", s, re.I) for s in stmts)


def whole_chain(name: str) -> bool:
    return bool(_reads(name) & WHOLE_CHAIN) and not _only_views(name)


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    """metric -> the sql/ files its DuckDB run read."""
    from support.flows_chain import flow_chain
    settings.use("duckdb")
    root = tmp_path_factory.mktemp("coverage")
    build(root / "c", seed=5, span_days=120, n_blocks=60)
    fc = flow_chain(tmp_path_factory)
    for name, src in (("flows", fc.expanded), ("whales", fc.expanded), ("list", fc.expanded), ("labels", fc.raw)):
        shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("_derived"))   # each builds its own
    chain = Store(root / "c")
    calls = {
        "cohorts": lambda: api.cohorts(chain),            # first: the cold state build
        "cohorts logistic": lambda: api.cohorts(chain, holder_split="logistic"),
        "urpd": lambda: api.urpd(chain),
        "sopr": lambda: api.sopr(chain),
        "bands": lambda: api.bands(chain),
        "bands --asof": lambda: api.bands(chain, asof="2009-03-01"),   # one past day: no running sums
        "flows": lambda: api.flows(Store(root / "flows")),   # first: the flow tables' build
        "whales": lambda: api.whales(Store(root / "whales")),
        "whales --list": lambda: api.whales(Store(root / "list"), deposits=True),
        "expand_labels": lambda: api.expand_labels(Store(root / "labels")),
    }
    seen: list[str] = []
    real = db.sql_files

    class Recording(dict):
        def get(self, key, default=None):
            seen.append(key)
            return super().get(key, default)
    out = {}
    mp = pytest.MonkeyPatch()
    mp.setattr(db, "sql_files", lambda: Recording(real()))
    try:
        for metric, call in calls.items():
            seen.clear()
            hooks.ASKED.clear()
            getattr(db.sql_text, "cache_clear", lambda: None)()   # every file read again: traced
            call()
            out[metric] = (set(seen), set(hooks.ASKED))
    finally:
        mp.undo()
    return out


def test_every_api_metric_is_traced(traced):
    public = {n for n, f in inspect.getmembers(api, inspect.isfunction)
              if not n.startswith("_") and f.__module__ == api.__name__}
    named = {m.split()[0] for m in traced}
    assert public - NOT_METRICS <= named, f"api metrics not in the engine table: {sorted(public - NOT_METRICS - named)}"


def test_no_metric_exists_on_one_engine_only(traced):
    """Each whole-chain file a metric runs is offered to a Spark hook on that very call path (or
    listed with its reason); the table of metrics x engines is printed on failure."""
    spark = hooks.spark_files()
    table, missing = [], {}
    for metric, (files, asked) in traced.items():
        heavy = sorted(f for f in files if whole_chain(f))
        on_spark = [f for f in heavy if f in spark and f in asked]
        left = [f for f in heavy if f not in on_spark and f not in hooks.DUCKDB_ONLY]
        table.append(f"{metric:<16} duckdb: {len(heavy)} whole-chain files  spark: {len(on_spark)}"
                     f"  duckdb only: {len(heavy) - len(on_spark)}")
        if left:
            missing[metric] = left
    assert not missing, ("whole-chain SQL on DuckDB only (run it on Spark, or say why in "
                         f"hooks.DUCKDB_ONLY): {missing}\n" + "\n".join(table))
    ran = set().union(*(files for files, _ in traced.values()))
    assert spark <= ran, f"Spark runs SQL no metric runs on DuckDB: {sorted(spark - ran)}"
    assert set(hooks.DUCKDB_ONLY) <= set(db.sql_files()), "DUCKDB_ONLY names a file that is gone"
    assert spark <= set(transpile.PORTABLE)
    # the metrics the issue names: every whole-chain file of theirs on Spark, none left on DuckDB
    for metric in ("cohorts", "cohorts logistic", "urpd", "sopr", "flows", "whales", "whales --list"):
        files, asked = traced[metric]
        heavy = {f for f in files if whole_chain(f)}
        assert heavy and heavy <= spark & asked, (metric, sorted(heavy - (spark & asked)))

