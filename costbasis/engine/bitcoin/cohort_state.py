"""Persisted cohort state, maintained incrementally: new blocks only add events (issue 3).

Kept per chain and price asset in `<cache>/<chain>/_derived/cohorts-<ASSET>/` (store/derived.py),
all of it additive so that new blocks only append:

  height_price  price of every block (segments appended as blocks arrive)
  lots          signed lot changes (f_day, c_day, s_day, price, without_price, sats); their sum per
                key is the lots table. New blocks add their outputs and spends
                (sql/cohort_lots_delta.sql) - old coins are reached through coin_flows.created_height.
  events        ±value events per (hard-split cohort, day); linear in the lots, so the events of
                the added lots are appended (sql/cohort_events.sql)
  daily         finished rows of sql/cohorts_daily.sql (hard split, no quantiles) per day up to the
                last block day; an update appends rows from the first day it changes onwards and the
                newest row of a day wins
  base          live value per creation key (c_day, price) as of `base_day` = last day - BASE_LAG:
                the profit share / std of new days start from it plus the lots that changed since
                (sql/live_events_recent.sql), not from the whole history

state.json records the (height, hash) of the store tip it was built from, a fingerprint of the
prices, the first/last block day and base_day. On open: same tip and prices -> read; the tip moved
forward over the recorded hash -> add the new blocks; prices changed -> blocks whose creation price
changed are moved (sql/cohort_lots_reprice.sql) and days whose price row changed are redone; the
recorded block is no longer in the chain (rollback/reorg) or cannot be checked -> rebuilt from
scratch, which is the same code with an empty state.
"""

from __future__ import annotations

import hashlib

import duckdb
import pyarrow as pa

from costbasis.engine import budget, db
from costbasis.engine.spark import hooks as spark_hooks

VERSION = 2        # 2: + the store file set the state was built from
BASE_LAG = 2        # days: blocks may arrive late (non-monotonic times) on the last days
MAX_SEGMENTS = 12   # per table; beyond that the table is compacted into one file
TABLES = ("height_price", "lots", "events", "daily", "base")

LOT_KEY = "f_day, c_day, s_day, price, without_price"


def prices_fingerprint(prices: pa.Table) -> str:
    h = hashlib.sha256()
    for col in ("time", "price_usd"):
        for chunk in prices[col].combine_chunks().buffers():
            if chunk is not None:
                h.update(chunk)
    h.update(str(prices.num_rows).encode())
    return h.hexdigest()


def _q(name: str) -> str:
    """sql/<name>.sql as a subquery (no trailing semicolon)."""
    return db.sql_text(name).strip().rstrip(";")


def _tmp(con, name: str, sql: str, params=None) -> None:
    # `sql` is one of our files, `name` one of ours: no user input is formatted into SQL
    if spark_hooks.offload(con, name, sql, params):   # --engine spark: a cold build's whole-chain tables
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}", params or {})


def _segments(con, name: str, files: list, temps: list[str], schema_sql: str) -> None:
    """View `name`_raw = union of persisted segment files and DuckDB temp tables (names of ours)."""
    spark_hooks.segments(con, name, files, temps)   # --engine spark: state queries read the same files
    parts = []
    if files:
        con.read_parquet([str(f) for f in files]).create_view(f"__seg_{name}_files", replace=True)
        parts.append(f"SELECT * FROM __seg_{name}_files")
    for t in temps:
        parts.append(f"SELECT * FROM {t}")
    if not parts:
        parts.append(f"SELECT * FROM ({schema_sql}) WHERE false")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name}_raw AS " + " UNION ALL BY NAME ".join(parts))


EMPTY = {
    "height_price": "SELECT 0::INTEGER AS height, 0::BIGINT AS time, 0.0::DOUBLE AS price_usd, false AS without_price",
    "lots": "SELECT 0::BIGINT AS f_day, 0::BIGINT AS c_day, 0::BIGINT AS s_day, 0.0::DOUBLE AS price, "
            "false AS without_price, 0::BIGINT AS sats",
    "events": "SELECT ''::VARCHAR AS cohort, 0::BIGINT AS day, 0::BIGINT AS d_sats, 0::DECIMAL(38,0) AS d_cap, "
              "0::BIGINT AS d_nop",
    "daily": "SELECT 0::BIGINT AS gen, 0::BIGINT AS day, ''::VARCHAR AS cohort, 0.0::DOUBLE AS supply_btc, "
             "0.0::DOUBLE AS realized_cap_usd, 0.0::DOUBLE AS realized_price_usd, 0.0::DOUBLE AS price_usd, "
             "0.0::DOUBLE AS mvrv, 0.0::DOUBLE AS cost_basis_std_usd, 0.0::DOUBLE AS supply_in_profit_pct, "
             "0.0::DOUBLE AS coins_without_price_btc",
    "base": "SELECT 0::BIGINT AS c_day, 0.0::DOUBLE AS price, 0::BIGINT AS sats",
}

# Views over the raw segments: what the rest of the engine reads.
VIEWS = {
    "height_price": "SELECT height, time, price_usd, without_price FROM height_price_raw",
    "lots": f"SELECT {LOT_KEY}, sum(sats)::BIGINT AS sats FROM lots_raw GROUP BY ALL HAVING sum(sats) <> 0",
    "cohort_events": "SELECT cohort, day, sum(d_sats)::BIGINT AS d_sats, sum(d_cap::HUGEINT) AS d_cap, "
                     "sum(d_nop)::BIGINT AS d_nop FROM events_raw GROUP BY cohort, day",
    "daily_rows": "SELECT * EXCLUDE (gen) FROM daily_raw QUALIFY gen = max(gen) OVER (PARTITION BY day)",
    "dist_base": "SELECT c_day, price, sats FROM base_raw",
}


class CohortState:
    """The persisted state of one chain/asset attached to a DuckDB connection as views:
    height_price, lots, cohort_events (hard split), daily_rows, dist_base."""

    def __init__(self, con, first_day: int, last_day: int, base_day: int):
        self.con = con
        self.first_day = first_day
        self.last_day = last_day
        self.base_day = base_day

    def reattach(self) -> None:
        _views(self.con)

    def live_for_days(self, from_day: int, to_day: int) -> None:
        """Fill temp table cohort_live for [from_day, to_day] (cohort_bands must be registered)."""
        live_for_days(self.con, from_day, to_day, self.base_day)


def live_for_days(con, from_day: int, to_day: int, base_day: int | None) -> None:
    if base_day is not None and from_day > base_day:
        con.execute(f"CREATE OR REPLACE TEMP VIEW recent_lots AS SELECT * FROM lots "
                    f"WHERE coalesce(s_day, f_day) > {int(base_day)}")
        con.execute(db.sql_text("live_events_recent"), {"base_day": base_day, "to_day": to_day})
    elif from_day == to_day:   # one day (e.g. `bands --asof`): no running sums over the history
        spark_hooks.create(con, "live_events_day", {"day": to_day}) or con.execute(db.sql_text("live_events_day"), {"day": to_day})
    else:
        spark_hooks.create(con, "live_events_full", {"to_day": to_day}) or con.execute(db.sql_text("live_events_full"), {"to_day": to_day})
    spark_hooks.create(con, "cohort_live", {"from_day": from_day, "to_day": to_day}) or con.execute(db.sql_text("cohort_live"), {"from_day": from_day, "to_day": to_day})


def attach(con, store, chain: str, asset: str, prices: pa.Table) -> CohortState:
    """Bring the persisted state up to the store tip (saving it when possible) and attach it."""
    cs = store.chain(chain)
    ds = cs.derived(f"cohorts-{asset}")
    tip = tuple(cs.tip() or (-1, None))   # from the same manifest read as the connection's views
    fp = prices_fingerprint(prices)
    with ds.lock() as writable:
        st = ds.load()
        prev_gen = st.get("gen", -1) if st else -1
        if st is not None and st.get("tip") and st["tip"][0] > tip[0] and _on_latest_chain(st, cs):
            # saved by a reader that saw a later commit than ours: use neither it nor overwrite it
            st, writable = None, False
        if st is not None and not _usable(st, cs, tip):
            st = None
        if st is not None and st["tip"] == list(tip) and st["prices_fp"] == fp:
            for t in TABLES:
                _segments(con, t, ds.files(st, t), [], EMPTY[t])
            _views(con)
            return CohortState(con, st["first_day"], st["last_day"], st["base_day"])
        with spark_hooks.cohort_cold_build(cs, prices, store.root, st is None):
            return _update(con, ds, st, tip, fp, writable, cs.file_set(tip[0]), prev_gen)


def _on_latest_chain(st: dict, cs) -> bool:
    """Whether the state's tip is a block of the store as it is on disk now (a later commit than
    our snapshot), as opposed to a block rolled back since."""
    from costbasis.store import ChainStore
    latest = ChainStore(cs.path, cs.name)
    h, hsh = st["tip"]
    t = latest.tip()
    return t is not None and (t[1] if t[0] == h else latest.hash_at(h)) == hsh


def _usable(st: dict, cs, tip) -> bool:
    if st.get("version") != VERSION or tip[1] is None or not st.get("tip"):
        return False
    h, hsh = st["tip"]
    if h > tip[0]:
        return False
    known = tip[1] if h == tip[0] else cs.hash_at(h)
    # the exact committed files the state was built from must still be the ones below its tip
    return known is not None and known == hsh and st.get("files") == cs.file_set(h)


def _views(con) -> None:
    for name, sql in VIEWS.items():
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")


def _update(con, ds, st: dict | None, tip, fp: str, writable: bool, files: str = "",
            prev_gen: int = -1) -> CohortState:
    """Add what changed since `st` (everything when st is None) and persist it.

    Every intermediate is a DuckDB temp table (never an Arrow table in Python): for a cold build
    they hold the whole chain, and DuckDB keeps them within the memory limit by spilling to the
    cache's _tmp/ folder; DuckDB also writes the segment files (store/derived.py)."""
    with budget.unordered(con):   # temp tables only: their row order is never read
        new = _build(con, ds, st, tip, fp, files, prev_gen)
    if new is None:   # a new block dated before every stored block: the day spine moves, start over
        return _update(con, ds, None, tip, fp, writable, files, prev_gen)
    state, append, replace, old_files = new
    saved = None
    if writable and tip[1] is not None:
        try:
            # a rebuild starts from no tables, but the old state stays published (and its files in
            # place: the new ones are numbered after them) until the new state.json replaces it,
            # so a kill -9 at any moment leaves the previous state readable
            saved = ds.commit(state, append=append, replace=replace, gen=state["gen"], con=con,
                              fresh=st is None)
        except (OSError, duckdb.IOException):
            saved = None
    if saved is not None:
        for t in TABLES:
            _segments(con, t, ds.files(saved, t), [], EMPTY[t])
        _views(con)
        for t in list(append.values()) + list(replace.values()):
            con.execute(f"DROP TABLE IF EXISTS {t}")   # now read from the files: free the memory
    else:  # not persisted (read-only cache, another writer): keep the new state in DuckDB
        for t in TABLES:
            if t in replace:
                _segments(con, t, [], [replace[t]], EMPTY[t])
            else:
                _segments(con, t, old_files[t], [append[t]] if t in append else [], EMPTY[t])
        _views(con)
    return CohortState(con, state["first_day"], state["last_day"], state["base_day"])


def _build(con, ds, st: dict | None, tip, fp: str, files: str, prev_gen: int = -1):
    """The new segments as temp tables: (state, append, replace, old_files), or None to start over."""
    old_files = {t: (ds.files(st, t) if st else []) for t in TABLES}
    after = st["tip"][0] if st else -1
    for t in TABLES:
        _segments(con, t, old_files[t], [], EMPTY[t])
    # the old block prices stay readable under their own name (views bind late)
    _segments(con, "height_price_old", old_files["height_price"], [], EMPTY["height_price"])
    con.execute("CREATE OR REPLACE TEMP VIEW height_price_old AS SELECT * FROM height_price_old_raw")

    # 1. block prices: only new blocks, unless the prices changed (then all, and note which moved)
    repriced = 0
    replace_hp = st is None or st["prices_fp"] != fp
    _tmp(con, "__hp_new", _q("height_price_select"), {"after": -1 if replace_hp else after})
    if replace_hp and st is not None:
        _tmp(con, "repriced", "SELECT n.height FROM __hp_new n JOIN height_price_old o USING (height) "
                              "WHERE n.price_usd IS DISTINCT FROM o.price_usd "
                              "OR n.without_price IS DISTINCT FROM o.without_price")
        repriced = con.execute("SELECT count(*) FROM repriced").fetchall()[0][0]
    _segments(con, "height_price", [] if replace_hp else old_files["height_price"], ["__hp_new"],
              EMPTY["height_price"])
    con.execute(f"CREATE OR REPLACE TEMP VIEW height_price AS {VIEWS['height_price']}")

    first_new, last_new = con.execute("SELECT min(time) // 86400, max(time) // 86400 FROM height_price "
                                      "WHERE height > ?", [after]).fetchall()[0]
    if st is not None and first_new is not None and first_new < st["first_day"]:
        return None
    if st is None:
        first_day, last_day = first_new, last_new
        old_last, base_day = first_day - 1, None
    else:
        first_day = st["first_day"]
        last_day = st["last_day"] if last_new is None else max(st["last_day"], last_new)
        old_last, base_day = st["last_day"], st["base_day"]

    # 2. lot changes: new blocks, plus re-priced old blocks
    parts = [_q("cohort_lots_delta")]
    if repriced:
        parts.append(_q("cohort_lots_reprice"))
    _tmp(con, "__lots_delta", f"SELECT {LOT_KEY}, sum(sats)::BIGINT AS sats FROM ("
         + " UNION ALL ".join(f"({p})" for p in parts) + ") GROUP BY ALL HAVING sum(sats) <> 0", {"after": after})
    con.execute("CREATE OR REPLACE TEMP VIEW event_lots AS SELECT * FROM __lots_delta")
    _tmp(con, "__events_delta", "SELECT cohort, day, d_sats, d_cap::DECIMAL(38,0) AS d_cap, d_nop FROM ("
         + _q("cohort_events") + ")")
    _segments(con, "lots", old_files["lots"], ["__lots_delta"], EMPTY["lots"])
    _segments(con, "events", old_files["events"], ["__events_delta"], EMPTY["events"])
    _views(con)

    # 3. first day whose rows change: per creation key, its creation day when its total changed,
    #    else the earliest spend day that changed; days whose price row changed; the new days
    start = old_last + 1
    r = con.execute("SELECT min(CASE WHEN total <> 0 THEN f_day ELSE first_s END) FROM ("
                    "  SELECT f_day, sum(sats) AS total, min(s_day) FILTER (WHERE sats <> 0) AS first_s"
                    "  FROM __lots_delta GROUP BY f_day, c_day, price, without_price)").fetchall()[0][0]
    if r is not None:
        start = min(start, int(r))
    if st is not None and st["prices_fp"] != fp:
        r = con.execute("SELECT min(d.day) FROM daily_rows d LEFT JOIN prices p ON p.date - DATE '1970-01-01' = d.day "
                        "WHERE d.cohort = 'all' AND d.price_usd IS DISTINCT FROM p.price_usd").fetchall()[0][0]
        if r is not None:
            start = min(start, int(r))
    start = max(start, first_day)

    # 4. rows for [start, last_day]; 5. move the snapshot to last_day - BASE_LAG
    gen = prev_gen + 1   # 0 for a first build; file names never reuse a published one
    append = {"lots": "__lots_delta", "events": "__events_delta"}
    if start <= last_day:
        live_for_days(con, start, last_day, base_day)
        con.execute(db.sql_text("cohort_transition_empty"))
        _tmp(con, "__daily_new", f"SELECT {gen}::BIGINT AS gen, * FROM (" + _q("cohorts_daily") + ")",
             {"from_day": start, "to_day": last_day})
        append["daily"] = "__daily_new"
        _segments(con, "daily", old_files["daily"], ["__daily_new"], EMPTY["daily"])
        _views(con)
    for t in ("cohort_live", "live_events"):   # keys x days: the biggest tables of a cold build
        con.execute(f"DROP TABLE IF EXISTS {t}")
    new_base_day = last_day - BASE_LAG
    if base_day is not None and start > base_day and new_base_day >= base_day:
        con.execute(f"CREATE OR REPLACE TEMP VIEW recent_lots AS SELECT * FROM lots "
                    f"WHERE coalesce(s_day, f_day) > {int(base_day)}")
        _tmp(con, "__base_new", _q("cohort_dist_base_roll"), {"base_day": base_day, "new_base_day": new_base_day})
    else:
        _tmp(con, "__base_new", _q("cohort_dist_base"), {"base_day": new_base_day})

    # 6. the new segments: append (compact a table that has too many), replace the rest
    replace = {"base": "__base_new"}
    (replace if replace_hp else append)["height_price"] = "__hp_new"
    for t in list(append):
        if len(old_files[t]) + 1 > MAX_SEGMENTS:
            replace[t] = _compact(con, t)
            del append[t]
    state = {"version": VERSION, "tip": list(tip), "files": files, "prices_fp": fp, "first_day": first_day,
             "last_day": last_day, "base_day": new_base_day, "gen": gen}
    return state, append, replace, old_files


def _compact(con, table: str) -> str:
    """The whole of `table` (persisted segments + the new one) as one temp table; its name."""
    sql = {
        "height_price": "SELECT * FROM height_price",
        "lots": "SELECT * FROM lots",
        "events": "SELECT cohort, day, d_sats, d_cap::DECIMAL(38,0) AS d_cap, d_nop FROM cohort_events "
                  "WHERE d_sats <> 0 OR d_cap <> 0 OR d_nop <> 0",
        "daily": "SELECT * FROM daily_raw QUALIFY gen = max(gen) OVER (PARTITION BY day)",
        "base": "SELECT * FROM dist_base",
    }[table]
    _tmp(con, f"__compact_{table}", sql)
    return f"__compact_{table}"
