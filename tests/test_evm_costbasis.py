"""Account-model cost basis on the anvil scenario, checked against values worked out by hand.

The scenario (tests/support/anvil.py) on days 1..4 (2020-01-02..05, blocks at 12:00 UTC):
  B1 DEV0 -> alice 10 ETH; token deployed (mint 1000 TKN to DEV0); DEV0 -> alice 100 TKN
  B2 alice -> bob 4; splitter pays bob 1.5 and carol 1.5; reverted call; splitter2 pays carol 1
     (its call into the reverter fails, 1 ETH stays in splitter2)
  B3 bob -> carol 2; alice -> alice 1 (self); alice -> bob 30 TKN; alice -> exchange 2
  B4 bob burns 10 TKN; carol -> exchange 3
ETH prices: 2020-01-01..05 = 50, 100, 200, 150, 300. TKN: 1, 1, 2, 4, 5.
Every scenario transaction pays 10 gwei per gas; plain transfers use 21000 gas.
DEV0's ETH came from genesis (untracked), so its sends only count as untracked.
"""

from __future__ import annotations

import math
from datetime import date

import pytest

from costbasis.errors import CostbasisError
from costbasis.engine.evm.cohorts import cohort_series
from costbasis.engine.evm.holdings import holders, open_evm
from costbasis.evm.ingest import ingest_evm
from costbasis.prices import import_prices
from costbasis.store import Store
from support.anvil import DEV0, EXCHANGE, GENESIS_TS, Scenario, anvil_factory, day_ts  # noqa: F401

pytestmark = pytest.mark.node   # a real node: anvil or the Bitcoin-Core-like RPC server

F21 = 21_000 * 10**10 / 10**18  # 0.00021 ETH


@pytest.fixture(scope="module")
def world(anvil_factory, tmp_path_factory):
    node = anvil_factory(genesis_timestamp=GENESIS_TS, extra=["--order", "fifo"])
    s = Scenario(node)
    root = tmp_path_factory.mktemp("evmcb")
    store = Store(root / "cache")
    ingest_evm(store, node.url, chain="ethereum", confirmations=0)
    (root / "eth.csv").write_text("date,PriceUSD\n2020-01-01,50\n2020-01-02,100\n2020-01-03,200\n"
                                  "2020-01-04,150\n2020-01-05,300\n")
    (root / "tkn.csv").write_text("date,PriceUSD\n2020-01-01,1\n2020-01-02,1\n2020-01-03,2\n"
                                  "2020-01-04,4\n2020-01-05,5\n")
    import_prices(store, root / "eth.csv", "ETH")
    import_prices(store, root / "tkn.csv", "TKN")
    return s, store


def fee(s: Scenario, key: str) -> float:
    return s.gas_used(key) * 10**10 / 10**18


def expected_eth_avg(s: Scenario) -> dict[str, tuple[float, float, float, float]]:
    """address -> (balance, cost_usd, acq_time, realized_usd) at the end of day 4."""
    t1, t2, t3, t4 = (day_ts(i) for i in range(1, 5))
    f_tok, f_burn = fee(s, "alice_token_to_bob"), fee(s, "bob_burn")
    alice_bal = 10 - F21 - 4 - F21 - f_tok - F21 - 2
    bob_bal = 5.5 - F21 - 2 - f_burn
    carol_avg = 800 / 4.5
    carol_bal = 4.5 - F21 - 3
    return {
        s.alice.address: (alice_bal, alice_bal * 100, t1,
                          (F21 + 4) * (200 - 100) + (F21 + f_tok + F21 + 2) * (150 - 100)),
        s.bob.address: (bob_bal, bob_bal * 200, t2, (F21 + 2) * (150 - 200) + f_burn * (300 - 200)),
        s.carol.address: (carol_bal, carol_bal * carol_avg, t2 + (t3 - t2) * 2 / 4.5,
                          (F21 + 3) * (300 - carol_avg)),
        EXCHANGE: (5.0, 2 * 150 + 3 * 300, t3 + (t4 - t3) * 3 / 5, 0.0),
        s.splitter2: (1.0, 200.0, t2, 0.0),
    }


def as_dict(table) -> dict:
    return {r["address"]: r for r in table.to_pylist()}


def test_avg_cost_holders_by_hand(world):
    s, store = world
    got = as_dict(holders(store, "ethereum", asof="2020-01-05"))
    want = expected_eth_avg(s)
    assert {a for a, r in got.items() if r["balance"] > 0} == set(want)
    cutoff = GENESIS_TS + 5 * 86400
    for addr, (bal, cost, acq, realized) in want.items():
        r = got[addr]
        assert r["balance"] == pytest.approx(bal, rel=1e-12), addr
        assert r["cost_usd"] == pytest.approx(cost, rel=1e-12), addr
        assert r["avg_cost_usd"] == pytest.approx(cost / bal, rel=1e-12), addr
        assert r["acq_time"] == pytest.approx(acq, rel=1e-12), addr
        assert r["age_days"] == pytest.approx((cutoff - acq) / 86400, rel=1e-9), addr
        assert r["realized_usd"] == pytest.approx(realized, rel=1e-9, abs=1e-9), addr
    # the splitter passed 3 ETH straight through on one day: nothing left, nothing realized
    assert got[s.splitter]["balance"] == 0 and got[s.splitter]["realized_usd"] == pytest.approx(0)
    assert DEV0 not in got  # genesis-funded: untracked, never a holder


def test_avg_cost_history_and_untracked(world):
    s, store = world
    got = as_dict(holders(store, "ethereum", asof="2020-01-03"))  # end of day 2
    assert got[s.alice.address]["balance"] == pytest.approx(10 - F21 - 4, rel=1e-12)
    assert got[s.bob.address]["cost_usd"] == pytest.approx(5.5 * 200, rel=1e-12)
    assert got[s.carol.address]["balance"] == pytest.approx(2.5, rel=1e-12)
    assert s.bob.address in got and EXCHANGE not in got
    ctx = open_evm(store, "ethereum")
    # DEV0 sent 10 + 3 + 2 ETH by value and paid every deployment/contract-call fee, all untracked
    dev_fees = sum(fee(s, k) for k in ("fund_alice", "deploy_token", "deploy_reverter", "deploy_splitter",
                                        "deploy_splitter2", "token_to_alice", "split", "split_revert", "split2"))
    assert ctx.untracked == pytest.approx(15 + dev_fees, rel=1e-12)


def test_fifo_lots_by_hand(world):
    s, store = world
    got = as_dict(holders(store, "ethereum", asof="2020-01-05", method="fifo"))
    t2, t3 = day_ts(2), day_ts(3)
    carol_left = 1.5 + 1.0 + 2 - F21 - 3  # what is left of the third lot (2 ETH @150, t3)
    assert got[s.carol.address]["balance"] == pytest.approx(carol_left, rel=1e-12)
    assert got[s.carol.address]["cost_usd"] == pytest.approx(carol_left * 150, rel=1e-12)
    assert got[s.carol.address]["acq_time"] == pytest.approx(t3, rel=1e-12)
    fifo_realized = F21 * 100 + (1.5 - F21) * 100 + 1.0 * 100 + (3 - (1.5 - F21) - 1.0) * 150
    assert got[s.carol.address]["realized_usd"] == pytest.approx(fifo_realized, rel=1e-9)
    # single-price holders agree with the average method
    want = expected_eth_avg(s)
    for addr in (s.alice.address, s.bob.address, s.splitter2):
        assert got[addr]["cost_usd"] == pytest.approx(want[addr][1], rel=1e-12)
        assert got[addr]["realized_usd"] == pytest.approx(want[addr][3], rel=1e-9)
    assert got[s.bob.address]["acq_time"] == pytest.approx(t2)
    # the exchange keeps two lots: 2 @150 (day 3) and 3 @300 (day 4)
    ex = got[EXCHANGE]
    assert (ex["balance"], ex["cost_usd"]) == (pytest.approx(5.0), pytest.approx(1200.0))


def test_token_avg_cost_mint_and_burn(world):
    s, store = world
    with pytest.raises(CostbasisError, match="--asset"):
        holders(store, "ethereum", token=s.token)
    got = as_dict(holders(store, "ethereum", asof="2020-01-05", token=s.token, asset="TKN", decimals=18))
    assert {a: round(r["balance"], 9) for a, r in got.items() if r["balance"] > 0} == \
        {DEV0: 900.0, s.alice.address: 70.0, s.bob.address: 20.0}
    assert got[DEV0]["cost_usd"] == pytest.approx(900.0)          # minted at $1
    assert got[s.alice.address]["cost_usd"] == pytest.approx(70.0)
    assert got[s.alice.address]["realized_usd"] == pytest.approx(30 * (4 - 1))
    assert got[s.bob.address]["cost_usd"] == pytest.approx(20 * 4.0)
    assert got[s.bob.address]["realized_usd"] == pytest.approx(10 * (5 - 4))  # the burn, realized at $5
    series = cohort_series(store, "ethereum", asof="2020-01-05", token=s.token, asset="TKN", decimals=18)
    allrow = [r for r in series.to_pylist() if r["cohort"] == "all"][0]
    assert allrow["supply"] == pytest.approx(990.0)                  # 1000 minted - 10 burned
    assert allrow["realized_cap_usd"] == pytest.approx(900 + 70 + 80)


def reference_cohorts(units: list[tuple[float, float, float]], day_end: int, price: float) -> dict[str, dict]:
    """Brute force over (amount, cost_usd, acq_time) units, straight from the DESIGN definitions."""
    edges = [0, 1, 7, 30, 90, 180, 365, 730, 1095, 1825, 2555, 3650, None]
    names = ["<1d", "1d-1w", "1w-1m", "1m-3m", "3m-6m", "6m-12m", "1y-2y", "2y-3y", "3y-5y", "5y-7y", "7y-10y", ">10y"]
    bands = list(zip(names, edges[:-1], edges[1:])) + [("sth", 0, 155), ("lth", 155, None), ("all", 0, None)]
    out = {}
    for name, lo, hi in bands:
        inside = [(a, c) for a, c, t in units
                  if (day_end - t) >= lo * 86400 and (hi is None or (day_end - t) < hi * 86400)]
        supply = sum(a for a, _ in inside)
        cap = sum(c for _, c in inside)
        if supply == 0:
            out[name] = {"supply": 0.0, "realized_cap_usd": 0.0, "realized_price_usd": None}
            continue
        rp = cap / supply
        std = math.sqrt(sum(a * (c / a - rp) ** 2 for a, c in inside) / supply)
        out[name] = {"supply": supply, "realized_cap_usd": cap, "realized_price_usd": rp, "mvrv": price / rp,
                     "cost_basis_std_usd": std,
                     "supply_in_profit_pct": 100 * sum(a for a, c in inside if c / a < price) / supply}
    return out


@pytest.mark.parametrize("asof,price", [("2020-01-04", 150.0), ("2020-01-05", 300.0)])
def test_cohort_series_matches_brute_force(world, asof, price):
    s, store = world
    day_end = GENESIS_TS + (date.fromisoformat(asof) - date(2020, 1, 1)).days * 86400 + 86400
    if asof == "2020-01-05":
        units = [(b, c, t) for b, c, t, _ in expected_eth_avg(s).values()]
    else:  # end of day 3, by hand: carol has not sent yet, the exchange holds alice's 2 ETH
        t2, t3 = day_ts(2), day_ts(3)
        f_tok = fee(s, "alice_token_to_bob")
        alice = 10 - F21 - 4 - F21 - f_tok - F21 - 2
        bob = 5.5 - F21 - 2
        units = [(alice, alice * 100, day_ts(1)), (bob, bob * 200, t2), (4.5, 800.0, t2 + (t3 - t2) * 2 / 4.5),
                 (2.0, 300.0, t3), (1.0, 200.0, t2)]
    want = reference_cohorts(units, day_end, price)
    table = cohort_series(store, "ethereum", asof=asof, quantiles="50")
    assert table.column_names[:9] == ["date", "cohort", "supply", "realized_cap_usd", "realized_price_usd",
                                      "price_usd", "mvrv", "cost_basis_std_usd", "supply_in_profit_pct"]
    rows = {r["cohort"]: r for r in table.to_pylist()}
    assert len(rows) == 15 and all(r["date"] == date.fromisoformat(asof) for r in rows.values())
    for name, w in want.items():
        r = rows[name]
        assert r["price_usd"] == price
        for k, v in w.items():
            if v is None:
                assert r[k] is None, (name, k)
            else:
                assert r[k] == pytest.approx(v, rel=1e-9, abs=1e-9), (name, k)
    # on day 3 the exchange's 2 ETH cost exactly the day's price: not "in profit"
    if asof == "2020-01-04":
        assert rows["<1d"]["supply"] == pytest.approx(2.0) and rows["<1d"]["supply_in_profit_pct"] == 0.0
    # median cost basis of all supply: sort units by cost per coin and walk to half the supply
    srt = sorted(units, key=lambda u: u[1] / u[0])
    total, acc = sum(u[0] for u in srt), 0.0
    for a, c, _ in srt:
        acc += a
        if acc >= 0.5 * total:
            assert rows["all"]["p50_usd"] == pytest.approx(c / a, rel=1e-12)
            break


def test_fifo_cohorts_split_exchange_lots(world):
    s, store = world
    avg = {r["cohort"]: r for r in cohort_series(store, "ethereum", asof="2020-01-05").to_pylist()}
    fifo = {r["cohort"]: r for r in cohort_series(store, "ethereum", asof="2020-01-05", method="fifo").to_pylist()}
    # avg: the exchange's blended 5 ETH @240 acquired day 3 + 0.6 d is under a day old
    assert avg["<1d"]["supply"] == pytest.approx(5.0) and avg["<1d"]["realized_price_usd"] == pytest.approx(240.0)
    # fifo: only the day-4 lot (3 ETH @300) is under a day old
    assert fifo["<1d"]["supply"] == pytest.approx(3.0) and fifo["<1d"]["realized_price_usd"] == pytest.approx(300.0)
    assert fifo["all"]["supply"] == pytest.approx(avg["all"]["supply"], rel=1e-12)


def test_series_range_and_errors(world):
    s, store = world
    t = cohort_series(store, "ethereum", date_from="2020-01-02", date_to="2020-01-05")
    assert t.num_rows == 4 * 15
    alls = [r["supply"] for r in t.to_pylist() if r["cohort"] == "all"]
    assert alls[0] == pytest.approx(10.0)  # end of day 1: only alice's 10 ETH is tracked
    with pytest.raises(CostbasisError):
        cohort_series(store, "ethereum", asof="2020-01-05", date_from="2020-01-02")
    with pytest.raises(CostbasisError):
        cohort_series(store, "ethereum", method="lifo")
    with pytest.raises(CostbasisError):
        cohort_series(store, "nochain")


# ------------------------------------------------------------------ URPD
def test_urpd_buckets_by_hand(world):
    from costbasis.engine.evm.urpd import urpd

    s, store = world
    want = expected_eth_avg(s)
    a, b, c, x, sp2 = (want[k][0] for k in (s.alice.address, s.bob.address, s.carol.address, EXCHANGE, s.splitter2))
    t = urpd(store, "ethereum", asof="2020-01-05")  # 100 buckets of $3 up to the $300 ATH
    rows = t.to_pylist()
    assert len(rows) == 100 and rows[0]["bucket_low_usd"] == 0 and rows[-1]["bucket_high_usd"] == pytest.approx(300)
    nonzero = {i: r["supply"] for i, r in enumerate(rows) if r["supply"] > 0}
    # alice @100 -> [99,102) #33; carol @177.8 -> #59; bob and splitter2 @200 -> #66; exchange @240 -> #80
    assert nonzero == {33: pytest.approx(a), 59: pytest.approx(c), 66: pytest.approx(b + sp2), 80: pytest.approx(x)}
    assert all(r["in_profit"] for r in rows)  # every bucket ends at or below $300
    t50 = urpd(store, "ethereum", asof="2020-01-05", bucket_usd=50).to_pylist()
    got = {int(r["bucket_low_usd"]): r["supply"] for r in t50 if r["supply"] > 0}
    assert got == {100: pytest.approx(a), 150: pytest.approx(c), 200: pytest.approx(b + sp2 + x)}
    assert sum(r["realized_cap_usd"] for r in t50) == pytest.approx(sum(w[1] for w in want.values()))


# ------------------------------------------------------- flows and whales
@pytest.fixture(scope="module")
def labeled(world, tmp_path_factory):
    from tests.conftest import SHARED_DATA
    from costbasis.labels.importer import import_labels

    path = SHARED_DATA / "labels" / "exchange_address_labels.csv"
    if not path.is_file():
        pytest.skip(f"real exchange labels not found at {path}")
    s, store = world
    import_labels(store, path)  # real labels: EXCHANGE is ABCC's address (chain=ethereum)
    return s, store


def test_exchange_flows_by_hand(labeled):
    from costbasis.flows.evm_flows import flows

    s, store = labeled
    rows = flows(store, "ethereum").to_pylist()
    assert [(r["date"], r["entity"], r["inflow"], r["outflow"], r["netflow"], r["inflow_usd"], r["inflow_txs"],
             r["whale_ratio"]) for r in rows] == [  # without --from: every day from the first flow
        (date(2020, 1, 4), "all", 2.0, 0.0, 2.0, 300.0, 1, 1.0),
        (date(2020, 1, 5), "all", 3.0, 0.0, 3.0, 900.0, 1, 1.0),
    ]
    early = flows(store, "ethereum", date_from="2020-01-01", date_to="2020-01-03").to_pylist()
    assert [(r["date"], r["inflow"], r["inflow_txs"], r["whale_ratio"]) for r in early] == [
        (date(2020, 1, d), 0.0, 0, None) for d in (1, 2, 3)]  # an explicit --from: zeros without flows
    per = flows(store, "ethereum", per_entity=True, date_from="2020-01-05").to_pylist()
    assert [(r["entity"], r["inflow"]) for r in per] == [("ABCC", 3.0)]
    tok = flows(store, "ethereum", token=s.token, asset="TKN")  # no token went to an exchange
    assert tok.num_rows == 5 and set(tok["inflow_txs"].to_pylist() + tok["outflow_txs"].to_pylist()) == {0}


def test_whale_deposits_by_hand(labeled):
    from costbasis.flows.evm_flows import whale_signals, whales

    s, store = labeled
    only_big = whales(store, "ethereum", min_amount=2.5, whale_amount=1000).to_pylist()
    assert len(only_big) == 1
    d = only_big[0]
    carol_avg = 800 / 4.5
    carol_acq = day_ts(2) + (day_ts(3) - day_ts(2)) * 2 / 4.5
    assert (d["transaction_hash"], d["exchange"], d["source_address"]) == (s.tx["carol_to_exchange"], "ABCC",
                                                                           s.carol.address)
    assert d["amount"] == 3.0 and d["amount_usd"] == 900.0
    assert d["source_balance"] == pytest.approx(4.5)           # carol's balance before block 4
    assert d["cost_basis_usd"] == pytest.approx(carol_avg)
    assert d["mean_age_days"] == pytest.approx((day_ts(4) - carol_acq) / 86400)
    assert d["pnl_ratio"] == pytest.approx(300 / carol_avg - 1)
    # alice held 5.99979 ETH before block 3: a "whale" at a 5 ETH holding threshold despite a 2 ETH deposit
    both = whales(store, "ethereum", min_amount=2.5, whale_amount=5).to_pylist()
    assert [(r["source_address"], r["source_is_whale"]) for r in both] == [(s.alice.address, True),
                                                                           (s.carol.address, False)]
    assert both[0]["cost_basis_usd"] == pytest.approx(100.0)
    # fifo: the deposited coins (and the gas fee, sent in the same block) came from carol's oldest lots
    fifo = whales(store, "ethereum", min_amount=2.5, whale_amount=1000, method="fifo").to_pylist()[0]
    spent = [(F21, 200), (1.5 - F21, 200), (1.0, 200), (3 - (1.5 - F21) - 1.0, 150)]
    assert fifo["cost_basis_usd"] == pytest.approx(sum(a * p for a, p in spent) / sum(a for a, _ in spent))
    sig = whale_signals(store, "ethereum", window=2, min_amount=1.0, whale_amount=1000).to_pylist()
    assert [(r["date"], r["whale_deposit_usd"], r["deposit_count"]) for r in sig] == [
        (date(2020, 1, 1), 0.0, 0), (date(2020, 1, 2), 0.0, 0), (date(2020, 1, 3), 0.0, 0),
        (date(2020, 1, 4), 300.0, 1), (date(2020, 1, 5), 900.0, 1)]
    # day 4: trailing window (days 2,3) all quiet -> signal; day 5: window (3,4) = 0, 300: z = (900-150)/212.13
    assert sig[3]["signal"] is True
    assert sig[4]["zscore"] == pytest.approx((900 - 150) / math.sqrt(((0 - 150) ** 2 + (300 - 150) ** 2) / 1))


def test_real_eth_prices_and_long_term_holder(anvil_factory, tmp_path, shared_data):
    """Blocks placed in 2017-2018 valued with the real ETH/USD series (Coin Metrics export)."""
    import csv
    from datetime import datetime, timezone

    from support.anvil import ETH, GWEI, Wallet

    path = shared_data / "prices" / "eth_usd_daily_2015_2019.csv"
    with open(path) as f:
        real = {r["date"]: float(r["PriceUSD"]) for r in csv.DictReader(f) if r["PriceUSD"]}
    ts = lambda d: int(datetime.fromisoformat(d + "T15:00:00").replace(tzinfo=timezone.utc).timestamp())  # noqa: E731
    node = anvil_factory(genesis_timestamp=ts("2017-06-01") - 86400)
    dave, erin = Wallet("dave"), Wallet("erin")
    node.rpc("evm_setAutomine", [False])
    node.send_dev(DEV0, dave.address, 1 * ETH, gas=21_000, gas_price=10 * GWEI, nonce=0)
    node.mine(ts("2017-06-02"))
    node.send_raw(dave.tx(erin.address, 4 * ETH // 10))
    node.mine(ts("2018-01-10"))
    store = Store(tmp_path / "cache")
    ingest_evm(store, node.url, confirmations=0)
    import_prices(store, path, "ETH")
    p1, p2 = real["2017-06-02"], real["2018-01-10"]
    got = as_dict(holders(store, asof="2018-01-10"))
    assert got[erin.address]["cost_usd"] == pytest.approx(0.4 * p2, rel=1e-12)
    assert got[dave.address]["balance"] == pytest.approx(1 - 0.4 - F21, rel=1e-12)
    assert got[dave.address]["avg_cost_usd"] == pytest.approx(p1, rel=1e-12)
    assert got[dave.address]["realized_usd"] == pytest.approx((0.4 + F21) * (p2 - p1), rel=1e-9)
    rows = {r["cohort"]: r for r in cohort_series(store, asof="2018-01-10").to_pylist()}
    # dave's coins are 222 days old: 6m-12m and long-term; erin's are hours old: <1d, short-term
    assert rows["6m-12m"]["supply"] == pytest.approx(1 - 0.4 - F21) and rows["lth"]["supply"] == rows["6m-12m"]["supply"]
    assert rows["lth"]["realized_price_usd"] == pytest.approx(p1, rel=1e-12)
    assert rows["sth"]["realized_price_usd"] == pytest.approx(p2, rel=1e-12)
    assert rows["all"]["price_usd"] == p2 and rows["lth"]["mvrv"] == pytest.approx(p2 / p1, rel=1e-12)
