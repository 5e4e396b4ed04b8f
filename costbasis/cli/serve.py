"""`costbasis serve`: the HTTP JSON API and the dashboard over the store (costbasis/server/)."""

from __future__ import annotations

import ipaddress
import socket
import sys
from pathlib import Path

import typer

from costbasis.errors import CostbasisError, UsageError

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, opened before the server starts: a taken port is one line, and
    --port 0 gets a free port whose number we can print."""
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port} must be between 0 and 65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise UsageError(f"--host {host!r}: {e.strerror}") from None
    family, _, _, _, addr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as e:
        sock.close()
        raise CostbasisError(f"cannot listen on {host}:{port}: {e.strerror}") from None
    sock.listen(128)
    return sock


def url_of(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(root: Path, host: str = "127.0.0.1", port: int = 8750, workers: int = 2, announce=print,
          sock: socket.socket | None = None) -> None:
    """Serve the store at `root` until interrupted. `sock`: already bound by bind() (`costbasis demo
    --serve` binds before the demo runs, so a taken port fails before anything is written)."""
    import uvicorn

    from costbasis.server.app import create_app

    if not Path(root).is_dir():
        if sock is not None:
            sock.close()
        raise CostbasisError(f"no store at {root}; run `costbasis ingest ...` or `costbasis demo` first, or pass --cache")
    if workers < 1 or workers > 64:
        raise UsageError(f"--workers {workers} must be between 1 and 64")
    app = create_app(root, workers=workers)
    sock = sock or bind(host, port)
    if not is_loopback(host):
        print(f"warning: listening on {host}: the API has no authentication; anyone who can reach this "
              f"address can read the whole store", file=sys.stderr)
    url = url_of(sock, host)
    announce(f"costbasis serve: {url} (dashboard), {url}docs (API), store {root}; Ctrl-C stops")
    sys.stdout.flush()
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def serve_cmd(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (default loopback; any other prints a warning: no authentication)."),
    port: int = typer.Option(8750, "--port", help="TCP port (0: any free port, printed)."),
    workers: int = typer.Option(2, "--workers", help="Engine queries run at once (each may use the whole --memory-limit)."),
):
    """Serve the store read-only over HTTP: /v1/cohorts, /v1/urpd, /v1/sopr, /v1/bands, /v1/flows, /v1/whales,
    /v1/status, /v1/prices (and /v1/brief) with the commands' options as query parameters and their --format json
    rows (format=csv|parquet or Accept for others); OpenAPI at /openapi.json, interactive docs at /docs; the
    dashboard at /.

    Example: costbasis serve --port 8750

    Example: curl 'http://127.0.0.1:8750/v1/bands?asof=2026-01-20'
    """
    serve(ctx.obj["cache"] if ctx.obj else Path("parquet_cache"), host, port, workers)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
