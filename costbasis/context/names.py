"""Series and metric names.

A series is one stored file, `<cache>/context/<name>.parquet`; its name comes from `--name` or the
file name without its date range (`farside_btc_etf_flows_daily_2024-01-11_2026-04-10.csv` ->
`farside_btc_etf_flows_daily`), so a later export of the same data upserts into the same series.
A metric is named inside its series; `--with`/`--metric` take the bare metric when only one
series has it, else `series.metric`.
"""

from __future__ import annotations

import re
from pathlib import Path

from costbasis.errors import UsageError

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_METRIC = re.compile(r"[a-z][a-z0-9_]*")
MAX_LENGTH = 64
# 2024-01-11, 20240111, 2024_01_11, a lone year; and the separators around them
_DATES = re.compile(r"(?<![a-z0-9])(\d{4}[-_]?\d{2}[-_]?\d{2}|\d{4})(?![a-z0-9])")
# words that name where a file came from rather than what it is (for an index's symbol)
_SOURCES = {"fred", "tvc", "stooq", "yf", "yfinance", "yahoo", "tradingview", "investing", "data"}


def slug(text: str) -> str:
    """'Exchange Inflow (Total)' -> 'exchange_inflow_total'."""
    s = re.sub(r"[^a-z0-9]+", "_", str(text).strip().lower()).strip("_")
    return s if s and s[0].isalpha() else f"m_{s}" if s else ""


def check_series_name(name: str, option: str = "--name") -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name) or len(name) > MAX_LENGTH:
        raise UsageError(f"{option} {name!r}: use lower-case letters, digits, '_' and '-' (starting with a letter "
                         f"or digit, at most {MAX_LENGTH} characters), e.g. etf_flows")
    return name


def check_metric_name(name: str, where: str) -> str:
    if not _METRIC.fullmatch(name or ""):
        from costbasis.errors import CostbasisError
        raise CostbasisError(f"{where}: metric name {name!r}: use lower-case letters, digits and '_', "
                             "starting with a letter")
    return name


def default_series_name(path: Path) -> str:
    stem = Path(path).name.split(".")[0].lower()
    s = re.sub(r"[^a-z0-9_-]+", "_", _DATES.sub("", stem))
    s = re.sub(r"[-_]{2,}", "_", s).strip("_-")
    if not s or not _NAME.fullmatch(s):
        s = "series_" + s if s else "series"
    return s[:MAX_LENGTH].rstrip("_-")


def index_symbol(path: Path) -> str:
    """The index an export holds, from its file name: dxy_tvc_daily_... -> dxy, fred_DTWEXBGS... -> dtwexbgs."""
    words = [w for w in re.split(r"[^a-z0-9]+", _DATES.sub("", Path(path).name.split(".")[0].lower())) if w]
    for w in words:
        if w not in _SOURCES and w[0].isalpha():
            return w
    return "index"
