"""Resumable ingest: a real kill -9 mid-run, then a rerun, gives exactly the rows of an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from costbasis.bitcoin.schema import TABLES
from costbasis.store import Store

from conftest import run_cli


def all_rows(root: Path, chain: str = "bitcoin") -> dict[str, list]:
    ch = Store(root).chain(chain)
    out = {}
    for table in TABLES:
        files = ch.files(table)
        t = pa.concat_tables([pq.read_table(p) for p in files]) if files else TABLES[table].empty_table()
        out[table] = sorted(tuple(r.values()) for r in t.to_pylist())
    return out


def assert_no_stray_files(root: Path, chain: str = "bitcoin") -> None:
    ch = Store(root).chain(chain)
    for table in TABLES:
        listed = {p.name for p in ch.files(table)}
        on_disk = {p.name for p in (ch.path / table).iterdir()} if (ch.path / table).is_dir() else set()
        assert on_disk == listed, f"{table}: unlisted files {on_disk - listed}, missing {listed - on_disk}"


def stored_tip(root: Path) -> int | None:
    try:
        m = json.loads((root / "bitcoin" / "_manifest.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return m["tip"]["height"] if m.get("tip") else None


def kill_at(root: Path, datadir: Path, min_tip: int) -> int | None:
    """Start a real ingest (one block per commit) and SIGKILL it once the store passes `min_tip`."""
    cmd = [sys.executable, "-m", "costbasis", "--cache", str(root), "ingest", "bitcoin", "--datadir", str(datadir),
           "--batch-blocks", "1", "--no-progress"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and p.poll() is None:
            tip = stored_tip(root)
            if tip is not None and tip >= min_tip:
                break
            time.sleep(0.002)
        if p.poll() is not None:
            pytest.fail(f"ingest finished before it could be killed: {p.stderr.read().decode()}")
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == -signal.SIGKILL
    return stored_tip(root)


def test_kill_9_mid_ingest_then_rerun_gives_identical_rows(tmp_path, mainnet_datadir, mainnet_store):
    reference = all_rows(mainnet_store)
    root = tmp_path / "cache"
    tips = []
    for min_tip in (40, 150):          # two kills at different points, each resumed by the next run
        tips.append(kill_at(root, mainnet_datadir, min_tip))
    assert tips[0] is not None and 40 <= tips[0] < 255
    assert tips[1] is not None and tips[1] >= tips[0]
    # the interrupted store is consistent: tip = last committed block, every table covers exactly 0..tip
    ch = Store(root).chain("bitcoin")
    for table in TABLES:
        es = ch.entries(table)
        assert es[0].first == 0 and es[-1].last == tips[1]
        assert all(a.last + 1 == b.first for a, b in zip(es, es[1:]))
    run_cli("ingest", "bitcoin", "--datadir", str(mainnet_datadir), "--batch-blocks", "7", cache=root, check=True)
    assert stored_tip(root) == 255
    assert all_rows(root) == reference
    assert_no_stray_files(root)


def test_rerun_is_a_noop_and_end_option_resumes(tmp_path, mainnet_datadir, mainnet_store):
    root = tmp_path / "cache"
    p = run_cli("ingest", "bitcoin", "--datadir", str(mainnet_datadir), "--end", "99", cache=root, check=True)
    assert "0..99" in p.stdout
    assert stored_tip(root) == 99
    p = run_cli("ingest", "bitcoin", "--datadir", str(mainnet_datadir), cache=root, check=True)
    assert "100..255" in p.stdout
    p = run_cli("ingest", "bitcoin", "--datadir", str(mainnet_datadir), cache=root, check=True)
    assert "up to date at block 255" in p.stdout
    assert all_rows(root) == all_rows(mainnet_store)
