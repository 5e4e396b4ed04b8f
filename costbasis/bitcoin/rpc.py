"""BitcoinSource over Bitcoin Core JSON-RPC.

`getblock <hash> 3` carries, for every input, the spent coin (`prevout`: height, value,
scriptPubKey, generated), so rows come out identical to the datadir source's without any
join. Hashes are fetched with JSON-RPC batches (list payloads); blocks are fetched by a
bounded pool of worker threads, a few blocks per request, and consumed in height order.
Transient failures (connection errors, timeouts, HTTP 5xx, -28 "warming up") are retried
with exponential backoff; everything else is a one-line CostbasisError, also answers of the
wrong JSON shape. --rpc-timeout bounds each request in total (costbasis/rpc_http.py), not each
read. Credentials live only in the request's Authorization header: never in messages, URLs or repr.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from costbasis.bitcoin.consensus import params
from costbasis.bitcoin.source import BlockBatch
from costbasis.bitcoin.tables import BatchBuilder
from costbasis.errors import CostbasisError
from costbasis.rpc_http import MAX_TIMEOUT, HttpFailure, HttpPoster, HttpTimeout, RpcUrl, env_number, parse_rpc_url

# getblockchaininfo "chain" -> our network names
CHAIN_NAMES = {"main": "main", "test": "testnet", "testnet4": "testnet4", "signet": "signet", "regtest": "regtest"}
DEFAULT_PORTS = {"main": 8332, "testnet": 18332, "testnet4": 48332, "signet": 38332, "regtest": 18443}
RPC_IN_WARMUP = -28
RPC_INVALID_PARAMETER = -8
SATS = Decimal(100_000_000)
ZERO_HASH = "0" * 64


class RpcError(CostbasisError):
    """The node answered with a JSON-RPC error object."""

    def __init__(self, method: str, code: int, message: str):
        super().__init__(f"bitcoin RPC {method} failed: {message} (code {code})")
        self.method, self.code, self.rpc_message = method, code, message


class _Retryable(Exception):
    pass


class _Reply:
    def __init__(self, status: int, content: bytes):
        self.status_code, self.content = status, content


def btc_to_sats(v) -> int:
    """Exact: JSON numbers are parsed as Decimal, never through binary floats."""
    return int((Decimal(v) * SATS).to_integral_value())


def read_cookie(path: Path) -> tuple[str, str]:
    try:
        text = Path(path).expanduser().read_text().strip()
    except OSError as e:
        raise CostbasisError(f"cannot read RPC cookie file {path}: {e.strerror or e}") from None
    user, sep, password = text.partition(":")
    if not sep or not user:
        raise CostbasisError(f"RPC cookie file {path} is not in user:password form")
    return user, password


def _split_url(url: str) -> RpcUrl:
    """Checked URL (a bare host:port means http://host:port); its user/password stay in the RpcUrl."""
    return parse_rpc_url(url if "://" in url else "http://" + url)


class RpcClient:
    """Thread-safe JSON-RPC 1.0 client (one HTTP connection per thread) with retries."""

    def __init__(self, url: str | RpcUrl, user: str | None, password: str | None, timeout: float = 30.0,
                 retries: int = 5, backoff: float = 0.5):
        parsed = url if isinstance(url, RpcUrl) else _split_url(url)
        self.url = parsed.shown           # what messages print: never credentials
        self._http = HttpPoster(parsed, timeout)
        self._auth_header = None
        if user is not None:
            token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
            self._auth_header = "Basic " + token
        self.user = user
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self._ids = iter(range(1, 1 << 62))
        self._id_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RpcClient(url={self.url!r}, user={self.user!r}, password=***)"

    def close(self) -> None:
        self._http.close()

    def _next_id(self) -> int:
        with self._id_lock:
            return next(self._ids)

    def call(self, method: str, *params):
        return self.batch([(method, list(params))])[0]

    def batch(self, calls: list[tuple[str, list]], allow_errors: tuple[int, ...] = ()) -> list:
        """Results in call order. A JSON-RPC error whose code is in allow_errors is returned as an
        RpcError instance instead of raised."""
        if not calls:
            return []
        ids = [self._next_id() for _ in calls]
        payload = json.dumps([{"jsonrpc": "1.0", "id": i, "method": m, "params": p} for i, (m, p) in zip(ids, calls)])
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                return self._post(payload, ids, calls, allow_errors)
            except _Retryable as e:
                if attempt == self.retries:
                    raise CostbasisError(f"{e} (gave up after {self.retries + 1} attempts)") from None
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
        raise AssertionError("unreachable")

    def _post(self, payload: str, ids: list[int], calls, allow_errors) -> list:
        headers = {"Content-Type": "application/json"}
        if self._auth_header:
            headers["Authorization"] = self._auth_header
        where = f"Bitcoin Core RPC at {self.url}"
        try:
            status, content = self._http.post(payload.encode(), headers)
        except HttpTimeout:
            raise _Retryable(f"{where} timed out after {self.timeout:g}s") from None
        except HttpFailure as e:
            raise _Retryable(f"cannot connect to {where}: {e}") from None
        r = _Reply(status, content)
        if r.status_code == 401:
            raise CostbasisError(f"{where} rejected the credentials (HTTP 401); check --rpc-user/--rpc-password "
                                 f"or --rpc-cookie")
        if r.status_code == 403:
            raise CostbasisError(f"{where} refused access (HTTP 403); check rpcallowip on the node")
        try:
            body = json.loads(r.content, parse_float=Decimal)
        except ValueError:
            if r.status_code >= 500:
                raise _Retryable(f"{where} answered HTTP {r.status_code}") from None
            raise CostbasisError(f"{where} did not answer JSON (HTTP {r.status_code}); is this a Bitcoin Core RPC port?") from None
        if isinstance(body, dict) and len(ids) > 1:
            # a batch answered with a single error object (e.g. node rejecting batches)
            err = body.get("error") or {}
            if not isinstance(err, dict):
                err = {"message": str(err)[:200]}
            if err.get("code") == RPC_IN_WARMUP:
                raise _Retryable(f"{where} is warming up: {err.get('message')}")
            raise CostbasisError(f"{where} answered a batch request with: {err.get('message') or 'HTTP ' + str(r.status_code)}")
        if isinstance(body, dict):
            body = [body]
        if not isinstance(body, list) or not all(isinstance(x, dict) for x in body):
            raise CostbasisError(f"{where} answered something that is not JSON-RPC")
        by_id = {x.get("id"): x for x in body}
        out = []
        for i, (method, _) in zip(ids, calls):
            x = by_id.get(i)
            if x is None:
                if r.status_code >= 500:
                    raise _Retryable(f"{where} answered HTTP {r.status_code}")
                raise CostbasisError(f"{where} answered without a reply to {method}")
            err = x.get("error")
            if err:
                code = err.get("code") if isinstance(err, dict) else None
                msg = err.get("message", str(err)) if isinstance(err, dict) else str(err)
                if code == RPC_IN_WARMUP:
                    raise _Retryable(f"{where} is warming up: {msg}")
                e = RpcError(method, code, msg)
                if code in allow_errors:
                    out.append(e)
                    continue
                raise e
            if "result" not in x:
                raise CostbasisError(f"{where} answered {method} without a result")
            out.append(x["result"])
        if r.status_code >= 500 and not any(isinstance(o, RpcError) for o in out) and len(out) != len(calls):
            raise _Retryable(f"{where} answered HTTP {r.status_code}")
        return out


def _block_rows(b: dict, height: int, bb: BatchBuilder) -> int:
    """Append one `getblock 3` answer to the batch; returns its tx count."""
    txs = b["tx"]
    fees = 0
    for t, tx in enumerate(txs):
        txid = tx["txid"]
        coinbase = t == 0
        out_sum = 0
        for o in tx["vout"]:
            v = btc_to_sats(o["value"])
            out_sum += v
            bb.add_output(height, t, txid, o["n"], v, bytes.fromhex(o["scriptPubKey"]["hex"]), coinbase)
        if coinbase:
            continue
        in_sum = 0
        for k, i in enumerate(tx["vin"]):
            p = i.get("prevout")
            if p is None:
                raise CostbasisError(f"block {height}: getblock verbosity 3 gave no prevout (node too old, "
                                     f"Bitcoin Core >= 25 needed, or undo data pruned)")
            v = btc_to_sats(p["value"])
            in_sum += v
            bb.add_input(height, t, k, i["txid"], i["vout"], p["height"], v,
                         bytes.fromhex(p["scriptPubKey"]["hex"]), bool(p["generated"]))
        fees += in_sum - out_sum
    bb.add_block(height, b["hash"], b.get("previousblockhash", ZERO_HASH), b["time"], b["mediantime"], len(txs),
                 b["size"], b["weight"], fees)
    return len(txs)


class RpcSource:
    """Blocks of a Bitcoin Core node's active chain over JSON-RPC, as BlockBatch es."""

    HASHES_PER_REQUEST = 500

    def __init__(self, url: str, user: str | None = None, password: str | None = None,
                 cookie: str | Path | None = None, workers: int = 4, network: str | None = None,
                 datadir: str | Path | None = None, timeout: float | None = None, retries: int | None = None,
                 backoff: float = 0.5, blocks_per_request: int = 4):
        timeout = env_number("COSTBASIS_RPC_TIMEOUT", 30.0) if timeout is None else timeout
        retries = env_number("COSTBASIS_RPC_RETRIES", 5, integer=True) if retries is None else retries
        if workers < 1:
            raise CostbasisError("--workers must be >= 1")
        if not 0 < timeout <= MAX_TIMEOUT:
            raise CostbasisError(f"--rpc-timeout must be > 0 and <= {MAX_TIMEOUT} seconds, got {timeout:g}")
        if retries < 0:
            raise CostbasisError(f"--rpc-retries must be >= 0, got {retries}")
        parsed = _split_url(url)
        if user is None and parsed.user is not None:
            user, password = parsed.user, parsed.password
        if user is not None and cookie is not None:
            raise CostbasisError("give either --rpc-user/--rpc-password or --rpc-cookie, not both")
        if user is None and password is not None:
            raise CostbasisError("--rpc-password needs --rpc-user")
        if user is None:
            if cookie is None and datadir is not None:
                cookie = _default_cookie(Path(datadir), network)
            if cookie is not None:
                user, password = read_cookie(Path(cookie))
        elif password is None:
            raise CostbasisError("--rpc-user needs --rpc-password (or use --rpc-cookie)")
        self.client = RpcClient(parsed, user, password, timeout=timeout, retries=retries, backoff=backoff)
        self.workers = workers
        self.blocks_per_request = max(1, blocks_per_request)
        info = _expect(self.client.call("getblockchaininfo"), dict, "getblockchaininfo", self.client.url)
        node_net = CHAIN_NAMES.get(info.get("chain")) if isinstance(info.get("chain"), str) else None
        if node_net is None:
            raise CostbasisError(f"node reports unknown chain {str(info.get('chain'))[:40]!r}")
        if network is not None and network != node_net:
            raise CostbasisError(f"the node at {self.client.url} runs {node_net}, not {network} (use --network {node_net})")
        self.network = node_net
        self.params = params(node_net)
        if info.get("pruned"):
            self._prune_height = _expect(info.get("pruneheight", 0), int, "getblockchaininfo pruneheight", self.client.url)
        else:
            self._prune_height = 0

    def __repr__(self) -> str:
        return f"RpcSource(url={self.client.url!r}, user={self.client.user!r}, network={self.network!r})"

    # ----------------------------------------------------------- protocol
    def best_height(self) -> int:
        return _expect(self.client.call("getblockcount"), int, "getblockcount", self.client.url)

    def hash_at(self, height: int) -> str | None:
        if height < 0:
            return None
        r = self.client.batch([("getblockhash", [height])], allow_errors=(RPC_INVALID_PARAMETER,))[0]
        return None if isinstance(r, RpcError) else _expect(r, str, "getblockhash", self.client.url)

    def read(self, start: int, end: int, batch_blocks: int = 500) -> Iterator[BlockBatch]:
        end = min(end, self.best_height())
        if start > end:
            return
        if start < self._prune_height:
            raise CostbasisError(f"the node is pruned below height {self._prune_height}; cannot read from {start}")
        bb = BatchBuilder(self.network)
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="rpc") as pool:
            for first in range(start, end + 1, batch_blocks):
                last = min(first + batch_blocks - 1, end)
                yield self._read_batch(pool, bb, first, last)

    def close(self) -> None:
        self.client.close()

    # ----------------------------------------------------------- internals
    def _hashes(self, first: int, last: int) -> list[str]:
        out: list[str] = []
        for a in range(first, last + 1, self.HASHES_PER_REQUEST):
            b = min(a + self.HASHES_PER_REQUEST - 1, last)
            res = self.client.batch([("getblockhash", [h]) for h in range(a, b + 1)], allow_errors=(RPC_INVALID_PARAMETER,))
            for h, r in zip(range(a, b + 1), res):
                if isinstance(r, RpcError):
                    raise CostbasisError(f"block {h} is no longer on the node's active chain (reorg?); run ingest again")
                out.append(_expect(r, str, "getblockhash", self.client.url))
        return out

    def _read_batch(self, pool: ThreadPoolExecutor, bb: BatchBuilder, first: int, last: int) -> BlockBatch:
        hashes = self._hashes(first, last)
        k = self.blocks_per_request
        chunks = [(first + j, hashes[j:j + k]) for j in range(0, len(hashes), k)]
        pending: deque = deque()
        it = iter(chunks)
        # at most 2 requests per worker in flight; results consumed strictly in height order
        for c in it:
            pending.append(pool.submit(self._fetch, *c))
            if len(pending) >= 2 * self.workers:
                break
        prev_hash = None
        tx_count = 0
        while pending:
            h0, blocks = pending.popleft().result()
            nxt = next(it, None)
            if nxt is not None:
                pending.append(pool.submit(self._fetch, *nxt))
            for j, b in enumerate(blocks):
                h = h0 + j
                if b.get("height") != h or b.get("hash") != hashes[h - first]:
                    raise CostbasisError(f"node returned block {str(b.get('hash'))[:64]} at height "
                                         f"{str(b.get('height'))[:20]}, expected {h}")
                if prev_hash is not None and b.get("previousblockhash") != prev_hash:
                    raise CostbasisError(f"the node's chain changed during ingest at height {h} (reorg); run ingest again")
                prev_hash = b["hash"]
                try:
                    tx_count += _block_rows(b, h, bb)
                except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as e:
                    # what the node sent, not our code: a block of the wrong shape is one line
                    raise CostbasisError(f"{self.client.url} sent a malformed getblock answer for block {h} "
                                         f"({type(e).__name__}: {str(e)[:80]})") from None
        batch = bb.build()
        batch.tx_count = tx_count
        return batch

    def _fetch(self, h0: int, hashes: list[str]) -> tuple[int, list[dict]]:
        res = self.client.batch([("getblock", [h, 3]) for h in hashes], allow_errors=(-5,))
        for h, r in zip(hashes, res):
            if isinstance(r, RpcError):
                raise CostbasisError(f"block {h} vanished from the node (reorg?); run ingest again")
            _expect(r, dict, "getblock", self.client.url)
        return h0, res


def _expect(value, kind: type, method: str, where: str):
    """`value` when the node's result has the JSON type we need; else a one-line error."""
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        names = {dict: "an object", int: "an integer", str: "a string", list: "a list"}
        shown = json.dumps(value, default=str)[:60] if not isinstance(value, Decimal) else str(value)
        raise CostbasisError(f"{where} answered {method} with {shown}, expected {names.get(kind, kind.__name__)}; "
                             f"is this a Bitcoin Core node?")
    return value


def _default_cookie(datadir: Path, network: str | None) -> Path:
    """Bitcoin Core writes the cookie into the network's subdirectory of the datadir."""
    datadir = datadir.expanduser()
    sub = params(network).datadir_subdir if network else ""
    # network not given (asked from the node later): main's cookie, else the one network folder holding one
    others = [] if network else [datadir / params(n).datadir_subdir for n in DEFAULT_PORTS if params(n).datadir_subdir]
    for d in ([datadir / sub] if sub else []) + [datadir] + others:
        if (d / ".cookie").exists():
            return d / ".cookie"
    return (datadir / sub if sub else datadir) / ".cookie"


def rpc_source_from_options(rpc_url: str, rpc_user: str | None = None, rpc_password: str | None = None,
                            rpc_cookie: str | Path | None = None, workers: int = 4, network: str | None = None,
                            datadir: str | Path | None = None, timeout: float | None = None,
                            retries: int | None = None) -> RpcSource:
    """The CLI's entry point: --rpc-url URL [--rpc-user U --rpc-password P | --rpc-cookie FILE] --workers N.
    `network` None = whatever the node runs; a datadir without explicit auth means <datadir>/.cookie.
    timeout (s per request) / retries default to $COSTBASIS_RPC_TIMEOUT (30) / $COSTBASIS_RPC_RETRIES (5)."""
    return RpcSource(url=rpc_url, user=rpc_user, password=rpc_password, cookie=rpc_cookie, workers=workers,
                     network=network, datadir=datadir, timeout=timeout, retries=retries)
