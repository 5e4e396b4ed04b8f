"""The fast parser (direct blk/rev reads) gives the same rows as walking libbitcoinkernel objects."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from costbasis.bitcoin.outpoints import tx_key
from costbasis.store import Store


def kernel_rows(datadir):
    """Reference rows from py-bitcoinkernel's Block / BlockSpentOutputs objects (slow, independent)."""
    import pbk

    cm = pbk.load_chainman(str(datadir), pbk.ChainType.MAINNET)
    blocks, outputs, inputs = [], [], []
    try:
        chain = cm.get_active_chain()
        for h in range(chain.height + 1):
            e = chain.block_tree_entries[h]
            blocks.append((h, str(e.block_hash), int(e.block_header.timestamp.timestamp())))
            block = cm.blocks[e]
            spent = cm.block_spent_outputs[e].transactions if h > 0 else []
            for t, tx in enumerate(block.transactions):
                txid = str(tx.txid)
                for v, o in enumerate(tx.outputs):
                    outputs.append((h, t, txid, v, o.amount, bytes.fromhex(str(o.script_pubkey)), t == 0))
                if t == 0:
                    continue
                coins = spent[t - 1].coins
                for k, i in enumerate(tx.inputs):
                    c = coins[k]
                    inputs.append((h, t, txid, k, str(i.out_point.txid), i.out_point.index, c.confirmation_height,
                                   c.output.amount, bytes.fromhex(str(c.output.script_pubkey)), c.is_coinbase))
    finally:
        cm.__exit__(None, None, None)
    return blocks, outputs, inputs


def _stored(root, table, cols):
    ch = Store(root).chain("bitcoin")
    t = pa.concat_tables([pq.read_table(p, columns=list(cols)) for p in ch.files(table)])
    return sorted(zip(*(t[c].to_pylist() for c in cols)))


def test_fast_parser_equals_kernel_walk(mainnet_store, mainnet_datadir):
    kb, ko, ki = kernel_rows(mainnet_datadir)
    assert len(kb) == 256 and len(ki) > 0
    assert _stored(mainnet_store, "blocks", ("height", "hash", "time")) == sorted(kb)
    assert _stored(mainnet_store, "outputs", ("height", "tx_index", "txid", "vout", "value", "script",
                                              "is_coinbase")) == sorted(ko)
    # inputs store no txid: the spending tx's is the outputs' txid at the same (height, tx_index)
    txid_of = {(h, t): txid for h, t, txid, *_ in ko}
    assert all(txid_of[(h, t)] == txid for h, t, txid, *_ in ki)
    # the spent txid is stored as its key (bitcoin/schema.py): the first 8 bytes of the kernel's txid
    assert _stored(mainnet_store, "inputs", ("height", "tx_index", "vin", "prev_tx_key", "prev_vout",
                                             "created_height", "value", "script", "is_coinbase")) == \
        sorted((h, t, k, tx_key(prev), *rest) for h, t, _txid, k, prev, *rest in ki)
