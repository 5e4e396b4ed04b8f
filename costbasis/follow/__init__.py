"""`costbasis follow`: keep a chain's store and its derived state at the node's tip.

    loop.py      the cycle: wait for a block (wake.py), catch up (targets.py), refresh derived
                 state (refresh.py), log one line; stop at a consistent point on SIGTERM/SIGINT
    recovery.py  which failures are the node's (retried with backoff) and which are ours (exit)
    targets.py   one catch-up of a Bitcoin node (datadir beside it, or RPC) or an EVM node
    refresh.py   cohort state, flow/whale tables, optional label expansion after each batch
    wake.py      ZMQ hashblock notifications or polling
"""

from costbasis.follow.loop import FollowOptions, follow

__all__ = ["FollowOptions", "follow"]
