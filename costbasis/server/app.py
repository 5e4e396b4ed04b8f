"""The ASGI app: `create_app(store)` -> FastAPI with /v1/<query>, /docs, /openapi.json and the dashboard at /.

Every request opens a new Store on the root (one snapshot of each chain's manifest: a request
never sees half a batch), computes the state ETag from that snapshot, answers 304 or from the
cache, else parses the options as the CLI does and runs the engine. Nothing here writes the store
(queries may save derived state under the cache, as the CLI does; those writes are locked).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from fastapi import Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from costbasis.errors import CostbasisError
from costbasis.server import params, responses
from costbasis.server.cache import AnswerCache
from costbasis.server.queries import Endpoint, available
from costbasis.store import Store

log = logging.getLogger("costbasis.server")
JSON = "application/json"


def _click_usage_error():
    from costbasis.cli.app import _click_exceptions
    return _click_exceptions().UsageError


class Server:
    """State shared by the requests: the store root, the answer cache, the engine slots."""

    def __init__(self, root: Path, workers: int = 2):
        self.root = Path(root)
        self.cache = AnswerCache()
        # each engine call opens DuckDB with the whole --memory-limit: bound how many run at once
        self.slots = threading.BoundedSemaphore(workers)
        self.click_usage = _click_usage_error()

    def store(self) -> Store:
        return Store(self.root)

    def answer(self, ep: Endpoint, request: Request) -> Response:
        try:
            return self._answer(ep, request)
        except Exception as e:   # every failure is one JSON line, never a traceback
            return self.error_response(e, request)

    def _answer(self, ep: Endpoint, request: Request) -> Response:
        store = self.store()
        q = request.query_params
        allowed = responses.BRIEF_FORMATS if ep.name == "brief" else responses.FORMATS
        fmt = responses.pick_format(q.get("format"), request.headers.get("accept"), allowed)
        items = [(k, v) for k, v in q.multi_items() if k != "format"]
        p = params.parse(ep.cli, items, self.root)
        request.state.chain = p.get("chain")
        state = responses.store_state(store)
        key = f"{ep.name}:{sorted((k, repr(v)) for k, v in p.items() if k not in params.NOT_QUERY)}:{fmt}"
        tag = responses.etag(state, key)
        headers = {"ETag": tag, "X-Costbasis-Tips": state.header(), "Cache-Control": "no-cache"}
        if responses.not_modified(request.headers.get("if-none-match"), tag):
            return Response(status_code=304, headers=headers)
        body = self.cache.get(state.digest, key)
        if body is None:
            with self.cache.key_lock(state.digest, key):
                body = self.cache.get(state.digest, key)
                if body is None:
                    body = self.compute(ep, store, p, fmt)
                    if responses.inputs_fingerprint(store) == state.inputs:   # no import meanwhile
                        self.cache.put(state.digest, key, body)
        return Response(body, media_type=allowed[fmt], headers=headers)

    def compute(self, ep: Endpoint, store: Store, p: dict, fmt: str) -> bytes:
        with self.slots:
            result = ep.run(store, p)
        if ep.name == "brief":
            return responses.encode_brief(result, fmt)
        return responses.encode(result, fmt)

    def table(self, name: str, items: list[tuple[str, str]]):
        """The table an endpoint answers for `items` (the dashboard's charts, from the same calls)."""
        ep = next(e for e in available() if e.name == name)
        with self.slots:
            return ep.run(self.store(), params.parse(ep.cli, items, self.root))

    def error_response(self, e: Exception, request: Request | None = None) -> Response:
        status, msg = 400, str(e)
        if isinstance(e, self.click_usage):
            cmd = e.ctx.command_path if e.ctx else "costbasis"
            msg = f"{e.format_message()} (see `{cmd} --help`)"   # the CLI's line, after "error: "
        elif isinstance(e, CostbasisError):
            chain = getattr(getattr(request, "state", None), "chain", None)
            from costbasis.store.names import is_chain_name
            if chain is not None and is_chain_name(chain) and chain not in self.store().chains():
                status = 404   # a well-formed name the store does not hold
        elif isinstance(e, OSError):   # the environment (as the CLI reports it), not a bug
            status, msg = 500, f"{e.strerror or e}" + (f": {e.filename}" if e.filename else "")
        else:
            log.exception("internal error answering %s", request.url if request else "?")
            status, msg = 500, "internal error (the server log has the details)"
        return Response(responses.error_body(msg), status_code=status, media_type=JSON)


def create_app(store, workers: int = 2):
    """The FastAPI app over the store at `store` (a path or a costbasis.Store)."""
    from fastapi_offline import FastAPIOffline

    root = store.root if isinstance(store, Store) else Path(store)
    srv = Server(root, workers)
    # FastAPIOffline: /docs with Swagger UI's files from the package, not a CDN (works offline)
    app = FastAPIOffline(title="costbasis", version=_version(), redoc_url=None,
                         description="Read-only HTTP API over a costbasis store: one endpoint per query command, "
                                     "with the command's options as query parameters (`--log-buckets 60` is "
                                     "`log-buckets=60`, a flag is `list=true`) and its `--format json` rows. "
                                     "`format=csv|parquet` (or Accept) for other representations. Errors: "
                                     '`{"error": "..."}` with the CLI\'s message.')
    app.state.server = srv
    for ep in available():
        _route(app, srv, ep)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        msg = {404: f"no such endpoint {request.url.path}; see /docs",
               405: f"{request.method} is not allowed on {request.url.path}; the API is read-only (GET)"}
        return Response(responses.error_body(msg.get(exc.status_code, str(exc.detail))),
                        status_code=exc.status_code, media_type=JSON)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):
        return srv.error_response(exc, request)

    from costbasis.server.dashboard import mount
    mount(app, srv)
    return app


def _route(app, srv: Server, ep: Endpoint) -> None:
    fmts = list(responses.BRIEF_FORMATS if ep.name == "brief" else responses.FORMATS)
    extra = [{"name": "format", "in": "query", "required": False,
              "schema": {"type": "string", "enum": fmts, "default": "json"},
              "description": "Representation (or by the Accept header)."}]

    def handler(request: Request) -> Response:   # a plain def: FastAPI runs it in a worker thread
        return srv.answer(ep, request)

    handler.__name__ = f"get_{ep.name}"
    app.get(f"/v1/{ep.name}", summary=ep.summary, name=ep.name,
            openapi_extra={"parameters": params.openapi_parameters(ep.cli, extra)},
            responses={200: {"description": "Rows as `--format json` prints them (CSV/Parquet by format)."},
                       304: {"description": "Not modified (If-None-Match equals the ETag)."},
                       400: {"description": '{"error": "<the CLI\'s one-line message>"}'},
                       404: {"description": '{"error": "..."}: no such chain or endpoint'}})(handler)


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("costbasis")
    except Exception:
        return "0"
