"""Bitcoin layer: block parsing, datadir (libbitcoinkernel) and RPC sources, ingest."""
