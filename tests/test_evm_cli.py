"""`costbasis cohorts|urpd|bands|flows|whales --chain ethereum` through the real CLI, against a
store ingested from a real anvil node (the scenario of tests/support/anvil.py, 4 blocks on 4 days).

Each command's JSON must equal the EVM library's result, plus values worked out by hand
from the scenario (ETH prices 2020-01-01..05 = 50, 100, 200, 150, 300; TKN 1, 1, 2, 4, 5):
  - the exchange got alice's 2 ETH on day 3 (@150) and carol's 3 ETH on day 4 (@300):
    avg cost 1200/5 = 240, under a day old at the end of 2020-01-05; fifo keeps the 3 @300 lot;
  - tokens: 1000 minted - 10 burned = 990 live, cost 900x1 + 70x1 + 20x4 = 1050;
  - carol bought 1.5 + 1 ETH @200 and 2 ETH @150: avg 800/4.5, deposit 3 ETH = $900.
"""

from __future__ import annotations

from datetime import date

import pytest

from costbasis.store import Store
from support.anvil import EXCHANGE, GENESIS_TS, Scenario, anvil_factory  # noqa: F401
from support.chain_factory import make_chain, write_chain
from tests.conftest import SHARED_DATA
from support.cli import cli_error, cli_json

pytestmark = pytest.mark.node   # a real node: anvil or the Bitcoin-Core-like RPC server

ASOF = "2020-01-05"
F21 = 21_000 * 10**10 / 10**18  # fee of a plain transfer at 10 gwei, ETH


@pytest.fixture(scope="module")
def world(anvil_factory, tmp_path_factory):
    from costbasis.evm.ingest import ingest_evm
    from costbasis.labels.importer import import_labels
    from costbasis.prices import import_prices

    node = anvil_factory(genesis_timestamp=GENESIS_TS, extra=["--order", "fifo"])
    s = Scenario(node)
    root = tmp_path_factory.mktemp("evmcli")
    cache = root / "cache"
    store = Store(cache)
    ingest_evm(store, node.url, chain="ethereum", confirmations=0)
    node.stop()
    (root / "eth.csv").write_text("date,PriceUSD\n2020-01-01,50\n2020-01-02,100\n2020-01-03,200\n"
                                  "2020-01-04,150\n2020-01-05,300\n")
    (root / "tkn.csv").write_text("date,PriceUSD\n2020-01-01,1\n2020-01-02,1\n2020-01-03,2\n"
                                  "2020-01-04,4\n2020-01-05,5\n")
    import_prices(store, root / "eth.csv", "ETH")
    import_prices(store, root / "tkn.csv", "TKN")
    labels = SHARED_DATA / "labels" / "exchange_address_labels.csv"
    if labels.is_file():
        import_labels(store, labels)  # real labels: EXCHANGE is ABCC's address (chain=ethereum)
    # a small Bitcoin chain next to it (no BTC prices): the default chain and the error cases
    write_chain(cache, make_chain(seed=3, start=date(2020, 1, 1), span_days=5, n_blocks=12), name="bitcoin-regtest")
    return s, store, cache, labels.is_file()


def same_rows(got: list[dict], table) -> None:
    """CLI JSON rows == the library's Arrow rows (dates as ISO strings, floats to 1e-12)."""
    want = table.to_pylist()
    assert len(got) == len(want) and len(got) > 0
    for g, w in zip(got, want):
        assert list(g) == list(w)
        for k, v in w.items():
            if isinstance(v, date):
                v = v.isoformat()
            if isinstance(v, float):
                assert g[k] == pytest.approx(v, rel=1e-12, abs=1e-12), k
            else:
                assert g[k] == v, k


def test_cohorts_evm(world):
    from costbasis.engine.evm.cohorts import cohort_series

    s, store, cache, _ = world
    got = cli_json(cache, "cohorts", "--chain", "ethereum", "--asof", ASOF, "--quantiles", "50")
    same_rows(got, cohort_series(store, "ethereum", asof=ASOF, quantiles="50"))
    rows = {r["cohort"]: r for r in got}
    assert "supply" in rows["all"] and "supply_btc" not in rows["all"]
    assert rows["<1d"]["supply"] == pytest.approx(5.0) and rows["<1d"]["realized_price_usd"] == pytest.approx(240.0)
    assert rows["all"]["price_usd"] == 300.0

    fifo = cli_json(cache, "cohorts", "--chain", "ethereum", "--asof", ASOF, "--method", "fifo", "--cohort", "<1d")
    assert [(r["cohort"], r["supply"], r["realized_price_usd"]) for r in fifo] == [
        ("<1d", pytest.approx(3.0), pytest.approx(300.0))]

    tok = cli_json(cache, "cohorts", "--chain", "ethereum", "--asof", ASOF, "--token", s.token.upper().replace("0X", "0x"),
                   "--asset", "TKN", "--cohort", "all")
    assert len(tok) == 1
    assert tok[0]["supply"] == pytest.approx(990.0) and tok[0]["realized_cap_usd"] == pytest.approx(900 + 70 + 80)
    assert tok[0]["price_usd"] == 5.0


def test_urpd_evm(world):
    from costbasis.engine.evm.urpd import urpd

    s, store, cache, _ = world
    got = cli_json(cache, "urpd", "--chain", "ethereum", "--asof", ASOF, "--bucket-usd", "50")
    same_rows(got, urpd(store, "ethereum", ASOF, bucket_usd=50))
    by_low = {int(r["bucket_low_usd"]): r["supply"] for r in got if r["supply"] > 0}
    # bucket [200, 250): bob (5.5 - F21 - 2 - burn fee @200), splitter2 (1 @200), the exchange (5 @240)
    h = hand_holdings(s)
    assert set(by_low) == {100, 150, 200}
    assert by_low[100] == pytest.approx(h["alice"][0], rel=1e-12)
    assert by_low[150] == pytest.approx(h["carol"][0], rel=1e-12)  # carol @177.8
    assert by_low[200] == pytest.approx(h["bob"][0] + 1.0 + 5.0, rel=1e-12)
    fifo = cli_json(cache, "urpd", "--chain", "ethereum", "--asof", ASOF, "--buckets", "6", "--method", "fifo")
    same_rows(fifo, urpd(store, "ethereum", ASOF, buckets=6, method="fifo"))
    assert fifo[-1]["bucket_low_usd"] == 250.0 and fifo[-1]["supply"] == pytest.approx(3.0)  # the 3 ETH lot @300


def hand_holdings(s) -> dict[str, tuple[float, float]]:
    """ETH (balance, cost_usd) per holder at the end of 2020-01-05, by --method avg, by hand."""
    f_tok, f_burn = s.fee("alice_token_to_bob") / 10**18, s.fee("bob_burn") / 10**18
    alice = 10 - F21 - 4 - F21 - f_tok - F21 - 2   # 10 @100, pays bob, self-send and token fees, deposits 2
    bob = 5.5 - F21 - 2 - f_burn                  # 4 from alice + 1.5 from the splitter, all @200
    carol = 4.5 - F21 - 3                         # 2.5 @200 + 2 @150 -> avg 800/4.5
    return {"alice": (alice, alice * 100), "bob": (bob, bob * 200), "carol": (carol, carol * 800 / 4.5),
            "exchange": (5.0, 1200.0), "splitter2": (1.0, 200.0)}


def test_bands_evm(world):
    from costbasis.bands.assemble import bands, bands_series

    s, store, cache, _ = world
    got = cli_json(cache, "bands", "--chain", "ethereum", "--asof", ASOF, "--window", "5")
    same_rows(got, bands(store, "ethereum", ASOF, window=5))
    assert "supply" in got[0] and "supply_btc" not in got[0]
    by_name = {r["name"]: r for r in got}
    h = hand_holdings(s)
    # every holding is days old: STH = all supply; 1d-1w = all but the exchange's (under a day old)
    sth_rp = sum(c for _, c in h.values()) / sum(b for b, _ in h.values())
    young = [v for k, v in h.items() if k != "exchange"]
    assert by_name["sth"]["low_usd"] == pytest.approx(sth_rp, rel=1e-12) and by_name["sth"]["kind"] == "support"
    assert by_name["1d-1w"]["low_usd"] == pytest.approx(sum(c for _, c in young) / sum(b for b, _ in young), rel=1e-12)
    # the exchange's 5 ETH at an average $240: the top of STH cost basis (p75..p95) and a URPD cluster
    q = by_name["sth p75 + sth p85 + sth p95"]
    assert (q["low_usd"], q["supply"], q["distance_pct"]) == (pytest.approx(240.0), pytest.approx(5.0), -20.0)
    assert by_name["urpd cluster $240"]["supply"] == pytest.approx(5.0)
    assert all((r["kind"] == "support") == (r["high_usd"] < 300.0) for r in got)

    series = cli_json(cache, "bands", "--chain", "ethereum", "--from", "2020-01-04", "--to", ASOF, "--window", "5",
                      "--method", "fifo")
    same_rows(series, bands_series(store, "ethereum", "2020-01-04", ASOF, window=5, method="fifo"))
    assert {r["date"] for r in series} == {"2020-01-04", ASOF}
    # fifo on 2020-01-05: the exchange holds lots 2 @150 and 3 @300 (no $240 cluster) and carol's
    # remaining coins are her last lot, bought @150
    last = {r["name"]: r for r in series if r["date"] == ASOF}
    fifo_cap = sum(c for _, c in h.values()) - h["carol"][1] + h["carol"][0] * 150
    assert "urpd cluster $240" not in last
    assert last["sth"]["low_usd"] == pytest.approx(fifo_cap / sum(b for b, _ in h.values()), rel=1e-12)


def test_flows_and_whales_evm(world):
    from costbasis.flows.evm_flows import flows, whale_signals, whales

    s, store, cache, has_labels = world
    if not has_labels:
        pytest.skip("real exchange labels not found under ../shared/data/labels")
    got = cli_json(cache, "flows", "--chain", "ethereum")
    same_rows(got, flows(store, "ethereum"))
    assert [(r["date"], r["inflow"], r["inflow_usd"]) for r in got if r["inflow_txs"] or r["outflow_txs"]] == [
        ("2020-01-04", 2.0, 300.0), ("2020-01-05", 3.0, 900.0)]
    per = cli_json(cache, "flows", "--chain", "ethereum", "--per-entity", "--from", ASOF)
    assert [(r["entity"], r["inflow"]) for r in per] == [("ABCC", 3.0)]

    dep = cli_json(cache, "whales", "--chain", "ethereum", "--list", "--min-amount", "2.5", "--whale-amount", "1000")
    same_rows(dep, whales(store, "ethereum", min_amount=2.5, whale_amount=1000))
    assert [(r["source_address"], r["amount"], r["amount_usd"]) for r in dep] == [(s.carol.address, 3.0, 900.0)]
    assert dep[0]["cost_basis_usd"] == pytest.approx(800 / 4.5)
    sig = cli_json(cache, "whales", "--chain", "ethereum", "--min-amount", "1", "--whale-amount", "1000",
                   "--window", "2")
    same_rows(sig, whale_signals(store, "ethereum", window=2, min_amount=1.0, whale_amount=1000))
    assert [(r["date"], r["whale_deposit_usd"]) for r in sig][-2:] == [("2020-01-04", 300.0), (ASOF, 900.0)]
    assert sig[-2]["signal"] is True


def test_status_lists_evm_chain(world):
    s, store, cache, _ = world
    rows = cli_json(cache, "status")
    eth = {r["table"]: r for r in rows if r["chain"] == "ethereum"}
    assert {"blocks", "transactions", "native_transfers", "erc20_transfers"} <= set(eth)
    assert eth["blocks"]["last_height"] == 4 and eth["blocks"]["network"] == "evm chain id 31337"  # anvil's id
    assert eth["blocks"]["rows"] == eth["blocks"]["last_height"] - eth["blocks"]["first_height"] + 1
    assert eth["blocks"]["last_block_time"] == "2020-01-05 12:00:00 UTC"  # block 4 at day 4, 12:00
    assert any(r["chain"] == "bitcoin-regtest" for r in rows)


def test_errors_are_one_line(world):
    s, store, cache, _ = world
    tok = s.token
    # EVM-only options on a Bitcoin chain (explicit and default)
    for cmd in ("cohorts", "urpd", "bands", "flows", "whales"):
        msg = cli_error(cache, cmd, "--chain", "bitcoin-regtest", "--token", tok)
        assert "--token works only on EVM chains" in msg and "bitcoin-regtest" in msg
    assert "--method works only on EVM chains" in cli_error(cache, "cohorts", "--method", "fifo")
    assert "--method works only on EVM chains" in cli_error(cache, "urpd", "--chain", "bitcoin-regtest",
                                                            "--method", "fifo")
    assert "--min-amount works only on EVM chains" in cli_error(cache, "whales", "--min-amount", "5")
    assert "--min-btc" in cli_error(cache, "whales", "--chain", "ethereum", "--min-btc", "5")
    # unknown chain
    msg = cli_error(cache, "cohorts", "--chain", "polygon")
    assert "no data for chain 'polygon'" in msg and "ethereum" in msg
    # bad method / token / missing price series
    assert "--method must be avg or fifo" in cli_error(cache, "cohorts", "--chain", "ethereum", "--method", "lifo")
    assert "--asset" in cli_error(cache, "urpd", "--chain", "ethereum", "--token", tok)
    assert "not a 0x-prefixed" in cli_error(cache, "cohorts", "--chain", "ethereum", "--token", "0x12", "--asset", "TKN")
    msg = cli_error(cache, "cohorts", "--chain", "ethereum", "--token", tok, "--asset", "NOPE")
    assert "costbasis prices import FILE --asset NOPE" in msg
    assert "logistic" in cli_error(cache, "cohorts", "--chain", "ethereum", "--holder-split", "logistic")
    # the default chain is still the Bitcoin one (it has no BTC prices here)
    assert "--asset BTC" in cli_error(cache, "cohorts", "--asof", ASOF)


def test_only_evm_chain_is_the_default_and_needs_eth_prices(world, tmp_path):
    """A store holding just the ethereum chain: no --chain needed; without ETH prices the
    error names the import command."""
    import shutil

    s, store, cache, _ = world
    solo = tmp_path / "solo"
    shutil.copytree(cache / "ethereum", solo / "ethereum")
    assert "costbasis prices import FILE --asset ETH" in cli_error(solo, "cohorts", "--asof", ASOF)
    assert "costbasis prices import FILE --asset ETH" in cli_error(solo, "bands", "--chain", "ethereum")
    shutil.copytree(cache / "prices", solo / "prices")
    got = cli_json(solo, "urpd", "--asof", ASOF, "--bucket-usd", "50")
    assert sum(r["supply"] for r in got) == pytest.approx(
        sum(r["supply"] for r in cli_json(cache, "urpd", "--chain", "ethereum", "--asof", ASOF, "--bucket-usd", "50")))
