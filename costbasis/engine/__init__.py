"""DuckDB engine: views over the Parquet store, metrics from the files in sql/."""
