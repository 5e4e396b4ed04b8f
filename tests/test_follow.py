"""`costbasis follow` against nodes whose chain grows and reorganises while it runs.

Bitcoin: the project's Bitcoin-Core-like RPC server (kernel objects) serves datadir a (held open
through the kernel, as bitcoind holds it) with a visible tip that grows, then switches to chain b
(a reorg after height 108: b's blocks are not in datadir a, so they come through getblock 3), goes
away and comes back. EVM: anvil mining blocks and `anvil_reorg`. After each change the store must
equal a fresh ingest of the node's chain, and the derived cohort state must be stamped with the tip.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from costbasis.store import Store

sys.path.insert(0, str(Path(__file__).parent))
from support.bitcoind_rpc_server import BitcoindRpcServer, ChainData  # noqa: E402
from conftest import run_cli  # noqa: E402
from test_datadir_live import chains, rows  # noqa: E402,F401  (module fixture: datadirs a, b + stopped stores)

pytestmark = pytest.mark.node
CHAIN = "bitcoin-regtest"


def store_rows(cache: Path, chain: str) -> dict[str, list]:
    cs = Store(cache).chain(chain)
    out = {}
    for t in sorted(cs.tables()):
        files = cs.files(t)
        tab = pa.concat_tables([pq.read_table(p) for p in files]) if files else None
        out[t] = sorted(tuple(r.values()) for r in tab.to_pylist()) if tab is not None else []
    return out


def tip(cache: Path, chain: str = CHAIN):
    return Store(cache).chain(chain).tip()


class Follower:
    """`costbasis follow ...` in a subprocess, its stderr (the log) in a file."""

    def __init__(self, cache: Path, log: Path, *args: str):
        self.log = log
        self.f = open(log, "a")
        self.p = subprocess.Popen([sys.executable, "-m", "costbasis", "--cache", str(cache), "follow", *args],
                                  stdout=subprocess.DEVNULL, stderr=self.f, env=dict(os.environ))

    def text(self) -> str:
        return self.log.read_text()

    def wait_for(self, cond, what: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return
            if self.p.poll() is not None:
                raise AssertionError(f"follow exited ({self.p.returncode}) waiting for {what}:\n{self.text()}")
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}:\n{self.text()}")

    def stop(self, sig=signal.SIGTERM) -> int:
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            return self.p.wait(timeout=30)
        finally:
            self.f.close()


def derived_tip(cache: Path, chain: str = CHAIN, kind: str = "cohorts-BTC"):
    p = cache / chain / "_derived" / kind / "state.json"
    return tuple(json.loads(p.read_text())["tip"]) if p.is_file() else None


def import_prices(cache: Path, tmp: Path) -> None:
    csv = tmp / "btc.csv"
    csv.write_text("date,price_usd\n" + "".join(f"2023-11-{d:02d},{30000 + 100 * d}\n" for d in range(10, 31)))
    r = run_cli("prices", "import", str(csv), "--asset", "BTC", cache=cache)
    assert r.returncode == 0, r.stderr


@pytest.fixture(scope="module")
def served(chains):
    """Full RPC views of chains a and b (getblock 3 for blocks not on disk)."""
    return ChainData(chains / "a", "regtest"), ChainData(chains / "b", "regtest")


def test_follow_bitcoin_grows_reorgs_and_survives_a_node_restart(chains, served, tmp_path):
    a = tmp_path / "a"
    import shutil
    shutil.copytree(chains / "a", a)
    cache = tmp_path / "c"
    import_prices(cache, tmp_path)
    # an exchange label on an address paid in the chain: flow/whale tables are kept current too
    out = Store(chains / "store-a").chain(CHAIN).files("outputs")
    from costbasis.bitcoin.bulk_address import types_and_addresses
    addr = next(x for x in types_and_addresses(pq.read_table(out[-1])["script"], "regtest")[1].to_pylist() if x)
    (tmp_path / "labels.csv").write_text(f"chain,address,entity,label_type\n{CHAIN},{addr},ExA,exchange\n")
    r = run_cli("labels", "import", str(tmp_path / "labels.csv"), cache=cache)
    assert r.returncode == 0 and "imported 1 labels" in r.stdout, r.stdout + r.stderr
    held = ChainData(a, "regtest", keep_open=True, hashes_only=True)   # the datadir is locked, as by bitcoind
    data_a, data_b = served
    srv = BitcoindRpcServer(data=data_a, cookie_file=a / "regtest" / ".cookie").start()
    f = None
    try:
        srv.set_tip(60)
        f = Follower(cache, tmp_path / "log", "--datadir", str(a), "--rpc-url", srv.url, "--confirmations", "3",
                     "--interval", "0.2", "--rpc-retries", "0", "--rpc-timeout", "5")
        f.wait_for(lambda: tip(cache) == (58, data_a.blocks[58]["hash"]), "tip 58")
        assert rows(cache) == rows(chains / "store-a", 58)
        f.wait_for(lambda: derived_tip(cache) == (58, data_a.blocks[58]["hash"]), "cohort state at 58")

        srv.set_tip(114)                                        # the chain grows
        f.wait_for(lambda: tip(cache) == (112, data_a.blocks[112]["hash"]), "tip 112")
        assert rows(cache) == rows(chains / "store-a", 112)

        srv.set_data(data_b, 113)                               # reorg after 108 onto b
        f.wait_for(lambda: tip(cache) == (111, data_b.blocks[111]["hash"]), "tip 111 of b")
        assert rows(cache) == rows(chains / "store-b", 111)
        f.wait_for(lambda: derived_tip(cache) == (111, data_b.blocks[111]["hash"]), "cohort state on b")
        f.wait_for(lambda: derived_tip(cache, kind="flows") == (111, data_b.blocks[111]["hash"]), "flow tables on b")
        # the log line follows the derived-state refresh
        f.wait_for(lambda: "rolled back 4 orphaned blocks" in f.text(), "the reorg's log line")
        assert "blocks 109..111 (3 blocks, 6 txs, 3 via getblock); rolled back 4" in f.text(), f.text()

        srv.stop()                                              # the node goes away ...
        f.wait_for(lambda: "node unavailable" in f.text(), "a retry line")
        srv.set_tip(117)
        srv.start()                                             # ... and comes back on the same port
        f.wait_for(lambda: tip(cache) == (115, data_b.blocks[115]["hash"]), "tip 115 after the restart")
        assert rows(cache) == rows(chains / "store-b", 115)
        assert "node reachable again" in f.text()
        # queries answer while the follower runs (no writer lock needed)
        r = run_cli("status", "--format", "json", cache=cache)
        assert r.returncode == 0, r.stderr
        assert f.stop() == 0
        log = f.text()
        assert "follow: stopped; the store keeps blocks up to 115" in log
        assert "Traceback" not in log and "blocks 0..58" in log and "lag 2 blocks" in log, log
        for line in log.splitlines():                           # one line per batch: heights, txs, lag, time
            if "blocks " in line and ".." in line:
                assert " txs" in line and "lag " in line and "ingest " in line, line
    finally:
        if f is not None and f.p.poll() is None:
            f.stop(signal.SIGKILL)
        srv.stop()
        held.close()


def test_follow_zmq_kill9_and_once(chains, served, tmp_path):
    zmq = pytest.importorskip("zmq")
    data_a, _ = served
    cache = tmp_path / "c"
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    srv = BitcoindRpcServer(data=data_a).start()        # RPC only (getblock 3): the datadir is not read
    f = None
    try:
        # kill -9 in the middle of a catch-up (small cycles: derived state refreshed between them), restart
        import_prices(cache, tmp_path)
        f = Follower(cache, tmp_path / "log1", "--rpc-url", srv.url, "--rpc-user", "user", "--rpc-password", "pass",
                     "--confirmations", "0", "--max-blocks", "7", "--batch-blocks", "3")
        f.wait_for(lambda: (tip(cache) or (0,))[0] >= 30, "a few cycles")
        f.stop(signal.SIGKILL)
        assert tip(cache)[0] < 114                      # killed mid catch-up
        r = run_cli("follow", "--rpc-url", srv.url, "--rpc-user", "user", "--rpc-password", "pass",
                    "--confirmations", "0", "--once", cache=cache)
        assert r.returncode == 0, r.stderr
        assert tip(cache) == (114, data_a.blocks[114]["hash"])
        assert rows(cache) == rows(chains / "store-a")
        assert derived_tip(cache) == (114, data_a.blocks[114]["hash"])
        assert "Traceback" not in r.stderr

        # ZMQ hashblock wakes the follower long before its 60 s poll
        srv.set_tip(100)
        cache2 = tmp_path / "c2"
        f = Follower(cache2, tmp_path / "log2", "--rpc-url", srv.url, "--rpc-user", "user", "--rpc-password", "pass",
                     "--confirmations", "0", "--zmq", f"tcp://127.0.0.1:{port}", "--interval", "60")
        f.wait_for(lambda: (tip(cache2) or (0,))[0] == 100, "tip 100")
        srv.set_tip(105)
        t0 = time.monotonic()
        deadline = t0 + 20
        while (tip(cache2) or (0,))[0] != 105 and time.monotonic() < deadline:
            pub.send_multipart([b"hashblock", bytes.fromhex(data_a.blocks[105]["hash"]), (1).to_bytes(4, "little")])
            time.sleep(0.2)
        assert tip(cache2)[0] == 105 and time.monotonic() - t0 < 20, f.text()
        assert f.stop(signal.SIGINT) == 0
        assert "ZMQ hashblock" in f.text() and "Traceback" not in f.text()
    finally:
        if f is not None and f.p.poll() is None:
            f.stop(signal.SIGKILL)
        srv.stop()
        pub.close(0)
        ctx.term()


def test_follow_refuses_bad_options_in_one_line(tmp_path):
    for args, msg in ((["--interval", "0"], "--interval"), ([], "--datadir"),
                      (["--chain", "devnet"], "--rpc-url"),
                      (["--chain", "devnet", "--rpc-url", "http://127.0.0.1:1", "--zmq", "tcp://x:1"], "for Bitcoin"),
                      (["--rpc-url", "http://127.0.0.1:1", "--zmq", "http://x"], "ZMQ endpoint")):
        r = run_cli("follow", *args, cache=tmp_path / "c")
        assert r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    # --once against a node that is not there: one line, exit 1, nothing written
    r = run_cli("follow", "--rpc-url", "http://127.0.0.1:1", "--rpc-retries", "0", "--once", cache=tmp_path / "c")
    assert r.returncode == 1 and r.stderr.strip().splitlines()[-1].startswith("error: "), r.stderr
    assert not (tmp_path / "c").exists() or not list((tmp_path / "c").rglob("*.parquet"))


def test_follow_evm_anvil_mines_and_reorgs(tmp_path):
    from support.anvil import DEV0, ETH, GENESIS_TS, Anvil, Wallet

    node = Anvil(genesis_timestamp=GENESIS_TS)
    dave, erin = Wallet("dave"), Wallet("erin")
    cache = tmp_path / "c"
    f = None

    def fresh() -> dict:
        d = tmp_path / f"fresh-{time.monotonic_ns()}"
        r = run_cli("ingest", "evm", "--rpc-url", node.url, "--chain", "devnet", "--confirmations", "0", cache=d)
        assert r.returncode == 0, r.stderr
        return store_rows(d, "devnet")

    def node_tip():
        n = node.block_number()
        return n, node.rpc("eth_getBlockByNumber", [hex(n), False])["hash"]

    try:
        for i in range(1, 4):
            node.wait_mined(node.send_dev(DEV0, dave.address, i * ETH, gas=21_000))
        f = Follower(cache, tmp_path / "log", "--chain", "devnet", "--rpc-url", node.url, "--confirmations", "0",
                     "--interval", "0.2")
        f.wait_for(lambda: tip(cache, "devnet") == node_tip(), "tip 3")
        assert store_rows(cache, "devnet") == fresh()
        for i in range(4, 7):                                   # the chain grows
            node.wait_mined(node.send_dev(DEV0, dave.address, i * ETH, gas=21_000))
        f.wait_for(lambda: tip(cache, "devnet") == node_tip(), "tip 6")
        assert store_rows(cache, "devnet") == fresh()
        node.rpc("anvil_reorg", [2, [[{"from": DEV0, "to": erin.address, "value": hex(7 * ETH)}, 0]]])
        f.wait_for(lambda: tip(cache, "devnet") == node_tip(), "the reorganised tip")
        assert store_rows(cache, "devnet") == fresh()
        assert f.stop() == 0
        log = f.text()
        assert "rolled back 2 orphaned blocks" in log and "Traceback" not in log, log
    finally:
        if f is not None and f.p.poll() is None:
            f.stop(signal.SIGKILL)
        node.stop()
