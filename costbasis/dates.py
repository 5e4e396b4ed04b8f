"""Dates, the one place: UTC day numbers (days since 1970-01-01), the strict YYYY-MM-DD parser
every option goes through, and unix-time bounds of UTC days.

As of date D means blocks with time <= D 23:59:59 UTC, i.e. floor(time / 86400) <= D.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from costbasis.errors import UsageError

EPOCH = date(1970, 1, 1)
DAY = 86400
# "No bound" in unix seconds; sql/flows/flows_by_period.sql knows -UNBOUNDED as "no --from" (the
# calendar then starts at the first flow), so it is never multiplied into microseconds.
UNBOUNDED = 2**62


# Exactly the form the messages promise: date.fromisoformat alone also takes 20260101, 2026-W01-1 ...
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: str | date | None, option: str = "--asof") -> date | None:
    """A date from exactly YYYY-MM-DD (or a date/datetime); None passes through as None.
    The one strict date parser every command option goes through. An empty string is a usage
    error, not "not given": `--asof "$DAY"` with an unset DAY must not silently mean the last day."""
    if value is None:
        return None
    if isinstance(value, str) and not value.strip():
        raise UsageError(f"{option}: empty date (give YYYY-MM-DD, or leave {option} out)")
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if not _ISO_DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option}: malformed date {value!r} (expected YYYY-MM-DD)") from None


def parse_day(value: str | date | None, option: str = "--asof") -> int | None:
    """ISO date (YYYY-MM-DD) -> day number; None passes through."""
    d = parse_date(value, option)
    return None if d is None else (d - EPOCH).days


def day_to_date(day: int) -> date:
    return EPOCH + timedelta(days=int(day))


def day_of_time(ts: int) -> int:
    return int(ts) // DAY


def fmt_day(day: int) -> str:
    return day_to_date(day).isoformat()


def today_day() -> int:
    return (datetime.now(timezone.utc).date() - EPOCH).days


def day_start(d: date) -> int:
    """Unix time of 00:00 UTC on `d`."""
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp())


def day_end(d: date) -> int:
    """Start of the day after `d` (exclusive end), also for date.max."""
    return day_start(d) + DAY


def time_bounds(date_from, date_to) -> tuple[int, int]:
    """[t_from, t_to) unix seconds covering the UTC days date_from..date_to (inclusive)."""
    f = parse_date(date_from, "--from")
    t = parse_date(date_to, "--to")
    if f and t and f > t:
        raise UsageError(f"--from {f} is after --to {t}")
    t_from = day_start(f) if f else -UNBOUNDED
    t_to = day_end(t) if t else UNBOUNDED
    return t_from, t_to


def parse_range(asof, date_from, date_to) -> tuple[int | None, int | None, int | None]:
    """(asof, from, to) as day numbers (None where not given), with the command-line checks every
    engine shares: --asof excludes --from/--to, and --from is not after --to. Each engine then
    applies its own chain bounds."""
    a, f, t = parse_day(asof, "--asof"), parse_day(date_from, "--from"), parse_day(date_to, "--to")
    if a is not None and (f is not None or t is not None):
        raise UsageError("use either --asof or --from/--to, not both")
    if f is not None and t is not None and t < f:
        raise UsageError(f"--from {fmt_day(f)} is after --to {fmt_day(t)}")
    return a, f, t
