"""`ingest bitcoin --datadir` beside a running node (costbasis/bitcoin/live.py).

The project's Bitcoin-Core-like RPC server (built from libbitcoinkernel objects) holds the datadir
open through the kernel, as bitcoind does, while the CLI reads the blk/rev files in a subprocess.
Rows must equal the stopped-node ingest's; blocks the datadir lacks or that fail a check come
through `getblock 3` and the summary counts them."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from costbasis.bitcoin.blockfiles import BlockIndex
from costbasis.bitcoin.schema import KEYS, TABLES

sys.path.insert(0, str(Path(__file__).parent))
from support.bitcoind_rpc_server import BitcoindRpcServer, ChainData  # noqa: E402
from conftest import run_cli  # noqa: E402
from test_ingest_reorg import build  # noqa: E402
from test_ingest_resume import all_rows  # noqa: E402

pytestmark = pytest.mark.node
CHAIN = "bitcoin-regtest"


@pytest.fixture(scope="module")
def chains(tmp_path_factory):
    """Datadirs a (tip 114) and b (tip 117, forks from a after 108), each with its stopped-node store."""
    base = tmp_path_factory.mktemp("live")
    build(base / "a", "x", 6)
    build(base / "b", "y", 9)
    for name in "ab":
        stopped(base / name, base / f"store-{name}")
    return base


def stopped(datadir: Path, cache: Path, *extra: str) -> None:
    r = run_cli("ingest", "bitcoin", "--datadir", str(datadir), "--network", "regtest", "--no-progress", *extra,
                cache=cache)
    assert r.returncode == 0, r.stderr


def live(datadir: Path, srv: BitcoindRpcServer, cache: Path, *extra: str):
    return run_cli("ingest", "bitcoin", "--datadir", str(datadir), "--network", "regtest", "--rpc-url", srv.url,
                   "--no-progress", "--batch-blocks", "40", *extra, cache=cache)


def rows(cache: Path, up_to: int | None = None) -> dict[str, list]:
    """Every table's rows, sorted; with up_to only those of heights <= up_to."""
    got = all_rows(cache, CHAIN)
    if up_to is not None:
        at = {t: list(TABLES[t].names).index(KEYS[t]) for t in got}
        got = {t: [r for r in v if r[at[t]] <= up_to] for t, v in got.items()}
    return got


def test_locked_datadir_read_beside_the_node_equals_stopped_ingest(chains, tmp_path):
    a = chains / "a"
    held = ChainData(a, "regtest", keep_open=True)      # the kernel holds the datadir's locks, as bitcoind
    try:
        with BitcoindRpcServer(data=held, cookie_file=a / "regtest" / ".cookie") as srv:
            # cookie from the datadir, default 6 confirmations: blocks 0..109 of tip 114
            r = live(a, srv, tmp_path / "c")
            assert r.returncode == 0, r.stderr
            assert "blocks 0..109" in r.stdout and "0 blocks via getblock" in r.stdout, r.stdout
            assert rows(tmp_path / "c") == rows(chains / "store-a", 109)
            assert srv.calls.get("getblock", 0) == 0          # every block came from the blk/rev files
            # resume to the tip
            r = live(a, srv, tmp_path / "c", "--confirmations", "0")
            assert r.returncode == 0 and "blocks 110..114" in r.stdout, r.stdout + r.stderr
            assert rows(tmp_path / "c") == rows(chains / "store-a")
        # --datadir alone on a locked datadir: the live reader asks the network's default local port
        # (nothing listens there in the test: one line, no traceback; the stopped path would have read it)
        r = run_cli("ingest", "bitcoin", "--datadir", str(a), "--network", "regtest", "--no-progress",
                    "--rpc-retries", "0", "--rpc-timeout", "2", cache=tmp_path / "d")
        assert r.returncode == 1 and "127.0.0.1:18443" in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    finally:
        held.close()


def test_blocks_missing_or_damaged_on_disk_come_through_getblock(chains, tmp_path):
    # the node reorganised onto b: its blocks 109..117 are not in datadir a -> getblock 3
    a = tmp_path / "a"
    shutil.copytree(chains / "a", a)
    served = ChainData(chains / "b", "regtest")
    held = ChainData(a, "regtest", keep_open=True, hashes_only=True)
    try:
        with BitcoindRpcServer(data=served) as srv:
            r = live(a, srv, tmp_path / "c", "--rpc-user", "user", "--rpc-password", "pass", "--confirmations", "0")
            assert r.returncode == 0, r.stderr
            assert "blocks 0..117" in r.stdout and "9 blocks via getblock" in r.stdout, r.stdout
            assert rows(tmp_path / "c") == rows(chains / "store-b")
    finally:
        held.close()

    # damage block 50's transactions (blk) and block 80's undo record (rev) in a copy of a
    index = BlockIndex(a / "regtest" / "blocks")
    try:
        served = ChainData(chains / "a", "regtest")
        e50 = index.get(bytes.fromhex(served.blocks[50]["hash"])[::-1])
        e80 = index.get(bytes.fromhex(served.blocks[80]["hash"])[::-1])
    finally:
        index.close()
    flip(a / "regtest" / "blocks" / f"blk{e50.file:05d}.dat", e50.data_pos + 95)   # coinbase prevout: merkle root
    flip(a / "regtest" / "blocks" / f"rev{e80.file:05d}.dat", e80.undo_pos + 2)    # undo checksum
    held = ChainData(a, "regtest", keep_open=True, hashes_only=True)
    try:
        with BitcoindRpcServer(data=served) as srv:
            r = live(a, srv, tmp_path / "d", "--rpc-user", "user", "--rpc-password", "pass", "--confirmations", "0")
            assert r.returncode == 0, r.stderr
            assert "blocks 0..114" in r.stdout and "2 blocks via getblock" in r.stdout, r.stdout
            assert rows(tmp_path / "d") == rows(chains / "store-a")
    finally:
        held.close()


def flip(path: Path, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0xFF]))
