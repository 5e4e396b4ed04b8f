"""UTC day numbers (days since 1970-01-01) used by every cohort query.

As of date D means blocks with time <= D 23:59:59 UTC, i.e. floor(time / 86400) <= D.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from costbasis.errors import CostbasisError

EPOCH = date(1970, 1, 1)
DAY = 86400


def parse_day(value: str | date | None, option: str = "--asof") -> int | None:
    """ISO date (YYYY-MM-DD) -> day number; None passes through."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return (value - EPOCH).days
    try:
        return (date.fromisoformat(str(value).strip()) - EPOCH).days
    except ValueError:
        raise CostbasisError(f"{option}: malformed date {value!r} (expected YYYY-MM-DD)") from None


def day_to_date(day: int) -> date:
    return EPOCH + timedelta(days=int(day))


def day_of_time(ts: int) -> int:
    return int(ts) // DAY


def fmt_day(day: int) -> str:
    return day_to_date(day).isoformat()


def today_day() -> int:
    return (datetime.now(timezone.utc).date() - EPOCH).days
