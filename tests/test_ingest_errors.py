"""Bad input for `ingest bitcoin --datadir`: one-line error, non-zero exit, nothing half-written."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import run_cli
from support.cli import one_line_error
from test_ingest_resume import assert_no_stray_files, stored_tip


def copy_datadir(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def assert_one_line_error(p: subprocess.CompletedProcess, *words: str) -> None:
    one_line_error(p, *words)


def test_non_datadir_path(tmp_path):
    (tmp_path / "empty").mkdir()
    for path in (tmp_path / "empty", tmp_path / "missing"):
        p = run_cli("ingest", "bitcoin", "--datadir", str(path), cache=tmp_path / "cache")
        assert_one_line_error(p, str(path))
    assert not (tmp_path / "cache" / "bitcoin" / "_manifest.json").exists()


def test_wrong_network(tmp_path, mainnet_datadir):
    d = copy_datadir(mainnet_datadir, tmp_path / "dd")
    p = run_cli("ingest", "bitcoin", "--datadir", str(d), "--network", "regtest", cache=tmp_path / "cache")
    assert_one_line_error(p, "regtest")
    assert stored_tip(tmp_path / "cache") is None


@pytest.mark.parametrize("damage", ["truncate", "flip", "zero_run"])
def test_damaged_block_file(tmp_path, mainnet_datadir, damage):
    d = copy_datadir(mainnet_datadir, tmp_path / "dd")
    blk = d / "blocks" / "blk00000.dat"
    if damage == "truncate":
        with open(blk, "r+b") as f:
            f.truncate(40_000)           # mid-way through the blocks after 170
    else:
        # inside the blocks after ~150: the kernel only verifies the last blocks on load, our reader must notice
        data = bytearray(blk.read_bytes())
        if damage == "flip":
            data[30_000] ^= 0x5A
        else:
            data[30_000:31_000] = bytes(1000)
        blk.write_bytes(bytes(data))
    cache = tmp_path / "cache"
    p = run_cli("ingest", "bitcoin", "--datadir", str(d), cache=cache)
    assert_one_line_error(p, "block")
    assert stored_tip(cache) is None     # one batch covers the whole chain: nothing committed
    if (cache / "bitcoin").exists():
        assert_no_stray_files(cache)
    # with small batches, the blocks before the damage are committed whole, and nothing after
    p = run_cli("ingest", "bitcoin", "--datadir", str(d), "--batch-blocks", "10", cache=cache)
    assert_one_line_error(p, "block")
    tip = stored_tip(cache)
    if damage == "truncate":
        assert tip is None                # the kernel refuses the datadir before anything is read
    else:
        assert tip is not None and tip % 10 == 9 and 100 < tip < 200
        assert_no_stray_files(cache)


HOLD_KERNEL = textwrap.dedent("""
    import sys, time, pbk
    cm = pbk.load_chainman(sys.argv[1], pbk.ChainType.MAINNET)
    print("ready", flush=True)
    sys.stdin.read()
""")
HOLD_LOCKFILE = textwrap.dedent("""
    import fcntl, os, sys
    fd = os.open(os.path.join(sys.argv[1], ".lock"), os.O_CREAT | os.O_RDWR)
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)   # what bitcoind does to its datadir
    print("ready", flush=True)
    sys.stdin.read()
""")


@pytest.mark.parametrize("holder", [HOLD_KERNEL, HOLD_LOCKFILE], ids=["kernel", "bitcoind_lockfile"])
def test_locked_datadir(tmp_path, mainnet_datadir, holder):
    d = copy_datadir(mainnet_datadir, tmp_path / "dd")
    h = subprocess.Popen([sys.executable, "-c", holder, str(d)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    try:
        assert h.stdout.readline().strip() == "ready"
        p = run_cli("ingest", "bitcoin", "--datadir", str(d), cache=tmp_path / "cache")
        assert_one_line_error(p, "locked")
        assert stored_tip(tmp_path / "cache") is None
    finally:
        h.stdin.close()
        h.wait(timeout=30)
    # released: the same datadir now ingests fine
    run_cli("ingest", "bitcoin", "--datadir", str(d), cache=tmp_path / "cache", check=True)
    assert stored_tip(tmp_path / "cache") == 255


def test_usage_errors(tmp_path, mainnet_datadir):
    p = run_cli("ingest", "bitcoin", cache=tmp_path / "cache")
    assert_one_line_error(p, "--datadir")
    p = run_cli("ingest", "bitcoin", "--datadir", str(mainnet_datadir), "--network", "mainnet", cache=tmp_path / "c")
    assert_one_line_error(p, "network")
