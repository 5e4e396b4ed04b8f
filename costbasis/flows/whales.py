"""Whale deposits to exchanges and the daily whale-deposit signal (sql/whales_*.sql).

A whale deposit is an exchange inflow transaction from a non-exchange source that is over
a threshold (`min_btc`, or `min_usd` when given) or comes from a wallet (cluster) that held
>= 1,000 BTC just before it. The signal is the daily USD total's z-score against the
trailing `window` days.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

import pyarrow as pa

from costbasis.engine.db import register_arrow, run, sql_text
from costbasis.errors import CostbasisError
from costbasis.flows.age_bands import age_bands_table
from costbasis.dates import day_end, day_start, parse_date, time_bounds
from costbasis.flows.context import height_range, open_flows
from costbasis.store import Store
from costbasis.store.derived import MERGE_MAX_BLOCKS

WHALE_HOLDING_BTC = 1000
SATS = 100_000_000
MIN_PERIODS = 2


MAX_WINDOW_DAYS = 36_525   # 100 years: keeps `day - window` inside Python's date range


def _check(min_btc, min_usd, window, z=None):
    if min_btc is not None and not (math.isfinite(min_btc) and min_btc >= 0):
        raise CostbasisError(f"--min-btc must be a finite number >= 0, got {min_btc:g}")
    if min_usd is not None and not (math.isfinite(min_usd) and min_usd >= 0):
        raise CostbasisError(f"--min-usd must be a finite number >= 0, got {min_usd:g}")
    if window is not None and window < 2:
        raise CostbasisError("--window must be at least 2 days")
    if window is not None and window > MAX_WINDOW_DAYS:
        raise CostbasisError(f"--window must be at most {MAX_WINDOW_DAYS} days, got {window}")
    if z is not None and not math.isfinite(z):
        raise CostbasisError(f"--z must be a finite number, got {z:g}")


def _utc_day(t: int) -> date:
    return datetime.fromtimestamp(t, timezone.utc).date()


def _deposit_params(con, t_from: int, t_to: int, min_btc, min_usd) -> dict:
    register_arrow(con, "age_bands", age_bands_table())
    h_from, h_to = height_range(con, t_from, t_to)
    return {"t_from": t_from, "t_to": t_to, "h_from": h_from, "h_to": h_to,
            "min_sats": int(round((min_btc if min_btc is not None else 100) * SATS)),
            "min_usd": float(min_usd) if min_usd is not None else None,
            "whale_sats": WHALE_HOLDING_BTC * SATS}


def _deposits(con, t_from: int, t_to: int, min_btc, min_usd) -> pa.Table:
    return run(con, "whales_deposits", _deposit_params(con, t_from, t_to, min_btc, min_usd))


def whale_deposits(store: Store, chain: str | None = None, date_from=None, date_to=None,
                   min_btc: float | None = 100, min_usd: float | None = None,
                   threads: int | None = None) -> pa.Table:
    """One row per whale deposit: txid, time, exchange, value, source cluster and its balance,
    source_holds_1000, age band, mean age and cost basis (creation price) of the deposited coins."""
    _check(min_btc, min_usd, None)
    t_from, t_to = time_bounds(date_from, date_to)
    con, _ = open_flows(store, chain, threads=threads, require_prices=True)
    return _deposits(con, t_from, t_to, min_btc, min_usd)


def whale_signals(store: Store, chain: str | None = None, date_from=None, date_to=None,
                  min_btc: float | None = 100, min_usd: float | None = None, window: int = 30,
                  z: float = 2.0, threads: int | None = None) -> pa.Table:
    """Per UTC day: whale_deposit_usd, whale_deposit_btc, deposit_count, zscore (vs the previous
    `window` days) and signal (z >= `z` on a day with deposits; see sql/whales_daily.sql)."""
    _check(min_btc, min_usd, window, z)
    f, t = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    if f and t and f > t:
        raise CostbasisError(f"--from {f} is after --to {t}")
    con, _ = open_flows(store, chain, threads=threads, require_prices=True)
    first, last = con.execute("SELECT min(time), max(time) FROM blocks WHERE height > 0").fetchall()[0]
    if first is None:
        raise CostbasisError("no blocks stored")
    chain_from, chain_to = _utc_day(first), _utc_day(last)
    # days outside the stored blocks have no deposits to count: no rows of zeros for them
    out_from, out_to = max(f or chain_from, chain_from), min(t or chain_to, chain_to)
    schema = pa.schema([("date", pa.date32()), ("whale_deposit_usd", pa.float64()),
                        ("whale_deposit_btc", pa.float64()), ("deposit_count", pa.int64()),
                        ("zscore", pa.float64()), ("signal", pa.bool_())])
    if out_from > out_to:
        return schema.empty_table()
    cal_from, cal_to = max(chain_from, out_from - timedelta(days=window)), out_to
    _deposit_days(con, _deposit_params(con, day_start(cal_from), day_end(cal_to), min_btc, min_usd))
    t = run(con, "whales_daily", {"cal_from": cal_from, "cal_to": cal_to, "out_from": out_from, "out_to": out_to,
                                  "window": int(window), "z": float(z), "min_periods": MIN_PERIODS})
    return t.rename_columns(schema.names).cast(schema)


def _deposit_days(con, params: dict) -> None:
    """Temp table deposit_days (date, usd, amount, n) of the whale deposits of `params`, computed one
    part of MERGE_MAX_BLOCKS blocks at a time (the stored segments' ceiling): over all days the deposits
    grow with the chain, and each part's joins hold only that part's (memory flat in the chain)."""
    con.execute("CREATE OR REPLACE TEMP TABLE deposit_days (date DATE, usd DOUBLE, amount DOUBLE, n BIGINT)")
    amounts = ("CREATE OR REPLACE TEMP TABLE deposit_amounts AS SELECT time, value_usd AS usd, value_btc AS amount "
               f"FROM ({sql_text('whales_deposits').rstrip().rstrip(';')})")
    add_days = f"INSERT INTO deposit_days {sql_text('whales_deposit_days').rstrip().rstrip(';')}"
    for lo in range(params["h_from"], params["h_to"] + 1, MERGE_MAX_BLOCKS):
        con.execute(amounts, dict(params, h_from=lo, h_to=min(lo + MERGE_MAX_BLOCKS - 1, params["h_to"])))
        con.execute(add_days)
    con.execute("DROP TABLE IF EXISTS deposit_amounts")


def _usd(v: float) -> str:
    for div, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"${v / div:.3g}{unit}"
    return f"${v:,.0f}"


def whale_summary(table: pa.Table) -> str:
    """One sentence for the demo: 'whale deposits spiked on 2026-01-15 ($500M) and 2026-01-20 ($400M)'."""
    rows = [r for r in table.to_pylist() if r.get("signal")]
    if not rows:
        return "no whale deposit spikes in the period"
    parts = [f"{r['date']} ({_usd(r['whale_deposit_usd'])})" for r in rows]
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"whale deposits spiked on {text}"
