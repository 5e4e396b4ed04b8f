"""`btc_address(script, network)` in DuckDB SQL: scriptPubKeys formatted as addresses in bulk.

DESIGN.md's hot-path rule is to keep the script and format addresses in bulk or when displayed;
this scalar function lets a query show an address without anything stored per output. It runs
costbasis.bitcoin.bulk_address (numba, ~0.2 µs a row) on each DuckDB vector, so a whole-chain query
formats its rows as they stream, never holding them in Python. Null scripts give null addresses,
as do scripts with no address form (p2pk, multisig, OP_RETURN, nonstandard).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from costbasis.bitcoin.schema import NETWORK_CHAIN

CHAIN_NETWORK = {chain: net for net, chain in NETWORK_CHAIN.items()}   # store chain name -> network


def chain_network(chain: str, meta: dict | None = None) -> str:
    """The network a Bitcoin store chain holds: as ingest recorded it, else from the chain's name."""
    net = (meta or {}).get("network")
    return net if net in NETWORK_CHAIN else CHAIN_NETWORK.get(chain, "main")


def _btc_address(scripts: pa.Array, networks: pa.Array) -> pa.Array:
    from costbasis.bitcoin.bulk_address import types_and_addresses

    if isinstance(scripts, pa.ChunkedArray):
        scripts = scripts.combine_chunks()
    net = networks[0].as_py() if len(networks) else "main"
    addr = types_and_addresses(scripts, net if net in NETWORK_CHAIN else "main")[1]
    return pc.if_else(pc.is_valid(scripts), addr, pa.nulls(len(addr), pa.string())) if scripts.null_count else addr


def register(con) -> None:
    """Add btc_address(BLOB, VARCHAR) -> VARCHAR to connection `con` (once per connection)."""
    try:
        con.create_function("btc_address", _btc_address, ["BLOB", "VARCHAR"], "VARCHAR", type="arrow",
                            side_effects=False)
    except Exception as e:   # already registered on this connection
        if "already" not in str(e).lower():
            raise
