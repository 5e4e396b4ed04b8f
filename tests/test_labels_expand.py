"""`costbasis labels expand`: sweep heuristic and common-input clustering on the generated chain,
and the numpy union-find against a plain reference."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pyarrow.compute as pc
import pytest
from support.flows_chain import flow_chain

from conftest import run_cli
from costbasis.labels.dataset import read_labels
from costbasis.labels.expand import expand_labels
from costbasis.labels.unionfind import components, components_reference
from costbasis.store import Store


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    return flow_chain(tmp_path_factory)


def labeled(story, entity):
    return [ln.split(",")[1] for ln in story.labels_csv.splitlines()[1:] if ln.split(",")[2] == entity]


def clusters_of(cache, addrs):
    t = Store(cache).read_dataset("clusters", "bitcoin-regtest")
    from costbasis.bitcoin.bulk_address import types_and_addresses
    addresses = types_and_addresses(t["script"], "regtest")[1]   # the file keeps scripts only
    m = dict(zip(addresses.to_pylist(), t["cluster"].to_pylist()))
    return [m.get(a) for a in addrs]


def test_expand_prints_counts_per_heuristic_and_entity(chain):
    lines = [ln.replace('"', "") for ln in chain.expand_stdout.strip().splitlines()]
    assert lines == ["heuristic,entity,added", "common_input,ExB,1", "sweep,ExA,2"]


def test_sweep_heuristic_finds_the_deposit_addresses(chain):
    s = chain.story
    p = run_cli("labels", "list", "--heuristic", "sweep", "--format", "json", cache=chain.expanded, check=True)
    rows = json.loads(p.stdout)
    assert {r["address"] for r in rows} == s.deposit_addrs
    assert {r["entity"] for r in rows} == {"ExA"}
    assert {r["derived_from"] for r in rows} <= set(labeled(s, "ExA"))
    assert {r["label_type"] for r in rows} == {"exchange_deposit"}


def test_clustering_merges_co_spent_and_skips_coinjoin(chain):
    s = chain.story
    w1 = clusters_of(chain.expanded, s.w1_addrs)
    assert None not in w1 and len(set(w1)) == 1            # whale1: co-spent on day 5 and day 30
    m = clusters_of(chain.expanded, s.m_addrs)
    assert None not in m and len(set(m)) == 1              # multi: co-spent on day 24
    assert w1[0] != m[0]
    mix = clusters_of(chain.expanded, s.mixer_addrs)
    known = [c for c in mix if c is not None]
    assert len(known) == len(set(known))                   # CoinJoin inputs stay apart
    # the unlabeled ExB address co-spent with the labeled one inherits ExB
    t = read_labels(Store(chain.expanded))
    row = t.filter(pc.equal(t["address"], s.exb_unlabeled)).to_pylist()
    assert len(row) == 1 and row[0]["entity"] == "ExB" and row[0]["heuristic"] == "common_input"
    assert row[0]["derived_from"] in labeled(s, "ExB")


def test_without_coinjoin_rule_the_mixer_would_merge(chain, tmp_path):
    shutil.copytree(chain.raw, tmp_path / "c")
    res = expand_labels(Store(tmp_path / "c"), cj_min_equal=10**6)
    assert res.coinjoins_skipped == 0
    mix = clusters_of(tmp_path / "c", chain.story.mixer_addrs)
    assert None not in mix and len(set(mix)) == 1


def test_expand_is_repeatable(chain, tmp_path):
    shutil.copytree(chain.expanded, tmp_path / "c")
    before = read_labels(Store(tmp_path / "c"))
    res = expand_labels(Store(tmp_path / "c"))
    after = read_labels(Store(tmp_path / "c"))
    assert after.num_rows == before.num_rows
    assert res.coinjoins_skipped == 1 and res.conflicts == 0
    assert sorted(after["address"].to_pylist()) == sorted(before["address"].to_pylist())


@pytest.mark.parametrize("n,m,seed", [(1, 0, 0), (50, 10, 1), (2000, 1500, 2), (3000, 6000, 3)])
def test_unionfind_matches_reference(n, m, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    assert components(n, a, b).tolist() == components_reference(n, zip(a.tolist(), b.tolist()))


def test_unionfind_long_chain():
    n = 100_000
    a = np.arange(n - 1)[::-1]
    r = components(n, a + 1, a)
    assert (r == 0).all()


def test_a_cold_build_steps_through_whole_ceiling_ranges(chain, tmp_path, monkeypatch):
    """From no state, the sweep and clustering states are built one committed range at a time (whole
    aligned merge-ceiling ranges, store.derived.step_end): no step's working set grows with the chain,
    and the labels and clusters are those of the one-step build."""
    from costbasis.labels import expand
    from costbasis.store import derived
    cache = tmp_path / "c"
    shutil.copytree(chain.expanded, cache)
    store = Store(cache)
    cs = store.chain("bitcoin-regtest")
    for name in ("clusters", "sweep"):
        cs.derived(name).remove()
    store.dataset_path("clusters", "bitcoin-regtest").unlink()
    monkeypatch.setattr(derived, "MERGE_MAX_BLOCKS", 64)
    steps = []

    def record(fn: str, h_from_at: int) -> None:   # the step's first height is its argument h_from_at
        orig = getattr(expand, fn)

        def step(*a):
            steps.append((fn, a[h_from_at]))
            return orig(*a)
        monkeypatch.setattr(expand, fn, step)
    record("_cluster_step", 6)
    record("_sweep_step", 5)
    expand_labels(store)
    tip = cs.tip()[0]
    assert tip > 128
    for name in ("_cluster_step", "_sweep_step"):
        assert [h for n, h in steps if n == name] == [0, 64, 128]
    for name in ("clusters", "sweep"):
        assert cs.derived(name).load()["segments"] == [[0, 63], [64, 127], [128, tip]]
    want = Store(chain.expanded)
    assert read_labels(store).sort_by("address").equals(read_labels(want).sort_by("address"))
    assert (store.read_dataset("clusters", "bitcoin-regtest").to_pydict()
            == want.read_dataset("clusters", "bitcoin-regtest").to_pydict())
