"""Shared set-up for the engine tests: a generated chain in a real store plus imported prices."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from support.chain_factory import make_chain, price_table, write_chain, write_prices_csv
from costbasis.prices import load_prices
from costbasis.prices.importer import import_prices
from support.engine_reference import load_coins

EDGES = [1, 7, 30, 90, 180, 365, 730, 1095, 1825, 2555, 3650, 155, 100, 210]


def build(root: Path, seed: int = 1, span_days: int = 4100, n_blocks: int = 300,
          price_start: date = date(2009, 3, 1)):
    """Chain from 2009-01-03 over `span_days`; prices start later (coins without price) and have gaps."""
    ch = make_chain(seed=seed, span_days=span_days, n_blocks=n_blocks)
    store = write_chain(root, ch)
    csv = write_prices_csv(root / "prices.csv", price_table(random.Random(seed + 100), price_start, span_days + 30))
    import_prices(store, csv, "BTC")
    coins, ctx = load_coins(store, load_prices(store, "BTC"))
    return store, ch, coins, ctx


def edge_days(coins, lo_day: int, hi_day: int, rng: random.Random, k: int) -> list[int]:
    """Days on which some coin is exactly at a band edge (age = edge x 86400 s), +-1 day around it."""
    out = set()
    for c in coins:
        if c.created_time % 86400 == 0:
            for e in EDGES:
                d = c.created_time // 86400 + e - 1   # (d + 1) * 86400 - t == e days
                out.update(x for x in (d - 1, d, d + 1) if lo_day <= x <= hi_day)
    out = sorted(out)
    return sorted(rng.sample(out, min(k, len(out))))


def assert_rows_match(engine_rows: dict, ref_rows: list[dict], keys: list[str], rel: float = 1e-9) -> int:
    """Compare to `rel` relative; std is compared relative to the realized price (its natural scale).
    Returns the number of values compared."""
    n = 0
    for r in ref_rows:
        e = engine_rows[(r["day"], r["cohort"])]
        for k in keys:
            a, b = e[k], r[k]
            where = f"day {r['day']} cohort {r['cohort']} {k}: engine {a!r} reference {b!r}"
            if b is None or a is None:
                assert a is None and b is None, where
                continue
            scale = abs(b)
            if k == "cost_basis_std_usd" and r["realized_price_usd"]:
                scale = max(scale, abs(r["realized_price_usd"]))
            assert abs(a - b) <= rel * scale, where
            n += 1
    return n
