"""Issue 10, finding 7 and the "Also" items: bad input to the real CLI is one `error:` line with a
non-zero exit, never a traceback, and nothing is written before it is refused.

Stores: a generated chain with prices (tests/engine_fixtures.build), the flow story of
tests/support/flows_scenario.py (table factory, no signing) and a store whose only chain is recorded as
an EVM chain, as `ingest evm` records it (no anvil here, and every check under test comes
before the chain's blocks are read). The full-disk cases need a real tmpfs, so root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest

from costbasis.labels.importer import import_labels
from costbasis.store import Store
from support.anvil import anvil_factory  # noqa: F401
from tests.conftest import ROOT, run_cli
from support.cli import one_line_error as support_one_line_error
from support.qa_stores import engine_store, flows_store

REGTEST_BECH32 = "bcrt1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnard0ew"  # hash 00..13 on regtest
MAIN_BECH32 = "bc1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysn4v0345"


@pytest.fixture(scope="module")
def engine_cache(tmp_path_factory):
    return engine_store(tmp_path_factory.mktemp("int_engine"))


@pytest.fixture(scope="module")
def flows_cache(tmp_path_factory):
    return flows_store(tmp_path_factory.mktemp("int_flows"))


@pytest.fixture(scope="module")
def evm_cache(tmp_path_factory):
    root = tmp_path_factory.mktemp("int_evm")
    Store(root).chain("ethereum").set_meta(family="evm")
    return root


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("int_files")
    shutil.copy(sys.executable, d / "binary.csv")  # an executable: NUL bytes on line 1
    (d / "latin1.csv").write_bytes(b"date,price_usd\n2020-01-01,1\n2020-01-02,caf\xe9\n")
    (d / "huge.csv").write_text("date,price_usd\n2020-01-01,100\n2020-01-02,1e16\n")
    (d / "tiny.csv").write_text("date,price_usd\n2020-01-01,100\n2020-01-02,1e-300\n")
    (d / "labels_latin1.csv").write_bytes(b"chain,address,entity,label_type\n"
                                          b"bitcoin,1BoatSLRHtKNngkdXEeobR76b53LETtpyT,Ok,exchange\n"
                                          b"bitcoin,1BoatSLRHtKNngkdXEeobR76b53LETtpyT,Caf\xe9,exchange\n")
    (d / "labels_net.csv").write_text("chain,address,entity,label_type\n"
                                      f"bitcoin,{REGTEST_BECH32},X,exchange\n")
    (d / "labels_net2.csv").write_text("chain,address,entity,label_type\n"
                                       f"bitcoin-regtest,{MAIN_BECH32},X,exchange\n")
    (d / "a_file").write_text("x")
    return d


def one_line_error(p: subprocess.CompletedProcess, code: int) -> str:
    return support_one_line_error(p, code=code)


PNG = "{tmp}/x.png"

# (store, args, exit code, substring of the one line); {tmp}/{files} are filled in per test
CASES = [
    # huge numbers: one line with the bound instead of an OverflowError / matplotlib ValueError
    ("engine", ("bands", "--price", "1e308"), 2, "--price must be at most 10,000,000 USD"),
    ("engine", ("bands", "--merge-pct", "1e308"), 2, "--merge-pct must be at most 100"),
    ("engine", ("chart", "urpd", "--out", PNG, "--price", "1e308"), 2, "--price must be at most"),
    ("engine", ("chart", "urpd", "--out", PNG, "--span", "1e308"), 2, "--span must be at most 1,000"),
    ("engine", ("urpd", "--bucket-usd", "1e308"), 2, "--bucket-usd must be at most 10,000,000 USD"),
    ("flows", ("whales", "--min-btc", "1e308"), 2, "--min-btc must be at most 21,000,000 BTC"),
    ("flows", ("whales", "--min-usd", "1e308"), 2, "--min-usd must be at most 1e+18 USD"),
    ("flows", ("whales", "--list", "--min-usd", "1e308"), 2, "--min-usd must be at most"),
    ("flows", ("chart", "whales", "--out", PNG, "--min-btc", "1e308"), 2, "--min-btc must be at most"),
    ("flows", ("chart", "whales", "--out", PNG, "--z", "1e308"), 2, "--z must be at most 1,000"),
    # empty strings are not "not given"
    ("engine", ("cohorts", "--asof", ""), 2, "--asof: empty date"),
    ("engine", ("cohorts", "--from", ""), 2, "--from: empty date"),
    ("engine", ("urpd", "--asof", ""), 2, "--asof: empty date"),
    ("engine", ("sopr", "--to", ""), 2, "--to: empty date"),
    ("engine", ("bands", "--asof", ""), 2, "--asof: empty date"),
    ("engine", ("bands", "--from", "", "--to", "2009-06-01"), 2, "--from: empty date"),
    ("engine", ("chart", "urpd", "--out", PNG, "--asof", ""), 2, "--asof: empty date"),
    ("flows", ("flows", "--from", ""), 2, "--from: empty date"),
    ("flows", ("whales", "--to", ""), 2, "--to: empty date"),
    # column names stay unique and faithful
    ("engine", ("cohorts", "--quantiles", "99.99999999999999"), 2, "would be named p100"),
    ("engine", ("cohorts", "--quantiles", "5,5.0000001"), 2, "5.0000001 would be named p5 "),
    ("engine", ("bands", "--quantiles", "99.99999999999999"), 2, "would be named p100"),
    # SOPR and label expansion are Bitcoin-only
    ("evm", ("sopr", "--chain", "ethereum"), 2, "sopr is defined for Bitcoin (UTXO) chains only"),
    ("evm", ("labels", "expand", "--chain", "ethereum"), 2, "labels expand works on Bitcoin chains only"),
    # price and label files
    ("new", ("prices", "import", "{files}/binary.csv"), 1, "binary.csv: line 1: binary data"),
    ("new", ("prices", "import", "{files}/latin1.csv"), 1, "latin1.csv: line 3: not UTF-8 text (byte 0xe9"),
    ("new", ("prices", "import", "{files}/huge.csv"), 1, "huge.csv line 3: price '1e16' is outside the supported "
                                                         "range 1e-09 to 10,000,000 USD"),
    ("new", ("prices", "import", "{files}/tiny.csv"), 1, "tiny.csv line 3: price '1e-300' is outside"),
    ("new", ("labels", "import", "{files}/binary.csv"), 1, "binary.csv: line 1: binary data"),
    ("new", ("labels", "import", "{files}/labels_latin1.csv"), 1, "labels_latin1.csv: line 3: not UTF-8 text"),
    ("new", ("labels", "import", "{files}/labels_net.csv"), 1,
     f"bitcoin address {REGTEST_BECH32}: bech32 (prefix bcrt1) address of network regtest, not main "
     "(label it chain=bitcoin-regtest)"),
    ("new", ("labels", "import", "{files}/labels_net2.csv"), 1,
     "address of network main, not regtest (label it chain=bitcoin)"),
    # demo: every option checked before anything is made
    ("new", ("demo", "--seed", "-1", "--out", "{tmp}/demo"), 2, "--seed must be between 0 and"),
    ("new", ("demo", "--out", "/dev/full/x"), 1, "--out /dev/full/x: cannot create the demo folder"),
    ("new", ("demo", "--out", "{tmp}/demo", "--charts", "/proc/nope"), 1, "--charts /proc/nope: cannot write"),
    ("new", ("demo", "--out", "{tmp}/demo", "--charts", "{files}/a_file"), 1, "is a file, not a folder"),
    ("new", ("demo", "--out", "{tmp}/demo", "--charts", "{tmp}/demo/cache/c"), 1, "inside the demo's cache"),
]


@pytest.mark.parametrize("where, args, code, needle", CASES, ids=[" ".join(c[1])[:60] for c in CASES])
def test_bad_input_is_one_line(where, args, code, needle, request, files, tmp_path):
    cache = tmp_path / "cache" if where == "new" else request.getfixturevalue(f"{where}_cache")
    before = sorted(p.relative_to(cache) for p in cache.rglob("*")) if cache.exists() else []
    args = [a.format(tmp=tmp_path, files=files) for a in args]
    t0 = time.monotonic()
    p = run_cli(*args, cache=cache)
    assert needle in one_line_error(p, code)
    after = sorted(p.relative_to(cache) for p in cache.rglob("*")) if cache.exists() else []
    assert after == before, "the store changed before the input was refused"
    assert not (tmp_path / "demo").exists() and not (tmp_path / "x.png").exists()
    if args[0] == "demo":
        assert time.monotonic() - t0 < 10, "demo options must be checked before the demo runs"


def test_prices_stored_before_the_cap_are_refused_in_one_line(tmp_path, engine_cache):
    """A series with a 1e16 price already in the store (imported before the import checked the
    range) made cohorts/urpd/bands die of an INT128 overflow; now one line says what to fix."""
    cache = tmp_path / "c"
    shutil.copytree(engine_cache, cache)
    store = Store(cache)
    t = store.read_dataset("prices", "BTC")
    prices = t["price_usd"].to_pylist()
    prices[len(prices) // 2] = 5e16
    store.write_dataset("prices", "BTC", t.set_column(t.schema.get_field_index("price_usd"), "price_usd",
                                                      pa.array(prices, pa.float64())))
    for args in (("cohorts",), ("urpd",), ("bands",), ("sopr",)):
        line = one_line_error(run_cli(*args, cache=cache), 1)
        assert "stored BTC price 5e+16" in line and "outside the supported range" in line, line


def test_a_bad_price_file_writes_nothing_and_good_ones_still_import(tmp_path, files):
    cache = tmp_path / "c"
    (tmp_path / "ok.csv").write_text("date,price_usd\r\n2020-01-01,10000000\r\n2020-01-02,1e-9\r\n")
    assert run_cli("prices", "import", str(tmp_path / "ok.csv"), cache=cache).returncode == 0
    stored = Store(cache).read_dataset("prices", "BTC")
    one_line_error(run_cli("prices", "import", str(files / "huge.csv"), cache=cache), 1)
    assert Store(cache).read_dataset("prices", "BTC").equals(stored)
    assert stored["price_usd"].to_pylist() == [1e7, 1e-9]


# ------------------------------------------------------------------ demo into a full disk
def _tmpfs(path: Path, size: str) -> None:
    path.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs (a real full disk) needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")


@pytest.fixture
def small_disk(tmp_path):
    disk = tmp_path / "disk"
    yield disk
    subprocess.run(["umount", str(disk)], capture_output=True)


def test_demo_on_a_too_small_disk_is_refused_before_it_starts(small_disk):
    _tmpfs(small_disk, "40m")
    p = run_cli("demo", "--out", str(small_disk / "d"))
    assert "not enough free disk space for the demo" in one_line_error(p, 1)
    assert list(small_disk.iterdir()) == []


def test_demo_that_fills_the_disk_is_one_line_and_leaves_no_half_made_folder(small_disk):
    """The disk fills while the demo runs (after the kernel wrote the blocks, during ingest/import):
    ENOSPC from pyarrow/DuckDB is one line, the half-made folder is gone and a rerun works."""
    _tmpfs(small_disk, "100m")
    out = small_disk / "d"
    proc = subprocess.Popen([sys.executable, "-m", "costbasis", "demo", "--days", "50", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + 120
    while not (out / "cache").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    filler = small_disk / "fill"
    with open(filler, "wb") as f:  # take every free byte
        try:
            while True:
                f.write(b"\0" * 2**20)
                f.flush()
        except OSError:
            pass
    _, err = proc.communicate(timeout=300)
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert proc.returncode == 1 and "Traceback" not in err, err
    assert errors == [f"error: no space left on the device of {out} while writing the demo; "
                      "it needs about 80 MiB free"], err
    assert not out.exists()
    filler.unlink()
    again = run_cli("demo", "--days", "50", "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert (out / "cache").is_dir()


# ------------------------------------------------------- Bitcoin-only commands on a real EVM chain
@pytest.fixture(scope="module")
def ingested_evm(anvil_factory, tmp_path_factory):
    """The anvil scenario ingested as chain ethereum, with an exchange label on it (the case where
    `labels expand --chain ethereum` died of a DuckDB BinderException)."""
    from costbasis.evm.ingest import ingest_evm
    from support.anvil import EXCHANGE, GENESIS_TS, Scenario

    node = anvil_factory(genesis_timestamp=GENESIS_TS, extra=["--order", "fifo"])
    Scenario(node)
    root = tmp_path_factory.mktemp("int_evm_real")
    store = Store(root / "cache")
    ingest_evm(store, node.url, chain="ethereum", confirmations=0)
    node.stop()
    (root / "eth.csv").write_text("date,PriceUSD\n2020-01-01,50\n2020-01-02,100\n2020-01-03,200\n"
                                  "2020-01-04,150\n2020-01-05,300\n")
    run_cli("prices", "import", str(root / "eth.csv"), "--asset", "ETH", cache=root / "cache", check=True)
    (root / "labels.csv").write_text(f"chain,address,entity,label_type\nethereum,{EXCHANGE},Ex,exchange\n")
    import_labels(store, root / "labels.csv")
    return root / "cache"


@pytest.mark.parametrize("args, needle", [
    (("sopr", "--chain", "ethereum"), "sopr is defined for Bitcoin (UTXO) chains only"),
    (("labels", "expand", "--chain", "ethereum"), "labels expand works on Bitcoin chains only"),
])
def test_bitcoin_only_commands_on_an_ingested_evm_chain(ingested_evm, args, needle):
    before = sorted(p.relative_to(ingested_evm) for p in ingested_evm.rglob("*"))
    assert needle in one_line_error(run_cli(*args, cache=ingested_evm), 2)   # a command the family does not take
    assert sorted(p.relative_to(ingested_evm) for p in ingested_evm.rglob("*")) == before


# ------------------------------------------------------------------ one exit code per kind of mistake
# costbasis/errors.py: 2 when the command line alone is wrong, 1 when what it points at cannot answer.
# Every query command, each kind of mistake: the same code (before, a malformed date exited 1 and an
# empty one 2, --price 1e308 exited 1 and --window abc 2).
QUERIES = [("engine", ("cohorts",)), ("engine", ("urpd",)), ("engine", ("bands",)), ("engine", ("sopr",)),
           ("flows", ("flows",)), ("flows", ("whales",)), ("engine", ("chart", "urpd", "--out", PNG))]
RANGE_QUERIES = [("engine", ("cohorts",)), ("engine", ("sopr",)), ("engine", ("bands",)), ("flows", ("flows",)),
                 ("flows", ("whales",)), ("engine", ("chart", "bands", "--out", PNG))]
KINDS = [
    *[(w, (*c, "--asof" if c[0] in ("cohorts", "urpd", "bands", "chart") else "--from", "2009-13-01"), 2)
      for w, c in QUERIES],
    *[(w, (*c, "--from", "2009-03-01", "--to", "2009-02-01"), 2) for w, c in RANGE_QUERIES],
    *[(w, (*c, "--chain", "nosuchchain"), 1) for w, c in QUERIES],
    *[(w, (*c, "--from", "1999-01-01", "--to", "1999-02-01"), 1) for w, c in RANGE_QUERIES if c[0] not in ("flows", "whales")],
]


@pytest.mark.parametrize("where, args, code", KINDS, ids=[" ".join(k[1]).replace(PNG, "x.png")[:60] for k in KINDS])
def test_the_same_kind_of_mistake_gives_the_same_exit_code(where, args, code, request, tmp_path):
    cache = request.getfixturevalue(f"{where}_cache")
    one_line_error(run_cli(*[a.format(tmp=tmp_path) for a in args], cache=cache), code)
