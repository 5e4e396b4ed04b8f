"""GET / : price with cohort cost-basis lines and STH ±σ bands, the URPD of a day with its levels,
whale deposits and exchange netflow, for a chain and dates picked in a plain form.

Every chart is drawn from the tables of the API calls it links to (Server.table runs the same
endpoint code on the same parsed options), rendered as SVG on the server: no script, no CDN.
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

from costbasis.server.dashboard import svg

COHORT_LINES = [("sth", "#d62728"), ("lth", "#2ca02c"), ("1w-1m", "#ff7f0e"), ("1m-3m", "#9467bd")]
SIGMA = [("sth -2σ", "sth +2σ"), ("sth -1σ", "sth +1σ")]
KIND_COLOR = {"support": "#2ca02c", "resistance": "#d62728", "at_price": "#b8860b"}
DEFAULT_DAYS = 60

CSS = """
body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#222}
header{background:#1d2733;color:#fff;padding:10px 20px;display:flex;gap:24px;align-items:center;flex-wrap:wrap}
header h1{font-size:18px;margin:0}header a{color:#9cf}
form{display:flex;gap:12px;align-items:center;flex-wrap:wrap}
form label{font-size:13px}input,select,button{font-size:13px;padding:3px 6px}
main{padding:12px 20px;display:grid;gap:14px}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px}
section h2{font-size:15px;margin:0 0 6px}
.src{font-size:12px;color:#555}.src a{margin-right:12px}
.tick,.legend{font-size:11px;fill:#444}.level{font-size:10px}.empty{font-size:14px;fill:#a00}
.err{color:#a00;font-size:13px}
"""


def mount(app, srv) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(request: Request) -> HTMLResponse:   # plain def: runs in a worker thread
        try:
            return HTMLResponse(render(srv, dict(request.query_params)))
        except Exception as e:   # the page never shows a traceback either
            r = srv.error_response(e, request)
            import json
            msg = json.loads(r.body)["error"]
            return HTMLResponse(_page("", f'<section><p class="err">{escape(msg)}</p></section>'),
                                status_code=r.status_code)


def api_url(name: str, items: list[tuple[str, str]]) -> str:
    return f"/v1/{name}" + (f"?{urlencode(items)}" if items else "")


class Chart:
    """One chart: its API calls (tables fetched through the server), its SVG or the error."""

    def __init__(self, srv, calls: list[tuple[str, list[tuple[str, str]]]]):
        self.calls = calls
        self.tables, self.error = [], None
        for name, items in calls:
            try:
                self.tables.append(srv.table(name, items))
            except Exception as e:
                self.error = self.error or srv_message(srv, e)
                self.tables.append(None)

    def links(self) -> str:
        return "".join(f'<a href="{escape(api_url(n, i))}">{escape(api_url(n, i))}</a>' for n, i in self.calls)


def srv_message(srv, e: Exception) -> str:
    import json
    return json.loads(srv.error_response(e).body)["error"]


def _col(table, *names):
    for n in names:
        if n in table.column_names:
            return table[n].to_pylist()
    return None


def _last_day(srv, chain: str) -> date | None:
    days = [r["last_block_time"][:10] for r in srv.table("status", []).to_pylist()
            if r["chain"] == chain and r.get("last_block_time")]
    return date.fromisoformat(max(days)) if days else None


def render(srv, q: dict) -> str:
    chains = srv.store().chains()
    if not chains:
        return _page("", f"<section><p class='err'>store {escape(str(srv.root))} holds no chain yet; "
                         "run `costbasis ingest ...` or `costbasis demo` first</p></section>")
    chain = q.get("chain") or next((c for c in chains if c.startswith("bitcoin")), chains[0])
    last = _last_day(srv, chain) if chain in chains else None
    to = q.get("to") or (last.isoformat() if last else "")
    frm = q.get("from") or ((date.fromisoformat(to) - timedelta(days=DEFAULT_DAYS)).isoformat() if last and not q.get("to") else "")
    asof = q.get("asof") or to
    ch = [("chain", chain)]
    rng = ch + [("from", frm), ("to", to)] if frm and to else ch
    form = _form(chains, chain, frm, to, asof)
    body = "".join([
        _section("Price, cohort cost basis and STH ±σ bands", price_chart(srv, rng)),
        _section(f"URPD as of {asof} with support and resistance", urpd_chart(srv, ch + ([("asof", asof)] if asof else []))),
        _section("Whale deposits to exchanges", whales_chart(srv, rng)),
        _section("Exchange netflow", netflow_chart(srv, rng)),
    ])
    return _page(form, body)


def _section(title: str, chart: tuple[str, str]) -> str:
    drawing, links = chart
    return f'<section><h2>{escape(title)}</h2>{drawing}<div class="src">API: {links}</div></section>'


def _form(chains, chain, frm, to, asof) -> str:
    opts = "".join(f'<option value="{escape(c)}"{" selected" if c == chain else ""}>{escape(c)}</option>' for c in chains)
    return (f'<form method="get" action="/"><label>chain <select name="chain">{opts}</select></label>'
            f'<label>from <input type="date" name="from" value="{escape(frm)}"></label>'
            f'<label>to <input type="date" name="to" value="{escape(to)}"></label>'
            f'<label>URPD date <input type="date" name="asof" value="{escape(asof)}"></label>'
            f'<button type="submit">Show</button></form>')


def _page(form: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>costbasis dashboard</title>'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,">'
            f'<style>{CSS}</style></head><body><header><h1>costbasis</h1>{form}'
            f'<a href="/docs">API docs</a></header><main>{body}</main></body></html>')


def price_chart(srv, rng) -> tuple[str, str]:
    title = "price and cost basis"
    c = Chart(srv, [("cohorts", rng), ("bands", rng + [("no-urpd", "true"), ("merge-pct", "0")])])
    cohorts, bands = c.tables
    if cohorts is None or cohorts.num_rows == 0:
        return svg.message(c.error or "no cohort rows in this window", title), c.links()
    rows = cohorts.to_pylist()
    by = {}
    for r in rows:
        by.setdefault(r["cohort"], []).append(r)
    alls = by.get("all", [])
    xs = [r["date"] for r in alls]
    series = [("price", xs, [r["price_usd"] for r in alls], "#1f77b4", 2.2)]
    for name, color in COHORT_LINES:
        rs = by.get(name, [])
        series.append((f"{name} cost basis", [r["date"] for r in rs], [r["realized_price_usd"] for r in rs], color, 1.3))
    levels = {}
    for r in (bands.to_pylist() if bands is not None else []):
        levels.setdefault(r["name"], {})[r["date"]] = r["low_usd"]
    ys = [y for _, _, v, _, _ in series for y in v if y is not None]
    ys += [y for lv in levels.values() for y in lv.values()]
    if not ys:
        return svg.message("no prices in this window", title), c.links()
    f = svg.Frame(min(xs or [r["date"] for r in rows]), max(xs or [r["date"] for r in rows]), min(ys), max(ys))
    parts = [f.axes("USD")]
    for lo, hi in SIGMA:
        days = sorted(set(levels.get(lo, {})) & set(levels.get(hi, {})))
        parts.append(svg.band(f, days, [levels[lo][d] for d in days], [levels[hi][d] for d in days],
                              f"{lo} .. {hi}", "#d62728"))
    mean = levels.get("sth mean", {})
    parts.append(svg.polyline(f, sorted(mean), [mean[d] for d in sorted(mean)], "sth mean", "#d62728", 1, "2 3"))
    for name, sx, sy, color, width in series:
        parts.append(svg.polyline(f, sx, sy, name, color, width))
    items = [(n, col) for n, _, _, col, _ in series] + [("STH ±1σ / ±2σ", "#f4b6b6"), ("STH mean (dotted)", "#d62728")]
    parts.append(svg.legend(items))
    if c.error:
        parts.append(f'<text x="{svg.PAD_L + 8}" y="{svg.PAD_T + 14}" class="empty">{escape(c.error)}</text>')
    return svg.svg("".join(parts), title), c.links()


def urpd_chart(srv, items) -> tuple[str, str]:
    title = "URPD with levels"
    c = Chart(srv, [("urpd", items), ("bands", items)])
    urpd, bands = c.tables
    if urpd is None or urpd.num_rows == 0:
        return svg.message(c.error or "no URPD rows", title), c.links()
    lows, highs = _col(urpd, "bucket_low_usd"), _col(urpd, "bucket_high_usd")
    supply = _col(urpd, "supply_btc", "supply")
    levels = bands.to_pylist() if bands is not None else []
    meta = {k.decode(): v.decode() for k, v in ((bands.schema.metadata or {}) if bands is not None else {}).items()}
    price = float(meta["price_usd"]) if "price_usd" in meta else None
    top = max(highs)
    f = svg.Frame(0, max(supply) or 1, 0, top, x_is_date=False)
    parts = [f.axes("price USD (y) / supply (x)")]
    parts.append(f'<g data-series="urpd" data-points="{len(supply)}">')
    for lo, hi, s, profit in zip(lows, highs, supply, _col(urpd, "in_profit") or [True] * len(supply)):
        y0, y1 = f.py(hi), f.py(lo)
        parts.append(f'<rect x="{svg.PAD_L}" y="{y0:.1f}" width="{f.px(s) - svg.PAD_L:.1f}" height="{max(y1 - y0 - 0.5, 0.5):.1f}" '
                     f'fill="{"#7fb3d5" if profit else "#f1948a"}"><title>${lo:,.0f}-${hi:,.0f}: {s:,.2f}</title></rect>')
    parts.append("</g>")
    for lv in levels:
        mid = (lv["low_usd"] + lv["high_usd"]) / 2
        if 0 <= mid <= top:
            parts.append(svg.hline(f, mid, lv["name"], KIND_COLOR.get(lv["kind"], "#555"), f"level {lv['kind']}"))
    if price is not None:
        parts.append(svg.hline(f, price, f"price ${price:,.0f}", "#1f77b4", "price", dash=""))
    return svg.svg("".join(parts), title), c.links()


def whales_chart(srv, rng) -> tuple[str, str]:
    title = "whale deposits"
    c = Chart(srv, [("whales", rng)])
    (t,) = c.tables
    if t is None or t.num_rows == 0:
        return svg.message(c.error or "no whale rows in this window", title), c.links()
    xs, ys, sig = t["date"].to_pylist(), _col(t, "whale_deposit_usd"), _col(t, "signal") or []
    signal = {x for x, s in zip(xs, sig) if s}
    vals = [y for y in ys if y is not None] or [0.0]
    f = svg.Frame(min(xs), max(xs), 0.0, max(vals) or 1.0)
    width = max(1.0, (svg.W - svg.PAD_L - svg.PAD_R) / max(len(xs), 1) * 0.8)
    parts = [f.axes("USD"), svg.bars(f, xs, ys, "whale deposits (USD)",
                                     lambda x, y: "#d62728" if x in signal else "#5d6d7e", width),
             svg.legend([("deposit USD", "#5d6d7e"), ("z-score spike", "#d62728")])]
    return svg.svg("".join(parts), title), c.links()


def netflow_chart(srv, rng) -> tuple[str, str]:
    title = "exchange netflow"
    c = Chart(srv, [("flows", rng)])
    (t,) = c.tables
    if t is None or t.num_rows == 0:
        return svg.message(c.error or "no flow rows in this window", title), c.links()
    xs, ys = t["date"].to_pylist(), _col(t, "netflow_btc", "netflow")
    vals = [y for y in ys if y is not None] or [0.0]
    f = svg.Frame(min(xs), max(xs), min(0.0, min(vals)), max(0.0, max(vals)))
    width = max(1.0, (svg.W - svg.PAD_L - svg.PAD_R) / max(len(xs), 1) * 0.8)
    unit = "BTC" if "netflow_btc" in t.column_names else "coins"
    parts = [f.axes(unit), svg.bars(f, xs, ys, f"netflow ({unit})",
                                    lambda x, y: "#d62728" if y > 0 else "#2ca02c", width),
             svg.legend([("inflow > outflow", "#d62728"), ("outflow > inflow", "#2ca02c")])]
    return svg.svg("".join(parts), title), c.links()
