"""--engine spark (issue 16): every Spark-built result equals DuckDB's on the generated chains.

One SparkSession (local[2]) for the module; small chains. Integers exact, USD to 1e-9 relative.
Skips with a clear message where pyspark or Java is missing (CI installs both: make setup).
"""

from __future__ import annotations

import math
import shutil
import sys
import warnings
from pathlib import Path

import pytest

from conftest import run_cli
from costbasis.engine import api, db
from costbasis.engine.spark import hooks, session, settings, transpile
from costbasis.errors import CostbasisError, UsageError
from costbasis.store import Store
from support.engine_fixtures import build

pytestmark = pytest.mark.spark

try:
    import pyspark  # noqa: F401
    _NO_SPARK = None
except ImportError:
    _NO_SPARK = "pyspark not installed (pip install -e '.[spark]' or make setup)"
_NO_SPARK = _NO_SPARK or session.java_problem()
needs_spark = pytest.mark.skipif(_NO_SPARK is not None, reason=f"Spark tests skipped: {_NO_SPARK}")
REL = 1e-9
SPARK_CONF = ["spark.sql.shuffle.partitions=2"]   # small test chains on 2 cores: fewer, larger tasks


@pytest.fixture(scope="module")
def spark():
    if _NO_SPARK:
        pytest.skip(f"Spark tests skipped: {_NO_SPARK}")
    settings.use("spark", "local[2]", SPARK_CONF)
    yield session.get()
    session.stop()
    settings.use("duckdb")


@pytest.fixture(scope="module")
def chains(tmp_path_factory):
    """The same generated chain in two stores: one built by DuckDB, one by Spark."""
    root = tmp_path_factory.mktemp("spark")
    a, ch, coins, ctx = build(root / "duck", seed=7, span_days=400, n_blocks=150)
    shutil.copytree(root / "duck", root / "spark")
    return Store(root / "duck"), Store(root / "spark")


def _engine(name: str):
    settings.use(name, "local[2]", SPARK_CONF)


def assert_tables_close(a, b, keys=()):
    assert a.column_names == b.column_names
    assert a.num_rows == b.num_rows
    for col in a.column_names:
        x, y = a[col].to_pylist(), b[col].to_pylist()
        for i, (u, v) in enumerate(zip(x, y)):
            if isinstance(u, float) or isinstance(v, float):
                assert (u is None) == (v is None), (col, i, u, v)
                if u is not None and not (math.isnan(u) and math.isnan(v)):
                    assert math.isclose(u, v, rel_tol=REL, abs_tol=1e-12), (col, i, u, v)
            else:
                assert u == v, (col, i, u, v)


# ---------------------------------------------------------------- one source of truth for the SQL
def test_every_portable_sql_file_is_a_metric_file_and_transpiles():
    names = set(db.sql_files())
    for n in transpile.PORTABLE:
        assert n in names, f"{n}.sql listed as portable but not in sql/"
        # a row query DuckDB writes: Spark runs it without its hash() key columns (DuckDB adds them)
        if n in hooks.FLOW_QUERIES:
            out = hooks.transpile_tree(hooks.split_query(n)[0])
        else:   # a script (logistic_transition) statement by statement
            out = " ".join(transpile.file_statements(n))
        assert "ASOF" not in out.upper() and "HUGEINT" not in out.upper() and "FSUM" not in out.upper(), n
    # every file a Spark hook runs is a portable sql/ file
    assert set(hooks.FLOW_FILES) | set(hooks.FLOW_QUERIES) <= set(transpile.PORTABLE)
    assert set(hooks.COHORT_SQL) | set(hooks.LOGISTIC_SQL) | set(hooks.STATE_FILES) <= set(transpile.PORTABLE)
    # no Spark-only SQL copy anywhere: the Spark package holds no SQL files
    pkg = Path(transpile.__file__).parent
    assert not list(pkg.rglob("*.sql"))


def test_constructs_without_a_spark_twin_are_refused_not_mistranslated():
    with pytest.raises(CostbasisError, match="ASOF JOIN has no Spark twin"):
        transpile.to_spark("SELECT * FROM a ASOF LEFT JOIN b ON a.t >= b.t")
    with pytest.raises(CostbasisError, match="hash\\(\\) has no Spark twin"):
        transpile.to_spark("SELECT hash(script) AS key FROM outputs")
    assert "DECIMAL(38, 0)" in transpile.to_spark("SELECT 1::HUGEINT AS x")
    assert "SUM(" in transpile.to_spark("SELECT fsum(x) FROM t").upper()


@needs_spark
def test_every_portable_file_runs_on_spark_like_duckdb(chains, spark):
    """Each portable file, on Spark and on DuckDB over the same views, gives the same rows."""
    from costbasis.bitcoin.schema import TABLES
    from costbasis.engine.age_bands import cohort_table
    from costbasis.prices import load_prices
    from costbasis.engine.spark.hooks import run_sql
    store = Store(chains[0].root)
    cs = store.chain("bitcoin")
    con, _ = db.connect(store, "bitcoin", schemas=TABLES)
    prices = load_prices(store, "BTC")
    db.register_arrow(con, "prices", prices)
    db.register_arrow(con, "cohort_bands", cohort_table())
    scratch = session.Scratch(store.root)
    try:
        session.register_chain(spark, store.root, cs, TABLES)
        session.arrow_df(spark, prices, store.root, scratch).createOrReplaceTempView("prices")
        session.arrow_df(spark, cohort_table(), store.root, scratch).createOrReplaceTempView("cohort_bands")
        params = {"after": -1, "from_day": 14300, "to_day": 14500, "day": 14400, "base_day": 14450, "cohort": "all"}
        # (file, the views the next files read its rows under, sort keys), in dependency order
        order = [("height_price_select", ["height_price"], ["height"]),
                 ("cohort_lots_delta", ["event_lots", "lots"], ["f_day", "c_day", "s_day", "price", "without_price"]),
                 ("cohort_events", ["cohort_events"], ["cohort", "day"]),
                 ("sopr", [], ["day"]),
                 ("cohort_dist_base", [], ["c_day", "price"]),
                 ("live_events_day", [], ["c_day", "price", "day", "d"]),
                 ("live_events_full", ["live_events"], ["c_day", "price", "day", "d"]),
                 ("cohort_live", ["cohort_live"], ["day", "cohort", "price"]),
                 ("cohorts_daily", [], ["day", "cohort"]),
                 ("urpd_live", [], ["price"]),
                 ("live_by_price", [], ["creation_price_usd"])]
        # the flows' CREATE ... AS SELECT files are compared by the flows test (stored tables equal)
        # (the logistic split's files: compared by the logistic build test, rows read back from its tables)
        assert set(transpile.PORTABLE) == ({n for n, _, _ in order} | set(hooks.FLOW_FILES) | set(hooks.FLOW_QUERIES)
                                           | set(hooks.LOGISTIC_SQL)), \
            "a new portable file needs a check here"
        con.execute(db.sql_text("cohort_transition_empty"))
        spark.sql("SELECT CAST(NULL AS BIGINT) AS day, CAST(NULL AS STRING) AS cohort, CAST(NULL AS DOUBLE) AS sats, "
                  "CAST(NULL AS DOUBLE) AS cap, CAST(NULL AS DOUBLE) AS nop WHERE false").createOrReplaceTempView("cohort_transition")
        import sqlglot
        for n, views, keys in order:
            text = db.sql_text(n)
            tree = sqlglot.parse_one(text, read="duckdb")
            if isinstance(tree, sqlglot.exp.Create):   # CREATE TEMP TABLE t AS SELECT: compare the SELECT
                text = tree.expression.sql(dialect="duckdb")
            p = {k: v for k, v in params.items() if f"${k}" in text}
            res = con.execute(text, p)
            with warnings.catch_warnings():   # DuckDB 2.x: this path copies (small results)
                warnings.simplefilter("ignore", UserWarning)
                d = (getattr(res, "to_arrow_table", None) or res.fetch_arrow_table)()
            d = d.sort_by([(k, "ascending") for k in keys])
            s_df = run_sql(spark, transpile.to_spark(text), p)
            s = s_df.toArrow().sort_by([(k, "ascending") for k in keys])
            assert d.num_rows > 0, n
            # the same values; integer widths may differ (Spark DECIMAL(38,0) vs DuckDB HUGEINT)
            assert_tables_close(d.cast(s.schema) if d.schema != s.schema else d, s)
            for view in views:   # the next files read this one's rows under the engine's view name
                con.execute(f"CREATE OR REPLACE TEMP TABLE {view} AS SELECT * FROM ({text})", p)
                s_df.createOrReplaceTempView(view)
    finally:
        scratch.close()
        con.close()


# ---------------------------------------------------------------- builds
@needs_spark
def test_cohort_state_built_on_spark_equals_duckdb(chains, spark):
    duck, sp = chains
    _engine("duckdb")
    want = {h: api.cohorts(duck, holder_split=h, quantiles="5,50,95") for h in ("hard", "logistic")}
    want_urpd = api.urpd(duck, buckets=50)
    want_bands = api.bands(duck)
    _engine("spark")
    assert not (sp.root / "bitcoin" / "_derived").exists()
    before = dict(hooks.RUNS)
    got = api.cohorts(sp, holder_split="hard", quantiles="5,50,95")   # cold build: on Spark
    for t in ("__hp_new", "__lots_delta", "__events_delta", "__daily_new", "__base_new", "cohort_live"):
        assert hooks.RUNS.get(t, 0) == before.get(t, 0) + 1, t
    _engine("duckdb")   # the derived state Spark built is read by the ordinary DuckDB engine
    st = Store(sp.root)
    got_logistic = api.cohorts(st, holder_split="logistic", quantiles="5,50,95")
    assert want["hard"].num_rows > 1000
    # supply, realized cap and price come from exact integer running sums: equal to the bit; the
    # std and profit share sum floats (Spark: plain sum, DuckDB: fsum): to 1e-9 relative
    for col in ("date", "cohort", "supply_btc", "realized_cap_usd", "realized_price_usd", "price_usd", "mvrv",
                "coins_without_price_btc"):
        assert got[col].equals(want["hard"][col]), col
    assert_tables_close(want["hard"], got)
    # logistic weights, URPD and bands sum floats per call (DuckDB's thread order): 1e-9 relative
    assert_tables_close(want["logistic"], got_logistic)
    assert_tables_close(want_urpd, api.urpd(st, buckets=50))
    assert_tables_close(want_bands, api.bands(st))
    dd = sorted(p.name for p in (duck.root / "bitcoin" / "_derived" / "cohorts-BTC").iterdir())
    ds = sorted(p.name for p in (sp.root / "bitcoin" / "_derived" / "cohorts-BTC").iterdir())
    assert dd == ds   # the same derived files: every query command reads them unchanged


@needs_spark
def test_urpd_on_spark_equals_duckdb(chains, spark, tmp_path):
    """URPD's live supply on Spark over the lot segments of a persisted (DuckDB-built) state: every
    bucket mode, a cohort, a past --asof; the finishing per-bucket step stays on DuckDB."""
    duck = chains[0]
    _engine("duckdb")
    api.cohorts(duck)   # the persisted state both engines read
    root = tmp_path / "c"
    shutil.copytree(duck.root, root)
    cases = [dict(buckets=50), dict(log_buckets=30), dict(bucket_usd=0.01), dict(cohort="lth", buckets=20),
             dict(asof="2009-09-01", buckets=40)]
    want = [api.urpd(Store(root), **kw) for kw in cases]
    _engine("spark")
    try:
        before = dict(hooks.RUNS)
        got = [api.urpd(Store(root), **kw) for kw in cases]
        assert hooks.RUNS.get("urpd_live", 0) == before.get("urpd_live", 0) + len(cases)
    finally:
        _engine("duckdb")
    for w, g in zip(want, got):
        assert w.num_rows > 5 and sum(w["supply_btc"].to_pylist()) > 0
        assert_tables_close(w, g)
        mw, mg = w.schema.metadata, g.schema.metadata
        assert mw[b"asof_day"] == mg[b"asof_day"]
        assert math.isclose(float(mw[b"coins_without_price_btc"]), float(mg[b"coins_without_price_btc"]),
                            rel_tol=REL, abs_tol=1e-12)


@needs_spark
def test_logistic_split_built_on_spark_equals_duckdb(chains, spark, tmp_path):
    """The logistic holder split's first build (from the whole store, beside a persisted hard
    state) on Spark: the same rows as DuckDB's, then read back by DuckDB from the stored tables."""
    duck = chains[0]
    root = tmp_path / "c"
    shutil.copytree(duck.root, root, ignore=shutil.ignore_patterns("_derived"))
    _engine("duckdb")
    want = api.cohorts(duck, holder_split="logistic", quantiles="5,50,95")
    api.cohorts(Store(root))   # the hard state, built by DuckDB
    _engine("spark")
    try:
        before = dict(hooks.RUNS)
        got = api.cohorts(Store(root), holder_split="logistic", quantiles="5,50,95")
        for t in ("__tlots_delta", "__levents_delta", "__ldaily_new", "logistic_transition", "cohort_live"):
            assert hooks.RUNS.get(t, 0) == before.get(t, 0) + 1, t
    finally:
        _engine("duckdb")
    assert want.num_rows > 1000 and "sth" in set(want["cohort"].to_pylist())
    assert_tables_close(want, got)
    assert_tables_close(want, api.cohorts(Store(root), holder_split="logistic", quantiles="5,50,95"))


@needs_spark
def test_sopr_on_spark_equals_duckdb(chains, spark):
    duck, sp = chains
    _engine("duckdb")
    want = api.sopr(duck)
    _engine("spark")
    try:
        n = hooks.RUNS.get("sopr", 0)
        got = api.sopr(Store(sp.root))
        assert hooks.RUNS["sopr"] == n + 1
    finally:
        _engine("duckdb")
    assert want.num_rows > 300 and sum(x is not None for x in want["sopr"].to_pylist()) > 20
    assert_tables_close(want, got)


# ---------------------------------------------------------------- options
def test_engine_options_are_checked_before_anything_runs(tmp_path):
    p = run_cli("--engine", "sparky", "status", cache=tmp_path / "c")
    assert p.returncode == 2 and p.stderr.strip().splitlines() == ["error: --engine 'sparky' is not one of: duckdb, spark"]
    p = run_cli("--engine", "spark", "--spark-conf", "nokey", "status", cache=tmp_path / "c")
    assert p.returncode == 2 and "--spark-conf 'nokey' is not key=value" in p.stderr
    p = run_cli("--engine", "spark", "--spark-master", "http://x", "status", cache=tmp_path / "c")
    assert p.returncode == 2 and "--spark-master 'http://x' is not a Spark master URL" in p.stderr
    assert not (tmp_path / "c").exists()
    with pytest.raises(UsageError):
        settings.parse_engine("postgres")


def test_spark_without_java_is_one_line(chains, tmp_path):
    """No java on PATH and no JAVA_HOME: one line, exit 1, no Py4J traceback, no state written."""
    root = tmp_path / "c"
    shutil.copytree(chains[0].root, root, ignore=shutil.ignore_patterns("_derived"))
    env = {"PATH": str(Path(sys.executable).parent), "JAVA_HOME": ""}
    p = run_cli("--engine", "spark", "cohorts", cache=root, env=env)
    assert p.returncode == 1, p.stderr
    assert p.stderr.strip().splitlines()[-1].startswith("error: --engine spark needs Java 17")
    assert "Traceback" not in p.stderr
    assert not (root / "bitcoin" / "_derived" / "cohorts-BTC" / "state.json").exists()


@needs_spark
def test_cli_engine_spark_builds_state_other_commands_read(tmp_path):
    """The real CLI with COSTBASIS_ENGINE=spark and the store given as a file:// URL (a small chain:
    this test pays its own JVM start)."""
    import json
    build(tmp_path / "c", seed=3, span_days=60, n_blocks=40)
    root = tmp_path / "c"
    plain = tmp_path / "plain"
    shutil.copytree(root, plain)
    env = {"COSTBASIS_ENGINE": "spark", "COSTBASIS_SPARK_MASTER": "local[1]"}
    p = run_cli("--cache", root.as_uri(), "--spark-conf", "spark.sql.shuffle.partitions=1",
                "cohorts", "--format", "json", env=env, timeout=300)   # a file:// URL
    assert p.returncode == 0, p.stderr
    assert (root / "bitcoin" / "_derived" / "cohorts-BTC" / "state.json").exists()
    q = run_cli("cohorts", "--format", "json", cache=plain)
    a, b = json.loads(p.stdout), json.loads(q.stdout)
    assert len(a) == len(b) > 100
    for x, y in zip(a, b):
        assert x.keys() == y.keys()
        for k in x:
            if isinstance(x[k], float) and isinstance(y[k], float):
                assert math.isclose(x[k], y[k], rel_tol=REL, abs_tol=1e-12), (k, x, y)
            else:
                assert x[k] == y[k], (k, x, y)

# ---------------------------------------------------------------- flows, whale deposits
@needs_spark
def test_flow_tables_and_whale_deposits_built_on_spark_equal_duckdb(tmp_path_factory, tmp_path, spark):
    from support.flows_chain import flow_chain
    from costbasis.flows import stored
    from costbasis.flows.context import open_flows
    from costbasis.flows.flows import exchange_flows
    fc = flow_chain(tmp_path_factory)   # built once per session (shared with the flows tests)
    chain = "bitcoin-regtest"
    sp = tmp_path / "spark"
    shutil.copytree(fc.expanded, sp, ignore=shutil.ignore_patterns("flows"))
    assert not (sp / chain / "_derived" / "flows").exists()
    _engine("duckdb")
    want_flows = exchange_flows(Store(fc.expanded))
    want_whales = [_whales(Store(fc.expanded), kw) for kw in WHALE_QUERIES]
    con, _ = open_flows(Store(fc.expanded), chain)
    want_tables = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in stored.TABLES}
    _engine("spark")
    try:
        before = dict(hooks.RUNS)
        got_flows = exchange_flows(Store(sp))   # cold build of the flow tables: on Spark
        for f in hooks.FLOW_FILES + hooks.FLOW_QUERIES:
            assert hooks.RUNS.get(f, 0) > before.get(f, 0), f
    finally:
        _engine("duckdb")
    assert (sp / chain / "_derived" / "flows" / "state.json").exists()
    st = Store(sp)
    con, _ = open_flows(st, chain)
    got_tables = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in stored.TABLES}
    assert all(want_tables[t] for t in stored.TABLES)
    assert got_tables == want_tables   # the same stored rows
    assert_tables_close(want_flows, got_flows)
    assert all(w.num_rows > 0 for w in want_whales)
    assert sum(want_whales[0]["signal"].to_pylist()) > 0 and want_whales[2].num_rows > 0
    for kw, w in zip(WHALE_QUERIES, want_whales):   # daily signals and --list, read from Spark's tables
        assert_tables_close(w, _whales(st, kw))
    # the balance changes Spark summed, keyed by DuckDB: every script's balance equals DuckDB's
    assert stored.load_balances(st, chain).equals(stored.load_balances(Store(fc.expanded), chain))


@needs_spark
def test_flow_tables_redone_on_spark_for_expanded_labels_equal_a_duckdb_build(tmp_path_factory, tmp_path, spark):
    """Flow tables built under the imported labels, then `labels expand` with --engine spark: the
    clustering runs on Spark, the flow tables' redo for the new labels and clusters (flows/stored/redo.py)
    on DuckDB (it failed there: its exchange txs were a DuckDB temp table Spark was asked to read), and
    the stored rows are those of a DuckDB build under the expanded labels."""
    from support.flows_chain import flow_chain
    from costbasis.flows import stored
    from costbasis.flows.context import open_flows
    fc = flow_chain(tmp_path_factory)
    chain = "bitcoin-regtest"
    root = tmp_path / "redo"
    shutil.copytree(fc.raw, root)
    _engine("duckdb")
    api.flows(Store(root))   # the flow tables under the imported labels
    con, _ = open_flows(Store(fc.expanded), chain)
    want = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in stored.TABLES}
    _engine("spark")
    try:
        before = dict(hooks.RUNS)
        api.expand_labels(Store(root))   # clustering, then the flow tables brought up to date
        assert hooks.RUNS.get("clusters", 0) == before.get("clusters", 0) + 1
    finally:
        _engine("duckdb")
    con, _ = open_flows(Store(root), chain)
    got = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in stored.TABLES}
    assert all(want[t] for t in stored.TABLES) and got == want


# daily signals (two thresholds, a short window) and the deposit list (--list), as `costbasis whales`
WHALE_QUERIES = [dict(), dict(min_usd=1.0, window=5, z=1.0), dict(deposits=True), dict(deposits=True, min_btc=0.5)]


def _whales(store, kw):
    return api.whales(store, **kw)


# ---------------------------------------------------------------- common-input clustering
@needs_spark
def test_clustering_on_spark_equals_duckdb(tmp_path_factory, tmp_path, spark):
    import pyarrow.parquet as pq
    from support.flows_chain import flow_chain
    from costbasis.labels.expand import expand_labels
    fc = flow_chain(tmp_path_factory)
    chain = "bitcoin-regtest"
    roots = {}
    results = {}
    for engine in ("duckdb", "spark"):
        root = tmp_path / engine
        shutil.copytree(fc.raw, root)
        _engine(engine)
        n = hooks.RUNS.get("clusters", 0)
        try:
            results[engine] = expand_labels(Store(root), chain)
        finally:
            _engine("duckdb")
        assert hooks.RUNS.get("clusters", 0) == n + (engine == "spark")
        roots[engine] = root
    a, b = results["duckdb"], results["spark"]
    assert a.clusters > 0 and (a.clusters, a.addresses, a.conflicts) == (b.clusters, b.addresses, b.conflicts)
    assert a.common_input.equals(b.common_input) and a.counts.equals(b.counts)
    st = {e: Store(r) for e, r in roots.items()}
    ca = pq.read_table(st["duckdb"].dataset_path("clusters", chain))
    cb = pq.read_table(st["spark"].dataset_path("clusters", chain))
    assert ca.num_rows > 0 and ca.equals(cb)   # same scripts, same cluster numbers


@needs_spark
def test_connected_components_loop_on_long_paths_and_stars(spark):
    import random
    from costbasis.labels import unionfind as uf
    import numpy as np
    rng = random.Random(5)
    edges = [(i, i + 1) for i in range(0, 300)]                      # one long path: many rounds
    edges += [(1000, 1000 + k) for k in range(1, 50)]                # a star
    edges += [(rng.randrange(2000, 2400), rng.randrange(2000, 2400)) for _ in range(300)]
    rng.shuffle(edges)
    edges = [(b, a) if rng.random() < 0.5 else (a, b) for a, b in edges]
    df = spark.createDataFrame(edges, "a long, b long")
    got = {r["v"]: r["label"] for r in hooks.components(spark, df).collect()}
    parent = np.arange(2400, dtype=np.int64)
    uf.union(parent, np.array([a for a, _ in edges]), np.array([b for _, b in edges]))
    want = {v: int(uf.roots(parent, v, v + 1)[0]) for v in got}
    assert set(got) == {x for e in edges for x in e}
    assert got == want and got[300] == 0


@needs_spark
def test_store_url_maps_committed_files_into_a_lake_copy(chains, spark):
    cs = chains[0].chain("bitcoin")
    f = cs.files("blocks")[0]
    assert session.file_url(chains[0].root, f, spark) == f.resolve().as_uri()
    spark.conf.set("spark.costbasis.storeUrl", "s3a://bucket/prefix/")
    try:
        assert session.file_url(chains[0].root, f, spark) == f"s3a://bucket/prefix/bitcoin/blocks/{f.name}"
    finally:
        spark.conf.unset("spark.costbasis.storeUrl")


def test_cache_url_forms():
    assert settings.cache_path(Path("file:///tmp/a%20b")) == Path("/tmp/a b")
    with pytest.raises(UsageError, match="storeUrl"):
        settings.cache_path("s3://bucket/cache")


@needs_spark
def test_duckdb_extends_a_spark_built_state(tmp_path, spark):
    """New blocks after a Spark cold build: DuckDB extends the state (never rebuilds it) and the
    rows equal a DuckDB build from scratch."""
    import json
    import random
    from datetime import date
    from support.chain_factory import KEYS, make_chain, price_table, write_prices_csv
    from costbasis.prices.importer import import_prices
    ch = make_chain(seed=21, span_days=300, n_blocks=120)
    store = Store(tmp_path / "cache")
    import_prices(store, write_prices_csv(tmp_path / "p.csv", price_table(random.Random(9), date(2009, 3, 1), 400)), "BTC")
    cs = store.chain("bitcoin")

    def commit(lo, hi):
        with cs.writer_lock():
            cs.commit(lo, hi, ch.tables(lo, hi), ch.blocks[hi]["hash"],
                      {b["height"]: b["hash"] for b in ch.blocks[lo:hi + 1]}, keys=KEYS)
    commit(0, 89)
    _engine("spark")
    try:
        n = hooks.RUNS.get("__daily_new", 0)
        api.cohorts(Store(store.root))            # cold: on Spark
        assert hooks.RUNS["__daily_new"] == n + 1
    finally:
        _engine("duckdb")
    commit(90, len(ch.blocks) - 1)
    inc = api.cohorts(Store(store.root))          # extended by DuckDB
    st = json.loads((cs.derived("cohorts-BTC").path / "state.json").read_text())
    assert st["gen"] == 1 and st["tip"][0] == len(ch.blocks) - 1   # extended, not rebuilt
    fresh = tmp_path / "fresh"
    shutil.copytree(store.root, fresh, ignore=shutil.ignore_patterns("_derived"))
    assert_tables_close(api.cohorts(Store(fresh)), inc)
