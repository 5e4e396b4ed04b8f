"""Band inputs from the EVM (account-model) engine: the same DayInputs the Bitcoin inputs
give, so the pure band code (all_levels, assemble_levels) runs unchanged on Ethereum.

- cohort rows (incl. sth with its MVRV window for the ±σ bands and pQ_usd for the quantile
  levels) from costbasis.engine.evm.cohorts.series_for_days;
- the live distribution (holder cost basis, amount) at the end of the day from the walk's
  holding units: per address for --method avg (= holders().avg_cost_usd, balance), per lot
  for fifo — the same price axis as `costbasis urpd --chain <evm chain>`.

The output names the supply column `supply` (ETH or whole token units), not `supply_btc`.
"""

from __future__ import annotations

from datetime import date
from typing import Sequence

import numpy as np
import pyarrow as pa

from costbasis.bands.assemble import bands_for_day, series_from_days
from costbasis.bands.inputs import EPOCH, Session, check_window, day_to_date, session_day, session_days
from costbasis.bands.merge import DEFAULT_MERGE_PCT
from costbasis.bands.quantile_levels import DEFAULT_QUANTILES
from costbasis.bands.urpd_clusters import ClusterParams

SUPPLY_COLUMN = "supply"


class EvmSession(Session):
    """One walk of the chain (avg or fifo, ETH or one token) reused for the cohort series and
    every day's distribution; the same interface as bands.inputs.EngineSession."""

    def __init__(self, store, chain: str | None, method: str = "avg", token: str | None = None,
                 asset: str | None = None, decimals: int | None = None):
        from costbasis.engine.evm.holdings import open_evm

        self.ctx = open_evm(store, chain, method, token, asset, decimals)
        self.chain = self.ctx.chain
        self.first_date = day_to_date(self.ctx.first_day)
        self.last_date = day_to_date(self.ctx.last_day)
        self._live = None  # (from_day, to_day) evm_cohort_live currently holds

    def cohort_table(self, date_from: date, date_to: date, quantiles: Sequence[float]) -> pa.Table:
        from costbasis.engine.bitcoin.cohorts import parse_quantiles
        from costbasis.engine.evm.cohorts import series_for_days

        lo, hi = max((date_from - EPOCH).days, self.ctx.first_day), (date_to - EPOCH).days
        t = series_for_days(self.ctx, lo, hi, parse_quantiles(list(quantiles)))
        self._live = (lo, hi)
        # the pure band code reads the cohort supply as `supply_btc` (its input key, not a unit claim)
        return t.rename_columns(["supply_btc" if n == "supply" else n for n in t.column_names])

    def distribution(self, day: date) -> tuple[np.ndarray, np.ndarray]:
        from costbasis.engine import db

        d = (day - EPOCH).days
        if self._live is None or not self._live[0] <= d <= self._live[1]:
            self.ctx.con.execute(db.sql_text("evm_cohort_live"), {"from_day": d, "to_day": d})
            self._live = (d, d)
        t = db.run(self.ctx.con, "evm_live_by_price", {"day": d, "cohort": "all"})
        return self.arrays(t, "cost_basis_usd", "supply")


def _evm_columns(t: pa.Table) -> pa.Table:
    renamed = t.rename_columns([SUPPLY_COLUMN if n == "supply_btc" else n for n in t.column_names])
    return renamed.replace_schema_metadata(t.schema.metadata)  # date, price_usd, chain for the CLI


def evm_bands(store, chain: str | None = None, asof: date | str | None = None, price: float | None = None,
              window: int = 365, quantiles: Sequence[float] = DEFAULT_QUANTILES,
              merge_pct: float = DEFAULT_MERGE_PCT, clusters: ClusterParams | None = None,
              method: str = "avg", token: str | None = None, asset: str | None = None,
              decimals: int | None = None) -> pa.Table:
    """costbasis.bands.assemble.bands on an EVM chain; the supply column is `supply`."""
    check_window(window)
    with EvmSession(store, chain, method, token, asset, decimals) as s:
        day = session_day(s, asof, window, quantiles, with_distribution=True)
    return _evm_columns(bands_for_day(day, price, window, quantiles, merge_pct, clusters))


def evm_bands_series(store, chain: str | None, date_from: date | str, date_to: date | str,
                     window: int = 365, quantiles: Sequence[float] = DEFAULT_QUANTILES,
                     merge_pct: float = DEFAULT_MERGE_PCT, clusters: ClusterParams | None = None,
                     with_urpd: bool = True, progress=None, method: str = "avg", token: str | None = None,
                     asset: str | None = None, decimals: int | None = None) -> pa.Table:
    """costbasis.bands.assemble.bands_series on an EVM chain (long format, `supply` column)."""
    check_window(window)
    with EvmSession(store, chain, method, token, asset, decimals) as s:
        days = session_days(s, date_from, date_to, window, quantiles, with_distribution=with_urpd, progress=progress)
    return _evm_columns(series_from_days(days, window, quantiles, merge_pct, clusters, with_urpd))
