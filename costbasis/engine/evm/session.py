"""The EVM session (engine/session.py): one walk of the chain (avg or fifo, ETH or one token)
reused for the cohort series and every day's distribution.

The distribution is the live supply by holder cost basis at the end of the day from the walk's
holding units: per address for --method avg (= holders().avg_cost_usd, balance), per lot for fifo —
the same price axis as `costbasis urpd --chain <evm chain>`. Amounts are in `supply` (ETH or whole
token units).
"""

from __future__ import annotations

from datetime import date
from typing import Sequence

import numpy as np
import pyarrow as pa

from costbasis.dates import EPOCH, day_to_date
from costbasis.engine.session import Session
from costbasis.quantiles import parse_quantiles


def amount_unit(token: str | None, asset: str | None) -> str:
    """What an EVM chain's amounts are of: ETH, or the token's price series name (`--asset`)."""
    return (asset or "token") if token else (asset or "ETH")


class EvmSession(Session):
    supply_column = "supply"

    def __init__(self, store, chain: str | None, method: str = "avg", token: str | None = None,
                 asset: str | None = None, decimals: int | None = None):
        from costbasis.engine.evm.holdings import open_evm

        self.ctx = open_evm(store, chain, method, token, asset, decimals)
        self.chain = self.ctx.chain
        self.first_date = day_to_date(self.ctx.first_day)
        self.last_date = day_to_date(self.ctx.last_day)
        self.unit = self.price_unit = amount_unit(token, asset)
        self.label = f" {self.unit} ({'FIFO lots' if method == 'fifo' else 'avg cost'})"
        self._live = None  # (from_day, to_day) evm_cohort_live currently holds

    def cohort_table(self, date_from: date, date_to: date, quantiles: Sequence[float]) -> pa.Table:
        from costbasis.engine.evm.cohorts import series_for_days

        lo, hi = max((date_from - EPOCH).days, self.ctx.first_day), (date_to - EPOCH).days
        t = series_for_days(self.ctx, lo, hi, parse_quantiles(list(quantiles)))
        self._live = (lo, hi)
        return t

    def distribution(self, day: date) -> tuple[np.ndarray, np.ndarray]:
        from costbasis.engine import db

        d = (day - EPOCH).days
        if self._live is None or not self._live[0] <= d <= self._live[1]:
            self.ctx.con.execute(db.sql_text("evm_cohort_live"), {"from_day": d, "to_day": d})
            self._live = (d, d)
        t = db.run(self.ctx.con, "evm_live_by_price", {"day": d, "cohort": "all"})
        return self.arrays(t, "cost_basis_usd", "supply")
