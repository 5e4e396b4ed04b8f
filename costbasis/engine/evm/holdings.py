"""Open an EVM chain for cost-basis queries: events -> walk (avg or fifo) -> DuckDB views.

Views on the returned connection: the stored tables, `prices`, `cohort_bands`,
`holdings` (walk units, see walk.UNITS_SCHEMA) and `realized` (disposals).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from costbasis.engine import db
from costbasis.engine.age_bands import cohort_table
from costbasis.dates import DAY, fmt_day, parse_range
from costbasis.errors import CostbasisError, UsageError
from costbasis.engine.evm.avg_cost import walk_avg
from costbasis.engine.evm.fifo import walk_fifo
from costbasis.evm.ingest import SCHEMAS
from costbasis.prices import load_prices

METHODS = {"avg": walk_avg, "fifo": walk_fifo}
DEFAULT_CHAIN = "ethereum"


@dataclass
class EvmContext:
    con: duckdb.DuckDBPyConnection
    chain: str
    asset: str
    token: str | None
    method: str
    first_day: int
    last_day: int
    untracked: float          # coins sent beyond tracked balances (pre-range / genesis holdings)
    units: pa.Table
    realized: pa.Table

    def resolve_days(self, asof=None, date_from=None, date_to=None) -> tuple[int, int]:
        a, f, t = parse_range(asof, date_from, date_to)
        if a is not None:
            f = t = a
        f = self.first_day if f is None else f
        t = self.last_day if t is None else t
        if t < self.first_day:
            raise CostbasisError(f"{fmt_day(t)} is before the first block of {self.chain} ({fmt_day(self.first_day)})")
        if t < f:   # only --from given, past the last block
            raise CostbasisError(f"--from {fmt_day(f)} is after the last stored day {fmt_day(self.last_day)} "
                                 f"of {self.chain}")
        return max(f, self.first_day), t


def normalize_token(token: str | None) -> str | None:
    if token is None or token == "":
        return None
    t = token.strip().lower()
    if len(t) != 42 or not t.startswith("0x") or any(c not in "0123456789abcdef" for c in t[2:]):
        raise UsageError(f"--token: {token!r} is not a 0x-prefixed 20-byte contract address")
    return t


def open_evm(store, chain: str | None = None, method: str = "avg", token: str | None = None,
             asset: str | None = None, decimals: int | None = None, threads: int | None = None) -> EvmContext:
    """Walk the chain's ETH (or `token`'s) transfers with `method` and expose the results to SQL.

    asset: price series name (default ETH; required for a token). decimals: token decimals
    (default: recorded at ingest via decimals(), else 18).
    """
    if method not in METHODS:
        raise UsageError(f"--method must be avg or fifo, not {method!r}")
    token = normalize_token(token)
    if token is not None and not asset:
        raise UsageError("--token needs --asset NAME: the imported price series of that token")
    asset = asset or "ETH"
    con, name = db.connect(store, chain or DEFAULT_CHAIN, DEFAULT_CHAIN, schemas=SCHEMAS, threads=threads)
    meta = store.chain(name).meta
    if meta.get("family") != "evm":
        raise CostbasisError(f"chain {name} is not an EVM chain (ingest it with `costbasis ingest evm`)")
    row = con.execute("SELECT min(timestamp), max(timestamp), max(block_number) FROM blocks").fetchall()[0]
    if row[2] is None:
        raise CostbasisError(f"chain {name} in {store.root} has no blocks; ingest some first")
    first_ts, last_ts, last_block = row
    db.register_arrow(con, "prices", load_prices(store, asset))
    db.register_arrow(con, "cohort_bands", cohort_table())
    if token is None:
        sql, params, dec = "evm_native_events", {"last_block": last_block}, 18
    else:
        known = (meta.get("erc20_decimals") or {}).get(token)
        dec = decimals if decimals is not None else (known if known is not None else 18)
        sql, params = "evm_token_events", {"last_block": last_block, "token": token}
    # Stream the ordered events in Arrow batches; the walk consumes the reader fully before
    # anything else runs on this connection.
    reader = con.sql(db.sql_text(sql), params=params).to_arrow_reader(100_000)
    walk = METHODS[method]

    def events():
        for batch in reader:
            cols = [batch.column(i).to_pylist() for i in range(5)]
            for t, frm, to, raw, price in zip(*cols):
                yield t, frm, to, int(raw), price if price is not None else 0.0

    w = walk(events(), float(10 ** dec))
    units, realized = w.units(), w.realized()
    db.register_arrow(con, "holdings", units)
    db.register_arrow(con, "realized", realized)
    return EvmContext(con, name, asset.upper(), token, method, int(first_ts) // DAY, int(last_ts) // DAY,
                      w.untracked / 10 ** dec, units, realized)


def holders(store, chain: str | None = None, asof=None, method: str = "avg", token: str | None = None,
            asset: str | None = None, decimals: int | None = None) -> pa.Table:
    """Per address as of the end of `asof` (default: last block day): balance, cost_usd,
    avg_cost_usd, acq_time (value-weighted), age_days, realized_usd (P/L realized up to then)."""
    ctx = open_evm(store, chain, method, token, asset, decimals)
    day, _ = ctx.resolve_days(asof=asof) if asof is not None else (ctx.last_day, ctx.last_day)
    return db.run(ctx.con, "evm_holders", {"cutoff": (day + 1) * DAY})
