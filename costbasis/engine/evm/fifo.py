"""FIFO lots per address (`--method fifo`).

Every receive opens a lot (amount, price, time); a send consumes the oldest lots first and
realizes, lot by lot, amount * (price now - lot price). Each lot is its own holding unit, so
ages and cost bases are per lot rather than per address average. Sequential for the same
reason as avg_cost (each send depends on what earlier sends left); self-transfers, mints,
burns, fees and untracked shortfalls are handled exactly as in avg_cost.
"""

from __future__ import annotations

from collections import deque

from costbasis.engine.evm.walk import Walk


def walk_fifo(events, scale: float) -> Walk:
    w = Walk(scale)
    lots: dict[str, deque] = {}
    for t, frm, to, amt, price in events:
        if amt <= 0 or (frm is not None and frm == to):
            continue
        if frm is not None:
            q = lots.get(frm)
            need = amt
            while need > 0 and q:
                lot = q[0]  # [amount, price, time, since]
                a, p, acq, since = lot
                take = a if a <= need else need
                if since != t:
                    w.unit(frm, a, a / scale * p, acq, since, t)
                w.dispose(t, frm, take, take / scale * p, price, acq)
                need -= take
                if take == a:
                    q.popleft()
                else:
                    lot[0] = a - take
                    lot[3] = t
            w.untracked += need
        if to is not None:
            lots.setdefault(to, deque()).append([amt, price, float(t), t])
    for addr, q in lots.items():
        for a, p, acq, since in q:
            w.unit(addr, a, a / scale * p, acq, since, None)
    return w
