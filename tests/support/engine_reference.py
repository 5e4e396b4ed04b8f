"""Brute-force reference for the cohort engine: for each date, scan every coin (plain Python).

Independent of the SQL path on purpose: it reads `outputs` and `inputs` (coin identity by
outpoint, not coin_flows), finds creation prices by bisecting the price times, and evaluates
DESIGN.md's definitions literally per coin and per date.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import pyarrow.parquet as pq

DAY = 86400
# Written out from DESIGN.md "Definitions" (not imported from the engine, on purpose).
BANDS = {"<1d": (0, 1), "1d-1w": (1, 7), "1w-1m": (7, 30), "1m-3m": (30, 90), "3m-6m": (90, 180),
         "6m-12m": (180, 365), "1y-2y": (365, 730), "2y-3y": (730, 1095), "3y-5y": (1095, 1825),
         "5y-7y": (1825, 2555), "7y-10y": (2555, 3650), ">10y": (3650, None),
         "sth": (0, 155), "lth": (155, None), "all": (0, None)}
COHORTS = list(BANDS)


def lth_weight(age_days: float) -> float:
    if age_days < 100:
        return 0.0
    if age_days >= 210:
        return 1.0
    return 1.0 / (1.0 + math.exp(-0.1 * (age_days - 155)))


@dataclass
class Coin:
    created_time: int
    spent_time: int | None   # None: never spent
    sats: int
    price: float             # creation price (0 before the first price point)
    spend_price: float | None


def _read(store, table):
    files = store.chain("bitcoin").files(table)
    rows = []
    for f in files:
        rows += pq.read_table(f).to_pylist()
    return rows


def load_coins(store, prices) -> tuple[list[Coin], dict]:
    blocks = {b["height"]: b["time"] for b in _read(store, "blocks")}
    ptimes = prices["time"].to_pylist()
    pvals = prices["price_usd"].to_pylist()

    def price_at(t):
        i = bisect.bisect_right(ptimes, t) - 1
        return pvals[i] if i >= 0 else 0.0

    # an input names the coin it spends by (created_height, prev_tx_key, prev_vout) (bitcoin/schema.py)
    spent = {(i["created_height"], i["prev_tx_key"], i["prev_vout"]): i["height"] for i in _read(store, "inputs")}
    coins = []
    for o in _read(store, "outputs"):
        if not o["spendable"]:
            continue
        # the key written out from bitcoin/schema.py's definition, not imported, on purpose
        key = int.from_bytes(bytes.fromhex(o["txid"][:16]), "big", signed=True)
        sh = spent.get((o["height"], key, o["vout"]))
        st = blocks[sh] if sh is not None else None
        coins.append(Coin(blocks[o["height"]], st, o["value"], price_at(blocks[o["height"]]),
                          price_at(st) if st is not None else None))
    day_price = {(d.toordinal() - 719163): p for d, p in zip(prices["date"].to_pylist(), pvals)}
    return coins, {"day_price": day_price, "blocks": blocks}


def cohort_weight(cohort: str, age_s: int, split: str) -> float:
    """Share of a coin aged `age_s` seconds that belongs to `cohort`."""
    if split == "logistic" and cohort in ("sth", "lth"):
        w = lth_weight(age_s / DAY)
        return w if cohort == "lth" else 1.0 - w
    lo, hi = BANDS[cohort]
    return 1.0 if lo * DAY <= age_s and (hi is None or age_s < hi * DAY) else 0.0


def live_coins(coins: list[Coin], day: int) -> list[Coin]:
    end = (day + 1) * DAY  # blocks with time <= end - 1 are in the as-of set
    return [c for c in coins if c.created_time < end and (c.spent_time is None or c.spent_time >= end)]


def live_distribution(coins: list[Coin], day: int, cohort: str, split: str = "hard",
                      live: list[Coin] | None = None) -> list[tuple[float, float, int]]:
    """[(creation price, weight x sats, sats)] of coins live as of `day` in `cohort`."""
    end = (day + 1) * DAY
    out = []
    for c in (live_coins(coins, day) if live is None else live):
        w = cohort_weight(cohort, end - c.created_time, split)
        if w:
            out.append((c.price, w * c.sats, c.sats))
    return out


def cohort_row(coins, ctx, day: int, cohort: str, split: str = "hard", quantiles=(), live=None) -> dict:
    dist = live_distribution(coins, day, cohort, split, live)
    sats = math.fsum(w for _p, w, _s in dist)
    price = ctx["day_price"].get(day)
    row = {"day": day, "cohort": cohort, "supply_btc": sats / 1e8,
           "realized_cap_usd": math.fsum(p * w for p, w, _s in dist) / 1e8, "price_usd": price,
           "coins_without_price_btc": math.fsum(w for p, w, _s in dist if p == 0.0) / 1e8}
    if sats == 0:
        row.update(realized_price_usd=None, mvrv=None, cost_basis_std_usd=None, supply_in_profit_pct=None)
        for q in quantiles:
            row[q] = None
        return row
    rp = math.fsum(p * w for p, w, _s in dist) / sats
    row["realized_price_usd"] = rp
    row["mvrv"] = price / rp if price is not None and rp else None
    row["cost_basis_std_usd"] = math.sqrt(math.fsum(w * (p - rp) ** 2 for p, w, _s in dist) / sats)
    row["supply_in_profit_pct"] = None if price is None else 100.0 * math.fsum(w for p, w, _s in dist if p < price) / sats
    ordered = sorted(dist)
    for q in quantiles:
        frac = float(q[1:-4].replace("_", ".")) / 100.0
        cum = 0.0
        row[q] = None
        for p, w, _s in ordered:
            cum += w
            if cum >= frac * sats:
                row[q] = p
                break
    return row


def reference_rows(coins, ctx, days, split="hard", quantiles=()) -> list[dict]:
    out = []
    for d in days:
        live = live_coins(coins, d)
        out += [cohort_row(coins, ctx, d, c, split, quantiles, live) for c in COHORTS]
    return out


def reference_sopr(coins, day: int) -> dict:
    """Spends whose block time falls on `day`: SOPR (all, STH, LTH by age at spend) and CDD."""
    lo, hi = day * DAY, (day + 1) * DAY
    sp = [c for c in coins if c.spent_time is not None and lo <= c.spent_time < hi]

    def ratio(sel):
        den = math.fsum(c.sats * c.price for c in sel)
        return math.fsum(c.sats * c.spend_price for c in sel) / den if den else None

    sth = [c for c in sp if c.spent_time - c.created_time < 155 * DAY]
    lth = [c for c in sp if c.spent_time - c.created_time >= 155 * DAY]
    return {"day": day, "spent_btc": math.fsum(c.sats for c in sp) / 1e8, "sopr": ratio(sp),
            "sth_sopr": ratio(sth), "lth_sopr": ratio(lth),
            "cdd": math.fsum(c.sats / 1e8 * max(0, c.spent_time - c.created_time) / DAY for c in sp)}
