"""CoinGlass JSON: the ETF flow history (`timestamp`, `flow_usd`, `etf_flows: [{etf_ticker,
flow_usd}]`, `price_usd`) -> etf_flow_total_usd and etf_flow_<ticker>_usd [sum, USD]; any other
list of flat records (liquidation, taker, OHLC history as the API returns them) is read as the
CSV export with the record keys as its header. A top-level list or the API's {"data": [...]}.
A day with flow_usd 0 and every fund null is a market holiday (as in Farside's table): left out."""

from __future__ import annotations

from pathlib import Path

from costbasis.context.formats import coinglass
from costbasis.context.formats.cells import number, unix_seconds
from costbasis.context.formats.textfile import Rows, json_records
from costbasis.context.names import slug
from costbasis.context.series import Builder
from costbasis.errors import CostbasisError


def _where(path: Path):
    return lambda line: f"{path.name} line {line}"


def detect_records(records: list, path: Path) -> str | None:
    first = next((r for r in records if isinstance(r, dict)), None)
    if first is None:
        return None
    if "flow_usd" in first and ("timestamp" in first or "time" in first):
        return "etf_flows"
    return coinglass.detect(list(first.keys()), path)


def parse(path: Path, kind: str | None) -> tuple[Builder, str]:
    records, lines = json_records(path)
    if not records:
        raise CostbasisError(f"{path.name}: no records")
    detected = detect_records(records, path)
    for rec, line in zip(records, lines):
        if not isinstance(rec, dict):
            raise CostbasisError(f"{path.name} line {line}: expected a JSON object per record, got {type(rec).__name__}")
    if detected == "etf_flows":
        return _etf(records, lines, path), "etf_flows"
    if detected is None:
        raise CostbasisError(f"{path.name}: JSON records with keys {', '.join(records[0])} are not a format "
                             "costbasis reads (CoinGlass ETF flows or liquidation/taker/OHLC history)")
    rows = _as_rows(records, lines, path)
    return coinglass.parse(rows, kind or detected)


def _as_rows(records: list[dict], lines: list[int], path: Path) -> Rows:
    keys = list(records[0])
    rows = Rows.__new__(Rows)
    rows.path, rows.delimiter = path, ","
    rows.rows = [(lines[0], keys)] + [(ln, ["" if r.get(k) is None else str(r.get(k)) for k in keys])
                                      for r, ln in zip(records, lines)]
    return rows


def _etf(records: list[dict], lines: list[int], path: Path) -> Builder:
    b = Builder(path.name, _where(path))
    total = b.metric("etf_flow_total_usd", "sum", "USD")
    for rec, line in zip(records, lines):
        where = f"{path.name} line {line}"
        ts = unix_seconds(rec.get("timestamp", rec.get("time")), where)
        flow = number(rec.get("flow_usd"), where, "flow_usd")
        funds = rec.get("etf_flows") or []
        if not isinstance(funds, list):
            raise CostbasisError(f"{where}: etf_flows is not a list")
        per = []
        for f in funds:
            if not isinstance(f, dict) or not f.get("etf_ticker"):
                raise CostbasisError(f"{where}: an etf_flows entry without etf_ticker")
            per.append((f"etf_flow_{slug(f['etf_ticker'])}_usd", number(f.get("flow_usd"), where, "flow_usd")))
        if not flow and all(v is None for _, v in per):
            continue  # market holiday: no session
        b.add(line, ts, total, flow)
        for metric, v in per:
            b.add(line, ts, b.metric(metric, "sum", "USD"), v)
    return b
