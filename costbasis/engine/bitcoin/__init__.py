"""The Bitcoin (UTXO) metric engine: per-coin cost basis from the store's outputs and inputs.

What differs from the EVM engine (costbasis.engine.evm) lives here; callers go through
costbasis.engine.api, which picks the family once per call (costbasis.engine.family).
"""
