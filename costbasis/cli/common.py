"""Options and helpers shared by the command modules."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from costbasis.store import Store


def _cache_of(ctx: typer.Context) -> Path | None:
    # the group callback has set the root obj before any subcommand parameter is parsed
    obj = ctx.find_root().obj
    return obj.get("cache") if isinstance(obj, dict) else None


def _sibling(ctx: typer.Context, flag: str):
    """(found, value) of the option `flag` if click has already parsed it for this command."""
    for p in ctx.command.params:
        if flag in p.opts and p.name in ctx.params:
            return True, ctx.params[p.name]
    return False, None


def check_output(ctx: typer.Context, fmt: str | None, out: Path | None) -> None:
    """Validate --format/--out (name, parquet needs --out, target usable and outside the cache).

    Runs from the option callbacks below, i.e. while click parses the command line and before
    the command body can write to the store; commands with their own options may call it too."""
    from costbasis.cli.output import check_output as check

    check(fmt, out, _cache_of(ctx))


def _format_cb(ctx: typer.Context, value: str) -> str:
    if not ctx.resilient_parsing:
        from costbasis.cli.output import check_format

        check_format(value)
        # click parses options in command-line order: whichever of the pair comes second checks both
        found, out = _sibling(ctx, "--out")
        if found:
            check_output(ctx, value, out)
    return value


def _out_cb(ctx: typer.Context, value: Optional[Path]) -> Optional[Path]:
    if not ctx.resilient_parsing:
        found, fmt = _sibling(ctx, "--format")
        check_output(ctx, fmt if found else None, value)
    return value


FormatOpt = typer.Option("table", "--format", "-f", help="Output format: table|csv|json|parquet.",
                         callback=_format_cb)
OutOpt = typer.Option(None, "--out", "-o", callback=_out_cb,
                      help="Write to FILE instead of stdout (required for parquet); - is stdout. A symlink is "
                      "followed, a device or FIFO written in place; a path inside the cache is refused.")


def store_from(ctx: typer.Context) -> Store:
    return Store(ctx.obj["cache"] if ctx.obj else Path("parquet_cache"))
