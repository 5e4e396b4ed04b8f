"""Support and resistance bands from holder cost basis.

One small module per level source (cohort realized prices, STH-MVRV sigma bands,
cost-basis quantiles, URPD clusters and air gaps); `merge` joins nearly coincident
levels and `assemble` classifies them against a price. The pure functions take
plain numbers and arrays; `inputs` is the thin layer that fetches them from the engine.

Library entry points: `costbasis.bands.assemble.bands(store, ...)` and
`costbasis.bands.assemble.bands_series(store, ...)`.
"""
