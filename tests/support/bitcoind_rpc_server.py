"""A local HTTP server that answers like Bitcoin Core's JSON-RPC, for tests.

The chain is read from a real datadir through libbitcoinkernel objects (blocks, undo data,
header fields) plus a tiny transaction splitter for scriptSig/witness/stripped size, and
nothing from costbasis' own block parser — so comparing the RPC source's rows with the
datadir source's rows checks two independent paths.

Methods: getblockcount, getbestblockhash, getblockhash, getblock (verbosity 0-3),
getblockheader (verbose true/false), getblockchaininfo. JSON-RPC 1.0 (HTTP 500/404 on error,
as Core) and 2.0 replies, batches, HTTP 401 on bad credentials, error codes -5/-8/-28/-32601.
Fault injection: `delay` seconds before answering, `fail_next` requests answered with
HTTP 503 (or connection drop), `warmup_next` requests answered with -28.

    with BitcoindRpcServer(datadir, user="u", password="p") as srv:
        srv.url, srv.tip (visible tip; set_tip(h) hides later blocks)
        srv.set_data(other_chain_data, tip)   # a reorg: serve another chain (e.g. a fork's datadir)
        srv.stop(); srv.start()               # a node restart: same port

Beside a running node: ChainData(datadir, keep_open=True) keeps libbitcoinkernel's chainstate open,
so the datadir stays locked as bitcoind keeps it (close() releases it); hashes_only=True reads just
the block hashes and headers (enough for getblockhash/getblockheader, fast on big chains).
Standalone: python tests/support/bitcoind_rpc_server.py DATADIR [--port N] [--cookie FILE]
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pbk

from costbasis.bitcoin.address import script_to_address

CHAIN_TYPES = {"regtest": ("REGTEST", "regtest"), "main": ("MAINNET", "main"), "testnet": ("TESTNET", "test"),
               "signet": ("SIGNET", "signet"), "testnet4": ("TESTNET_4", "testnet4")}
AMOUNT = re.compile(r'"__AMT__(-?\d+)"')


def _amt(sats: int) -> str:
    return f"__AMT__{sats}"


def _fmt_amount(m: re.Match) -> str:
    v = int(m.group(1))
    sign = "-" if v < 0 else ""
    v = abs(v)
    return f"{sign}{v // 100_000_000}.{v % 100_000_000:08d}"


def _varint(b: bytes, i: int) -> tuple[int, int]:
    n = b[i]
    if n < 0xFD:
        return n, i + 1
    size = {0xFD: 2, 0xFE: 4, 0xFF: 8}[n]
    return int.from_bytes(b[i + 1:i + 1 + size], "little"), i + 1 + size


def split_tx(raw: bytes) -> dict:
    """scriptSigs, witnesses and sizes of one serialized transaction."""
    i = 4
    segwit = raw[4] == 0 and raw[5] == 1
    if segwit:
        i = 6
    nin, i = _varint(raw, i)
    sigs, seqs = [], []
    for _ in range(nin):
        i += 36
        n, i = _varint(raw, i)
        sigs.append(raw[i:i + n])
        i += n
        seqs.append(struct.unpack_from("<I", raw, i)[0])
        i += 4
    nout, i = _varint(raw, i)
    for _ in range(nout):
        i += 8
        n, i = _varint(raw, i)
        i += n
    body_end = i
    wits = [[] for _ in range(nin)]
    if segwit:
        for k in range(nin):
            items, i = _varint(raw, i)
            for _ in range(items):
                n, i = _varint(raw, i)
                wits[k].append(raw[i:i + n])
                i += n
    wit_len = (i - body_end + 2) if segwit else 0
    stripped = len(raw) - wit_len
    return {"version": struct.unpack_from("<i", raw, 0)[0], "script_sigs": sigs, "sequences": seqs,
            "witness": wits, "size": len(raw), "stripped": stripped, "weight": stripped * 3 + len(raw),
            "locktime": struct.unpack_from("<I", raw, len(raw) - 4)[0]}


def script_type(s: bytes) -> str:
    n = len(s)
    if n == 25 and s[:3] == b"\x76\xa9\x14" and s[23:] == b"\x88\xac":
        return "pubkeyhash"
    if n == 23 and s[:2] == b"\xa9\x14" and s[22] == 0x87:
        return "scripthash"
    if n == 22 and s[:2] == b"\x00\x14":
        return "witness_v0_keyhash"
    if n == 34 and s[:2] == b"\x00\x20":
        return "witness_v0_scripthash"
    if n == 34 and s[:2] == b"\x51\x20":
        return "witness_v1_taproot"
    if n and s[0] == 0x6A:
        return "nulldata"
    if (n == 35 and s[0] == 33 or n == 67 and s[0] == 65) and s[-1] == 0xAC:
        return "pubkey"
    if n >= 37 and s[-1] == 0xAE:
        return "multisig"
    return "nonstandard"


ADDRESS_KIND = {"pubkeyhash": "p2pkh", "scripthash": "p2sh", "witness_v0_keyhash": "p2wpkh",
                "witness_v0_scripthash": "p2wsh", "witness_v1_taproot": "p2tr"}


def _spk(script: bytes, network: str) -> dict:
    t = script_type(script)
    d = {"asm": "", "hex": script.hex(), "type": t}
    if t in ADDRESS_KIND:
        d["address"] = script_to_address(ADDRESS_KIND[t], script, network)
    return d


def _work(bits: int) -> int:
    exp, mant = bits >> 24, bits & 0x7FFFFF
    target = mant << (8 * (exp - 3)) if exp > 3 else mant >> (8 * (3 - exp))
    return (1 << 256) // (target + 1)


def _difficulty(bits: int) -> float:
    exp, mant = bits >> 24, bits & 0xFFFFFF
    d = 0x0000FFFF / mant
    shift = exp
    while shift < 29:
        d *= 256.0
        shift += 1
    while shift > 29:
        d /= 256.0
        shift -= 1
    return d


class ChainData:
    """Everything the RPC answers need, read once through libbitcoinkernel (then released)."""

    def __init__(self, datadir: Path, network: str = "regtest", keep_open: bool = False, hashes_only: bool = False):
        kind, self.chain_name = CHAIN_TYPES[network]
        self._cm = None
        self.network = network
        d = Path(datadir)
        sub = {"main": "", "testnet": "testnet3"}.get(network, network)
        if sub and (d / sub / "blocks").is_dir():      # Core's per-network subdirectory
            d = d / sub
        cm = pbk.load_chainman(d, getattr(pbk.ChainType, kind))
        chain = cm.get_active_chain()
        self.blocks: list[dict] = []          # verbosity-3 dicts without confirmations/nextblockhash
        self.raw: list[bytes] = []
        self.headers: list[bytes] = []
        self.by_hash: dict[str, int] = {}
        times, work = [], 0
        for h in range(chain.height + 1):
            entry = chain.block_tree_entries[h]
            hdr = entry.block_header
            if hashes_only:
                times.append(int(hdr.timestamp.timestamp()))
                bhash = str(entry.block_hash)
                self.blocks.append({"hash": bhash, "height": h, "time": times[-1], "bits": f"{hdr.bits:08x}",
                                    "mediantime": sorted(times[-11:])[len(times[-11:]) // 2],
                                    "difficulty": _difficulty(hdr.bits), "chainwork": "00" * 32,
                                    **({"previousblockhash": str(hdr.prev_hash)} if h > 0 else {})})
                self.raw.append(b"")
                self.headers.append(b"")
                self.by_hash[bhash] = h
                continue
            block = cm.blocks[entry]
            raw = bytes(block)
            head = raw[:80]
            undo = list(cm.block_spent_outputs[entry].transactions) if h > 0 else []
            times.append(int(hdr.timestamp.timestamp()))
            work += _work(hdr.bits)
            txs, stripped_total = [], 0
            for t, tx in enumerate(block.transactions):
                traw = bytes(tx)
                parts = split_tx(traw)
                stripped_total += parts["stripped"]
                vin = []
                in_sum = 0
                coins = list(undo[t - 1].coins) if t > 0 else []
                for k, inp in enumerate(tx.inputs):
                    wit = [w.hex() for w in parts["witness"][k]]
                    if t == 0:
                        v = {"coinbase": parts["script_sigs"][k].hex()}
                    else:
                        op = inp.out_point
                        c = coins[k]
                        spk = bytes(c.output.script_pubkey)
                        in_sum += c.output.amount
                        v = {"txid": str(op.txid), "vout": op.index,
                             "scriptSig": {"asm": "", "hex": parts["script_sigs"][k].hex()}}
                        v["prevout"] = {"generated": bool(c.is_coinbase), "height": c.confirmation_height,
                                        "value": _amt(c.output.amount), "scriptPubKey": _spk(spk, network)}
                    if wit:
                        v["txinwitness"] = wit
                    v["sequence"] = inp.sequence
                    vin.append(v)
                vout, out_sum = [], 0
                for n, o in enumerate(tx.outputs):
                    out_sum += o.amount
                    vout.append({"value": _amt(o.amount), "n": n,
                                 "scriptPubKey": _spk(bytes(o.script_pubkey), network)})
                txd = {"txid": str(tx.txid), "hash": hashlib.sha256(hashlib.sha256(traw).digest()).digest()[::-1].hex(),
                       "version": parts["version"], "size": parts["size"],
                       "vsize": (parts["weight"] + 3) // 4, "weight": parts["weight"], "locktime": tx.locktime,
                       "vin": vin, "vout": vout}
                if t > 0:
                    txd["fee"] = _amt(in_sum - out_sum)
                txd["hex"] = traw.hex()
                txs.append(txd)
            ntx = len(txs)
            nb = len(raw) - 80 - sum(p["size"] for p in txs)   # varint(ntx) length
            stripped = 80 + nb + stripped_total
            bhash = str(entry.block_hash)
            b = {"hash": bhash, "height": h, "version": hdr.version, "versionHex": f"{hdr.version & 0xffffffff:08x}",
                 "merkleroot": head[36:68][::-1].hex(), "time": times[-1],
                 "mediantime": sorted(times[-11:])[len(times[-11:]) // 2], "nonce": hdr.nonce,
                 "bits": f"{hdr.bits:08x}", "difficulty": _difficulty(hdr.bits), "chainwork": f"{work:064x}",
                 "nTx": ntx, "strippedsize": stripped, "size": len(raw), "weight": stripped * 3 + len(raw),
                 "tx": txs}
            if h > 0:
                b["previousblockhash"] = str(hdr.prev_hash)
            self.blocks.append(b)
            self.raw.append(raw)
            self.headers.append(head)
            self.by_hash[bhash] = h
        del chain
        if keep_open:
            self._cm = cm                     # holds the datadir's locks, as a running bitcoind does
        else:
            del cm

    def close(self) -> None:
        """Release a datadir kept open (keep_open=True)."""
        cm, self._cm = self._cm, None
        if cm is not None:
            cm.__exit__(None, None, None)
            del cm
            import gc
            gc.collect()


class RpcFault(Exception):
    def __init__(self, code: int, message: str):
        self.code, self.message = code, message


class BitcoindRpcServer:
    def __init__(self, datadir: Path | str | None = None, network: str = "regtest", user: str | None = "user",
                 password: str | None = "pass", cookie_file: Path | str | None = None, port: int = 0,
                 data: ChainData | None = None):
        self.data = data or ChainData(Path(datadir), network)
        self.lock = threading.Lock()
        if cookie_file is not None:
            user, password = "__cookie__", secrets.token_hex(16)
            Path(cookie_file).write_text(f"{user}:{password}")
        self.credentials = f"{user}:{password}" if user is not None else None
        self.tip = len(self.data.blocks) - 1
        self.delay = 0.0
        self.fail_next = 0           # answer HTTP 503 to the next N requests
        self.fail_mode = "503"       # or "drop": close the connection without an answer
        self.warmup_next = 0         # answer -28 "Loading block index..." to the next N requests
        self.fail_after = None       # answer HTTP 503 to every request after this many (a node going down)
        self.requests = 0
        self.calls: dict[str, int] = {}
        self._port = port
        self.httpd = None

    # -- lifecycle
    def start(self) -> "BitcoindRpcServer":
        rpc = self

        class Handler(_Handler):
            server_rpc = rpc
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self.httpd.daemon_threads = True
        self._port = self.httpd.server_address[1]    # a restart (stop, start) keeps the port
        threading.Thread(target=self.httpd.serve_forever, name="bitcoind-rpc", daemon=True).start()
        return self

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_tip(self, height: int) -> None:
        self.tip = min(height, len(self.data.blocks) - 1)

    def set_data(self, data: "ChainData", tip: int | None = None) -> None:
        """Serve another chain from now on (a reorg when it forks from the current one)."""
        with self.lock:
            self.data = data
            self.tip = len(data.blocks) - 1 if tip is None else min(tip, len(data.blocks) - 1)

    # -- RPC methods
    def _height_of(self, h) -> int:
        if not isinstance(h, str) or len(h) != 64 or not all(c in "0123456789abcdefABCDEF" for c in h):
            raise RpcFault(-8, f"blockhash must be of length 64 (not {len(str(h))}, for '{h}')")
        height = self.data.by_hash.get(h.lower())
        if height is None or height > self.tip:
            raise RpcFault(-5, "Block not found")
        return height

    def _dynamic(self, height: int, d: dict) -> dict:
        d = dict(d)
        d["confirmations"] = self.tip - height + 1
        if height < self.tip:
            d["nextblockhash"] = self.data.blocks[height + 1]["hash"]
        return d

    def dispatch(self, method: str, params: list):
        with self.lock:
            self.calls[method] = self.calls.get(method, 0) + 1
        data = self.data
        if method == "getblockcount":
            return self.tip
        if method == "getbestblockhash":
            return data.blocks[self.tip]["hash"]
        if method == "getblockhash":
            if len(params) != 1 or not isinstance(params[0], int) or isinstance(params[0], bool):
                raise RpcFault(-1, "getblockhash height")
            h = params[0]
            if h < 0 or h > self.tip:
                raise RpcFault(-8, "Block height out of range")
            return data.blocks[h]["hash"]
        if method == "getblockheader":
            if not params:
                raise RpcFault(-1, "getblockheader \"blockhash\" ( verbose )")
            h = self._height_of(params[0])
            if len(params) > 1 and params[1] is False:
                return data.headers[h].hex()
            b = {k: v for k, v in data.blocks[h].items() if k not in ("tx", "size", "strippedsize", "weight")}
            return self._dynamic(h, b)
        if method == "getblock":
            if not params:
                raise RpcFault(-1, "getblock \"blockhash\" ( verbosity )")
            h = self._height_of(params[0])
            verbosity = params[1] if len(params) > 1 else 1
            if isinstance(verbosity, bool):
                verbosity = int(verbosity)
            if verbosity == 0:
                return data.raw[h].hex()
            b = data.blocks[h]
            if verbosity == 1:
                b = dict(b, tx=[t["txid"] for t in b["tx"]])
            elif verbosity == 2:
                b = dict(b, tx=[dict(t, vin=[{k: v for k, v in i.items() if k != "prevout"} for i in t["vin"]])
                                for t in b["tx"]])
            elif verbosity != 3:
                raise RpcFault(-8, "Verbosity must be in range 0..3")
            return self._dynamic(h, b)
        if method == "getblockchaininfo":
            tip = data.blocks[self.tip]
            return {"chain": data.chain_name, "blocks": self.tip, "headers": self.tip, "bestblockhash": tip["hash"],
                    "bits": tip["bits"], "difficulty": tip["difficulty"], "time": tip["time"],
                    "mediantime": tip["mediantime"], "verificationprogress": 1, "initialblockdownload": False,
                    "chainwork": tip["chainwork"], "size_on_disk": sum(len(r) for r in data.raw), "pruned": False,
                    "warnings": []}
        raise RpcFault(-32601, "Method not found")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_rpc: BitcoindRpcServer

    def log_message(self, *args) -> None:     # keep test output clean
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/json", extra: dict | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_POST(self) -> None:
        rpc = self.server_rpc
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with rpc.lock:
            rpc.requests += 1
            fail = rpc.fail_next > 0
            if fail:
                rpc.fail_next -= 1
            if rpc.fail_after is not None and rpc.requests > rpc.fail_after:
                fail = True
            warm = not fail and rpc.warmup_next > 0
            if warm:
                rpc.warmup_next -= 1
            delay = rpc.delay
        if delay:
            time.sleep(delay)
        if rpc.credentials is not None:
            expected = "Basic " + base64.b64encode(rpc.credentials.encode()).decode()
            if self.headers.get("Authorization") != expected:
                self._send(401, b"", "text/html", {"WWW-Authenticate": 'Basic realm="jsonrpc"'})
                return
        if fail:
            if rpc.fail_mode == "drop":
                self.close_connection = True
                try:
                    self.connection.shutdown(2)
                except OSError:
                    pass
                return
            self._send(503, b"<html>Service Unavailable</html>", "text/html")
            return
        try:
            req = json.loads(body)
        except ValueError:
            self._send(500, json.dumps({"result": None, "error": {"code": -32700, "message": "Parse error"},
                                        "id": None}).encode())
            return
        if isinstance(req, list):
            out = [self._one(r, warm)[1] for r in req]
            self._send(200, self._encode(out))
            return
        status, reply = self._one(req, warm)
        self._send(status, self._encode(reply))

    @staticmethod
    def _encode(obj) -> bytes:
        return AMOUNT.sub(_fmt_amount, json.dumps(obj)).encode()

    def _one(self, req, warm: bool) -> tuple[int, dict]:
        if not isinstance(req, dict):
            return 500, {"result": None, "error": {"code": -32600, "message": "Invalid Request object"}, "id": None}
        v2 = req.get("jsonrpc") == "2.0"
        rid = req.get("id")
        try:
            if warm:
                raise RpcFault(-28, "Loading block index…")
            method = req.get("method")
            params = req.get("params") or []
            if not isinstance(method, str):
                raise RpcFault(-32600, "Method must be a string")
            if isinstance(params, dict):
                params = list(params.values())
            result = self.server_rpc.dispatch(method, params)
        except RpcFault as f:
            err = {"code": f.code, "message": f.message}
            if v2:
                return 200, {"jsonrpc": "2.0", "error": err, "id": rid}
            return (404 if f.code == -32601 else 500), {"result": None, "error": err, "id": rid}
        if v2:
            return 200, {"jsonrpc": "2.0", "result": result, "id": rid}
        return 200, {"result": result, "error": None, "id": rid}


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Serve a datadir like bitcoind's JSON-RPC (for tests and demos).")
    ap.add_argument("datadir")
    ap.add_argument("--network", default="regtest")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--user", default="user")
    ap.add_argument("--password", default="pass")
    ap.add_argument("--cookie", help="write a cookie file and use cookie auth")
    a = ap.parse_args()
    srv = BitcoindRpcServer(a.datadir, a.network, a.user, a.password, cookie_file=a.cookie, port=a.port).start()
    print(f"listening on {srv.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()
        sys.exit(0)
