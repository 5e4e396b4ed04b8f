"""`costbasis status`: per chain and table height range, rows, files, bytes, last block time."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pyarrow.parquet as pq

from conftest import run_cli


def test_status_json_matches_store_files(mainnet_store, mainnet_datadir):
    import pbk

    p = run_cli("status", "--format", "json", cache=mainnet_store, check=True)
    rows = {r["table"]: r for r in json.loads(p.stdout) if r["chain"] == "bitcoin"}
    assert set(rows) == {"blocks", "outputs", "inputs", "coin_flows"}
    for table, r in rows.items():
        files = sorted((mainnet_store / "bitcoin" / table).glob("*.parquet"))
        assert r["files"] == len(files)
        assert r["rows"] == sum(pq.read_metadata(f).num_rows for f in files)
        assert r["bytes"] == sum(f.stat().st_size for f in files)
        assert (r["first_height"], r["last_height"], r["network"]) == (0, 255, "main")
    assert rows["blocks"]["rows"] == 256
    cm = pbk.load_chainman(str(mainnet_datadir), pbk.ChainType.MAINNET)
    try:
        t = cm.get_active_chain().block_tree_entries[255].block_header.timestamp
    finally:
        cm.__exit__(None, None, None)
    assert rows["blocks"]["last_block_time"] == t.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def test_status_empty_store_and_table_output(tmp_path, mainnet_store):
    p = run_cli("status", "--format", "json", cache=tmp_path / "none", check=True)
    assert json.loads(p.stdout) == []
    p = run_cli("status", cache=mainnet_store, check=True)
    assert "coin_flows" in p.stdout and "bitcoin" in p.stdout
    assert "Example:" in run_cli("status", "--help", check=True).stdout
    assert "Example:" in run_cli("ingest", "bitcoin", "--help", check=True).stdout
