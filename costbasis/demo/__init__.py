"""The demo: a deterministic simulated market written as regtest blocks through libbitcoinkernel,
then ingested and analysed by the same code paths as production data."""
