"""One chain story with known exchange flows and whale deposits, played on a chain builder
(costbasis.regtest.ChainBuilder or tests/flows_factory.FakeChain).

Every expected number below is written from the story itself (amounts we send, days we
send them, prices we set), not from the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import pyarrow as pa

from costbasis.bitcoin.address import script_to_address

BTC = 100_000_000
D0 = date(2025, 3, 1)
T0 = int(datetime(2025, 3, 1, tzinfo=timezone.utc).timestamp())
DAYS = 40


def price_of_day(d: int) -> float:
    return 10_000.0 + 100.0 * d


def day(d: int) -> date:
    return D0 + timedelta(days=d)


def prices_table() -> pa.Table:
    ds = list(range(-5, DAYS + 2))
    return pa.table({"date": pa.array([day(d) for d in ds], pa.date32()),
                     "price_usd": [price_of_day(d) for d in ds],
                     "time": [T0 + 86400 * d for d in ds]})


def addr(script: bytes) -> str:
    return script_to_address("p2wpkh", script, "regtest")


@dataclass
class Story:
    labels_csv: str = ""
    # expected flows after `labels expand`, all exchanges together, BTC per day index
    inflow: dict = field(default_factory=dict)
    outflow: dict = field(default_factory=dict)
    inflow_txs: dict = field(default_factory=dict)
    top10: dict = field(default_factory=dict)
    # before expand (only imported labels)
    inflow_raw: dict = field(default_factory=dict)
    outflow_raw: dict = field(default_factory=dict)
    whale_days: dict = field(default_factory=dict)      # day -> [(exchange, btc, holds_1000, band)]
    w1_balance_before_d20: int = 0
    w1_balance_before_d5: int = 0
    deposit_addrs: set = field(default_factory=set)     # ExA deposit addresses (sweep heuristic)
    exb_unlabeled: str = ""                             # found by common-input clustering
    mixer_addrs: list = field(default_factory=list)     # CoinJoin-shaped inputs: stay apart
    m_addrs: list = field(default_factory=list)         # co-spent: one cluster
    w1_addrs: list = field(default_factory=list)


def play(cb) -> Story:
    s = Story()
    w1, w2, u = cb.wallet("whale1"), cb.wallet("whale2"), cb.wallet("user")
    exa, exb, dep = cb.wallet("exa_hot"), cb.wallet("exb_hot"), cb.wallet("exa_deposits")
    mixer, m, shop = cb.wallet("mixer"), cb.wallet("multi"), cb.wallet("shop")
    mix_out = cb.wallet("mix_out")

    ha = exa.script
    ha2 = exa.new_script()
    hb = exb.script
    # -- day 0: coinbases (50 BTC each) to everybody, then maturity
    t = T0
    def mine_to(w, n, rotate_every=None):
        nonlocal t
        for i in range(n):
            if rotate_every and i and i % rotate_every == 0:
                w.new_script()
            cb.mine(1, to=w, time=t)
            t += 300
    mine_to(w1, 30, rotate_every=3)            # 1500 BTC over 10 addresses
    s.w1_addrs = [addr(x) for x in w1.scripts]
    mine_to(w2, 5)                             # 250 BTC
    mine_to(u, 2)                              # 100 BTC
    exa_cb_script = ha
    cb.mine(1, to=ha, time=t); t += 300        # ExA holds coins at its labeled H_A
    cb.mine(1, to=ha, time=t); t += 300
    cb.mine(1, to=hb, time=t); t += 300        # ExB: one coin at labeled H_B ...
    hb2 = exb.new_script()
    cb.mine(1, to=hb2, time=t); t += 300       # ... one at unlabeled H_B2
    for _ in range(5):
        mixer.new_script()
    for sc in mixer.scripts[1:]:
        cb.mine(1, to=sc, time=t); t += 300    # 5 addresses, 50 BTC each
    for _ in range(2):
        m.new_script()
    for sc in m.scripts:
        cb.mine(1, to=sc, time=t); t += 300    # 3 addresses, 50 BTC each
    cb.mine(100, time=t, time_step=300)        # coinbase maturity, still day 0 (height ~150)
    assert (cb.block_time(cb.height) - T0) < 86400

    def block_on(d):
        cb.mine(1, time=T0 + d * 86400 + 12 * 3600)

    def btc(d_, table, v):
        table[d_] = table.get(d_, 0) + v

    # day 1..2: quiet
    for d in range(1, 3):
        block_on(d)
    # d3: user deposits 2 BTC to ExA deposit address DA1
    da1 = dep.script
    cb.send(u, [(da1, 2 * BTC)])
    btc(3, s.inflow, 2 * BTC); s.inflow_txs[3] = 1
    block_on(3)
    block_on(4)
    # d5: whale1 deposits 200 BTC to ExA deposit address DA2
    da2 = dep.new_script()
    s.w1_balance_before_d5 = cb.balance(w1)
    cb.send(w1, [(da2, 200 * BTC)])
    btc(5, s.inflow, 200 * BTC); s.inflow_txs[5] = 1
    s.whale_days[5] = [("ExA", 200, True, "1d-1w")]
    block_on(5)
    # d6: ExA sweeps its deposit addresses into the hot wallet (internal once DA1/DA2 are known)
    cb.sweep(dep, ha)
    btc(6, s.inflow_raw, 202 * BTC - 1000)
    s.deposit_addrs = {addr(da1), addr(da2)}
    block_on(6)
    block_on(7)
    # d8: ExA moves 30 BTC between its two labeled addresses: not a flow
    cb.send(exa, [(ha2, 30 * BTC)], change=ha)
    block_on(8)
    block_on(9)
    # d10: ExA pays 40 BTC to ExB: outflow of ExA, inflow of ExB, not a whale deposit
    cb.send(exa, [(hb, 40 * BTC)], change=ha)
    btc(10, s.inflow, 40 * BTC); btc(10, s.outflow, 40 * BTC); s.inflow_txs[10] = 1
    btc(10, s.inflow_raw, 40 * BTC); btc(10, s.outflow_raw, 40 * BTC)
    block_on(10)
    block_on(11)
    # d12: ExA withdrawal of 10 BTC to the user
    cb.send(exa, [(u, 10 * BTC)], change=ha)
    btc(12, s.outflow, 10 * BTC); btc(12, s.outflow_raw, 10 * BTC)
    block_on(12)
    for d in (13, 14):
        block_on(d)
    # d15: whale2 deposits 150 BTC straight to ExB's labeled hot wallet
    cb.send(w2, [(hb, 150 * BTC)])
    btc(15, s.inflow, 150 * BTC); btc(15, s.inflow_raw, 150 * BTC); s.inflow_txs[15] = 1
    s.whale_days[15] = [("ExB", 150, False, "1w-1m")]
    block_on(15)
    for d in range(16, 20):
        block_on(d)
    # d20: whale1 deposits only 10 BTC, but its wallet holds > 1000 BTC
    s.w1_balance_before_d20 = cb.balance(w1)
    cb.send(w1, [(hb, 10 * BTC)], change=w1.scripts[1])   # the change address is co-spent on d30
    btc(20, s.inflow, 10 * BTC); btc(20, s.inflow_raw, 10 * BTC); s.inflow_txs[20] = 1
    s.whale_days[20] = [("ExB", 10, True, "1w-1m")]
    block_on(20)
    block_on(21)
    # d22: CoinJoin-shaped: 5 inputs from 5 addresses, 5 equal outputs
    coins = []
    for sc in mixer.scripts[1:]:
        coins += [c for c in mixer.coins.values() if c.script == sc][:1] if hasattr(next(iter(mixer.coins.values())), "script") \
            else [op for op, c in mixer.coins.items() if c[1] == sc][:1]
    outs = []
    for _ in range(5):
        outs.append((mix_out.new_script(), 10 * BTC))
    cb.send(mixer, outs, coins=coins, change=mixer.scripts[0])
    s.mixer_addrs = [addr(x) for x in mixer.scripts[1:]]
    block_on(22)
    block_on(23)
    # d24: co-spend of the multi wallet's three addresses (one owner)
    cb.send(m, [(shop, 120 * BTC)])
    s.m_addrs = [addr(x) for x in m.scripts]
    block_on(24)
    # d25: ExB spends H_B and H_B2 together: H_B2 joins ExB's cluster
    exb_coins = []
    for sc in (hb, hb2):
        exb_coins += [c for c in exb.coins.values() if c.script == sc][:1] if hasattr(next(iter(exb.coins.values())), "script") \
            else [op for op, c in exb.coins.items() if c[1] == sc][:1]
    cb.send(exb, [(u, 5 * BTC)], coins=exb_coins, change=hb)
    btc(25, s.outflow, 5 * BTC); btc(25, s.outflow_raw, 5 * BTC)
    s.exb_unlabeled = addr(hb2)
    block_on(25)
    for d in (26, 27):
        block_on(d)
    # d28: the user pays 0.5 BTC to H_B2: an inflow only once H_B2 is known to be ExB's
    cb.send(u, [(hb2, BTC // 2)])
    btc(28, s.inflow, BTC // 2); s.inflow_txs[28] = 1
    block_on(28)
    block_on(29)
    # d30: whale1 consolidates everything (links all its addresses)
    cb.sweep(w1, w1.new_script())
    block_on(30)
    for d in range(31, 35):
        block_on(d)
    # d35: 12 deposits of 1..12 BTC to ExB: top-10 = 3..12
    for v in range(1, 13):
        cb.send(u, [(hb, v * BTC)])
    btc(35, s.inflow, 78 * BTC); btc(35, s.inflow_raw, 78 * BTC); s.inflow_txs[35] = 12
    for d in range(35, DAYS + 1):
        block_on(d)
    for d in s.inflow:
        s.top10[d] = s.inflow[d] if d != 35 else 75 * BTC

    rows = ["chain,address,entity,label_type,source",
            f"bitcoin-regtest,{addr(ha)},ExA,exchange,test",
            f"bitcoin-regtest,{addr(ha2)},ExA,exchange_hot_wallet,test",
            f"bitcoin-regtest,{addr(hb)},ExB,exchange,test"]
    s.labels_csv = "\n".join(rows) + "\n"
    return s
