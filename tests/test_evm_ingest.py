"""EVM ingestion against a real anvil node: every row checked against the scenario's known values."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from costbasis.errors import CostbasisError
from costbasis.evm.ingest import ingest_evm
from costbasis.store import Store
from support.anvil import (DEV0, ETH, EXCHANGE, GENESIS_TS, GWEI, ZERO, Scenario, Wallet, anvil_factory,  # noqa: F401
                         day_ts)

pytestmark = pytest.mark.node   # a real node: anvil or the Bitcoin-Core-like RPC server


@pytest.fixture(scope="module")
def scenario(anvil_factory):
    node = anvil_factory(genesis_timestamp=GENESIS_TS, extra=["--order", "fifo"])
    return Scenario(node)


def read(store: Store, chain: str, table: str):
    files = store.chain(chain).files(table)
    return pq.read_table(files).to_pylist() if files else []


def expected_native(s: Scenario) -> list[tuple]:
    """(block, transfer_index, tx key, trace_address, type, from, to, wei) worked out from the scenario."""
    sp, sp2 = s.splitter, s.splitter2
    return [
        (1, 0, "fund_alice", "", "call", DEV0, s.alice.address, 10 * ETH),
        (2, 0, "alice_to_bob", "", "call", s.alice.address, s.bob.address, 4 * ETH),
        (2, 1, "split", "", "call", DEV0, sp, 3 * ETH),
        (2, 2, "split", "0", "call", sp, s.bob.address, 3 * ETH // 2),
        (2, 3, "split", "1", "call", sp, s.carol.address, 3 * ETH - 3 * ETH // 2),
        # split_revert: reverted transaction, no row; split2: the call into the reverter failed, no row
        (2, 4, "split2", "", "call", DEV0, sp2, 2 * ETH),
        (2, 5, "split2", "0", "call", sp2, s.carol.address, 1 * ETH),
        (3, 0, "bob_to_carol", "", "call", s.bob.address, s.carol.address, 2 * ETH),
        (3, 1, "alice_self", "", "call", s.alice.address, s.alice.address, 1 * ETH),
        (3, 2, "alice_to_exchange", "", "call", s.alice.address, EXCHANGE, 2 * ETH),
        (4, 0, "carol_to_exchange", "", "call", s.carol.address, EXCHANGE, 3 * ETH),
    ]


def check_native(rows: list[dict], s: Scenario) -> None:
    got = [(r["block_number"], r["transfer_index"], r["transaction_hash"], r["trace_address"], r["transfer_type"],
            r["from_address"], r["to_address"], r["value_wei"], r["value_eth"], r["block_timestamp"]) for r in rows]
    want = [(b, i, s.tx[k], ta, ty, f, t, str(v), v / ETH, day_ts(b)) for b, i, k, ta, ty, f, t, v in expected_native(s)]
    assert got == want


@pytest.mark.parametrize("traces", ["auto", "geth"])
def test_ingest_every_row(scenario, tmp_path, traces):
    s = scenario
    store = Store(tmp_path / "cache")
    res = ingest_evm(store, s.node.url, chain="anvil", confirmations=0, traces=traces, blocks_per_file=2, batch_size=3)
    assert res.trace_mode == ("parity" if traces == "auto" else "geth")
    assert (res.first, res.last, res.blocks) == (0, 4, 5)
    cs = store.chain("anvil")
    # one file per block range, as cryo does
    assert [(e.first, e.last) for e in cs.entries("blocks")] == [(0, 1), (2, 3), (4, 4)]
    assert cs.meta["chain_id"] == 31337

    blocks = read(store, "anvil", "blocks")
    assert [b["block_number"] for b in blocks] == [0, 1, 2, 3, 4]
    assert [b["timestamp"] for b in blocks] == [GENESIS_TS] + [day_ts(i) for i in range(1, 5)]
    assert [b["transaction_count"] for b in blocks] == [0, 6, 4, 4, 2]
    for b in blocks:
        node_block = s.node.rpc("eth_getBlockByNumber", [hex(b["block_number"]), False])
        assert b["block_hash"] == node_block["hash"]
        assert b["parent_hash"] == node_block["parentHash"]
    assert cs.tip() == (4, blocks[-1]["block_hash"])

    txs = {r["transaction_hash"]: r for r in read(store, "anvil", "transactions")}
    assert len(txs) == 16
    senders = {"alice_to_bob": s.alice.address, "alice_self": s.alice.address, "alice_token_to_bob": s.alice.address,
               "alice_to_exchange": s.alice.address, "bob_to_carol": s.bob.address, "bob_burn": s.bob.address,
               "carol_to_exchange": s.carol.address}
    values = {"fund_alice": 10 * ETH, "alice_to_bob": 4 * ETH, "split": 3 * ETH, "split_revert": 1 * ETH,
              "split2": 2 * ETH, "bob_to_carol": 2 * ETH, "alice_self": 1 * ETH, "alice_to_exchange": 2 * ETH,
              "carol_to_exchange": 3 * ETH}
    for key, h in s.tx.items():
        r = txs[h]
        gas = s.gas_used(key)
        assert r["from_address"] == senders.get(key, DEV0)
        assert r["status"] == (0 if key == "split_revert" else 1)
        assert r["gas_used"] == gas
        assert r["gas_price_wei"] == str(10 * GWEI)          # every scenario tx pays a legacy 10 gwei price
        assert r["fee_wei"] == str(gas * 10 * GWEI)
        assert r["fee_eth"] == pytest.approx(gas * 10 * GWEI / ETH, rel=1e-15)
        assert r["value_wei"] == str(values.get(key, 0))
        assert r["block_number"] == int(s.receipts[key]["blockNumber"], 16)
    # plain transfers cost exactly 21000 gas
    assert txs[s.tx["alice_to_bob"]]["fee_wei"] == str(21_000 * 10 * GWEI)
    assert txs[s.tx["deploy_token"]]["to_address"] is None
    assert txs[s.tx["deploy_token"]]["contract_address"] == s.token
    assert txs[s.tx["deploy_splitter2"]]["contract_address"] == s.splitter2
    assert txs[s.tx["alice_token_to_bob"]]["method_id"] == "0xa9059cbb"

    check_native(read(store, "anvil", "native_transfers"), s)

    erc = read(store, "anvil", "erc20_transfers")
    got = [(r["block_number"], r["transaction_hash"], r["token_address"], r["from_address"], r["to_address"],
            r["amount_raw"], r["amount_f64"]) for r in erc]
    want = [(1, s.tx["deploy_token"], s.token, ZERO, DEV0, 1000 * ETH),
            (1, s.tx["token_to_alice"], s.token, DEV0, s.alice.address, 100 * ETH),
            (3, s.tx["alice_token_to_bob"], s.token, s.alice.address, s.bob.address, 30 * ETH),
            (4, s.tx["bob_burn"], s.token, s.bob.address, ZERO, 10 * ETH)]
    assert got == [w[:5] + (str(w[5]), float(w[5])) for w in want]
    # the token has no decimals(): recorded as unknown
    assert cs.meta["erc20_decimals"] == {s.token: None}


def test_resume_and_confirmations(scenario, tmp_path):
    s = scenario
    store = Store(tmp_path / "cache")
    res = ingest_evm(store, s.node.url, chain="anvil", confirmations=2, end=3)
    head = s.node.block_number()
    assert res.last == min(3, head - 2)
    again = ingest_evm(store, s.node.url, chain="anvil", confirmations=0, end=3)
    assert (again.first, again.last) == (res.last + 1, 3)
    nothing = ingest_evm(store, s.node.url, chain="anvil", confirmations=0, end=3)
    assert nothing.blocks == 0
    rest = ingest_evm(store, s.node.url, chain="anvil", confirmations=0, end=4)
    assert (rest.first, rest.last) == (4, 4)
    check_native(read(store, "anvil", "native_transfers"), s)
    with pytest.raises(CostbasisError, match="gap"):
        ingest_evm(store, s.node.url, chain="anvil", confirmations=0, start=10)
    with pytest.raises(CostbasisError, match="http"):
        ingest_evm(store, "localhost:1", chain="anvil")


def test_token_filter(scenario, tmp_path):
    s = scenario
    store = Store(tmp_path / "cache")
    other = "0x" + "11" * 20
    ingest_evm(store, s.node.url, chain="anvil", confirmations=0, tokens=[other], end=4)
    assert read(store, "anvil", "erc20_transfers") == []
    store2 = Store(tmp_path / "cache2")
    ingest_evm(store2, s.node.url, chain="anvil", confirmations=0, tokens=[s.token.upper().replace("0X", "0x")], end=4)
    assert len(read(store2, "anvil", "erc20_transfers")) == 4


def test_reorg_rollback_and_reingest(anvil_factory, tmp_path):
    node = anvil_factory(genesis_timestamp=GENESIS_TS)
    dave, erin = Wallet("dave"), Wallet("erin")
    for i in range(1, 6):  # blocks 1..5, each paying dave i wei-ETH units
        node.wait_mined(node.send_dev(DEV0, dave.address, i * ETH, gas=21_000))
    assert node.block_number() == 5
    store = Store(tmp_path / "cache")
    ingest_evm(store, node.url, chain="anvil", confirmations=0, blocks_per_file=3)
    old_hashes = {r["block_number"]: r["block_hash"] for r in read(store, "anvil", "blocks")}
    # replace blocks 4 and 5 with one paying erin 7 ETH (in the new block 4) and an empty block 5
    node.rpc("anvil_reorg", [2, [[{"from": DEV0, "to": erin.address, "value": hex(7 * ETH)}, 0]]])
    assert node.block_number() == 5
    res = ingest_evm(store, node.url, chain="anvil", confirmations=0, blocks_per_file=3)
    assert res.rolled_back_to == 3
    assert (res.first, res.last) == (4, 5)
    blocks = read(store, "anvil", "blocks")
    assert [b["block_number"] for b in blocks] == [0, 1, 2, 3, 4, 5]
    for b in blocks:
        assert b["block_hash"] == node.rpc("eth_getBlockByNumber", [hex(b["block_number"]), False])["hash"]
        if b["block_number"] <= 3:
            assert b["block_hash"] == old_hashes[b["block_number"]]
        else:
            assert b["block_hash"] != old_hashes[b["block_number"]]
    nt = [(r["block_number"], r["to_address"], r["value_wei"]) for r in read(store, "anvil", "native_transfers")]
    assert nt == [(1, dave.address, str(1 * ETH)), (2, dave.address, str(2 * ETH)), (3, dave.address, str(3 * ETH)),
                  (4, erin.address, str(7 * ETH))]
    # the straddling file 3-5 was cut at 3 and the new range written after it
    assert [(e.first, e.last) for e in store.chain("anvil").entries("blocks")] == [(0, 2), (3, 3), (4, 5)]
    assert len(read(store, "anvil", "transactions")) == 4


def test_cli_command(scenario, tmp_path):
    from costbasis.cli.ingest_evm import register_evm

    app = typer.Typer()
    ingest_app = typer.Typer()
    register_evm(ingest_app)
    app.add_typer(ingest_app, name="ingest")

    @app.callback()
    def root(ctx: typer.Context):
        ctx.obj = {"cache": tmp_path / "cache"}

    runner = CliRunner()
    r = runner.invoke(app, ["ingest", "evm", "--help"])
    assert r.exit_code == 0 and "Example:" in r.output
    r = runner.invoke(app, ["ingest", "evm", "--rpc-url", scenario.node.url, "--chain", "anvil", "--confirmations", "0",
                            "--end", "4"])
    assert r.exit_code == 0, r.output
    assert "blocks 0-4" in r.output
    r = runner.invoke(app, ["ingest", "evm", "--rpc-url", scenario.node.url, "--chain", "anvil", "--confirmations", "0",
                            "--end", "4"])
    assert "up to date at block 4" in r.output


def test_real_cli_subprocess(scenario, tmp_path):
    from tests.conftest import run_cli

    cache = tmp_path / "cache"
    p = run_cli("ingest", "evm", "--rpc-url", scenario.node.url, "--chain", "anvil", "--confirmations", "0",
                "--end", "4", "--workers", "2", cache=cache)
    if "No such command 'evm'" in p.stderr:
        pytest.skip("costbasis ingest does not register the evm subcommand yet")
    assert p.returncode == 0, p.stderr
    assert "anvil: blocks 0-4" in p.stdout
    assert Store(cache).chain("anvil").tip()[0] == 4
    bad = run_cli("ingest", "evm", "--rpc-url", "localhost:8545", cache=cache)
    assert bad.returncode != 0
    assert bad.stderr.strip().startswith("error: --rpc-url must be an http(s) URL")
    assert "Traceback" not in bad.stderr


class LimitedNode:
    """A real HTTP JSON-RPC endpoint in front of anvil that behaves like a rate-limited provider:
    batches over `max_batch` get HTTP 413, the first request gets a 503, eth_getLogs over more than
    one block is refused with "query returned more than 10000 results" (-32005)."""

    def __init__(self, upstream: str, max_batch: int = 4):
        import http.server
        import json
        import threading

        import requests

        self.stats = {"413": 0, "503": 0, "logs_refused": 0, "forwarded": 0}
        node = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code, body):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if node.stats["503"] == 0:
                    node.stats["503"] += 1
                    return self._send(503, None)
                items = req if isinstance(req, list) else [req]
                if len(items) > max_batch:
                    node.stats["413"] += 1
                    return self._send(413, None)
                out = []
                for it in items:
                    if it["method"] == "eth_getLogs":
                        f = it["params"][0]
                        if int(f["toBlock"], 16) > int(f["fromBlock"], 16):
                            node.stats["logs_refused"] += 1
                            out.append({"jsonrpc": "2.0", "id": it["id"],
                                        "error": {"code": -32005, "message": "query returned more than 10000 results"}})
                            continue
                    node.stats["forwarded"] += 1
                    out.append(requests.post(upstream, json=it).json())
                self._send(200, out if isinstance(req, list) else out[0])

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_limited_provider_batches_retries_and_log_splits(scenario, tmp_path):
    proxy = LimitedNode(scenario.node.url, max_batch=4)
    try:
        store = Store(tmp_path / "cache")
        res = ingest_evm(store, proxy.url, chain="anvil", confirmations=0, end=4, batch_size=50, workers=2,
                         blocks_per_file=5)
    finally:
        proxy.close()
    assert res.blocks == 5
    assert proxy.stats["503"] == 1 and proxy.stats["413"] >= 1 and proxy.stats["logs_refused"] >= 1
    direct = Store(tmp_path / "direct")
    ingest_evm(direct, scenario.node.url, chain="anvil", confirmations=0, end=4)
    for table in ("blocks", "transactions", "native_transfers", "erc20_transfers"):
        assert read(store, "anvil", table) == read(direct, "anvil", table), table
    check_native(read(store, "anvil", "native_transfers"), scenario)
