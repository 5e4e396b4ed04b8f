"""Failures of the node (retried with backoff, logged) versus failures of the store or the setup (exit).

A node that restarts answers "connection refused", then -28 "warming up", and rewrites its cookie;
a reorg racing a read shows up as "chain changed" / "vanished". All of that heals by itself, so the
loop waits and tries again with a fresh source (which re-reads the cookie). Anything else (a damaged
store, a wrong network, a full disk) would fail the same way on every retry: report it and exit.
"""

from __future__ import annotations

from costbasis.errors import CostbasisError

# fragments of the one-line messages of costbasis/bitcoin/rpc.py, costbasis/evm/rpc.py and the sources
TRANSIENT = (
    "cannot connect", "timed out", "unreachable", "warming up", "answered http 5", "gave up after", "kept failing",
    "kept refusing", "reorg", "chain changed", "vanished", "no longer on the node's active chain",
    "rejected the credentials", "(http 401", "cannot read rpc cookie file", "keeps reorganising",
    "did not answer json", "answered without a reply",
)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    if not isinstance(exc, CostbasisError):
        return False
    msg = str(exc).lower()
    return any(t in msg for t in TRANSIENT)


class Backoff:
    """Exponential delays first, first*2, ... capped at `cap` seconds; reset() after a success."""

    def __init__(self, first: float = 1.0, cap: float = 60.0):
        self.first, self.cap = first, cap
        self.delay = first
        self.failures = 0

    def next(self) -> float:
        d = self.delay
        self.failures += 1
        self.delay = min(self.delay * 2, self.cap)
        return d

    def reset(self) -> None:
        self.delay = self.first
        self.failures = 0
