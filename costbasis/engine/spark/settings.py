"""Which engine runs the heavy builds: DuckDB (default) or Apache Spark (issue 16).

Set once by the CLI's global options `--engine duckdb|spark`, `--spark-master URL` and
`--spark-conf key=value` (repeated), or COSTBASIS_ENGINE / COSTBASIS_SPARK_MASTER /
COSTBASIS_SPARK_CONF (comma-separated key=value); library callers that never configure get the
environment, like the CLI without options (same pattern as engine/budget.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from costbasis.errors import UsageError

ENGINES = ("duckdb", "spark")
DEFAULT_MASTER = "local[*]"


@dataclass(frozen=True)
class EngineSettings:
    engine: str = "duckdb"
    master: str = DEFAULT_MASTER
    conf: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def spark(self) -> bool:
        return self.engine == "spark"


_settings: EngineSettings | None = None


def parse_engine(value) -> str:
    v = (str(value).strip().lower() if value is not None else "") or "duckdb"
    if v not in ENGINES:
        raise UsageError(f"--engine {value!r} is not one of: {', '.join(ENGINES)}")
    return v


def parse_conf(items) -> tuple[tuple[str, str], ...]:
    out = []
    for item in items or ():
        key, sep, val = str(item).partition("=")
        if not sep or not key.strip() or not key.strip().startswith("spark."):
            raise UsageError(f"--spark-conf {item!r} is not key=value with a spark.* key "
                             "(e.g. spark.executor.memory=4g)")
        out.append((key.strip(), val.strip()))
    return tuple(out)


def parse_master(value) -> str:
    v = (str(value).strip() if value is not None else "") or DEFAULT_MASTER
    if not (v.startswith(("local", "spark://", "yarn", "k8s://", "mesos://")) or v.startswith("sc://")):
        raise UsageError(f"--spark-master {value!r} is not a Spark master URL "
                         "(local[*], local[N], spark://host:port, yarn, k8s://...)")
    return v


def configure(engine=None, master=None, conf=None) -> EngineSettings:
    """Set the process-wide engine choice (the CLI's global options); returns it."""
    global _settings
    if not conf:
        env = os.environ.get("COSTBASIS_SPARK_CONF") or ""
        conf = [c for c in env.split(",") if c.strip()]
    _settings = EngineSettings(parse_engine(engine if engine is not None else os.environ.get("COSTBASIS_ENGINE")),
                               parse_master(master if master is not None else os.environ.get("COSTBASIS_SPARK_MASTER")),
                               parse_conf(conf))
    return _settings


def current() -> EngineSettings:
    if _settings is None:
        try:
            return configure()
        except UsageError:   # a bad env var outside the CLI: DuckDB, the CLI reports it
            return EngineSettings()
    return _settings


def enabled() -> bool:
    """--engine spark is chosen (the hooks hand their builds to Spark)."""
    return current().spark


def use(engine: str, master: str | None = None, conf=None) -> EngineSettings:
    """For library callers and tests: switch engines in-process."""
    return configure(engine, master, conf)


def cache_path(cache):
    """`--cache` as given: a folder, or a file:// URL of one. The manifest (the commit point) is read
    and written locally; for Spark reading a copy of the store in a data lake, give its URL as
    `--spark-conf spark.costbasis.storeUrl=s3a://bucket/prefix` (or hdfs://...)."""
    if cache is None:
        return None
    text = str(cache)
    if text.startswith("file:"):
        from pathlib import Path
        from urllib.parse import unquote, urlparse
        u = urlparse(text if "://" in text else "file://" + text[len("file:"):])
        if u.netloc not in ("", "localhost"):
            raise UsageError(f"--cache {text!r}: a file:// URL must name a local folder")
        return Path(unquote(u.path))
    if "://" in text or text.startswith(("s3:", "s3a:", "hdfs:", "gs:", "abfs:")):
        raise UsageError(f"--cache {text!r}: the store is a local folder (or file:// URL); for Spark over a "
                         "copy in a data lake use --spark-conf spark.costbasis.storeUrl=URL")
    return cache
