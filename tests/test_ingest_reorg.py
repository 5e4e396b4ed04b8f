"""Reorg: the stored tip is orphaned by a competing chain; ingest rolls back to the fork and continues."""

from __future__ import annotations

from pathlib import Path

import pytest

from costbasis.bitcoin.datadir import DatadirSource
from costbasis.bitcoin.ingest import ingest
from costbasis.store import Store

from test_ingest_resume import all_rows, assert_no_stray_files

T0 = 1_700_000_000


def build(datadir: Path, fork_variant: str | None, blocks_after_fork: int) -> list[str]:
    """Deterministic regtest chain: identical up to height 108, then a branch chosen by `fork_variant`."""
    from costbasis.regtest import ChainBuilder

    cb = ChainBuilder(datadir, start_time=T0, seed="reorg")
    try:
        a = cb.wallet("a", "p2wpkh")
        b = cb.wallet("b", "p2tr")
        cb.mine(101)
        for i in range(7):
            cb.send(cb.miner, [(a, 10_000_000 + i), (b, 5_000_000)], fee=1_000)
            cb.mine(1)
        assert cb.height == 108
        if fork_variant:
            for i in range(blocks_after_fork):
                cb.send(a if fork_variant == "x" else b, [(cb.miner, 1_000 + i)], fee=500 + i)
                cb.mine(1, time=T0 + 200_000 + i * 600 + (0 if fork_variant == "x" else 7))
        return cb.block_hashes
    finally:
        cb.close()


def run_ingest(datadir: Path, root: Path, **kw):
    src = DatadirSource(datadir, "regtest")
    try:
        return ingest(src, Store(root), progress=False, **kw)
    finally:
        src.close()


@pytest.fixture(scope="module")
def chains(tmp_path_factory):
    base = tmp_path_factory.mktemp("reorg")
    ha = build(base / "a", "x", 6)      # tip 114
    hb = build(base / "b", "y", 9)      # tip 117, forks from a after 108
    assert ha[:109] == hb[:109] and ha[109] != hb[109]
    return base / "a", base / "b"


def test_reorg_rolls_back_to_fork_and_matches_fresh_ingest(tmp_path, chains):
    a, b = chains
    root = tmp_path / "cache"
    s = run_ingest(a, root, batch_blocks=5)
    assert s.last == 114
    s = run_ingest(b, root, batch_blocks=4)
    assert s.rolled_back == 114 - 108 and s.first == 109 and s.last == 117
    fresh = tmp_path / "fresh"
    run_ingest(b, fresh, batch_blocks=50)
    assert all_rows(root, "bitcoin-regtest") == all_rows(fresh, "bitcoin-regtest")
    assert_no_stray_files(root, "bitcoin-regtest")


def test_confirmations_hold_back_recent_blocks(tmp_path, chains):
    a, _ = chains
    s = run_ingest(a, tmp_path / "c", confirmations=6)
    assert s.last == 114 - 6 + 1
