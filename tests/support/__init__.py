"""Test helpers: a real anvil node, a Bitcoin-Core-like RPC server, chain and table factories,
reference computations. Imported as `support.<module>` (tests/ is on sys.path under pytest)."""
