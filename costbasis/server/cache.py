"""A small LRU of encoded answers, keyed by request (endpoint, options, format) and store state.

A new tip (or a new import) changes the state: the first request that sees it drops every entry
of other states, so the cache never grows with old tips and never serves one. Bounded in entries
and bytes. Identical requests arriving together compute once (one lock per key).
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class AnswerCache:
    def __init__(self, max_entries: int = 256, max_bytes: int = 64 * 2**20):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._data: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._bytes = 0
        self._state: str | None = None
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[str, str], threading.Lock] = {}
        self.hits = self.misses = 0

    def _see(self, state: str) -> None:
        if state != self._state:
            self._data.clear()
            self._bytes = 0
            self._state = state

    def get(self, state: str, key: str) -> bytes | None:
        with self._lock:
            self._see(state)
            body = self._data.get((state, key))
            if body is not None:
                self._data.move_to_end((state, key))
                self.hits += 1
            else:
                self.misses += 1
            return body

    def put(self, state: str, key: str, body: bytes) -> None:
        if len(body) > self.max_bytes // 4:
            return   # one huge answer would evict everything else
        with self._lock:
            self._see(state)
            old = self._data.pop((state, key), None)
            self._bytes -= len(old) if old is not None else 0
            self._data[(state, key)] = body
            self._bytes += len(body)
            while len(self._data) > self.max_entries or self._bytes > self.max_bytes:
                _, dropped = self._data.popitem(last=False)
                self._bytes -= len(dropped)

    def key_lock(self, state: str, key: str) -> threading.Lock:
        with self._lock:
            if len(self._key_locks) > 4 * self.max_entries:
                self._key_locks = {k: v for k, v in self._key_locks.items() if v.locked()}
            return self._key_locks.setdefault((state, key), threading.Lock())

    def __len__(self) -> int:
        return len(self._data)
