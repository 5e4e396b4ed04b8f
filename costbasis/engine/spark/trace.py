"""What the Spark hooks did in this process, recorded for the tests and the bench.

RUNS counts the tables each hook computed on Spark (tests/test_spark.py and bench/spark.py check
a build really ran there); ASKED holds every sql/ file a call path hands to Spark with --engine
spark, recorded with either engine (tests/test_spark_coverage.py: the whole-chain SQL a metric
runs on DuckDB must be in it, or be listed in coverage.DUCKDB_ONLY).
"""

from __future__ import annotations

RUNS: dict[str, int] = {}
ASKED: set[str] = set()


def ran(name: str) -> None:
    RUNS[name] = RUNS.get(name, 0) + 1


def asked(*names: str) -> None:
    ASKED.update(names)
