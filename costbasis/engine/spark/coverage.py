"""Which sql/ files run where under --engine spark: the hooks' files, and DUCKDB_ONLY with reasons.

tests/test_spark_coverage.py traces every Bitcoin metric on DuckDB and fails when a whole-chain
file (reads the chain's outputs/inputs/coin_flows or all lots) runs neither on Spark
(spark_files(), asked by the call path: trace.ASKED) nor is listed in DUCKDB_ONLY, so a metric
cannot exist on one engine only without it being said.
"""

from __future__ import annotations

from costbasis.engine.spark.cohorts import COHORT_SQL, LOGISTIC_SQL
from costbasis.engine.spark.flows import FLOW_FILES, FLOW_QUERIES
from costbasis.engine.spark.sopr import SOPR_FILES
from costbasis.engine.spark.state import STATE_FILES


def spark_files() -> set[str]:
    """Every sql/ file a Spark hook runs (transpiled) in place of DuckDB."""
    return set(COHORT_SQL) | set(LOGISTIC_SQL) | set(SOPR_FILES) | set(FLOW_FILES) | set(FLOW_QUERIES) | set(STATE_FILES)


# Whole-chain SQL that DuckDB runs under --engine spark too, and why.
DUCKDB_ONLY = {
    "labels_cluster_txs": "clustering: DuckDB numbers the scripts (the ids the union-find is kept in) and "
                          "finds the multi-input txs; the connected components of their edges run on Spark",
    "labels_cluster_inputs": "clustering: as labels_cluster_txs (the edges' inputs)",
    "labels_cluster_scripts": "clustering: as labels_cluster_txs (new script ids)",
    "labels_spend_counts": "exchange-label sweeps (labels expand), not clustering: per-segment counts kept by DuckDB",
    "labels_sweep_hits": "exchange-label sweeps (labels expand): as labels_spend_counts",
    "flows_touched_txs": "the flow tables' redo for new labels or clusters (flows/stored/redo.py) runs on DuckDB "
                         "under --engine spark: it recomputes a few txs per stored range, from DuckDB temp tables",
    "cohort_lots_reprice": "incremental update after a price change: a few blocks, DuckDB",
    "live_events_recent": "incremental update / query: the days since the base snapshot only, DuckDB",
    "recent_lots": "as live_events_recent: the lots changed since the base snapshot (a filter in the query)",
    "live_events_day": "query of one past day (bands --asof): that day's live lots, DuckDB (on Spark in a cold build)",
}
