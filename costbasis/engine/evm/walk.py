"""Output of a cost-basis walk (avg_cost or fifo): holding units and realized disposals.

A holding unit is what an address (avg) or a lot (fifo) held, unchanged, during
[valid_from, valid_to): amount, its USD cost and its (average) acquisition time. The state
as of any date is the set of units valid at the end of that date, so one walk serves every
date of a daily series.
"""

from __future__ import annotations

import pyarrow as pa

UNITS_SCHEMA = pa.schema([
    ("address", pa.string()),
    ("amount", pa.float64()),        # coins (wei / 1e18, or token units / 10**decimals)
    ("cost_usd", pa.float64()),      # amount x acquisition price(s)
    ("acq_time", pa.float64()),      # value-weighted average acquisition time, unix seconds
    ("valid_from", pa.int64()),
    ("valid_to", pa.int64()),        # null: still held at the last ingested block
])

REALIZED_SCHEMA = pa.schema([
    ("time", pa.int64()),
    ("address", pa.string()),
    ("amount", pa.float64()),
    ("proceeds_usd", pa.float64()),  # amount x price at the send
    ("cost_usd", pa.float64()),      # cost basis removed
    ("realized_usd", pa.float64()),  # proceeds - cost
    ("acq_time", pa.float64()),      # acquisition time of the coins sent
])


class Walk:
    def __init__(self, scale: float):
        self.scale = scale
        self.u = {n: [] for n in UNITS_SCHEMA.names}
        self.r = {n: [] for n in REALIZED_SCHEMA.names}
        self.untracked = 0  # raw units sent beyond the tracked balance

    def unit(self, addr, amount_raw, cost, acq, since, until) -> None:
        u = self.u
        u["address"].append(addr)
        u["amount"].append(amount_raw / self.scale)
        u["cost_usd"].append(cost)
        u["acq_time"].append(acq)
        u["valid_from"].append(since)
        u["valid_to"].append(until)

    def dispose(self, t, addr, amount_raw, cost, price, acq) -> None:
        r = self.r
        a = amount_raw / self.scale
        r["time"].append(t)
        r["address"].append(addr)
        r["amount"].append(a)
        r["proceeds_usd"].append(a * price)
        r["cost_usd"].append(cost)
        r["realized_usd"].append(a * price - cost)
        r["acq_time"].append(acq)

    def units(self) -> pa.Table:
        return pa.table(self.u, schema=UNITS_SCHEMA)

    def realized(self) -> pa.Table:
        return pa.table(self.r, schema=REALIZED_SCHEMA)
