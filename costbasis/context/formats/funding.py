"""Binance funding-rate CSVs: the archive's `calc_time,funding_interval_hours,last_funding_rate`
(also renamed `funding_time,...,funding_rate`) and the API's `symbol,fundingTime,fundingRate,markPrice`.
Times in ms (or s); the rate is a fraction per funding interval, stored as funding_rate_pct (percent
per interval, the unit CoinGlass and CryptoQuant show) [last: the day's last settlement]."""

from __future__ import annotations

from costbasis.context.formats.cells import number, unix_seconds
from costbasis.context.formats.textfile import Rows
from costbasis.context.series import Builder
from costbasis.errors import CostbasisError

TIME = ("funding_time", "calc_time", "fundingtime", "time")
RATE = ("funding_rate", "last_funding_rate", "fundingrate")


def detect(header: list[str], path) -> str | None:
    low = [h.lower() for h in header]
    if any(r in low for r in RATE) and any(t in low for t in TIME):
        return "funding"
    return None


def parse(rows: Rows, kind: str) -> Builder:
    low = [h.lower() for h in rows.header]
    ti = next((low.index(t) for t in TIME if t in low), None)
    ri = next((low.index(r) for r in RATE if r in low), None)
    if ti is None or ri is None:
        raise CostbasisError(f"{rows.where(rows.rows[0][0])}: funding file needs a time and a rate column "
                             f"(columns: {', '.join(rows.header)})")
    b = Builder(rows.path.name, rows.where)
    metric = b.metric("funding_rate_pct", "last", "pct")
    for line, row in rows.data():
        where = rows.where(line)
        if len(row) <= max(ti, ri):
            raise CostbasisError(f"{where}: expected at least {max(ti, ri) + 1} columns, got {len(row)}")
        rate = number(row[ri], where, "funding rate")
        if rate is not None and abs(rate) > 1:
            raise CostbasisError(f"{where}: funding rate {row[ri]!r} is over 100% per interval (a fraction is expected)")
        b.add(line, unix_seconds(row[ti], where), metric, None if rate is None else rate * 100)
    return b
