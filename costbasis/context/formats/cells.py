"""Cell parsers shared by the formats: numbers (with the blanks exports write) and timestamps.

Every failure is a CostbasisError naming `where` ("file line N"), so a bad row is reported with
its line before anything is written.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timezone

from costbasis.errors import CostbasisError
from costbasis.prices.parse import parse_time as _parse_iso_time

BLANKS = frozenset({"", "-", "—", "–", "n/a", "na", "nan", "null", "none", "."})
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
# Unix timestamps by magnitude: seconds up to 1e11 (year 5138), then ms, µs (Binance spot
# klines since 2025), ns. A real export never mixes them within one column.
_UNITS = ((1e17, 1_000_000_000), (1e14, 1_000_000), (1e11, 1_000), (0, 1))


def number(cell, where: str, what: str = "value", accounting: bool = False) -> float | None:
    """A finite float, or None for an empty cell ('', '-', 'NaN', '.', ...). `accounting`: also
    '(12.3)' for -12.3 and thousands separators '1,234.5' (Farside's copy-paste form)."""
    if cell is None:
        return None
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        v = float(cell)
        if not math.isfinite(v):
            raise CostbasisError(f"{where}: {what} {cell!r} is not a finite number")
        return v
    s = str(cell).strip()
    if s.lower() in BLANKS:
        return None
    neg = False
    if accounting:
        if s.startswith("(") and s.endswith(")"):
            neg, s = True, s[1:-1].strip()
        s = s.replace(",", "").replace("$", "")
    if not _NUMBER.match(s):
        raise CostbasisError(f"{where}: malformed {what} {cell!r} (expected a number)")
    v = float(s)
    if not math.isfinite(v):
        raise CostbasisError(f"{where}: {what} {cell!r} is not a finite number")
    return -v if neg else v


def unix_seconds(cell, where: str) -> int:
    """Unix seconds from a number in s, ms, µs or ns (by magnitude); the fraction of a second is
    dropped (Binance stamps funding at e.g. ...004 ms)."""
    v = number(cell, where, "timestamp")
    if v is None:
        raise CostbasisError(f"{where}: missing timestamp")
    if v < 0:
        raise CostbasisError(f"{where}: negative timestamp {cell!r}")
    for limit, div in _UNITS:
        if v >= limit:
            ts = int(v // div)
            break
    if ts > 253402300799:  # 9999-12-31
        raise CostbasisError(f"{where}: timestamp {cell!r} is out of range")
    return ts


def timestamp(cell, where: str) -> int:
    """Unix seconds from an ISO date/time (date-only = 00:00 UTC, `Z`/offsets/` UTC`) or a unix
    number in s/ms/µs/ns."""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return unix_seconds(cell, where)
    s = "" if cell is None else str(cell).strip()
    if not s:
        raise CostbasisError(f"{where}: missing date")
    if _NUMBER.match(s):
        return unix_seconds(s, where)
    return _parse_iso_time(s, where)[1]


def midnight(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp())
