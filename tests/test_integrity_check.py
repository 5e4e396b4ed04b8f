"""Issue 10 #8: the store checks itself against its manifest; `costbasis check [--repair]`."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import run_cli
from support.cli import one_line_error

CHAIN = "bitcoin-regtest"


@pytest.fixture(scope="module")
def fc(tmp_path_factory):
    from support.flows_chain import flow_chain
    return flow_chain(tmp_path_factory)


@pytest.fixture()
def cache(fc, tmp_path):
    c = tmp_path / "cache"
    shutil.copytree(fc.raw, c, ignore=shutil.ignore_patterns("_derived", "flows"))
    return c


def last_file(cache, table="outputs"):
    m = json.loads((cache / CHAIN / "_manifest.json").read_text())
    return cache / CHAIN / table / m["tables"][table]["files"][-1]["file"]


def test_clean_store_checks_clean(cache):
    p = run_cli("check", cache=cache)
    assert p.returncode == 0, p.stderr
    assert "every file matches its manifest" in p.stderr


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_damaged_range_file_is_refused_then_repaired(cache, fc, damage):
    before = run_cli("cohorts", "--format", "json", cache=cache, check=True).stdout
    f = last_file(cache)
    if damage == "truncate":
        f.write_bytes(f.read_bytes()[:-25])
    else:
        f.unlink()
    # every reader and the writer refuse it in one line naming the file, instead of "up to date"
    for args in (["status"], ["cohorts"], ["flows"],
                 ["ingest", "bitcoin", "--datadir", str(fc.datadir), "--network", "regtest"]):
        one_line_error(run_cli(*args, cache=cache), f.name, "costbasis check --repair")
    p = run_cli("check", "--format", "json", cache=cache)
    assert p.returncode == 1
    found = json.loads(p.stdout)
    assert any(r["file"] == str(f) and r["part"] == "outputs" for r in found)
    p = run_cli("check", "--repair", cache=cache)
    assert p.returncode == 0, p.stderr
    assert run_cli("check", cache=cache).returncode == 0
    # the next ingest fetches what was rolled back; the answers are the ones from before
    run_cli("ingest", "bitcoin", "--datadir", str(fc.datadir), "--network", "regtest", cache=cache, check=True)
    assert run_cli("cohorts", "--format", "json", cache=cache, check=True).stdout == before


def test_wrong_row_count_found_by_deep_check(cache):
    m_path = cache / CHAIN / "_manifest.json"
    m = json.loads(m_path.read_text())
    m["tables"]["outputs"]["files"][-1]["rows"] += 1
    m_path.write_text(json.dumps(m))
    p = run_cli("check", "--format", "json", cache=cache)
    assert p.returncode == 1
    assert any("rows, the manifest says" in r["problem"] for r in json.loads(p.stdout))


def test_missing_manifest_with_data_is_an_error_not_a_wipe(cache, fc):
    (cache / CHAIN / "_manifest.json").unlink()
    files = sorted((cache / CHAIN).rglob("*.parquet"))
    assert files
    p = run_cli("ingest", "bitcoin", "--datadir", str(fc.datadir), "--network", "regtest", cache=cache)
    one_line_error(p, "no _manifest.json")
    assert sorted((cache / CHAIN).rglob("*.parquet")) == files
    p = run_cli("check", cache=cache)
    assert p.returncode == 1 and "missing, but range files are present" in p.stdout


@pytest.mark.parametrize("manifest", ["[]", '{"tables": 5}', '{"tip": {"height": "x"}}',
                                      '{"tables": {"blocks": {"files": [{"file": "../../x"}]}}}'])
def test_manifest_of_wrong_shape_is_one_line(cache, manifest):
    (cache / CHAIN / "_manifest.json").write_text(manifest)
    for args in (["status"], ["cohorts"], ["check"]):
        p = run_cli(*args, cache=cache)
        assert p.returncode != 0 and "Traceback" not in p.stderr, p.stderr
        assert "corrupt store manifest" in (p.stderr + p.stdout)


def test_truncated_prices_file_is_one_line(cache):
    f = cache / "prices" / "BTC.parquet"
    f.write_bytes(f.read_bytes()[:-10])
    one_line_error(run_cli("cohorts", cache=cache), "BTC.parquet")
    p = run_cli("check", cache=cache)
    assert p.returncode == 1 and "import it again" in p.stdout


def test_truncated_flow_tables_are_rebuilt(cache):
    first = run_cli("flows", "--format", "json", cache=cache, check=True).stdout
    segments = sorted((cache / CHAIN / "_derived" / "flows").glob("*.parquet"))
    assert segments   # the stored flow tables (a DerivedSet)
    for f in segments:
        f.write_bytes(f.read_bytes()[:-40])
    assert run_cli("flows", "--format", "json", cache=cache, check=True).stdout == first
    assert run_cli("check", cache=cache).returncode == 0


@pytest.mark.parametrize("args", [["labels", "expand", "--chain", ""], ["labels", "list", "--chain", ""]])
def test_empty_chain_for_labels_is_a_usage_error(cache, args):
    before = sorted(p.stat().st_mtime_ns for p in cache.rglob("*.parquet"))
    p = run_cli(*args, cache=cache)
    assert p.returncode == 2 and "must not be empty" in p.stderr
    assert sorted(p.stat().st_mtime_ns for p in cache.rglob("*.parquet")) == before


def test_folder_with_an_invalid_chain_name_is_not_a_chain(cache):
    shutil.copytree(cache / CHAIN, cache / "Foo")
    p = run_cli("status", "--format", "json", cache=cache)
    assert p.returncode == 0, p.stderr
    assert {r["chain"] for r in json.loads(p.stdout)} == {CHAIN}


def test_expand_on_a_store_with_two_bitcoin_chains(cache):
    shutil.copytree(cache / CHAIN, cache / "bitcoin-signet")
    p = run_cli("labels", "expand", "--chain", CHAIN, "--format", "json", cache=cache)
    assert p.returncode == 0, p.stderr


def test_flows_and_whales_on_a_chain_without_blocks_are_one_line(cache, tmp_path):
    """The first moment of an ingest: a manifest, no committed blocks (was an INT64 overflow)."""
    from costbasis.store import Store
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in ("prices", "labels"):
        shutil.copytree(cache / folder, empty / folder)
    Store(empty).chain(CHAIN).set_meta(network="regtest")
    for args in (["flows"], ["whales"], ["cohorts"]):
        one_line_error(run_cli(*args, cache=empty, timeout=120), "has no blocks")


def test_memory_limit_64mb_is_accepted(cache):
    p = run_cli("--memory-limit", "64MB", "status", cache=cache)
    assert p.returncode == 0, p.stderr
    p = run_cli("--memory-limit", "63MB", "status", cache=cache)
    assert p.returncode == 2 and "at least 64MB" in p.stderr
