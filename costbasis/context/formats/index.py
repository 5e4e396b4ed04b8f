"""Index closes (DXY and the like) from TradingView, Stooq, FRED or yfinance CSVs: a date column
(date, Date, observation_date, time as ISO or unix seconds) and the close (close, Close, Adj Close,
value, price; or the only other column, as FRED names it by the series id). Extra columns are
ignored; "." or blank is a missing day (FRED). yfinance's 3-line header (Price/Ticker/Date) is read.

The metric is the index's symbol: --name, else the first word of the file name that is not a
source (dxy_tvc_daily_... -> dxy, fred_DTWEXBGS_... -> dtwexbgs) [last, unit index]."""

from __future__ import annotations

from costbasis.context.formats.cells import number, timestamp
from costbasis.context.formats.textfile import Rows
from costbasis.context.series import Builder
from costbasis.errors import CostbasisError

DATE = ("date", "observation_date", "time", "timestamp", "datetime", "day")
CLOSE = ("close", "adj close", "adj_close", "value", "price", "last")


def _yfinance(rows: Rows) -> None:
    """Fold yfinance's Price/Ticker/Date header into one line (as prices/parse.py does)."""
    if rows.header and rows.header[0].lower() == "price" and len(rows.rows) > 2 \
            and rows.rows[1][1][0].strip().lower() == "ticker":
        idx = rows.rows[2][1]
        rows.rows = [(rows.rows[0][0], [idx[0]] + rows.rows[0][1][1:])] + rows.rows[3:]


def _columns(header: list[str]) -> tuple[int, int] | None:
    low = [h.lower() for h in header]
    di = next((low.index(d) for d in DATE if d in low), None)
    if di is None:
        return None
    ci = next((low.index(c) for c in CLOSE if c in low), None)
    if ci is None and len(low) == 2:
        ci = 1 - di
    return None if ci is None else (di, ci)


def detect(header: list[str], path) -> str | None:
    low = [h.lower() for h in header]
    if low and low[0] == "price" and "close" in low:
        return "index"  # yfinance 3-line header
    return "index" if _columns(header) else None


def parse(rows: Rows, kind: str, symbol: str) -> Builder:
    _yfinance(rows)
    cols = _columns(rows.header)
    if cols is None:
        raise CostbasisError(f"{rows.where(rows.rows[0][0])}: index file needs a date and a close/value column "
                             f"(columns: {', '.join(rows.header)})")
    di, ci = cols
    b = Builder(rows.path.name, rows.where)
    metric = b.metric(symbol, "last", "index")
    for line, row in rows.data():
        where = rows.where(line)
        if len(row) <= max(di, ci):
            raise CostbasisError(f"{where}: expected at least {max(di, ci) + 1} columns, got {len(row)}")
        v = number(row[ci], where, rows.header[ci])
        if v is not None and v <= 0:
            raise CostbasisError(f"{where}: index value must be positive, got {row[ci]!r}")
        b.add(line, timestamp(row[di], where), metric, v)
    return b
