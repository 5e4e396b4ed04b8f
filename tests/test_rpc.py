"""RPC source against a local server that answers like Bitcoin Core (tests/support/bitcoind_rpc_server.py,
built from the datadir through libbitcoinkernel objects, independent of our block parser)."""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from costbasis.bitcoin import schema
from costbasis.regtest.sample import build_sample_chain
from costbasis.bitcoin.rpc import RpcSource, rpc_source_from_options
from costbasis.errors import CostbasisError
from costbasis.store import Store

sys.path.insert(0, str(Path(__file__).parent))
from support.bitcoind_rpc_server import BitcoindRpcServer, ChainData  # noqa: E402
from conftest import run_cli  # noqa: E402

pytestmark = pytest.mark.node   # a real node: anvil or the Bitcoin-Core-like RPC server

PASSWORD = "s3cret-Pw!"
BLOCKS = 330


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    d = tmp_path_factory.mktemp("rpcchain")
    build_sample_chain(d, blocks=BLOCKS, seed="rpc").close()
    return d, ChainData(d, "regtest")


@pytest.fixture()
def server(chain):
    with BitcoindRpcServer(data=chain[1], user="alice", password=PASSWORD) as srv:
        yield srv


def read_store(cache: Path) -> dict[str, pa.Table]:
    cs = Store(cache).chain("bitcoin-regtest")
    return {t: pa.concat_tables([pq.read_table(f) for f in cs.files(t)]) if cs.files(t) else None
            for t in schema.TABLES}


def rpc_args(srv, *extra):
    return ("ingest", "bitcoin", "--rpc-url", srv.url, "--rpc-user", "alice", "--rpc-password", PASSWORD,
            "--network", "regtest", "--no-progress", *extra)


def assert_store_empty(cache: Path):
    cs = Store(cache).chain("bitcoin-regtest")
    assert cs.tip() is None
    assert not list(cs.path.rglob("*.parquet")) if cs.path.exists() else True


def test_datadir_and_rpc_rows_identical(chain, server, tmp_path):
    d, _ = chain
    r1 = run_cli("ingest", "bitcoin", "--datadir", str(d), "--network", "regtest", "--no-progress",
                 "--batch-blocks", "100", cache=tmp_path / "dd")
    assert r1.returncode == 0, r1.stderr
    r2 = run_cli(*rpc_args(server, "--confirmations", "0", "--workers", "3", "--batch-blocks", "100"),
                 cache=tmp_path / "rpc")
    assert r2.returncode == 0, r2.stderr
    a, b = read_store(tmp_path / "dd"), read_store(tmp_path / "rpc")
    for t in schema.TABLES:
        assert a[t].schema == b[t].schema
        assert a[t].num_rows == b[t].num_rows and a[t].num_rows > 0, t
        assert a[t].equals(b[t]), f"table {t} differs between datadir and RPC ingestion"
    assert a["blocks"]["height"].to_pylist() == list(range(BLOCKS + 1))
    assert a["inputs"].num_rows > 3000
    # every script type the generator makes shows up, so the comparison covers them all
    types = set(a["outputs"]["script_type"].to_pylist())
    assert {"p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr", "p2pk", "multisig", "op_return", "nonstandard"} <= types
    assert Store(tmp_path / "rpc").chain("bitcoin-regtest").tip() == (BLOCKS, server.data.blocks[BLOCKS]["hash"])
    assert server.calls["getblock"] >= BLOCKS + 1


def test_confirmations_honoured_and_incremental(server, tmp_path):
    cache = tmp_path / "c"
    server.set_tip(200)
    r = run_cli(*rpc_args(server), cache=cache)          # default: 6 confirmations
    assert r.returncode == 0, r.stderr
    assert Store(cache).chain("bitcoin-regtest").tip()[0] == 195
    server.set_tip(260)
    r = run_cli(*rpc_args(server, "--confirmations", "10"), cache=cache)
    assert r.returncode == 0, r.stderr
    t = read_store(cache)
    assert t["blocks"]["height"].to_pylist() == list(range(252))      # 260 - 252 + 1 = 9 < 10 confirmations


def test_wrong_credentials_one_line_error(server, tmp_path):
    r = run_cli("ingest", "bitcoin", "--rpc-url", server.url, "--rpc-user", "alice", "--rpc-password", "wrong-pw",
                "--network", "regtest", cache=tmp_path)
    assert r.returncode != 0
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and "401" in err and "Traceback" not in err
    assert "wrong-pw" not in r.stderr + r.stdout
    assert_store_empty(tmp_path)


def test_connection_refused_one_line_error(tmp_path):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()                                          # nothing listens there now
    r = run_cli("ingest", "bitcoin", "--rpc-url", f"http://127.0.0.1:{port}", "--rpc-user", "u",
                "--rpc-password", PASSWORD, "--network", "regtest", cache=tmp_path,
                env={"COSTBASIS_RPC_RETRIES": "2"})
    assert r.returncode != 0
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and "connection refused" in err and "3 attempts" in err
    assert PASSWORD not in r.stderr + r.stdout
    assert_store_empty(tmp_path)


def test_timeout_one_line_error(server, tmp_path):
    server.delay = 1.5
    r = run_cli(*rpc_args(server, "--confirmations", "0"), cache=tmp_path,
                env={"COSTBASIS_RPC_TIMEOUT": "0.3", "COSTBASIS_RPC_RETRIES": "1"})
    assert r.returncode != 0
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and "timed out" in err and "Traceback" not in err
    assert_store_empty(tmp_path)


def test_node_dying_mid_ingest_leaves_whole_batches_and_resumes(chain, server, tmp_path):
    cache = tmp_path / "c"
    server.fail_after = 40          # a few batches get through, then HTTP 503 for good
    r = run_cli(*rpc_args(server, "--confirmations", "0", "--batch-blocks", "50", "--workers", "1"),
                cache=cache, env={"COSTBASIS_RPC_RETRIES": "1"})
    assert r.returncode != 0
    assert len(r.stderr.strip().splitlines()) == 1 and "503" in r.stderr
    cs = Store(cache).chain("bitcoin-regtest")
    tip = cs.tip()
    assert tip is not None and (tip[0] + 1) % 50 == 0 and tip[0] < BLOCKS      # only whole batches committed
    assert read_store(cache)["blocks"]["height"].to_pylist() == list(range(tip[0] + 1))
    server.fail_after = None
    r = run_cli(*rpc_args(server, "--confirmations", "0", "--batch-blocks", "50"), cache=cache)
    assert r.returncode == 0, r.stderr
    ref = tmp_path / "ref"
    assert run_cli("ingest", "bitcoin", "--datadir", str(chain[0]), "--network", "regtest", "--no-progress",
                   cache=ref).returncode == 0
    a, b = read_store(cache), read_store(ref)
    for t in schema.TABLES:
        assert a[t].equals(b[t]), t


def test_retries_on_503_drop_and_warmup(server):
    src = RpcSource(server.url, user="alice", password=PASSWORD, workers=2, retries=4, backoff=0.01)
    server.fail_next, server.fail_mode = 2, "503"
    assert src.best_height() == BLOCKS
    server.fail_next, server.fail_mode = 1, "drop"
    assert src.hash_at(7) == server.data.blocks[7]["hash"]
    server.warmup_next = 2
    before = server.requests
    batches = list(src.read(100, 140, 20))
    assert [(b.first, b.last) for b in batches] == [(100, 119), (120, 139), (140, 140)]
    assert server.requests > before
    assert src.hash_at(BLOCKS + 1) is None
    server.fail_next, server.fail_mode = 10, "503"
    with pytest.raises(CostbasisError, match="HTTP 503.*gave up after 3 attempts"):
        RpcSource(server.url, user="alice", password=PASSWORD, retries=2, backoff=0.01)


def test_cookie_auth_and_password_hygiene(chain, tmp_path):
    d, data = chain
    cookie = d / "regtest" / ".cookie"
    with BitcoindRpcServer(data=data, cookie_file=cookie) as srv:
        secret = cookie.read_text().split(":")[1]
        src = rpc_source_from_options(srv.url, rpc_cookie=cookie)
        assert src.best_height() == BLOCKS and src.network == "regtest"
        # a datadir without explicit credentials means its cookie
        src2 = rpc_source_from_options(srv.url, datadir=d, network="regtest")
        assert src2.hash_at(3) == data.blocks[3]["hash"]
        assert secret not in repr(src) + repr(src.client)
        r = run_cli("ingest", "bitcoin", "--rpc-url", srv.url, "--rpc-cookie", str(cookie), "--network", "regtest",
                    "--confirmations", "0", "--end", "20", "--no-progress", cache=tmp_path / "c")
        assert r.returncode == 0, r.stderr
        assert Store(tmp_path / "c").chain("bitcoin-regtest").tip()[0] == 20
        assert secret not in r.stdout + r.stderr
        # the CLI finds the cookie in the node's datadir when no credentials are given
        r = run_cli("ingest", "bitcoin", "--rpc-url", srv.url, "--datadir", str(d), "--network", "regtest",
                    "--confirmations", "0", "--end", "30", "--no-progress", "--rpc-timeout", "5", "--rpc-retries", "1",
                    cache=tmp_path / "c")
        assert r.returncode == 0, r.stderr
        assert Store(tmp_path / "c").chain("bitcoin-regtest").tip()[0] == 30
        assert secret not in r.stdout + r.stderr
    with BitcoindRpcServer(data=data, user="alice", password=PASSWORD) as srv:
        with pytest.raises(CostbasisError) as e:
            RpcSource(f"http://alice:{PASSWORD}x@127.0.0.1:{srv.port}", retries=0)
        assert "401" in str(e.value) and PASSWORD not in str(e.value)
        # credentials inside the URL work and are stripped from it
        src = RpcSource(f"http://alice:{PASSWORD}@127.0.0.1:{srv.port}")
        assert PASSWORD not in repr(src) and src.best_height() == BLOCKS
        with pytest.raises(CostbasisError, match="runs regtest, not main"):
            RpcSource(srv.url, user="alice", password=PASSWORD, network="main")
    with pytest.raises(CostbasisError, match="cannot read RPC cookie file"):
        rpc_source_from_options("http://127.0.0.1:1", rpc_cookie=tmp_path / "missing.cookie")


def test_non_json_answer(tmp_path):
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class H(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b"<html>hello</html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        r = run_cli("ingest", "bitcoin", "--rpc-url", f"http://127.0.0.1:{httpd.server_address[1]}", "--rpc-user",
                    "u", "--rpc-password", PASSWORD, "--network", "regtest", cache=tmp_path)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert r.returncode != 0
    assert len(r.stderr.strip().splitlines()) == 1 and "did not answer JSON" in r.stderr
    assert_store_empty(tmp_path)
