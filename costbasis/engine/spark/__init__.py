"""Apache Spark as a second engine for the heavy full-chain builds (issue 16).

- settings.py: `--engine duckdb|spark`, `--spark-master`, `--spark-conf` (process-wide, like budget.py)
- transpile.py: the files in sql/ transpiled duckdb -> spark with sqlglot at run time (one source
  of truth; PORTABLE lists the files that must run on both engines, tests/test_spark.py checks it)
- session.py: one SparkSession per process; the store's committed Parquet files as Spark views
- hooks.py: the few points where the engine hands a heavy build to Spark and takes the result
  back as DuckDB temp tables, so the derived state written afterwards is the same files as ever;
  a thin face over one module per concept: cohorts.py (cold and logistic builds), state.py (URPD
  and supply by price over the lot segments), sopr.py, flows.py (flow and whale build steps),
  clusters.py (connected components), coverage.py (what stays on DuckDB), trace.py (what ran),
  statements.py (running sql/ statements on Spark)

Nothing here is imported unless `--engine spark` is chosen (pyspark is an optional extra).
"""
