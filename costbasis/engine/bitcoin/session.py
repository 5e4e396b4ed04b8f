"""The Bitcoin session (engine/session.py): one engine connection for a whole multi-day call; the
chain's lots are built once and reused for the cohort series and every day's live distribution
(opening the chain per day would rebuild them each time)."""

from __future__ import annotations

from datetime import date
from typing import Sequence

import numpy as np
import pyarrow as pa

from costbasis.dates import EPOCH, day_to_date
from costbasis.engine.session import Session
from costbasis.quantiles import parse_quantiles


class BitcoinSession(Session):
    supply_column = "supply_btc"
    unit, price_unit, label = "BTC", None, ""

    def __init__(self, store, chain: str | None):
        from costbasis.engine.bitcoin.context import open_chain

        self.ctx = open_chain(store, chain)
        self.chain = self.ctx.chain
        self.first_date = day_to_date(self.ctx.first_day)
        self.last_date = day_to_date(self.ctx.last_day)

    def cohort_table(self, date_from: date, date_to: date, quantiles: Sequence[float]) -> pa.Table:
        from costbasis.engine.bitcoin.cohorts import series_for_days

        lo = max((date_from - EPOCH).days, self.ctx.first_day)
        return series_for_days(self.ctx, lo, (date_to - EPOCH).days, "hard", parse_quantiles(list(quantiles)))

    def distribution(self, day: date) -> tuple[np.ndarray, np.ndarray]:
        """Live supply by creation price as of `day` (sql/urpd/live_by_price, cohort all)."""
        from costbasis.engine import db
        from costbasis.engine.spark import hooks as spark_hooks

        p = {"day": (day - EPOCH).days, "cohort": "all"}
        t = spark_hooks.run(self.ctx.con, "live_by_price", p) or db.run(self.ctx.con, "live_by_price", p)   # --engine spark
        return self.arrays(t, "creation_price_usd", "supply_btc")
