"""`costbasis serve`: the query commands as an HTTP JSON API, and a dashboard page.

Read-only over the store. Each endpoint parses its query string with the CLI command's own
click options (params.py), so names, defaults and messages are the CLI's; calls the same
costbasis.engine.api function; and encodes the table as `--format json|csv|parquet` does.
"""
