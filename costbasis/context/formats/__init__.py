"""Export formats: detect one from a file's header (or --kind), parse it into normalized rows.

Detection order matters only where headers overlap: klines (open_time) and funding before the
index reader (which takes any date + close file), CoinGlass OHLC (time,open,high,low,close named
as funding/open interest) before it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from costbasis.context.formats import (coinglass, coinglass_json, cryptoquant, farside, funding, generic, index,
                                       klines)
from costbasis.context.formats.textfile import Rows, is_json
from costbasis.context.names import index_symbol
from costbasis.errors import CostbasisError, UsageError

KINDS = ("etf_flows", "klines", "funding", "liquidations", "taker_volume", "index", "cryptoquant", "coinglass",
         "generic")
DESCRIBE = {
    "etf_flows": "a Farside ETF flow table (Date, funds..., Total) or CoinGlass ETF flow JSON",
    "klines": "a Binance kline CSV (open_time, OHLC, volume, taker buy base/quote)",
    "funding": "a Binance funding-rate CSV or a CoinGlass funding OHLC",
    "liquidations": "a CoinGlass liquidation export (long/short liquidation USD)",
    "taker_volume": "a CoinGlass taker buy/sell volume export",
    "index": "an index close CSV (date + close/value)",
    "cryptoquant": "a CryptoQuant export (Datetime + metric columns)",
    "coinglass": "a CoinGlass CSV/JSON export",
    "generic": "a time,metric,value CSV",
}
# (format name, its family for --kind coinglass/cryptoquant, module) in detection order
CSV_FORMATS = [("generic", "generic", generic), ("binance_klines", "binance", klines),
               ("binance_funding", "binance", funding), ("cryptoquant", "cryptoquant", cryptoquant),
               ("farside", "farside", farside), ("coinglass", "coinglass", coinglass), ("index", "index", index)]


@dataclass(frozen=True)
class Parsed:
    table: pa.Table
    kind: str       # etf_flows, klines, funding, liquidations, taker_volume, open_interest, premium, index, ...
    format: str     # farside, binance_klines, coinglass, coinglass_json, cryptoquant, index, generic, ...


def check_kind(kind: str | None) -> str | None:
    if kind is not None and kind not in KINDS:
        raise UsageError(f"unknown --kind {kind!r}; use one of {', '.join(KINDS)}")
    return kind


def _fits(kind: str, detected: str, family: str) -> bool:
    return kind in (detected, family) or (kind == "etf_flows" and detected == "etf_flows")


def _mismatch(kind: str, path: Path, header: list[str]) -> CostbasisError:
    return CostbasisError(f"--kind {kind}: {path.name} does not look like {DESCRIBE[kind]} "
                          f"(columns: {', '.join(header)})")


def parse_file(path: Path | str, kind: str | None = None, name: str | None = None) -> Parsed:
    """Parse the whole file (a bad row raises with its line); nothing is written here."""
    path = Path(path)
    check_kind(kind)
    if not path.is_file():
        raise CostbasisError(f"context file not found: {path}")
    if is_json(path):
        return _parse_json(path, kind)
    rows = Rows(path)
    header = rows.header
    found = None
    for fmt, family, mod in CSV_FORMATS:
        detected = mod.detect(header, path)
        if detected and (kind is None or _fits(kind, detected, family)):
            found = (fmt, family, mod, detected)
            break
    if found is None and kind == "funding" and {"open", "high", "low", "close"} <= {h.lower() for h in header}:
        found = ("coinglass", "coinglass", coinglass, "funding")
    if found is None and kind == "index" and index._columns(header):
        found = ("index", "index", index, "index")
    if found is None:
        if kind is not None:
            raise _mismatch(kind, path, header)
        raise CostbasisError(f"{path.name}: cannot tell the kind of export from its header "
                             f"(columns: {', '.join(header[:12])}); pass --kind ({', '.join(KINDS)})")
    fmt, family, mod, detected = found
    if mod is index:
        builder = index.parse(rows, detected, name.replace("-", "_") if name else index_symbol(path))
    elif mod is coinglass:
        builder, detected = coinglass.parse(rows, kind or detected)
    else:
        builder = mod.parse(rows, detected)
    return Parsed(builder.table(), detected, fmt)


def _parse_json(path: Path, kind: str | None) -> Parsed:
    if kind not in (None, "etf_flows", "coinglass", "liquidations", "taker_volume", "funding"):
        raise CostbasisError(f"--kind {kind}: {path.name} is JSON; only CoinGlass exports are read as JSON")
    builder, detected = coinglass_json.parse(path, kind if kind != "coinglass" else None)
    if kind not in (None, "coinglass") and detected != kind and not (kind == "funding" and detected == "funding"):
        raise CostbasisError(f"--kind {kind}: {path.name} holds CoinGlass {detected} records")
    return Parsed(builder.table(), detected, "coinglass_json")
