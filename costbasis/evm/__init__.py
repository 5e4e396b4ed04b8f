"""EVM chains (Ethereum and any EVM chain) through JSON-RPC: ingestion and account-model cost basis.

Datasets (one module each, cryo style): blocks, transactions, native_transfers,
erc20_transfers. `ingest.ingest_evm` writes them to the store; avg_cost / fifo
turn transfers into holdings; cohorts, urpd and flows compute the metrics.
"""
