"""Farside spot-ETF flow tables (farside.co.uk): a Date column, one column per fund and Total,
in US$ millions, outflows negative. Stored in USD as etf_flow_<fund>_usd and etf_flow_total_usd.

Read in two forms: the scraped CSV (`2024-01-11`, `-95.1`, blank cells) and the site's own
copy-paste table (`11 Jan 2024`, `(95.1)` for negatives, `-` for blank, `1,234.5`, tab or comma
separated, a `Fee` row above and Total/Average/Maximum/Minimum rows below the days, which are
skipped). A day whose funds are all blank and whose Total is 0 or blank is a market holiday in
Farside's table, not a session: it is left out, so "the last two sessions" are trading days.
"""

from __future__ import annotations

from datetime import datetime

from costbasis.context.formats.cells import midnight, number
from costbasis.context.formats.textfile import Rows
from costbasis.context.names import slug
from costbasis.context.series import Builder
from costbasis.errors import CostbasisError

KNOWN_FUNDS = {"ibit", "fbtc", "bitb", "arkb", "btco", "ezbc", "brrr", "hodl", "btcw", "gbtc", "btc", "msbt", "defi"}
LABEL_ROWS = {"fee", "seed", "total", "average", "maximum", "minimum", "date", "sum", "staking"}
DATE_FORMATS = ("%Y-%m-%d", "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d/%m/%Y")
US_MILLION = 1e6


def detect(header: list[str], path) -> str | None:
    low = [h.lower() for h in header]
    if len(low) >= 3 and low[0] in ("date", "") and "total" in low and any(h in KNOWN_FUNDS for h in low[1:]):
        return "etf_flows"
    return None


def _day(cell: str):
    s = " ".join(cell.split())
    for f in DATE_FORMATS:
        try:
            return datetime.strptime(s, f).date()
        except ValueError:
            continue
    return None


def parse(rows: Rows, kind: str) -> Builder:
    header = rows.header
    low = [h.lower() for h in header]
    if "total" not in low:
        raise CostbasisError(f"{rows.where(rows.rows[0][0])}: no Total column (columns: {', '.join(header)})")
    b = Builder(rows.path.name, rows.where)
    cols = []
    for i, h in enumerate(low[1:], start=1):
        if not h:
            continue
        name = "etf_flow_total_usd" if h == "total" else f"etf_flow_{slug(h)}_usd"
        cols.append((i, b.metric(name, "sum", "USD")))
    total_i = low.index("total")
    for line, row in rows.data():
        where = rows.where(line)
        first = row[0].strip()
        d = _day(first)
        if d is None:
            if first.lower().rstrip(":") in LABEL_ROWS:
                continue  # the fee row above the table, the total/average rows below it
            raise CostbasisError(f"{where}: malformed date {first!r} (expected 2024-01-11 or 11 Jan 2024)")
        if len(row) > len(header):
            raise CostbasisError(f"{where}: {len(row)} cells, the header has {len(header)}")
        cells = row + [""] * (len(header) - len(row))
        values = {i: number(cells[i], where, header[i], accounting=True) for i, _ in cols}
        funds = [v for i, v in values.items() if i != total_i]
        if all(v is None for v in funds) and not values.get(total_i):
            continue  # market holiday row: no session
        ts = midnight(d)
        for i, metric in cols:
            v = values[i]
            b.add(line, ts, metric, None if v is None else round(v * US_MILLION, 2))
    return b
