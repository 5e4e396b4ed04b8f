"""Raw JSON-RPC batch client for EVM nodes.

web3.py's retry middleware does not cover batch requests, and ingest throughput
depends on batching, so the hot path posts JSON-RPC batches itself (costbasis/rpc_http.py:
one kept-alive connection per thread, each request bounded by `timeout` seconds in total):

- adaptive batch size: a batch the node rejects (HTTP 413/429, "batch too large",
  a non-list reply) is split in half and the size limit remembered; after a run of
  successes the limit grows back toward the configured maximum;
- retries with exponential backoff on connection errors, timeouts, 5xx and
  rate-limit replies; per-item transient errors are retried item by item;
- bounded concurrency: `map_batches` runs at most `workers` batches at once;
- messages show the URL redacted (no user:password, query or key-like path segment); credentials
  in the URL are sent as HTTP basic auth.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, Sequence

from costbasis.errors import CostbasisError
from costbasis.rpc_http import MAX_TIMEOUT, HttpFailure, HttpPoster, HttpTimeout, parse_rpc_url, redact_url

# JSON-RPC error codes / messages that mean "this method does not exist here".
METHOD_NOT_FOUND = -32601
_TRANSIENT_MESSAGES = ("rate limit", "too many requests", "timeout", "timed out", "try again", "busy", "header not found")
_TOO_BIG_MESSAGES = ("batch", "too large", "too many", "exceeds", "limit")


class RpcError(CostbasisError):
    """An error object returned by the node for one request."""

    def __init__(self, method: str, code: int | None, message: str):
        super().__init__(f"{method}: node error {code}: {message}")
        self.method = method
        self.code = code
        self.node_message = message or ""

    @property
    def method_missing(self) -> bool:
        msg = self.node_message.lower()
        return self.code == METHOD_NOT_FOUND or "not supported" in msg or "does not exist" in msg or "not found" in msg and "method" in msg


class _BatchRejected(Exception):
    """The node refused the batch as a whole (too big / rate limited)."""


class _Transient(Exception):
    """Worth another attempt: transport failure, timeout, HTTP 5xx / 429, unreadable reply."""


def _error_fields(err: Any) -> tuple[Any, str]:
    """(code, message) of a JSON-RPC error member of any shape."""
    if isinstance(err, dict):
        code = err.get("code")
        return (code if isinstance(code, int) else None), str(err.get("message", ""))[:300]
    return None, str(err)[:300]


class RpcClient:
    def __init__(self, url: str, batch_size: int = 100, workers: int = 4, retries: int = 5,
                 backoff: float = 0.25, timeout: float = 60.0):
        if not url.startswith(("http://", "https://")):
            raise CostbasisError(f"--rpc-url must be an http(s) URL such as http://127.0.0.1:8545, got "
                                 f"{redact_url(url)}")
        if not 0 < timeout <= MAX_TIMEOUT:
            raise CostbasisError(f"--rpc-timeout must be > 0 and <= {MAX_TIMEOUT} seconds, got {timeout:g}")
        if not 0 <= retries <= 100:
            raise CostbasisError(f"--rpc-retries must be >= 0 and <= 100, got {retries}")
        parsed = parse_rpc_url(url)
        self.url = parsed.shown  # messages only ever show this
        self._http = HttpPoster(parsed, timeout)
        self._headers = {"Content-Type": "application/json"}
        if parsed.user is not None:
            token = base64.b64encode(f"{parsed.user}:{parsed.password or ''}".encode()).decode()
            self._headers["Authorization"] = "Basic " + token
        self.max_batch = max(1, int(batch_size))
        self.batch_size = self.max_batch
        self.workers = max(1, int(workers))
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._ok_streak = 0
        self._pool: ThreadPoolExecutor | None = None
        self.requests_sent = 0

    # ------------------------------------------------------------- plumbing
    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._http.close()

    def _post_once(self, payload: Any) -> Any:
        try:
            status, content = self._http.post(json.dumps(payload).encode(), self._headers)
        except HttpTimeout:
            raise _Transient(f"timed out after {self.timeout:g}s") from None
        except HttpFailure as e:
            raise _Transient(str(e)) from None
        self.requests_sent += 1
        if status == 413:
            raise _BatchRejected("HTTP 413")
        if status == 429 or status >= 500:
            if isinstance(payload, list) and len(payload) > 1 and status == 429:
                raise _BatchRejected("HTTP 429")
            raise _Transient(f"HTTP {status}")
        if status == 401 or status == 403:
            raise CostbasisError(f"RPC {self.url} refused the request (HTTP {status}); check the credentials "
                                 f"or API key of --rpc-url")
        if status >= 400:
            text = content[:200].decode("utf-8", "replace").replace("\n", " ").strip()
            raise CostbasisError(f"RPC {self.url} answered HTTP {status}: {text}")
        try:
            return json.loads(content)
        except ValueError:
            raise _Transient(f"HTTP {status} without a JSON body") from None

    def _post(self, payload: Any) -> Any:
        """POST with at most `retries` retries (backoff) on transient failures; the decoded JSON.

        Every attempt is bounded by `timeout` seconds, so one request takes at most about
        (retries + 1) * timeout plus the backoff sleeps."""
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                return self._post_once(payload)
            except _Transient as e:
                if attempt == self.retries:
                    raise CostbasisError(f"RPC {self.url} unreachable after {self.retries + 1} attempts: {e}") from None
                time.sleep(delay)
                delay = min(delay * 2, 10.0)
        raise AssertionError("unreachable")

    def _note_success(self) -> None:
        with self._lock:
            self._ok_streak += 1
            if self._ok_streak >= 20 and self.batch_size < self.max_batch:
                self.batch_size = min(self.max_batch, self.batch_size * 2)
                self._ok_streak = 0

    def _note_rejected(self, size: int) -> None:
        with self._lock:
            self._ok_streak = 0
            self.batch_size = max(1, min(self.batch_size, size // 2))

    # --------------------------------------------------------------- public
    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        return self.batch([(method, list(params))])[0]

    def batch(self, calls: Sequence[tuple[str, list]], errors: str = "raise") -> list[Any]:
        """Run calls as JSON-RPC batches (split to the current batch size); results in order.

        errors="raise": raise RpcError for the first request the node answered with a
        non-transient error; errors="return": put the RpcError in that result slot.
        """
        out: list[Any] = []
        i = 0
        while i < len(calls):
            chunk = calls[i:i + self.batch_size]
            out.extend(self._batch_once(chunk, errors))
            i += len(chunk)
        return out

    def _batch_once(self, calls: Sequence[tuple[str, list]], errors: str = "raise") -> list[Any]:
        ids = [next(self._ids) for _ in calls]
        payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in zip(ids, calls)]
        try:
            reply = self._post(payload if len(payload) > 1 else payload[0])
        except _BatchRejected as e:
            if len(calls) == 1:
                return self._single_rejected(calls, errors, str(e))
            self._note_rejected(len(calls))
            half = len(calls) // 2
            return self._batch_once(calls[:half], errors) + self._batch_once(calls[half:], errors)
        if len(payload) == 1 and isinstance(reply, dict):
            reply = [reply]
        if not isinstance(reply, list):
            # Some nodes answer an over-size batch with a single error object.
            if len(calls) > 1:
                self._note_rejected(len(calls))
                half = len(calls) // 2
                return self._batch_once(calls[:half], errors) + self._batch_once(calls[half:], errors)
            raise CostbasisError(f"RPC {self.url}: unexpected reply {json.dumps(reply)[:200]} to {calls[0][0]}")
        by_id = {r.get("id"): r for r in reply if isinstance(r, dict)}
        results: list[Any] = []
        for rid, (method, params) in zip(ids, calls):
            r = by_id.get(rid)
            if r is None:
                results.append(self._retry_single(method, params, "missing from batch reply"))
            elif "error" in r and r["error"] is not None:
                code, msg = _error_fields(r["error"])
                low = msg.lower()
                if any(t in low for t in _TRANSIENT_MESSAGES) and not any(t in low for t in ("query returned more", "response size")):
                    results.append(self._retry_single(method, params, msg))
                elif errors == "return":
                    results.append(RpcError(method, code, msg))
                else:
                    raise RpcError(method, code, msg)
            else:
                results.append(r.get("result"))
        self._note_success()
        return results

    def _single_rejected(self, calls, errors: str, why: str) -> list[Any]:
        """A one-request batch refused as too big / rate limited: retry it a bounded number of times."""
        delay = self.backoff
        for _ in range(self.retries):
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
            try:
                return self._batch_once_plain(calls, errors)
            except _BatchRejected as e:
                why = str(e)
        raise CostbasisError(f"RPC {self.url} kept refusing {calls[0][0]} ({why}) after {self.retries} retries")

    def _batch_once_plain(self, calls, errors: str) -> list[Any]:
        """_batch_once for one call without its own rejection handling (the caller bounds retries)."""
        ids = [next(self._ids)]
        method, params = calls[0]
        reply = self._post({"jsonrpc": "2.0", "id": ids[0], "method": method, "params": params})
        if not isinstance(reply, dict):
            raise CostbasisError(f"RPC {self.url}: unexpected reply {json.dumps(reply)[:200]} to {method}")
        if reply.get("error") is not None:
            code, msg = _error_fields(reply["error"])
            if errors == "return":
                return [RpcError(method, code, msg)]
            raise RpcError(method, code, msg)
        return [reply.get("result")]

    def _retry_single(self, method: str, params: list, why: str) -> Any:
        delay = self.backoff
        last = why
        for _ in range(self.retries):
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
            r = self._post({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params})
            if isinstance(r, dict) and r.get("error") is None and "result" in r:
                return r["result"]
            if isinstance(r, dict) and r.get("error"):
                code, last = _error_fields(r["error"])
                if not any(t in last.lower() for t in _TRANSIENT_MESSAGES):
                    raise RpcError(method, code, last)
        raise CostbasisError(f"RPC {method} kept failing after {self.retries} retries: {last}")

    def map_batches(self, groups: Iterable[Sequence[tuple[str, list]]]) -> list[list[Any]]:
        """Run several independent call groups concurrently (at most `workers` at once)."""
        groups = list(groups)
        if self.workers == 1 or len(groups) <= 1:
            return [self.batch(g) for g in groups]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="evm-rpc")
        return list(self._pool.map(self.batch, groups))


def hex_int(x: str | int | None) -> int | None:
    if x is None:
        return None
    if isinstance(x, int):
        return x
    return int(x, 16)


def hex_quantity(x: Any, method: str) -> int:
    """A JSON-RPC quantity ("0x1a") from the node, or a one-line error for any other JSON value."""
    if isinstance(x, str) and x[:2] in ("0x", "0X"):
        try:
            return int(x, 16)
        except ValueError:
            pass
    raise CostbasisError(f"the node answered {method} with {json.dumps(x)[:60]}, expected a hex quantity "
                         f"such as \"0x1\"; is --rpc-url an EVM JSON-RPC endpoint?")
