"""Checks of numeric and date arguments shared by every front end (CLI, HTTP API, library), and
upper bounds for numeric options, so an absurd value is one line instead of an overflow deep
inside the engine (1e308 BTC in satoshis, log(1e308 * span) as an axis limit, ...).

The price bounds are those a price file is held to at import (costbasis/prices/parse.py):
an option price above the largest storable price can never describe a real market.
"""

from __future__ import annotations

import math

from costbasis.errors import UsageError

BTC_SUPPLY_MAX = 21_000_000        # no Bitcoin threshold above the whole supply can ever match
USD_MAX = 1e18                     # a USD value far beyond any market cap
AMOUNT_MAX = 1e18                  # EVM coin/token amounts in whole units (beyond any token supply)
SPAN_MAX = 1000.0                  # chart urpd: price/1000 .. price*1000 is already 6 decades
MERGE_PCT_MAX = 100.0              # bands: levels 100% apart differ by a factor of 2
Z_MAX = 1000.0                     # a z-score threshold beyond any real spike (and a drawable axis)


def check_number(value: float | None, option: str, positive: bool = False) -> float | None:
    """Reject nan/inf (and <= 0 with `positive`, < 0 otherwise) for a numeric option; None passes."""
    if value is None:
        return None
    if not math.isfinite(value) or (value <= 0 if positive else value < 0):
        need = "a positive" if positive else "a non-negative"
        raise UsageError(f"{option} must be {need} finite number, got {value:g}")
    return value


def check_range(value: float | None, option: str, most: float, positive: bool = False,
                unit: str = "") -> float | None:
    """check_number (finite, sign) plus an upper bound; None passes."""
    check_number(value, option, positive=positive)
    if value is not None and value > most:
        raise UsageError(f"{option} must be at most {most:,.10g}{unit}, got {value:g}")
    return value


def check_price(value: float | None, option: str = "--price") -> float | None:
    """A USD price no larger than the largest price a price file may hold."""
    from costbasis.prices.parse import PRICE_MAX_USD  # lazily: costbasis.prices pulls in pyarrow

    return check_range(value, option, PRICE_MAX_USD, positive=True,
                       unit=" USD (the largest price costbasis accepts)")


def check_quantile_names(quantiles, option: str = "--quantiles") -> None:
    """Percentiles are named by `{q:g}` (cohorts column pQ_usd, bands level "sth pQ"), which keeps 6
    significant digits: 99.99999999999999 would be named p100 and 5.0000001 collide with 5, so
    such a value is refused rather than given a name that says something else."""
    for q in quantiles:
        if float(f"{q:g}") != q:
            raise UsageError(f"{option}: {q!r} would be named p{q:g} (names keep 6 significant digits); "
                                 "give the percentile with at most 6 significant digits")


def check_dates(**options) -> None:
    """Parse every date option up front (option name -> value; --asof, --from, --to), before a store
    is opened: the engines parse them only after building their derived state, which is then written
    for nothing. --asof with --from/--to and --from after --to are usage errors whatever the store
    holds (dates.parse_range, the one place those checks live)."""
    from costbasis.dates import parse_range

    parse_range(options.get("--asof"), options.get("--from"), options.get("--to"))
