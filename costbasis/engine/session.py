"""An open cohort session of one chain, whichever family it is: the one place a multi-day caller
(bands, charts, the dashboard) gets a chain's cohort rows and live cost-basis distributions.

`open_session` picks the family once (engine/family.py); the family's session class
(engine/bitcoin/session.py, engine/evm/session.py) keeps one engine connection for the whole call,
so the chain's lots (or the account walk) are built once and reused for every day.

Every session has: `chain`, `first_date`, `last_date`; `cohort_table(first, last, quantiles)`
(the family's cohort rows, as `costbasis cohorts` gives them); `distribution(day)` (live supply by
creation price / holder cost basis, as two numpy arrays); `supply_column` (the family's supply
column name, `supply_btc` or `supply`, which band tables carry unchanged); `unit` (what amounts
are of: BTC, ETH or the token's asset), `price_unit` (None when prices are plain USD per BTC) and
`label` (e.g. " ETH (FIFO lots)" on an EVM chain, "" on Bitcoin) for titles.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa



class Session:
    """What every session shares: a DuckDB context `ctx` to close, distributions as arrays."""

    ctx = None
    chain: str
    supply_column = "supply_btc"
    unit, price_unit, label = "BTC", None, ""

    @staticmethod
    def arrays(t: pa.Table, price_column: str, supply_column: str) -> tuple[np.ndarray, np.ndarray]:
        p = t.column(price_column).to_numpy(zero_copy_only=False).astype(float)
        s = t.column(supply_column).to_numpy(zero_copy_only=False).astype(float)
        return p, s

    def close(self) -> None:
        self.ctx.con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_session(store, chain: str | None = None, *, token: str | None = None, asset: str | None = None,
                 method: str | None = None) -> Session:
    """The session of `chain`'s family (token/asset/method: EVM options, refused on Bitcoin)."""
    from costbasis.engine.family import EVM, pick_engine

    family, chain = pick_engine(store, chain, **{"--token": token, "--asset": asset, "--method": method})
    if family == EVM:
        from costbasis.engine.evm.session import EvmSession
        return EvmSession(store, chain, method=method or "avg", token=token, asset=asset)
    from costbasis.engine.bitcoin.session import BitcoinSession
    return BitcoinSession(store, chain)
