"""One query per endpoint: the CLI command's parsed options -> the same engine.api call and the
same table the command prints with --format json (the CLI bodies in costbasis/cli/*.py, minus the
rendering). `p` is params.parse()'s dict, keyed by the command function's argument names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pyarrow as pa

from costbasis.engine import api
from costbasis.errors import UsageError


def _with(store, table: pa.Table, value) -> pa.Table:
    """--with: what cli/context_opts.with_context does, on the request's store."""
    if value is None:
        return table
    from costbasis.context.join import add_context, parse_with
    return add_context(store, table, parse_with(store, value))


def cohorts(store, p):
    t = api.cohorts(store, p["chain"], asof=p["asof"], date_from=p["date_from"], date_to=p["date_to"],
                    holder_split=p["holder_split"], quantiles=p["quantiles"], cohort=p["cohort"],
                    asset=p["asset"], token=p["token"], method=p["method"])
    return _with(store, t, p["with_"])


def urpd(store, p):
    return api.urpd(store, p["chain"], asof=p["asof"], cohort=p["cohort"], buckets=p["buckets"],
                    log_buckets=p["log_buckets"], bucket_usd=p["bucket_usd"], asset=p["asset"],
                    token=p["token"], method=p["method"])


def sopr(store, p):
    t = api.sopr(store, p["chain"], date_from=p["date_from"], date_to=p["date_to"], asset=p["asset"])
    return _with(store, t, p["with_"])


def bands(store, p):
    # the two checks of cli/bands.py that come before the api call, with its messages
    ranged = p["date_from"] is not None or p["date_to"] is not None
    if p["with_"] is not None and not ranged:
        raise UsageError("--with adds context per day: use it with --from/--to")
    common = {k: p[k] for k in ("window", "quantiles", "merge_pct", "token", "asset", "method")}
    if ranged:
        if p["asof"] is not None or p["price"] is not None:
            raise UsageError("use either --asof/--price or --from/--to, not both")
        t = api.bands_series(store, p["chain"], date_from=p["date_from"], date_to=p["date_to"],
                             with_urpd=not p["no_urpd"], **common)
        return _with(store, t, p["with_"])
    return api.bands(store, p["chain"], asof=p["asof"], price=p["price"], **common)


def flows(store, p):
    t = api.flows(store, p["chain"], date_from=p["date_from"], date_to=p["date_to"], entity=p["entity"],
                  by=p["by"], per_entity=p["per_entity"], token=p["token"], asset=p["asset"])
    return _with(store, t, p["with_"])


def whales(store, p):
    t = api.whales(store, p["chain"], date_from=p["date_from"], date_to=p["date_to"], min_btc=p["min_btc"],
                   min_usd=p["min_usd"], min_amount=p["min_amount"], whale_amount=p["whale_amount"],
                   window=p["window"], z=p["z"], deposits=p["list_"], token=p["token"], asset=p["asset"],
                   method=p["method"])
    return t if p["list_"] else _with(store, t, p["with_"])


def status(store, p):
    return api.status(store)


def prices(store, p):
    """The stored series itself (the dashboard's price line); `prices show` prints its coverage."""
    return api.prices(store, p["asset"])


def brief(store, p) -> dict:
    from costbasis.brief.build import build
    from costbasis.dates import parse_date

    parse_date(p["asof"], "--asof")    # as cli/brief.py: a bad date before any engine work
    return build(store, p["asof"], p["chain"])


@dataclass(frozen=True)
class Endpoint:
    name: str                 # /v1/<name>
    cli: tuple[str, ...]      # the command whose options it takes
    run: Callable             # (store, parsed options) -> pa.Table (brief: dict)
    summary: str


ENDPOINTS = [
    Endpoint("cohorts", ("cohorts",), cohorts, "Realized price, MVRV, cost-basis spread per age cohort per day (`costbasis cohorts`)."),
    Endpoint("urpd", ("urpd",), urpd, "Live supply by creation-price bucket as of a date (`costbasis urpd`)."),
    Endpoint("sopr", ("sopr",), sopr, "Daily SOPR, STH/LTH-SOPR and coin-days destroyed (`costbasis sopr`)."),
    Endpoint("bands", ("bands",), bands, "Support/resistance levels of a day, or per day with from/to (`costbasis bands`)."),
    Endpoint("flows", ("flows",), flows, "Exchange inflow/outflow/netflow per day or hour (`costbasis flows`)."),
    Endpoint("whales", ("whales",), whales, "Daily whale deposits to exchanges, or the deposits with list=true (`costbasis whales`)."),
    Endpoint("status", ("status",), status, "Per chain and table: height range, rows, files, bytes (`costbasis status`)."),
    Endpoint("prices", ("prices", "show"), prices, "The stored USD price series of an asset: date, price_usd, time."),
]


def available() -> list[Endpoint]:
    """ENDPOINTS, plus /v1/brief when the brief command is installed."""
    out = list(ENDPOINTS)
    try:
        from costbasis.server.params import command
        command(("brief",))
        import costbasis.brief.build  # noqa: F401
    except (KeyError, ImportError):
        return out
    return out + [Endpoint("brief", ("brief",), brief,
                           "The market brief of a day, every figure with its source (`costbasis brief --format json`).")]
