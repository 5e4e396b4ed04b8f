"""The library face (costbasis/__init__.py): the same results as the CLI's --format json, for Bitcoin."""

from __future__ import annotations

import json

import pytest

import costbasis
from conftest import run_cli
from costbasis.cli.output import to_json


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    from support.flows_chain import flow_chain
    return flow_chain(tmp_path_factory).expanded


@pytest.mark.parametrize("call, args", [
    (lambda s: costbasis.cohorts(s, asof="2025-04-10"), ["cohorts", "--asof", "2025-04-10"]),
    (lambda s: costbasis.urpd(s, asof="2025-04-10", cohort="sth"), ["urpd", "--asof", "2025-04-10", "--cohort", "sth"]),
    (lambda s: costbasis.sopr(s), ["sopr"]),
    (lambda s: costbasis.flows(s, by="day"), ["flows"]),
    (lambda s: costbasis.whales(s, min_btc=1), ["whales", "--min-btc", "1"]),
    (lambda s: costbasis.bands(s, asof="2025-04-10"), ["bands", "--asof", "2025-04-10"]),
])
def test_library_equals_cli_json(cache, call, args):
    table = call(costbasis.Store(cache))
    p = run_cli(*args, "--format", "json", cache=cache, check=True)
    assert json.loads(to_json(table.replace_schema_metadata(None))) == json.loads(p.stdout)


def test_library_errors_are_costbasis_errors(cache):
    with pytest.raises(costbasis.CostbasisError, match="--asof"):
        costbasis.cohorts(cache, asof="2025-13-01")
    with pytest.raises(costbasis.CostbasisError, match="invalid chain name"):
        costbasis.flows(cache, "../x")
    assert "cohorts" in dir(costbasis) and costbasis.Store(cache).root == cache
