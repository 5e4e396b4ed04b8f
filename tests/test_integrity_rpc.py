"""Issue 10, findings 5 and 9 and the RPC "Also" items: secrets never in messages, a total deadline
per RPC request (a trickling server is cut off at --rpc-timeout), bad URLs / wrong JSON types /
bad ranges / bad --tokens are one-line errors, checked before the node is contacted.

All against a local misbehaving HTTP server (tests/support/fake_rpc_server.py), run through the real CLI."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
from support.fake_rpc_server import FakeRpcServer, refused_port

from conftest import run_cli
from support.cli import one_line_error

PASSWORD = "Hunter2-Secret"
BLOCK_HASH = "ab" * 32


def no_data(cache: Path) -> None:
    assert not list(cache.rglob("*.parquet")) if cache.exists() else True


def btc(url, *extra):
    return ("ingest", "bitcoin", "--rpc-url", url, "--rpc-user", "u", "--rpc-password", PASSWORD,
            "--network", "regtest", "--confirmations", "0", "--no-progress", *extra)


def evm(url, *extra):
    return ("ingest", "evm", "--rpc-url", url, "--chain", "anvil", "--confirmations", "0", "--traces", "none", *extra)


# ------------------------------------------------------------------ total deadline per request
@pytest.mark.parametrize("mode", ["trickle_body", "trickle_headers"])
@pytest.mark.parametrize("family", ["bitcoin", "evm"])
def test_trickling_server_is_cut_off_at_rpc_timeout(tmp_path, mode, family):
    """One byte every 0.2 s never trips a per-read timeout; the whole request must still end at 1 s."""
    with FakeRpcServer(mode, interval=0.2) as srv:
        args = (btc(srv.url) if family == "bitcoin" else evm(srv.url)) + ("--rpc-timeout", "1", "--rpc-retries", "1")
        t0 = time.monotonic()
        p = run_cli(*args, cache=tmp_path / "c", timeout=30)
        took = time.monotonic() - t0
    one_line_error(p, "timed out")
    assert took < 12, took                        # 2 attempts x 1 s + backoff + interpreter start
    assert PASSWORD not in p.stderr + p.stdout
    no_data(tmp_path / "c")


def test_evm_rpc_timeout_option_values(tmp_path):
    for value in ("0", "-1", "nan", "1e308"):
        p = run_cli(*evm(f"http://127.0.0.1:{refused_port()}", "--rpc-timeout", value), cache=tmp_path / "c")
        one_line_error(p, "--rpc-timeout must be > 0", code=2)
    assert not (tmp_path / "c").exists()


# ------------------------------------------------------------------ secrets
def test_password_in_url_is_never_printed(tmp_path):
    # refused connection, HTTP 500 and a timeout: every error message names the URL
    p = run_cli(*evm(f"http://alice:{PASSWORD}@127.0.0.1:{refused_port()}", "--rpc-retries", "0"), cache=tmp_path / "c")
    one_line_error(p, "127.0.0.1", "connection refused")
    assert PASSWORD not in p.stderr + p.stdout
    for mode in ("status", "trickle_body"):
        with FakeRpcServer(mode, interval=0.5) as srv:
            url = srv.url.replace("http://", f"http://alice:{PASSWORD}@")
            p = run_cli(*evm(url, "--rpc-timeout", "1", "--rpc-retries", "0"), cache=tmp_path / "c", timeout=30)
            sent = srv.auth
        one_line_error(p, f"127.0.0.1:{srv.port}")
        assert PASSWORD not in p.stderr + p.stdout
        # the credentials still authenticate us, as HTTP basic auth
        assert sent == "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    # the Bitcoin client shares the redaction
    with FakeRpcServer("status", status=500) as srv:
        url = srv.url.replace("http://", f"http://alice:{PASSWORD}@")
        p = run_cli("ingest", "bitcoin", "--rpc-url", url, "--network", "regtest", "--rpc-retries", "0",
                    cache=tmp_path / "c")
    one_line_error(p, "500")
    assert PASSWORD not in p.stderr + p.stdout


def test_help_says_command_line_passwords_show_in_ps():
    out = " ".join(run_cli("ingest", "bitcoin", "--help", check=True, env={"COLUMNS": "200"}).stdout.split())
    assert "ps" in out and "COSTBASIS_RPC_PASSWORD" in out and "--rpc-cookie" in out
    out = " ".join(run_cli("ingest", "evm", "--help", check=True, env={"COLUMNS": "200"}).stdout.split())
    assert "ps" in out and "COSTBASIS_EVM_RPC" in out and "--rpc-timeout" in out


# ------------------------------------------------------------------ bad URLs
BAD_URLS = ["http://127.0.0.1:99999", "http://[::1", "http://127.0.0.1:notaport", "http://[::1:8332"]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("family", ["bitcoin", "evm"])
def test_bad_url_is_one_line(tmp_path, url, family):
    p = run_cli(*(btc(url) if family == "bitcoin" else evm(url)), cache=tmp_path / "c", timeout=30)
    one_line_error(p, "--rpc-url")
    assert PASSWORD not in p.stderr
    assert not (tmp_path / "c").exists()


# ------------------------------------------------------------------ results of the wrong JSON type
BTC_INFO = {"chain": "regtest", "pruned": False}
BTC_CASES = {
    "info is a list": {"getblockchaininfo": [1, 2]},
    "info is a string": {"getblockchaininfo": "regtest"},
    "count is an object": {"getblockchaininfo": BTC_INFO, "getblockcount": {"n": 1}},
    "count is a word": {"getblockchaininfo": BTC_INFO, "getblockcount": "zero"},
    "hash is a list": {"getblockchaininfo": BTC_INFO, "getblockcount": 0, "getblockhash": [BLOCK_HASH],
                       "getblock": "block"},
    "block is a string": {"getblockchaininfo": BTC_INFO, "getblockcount": 0, "getblockhash": BLOCK_HASH,
                          "getblock": "block"},
    "block txs are a string": {"getblockchaininfo": BTC_INFO, "getblockcount": 0, "getblockhash": BLOCK_HASH,
                               "getblock": {"height": 0, "hash": BLOCK_HASH, "tx": "none"}},
}


@pytest.mark.parametrize("case", list(BTC_CASES))
def test_bitcoin_rpc_wrong_json_type_is_one_line(tmp_path, case):
    with FakeRpcServer("json", answers=BTC_CASES[case]) as srv:
        p = run_cli(*btc(srv.url, "--rpc-retries", "0"), cache=tmp_path / "c", timeout=60)
    one_line_error(p)
    no_data(tmp_path / "c")


EVM_CASES = {
    "chain id is a list": {"eth_chainId": [1]},
    "chain id is an object": {"eth_chainId": {"id": 1}},
    "chain id is not hex": {"eth_chainId": "0xzz"},
    "head is a list": {"eth_chainId": "0x1", "eth_blockNumber": ["0x2"]},
    "block is a string": {"eth_chainId": "0x1", "eth_blockNumber": "0x2", "eth_getBlockByNumber": "block"},
    "block is a list": {"eth_chainId": "0x1", "eth_blockNumber": "0x2", "eth_getBlockByNumber": [1, 2]},
}


@pytest.mark.parametrize("case", list(EVM_CASES))
def test_evm_rpc_wrong_json_type_is_one_line(tmp_path, case):
    with FakeRpcServer("json", answers=EVM_CASES[case]) as srv:
        p = run_cli(*evm(srv.url, "--end", "1"), cache=tmp_path / "c", timeout=60)
    one_line_error(p)
    no_data(tmp_path / "c")


def test_evm_request_refused_for_good_is_bounded(tmp_path):
    """A single-request batch the node keeps refusing (HTTP 413) ends after --rpc-retries, not in a recursion."""
    with FakeRpcServer("status", status=413) as srv:
        t0 = time.monotonic()
        p = run_cli(*evm(srv.url, "--rpc-retries", "2"), cache=tmp_path / "c", timeout=60)
        assert time.monotonic() - t0 < 30
        assert srv.requests == 3
    one_line_error(p, "413")


# ------------------------------------------------------------------ ranges and tokens, before the node
def test_evm_start_after_end_is_a_usage_error(tmp_path):
    with FakeRpcServer("json", answers={"eth_chainId": "0x1", "eth_blockNumber": "0x20"}) as srv:
        p = run_cli(*evm(srv.url, "--start", "10", "--end", "3"), cache=tmp_path / "c", timeout=60)
        assert srv.requests == 0
    one_line_error(p, "--start 10", "--end 3", code=2)
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("tokens", ["0x" + "g" * 40, "0x" + "a" * 39, "a" * 42, "0x" + "a" * 40 + ",0xnothex", "", " , "])
def test_evm_bad_tokens_rejected_before_the_node(tmp_path, tokens):
    with FakeRpcServer("json", answers={"eth_chainId": "0x1", "eth_blockNumber": "0x0"}) as srv:
        p = run_cli(*evm(srv.url, "--tokens", tokens), cache=tmp_path / "c", timeout=60)
        assert srv.requests == 0
    one_line_error(p, "--tokens", code=2)
    assert not (tmp_path / "c").exists()
