"""The test RPC server itself answers like Bitcoin Core, and BTC amounts convert to sats exactly."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import sys
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest

from costbasis.regtest import ChainBuilder
from costbasis.bitcoin.rpc import btc_to_sats

sys.path.insert(0, str(Path(__file__).parent))
from support.bitcoind_rpc_server import BitcoindRpcServer  # noqa: E402

pytestmark = pytest.mark.node   # a real node: anvil or the Bitcoin-Core-like RPC server


def post(srv, payload, auth=("u", "p")):
    req = urllib.request.Request(srv.url, data=json.dumps(payload).encode(), method="POST")
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    d = tmp_path_factory.mktemp("srv")
    cb = ChainBuilder(d, start_time=1_700_000_000, seed="srv")
    w = cb.wallet("w", "p2tr")
    cb.mine(101, to=w)
    cb.send(w, [(cb.miner, 123_456_789), (cb.miner, 1)], fee=1_000)
    cb.mine(1)
    cb.close()
    with BitcoindRpcServer(d, user="u", password="p") as s:
        yield s


def test_core_shapes_and_errors(srv):
    st, body = post(srv, {"method": "getblockcount", "params": [], "id": 1})
    assert st == 200 and json.loads(body) == {"result": 102, "error": None, "id": 1}
    st, body = post(srv, {"jsonrpc": "2.0", "method": "getblockhash", "params": [999], "id": "x"})
    assert st == 200 and json.loads(body) == {"jsonrpc": "2.0", "error": {"code": -8, "message": "Block height out of range"}, "id": "x"}
    st, body = post(srv, {"method": "getblock", "params": ["00" * 32], "id": 2})
    assert st == 500 and json.loads(body)["error"]["code"] == -5
    st, body = post(srv, {"method": "nosuch", "params": [], "id": 3})
    assert st == 404 and json.loads(body)["error"]["code"] == -32601
    st, _ = post(srv, {"method": "getblockcount", "params": [], "id": 1}, auth=("u", "bad"))
    assert st == 401
    st, body = post(srv, [{"method": "getblockhash", "params": [h], "id": h} for h in (0, 102, 103)])
    replies = json.loads(body)
    assert st == 200 and [r["id"] for r in replies] == [0, 102, 103] and replies[2]["error"]["code"] == -8
    # regtest genesis hash is a published constant
    assert replies[0]["result"] == "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"


def test_block_views_are_consistent(srv):
    h = json.loads(post(srv, {"method": "getblockhash", "params": [102], "id": 1})[1])["result"]
    raw = bytes.fromhex(json.loads(post(srv, {"method": "getblock", "params": [h, 0], "id": 1})[1])["result"])
    assert hashlib.sha256(hashlib.sha256(raw[:80]).digest()).digest()[::-1].hex() == h
    hdr = json.loads(post(srv, {"method": "getblockheader", "params": [h, False], "id": 1})[1])["result"]
    assert bytes.fromhex(hdr) == raw[:80]
    v1 = json.loads(post(srv, {"method": "getblock", "params": [h, 1], "id": 1})[1])["result"]
    assert v1["size"] == len(raw) and v1["nTx"] == 2 and v1["confirmations"] == 1 and "nextblockhash" not in v1
    text = post(srv, {"method": "getblock", "params": [h, 3], "id": 1})[1].decode()
    assert '"value": 1.23456789' in text and '"value": 0.00000001' in text    # Core prints 8 decimals
    v3 = json.loads(text, parse_float=Decimal)["result"]
    spend = v3["tx"][1]
    p = spend["vin"][0]["prevout"]
    assert p["generated"] is True and p["height"] == 1 and p["value"] == Decimal("50.00000000")
    assert spend["fee"] == Decimal("0.00001000")
    assert len(spend["vin"][0]["txinwitness"]) == 1 and len(spend["vin"][0]["txinwitness"][0]) == 128
    v2 = json.loads(post(srv, {"method": "getblock", "params": [h, 2], "id": 1})[1])["result"]
    assert "prevout" not in v2["tx"][1]["vin"][0]
    info = json.loads(post(srv, {"method": "getblockchaininfo", "params": [], "id": 1})[1])["result"]
    assert info["chain"] == "regtest" and info["blocks"] == 102 and info["bestblockhash"] == h


def test_btc_to_sats_exact():
    rng = random.Random(7)
    values = [0, 1, 10, 99_999_999, 100_000_000, 2_099_999_997_690_000, 2_100_000_000_000_000]
    values += [rng.randrange(0, 2_100_000_000_000_000) for _ in range(20_000)]
    for v in values:
        core_text = f"{v // 100_000_000}.{v % 100_000_000:08d}"       # Bitcoin Core's formatting
        assert btc_to_sats(json.loads(core_text, parse_float=Decimal)) == v
        assert btc_to_sats(json.loads(json.dumps(v / 1e8), parse_float=Decimal)) == v   # a float-printing node
