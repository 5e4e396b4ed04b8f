"""Weighted-average cost per address (the account-model default, `--method avg`).

A receive of a at price p adds a to the balance and a*p to the cost; the acquisition
time becomes the value-weighted average of the old time and the receive time. A send
of a removes a * (cost / balance) from the cost and realizes a * (p - cost / balance);
the acquisition time of what remains is unchanged.

Why Python and not SQL: each step depends on the running average left by the previous
one (a send's cost depends on every earlier receive and send of that address), which is a
sequential recurrence with no set-based formulation; the walk is one pass over events.
Balances are exact integers (wei / token base units) so no float dust is left behind.

Explicit cases: from == to (self-transfer) changes nothing (its gas is a separate event);
from NULL (mint, block reward, withdrawal) is only a receive; to NULL (burn, gas fee) is
only a send, realized at the event's price. A send larger than the tracked balance (coins
from before the ingested range, genesis allocations, unrecorded miner income) only removes
what is tracked; the rest is counted in `untracked`.
"""

from __future__ import annotations

from costbasis.engine.evm.walk import Walk


def walk_avg(events, scale: float) -> Walk:
    """events: iterable of (time, from, to, amount_raw:int, price). scale: 10**decimals."""
    w = Walk(scale)
    bal: dict[str, int] = {}
    cost: dict[str, float] = {}
    acq: dict[str, float] = {}
    since: dict[str, int] = {}

    def close(addr: str, t: int) -> None:
        b = bal.get(addr, 0)
        if b > 0 and since[addr] != t:
            w.unit(addr, b, cost[addr], acq[addr], since[addr], t)
        since[addr] = t

    for t, frm, to, amt, price in events:
        if amt <= 0 or (frm is not None and frm == to):
            continue
        if frm is not None:
            b = bal.get(frm, 0)
            take = amt if amt <= b else b
            if amt > take:
                w.untracked += amt - take
            if take > 0:
                close(frm, t)
                c = cost[frm]
                out = c if take == b else c * (take / b)
                w.dispose(t, frm, take, out, price, acq[frm])
                bal[frm] = b - take
                cost[frm] = c - out if take < b else 0.0
        if to is not None:
            b = bal.get(to, 0)
            if b > 0:
                close(to, t)
                nb = b + amt
                acq[to] = acq[to] + (t - acq[to]) * (amt / nb)
                cost[to] += amt / scale * price
                bal[to] = nb
            else:
                since[to] = t
                acq[to] = float(t)
                cost[to] = amt / scale * price
                bal[to] = amt
    for addr, b in bal.items():
        if b > 0:
            w.unit(addr, b, cost[addr], acq[addr], since[addr], None)
    return w
