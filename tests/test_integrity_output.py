"""Issue 10, findings 2, 6 and 10: where `--out` writes, that options are checked before the store
changes, and the modes of written files. All through the real CLI in a subprocess."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, run_cli

PRICES = "prices/btc_usd_daily.csv"


def tree(root: Path) -> dict:
    """Every file under `root` with its content hash: 'nothing changed' means this is equal."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


@contextmanager
def umask(m: int):
    old = os.umask(m)  # inherited by the CLI subprocess
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def priced(shared_data, tmp_path) -> Path:
    """A cache holding the shared BTC prices."""
    cache = tmp_path / "cache"
    run_cli("prices", "import", str(shared_data / PRICES), "--format", "csv", cache=cache, check=True)
    return cache


def show_csv(cache: Path) -> str:
    return run_cli("prices", "show", "--format", "csv", cache=cache, check=True).stdout


# ------------------------------------------------------------------ finding 2: --out targets

def test_out_dash_is_stdout(priced, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the CLI runs here: a file named "-" would appear here
    p = run_cli("prices", "show", "--format", "csv", "--out", "-", cache=priced, check=True)
    assert p.stdout == show_csv(priced) and p.stdout.startswith('"asset"')
    assert not (tmp_path / "-").exists()
    # binary to stdout (run_cli decodes text, so run the same command for bytes)
    p = subprocess.run([sys.executable, "-m", "costbasis", "--cache", str(priced), "prices", "show",
                        "--format", "parquet", "--out", "-"], capture_output=True, timeout=60, check=True)
    t = pq.read_table(pa.BufferReader(p.stdout))
    assert t.column("asset").to_pylist() == ["BTC"]


def test_out_follows_a_symlink(priced, tmp_path):
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    run_cli("prices", "show", "--format", "csv", "--out", str(link), cache=priced, check=True)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == show_csv(priced)


def test_out_dev_stdout_written_in_place(priced):
    p = run_cli("prices", "show", "--format", "json", "--out", "/dev/stdout", cache=priced, check=True)
    assert '"asset": "BTC"' in p.stdout
    assert os.path.islink("/dev/stdout")  # still the link to /proc/self/fd/1, not a file


def test_out_fifo_written_in_place(priced, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    run_cli("prices", "show", "--format", "csv", "--out", str(fifo), cache=priced, check=True, timeout=60)
    reader.join(10)
    assert got == [show_csv(priced)]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_out_process_substitution(priced, tmp_path):
    """`--out >(cmd)`: bash hands the CLI /dev/fd/63, a pipe to cmd."""
    got = tmp_path / "got.csv"
    cmd = (f'"{sys.executable}" -m costbasis --cache "{priced}" prices show --format csv '
           f'--out >(cat > "{got}"); rc=$?; wait $!; exit $rc')
    p = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert got.read_text() == show_csv(priced)


@pytest.mark.parametrize("via", ["direct", "symlink"])
def test_out_inside_the_cache_refused(priced, tmp_path, via):
    target = priced / "prices" / "BTC.parquet"
    if via == "symlink":  # the check resolves links: a path that only leads into the cache counts
        (tmp_path / "alias").symlink_to(priced / "prices")
        target = tmp_path / "alias" / "BTC.parquet"
    before = tree(priced)
    p = run_cli("status", "--format", "parquet", "--out", str(target), cache=priced)
    assert p.returncode != 0
    assert p.stderr.startswith("error: ") and "inside the cache" in p.stderr and len(p.stderr.splitlines()) == 1
    assert tree(priced) == before


# ------------------------------------------------------------------ finding 6: validate before writing

@pytest.mark.parametrize("opts", [("--format", "xml"), ("--format", "parquet"), ("--out", "{dir}"),
                                  ("--out", "{dir}", "--format", "csv"), ("--format", "csv", "--out", "{dir}")])
def test_prices_import_bad_output_stores_nothing(shared_data, tmp_path, opts):
    cache = tmp_path / "cache"
    (tmp_path / "d").mkdir()
    opts = [o.format(dir=tmp_path / "d") for o in opts]
    p = run_cli("prices", "import", str(shared_data / PRICES), *opts, cache=cache)
    assert not (cache / "prices").exists()
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("error: ") and len(p.stderr.splitlines()) == 1


@pytest.fixture(scope="module")
def flow_cache(tmp_path_factory):
    from support.flows_chain import flow_chain
    return flow_chain(tmp_path_factory).raw  # labels imported, not yet expanded


@pytest.mark.parametrize("opts", [("--format", "xml"), ("--format", "parquet"), ("--out", "{dir}")])
def test_labels_expand_bad_output_changes_nothing(flow_cache, tmp_path, opts):
    cache = tmp_path / "cache"
    shutil.copytree(flow_cache, cache)
    before = tree(cache)
    opts = [o.format(dir=tmp_path) for o in opts]
    p = run_cli("labels", "expand", *opts, cache=cache)
    assert tree(cache) == before
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("error: ") and len(p.stderr.splitlines()) == 1
    # and the same store does expand with good options (the refusal was the options)
    run_cli("labels", "expand", "--format", "csv", cache=cache, check=True)
    assert tree(cache) != before


# ------------------------------------------------------------------ finding 10: file modes

def test_new_files_follow_the_umask(shared_data, tmp_path):
    for mask, want in ((0o022, 0o644), (0o077, 0o600)):
        cache, out = tmp_path / f"c{mask:o}", tmp_path / f"o{mask:o}.csv"
        with umask(mask):
            run_cli("prices", "import", str(shared_data / PRICES), "--format", "csv", "--out", str(out),
                    cache=cache, check=True)
        assert mode(out) == want
        assert mode(cache / "prices" / "BTC.parquet") == want


def test_overwrite_keeps_the_mode(priced, shared_data, tmp_path):
    out = tmp_path / "o.csv"
    out.write_text("old\n")
    store_file = priced / "prices" / "BTC.parquet"
    out.chmod(0o644)
    store_file.chmod(0o640)
    with umask(0o077):  # a new file would be 0600: the old mode must win
        run_cli("prices", "import", str(shared_data / PRICES), "--format", "csv", "--out", str(out),
                cache=priced, check=True)
    assert out.read_text().startswith('"asset"')
    assert mode(out) == 0o644
    assert mode(store_file) == 0o640
