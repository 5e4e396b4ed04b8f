"""When to look for new blocks: a ZMQ `hashblock` notification, or every `interval` seconds.

With ZMQ the interval still applies as a fallback: notifications sent while we were not subscribed
(a node restart, a slow cycle) are lost, so the node is asked at least every `interval` seconds.
"""

from __future__ import annotations

import threading

from costbasis.errors import CostbasisError, UsageError


class Poll:
    def __init__(self, interval: float):
        self.interval = interval
        self.describe = f"polling every {interval:g}s"

    def wait(self, stop: threading.Event) -> None:
        stop.wait(self.interval)

    def close(self) -> None:
        pass


class Zmq:
    """SUB socket on Bitcoin Core's -zmqpubhashblock endpoint."""

    def __init__(self, url: str, interval: float):
        try:
            import zmq
        except ImportError:
            raise CostbasisError("--zmq needs pyzmq (pip install pyzmq)") from None
        if not url.startswith(("tcp://", "ipc://")):
            raise UsageError(f"--zmq must be a ZMQ endpoint such as tcp://127.0.0.1:28332, got {url[:60]!r}")
        self.zmq = zmq
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.SUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.SUBSCRIBE, b"hashblock")
        try:
            self.sock.connect(url)   # asynchronous: a node not up yet is fine, ZMQ reconnects by itself
        except zmq.ZMQError as e:
            self.close()
            raise UsageError(f"--zmq {url[:60]}: {e}") from None
        self.interval = interval
        self.describe = f"ZMQ hashblock at {url} (and every {interval:g}s)"
        self.notified = 0

    def wait(self, stop: threading.Event) -> None:
        """Until a notification arrives, `interval` passes or `stop` is set (checked twice a second)."""
        left = self.interval
        while left > 0 and not stop.is_set():
            step = min(0.5, left)
            if self.sock.poll(int(step * 1000)):
                self._drain()
                return
            left -= step

    def _drain(self) -> None:
        # a burst of blocks is one catch-up: take every queued notification
        while self.sock.poll(0):
            self.sock.recv_multipart()
            self.notified += 1

    def close(self) -> None:
        self.sock.close(0)
        self.ctx.term()


def waker(zmq_url: str | None, interval: float):
    return Zmq(zmq_url, interval) if zmq_url else Poll(interval)
