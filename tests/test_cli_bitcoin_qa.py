"""What a user hits on the command line with bad ranges, damaged or foreign datadirs, Ctrl-C,
unwritable places and a read-only install: one `error:` line, a non-zero exit, nothing half-written,
and the datadir left as it was."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pytest

from conftest import run_cli
from test_ingest_errors import assert_one_line_error
from test_ingest_resume import all_rows, assert_no_stray_files, stored_tip


@pytest.fixture
def spaced_datadir(tmp_path, mainnet_datadir) -> Path:
    """A private copy of the mainnet datadir, at a path with spaces."""
    return Path(shutil.copytree(mainnet_datadir, tmp_path / "my bitcoin data" / "dd"))


def ingest(datadir: Path, cache: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_cli("ingest", "bitcoin", "--datadir", str(datadir), "--no-progress", *extra, cache=cache)


# ------------------------------------------------------------------ ranges
@pytest.mark.parametrize("args,words", [
    (("--start", "300"), ("--start 300", "tip", "255")),      # the datadir ends at 255
    (("--start", "50", "--end", "10"), ("--end 10", "--start 50")),
    (("--end", "-5"), ("--end",)),
])
def test_bad_ranges_are_errors_and_write_nothing(tmp_path, mainnet_datadir, args, words):
    cache = tmp_path / "cache"
    assert_one_line_error(ingest(mainnet_datadir, cache, *args), *words)
    assert stored_tip(cache) is None


def test_spaced_paths_ranges_and_resume(tmp_path, spaced_datadir, mainnet_store):
    cache = tmp_path / "my cache dir"
    p = ingest(spaced_datadir, cache, "--start", "0", "--end", "99")
    assert p.returncode == 0, p.stderr
    assert stored_tip(cache) == 99
    # a start past the stored tip would leave a hole in the store
    assert_one_line_error(ingest(spaced_datadir, cache, "--start", "150"), "gap", "99")
    assert stored_tip(cache) == 99
    p = ingest(spaced_datadir, cache)
    assert p.returncode == 0 and "100..255" in p.stdout
    assert all_rows(cache) == all_rows(mainnet_store)


# ------------------------------------------------------------------ damaged / foreign datadirs
def test_a_file_is_not_a_datadir(tmp_path):
    f = tmp_path / "bitcoin.conf"
    f.write_text("server=1\n")
    assert_one_line_error(ingest(f, tmp_path / "cache"), str(f), "not a directory")


def test_wrong_network_names_the_right_one(tmp_path, spaced_datadir):
    # blk00000.dat starts with the mainnet magic (after un-XORing): the message says which network it is
    p = ingest(spaced_datadir, tmp_path / "cache", "--network", "testnet4")
    assert_one_line_error(p, "testnet4", "--network main")
    assert stored_tip(tmp_path / "cache") is None


def test_network_subdirectory_is_pointed_out(tmp_path):
    # Bitcoin Core keeps regtest data in <datadir>/regtest: asking for main there names the subdirectory
    dd = tmp_path / "dd"
    (dd / "regtest" / "blocks" / "index").mkdir(parents=True)
    (dd / "regtest" / "chainstate").mkdir()
    assert_one_line_error(ingest(dd, tmp_path / "cache"), "regtest/", "--network regtest")


def test_bad_xor_key_file(tmp_path, spaced_datadir):
    xor = spaced_datadir / "blocks" / "xor.dat"
    xor.write_bytes(b"abc")
    assert_one_line_error(ingest(spaced_datadir, tmp_path / "cache"), "xor.dat", "3 bytes")
    xor.write_bytes(b"12345678")      # right size, wrong key: the block files no longer start with the magic
    assert_one_line_error(ingest(spaced_datadir, tmp_path / "cache"), "magic", "xor.dat")
    assert stored_tip(tmp_path / "cache") is None


def test_missing_xor_key_is_reported_and_not_recreated(tmp_path, spaced_datadir):
    # libbitcoinkernel would write an all-zero xor.dat next to obfuscated files, making the datadir
    # unreadable for Bitcoin Core: we must refuse before it opens anything
    xor = spaced_datadir / "blocks" / "xor.dat"
    key = xor.read_bytes()
    assert key != bytes(8)
    xor.unlink()
    assert_one_line_error(ingest(spaced_datadir, tmp_path / "cache"), "xor.dat is missing")
    assert not xor.exists()
    xor.write_bytes(key)              # restored: the datadir was not harmed
    p = ingest(spaced_datadir, tmp_path / "cache")
    assert p.returncode == 0, p.stderr
    assert stored_tip(tmp_path / "cache") == 255


def test_missing_undo_file(tmp_path, spaced_datadir):
    (spaced_datadir / "blocks" / "rev00000.dat").unlink()
    assert_one_line_error(ingest(spaced_datadir, tmp_path / "cache"), "rev00000.dat", "missing")
    assert stored_tip(tmp_path / "cache") is None


# ------------------------------------------------------------------ Ctrl-C
def _child_setup() -> None:
    # a test run started in the background by a shell without job control inherits SIGINT ignored,
    # and so would the ingest (it would never see the Ctrl-C): give it the default disposition, as
    # a terminal's foreground process has. Niced: on a loaded machine this poller still gets the CPU
    # in time to signal mid-ingest.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.nice(15)


def _interrupted_ingest(cache, mainnet_datadir):
    """An ingest sent SIGINT once 30 blocks are stored: (process, stderr). None when it finished all
    255 blocks before the signal landed (a fast machine between two polls): the caller retries."""
    cmd = [sys.executable, "-m", "costbasis", "--cache", str(cache), "ingest", "bitcoin", "--datadir",
           str(mainnet_datadir), "--batch-blocks", "1", "--no-progress"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_child_setup)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and p.poll() is None and (stored_tip(cache) or -1) < 30:
            time.sleep(0.002)
        if p.poll() is not None:
            pytest.fail(f"ingest finished before Ctrl-C: {p.stderr.read()}")
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return None if p.returncode == 0 and stored_tip(cache) == 255 else (p, err)


def test_ctrl_c_mid_ingest_then_rerun_gives_identical_rows(tmp_path, mainnet_datadir, mainnet_store):
    for attempt in range(3):
        cache = tmp_path / f"cache{attempt}"
        got = _interrupted_ingest(cache, mainnet_datadir)
        if got is not None:
            break
    assert got is not None, "the ingest finished before every one of 3 Ctrl-Cs landed"
    p, err = got
    assert p.returncode == 130
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: interrupted"), err
    tip = stored_tip(cache)
    assert tip is not None and 30 <= tip < 255
    assert f"up to {tip}" in lines[0] and "rerun" in lines[0]
    assert_no_stray_files(cache)
    p = run_cli("ingest", "bitcoin", "--datadir", str(mainnet_datadir), "--no-progress", cache=cache, check=True)
    assert f"{tip + 1}..255" in p.stdout
    assert all_rows(cache) == all_rows(mainnet_store)
    assert_no_stray_files(cache)


# ------------------------------------------------------------------ unwritable places
def test_cache_under_a_file_is_a_one_line_error(tmp_path, mainnet_datadir):
    f = tmp_path / "afile"
    f.write_text("x")
    assert_one_line_error(ingest(mainnet_datadir, f / "cache"), str(f))


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_cache_is_a_one_line_error(tmp_path, mainnet_datadir):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        assert_one_line_error(ingest(mainnet_datadir, ro / "cache"), "ermission denied")
    finally:
        ro.chmod(0o755)


def test_numba_cache_falls_back_to_a_private_temp_folder(tmp_path):
    from numba.core import config

    from costbasis.bitcoin.jitcache import ensure_numba_cache_dir

    blocker = tmp_path / "a file"
    blocker.write_text("x")           # folders below a file can never be created, even by root
    old = config.CACHE_DIR
    try:
        config.CACHE_DIR = ""
        assert ensure_numba_cache_dir(tmp_path / "pkg", tmp_path / "home" / ".cache") is None   # writable: untouched
        assert config.CACHE_DIR == ""
        got = ensure_numba_cache_dir(blocker / "pkg", blocker / "home")
        assert got == config.CACHE_DIR and Path(got).parent == Path(tempfile.gettempdir())
        config.CACHE_DIR = "/user/choice"
        assert ensure_numba_cache_dir(blocker / "pkg", blocker / "home") is None
        assert config.CACHE_DIR == "/user/choice"
    finally:
        config.CACHE_DIR = old


def test_stale_index_snapshots_are_swept(tmp_path):
    from costbasis.bitcoin.blockfiles import SNAPSHOT_PREFIX, sweep_stale_snapshots

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    tmp = Path(tempfile.gettempdir())
    stale = tmp / f"{SNAPSHOT_PREFIX}{dead.pid}-test"
    live = tmp / f"{SNAPSHOT_PREFIX}{os.getppid()}-test"
    try:
        for d in (stale, live):
            d.mkdir(exist_ok=True)
            (d / "000005.ldb").write_bytes(b"x")
        sweep_stale_snapshots()
        assert not stale.exists()     # its process is gone
        assert live.exists()          # a running process may still read it
    finally:
        shutil.rmtree(stale, ignore_errors=True)
        shutil.rmtree(live, ignore_errors=True)


# ------------------------------------------------------------------ RPC option checks (before any connection)
@pytest.mark.parametrize("args,words", [
    (("--rpc-timeout", "0"), ("--rpc-timeout", "> 0")),
    (("--rpc-timeout", "-1"), ("--rpc-timeout",)),
    (("--rpc-retries", "-1"), ("--rpc-retries", ">= 0")),
])
def test_rpc_option_values(tmp_path, args, words):
    p = run_cli("ingest", "bitcoin", "--rpc-url", "http://127.0.0.1:1", "--rpc-user", "u", "--rpc-password",
                "hunter2", *args, cache=tmp_path / "cache")
    assert_one_line_error(p, *words)
    assert "hunter2" not in p.stderr


# ------------------------------------------------------------------ demo
def test_demo_out_is_a_file_or_days_too_long(tmp_path):
    f = tmp_path / "afile"
    f.write_text("mine")
    assert_one_line_error(run_cli("demo", "--out", str(f)), str(f))
    assert f.read_text() == "mine"
    from costbasis.demo.scenario import MAX_DAYS, PRE_ANCHORS, Scenario

    assert Scenario(days=MAX_DAYS).start > PRE_ANCHORS[-1][0]   # the longest window still follows the pre-history
    p = run_cli("demo", "--days", str(MAX_DAYS + 1), "--out", str(tmp_path / "d"))
    assert_one_line_error(p, "--days", str(MAX_DAYS))
    assert not (tmp_path / "d").exists()


def test_reading_names_a_one_price_support_once():
    from costbasis.demo.reading import reading

    day = "2026-01-22"
    cohorts = pa.Table.from_pylist([
        {"date": day, "cohort": "all", "price_usd": 86_800.0, "realized_price_usd": 91_000.0},
        {"date": day, "cohort": "1d-1w", "price_usd": 86_800.0, "realized_price_usd": 90_842.0},
        {"date": day, "cohort": "1w-1m", "price_usd": 86_800.0, "realized_price_usd": 91_133.0},
    ])
    bands = pa.Table.from_pylist([
        {"name": "6m-12m", "kind": "support", "low_usd": 86_167.0, "high_usd": 86_167.0},
        {"name": "air gap", "kind": "support", "low_usd": 72_373.0, "high_usd": 75_319.0},
    ])
    whales = pa.Table.from_pylist([{"date": day, "whale_deposit_usd": 1e8, "signal": False}])
    text = reading(cohorts, bands, whales)
    assert "price 86.8k is below the 1d-1w/1w-1m cost basis 90.8k-91.1k" in text
    assert "nearest support 6m-12m at 86.2k;" in text
    bands = pa.Table.from_pylist([{"name": "x", "kind": "support", "low_usd": 84_000.0, "high_usd": 85_000.0}])
    assert "nearest support x at 84.0k-85.0k;" in reading(cohorts, bands, whales)


def test_usage_errors_are_one_line(cli):
    """Typer/click usage errors (bad type, unknown option, missing option, unknown command)
    print one `error:` line with exit 2, like every other bad input."""
    for args in (("urpd", "--buckets", "abc"), ("cohorts", "--bogus"), ("chart", "urpd"), ("bogus",)):
        p = cli(*args)
        assert p.returncode == 2, (args, p.stderr)
        lines = [line for line in p.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, p.stderr)
        assert "Traceback" not in p.stderr
    p = cli("--help")
    assert p.returncode == 0 and "Usage" in p.stdout
    p = cli()
    assert p.returncode == 0 and "Commands" in p.stdout
