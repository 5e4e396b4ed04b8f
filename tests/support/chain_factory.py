"""Fabricate small Bitcoin chains straight into the store (no parser involved) for engine tests.

The tables are mutually consistent: every input spends an existing spendable output of an
earlier-or-same block and carries its creation height and value; coin_flows aggregates the
inputs per (spent block, created block). The generator deliberately includes:
- coins of every age band (the chain spans > 10 years) with long empty stretches (days with no block),
- blocks stamped exactly 00:00:00 UTC, so some coins are exactly at a band edge on every date,
- blocks at 23:59:59 and 00:00:01 (the as-of cut-off),
- coins spent in the block or on the day they were created,
- non-monotonic block times, including a spend stamped on the day before its creation block,
- unspendable outputs with value (OP_RETURN, the genesis output) that must not count,
- blocks before the first price point (creation price 0).
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa

from costbasis.bitcoin.outpoints import tx_key
from costbasis.bitcoin.schema import BLOCKS, COIN_FLOWS, INPUTS, KEYS, OUTPUTS
from costbasis.store import Store

DAY = 86400


def day_ts(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp())


def _h(*parts) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


@dataclass
class Chain:
    blocks: list[dict] = field(default_factory=list)
    outputs: list[dict] = field(default_factory=list)
    inputs: list[dict] = field(default_factory=list)

    def coin_flows(self) -> list[dict]:
        agg: dict[tuple[int, int], list[int]] = {}
        for i in self.inputs:
            a = agg.setdefault((i["height"], i["created_height"]), [0, 0])
            a[0] += i["value"]
            a[1] += 1
        return [{"spent_height": s, "created_height": c, "value": v, "count": n}
                for (s, c), (v, n) in sorted(agg.items())]

    def tables(self, lo: int, hi: int) -> dict[str, pa.Table]:
        sel = lambda rows, key="height": [r for r in rows if lo <= r[key] <= hi]  # noqa: E731
        return {
            "blocks": pa.Table.from_pylist(sel(self.blocks), BLOCKS),
            "outputs": pa.Table.from_pylist(sel(self.outputs), OUTPUTS),
            "inputs": pa.Table.from_pylist(sel(self.inputs), INPUTS),
            "coin_flows": pa.Table.from_pylist(sel(self.coin_flows(), "spent_height"), COIN_FLOWS),
        }


def block_times(rng: random.Random, start: date, span_days: int, n_blocks: int) -> list[int]:
    """Sorted times over `span_days` with empty stretches, edge-of-day stamps, then a few reversals."""
    t0 = day_ts(start)
    active = sorted(rng.sample(range(1, span_days), k=min(span_days - 1, max(3, n_blocks // 3))))
    times = [t0 + 18 * 3600 + 15 * 60 + 5]  # "genesis" at 18:15:05 on the start day
    specials = [0, DAY - 1, 1, 0, DAY - 1]  # 00:00:00, 23:59:59, 00:00:01
    while len(times) < n_blocks:
        d = rng.choice(active)
        r = rng.random()
        sec = specials[len(times) % len(specials)] if r < 0.25 else rng.randrange(DAY)
        times.append(t0 + d * DAY + sec)
    times = [times[0]] + sorted(times[1:])
    # Non-monotonic stamps: a later block stamped up to 2 h earlier than its parent, some across midnight.
    for k in range(2, len(times) - 1, max(3, n_blocks // 12)):
        times[k + 1] = times[k] - rng.randrange(1, 7200)
    return times


def make_chain(seed: int = 1, start: date = date(2009, 1, 3), span_days: int = 4100, n_blocks: int = 300,
               spend_prob: float = 0.55, max_sats: int = 5 * 10**9) -> Chain:
    rng = random.Random(seed)
    times = block_times(rng, start, span_days, n_blocks)
    ch = Chain()
    live: list[dict] = []  # spendable, unspent outputs
    for h, t in enumerate(times):
        txs = 1 + (rng.randrange(4) if h else 0)
        n_in_block = 0
        spends_here: list[dict] = []
        # choose coins this block spends (coins created earlier, or in this block below)
        if h and live:
            k = rng.randrange(0, min(len(live), 6) + 1)
            for c in rng.sample(live, k):
                if rng.random() < spend_prob:
                    spends_here.append(c)
        if h and times[h] < times[h - 1]:
            # spend a coin of the parent block, stamped before it: never live as of any date
            parent = [c for c in live if c["height"] == h - 1 and c not in spends_here]
            spends_here += parent[:1]
        for c in spends_here:
            live.remove(c)
        for tx in range(txs):
            txid = _h(seed, h, tx)
            for vout in range(1 + rng.randrange(3)):
                op_return = h > 0 and rng.random() < 0.05
                value = rng.randrange(1, max_sats) if rng.random() < 0.9 else rng.randrange(1, 1000)
                row = {"height": h, "tx_index": tx, "txid": txid, "vout": vout, "value": value,
                       "script_type": "op_return" if op_return else "p2pkh", "address": None,
                       "script": b"\x6a" if op_return else b"\x76\xa9", "is_coinbase": tx == 0,
                       "spendable": not op_return and h > 0}
                ch.outputs.append(row)
                if row["spendable"]:
                    # some coins are spent in the very block that creates them
                    if tx > 0 and rng.random() < 0.08:
                        spends_here.append(row)
                    else:
                        live.append(row)
        for vin, c in enumerate(spends_here):
            ch.inputs.append({"height": h, "tx_index": min(1, txs - 1), "txid": _h(seed, h, "spend", vin), "vin": vin,
                              "prev_tx_key": tx_key(c["txid"]), "prev_vout": c["vout"], "created_height": c["height"],
                              "value": c["value"], "script_type": c["script_type"], "address": None,
                              "script": c["script"], "is_coinbase": c["is_coinbase"]})
            n_in_block += 1
        ch.blocks.append({"height": h, "hash": _h("block", seed, h), "prev_hash": _h("block", seed, h - 1) if h else "0" * 64,
                          "time": t, "median_time": t, "tx_count": txs, "size": 1000, "weight": 4000,
                          "subsidy": 50 * 10**8, "fees": 0})
    return ch


def write_chain(root: Path | str, ch: Chain, name: str = "bitcoin", batches: int = 3) -> Store:
    """Commit `ch` through the real store in `batches` contiguous height ranges."""
    store = Store(root)
    cs = store.chain(name)
    n = len(ch.blocks)
    cuts = sorted({0, n} | {n * i // batches for i in range(1, batches)})
    with cs.writer_lock():
        for lo, hi in zip(cuts, cuts[1:]):
            last = hi - 1
            cs.commit(lo, last, ch.tables(lo, last), ch.blocks[last]["hash"],
                      {b["height"]: b["hash"] for b in ch.blocks[lo:hi]}, keys=KEYS)
    return store


def price_table(rng: random.Random, first: date, days: int, gap_every: int = 97) -> pa.Table:
    """Random-walk daily prices from `first` with a few missing dates (rows stamped 00:00 UTC)."""
    dates, prices, times = [], [], []
    p = 0.07
    for i in range(days):
        p *= math.exp(rng.gauss(0.003, 0.05))
        if gap_every and i % gap_every == gap_every - 1:
            continue
        d = date.fromordinal(first.toordinal() + i)
        dates.append(d)
        prices.append(p)
        times.append(day_ts(d))
    return pa.table({"date": pa.array(dates, pa.date32()), "price_usd": pa.array(prices, pa.float64()),
                     "time": pa.array(times, pa.int64())})


def write_prices_csv(path: Path, table: pa.Table) -> Path:
    lines = ["date,price_usd"] + [f"{d.isoformat()},{p!r}" for d, p in zip(table["date"].to_pylist(), table["price_usd"].to_pylist())]
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)
