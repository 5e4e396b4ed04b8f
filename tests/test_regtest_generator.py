"""The regtest generator writes consensus-valid chains: every block is connected by
libbitcoinkernel, the chain survives a reopen, value is conserved, and it is deterministic."""

from __future__ import annotations

from collections import Counter

import pbk
import pytest

from costbasis.regtest import BlockRejected, ChainBuilder, InsufficientFunds
from costbasis.regtest.sample import build_sample_chain

COIN = 100_000_000


def walk_kernel(network_dir):
    """Independent pass over the kernel's blocks and undo data: (UTXO supply, per-block stats, ages)."""
    cm = pbk.load_chainman(network_dir, pbk.ChainType.REGTEST)
    chain = cm.get_active_chain()
    utxo: dict[tuple[str, int], int] = {}
    claimed = burned = 0
    ages: Counter = Counter()
    per_block = []
    for h in range(1, chain.height + 1):
        entry = chain.block_tree_entries[h]
        block = cm.blocks[entry]
        undo = cm.block_spent_outputs[entry]
        txs = list(block.transactions)
        spent_txs = list(undo.transactions)
        assert len(spent_txs) == len(txs) - 1
        fees = cb_out = 0
        for k, tx in enumerate(txs):
            txid = str(tx.txid)
            outs = list(tx.outputs)
            if k == 0:
                cb_out = sum(o.amount for o in outs)
            else:
                coins = list(spent_txs[k - 1].coins)
                ins = list(tx.inputs)
                assert len(coins) == len(ins)
                for i, c in zip(ins, coins):
                    op = (str(i.out_point.txid), i.out_point.index)
                    assert utxo.pop(op) == c.output.amount        # undo data agrees with our own UTXO set
                    ages[h - c.confirmation_height] += 1
                fees += sum(c.output.amount for c in coins) - sum(o.amount for o in outs)
            for n, o in enumerate(outs):
                script = bytes(o.script_pubkey)
                if script[:1] == b"\x6a":
                    burned += o.amount
                else:
                    utxo[(txid, n)] = o.amount
        claimed += cb_out - fees
        per_block.append((h, cb_out, fees))
    del chain, cm
    return sum(utxo.values()), claimed, burned, per_block, ages


def expected_subsidy(h: int) -> int:
    # regtest: 50 BTC halving every 150 blocks (written out, not taken from the generator)
    return {0: 50 * COIN, 1: 25 * COIN, 2: 1_250_000_000, 3: 625_000_000}[h // 150]


@pytest.fixture(scope="module")
def sample_chain(tmp_path_factory):
    d = tmp_path_factory.mktemp("regtest")
    cb = build_sample_chain(d, blocks=330)
    info = {"height": cb.height, "tip": cb.tip_hash, "hashes": cb.block_hashes, "fees": cb.total_fees,
            "network_dir": cb.network_dir}
    cb.close()
    return info


def test_chain_is_connected_by_kernel_after_reopen(sample_chain):
    cm = pbk.load_chainman(sample_chain["network_dir"], pbk.ChainType.REGTEST)
    chain = cm.get_active_chain()
    assert chain.height == sample_chain["height"] == 330
    assert str(chain.block_tree_entries[330].block_hash) == sample_chain["tip"]
    for h in (1, 150, 299, 330):
        assert str(chain.block_tree_entries[h].block_hash) == sample_chain["hashes"][h]
    del chain, cm


def test_conservation_and_subsidy_schedule(sample_chain):
    supply, claimed, burned, per_block, ages = walk_kernel(sample_chain["network_dir"])
    # each block claims exactly the scheduled subsidy (coinbase outputs - fees)
    for h, cb_out, fees in per_block:
        assert cb_out - fees == expected_subsidy(h), h
    assert claimed == 149 * 50 * COIN + 150 * 25 * COIN + 31 * 1_250_000_000
    assert burned > 0
    assert supply == claimed - burned
    assert sum(f for _, _, f in per_block) == sample_chain["fees"]
    # spends of coins of many ages, from same-block (mempool parent) to > 200 blocks old
    assert ages[0] > 0
    assert max(ages) > 200
    assert len(ages) > 50
    assert sum(ages.values()) > 2000


def test_deterministic_blocks(tmp_path):
    raws = []
    for name in ("a", "b"):
        cb = build_sample_chain(tmp_path / name, blocks=140, txs_per_block=4, seed="same")
        raws.append([bytes(cb.cm.blocks[cb.cm.get_active_chain().block_tree_entries[h]]) for h in (1, 104, 120, 140)])
        cb.close()
    assert raws[0] == raws[1]
    cb = build_sample_chain(tmp_path / "c", blocks=140, txs_per_block=4, seed="other")
    other = bytes(cb.cm.blocks[cb.cm.get_active_chain().block_tree_entries[120]])
    cb.close()
    assert other != raws[0][2]


def test_rules_enforced(tmp_path):
    cb = ChainBuilder(tmp_path / "r", start_time=1_700_000_000, seed="rules")
    a = cb.wallet("a", "p2tr")
    cb.mine(1, to=a)
    # coinbase maturity: 100 confirmations needed (spendable in block height+100)
    cb.mine(98)
    with pytest.raises(InsufficientFunds):
        cb.send(a, [(cb.miner, 1000)], fee=100)
    cb.mine(1)
    cb.send(a, [(cb.miner, 1000)], fee=100)
    cb.mine(1, time=1_600_000_000)                  # before median-time-past: raised to MTP + 1
    times = [cb.block_time(h) for h in range(cb.height - 11, cb.height)]
    assert cb.block_time(cb.height) == sorted(times)[5] + 1
    with pytest.raises(ValueError):
        cb.mine(1, time=4_000_000_000)               # more than 2 h in the future
    # a corrupted signature makes the kernel refuse the block, and the builder says so
    cb.send(a, [(cb.miner, 1000)], fee=100)
    p = cb.mempool[-1]
    sig = bytearray(p.tx.vin[0].witness[0])
    sig[5] ^= 1
    p.tx.vin[0].witness[0] = bytes(sig)
    with pytest.raises(BlockRejected):
        cb.mine(1)
    cb.close()


def test_conservation_in_ingested_store(sample_chain, tmp_path):
    """Same identity, computed from the Parquet store written by the datadir ingest path."""
    import duckdb
    import pyarrow.parquet as pq

    from costbasis.bitcoin.datadir import DatadirSource
    from costbasis.bitcoin.ingest import ingest
    from costbasis.store import Store

    src = DatadirSource(sample_chain["network_dir"].parent, "regtest")
    try:
        ingest(src, Store(tmp_path), progress=False)
    finally:
        src.close()
    cs = Store(tmp_path).chain("bitcoin-regtest")
    con = duckdb.connect()
    for t in ("blocks", "outputs", "inputs"):
        con.register(t, pq.ParquetDataset([str(f) for f in cs.files(t)]).read())
    created = con.execute("select sum(value) from outputs where spendable").fetchone()[0]
    spent = con.execute("select sum(value) from inputs").fetchone()[0]
    burned = con.execute("select sum(value) from outputs where script_type = 'op_return' and height > 0").fetchone()[0]
    claimed = con.execute("""select sum(o.v) - sum(b.fees) from blocks b
                         join (select height, sum(value) v from outputs where is_coinbase group by height) o
                         using (height) where b.height > 0""").fetchone()[0]
    supply, k_claimed, k_burned, _, _ = walk_kernel(sample_chain["network_dir"])
    assert (claimed, burned) == (k_claimed, k_burned)
    assert created - spent == supply == claimed - burned
