"""The brief's on-chain figures, each from the engine: price (prices/<asset>), cohort cost bases
(cohorts), the nearest support and resistance (bands), whale deposits (whales) and exchange
netflow (flows). A figure whose input is missing (no labels, no price for the day) is None."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow.compute as pc

from costbasis.errors import CostbasisError

COST_BASIS_COHORTS = ("1d-1w", "1w-1m", "1m-3m")


def price_figure(store, day: date, asset: str = "BTC") -> dict | None:
    from costbasis.prices import load_prices

    try:
        t = load_prices(store, asset)
    except CostbasisError:
        return None
    rows = {r["date"]: r["price_usd"] for r in t.to_pylist() if r["date"] in (day, day - timedelta(days=1))}
    if day not in rows:
        return None
    prev = rows.get(day - timedelta(days=1))
    return {"usd": rows[day], "prev_usd": prev, "prev_date": (day - timedelta(days=1)).isoformat() if prev else None,
            "change_pct": (rows[day] / prev - 1) * 100 if prev else None, "source": f"prices/{asset}"}


def cost_basis_figure(store, chain: str | None, day: date) -> dict:
    from costbasis.engine import api

    t = api.cohorts(store, chain, asof=day)  # a date outside the chain is the user's error: raised
    rows = {r["cohort"]: r for r in t.to_pylist()}
    out = {c: rows.get(c, {}).get("realized_price_usd") for c in COST_BASIS_COHORTS}
    out["sth_realized_price_usd"] = rows.get("sth", {}).get("realized_price_usd")
    out["price_usd"] = rows.get("all", {}).get("price_usd")
    out["source"] = f"cohorts --asof {day} (realized price per age cohort)"
    return out


def levels_figure(store, chain: str | None, day: date) -> dict | None:
    from costbasis.bands.assemble import bands

    try:
        t = bands(store, chain, asof=day)
    except CostbasisError:
        return None
    rows = t.to_pylist()
    sup = [r for r in rows if r["kind"] == "support"]
    res = [r for r in rows if r["kind"] == "resistance"]
    pick = lambda r: None if r is None else {k: r[k] for k in ("name", "low_usd", "high_usd", "distance_pct", "source")}
    out = {"support": pick(max(sup, key=lambda r: r["high_usd"]) if sup else None),
           "resistance": pick(min(res, key=lambda r: r["low_usd"]) if res else None),
           "source": f"bands --asof {day}"}
    return out if out["support"] or out["resistance"] else None


def whales_figure(store, chain: str | None, day: date, min_btc: float = 100, window: int = 30) -> dict | None:
    from costbasis.flows.whales import whale_signals

    try:
        t = whale_signals(store, chain, date_from=day - timedelta(days=6), date_to=day, min_btc=min_btc, window=window)
    except CostbasisError:
        return None
    rows = {r["date"]: r for r in t.to_pylist()}
    if day not in rows:
        return None
    r = rows[day]
    top = max(rows.values(), key=lambda x: (x["whale_deposit_usd"] or 0, x["date"]))
    return {"deposit_usd": r["whale_deposit_usd"], "deposit_btc": r["whale_deposit_btc"], "deposits": r["deposit_count"],
            "zscore": r["zscore"], "signal": bool(r["signal"]), "window_days": window, "min_btc": min_btc,
            "largest_7d": {"date": top["date"].isoformat(), "usd": top["whale_deposit_usd"],
                           "btc": top["whale_deposit_btc"]},
            "source": f"whales (deposits >= {min_btc:g} BTC from non-exchange sources, z vs {window} days)"}


def netflow_figure(store, chain: str | None, day: date) -> dict | None:
    from costbasis.flows.flows import exchange_flows

    try:
        t = exchange_flows(store, chain, date_from=day, date_to=day)
    except CostbasisError:
        return None
    t = t.filter(pc.equal(t["date"], day))
    if not t.num_rows:
        return None
    r = t.to_pylist()[0]
    return {"btc": r["netflow_btc"], "usd": r.get("netflow_usd"), "inflow_btc": r["inflow_btc"],
            "outflow_btc": r["outflow_btc"], "source": f"flows --from {day} --to {day}"}
