"""Query parameters = the CLI command's options, declared once: in the CLI.

The option list of each endpoint is read from the command's click definition, and a query
string is validated by click itself (as the argument list `--asof 2026-01-20 ...`), so types,
defaults, callbacks (such as `--with`, checked against the store) and every message are the
CLI's. A query name is the option's long flag without the dashes: `--log-buckets` is
`log-buckets`, `--from` is `from`; a flag (`--list`) takes true or false.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from costbasis.errors import UsageError

# Options the server owns: the representation is chosen by ?format= / Accept, never a file.
NOT_QUERY = ("fmt", "out")
TRUE, FALSE = ("true", "1", "yes", "on", ""), ("false", "0", "no", "off")
_JSON_TYPES = {int: "integer", float: "number", bool: "boolean"}


@dataclass(frozen=True)
class QueryParam:
    name: str       # query name, e.g. "log-buckets"
    flag: str       # the CLI flag, e.g. "--log-buckets"
    dest: str       # the command function's argument, e.g. "log_buckets"
    kind: type      # str, int, float or bool (a flag)
    default: object
    help: str


@lru_cache(maxsize=1)
def _group():
    import typer.main

    from costbasis.cli.app import app
    return typer.main.get_command(app)


def command(path: tuple[str, ...]):
    """The click command at `path`, e.g. ("urpd",) or ("prices", "show")."""
    cmd = _group()
    for name in path:
        cmd = cmd.commands[name]
    return cmd


@lru_cache(maxsize=None)
def params_of(path: tuple[str, ...]) -> tuple[QueryParam, ...]:
    out = []
    for p in command(path).params:
        if p.name in NOT_QUERY or not getattr(p, "opts", None):
            continue
        flag = max(p.opts, key=len)
        kind = bool if p.is_flag else getattr(getattr(p, "type_descriptor", None), "annotation", str)
        out.append(QueryParam(flag.lstrip("-"), flag, p.name, kind if kind in (int, float, bool) else str,
                              p.default, p.help or ""))
    return tuple(out)


def openapi_parameters(path: tuple[str, ...], extra: list[dict] = ()) -> list[dict]:
    """OpenAPI `parameters` of an endpoint (the routes read the query string themselves)."""
    out = []
    for q in params_of(path):
        schema = {"type": _JSON_TYPES.get(q.kind, "string")}
        if q.default is not None:
            schema["default"] = q.default
        out.append({"name": q.name, "in": "query", "required": False, "schema": schema,
                    "description": f"{q.help} (CLI: {q.flag})"})
    return out + list(extra)


def parse(path: tuple[str, ...], items: list[tuple[str, str]], cache: Path) -> dict:
    """{argument: value} for the query `items` (without the server's own keys), exactly as the
    CLI parses `costbasis <path> --name value ...`; a bad value raises click's UsageError."""
    by_name = {q.name: q for q in params_of(path)}
    argv: list[str] = []
    for name, value in items:
        q = by_name.get(name)
        if q is None:
            argv += [f"--{name}", value]   # click refuses it: "No such option: --name"
        elif q.kind is bool:
            v = value.strip().lower()
            if v not in TRUE + FALSE:
                raise UsageError(f"{q.flag} is a flag: give {name}=true or {name}=false, not {value!r}")
            if v in TRUE:
                argv.append(q.flag)
        else:
            argv += [q.flag, value]
    group = _group()
    # what the CLI's group callback sets (the --with check opens the store through it)
    parent = group.context_class(group, info_name="costbasis", obj={"cache": Path(cache)})
    for name in path[:-1]:
        parent = group.context_class(group.commands[name], info_name=name, parent=parent)
    cmd = command(path)
    with cmd.make_context(path[-1], argv, parent=parent) as ctx:
        return dict(ctx.params)
