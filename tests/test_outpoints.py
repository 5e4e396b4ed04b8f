"""prev_tx_key (bitcoin/outpoints.py): every way the key is computed gives tx_key's value.

tx_key is the definition (a txid's first 8 display-order bytes, big-endian, signed); the numba parser
computes it from the block's internal-order bytes, bench/flows.py from display-order bytes, the views
of older stores in DuckDB SQL. Keys at the edges of the int64 range (top bit set: negative) included.
"""

from __future__ import annotations

import hashlib

import duckdb
import numpy as np

from costbasis.bitcoin import fastparse
from costbasis.bitcoin.outpoints import tx_key, tx_key_sql, tx_keys, tx_keys_of_display_bytes

EDGES = ["0" * 64, "0" * 15 + "1" + "f" * 48, "7fffffffffffffff" + "0" * 48, "8000000000000000" + "f" * 48,
         "f" * 64, "fedcba9876543210" + "0" * 48]
TXIDS = EDGES + [hashlib.sha256(str(i).encode()).hexdigest() for i in range(200)]


def test_tx_key_is_the_signed_big_endian_prefix():
    assert [tx_key(t) for t in EDGES] == [0, 1, 2**63 - 1, -2**63, -1, 0xFEDCBA9876543210 - 2**64]
    assert tx_keys(TXIDS).tolist() == [tx_key(t) for t in TXIDS]
    keys = [tx_key(t) for t in TXIDS[len(EDGES):]]
    assert min(keys) < 0 < max(keys)   # random txids give both signs


def test_display_bytes_and_block_bytes_give_the_same_key():
    display = np.frombuffer(b"".join(bytes.fromhex(t) for t in TXIDS), np.uint8).reshape(-1, 32)
    assert tx_keys_of_display_bytes(display).tolist() == [tx_key(t) for t in TXIDS]
    # in a block a txid is in internal order (reversed); the kernel reads it at each position
    internal = b"\x00" * 3 + b"".join(bytes.fromhex(t)[::-1] for t in TXIDS)
    pos = np.arange(len(TXIDS), dtype=np.int64) * 32 + 3
    assert fastparse._key_at(np.frombuffer(internal, np.uint8), pos).tolist() == [tx_key(t) for t in TXIDS]


def test_duckdb_expression_gives_the_same_key():
    con = duckdb.connect()
    rows = "SELECT unnest($txids) AS t, generate_subscripts($txids, 1) AS n"
    got = con.execute(f"SELECT {tx_key_sql('t')} FROM ({rows}) ORDER BY n", {"txids": TXIDS}).fetchall()
    assert [g for (g,) in got] == [tx_key(t) for t in TXIDS]
