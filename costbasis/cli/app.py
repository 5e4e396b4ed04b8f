"""`costbasis` entry point. Each command family lives in its own module with a `register(app)`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from costbasis.errors import CostbasisError

app = typer.Typer(
    name="costbasis",
    help="On-chain holder cost-basis analytics: cohorts, URPD, support/resistance bands, whale deposits.\n\n"
    "Example: costbasis demo",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=False,
)

@app.callback()
def main_options(
    ctx: typer.Context,
    cache: Optional[Path] = typer.Option(
        None, "--cache", envvar="COSTBASIS_CACHE", help="Store directory (default ./parquet_cache)."
    ),
    memory_limit: Optional[str] = typer.Option(
        None, "--memory-limit", envvar="COSTBASIS_MEMORY_LIMIT", metavar="SIZE",
        help="Memory for the query engine, e.g. 256MB, 4GB, 1.5GiB (default 4GB); beyond it work "
             "spills to <cache>/_tmp/, removed afterwards."),
    threads: Optional[str] = typer.Option(
        None, "--threads", envvar="COSTBASIS_THREADS", metavar="N",
        help="Query engine threads (default: one per core; 1 makes float sums reproducible)."),
    engine: Optional[str] = typer.Option(
        None, "--engine", envvar="COSTBASIS_ENGINE", metavar="duckdb|spark",
        help="Engine of the heavy full-chain builds (default duckdb); spark runs them on Apache Spark."),
    spark_master: Optional[str] = typer.Option(
        None, "--spark-master", envvar="COSTBASIS_SPARK_MASTER", metavar="URL",
        help="Spark master URL with --engine spark (default local[*])."),
    spark_conf: Optional[list[str]] = typer.Option(
        None, "--spark-conf", metavar="KEY=VALUE", help="Spark setting, repeatable (e.g. spark.executor.memory=4g)."),
):
    """On-chain holder cost-basis analytics. Example: costbasis --cache ./parquet_cache status"""
    from costbasis.engine import budget
    # checked here, before any command runs or writes: a bad size is a one-line usage error
    b = budget.configure(memory_limit, threads)
    from costbasis.engine.spark import settings as engine_settings
    engine_settings.configure(engine, spark_master, spark_conf)
    cache = engine_settings.cache_path(cache)   # a file:// URL is the folder it names
    ctx.obj = {"cache": cache or Path("parquet_cache"), "budget": b}


# Command modules, in the order they appear in --help; each has one `register(app)`.
from costbasis.cli import (  # noqa: E402  (after `app`, which they register on)
    bands, brief, chart, check, cohorts, context, demo, events, flows, follow, ingest, labels, prices, serve,
    sopr, status, urpd, whales,
)

COMMAND_MODULES = (ingest, follow, status, check, prices, cohorts, urpd, sopr, bands, chart,
                   labels, flows, whales, context, brief, events, serve, demo)
for _module in COMMAND_MODULES:
    _module.register(app)


def _click_exceptions():
    """typer >= 0.2x vendors click as typer._click; older typer uses click itself."""
    try:
        from typer._click import exceptions
    except ImportError:
        from click import exceptions
    return exceptions


def main() -> None:
    ce = _click_exceptions()
    no_args = getattr(ce, "NoArgsIsHelpError", ())
    # Exit/Abort live in click's exceptions (older typer) or in typer's own (typer >= 0.2x)
    exits = tuple({c for c in (getattr(ce, "Exit", None), getattr(typer, "Exit", None)) if c})
    aborts = tuple({c for c in (getattr(ce, "Abort", None), getattr(typer, "Abort", None)) if c})
    try:
        # standalone_mode=False: click hands usage errors to us, so they print as one line too
        rc = app(standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except no_args as e:
        print(e.ctx.get_help() if e.ctx else str(e))
        sys.exit(0)
    except ce.UsageError as e:
        cmd = e.ctx.command_path if e.ctx else "costbasis"
        print(f"error: {e.format_message()} (see `{cmd} --help`)", file=sys.stderr)
        sys.exit(2)
    except aborts:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
    except exits as e:
        sys.exit(e.exit_code)
    except CostbasisError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(1)
    except OSError as e:  # the environment, not a bug: read-only cache, full disk, a file where a folder goes
        where = f": {e.filename}" if e.filename else ""
        print(f"error: {e.strerror or e}{where}", file=sys.stderr)
        sys.exit(1)
    except Exception as e:
        if not _is_duckdb_error(e) or os.environ.get("COSTBASIS_DEBUG"):
            raise
        # DuckDB errors here are the machine's (out of memory, spill disk full, a damaged file DuckDB
        # read): one line, with the knob that helps; COSTBASIS_DEBUG=1 keeps the traceback
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        hint = ("; raise --memory-limit or free disk space in the cache's _tmp/ folder"
                if "memory" in first.lower() or "space" in first.lower() else "; run `costbasis check`")
        print(f"error: {first}{hint}", file=sys.stderr)
        sys.exit(1)


def _is_duckdb_error(e: BaseException) -> bool:
    duckdb = sys.modules.get("duckdb")
    return duckdb is not None and isinstance(e, duckdb.Error)


if __name__ == "__main__":
    main()
