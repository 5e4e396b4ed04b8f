"""Raw JSON-RPC batch client for EVM nodes.

web3.py's retry middleware does not cover batch requests, and ingest throughput
depends on batching, so the hot path posts JSON-RPC batches with `requests`:

- adaptive batch size: a batch the node rejects (HTTP 413/429, "batch too large",
  a non-list reply) is split in half and the size limit remembered; after a run of
  successes the limit grows back toward the configured maximum;
- retries with exponential backoff on connection errors, timeouts, 5xx and
  rate-limit replies; per-item transient errors are retried item by item;
- bounded concurrency: `map_batches` runs at most `workers` batches at once,
  each thread with its own `requests.Session`.
"""

from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, Sequence

import requests

from costbasis.errors import CostbasisError

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


class RpcClient:
    def __init__(self, url: str, batch_size: int = 100, workers: int = 4, retries: int = 5,
                 backoff: float = 0.25, timeout: float = 60.0):
        if not url.startswith(("http://", "https://")):
            raise CostbasisError(f"--rpc-url must be an http(s) URL, got {url!r}")
        self.url = url
        self.max_batch = max(1, int(batch_size))
        self.batch_size = self.max_batch
        self.workers = max(1, int(workers))
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._ok_streak = 0
        self._pool: ThreadPoolExecutor | None = None
        self.requests_sent = 0

    # ------------------------------------------------------------- plumbing
    def _session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = requests.Session()
            s.headers["Content-Type"] = "application/json"
            self._local.session = s
        return s

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _post(self, payload: Any) -> Any:
        """POST with retries on transport failures; returns the decoded JSON."""
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                r = self._session().post(self.url, json=payload, timeout=self.timeout)
                self.requests_sent += 1
                if r.status_code == 413:
                    raise _BatchRejected("HTTP 413")
                if r.status_code == 429 or r.status_code >= 500:
                    if isinstance(payload, list) and len(payload) > 1 and r.status_code == 429:
                        raise _BatchRejected("HTTP 429")
                    raise requests.HTTPError(f"HTTP {r.status_code}")
                if r.status_code >= 400:
                    raise CostbasisError(f"RPC {self.url} answered HTTP {r.status_code}: {r.text[:200]}")
                return r.json()
            except (requests.ConnectionError, requests.Timeout, requests.HTTPError, ValueError) as e:
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
        except _BatchRejected:
            if len(calls) == 1:
                time.sleep(self.backoff)
                return self._batch_once(calls, errors)
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
            raise CostbasisError(f"RPC {self.url}: unexpected reply {str(reply)[:200]}")
        by_id = {r.get("id"): r for r in reply if isinstance(r, dict)}
        results: list[Any] = []
        for rid, (method, params) in zip(ids, calls):
            r = by_id.get(rid)
            if r is None:
                results.append(self._retry_single(method, params, "missing from batch reply"))
            elif "error" in r and r["error"] is not None:
                err = r["error"]
                msg = str(err.get("message", ""))
                code = err.get("code")
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
                last = str(r["error"].get("message", ""))
                if not any(t in last.lower() for t in _TRANSIENT_MESSAGES):
                    raise RpcError(method, r["error"].get("code"), last)
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
