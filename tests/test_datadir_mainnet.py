"""Datadir ingest of real mainnet blocks 0-255 (libbitcoinkernel-imported datadir)."""

from __future__ import annotations

import hashlib
from collections import defaultdict

import pyarrow.compute as pc
import pytest

from costbasis.bitcoin import schema
from costbasis.bitcoin.bulk_address import types_and_addresses
from costbasis.bitcoin.outpoints import tx_key
from costbasis.engine.bitcoin.outpoints import resolve
from costbasis.engine import db
from costbasis.store import Store

pytestmark = pytest.mark.usefixtures("mainnet_store")

GENESIS = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
BLOCK_1 = "00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048"
BLOCK_170 = "00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee"
TX_170 = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"   # first person-to-person tx
BLOCK_9_COINBASE = "0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9"
BTC = 100_000_000


def _table(root, name):
    import pyarrow.parquet as pq
    import pyarrow as pa

    ch = Store(root).chain("bitcoin")
    return pa.concat_tables([pq.read_table(p) for p in ch.files(name)])


def _resolved(root, height=None) -> list[dict]:
    """Inputs with prev_txid resolved (engine.bitcoin.outpoints.resolve) at `height`, or all."""
    con, _ = db.connect(Store(root), "bitcoin", schemas=schema.TABLES)
    try:
        return resolve(con, *((height, height) if height is not None else (0, 10**9))).to_pylist()
    finally:
        con.close()


def test_block_hashes_link_and_meet_target(mainnet_store):
    blocks = _table(mainnet_store, "blocks").to_pylist()
    assert [b["height"] for b in blocks] == list(range(256))
    by_h = {b["height"]: b for b in blocks}
    assert by_h[0]["hash"] == GENESIS and by_h[1]["hash"] == BLOCK_1 and by_h[170]["hash"] == BLOCK_170
    for h in range(1, 256):
        assert by_h[h]["prev_hash"] == by_h[h - 1]["hash"]
    # difficulty-1 target: every hash has at least 32 leading zero bits
    assert all(b["hash"].startswith("00000000") for b in blocks)
    assert all(b["subsidy"] == 50 * BTC for b in blocks)
    ch = Store(mainnet_store).chain("bitcoin")
    assert ch.tip() == (255, by_h[255]["hash"]) and ch.meta["network"] == "main"


def test_median_time_is_bip113_median(mainnet_store):
    blocks = sorted(_table(mainnet_store, "blocks").to_pylist(), key=lambda b: b["height"])
    times = [b["time"] for b in blocks]
    for b in blocks:
        window = sorted(times[max(0, b["height"] - 10): b["height"] + 1])
        assert b["median_time"] == window[len(window) // 2]


def test_block_170_spends_block_9_coinbase(mainnet_store):
    ins = _table(mainnet_store, "inputs").filter(pc.equal(_table(mainnet_store, "inputs")["height"], 170)).to_pylist()
    assert len(ins) == 1
    i = ins[0]
    assert (i["prev_tx_key"], i["prev_vout"]) == (tx_key(BLOCK_9_COINBASE), 0)
    assert [r["prev_txid"] for r in _resolved(mainnet_store, 170)] == [BLOCK_9_COINBASE]
    assert (i["created_height"], i["value"], i["is_coinbase"], i["script_type"]) == (9, 50 * BTC, True, "p2pk")
    outs = _table(mainnet_store, "outputs")
    tx = sorted(outs.filter(pc.equal(outs["txid"], TX_170)).to_pylist(), key=lambda r: r["vout"])
    # the input's tx is (height, tx_index) in both tables (inputs store no txid)
    assert {(o["height"], o["tx_index"]) for o in tx} == {(i["height"], i["tx_index"])}
    assert [o["value"] for o in tx] == [10 * BTC, 40 * BTC]
    assert all(o["script_type"] == "p2pk" and o["spendable"] for o in tx)
    assert types_and_addresses([o["script"] for o in tx], "main")[1].null_count == 2   # p2pk: no address form
    # the 40 BTC change goes back to the key that received block 9's coinbase
    assert tx[1]["script"] == i["script"]
    blk = [b for b in _table(mainnet_store, "blocks").to_pylist() if b["height"] == 170][0]
    assert blk["fees"] == 0 and blk["tx_count"] == 2


def test_utxo_supply_at_tip_is_12750_btc(mainnet_store):
    outs, ins = _table(mainnet_store, "outputs"), _table(mainnet_store, "inputs")
    created = pc.sum(outs.filter(outs["spendable"])["value"]).as_py()
    spent = pc.sum(ins["value"]).as_py()
    assert created - spent == 255 * 50 * BTC  # blocks 1-255; the genesis output is unspendable
    genesis = outs.filter(pc.equal(outs["height"], 0)).to_pylist()
    assert len(genesis) == 1 and genesis[0]["spendable"] is False and genesis[0]["value"] == 50 * BTC


def test_inputs_match_the_outputs_they_spend(mainnet_store):
    """Undo data (creation height, value, script) agrees with the created output rows; the stored
    outpoint (created_height, prev_tx_key, prev_vout) names exactly one of them."""
    outs = defaultdict(list)
    for o in _table(mainnet_store, "outputs").to_pylist():
        outs[(o["height"], tx_key(o["txid"]), o["vout"])].append(o)
    ins = _table(mainnet_store, "inputs").to_pylist()
    assert ins
    for i in ins:
        [o] = outs[(i["created_height"], i["prev_tx_key"], i["prev_vout"])]
        assert (o["height"], o["value"], o["script"], o["is_coinbase"]) == \
               (i["created_height"], i["value"], i["script"], i["is_coinbase"])


def test_resolver_gives_every_input_exactly_its_spent_output(mainnet_store):
    """sql/chain/inputs_outpoints.sql: one row per input, whose prev_txid is the txid of a stored output
    at (created_height, prev_vout) carrying the input's value and script."""
    outs = {(o["txid"], o["vout"]): o for o in _table(mainnet_store, "outputs").to_pylist()}
    ins = _table(mainnet_store, "inputs")
    res = _resolved(mainnet_store)
    assert res and len(res) == ins.num_rows
    assert len({(r["height"], r["tx_index"], r["vin"]) for r in res}) == len(res)
    for r in res:
        o = outs[(r["prev_txid"], r["prev_vout"])]
        assert (o["height"], o["value"], o["script"], o["is_coinbase"]) == \
               (r["created_height"], r["value"], r["script"], r["is_coinbase"])
        assert tx_key(r["prev_txid"]) == r["prev_tx_key"]


def test_coin_flows_aggregate_inputs(mainnet_store):
    agg = defaultdict(lambda: [0, 0])
    for i in _table(mainnet_store, "inputs").to_pylist():
        a = agg[(i["height"], i["created_height"])]
        a[0] += i["value"]
        a[1] += 1
    flows = {(r["spent_height"], r["created_height"]): [r["value"], r["count"]]
             for r in _table(mainnet_store, "coin_flows").to_pylist()}
    assert flows == dict(agg)


def test_txids_are_hash_of_serialization(mainnet_store, mainnet_datadir):
    """Merkle root of the stored txids equals each header's merkle root (read via the kernel)."""
    import pbk

    outs = _table(mainnet_store, "outputs").to_pylist()
    txids = defaultdict(dict)
    for o in outs:
        txids[o["height"]][o["tx_index"]] = o["txid"]
    cm = pbk.load_chainman(str(mainnet_datadir), pbk.ChainType.MAINNET)
    try:
        chain = cm.get_active_chain()
        for h in (0, 9, 170, 181, 255):
            raw = bytes(cm.blocks[chain.block_tree_entries[h]])
            level = [bytes.fromhex(txids[h][i])[::-1] for i in range(len(txids[h]))]
            while len(level) > 1:
                if len(level) % 2:
                    level.append(level[-1])
                level = [hashlib.sha256(hashlib.sha256(level[j] + level[j + 1]).digest()).digest()
                         for j in range(0, len(level), 2)]
            assert level[0] == raw[36:68]
    finally:
        cm.__exit__(None, None, None)
