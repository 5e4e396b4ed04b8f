"""The brief for a day: every figure from the engine (onchain.py) or an imported series (market.py),
then one sentence per available figure, each with its source. A missing figure drops its sentence
and is null in the JSON."""

from __future__ import annotations

from datetime import date

from costbasis.brief import market, onchain
from costbasis.brief.numbers import btc, pct, price, signed, usd
from costbasis.dates import parse_date


def build(store, asof: str | date | None = None, chain: str | None = None) -> dict:
    from costbasis.engine import api

    day = parse_date(asof, "--asof")
    if day is None:
        with api.session(store, chain) as s:
            day = s.last_date
    cb = onchain.cost_basis_figure(store, chain, day)
    from costbasis.engine.db import resolve_chain
    figures = {
        "asof": day.isoformat(),
        "chain": resolve_chain(store, chain),
        "price": onchain.price_figure(store, day),
        "cost_basis": cb,
        "levels": onchain.levels_figure(store, chain, day),
        "whales": onchain.whales_figure(store, chain, day),
        "netflow": onchain.netflow_figure(store, chain, day),
    }
    ctx = market.Context(store)
    figures.update({
        "liquidations": market.liquidations(ctx, day),
        "etf_flows": market.etf_sessions(ctx, day),
        "net_taker": market.net_taker(ctx, day),
        "funding": market.funding(ctx, day),
        "dxy": market.dxy(ctx, day),
    })
    figures["sentences"] = sentences(figures)
    return figures


def _side(level: float, p: float) -> str:
    return "above" if p > level else "below" if p < level else "at"


def sentences(f: dict) -> list[dict]:
    out = []

    def say(topic: str, text: str, source: str) -> None:
        out.append({"topic": topic, "text": text, "source": source})

    day = f["asof"]
    p = f["price"]
    if p:
        text = f"BTC closed at {price(p['usd'])} on {day}"
        if p["change_pct"] is not None:
            text += f", {pct(p['change_pct'])} in 24 h (from {price(p['prev_usd'])})"
        say("price", text + ".", p["source"])
    cb = f["cost_basis"]
    ref = (p or {}).get("usd") or cb.get("price_usd")
    if ref:
        parts = [f"{_side(cb[c], ref)} the {c.replace('-', '–')} cost basis ({price(cb[c])})"
                 for c in onchain.COST_BASIS_COHORTS if cb.get(c)]
        if cb.get("sth_realized_price_usd"):
            parts.append(f"{_side(cb['sth_realized_price_usd'], ref)} the STH realized price "
                         f"({price(cb['sth_realized_price_usd'])})")
        if parts:
            say("cost_basis", "Price sits " + ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] + ".",
                cb["source"])
    lv = f["levels"]
    if lv:
        bits = []
        for kind, word in (("support", "support below"), ("resistance", "resistance above")):
            r = lv[kind]
            if r:
                rng = price(r["low_usd"]) if r["low_usd"] == r["high_usd"] else f"{price(r['low_usd'])}–{price(r['high_usd'])}"
                bits.append(f"nearest {word}: {r['name']} at {rng} ({pct(r['distance_pct'])})")
        say("levels", bits[0][0].upper() + "; ".join(bits)[1:] + ".", lv["source"])
    w = f["whales"]
    if w:
        z = "" if w["zscore"] is None else f", z-score {signed(w['zscore'], 1)} against the trailing {w['window_days']} days"
        top = w["largest_7d"]
        text = (f"Whale deposits to exchanges on {day}: {usd(w['deposit_usd'] or 0)} ({btc(w['deposit_btc'] or 0)}"
                f" in {w['deposits']} deposits{z}); the largest deposit day of the past 7 was {top['date']} "
                f"({usd(top['usd'] or 0)}).")
        say("whales", text, w["source"])
    n = f["netflow"]
    if n:
        dollars = "" if n["usd"] is None else f" ({usd(n['usd'], signed=True)})"
        say("netflow", f"Exchange netflow on {day}: {btc(n['btc'], signed=True)}{dollars}, inflow "
                       f"{btc(n['inflow_btc'])} against outflow {btc(n['outflow_btc'])}.", n["source"])
    lq = f["liquidations"]
    if lq:
        sides = [f"{s} {usd(lq[f'{s}_usd'])}" for s in ("long", "short") if lq[f"{s}_usd"] is not None]
        text = f"Liquidations on {day}: " + " vs ".join(sides)
        if lq["largest"]:
            g = lq["largest"]
            span = "hour" if g["interval"] == "1h" else f"{g['interval']} period"
            text += f"; largest {span}: {g['side']}s {usd(g['usd'])} from {g['start']} UTC"
        say("liquidations", text + ".", lq["source"])
    e = f["etf_flows"]
    if e:
        each = " and ".join(f"{usd(s['usd'], signed=True)} on {s['date']}" for s in e["sessions"])
        total = f" ({usd(e['total_usd'], signed=True)} over the {len(e['sessions'])} sessions)" if len(e["sessions"]) > 1 else ""
        say("etf_flows", f"Spot-ETF net flows: {each}{total}.", e["source"])
    t = f["net_taker"]
    if t:
        vals = [v for v in (btc(t["btc"], signed=True) if t["btc"] is not None else None,
                            usd(t["usd"], signed=True) if t["usd"] is not None else None) if v]
        say("net_taker", f"Net taker volume on {day} ({t['method']}): {' / '.join(vals)}.", t["source"])
    fu = f["funding"]
    if fu:
        say("funding", f"Funding: {fu['pct']:.4f}% per {fu['interval']} at the last settlement of the day ({fu['time']} UTC), "
                       f"{fu['mean_pct']:.4f}% on average over {fu['settlements']}.", fu["source"])
    d = f["dxy"]
    if d:
        text = f"DXY at {d['value']:.2f} on {d['date']}"
        if d["change"] is not None:
            text += f" ({signed(d['change'])} from {d['prev_value']:.2f} on {d['prev_date']})"
        say("dxy", text + ".", d["source"])
    return out
