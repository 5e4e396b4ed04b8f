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
  tlots, levents, ldaily  the logistic holder split (engine/bitcoin/logistic_state.py), present once
                a logistic call built them (state.json "logistic"), extended like the tables above

Modules: this one loads/publishes the state (attach, the update loop, recovery from a stale
state); state_build.py computes an update's new segments; state_sql.py attaches segments and
views; every query is a file of sql/cohorts/.

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
from costbasis.engine.bitcoin import logistic_state, state_build, state_sql
from costbasis.engine.bitcoin.state_build import BASE_LAG, MAX_SEGMENTS, VERSION  # noqa: F401 (re-exported)
from costbasis.engine.bitcoin.state_sql import LOGISTIC_TABLES, TABLES, live_for_days  # noqa: F401 (re-exported)
from costbasis.engine.spark import hooks as spark_hooks

VIEWS = state_sql.views()   # {view: select} of sql/cohorts/state_views.sql (the Spark hooks read it)


def prices_fingerprint(prices: pa.Table) -> str:
    h = hashlib.sha256()
    for col in ("time", "price_usd"):
        for chunk in prices[col].combine_chunks().buffers():
            if chunk is not None:
                h.update(chunk)
    h.update(str(prices.num_rows).encode())
    return h.hexdigest()


class CohortState:
    """The persisted state of one chain/asset attached to a DuckDB connection as views:
    height_price, lots, cohort_events (hard split), daily_rows, dist_base, and once built the
    logistic split's tlots, cohort_events_logistic, daily_rows_logistic."""

    def __init__(self, con, state: dict, ds=None, saved: bool = True):
        self.con = con
        self.state = state
        self.ds = ds
        self.saved = saved          # state is what ds holds (else DuckDB temp tables hold it)
        self.first_day = state["first_day"]
        self.last_day = state["last_day"]
        self.base_day = state["base_day"]

    @property
    def logistic(self) -> bool:
        return bool(self.state.get("logistic"))

    def reattach(self) -> None:
        state_sql.attach_views(self.con)

    def live_for_days(self, from_day: int, to_day: int) -> None:
        """Fill temp table cohort_live for [from_day, to_day] (cohort_bands must be registered)."""
        live_for_days(self.con, from_day, to_day, self.base_day)

    def ensure_logistic(self) -> None:
        """Build the logistic split's tables from the whole store when the state has none yet, and
        persist them beside the others (kept in DuckDB when the cache cannot be written)."""
        if self.logistic:
            return
        con, ds = self.con, self.ds
        with ds.lock() as writable:
            on_disk = ds.load() if writable and self.saved else None
            if on_disk is not None and on_disk.get("gen") == self.state["gen"] and on_disk.get("logistic"):
                for t in LOGISTIC_TABLES:   # another process built them meanwhile
                    state_sql.segments(con, t, ds.files(on_disk, t), [])
                self.state = on_disk
                state_sql.attach_views(con)
                return
            gen = self.state["gen"] + 1
            con.execute("CREATE OR REPLACE TEMP VIEW event_lots AS SELECT * FROM lots")
            with budget.unordered(con), spark_hooks.logistic_build(con, ds, self.state):   # --engine spark
                new = logistic_state.build(con, {}, -1, self.first_day, self.last_day, None, gen)
            state = dict(self.state, logistic=True, gen=gen)
            state.pop("tables", None)
            state.pop("sizes", None)
            saved = None
            if on_disk is not None and on_disk.get("gen") == self.state["gen"]:
                try:
                    saved = ds.commit(state, append=new, gen=gen, con=con)
                except (OSError, duckdb.IOException):
                    saved = None
            if saved is not None:
                for t in LOGISTIC_TABLES:
                    state_sql.segments(con, t, ds.files(saved, t), [])
                for t in new.values():
                    con.execute(f"DROP TABLE IF EXISTS {t}")
                self.state = saved
            else:
                for t, tbl in new.items():
                    state_sql.segments(con, t, [], [tbl])
                self.state, self.saved = state, False
            state_sql.attach_views(con)


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
            _attach_files(con, ds, st)
            return CohortState(con, st, ds)
        with spark_hooks.cohort_cold_build(cs, prices, store.root, st is None):
            return _update(con, ds, st, tip, fp, writable, cs.file_set(tip[0]), prev_gen)


def _attach_files(con, ds, st: dict) -> None:
    state_sql.prepare(con)
    for t in TABLES:
        state_sql.segments(con, t, ds.files(st, t), [])
    state_sql.attach_views(con)


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


def _update(con, ds, st: dict | None, tip, fp: str, writable: bool, files: str = "",
            prev_gen: int = -1) -> CohortState:
    """Add what changed since `st` (everything when st is None) and persist it.

    Every intermediate is a DuckDB temp table (never an Arrow table in Python): for a cold build
    they hold the whole chain, and DuckDB keeps them within the memory limit by spilling to the
    cache's _tmp/ folder; DuckDB also writes the segment files (store/derived.py)."""
    state_sql.prepare(con)
    with budget.unordered(con):   # temp tables only: their row order is never read
        new = state_build.build(con, ds, st, tip, fp, files, prev_gen)
    if new is None:   # a new block dated before every stored block: the day spine moves, start over
        return _update(con, ds, None, tip, fp, writable, files, prev_gen)
    state, append, replace, old_files = new
    # tables the new state no longer has (the logistic ones after re-imported prices)
    dropped = {t: [] for t in LOGISTIC_TABLES if not state.get("logistic")}
    saved = None
    if writable and tip[1] is not None:
        try:
            # a rebuild starts from no tables, but the old state stays published (and its files in
            # place: the new ones are numbered after them) until the new state.json replaces it,
            # so a kill -9 at any moment leaves the previous state readable
            saved = ds.commit(state, append=append, replace=replace, gen=state["gen"], con=con,
                              fresh=st is None, lists=dropped)
        except (OSError, duckdb.IOException):
            saved = None
    if saved is not None:
        _attach_files(con, ds, saved)
        for t in list(append.values()) + list(replace.values()):
            con.execute(f"DROP TABLE IF EXISTS {t}")   # now read from the files: free the memory
        return CohortState(con, saved, ds)
    # not persisted (read-only cache, another writer): keep the new state in DuckDB
    for t in TABLES:
        if t in replace:
            state_sql.segments(con, t, [], [replace[t]])
        elif t in dropped:
            state_sql.segments(con, t, [], [])
        else:
            state_sql.segments(con, t, old_files[t], [append[t]] if t in append else [])
    state_sql.attach_views(con)
    return CohortState(con, state, ds, saved=False)
