"""Issue 10, findings 3 and 4: labels are matched per chain (mainnet labels never label regtest
flows), and chain names are validated wherever they come from the user (`--chain ../../x`, `/abs`,
`""`, `prices` are usage errors that create nothing, inside or outside the cache)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pytest
from support.fake_rpc_server import FakeRpcServer
from support.flows_factory import FakeChain
from support.flows_scenario import BTC, T0, play, prices_table

from conftest import run_cli
from costbasis.bitcoin.address import address_to_script
from costbasis.errors import UsageError
from costbasis.flows.flows import exchange_flows
from costbasis.labels.dataset import exchange_scripts
from costbasis.labels.importer import import_labels
from costbasis.store import Store
from costbasis.store.names import validate_chain_name

BINANCE = "bc1qdtmav38lca8yu3rrcknnqx5242cckgxqws7m72"   # a mainnet Binance address of the real label file


def regtest_store(root: Path, story_labels: bool = True) -> Store:
    """The flows story on chain bitcoin-regtest, plus 7 BTC paid to the script of a mainnet Binance
    address: the same script bytes on another network, which mainnet labels must not touch."""
    cb = FakeChain(T0)
    story = play(cb)
    cb.send(cb.miner, [(address_to_script(BINANCE, "main"), 7 * BTC)])
    cb.mine(1)
    store = Store(root)
    cb.commit(store)
    store.write_dataset("prices", "BTC", prices_table())
    if story_labels:
        (root / "story.csv").write_text(story.labels_csv)
        import_labels(store, root / "story.csv")
    return store


def test_mainnet_labels_do_not_label_regtest_flows(tmp_path, shared_data):
    real = shared_data / "labels" / "exchange_address_labels.csv"
    alone = regtest_store(tmp_path / "alone")
    mixed = regtest_store(tmp_path / "mixed")
    import_labels(mixed, real)                       # 1,942 chain=bitcoin rows, Binance among them
    assert "Binance" in mixed.read_dataset("labels", "labels")["entity"].to_pylist()
    flows = exchange_flows(mixed, per_entity=True)
    assert set(flows["entity"].to_pylist()) == {"ExA", "ExB"}
    assert flows.equals(exchange_flows(alone, per_entity=True))
    # the label set flows (and `labels expand`, through its chain-less call) work from
    for xl in (exchange_scripts(mixed, "bitcoin-regtest"), exchange_scripts(mixed, imported_only=True)):
        assert set(xl["entity"].to_pylist()) == {"ExA", "ExB"}
    # mainnet labels still apply to a mainnet chain of that name
    main = exchange_scripts(mixed, "bitcoin")
    assert main.num_rows > 1000 and "Binance" in main["entity"].to_pylist()


def test_only_mainnet_labels_on_a_regtest_store_is_an_error(tmp_path, shared_data):
    cache = tmp_path / "c"
    regtest_store(cache, story_labels=False)
    run_cli("labels", "import", str(shared_data / "labels" / "exchange_address_labels.csv"), cache=cache, check=True)
    p = run_cli("flows", "--per-entity", "--format", "csv", cache=cache)
    assert p.returncode != 0, p.stdout            # before: Binance's 7 BTC counted as regtest inflow
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "bitcoin-regtest" in lines[0], p.stderr
    assert "Binance" not in p.stdout


# ------------------------------------------------------------------ chain names
def bad_names(tmp_path: Path) -> list[str]:
    return ["../../x", "../x", str(tmp_path / "abs"), "", "prices", "labels", "flows", "clusters", "context",
            "_tmp", "_derived", ".hidden", "Ethereum", "a/b", "-x", "x" * 65, "eth\n"]


def test_store_chain_refuses_bad_names(tmp_path):
    for name in bad_names(tmp_path):
        with pytest.raises(UsageError):
            Store(tmp_path / "cache").chain(name)
    for good in ("bitcoin", "bitcoin-regtest", "ethereum", "anvil", "x", "base-2"):
        assert validate_chain_name(good) == good
    assert not list(tmp_path.iterdir())


def test_ingest_evm_bad_chain_is_exit_2_and_creates_nothing(tmp_path):
    cache = tmp_path / "a" / "b" / "cache"
    # a node that answers enough for the old code to create the chain folder and its lock
    with FakeRpcServer("json", answers={"eth_chainId": "0x1", "eth_blockNumber": "0x0"}) as srv:
        for name in bad_names(tmp_path):
            p = run_cli("ingest", "evm", "--rpc-url", srv.url, "--chain", name, "--confirmations", "0",
                        "--traces", "none", cache=cache, timeout=60)
            assert p.returncode == 2, (name, p.returncode, p.stderr)
            lines = p.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: ") and "chain" in lines[0], (name, p.stderr)
        assert srv.requests == 0
    assert not list(tmp_path.rglob("*")), list(tmp_path.rglob("*"))


@pytest.mark.parametrize("command", [("cohorts",), ("urpd",), ("flows",), ("whales",)])
def test_query_bad_chain_is_exit_2(tmp_path, command):
    cache = tmp_path / "cache"
    regtest_store(cache, story_labels=False)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    for name in ("", "../cache/bitcoin-regtest", "prices"):
        p = run_cli(*command, "--chain", name, cache=cache, timeout=120)
        assert p.returncode == 2, (name, p.returncode, p.stdout, p.stderr)
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and "chain" in lines[0], p.stderr
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
