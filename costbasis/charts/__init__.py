"""PNG charts (matplotlib, Agg, no pyplot global state): bands over time, URPD, whale deposits.

Each module has a pure `plot_*` function taking plain arrays/tables and a path, and a
thin `*_chart(store, ...)` that fetches its inputs from the engine.
"""
