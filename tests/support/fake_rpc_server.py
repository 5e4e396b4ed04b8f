"""A local misbehaving JSON-RPC server (threading http.server) for the RPC clients' error paths.

Modes:
- "json": answers JSON-RPC (1.0 or 2.0, single or batch) from `answers` (method -> result, or a
  callable(params) -> result); unknown methods get error -32601.
- "trickle_body": headers at once, then the body one byte every `interval` seconds.
- "trickle_headers": the status line and headers one byte every `interval` seconds.
- "status": an empty answer with HTTP `status`.
`requests` counts the POSTs seen, `auth` holds the last Authorization header.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeRpcServer:
    def __init__(self, mode: str = "json", answers: dict | None = None, interval: float = 0.2, status: int = 500):
        self.mode, self.answers, self.interval, self.status = mode, answers or {}, interval, status
        self.requests = 0
        self.auth: str | None = None
        self.closing = threading.Event()
        srv = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _trickle(self, data: bytes) -> None:
                for i in range(len(data)):
                    if srv.closing.is_set():
                        return
                    try:
                        self.wfile.write(data[i:i + 1])
                        self.wfile.flush()
                    except OSError:
                        return           # the client gave up: what we want to see
                    time.sleep(srv.interval)

            def do_POST(self):
                srv.requests += 1
                srv.auth = self.headers.get("Authorization")
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if srv.mode == "status":
                    self.send_response(srv.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if srv.mode == "trickle_body":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self._trickle(b" " * 100000)
                    self.close_connection = True
                    return
                if srv.mode == "trickle_headers":
                    self._trickle(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Pad: " + b"a" * 10000)
                    self.close_connection = True
                    return
                req = json.loads(raw)
                items = req if isinstance(req, list) else [req]
                out = [self._answer(it) for it in items]
                body = json.dumps(out if isinstance(req, list) else out[0]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _answer(self, it: dict) -> dict:
                m = it.get("method")
                if m not in srv.answers:
                    return {"jsonrpc": "2.0", "id": it.get("id"), "result": None,
                            "error": {"code": -32601, "message": f"Method not found: {m}"}}
                a = srv.answers[m]
                res = a(it.get("params")) if callable(a) else a
                return {"jsonrpc": "2.0", "id": it.get("id"), "result": res, "error": None}

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "FakeRpcServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def refused_port() -> int:
    """A local port nothing listens on."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
