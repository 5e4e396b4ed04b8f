"""Exchange flows and whale deposits on an EVM chain (ETH or one ERC-20), with Ethereum
exchange labels from the labels dataset (`costbasis labels import`, rows with chain=ethereum).

Same shape as costbasis.flows (Bitcoin) with amounts in coins: inflow/outflow/netflow
instead of *_btc, `amount` instead of value_btc. Definitions are in sql/evm_exchange_txs.sql.
"""

from __future__ import annotations

import math
from datetime import timedelta

import pyarrow as pa
import pyarrow.compute as pc

from costbasis.engine import db
from costbasis.dates import DAY, EPOCH, UNBOUNDED, parse_day
from costbasis.errors import CostbasisError
from costbasis.engine.evm.holdings import DEFAULT_CHAIN, normalize_token, open_evm
from costbasis.evm.ingest import SCHEMAS
from costbasis.flows.whales import MAX_WINDOW_DAYS
from costbasis.labels.dataset import EXCHANGE_TYPE_PREFIX, read_labels
from costbasis.prices import PRICES_SCHEMA, load_prices

UNITS = ("day", "hour")
MIN_PERIODS = 2


def exchange_labels(store, labels_chain: str = "ethereum") -> pa.Table:
    t = read_labels(store)
    if t.num_rows:
        t = t.filter(pc.and_(pc.equal(t["chain"], labels_chain), pc.starts_with(t["label_type"], EXCHANGE_TYPE_PREFIX)))
    if t.num_rows == 0:
        raise CostbasisError(f"no {labels_chain} exchange labels in {store.root}; run `costbasis labels import FILE` "
                             f"with rows chain={labels_chain}")
    return t.select(["address", "entity"])


def _bounds(date_from, date_to) -> tuple[int, int]:
    f, t = parse_day(date_from, "--from"), parse_day(date_to, "--to")
    if f is not None and t is not None and t < f:
        raise CostbasisError("--to is before --from")
    return (f * DAY if f is not None else -UNBOUNDED), ((t + 1) * DAY if t is not None else UNBOUNDED)


def _scale(store, chain_name: str, token: str | None, decimals: int | None) -> float:
    if token is None:
        return 1.0
    known = (store.chain(chain_name).meta.get("erc20_decimals") or {}).get(token)
    return float(10 ** (decimals if decimals is not None else (known if known is not None else 18)))


def _build(con, store, chain_name, token, decimals, labels_chain) -> None:
    db.register_arrow(con, "exlabels", exchange_labels(store, labels_chain))
    con.execute(db.sql_text("evm_exchange_txs"), {"token": token, "scale": _scale(store, chain_name, token, decimals)})


def flows(store, chain: str | None = None, date_from=None, date_to=None, entity: str | None = None, by: str = "day",
          per_entity: bool = False, token: str | None = None, asset: str | None = None, decimals: int | None = None,
          labels_chain: str = "ethereum") -> pa.Table:
    """Per period: inflow, outflow, netflow (coins) and USD, tx counts, inflow_mean, top10_inflow,
    whale_ratio, price_usd. USD columns are null without an imported price series. Every period of
    the range covered by stored blocks is a row (zeros where nothing moved), as in Bitcoin flows."""
    if by not in UNITS:
        raise CostbasisError(f"--by must be day or hour, got {by!r}")
    token = normalize_token(token)
    if token is not None and not asset:
        raise CostbasisError("--token needs --asset NAME: the imported price series of that token")
    t_from, t_to = _bounds(date_from, date_to)
    con, name = db.connect(store, chain or DEFAULT_CHAIN, DEFAULT_CHAIN, schemas=SCHEMAS)
    try:
        prices = load_prices(store, asset or "ETH")
    except CostbasisError:
        prices = PRICES_SCHEMA.empty_table()
    db.register_arrow(con, "prices", prices)
    _build(con, store, name, token, decimals, labels_chain)
    con.execute(db.sql_text("flows_inputs_evm"))
    con.execute("CREATE OR REPLACE TEMP VIEW flow_hours AS " + db.sql_text("flows_hours"))
    t = db.run(con, "flows_by_period", {"unit": by, "per_entity": per_entity, "entity": entity,
                                        "t_from": t_from, "t_to": t_to, "scale": 1.0})
    if by == "day":
        return t.set_column(0, "date", t.column("period").cast(pa.date32()))
    return t.rename_columns(["hour"] + t.column_names[1:])


def whales(store, chain: str | None = None, date_from=None, date_to=None, min_amount: float | None = 1000.0,
           min_usd: float | None = None, whale_amount: float = 10_000.0, method: str = "avg",
           token: str | None = None, asset: str | None = None, decimals: int | None = None,
           labels_chain: str = "ethereum") -> pa.Table:
    """One row per whale deposit: transaction_hash, time, exchange, amount, amount_usd, source_address,
    source_balance, source_is_whale, mean_age_days, cost_basis_usd, price_usd, pnl_ratio, block_number."""
    for v, opt in ((min_amount, "--min-amount"), (min_usd, "--min-usd"), (whale_amount, "--whale-amount")):
        if v is not None and not (math.isfinite(v) and v >= 0):
            raise CostbasisError(f"{opt} must be a finite number >= 0, got {v:g}")
    t_from, t_to = _bounds(date_from, date_to)
    ctx = open_evm(store, chain, method, token, asset, decimals)
    _build(ctx.con, store, ctx.chain, ctx.token, decimals, labels_chain)
    return db.run(ctx.con, "evm_whales_deposits", {
        "t_from": t_from, "t_to": t_to, "min_amount": float(min_amount if min_amount is not None else 0.0),
        "min_usd": float(min_usd) if min_usd is not None else None, "whale_amount": float(whale_amount)})


def whale_signals(store, chain: str | None = None, date_from=None, date_to=None, window: int = 30, z: float = 2.0,
                  **deposit_options) -> pa.Table:
    """Per UTC day: whale_deposit_usd, whale_deposit_amount, deposit_count, zscore (vs the previous
    `window` days) and signal; deposits as in `whales(**deposit_options)`."""
    if not 2 <= window <= MAX_WINDOW_DAYS:
        raise CostbasisError(f"--window must be between 2 and {MAX_WINDOW_DAYS} days, got {window}")
    if not math.isfinite(z):
        raise CostbasisError(f"--z must be a finite number, got {z:g}")
    f, t = parse_day(date_from, "--from"), parse_day(date_to, "--to")
    ctx = open_evm(store, chain, deposit_options.get("method", "avg"), deposit_options.get("token"),
                   deposit_options.get("asset"), deposit_options.get("decimals"))
    out_from = f if f is not None else ctx.first_day
    out_to = t if t is not None else ctx.last_day
    if out_to < out_from:
        raise CostbasisError("--to is before --from")
    # days outside the stored blocks have no deposits to count: no rows of zeros for them
    out_from, out_to = max(out_from, ctx.first_day), min(out_to, ctx.last_day)
    cal_from = max(ctx.first_day, out_from - window)
    if out_to < out_from:  # the SQL then keeps no row but still gives the columns
        deps = pa.table({"time": pa.array([], pa.timestamp("s")), "amount_usd": pa.array([], pa.float64()),
                         "amount": pa.array([], pa.float64())})
        cal_from = out_to = out_from
        out_from += 1
    else:
        deps = whales(store, chain, (EPOCH + timedelta(days=cal_from)).isoformat(),
                      (EPOCH + timedelta(days=out_to)).isoformat(), **deposit_options)
    db.register_arrow(ctx.con, "deposit_amounts", pa.table({"time": deps["time"], "usd": deps["amount_usd"],
                                                            "amount": deps["amount"]}))
    ctx.con.execute(f"CREATE OR REPLACE TEMP TABLE deposit_days AS {db.sql_text('whales_deposit_days')}")
    d = lambda n: EPOCH + timedelta(days=int(n))  # noqa: E731
    return db.run(ctx.con, "whales_daily", {"cal_from": d(cal_from), "cal_to": d(out_to), "out_from": d(out_from),
                                                "out_to": d(out_to), "window": int(window), "z": float(z),
                                                "min_periods": MIN_PERIODS})
