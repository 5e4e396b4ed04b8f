"""One DuckDB connection per engine call: chain views, prices, per-height prices and coin lots.

The engine never reads individual coins after this point: `lots` aggregates them by
(creation day, spend day, creation price), which is all any age-cohort metric depends on.
With lots, the chain's persisted cohort state (engine/bitcoin/cohort_state.py) is brought up to the
store tip first: only blocks added since the last call are read.
"""

from __future__ import annotations

from datetime import date as _date

from dataclasses import dataclass
from typing import Optional

import duckdb

from costbasis.bitcoin.schema import TABLES
from costbasis.engine import db
from costbasis.engine.bitcoin.cohort_state import CohortState, attach
from costbasis.engine.age_bands import cohort_table
from costbasis.dates import fmt_day
from costbasis.errors import CostbasisError
from costbasis.prices import load_prices


@dataclass
class ChainContext:
    con: duckdb.DuckDBPyConnection
    chain: str
    asset: str
    first_day: int       # UTC day of the earliest block time
    last_day: int        # UTC day of the latest block time
    first_price_day: int
    last_price_day: int
    state: Optional[CohortState] = None   # persisted cohort state (open_chain(with_lots=True))

    def check_day(self, day: int, option: str = "--asof") -> int:
        if day < self.first_day:
            raise CostbasisError(f"{option} {fmt_day(day)} is before the first block of {self.chain} "
                                 f"({fmt_day(self.first_day)})")
        return day

    def check_asof(self, day: int) -> int:
        """Past the last block coins only age, so --asof may go up to today (as in `bands`);
        a date after today is a typo, not a question."""
        today = (_date.today() - _date(1970, 1, 1)).days
        if day > max(self.last_day, today):
            raise CostbasisError(f"--asof {fmt_day(day)} is after today ({fmt_day(today)}); the last stored day "
                                 f"of {self.chain} is {fmt_day(self.last_day)}")
        return self.check_day(day, "--asof")


def open_chain(store, chain: str | None = None, asset: str = "BTC", threads: int | None = None,
               with_lots: bool = True) -> ChainContext:
    """Open the store for cohort queries; raise CostbasisError for an empty store or missing prices."""
    con, name = db.connect(store, chain, "bitcoin", schemas=TABLES, threads=threads)
    if not store.chain(name).files("blocks"):
        raise CostbasisError(f"chain {name} in {store.root} has no blocks; ingest some first")
    prices = load_prices(store, asset)
    db.register_arrow(con, "prices", prices)
    db.register_arrow(con, "cohort_bands", cohort_table())
    pf, pl = con.execute("SELECT min(date) - DATE '1970-01-01', max(date) - DATE '1970-01-01' FROM prices").fetchall()[0]
    if with_lots:
        state = attach(con, store, name, asset, prices)
        first, last = state.first_day, state.last_day
    else:
        state = None
        con.execute(db.sql_text("height_price"))
        first, last, n = con.execute("SELECT min(time) // 86400, max(time) // 86400, count(*) FROM blocks").fetchall()[0]
    if first is None:
        raise CostbasisError(f"chain {name} in {store.root} has no blocks; ingest some first")
    return ChainContext(con, name, asset, int(first), int(last), int(pf), int(pl), state)
