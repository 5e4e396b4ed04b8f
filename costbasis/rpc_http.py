"""HTTP POST for the JSON-RPC clients (bitcoin/rpc.py, evm/rpc.py): URL checks, redaction, deadlines.

- `parse_rpc_url` checks an --rpc-url once (scheme, host, port in range, brackets closed) and splits
  off any user:password, which then travels only in the Authorization header.
- `redact_url` is the only form of a URL that goes into a message: no userinfo, no query string,
  and path segments that look like API keys (Infura / Alchemy style `/v3/<key>`) masked.
- `HttpPoster.post` bounds the WHOLE request by `timeout` seconds: connect, send, headers and
  body. A per-read timeout (what requests offers) never fires against a server that trickles
  one byte a second, so a watchdog timer shuts the socket down at the deadline instead.
  Connections are kept alive per thread (one http.client connection each).
"""

from __future__ import annotations

import http.client
import os
import re
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from costbasis.errors import CostbasisError

# a path segment this long made of key characters is treated as a secret (API keys in the path)
MAX_TIMEOUT = 86400  # seconds; timers and sockets refuse absurd values (1e308) with a traceback
_KEYLIKE = re.compile(r"[A-Za-z0-9_\-]{20,}")


@dataclass(frozen=True)
class RpcUrl:
    scheme: str
    host: str           # without brackets
    port: int
    target: str         # path + query, what goes on the request line
    user: str | None
    password: str | None = field(repr=False)

    @property
    def shown(self) -> str:
        """The URL as messages print it (see redact_url)."""
        return _redacted(self.scheme, self.host, self.port, self.target)


def _netloc(host: str, port: int | None) -> str:
    h = f"[{host}]" if ":" in host else host
    return h + (f":{port}" if port else "")


def _redacted(scheme: str, host: str, port: int | None, target: str) -> str:
    path, _, query = target.partition("?")
    path = "/".join("***" if _KEYLIKE.fullmatch(seg) else seg for seg in path.split("/"))
    return f"{scheme}://{_netloc(host, port)}{'' if path == '/' else path}{'?***' if query else ''}"


def redact_url(url: str) -> str:
    """`url` without credentials, for messages; never raises (an unparsable URL is shown as <url>)."""
    if "://" not in url:  # not a URL at all (host:port): drop a user:password@ prefix
        return re.sub(r"\?.*$", "?***", re.sub(r"^[^/?#]*@", "", url))
    try:
        u = urlsplit(url)
        port = u.port
        host = u.hostname or ""
    except ValueError:  # unparsable: still drop anything that may be userinfo or a query
        return re.sub(r"\?.*$", "?***", re.sub(r"(?<=//)[^/?#]*@", "", url))
    return _redacted(u.scheme, host, port, (u.path or "/") + (f"?{u.query}" if u.query else ""))


def parse_rpc_url(url: str, default_port: int | None = None, option: str = "--rpc-url") -> RpcUrl:
    """Checked http(s) URL; a one-line CostbasisError names what is wrong without echoing credentials."""
    try:
        u = urlsplit(url)
        port = u.port
    except ValueError as e:
        # "Port out of range 0-65535", "Invalid IPv6 URL", "Port could not be cast to integer value ..."
        why = str(e).split(" as ")[0] if "cast" in str(e) else str(e)
        raise CostbasisError(f"{option} {redact_url(url)} is not a valid URL: {why}") from None
    if u.scheme not in ("http", "https") or not u.hostname:
        raise CostbasisError(f"{option} must be an http(s) URL such as http://127.0.0.1:8545, got {redact_url(url)}")
    if port == 0:
        raise CostbasisError(f"{option} {redact_url(url)}: port 0 is not a valid port")
    if port is None:
        port = default_port or (443 if u.scheme == "https" else 80)
    target = (u.path or "/") + (f"?{u.query}" if u.query else "")
    user = unquote(u.username) if u.username else None
    password = unquote(u.password) if u.password is not None else None
    return RpcUrl(u.scheme, u.hostname, port, target, user, password)


def env_number(name: str, default: float, integer: bool = False) -> float:
    """$name as a number (the RPC timeout / retries defaults of both clients), else `default`."""
    v = os.environ.get(name)
    if not v:
        return default
    try:
        x = float(v)
    except ValueError:
        raise CostbasisError(f"{name} must be a number, got {v[:40]!r}") from None
    if integer:
        if not x.is_integer():
            raise CostbasisError(f"{name} must be a whole number, got {v[:40]!r}")
        return int(x)
    return x


class HttpTimeout(Exception):
    """The request did not complete within its total deadline."""


class HttpFailure(Exception):
    """Connection refused, reset or dropped, or the host name does not resolve (str(e) says which)."""


def _failure(e: BaseException) -> HttpFailure:
    if isinstance(e, ConnectionRefusedError):
        return HttpFailure("connection refused")
    if isinstance(e, socket.gaierror):
        return HttpFailure("host name not found")
    return HttpFailure("connection failed")


def _ssl_context() -> ssl.SSLContext:
    try:
        import certifi  # what requests used: the same CA bundle on every system
        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        return ssl.create_default_context()


class HttpPoster:
    """POST bodies to one URL; each call completes or fails within `timeout` seconds in total."""

    def __init__(self, url: RpcUrl, timeout: float):
        self.url = url
        self.timeout = float(timeout)
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._ctx = _ssl_context() if url.scheme == "https" else None

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and conn.sock is not None:
            # an idle kept-alive socket that is readable was closed by the server (or has junk)
            r, _, _ = select.select([conn.sock], [], [], 0)
            if r:
                conn.close()
        if conn is None:
            if self._ctx is not None:
                conn = http.client.HTTPSConnection(self.url.host, self.url.port, context=self._ctx)
            else:
                conn = http.client.HTTPConnection(self.url.host, self.url.port)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """(HTTP status, body). Raises HttpTimeout or HttpFailure."""
        deadline = time.monotonic() + self.timeout
        conn = self._connection()
        fired = threading.Event()

        def kill():
            fired.set()
            s = conn.sock
            if s is not None:
                try:  # the plain-socket shutdown wakes a recv blocked in another thread, TLS or not
                    socket.socket.shutdown(s, socket.SHUT_RDWR)
                except OSError:
                    pass

        timer = threading.Timer(self.timeout, kill)
        timer.daemon = True
        timer.start()
        try:
            if conn.sock is None:
                conn.timeout = self.timeout
                conn.connect()
            conn.sock.settimeout(max(deadline - time.monotonic(), 0.001))
            conn.request("POST", self.url.target, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            if fired.is_set():
                raise HttpTimeout()
            if resp.will_close:
                conn.close()
            return resp.status, data
        except (OSError, http.client.HTTPException, ValueError) as e:
            conn.close()
            if fired.is_set() or isinstance(e, TimeoutError) or time.monotonic() >= deadline:
                raise HttpTimeout() from None
            if isinstance(e, ssl.SSLCertVerificationError):
                raise CostbasisError(f"TLS certificate of {self.url.shown} rejected: {e.verify_message}") from None
            raise _failure(e) from None
        except HttpTimeout:
            conn.close()
            raise
        finally:
            timer.cancel()

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for c in conns:
            c.close()
