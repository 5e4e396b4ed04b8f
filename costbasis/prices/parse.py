"""Read a price export (CSV or Parquet) into (date, price_usd, time) rows.

Recognised as they come: Coin Metrics `time,PriceUSD`, CoinGecko `snapped_at,price`,
yfinance `Date,Close` (also its 3-line `Price,Close,...`/`Ticker,...`/`Date,,,` header),
plain `date,price_usd` (extra columns are ignored). Time cells may
be ISO dates, ISO timestamps (any offset, `Z` or ` UTC`), unix seconds or milliseconds.
Every bad row raises CostbasisError naming its line so nothing half-parsed is written.

Prices must lie in [PRICE_MIN_USD, PRICE_MAX_USD] per coin: the cohort engine sums realized
cap exactly as satoshis x round(price x 1e15) in 128-bit integers (sql/cohorts/cohorts.md),
which holds the whole 21 M BTC supply up to about $81 M per coin and resolves 1e-15 USD, so
a price outside the range would overflow later (or round to 0) instead of failing here.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa

from costbasis.errors import CostbasisError
from costbasis.prices.table import PRICE_MAX_USD, PRICE_MIN_USD, PRICES_SCHEMA
from costbasis.text_input import CsvReader

# Preference order when several candidates are present (lower-cased header names).
TIME_COLUMNS = ("date", "time", "snapped_at", "timestamp", "datetime", "day")
PRICE_COLUMNS = ("price_usd", "priceusd", "price", "close", "adj close", "adj_close")

_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FRACTION = re.compile(r"\.(\d{6})\d+")  # Coin Metrics writes nanoseconds; datetime takes micro
MS_THRESHOLD = 100_000_000_000  # 1e11: as seconds that is year 5138, as ms 1973 -> treat as ms


def pick_column(headers: list[str], candidates: tuple[str, ...], what: str, explicit: str | None, source: str) -> int:
    lowered = [h.strip().lower() for h in headers]
    if explicit:
        if explicit.strip().lower() not in lowered:
            raise CostbasisError(f"{source}: no column {explicit!r} (columns: {', '.join(headers)})")
        return lowered.index(explicit.strip().lower())
    for c in candidates:
        if c in lowered:
            return lowered.index(c)
    raise CostbasisError(f"{source}: no {what} column found (looked for {', '.join(candidates)}; "
                         f"columns: {', '.join(headers)})")


def parse_time(cell, where: str) -> tuple[date, int]:
    """(UTC date, unix seconds of the stamp); date-only values are stamped 00:00 UTC."""
    if isinstance(cell, datetime):
        dt = cell if cell.tzinfo else cell.replace(tzinfo=timezone.utc)
        ts = int(dt.timestamp())
        return datetime.fromtimestamp(ts, timezone.utc).date(), ts
    if isinstance(cell, date):
        return cell, _midnight(cell)
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return _from_unix(float(cell), where)
    s = "" if cell is None else str(cell).strip()
    if not s:
        raise CostbasisError(f"{where}: missing date")
    if _NUMBER.match(s):
        return _from_unix(float(s), where)
    try:
        if _ISO_DATE.match(s):
            d = date.fromisoformat(s)
            return d, _midnight(d)
        t = s[:-4].strip() if s.upper().endswith(" UTC") else s
        t = t[:-1] + "+00:00" if t.endswith(("Z", "z")) else t
        dt = datetime.fromisoformat(_FRACTION.sub(r".\1", t))
    except ValueError:
        raise CostbasisError(f"{where}: malformed date {s!r} (expected ISO date/timestamp or unix seconds/ms)") from None
    return parse_time(dt, where)


def _midnight(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp())


def _from_unix(x: float, where: str) -> tuple[date, int]:
    if not math.isfinite(x) or x < 0:
        raise CostbasisError(f"{where}: malformed date {x!r}")
    ts = int(x // 1000) if x >= MS_THRESHOLD else int(x)
    try:
        return datetime.fromtimestamp(ts, timezone.utc).date(), ts
    except (OverflowError, OSError, ValueError):
        raise CostbasisError(f"{where}: malformed date {x!r}") from None


def parse_price(cell, where: str) -> float:
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        raise CostbasisError(f"{where}: missing price")
    try:
        p = float(cell.strip() if isinstance(cell, str) else cell)
    except (TypeError, ValueError):
        raise CostbasisError(f"{where}: malformed price {cell!r}") from None
    if not math.isfinite(p):
        raise CostbasisError(f"{where}: price {cell!r} is not a finite number")
    if p <= 0:
        raise CostbasisError(f"{where}: price must be positive, got {cell!r}")
    if not PRICE_MIN_USD <= p <= PRICE_MAX_USD:
        raise CostbasisError(f"{where}: price {cell!r} is outside the supported range "
                             f"{PRICE_MIN_USD:g} to {PRICE_MAX_USD:,.0f} USD per coin")
    return p


def _rows_csv(path: Path):
    with CsvReader(path) as reader:
        try:
            headers = next(reader)
        except StopIteration:
            raise CostbasisError(f"{path}: empty file") from None
        first_data = None
        if headers and headers[0].strip().lower() == "price":
            # yfinance >= 0.2.51 writes `download(...).to_csv()` with a 3-line header:
            # "Price,Close,High,..." / "Ticker,BTC-USD,..." / "Date,,,,": the date column's
            # name is on the third line, the price fields on the first.
            ticker = next(reader, None)
            if ticker and ticker[0].strip().lower() == "ticker":
                index = next(reader, None)
                if index and index[0].strip() and not any(c.strip() for c in index[1:]):
                    headers = [index[0]] + headers[1:]
                else:
                    first_data = index
            else:
                first_data = ticker
        yield headers
        if first_data is not None:
            yield reader.line_num, first_data
        for row in reader:
            if not row or all(not c.strip() for c in row):
                continue  # blank lines (e.g. trailing newline) carry no data
            yield reader.line_num, row


def _rows_parquet(path: Path):
    import pyarrow.parquet as pq
    try:
        t = pq.read_table(path)
    except Exception as e:  # pyarrow raises several types for a non-parquet file
        raise CostbasisError(f"{path}: cannot read as Parquet ({e})") from None
    yield t.column_names
    cols = [t.column(i).to_pylist() for i in range(t.num_columns)]
    for i in range(t.num_rows):
        yield i + 1, [c[i] for c in cols]


def read_price_file(path: Path | str, time_column: str | None = None, price_column: str | None = None) -> tuple[pa.Table, dict]:
    """Parse the whole file; return (table sorted by date, info). One row per UTC date: the latest stamp wins."""
    path = Path(path)
    if not path.is_file():
        raise CostbasisError(f"price file not found: {path}")
    rows = _rows_parquet(path) if path.suffix.lower() in (".parquet", ".pq") else _rows_csv(path)
    headers = [str(h) for h in next(rows)]
    ti = pick_column(headers, TIME_COLUMNS, "date/time", time_column, str(path))
    pi = pick_column(headers, PRICE_COLUMNS, "price", price_column, str(path))
    label = "row" if path.suffix.lower() in (".parquet", ".pq") else "line"
    by_date: dict[date, tuple[int, float]] = {}
    n = 0
    for line, row in rows:
        where = f"{path.name} {label} {line}"
        if max(ti, pi) >= len(row):
            raise CostbasisError(f"{where}: expected at least {max(ti, pi) + 1} columns, got {len(row)}")
        d, ts = parse_time(row[ti], where)
        p = parse_price(row[pi], where)
        n += 1
        prev = by_date.get(d)
        if prev is None or ts >= prev[0]:
            by_date[d] = (ts, p)
    if not by_date:
        raise CostbasisError(f"{path}: no price rows")
    dates = sorted(by_date)
    table = pa.table({
        "date": pa.array(dates, pa.date32()),
        "price_usd": pa.array([by_date[d][1] for d in dates], pa.float64()),
        "time": pa.array([by_date[d][0] for d in dates], pa.int64()),
    }, schema=PRICES_SCHEMA)
    return table, {"rows_read": n, "time_column": headers[ti], "price_column": headers[pi]}
