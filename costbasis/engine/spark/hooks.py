"""The points where a heavy build runs on Spark when `--engine spark` is chosen: the face the
engine calls (`from costbasis.engine.spark import hooks as spark_hooks`), one line per call site.

Each hook returns what DuckDB would have made (a DuckDB temp table, rows, a query), or
False/None when DuckDB runs the file itself. What runs on Spark, by concept:
- cohorts.py: the cohort state's cold build and the logistic split's first build
  (cohort_cold_build, logistic_build, offload, script)
- state.py: URPD and the bands' supply by price over the persisted lot segments (segments, run)
- sopr.py: SOPR over all of coin_flows
- flows.py: the flow and whale tables' build steps (flows_build, query; DuckDB's hash() keys)
- clusters.py: the connected components of common-input clustering (union_components)
- coverage.py: which whole-chain SQL stays on DuckDB, and why (DUCKDB_ONLY, spark_files)
- trace.py: what ran on Spark and what was asked of it (RUNS, ASKED: the tests and the bench)
- statements.py: running the sql/ files' statements on Spark (run_sql, shared by all of them)
"""

from __future__ import annotations

from costbasis.engine.spark import cohorts, flows, state
from costbasis.engine.spark.clusters import components, union_components
from costbasis.engine.spark.cohorts import (COHORT_SQL, COHORT_TABLES, LOGISTIC_SQL, cohort_cold_build,
                                            logistic_build, offload, script)
from costbasis.engine.spark.coverage import DUCKDB_ONLY, spark_files
from costbasis.engine.spark.flows import FLOW_FILES, FLOW_QUERIES, flows_build, query, split_query
from costbasis.engine.spark.sopr import SOPR_FILES, sopr
from costbasis.engine.spark.state import STATE_FILES, run, segments
from costbasis.engine.spark.statements import run_sql, transpile_tree
from costbasis.engine.spark.trace import ASKED, RUNS

__all__ = ["ASKED", "COHORT_SQL", "COHORT_TABLES", "DUCKDB_ONLY", "FLOW_FILES", "FLOW_QUERIES", "LOGISTIC_SQL",
           "RUNS", "SOPR_FILES", "STATE_FILES", "cohort_cold_build", "components", "create", "flows_build",
           "logistic_build", "offload", "query", "run", "run_sql", "script", "segments", "sopr", "spark_files",
           "split_query", "transpile_tree", "union_components"]


def create(con, name: str, params: dict) -> bool:
    """Run sql/<name>.sql (a CREATE TEMP TABLE t AS SELECT ...) on Spark: in a flows build DuckDB
    temp table t and Spark view t hold the result, in a cold cohort build the Spark view only, in a
    state query DuckDB's t. False: not in a Spark build or state query, DuckDB runs the file."""
    return flows.create(con, name, params) or cohorts.create(con, name, params) or state.create(con, name, params)
