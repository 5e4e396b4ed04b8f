"""The spent outpoint's full txid, resolved from store format 3's key (bitcoin/outpoints.py): an
equality join of inputs with outputs, sql/chain/inputs_outpoints.sql (the engine layer: it runs SQL)."""

from __future__ import annotations

import pyarrow as pa

from costbasis.engine.db import run


def resolve(con, h_lo: int, h_hi: int) -> pa.Table:
    """Inputs of heights [h_lo, h_hi] with prev_txid resolved (views `inputs` and `outputs` of `con`,
    engine/db.py connect()): one row per input, or more only for a txid-prefix collision
    (bitcoin/outpoints.py says when); an input whose spent output is not stored (a store not ingested
    from genesis) has prev_txid NULL."""
    return run(con, "inputs_outpoints", {"h_lo": h_lo, "h_hi": h_hi})
