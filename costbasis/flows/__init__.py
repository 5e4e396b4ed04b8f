"""Exchange flows and whale deposit signals (Bitcoin), computed in DuckDB from sql/flows_* and sql/whales_*."""
