"""SOPR / STH-SOPR / LTH-SOPR / coin-days destroyed against the brute-force reference, every day."""

from __future__ import annotations

import pytest

from conftest import run_cli
from costbasis.engine.bitcoin.sopr import sopr_series
from costbasis.errors import CostbasisError
from support.engine_fixtures import build
from support.engine_reference import reference_sopr


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    return build(tmp_path_factory.mktemp("sopr"), seed=9, span_days=1500, n_blocks=400)


def test_sopr_every_day_matches_reference(chain):
    store, _ch, coins, _ctx = chain
    t = sopr_series(store)
    rows = t.to_pylist()
    days = [r["date"].toordinal() - 719163 for r in rows]
    assert days == list(range(days[0], days[-1] + 1))
    seen = {"sopr": 0, "sth_sopr": 0, "lth_sopr": 0}
    for d, r in zip(days, rows):
        ref = reference_sopr(coins, d)
        for k in ["spent_btc", "sopr", "sth_sopr", "lth_sopr", "cdd"]:
            a, b = r[k], ref[k]
            assert (a is None) == (b is None), (d, k, a, b)
            if b is not None:
                assert abs(a - b) <= 1e-9 * abs(b), (d, k, a, b)
                seen[k] = seen.get(k, 0) + 1
    assert seen["sth_sopr"] > 5 and seen["lth_sopr"] > 5


def test_sopr_cli_and_errors(chain):
    store, *_ = chain
    with pytest.raises(CostbasisError, match="before the first block"):
        sopr_series(store, date_from="2000-01-01", date_to="2000-02-01")
    r = run_cli("sopr", "--from", "2009-02-01", "--to", "2009-01-01", cache=store.root)
    assert r.returncode == 2 and "--from 2009-02-01 is after --to 2009-01-01" in r.stderr
    r = run_cli("sopr", "--from", "2009-02-30", cache=store.root)
    assert r.returncode != 0 and "malformed date" in r.stderr and "Traceback" not in r.stderr
    ok = run_cli("sopr", "--from", "2010-01-01", "--to", "2010-01-10", "-f", "csv", cache=store.root, check=True)
    lines = ok.stdout.splitlines()
    assert lines[0].startswith('"date","spent_btc","spent_value_usd","sopr","sth_sopr","lth_sopr","cdd"') and len(lines) == 11
    assert "Example:" in run_cli("sopr", "--help").stdout
