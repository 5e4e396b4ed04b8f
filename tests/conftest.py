"""Shared fixtures: paths to ../shared data (skip cleanly when absent), CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COSTBASIS_SHARED", ROOT.parent / "shared"))
SHARED_DATA = SHARED / "data"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"../shared/data not found at {SHARED_DATA} (set COSTBASIS_SHARED); real-data test skipped")
    return SHARED_DATA


def run_cli(*args: str, cache: Path | None = None, check: bool = False, input: str | None = None,
            env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the real `costbasis` CLI in a subprocess (as a user would)."""
    cmd = [sys.executable, "-m", "costbasis"]
    if cache is not None:
        cmd += ["--cache", str(cache)]
    cmd += list(args)
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(cmd, capture_output=True, text=True, input=input, env=e, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"costbasis {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


@pytest.fixture
def cli():
    return run_cli


# ---------------------------------------------------------------- Bitcoin datadir fixtures
MAINNET_BLK = SHARED_DATA / "btc_blocks" / "mainnet_blocks_1_255.blk"


def import_blk_datadir(blk_files: list[Path], datadir: Path, chain_type: str = "MAINNET") -> Path:
    """A real Bitcoin Core datadir built by libbitcoinkernel importing blk files (XOR, index, undo)."""
    import pbk

    cm = pbk.load_chainman(str(datadir), getattr(pbk.ChainType, chain_type))
    try:
        cm.import_blocks([str(p) for p in blk_files])
    finally:
        cm.__exit__(None, None, None)  # release the datadir before anything else opens it
    return datadir


@pytest.fixture(scope="session")
def mainnet_datadir(tmp_path_factory) -> Path:
    """Mainnet datadir holding blocks 0-255 (read-only for tests: copy it before damaging it)."""
    if not MAINNET_BLK.is_file():
        pytest.skip(f"{MAINNET_BLK} not found (set COSTBASIS_SHARED); real-data test skipped")
    return import_blk_datadir([MAINNET_BLK], tmp_path_factory.mktemp("mainnet_datadir"))


@pytest.fixture(scope="session")
def mainnet_store(mainnet_datadir, tmp_path_factory) -> Path:
    """Cache root with chain "bitcoin" ingested from mainnet blocks 0-255 (read-only for tests)."""
    from costbasis.bitcoin.datadir import DatadirSource
    from costbasis.bitcoin.ingest import ingest
    from costbasis.store import Store

    root = tmp_path_factory.mktemp("mainnet_store")
    src = DatadirSource(mainnet_datadir, "main")
    try:
        ingest(src, Store(root), progress=False)
    finally:
        src.close()
    return root
