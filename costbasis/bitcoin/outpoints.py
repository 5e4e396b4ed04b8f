"""The spent outpoint of an input, as store format 3 keeps it, and its resolution to the full txid.

An input stores (created_height, prev_tx_key, prev_vout), not the 64-char prev_txid: prev_tx_key is the
first 8 bytes of the spent transaction's txid in display (RPC, hex) order read as a big-endian signed
int64 (tx_key below). The spent transaction is the one of block `created_height` whose txid starts with
those 8 bytes, so the full outpoint is an equality join with outputs (sql/chain/inputs_outpoints.sql,
engine/bitcoin/outpoints.resolve()). Two transactions of one block sharing a 64-bit txid prefix would make that ambiguous. By
chance: ~n^2 / 2^65 for a block of n transactions (~4e-13 for 4,000 txs, ~1e-7 summed over all of
mainnet's blocks), i.e. negligible. On purpose: someone grinding two of their own transactions to a
common prefix (a birthday search, ~2^32 hashes) and getting both into one block; the resolver then
returns both candidate rows for that input (nothing is lost: detectable, and the coin's value, script
and creation height are on the input row itself, which is all the metrics read).

Why: the hex txid cost ~34 B per input (mainnet has ~2.6 inputs per tx); the key costs ~8 B (random
bits do not compress) and created_height was stored already.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pyarrow as pa


def tx_key(txid: str) -> int:
    """prev_tx_key of a txid given in display (RPC) hex: its first 8 bytes, big-endian, signed."""
    return int.from_bytes(bytes.fromhex(txid[:16]), "big", signed=True)


def tx_keys(txids: Iterable[str]) -> np.ndarray:
    """tx_key of each txid (a Python loop: for row-at-a-time writers and tests)."""
    if isinstance(txids, (pa.Array, pa.ChunkedArray)):
        txids = txids.to_pylist()
    return np.fromiter((tx_key(t) for t in txids), np.int64)


def tx_keys_of_display_bytes(raw: np.ndarray) -> np.ndarray:
    """tx_key of each row of an (n, >= 8) uint8 array holding txids in display order (vectorised)."""
    return np.ascontiguousarray(raw[:, :8]).view(">i8").ravel().astype(np.int64)


def tx_key_sql(col: str) -> str:
    """DuckDB expression: tx_key of the hex txid column `col` (a column name of ours, not user input).
    The prefix parses as UBIGINT; keys with the top bit set are the two's complement (UBIGINT -> BIGINT
    fails for values >= 2^63 instead of wrapping)."""
    u = f"('0x' || left({col}, 16))::UBIGINT::HUGEINT"
    return f"CAST({u} - CASE WHEN left({col}, 1) >= '8' THEN 18446744073709551616 ELSE 0 END AS BIGINT)"


def tx_key_spark(col: str):
    """The same as a Spark column: conv() to base -10 reads the 16 hex digits as a signed 64-bit value."""
    from pyspark.sql import functions as F

    return F.conv(F.substring(F.col(col), 1, 16), 16, -10).cast("bigint")

