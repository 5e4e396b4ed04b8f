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
