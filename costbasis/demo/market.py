"""Drive the regtest ChainBuilder through the scenario: who pays whom, on which day, at what price.

The simulator only moves coins; every number the demo prints is computed afterwards by the
engine from the ingested blocks (the simulator never reports on its own figures).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from costbasis.regtest import ChainBuilder, InsufficientFunds, Wallet
from costbasis.dates import day_start
from costbasis.demo.scenario import DAY, Scenario, price_path, top_day

COIN = 100_000_000
HOT_LOW, HOT_TARGET, HOT_HIGH = 60, 150, 400   # exchange hot-wallet float, BTC
MINER_WHALE_GUARD = 900                       # above this the miner sells OTC, not on exchanges
MINER_SALE_MAX = 25                           # miners sell in small lots (no whale-size deposits)
SCRIPT_MIX = ["p2wpkh", "p2wpkh", "p2wpkh", "p2pkh", "p2sh", "p2tr", "p2wsh"]


@dataclass
class SimResult:
    prices: list[tuple[date, float]]
    labels: list[dict]                   # chain,address,entity,label_type
    blocks: int = 0
    txs: int = 0
    whale_deposits: list[tuple[date, str, float]] = field(default_factory=list)  # what was sent (for tests only)


class Market:
    def __init__(self, cb: ChainBuilder, sc: Scenario, progress=None):
        self.cb, self.sc = cb, sc
        self.rng = np.random.default_rng(sc.seed)
        self.prices = price_path(sc)
        self.price_of = dict(self.prices)
        self.progress = progress
        self.txs = 0
        w = cb.wallet
        self.holders = [w(f"holder{i:03d}", SCRIPT_MIX[i % len(SCRIPT_MIX)]) for i in range(sc.holders)]
        self.whales = [w(f"whale{i}", "p2wpkh") for i in range(sc.whales)]
        self.hot = {e: w(f"{e}-hot", "p2wpkh") for e in sc.exchanges}
        self.cold = {e: w(f"{e}-cold", "p2wsh") for e in sc.exchanges}
        self.deposits = {e: w(f"{e}-deposits", "p2wpkh") for e in sc.exchanges}
        self.buyers: list[Wallet] = []
        self.whale_log: list[tuple[date, str, float]] = []

    # ----------------------------------------------------------------- helpers
    def _send(self, src: Wallet, outs, select="oldest", fee=None) -> bool:
        fee = int(fee if fee is not None else self.rng.integers(800, 4000))
        try:
            self.cb.send(src, outs, fee=fee, select=select)
        except InsufficientFunds:
            return False
        self.txs += 1
        return True

    def _sats(self, btc: float) -> int:
        return max(int(btc * COIN), 10_000)

    def _exchange(self) -> str:
        return self.sc.exchanges[int(self.rng.integers(len(self.sc.exchanges)))]

    def _deposit(self, src: Wallet, btc: float, select="oldest") -> bool:
        ex = self._exchange()
        dep = self.deposits[ex]
        dep.new_address()  # one deposit address per deposit, as exchanges do
        return self._send(src, [(dep, self._sats(btc))], select=select)

    def _sweep_deposits(self) -> None:
        """Exchanges sweep their deposit addresses into the hot wallet (the sweep heuristic's signal)."""
        for ex, dep in self.deposits.items():
            if dep.balance(include_mempool=False) > 0:
                try:
                    self.cb.sweep(dep, self.hot[ex], fee=3000, coins=[c for c in dep.coins.values() if c.height is not None])
                    self.txs += 1
                except InsufficientFunds:
                    pass

    # -------------------------------------------------------------- pre-history
    def pre_history(self) -> None:
        """Mine `pre_blocks` blocks over years and spread the coinbases to holders, whales, exchanges."""
        sc, cb = self.sc, self.cb
        t0, t1 = day_start(sc.pre_start), day_start(sc.start) - DAY
        step = (t1 - t0) // sc.pre_blocks
        whale_target = [int(self.rng.uniform(1_250, 1_900) * COIN) for _ in self.whales]
        for i in range(sc.pre_blocks):
            t = t0 + i * step
            if cb.height >= 101:
                self._distribute(whale_target, i)
            cb.mine(1, time=t)
            self._tick()

    def _distribute(self, whale_target: list[int], i: int) -> None:
        """Split the miner's spendable coins: ~40% whales, ~17% exchanges, ~35% holders, rest kept."""
        cb, rng = self.cb, self.rng
        nh = cb.height + 1  # immature coinbases (< 100 confirmations) cannot be spent yet
        budget = sum(c.value for c in cb.miner.coins.values() if not c.coinbase or nh - c.height >= 100) - 10_000
        if budget < 5 * COIN:
            return
        outs = []
        deficits = [(t - w.balance(include_mempool=True), w) for w, t in zip(self.whales, whale_target)]
        gap, whale = max(deficits, key=lambda x: x[0])
        if gap > COIN:
            outs.append((whale, min(gap, int(budget * 0.4))))
        ex = self._exchange()
        outs.append((self.cold[ex], int(budget * rng.uniform(0.12, 0.22))))
        share = int(budget * 0.35)
        n = int(rng.integers(2, 6))
        for w in rng.dirichlet(np.ones(n)):
            h = self.holders[int(rng.integers(len(self.holders)))]
            if int(share * w) > 100_000:
                outs.append((h, int(share * w)))
        self._send(cb.miner, outs)
        # some pre-history churn among holders and cold storage, so coin ages vary
        if rng.random() < 0.5:
            a, b = rng.choice(len(self.holders), 2, replace=False)
            src = self.holders[int(a)]
            bal = src.balance(include_mempool=True)
            if bal > COIN:
                self._send(src, [(self.holders[int(b)], int(bal * rng.uniform(0.2, 0.6)))])
        if rng.random() < 0.2:
            ex = self._exchange()
            bal = self.hot[ex].balance(include_mempool=True)
            if bal > 50 * COIN:
                self._send(self.hot[ex], [(self.cold[ex], int(bal * 0.3))])

    # ------------------------------------------------------------------ active
    def _buy_intensity(self, k: int) -> float:
        """Fresh demand: heavy into the top, heavy again while price holds near 90k, and on the bounce."""
        before_end = self.sc.days - 1 - k
        top = top_day(self.sc)
        return 0.6 + 2.4 * np.exp(-((k - top) / max(top * 0.6, 3)) ** 2) \
            + 1.8 * np.exp(-((before_end - 24) / 12) ** 2) + 1.0 * np.exp(-((before_end - 7) / 3) ** 2)

    def active(self) -> None:
        sc, cb, rng = self.sc, self.cb, self.rng
        dates = sc.active_dates()
        whale_days = dict(zip(sc.whale_days, sc.whale_deposit_btc))
        for k, d in enumerate(dates):
            t_day = day_start(d)
            per_block = DAY // sc.blocks_per_day
            self._sweep_deposits()
            for ex in self.sc.exchanges:
                self._rebalance(ex)
            for b in range(sc.blocks_per_day):
                n_buys = rng.poisson(1.2 * self._buy_intensity(k))
                for _ in range(n_buys):
                    self._buy()
                if rng.random() < 0.3:       # an older holder sells: deposit to an exchange
                    h = self.holders[int(rng.integers(len(self.holders)))]
                    bal = h.balance(include_mempool=True)
                    if bal > COIN:
                        self._deposit(h, bal * rng.uniform(0.05, 0.3) / COIN)
                if self.buyers and rng.random() < 0.35:   # a recent buyer flips coins
                    bw = self.buyers[int(rng.integers(len(self.buyers)))]
                    bal = bw.balance(include_mempool=True)
                    if bal > COIN // 10:
                        if rng.random() < 0.5:
                            self._deposit(bw, bal * rng.uniform(0.3, 1.0) / COIN * 0.99, select="newest")
                        else:
                            peer = self.buyers[int(rng.integers(len(self.buyers)))]
                            self._send(bw, [(peer, int(bal * 0.5))], select="newest")
                if d in whale_days and b == 2:
                    self._whale_deposit(d, whale_days[d])
                self._miner_sells()
                cb.mine(1, time=t_day + b * per_block + int(rng.integers(0, per_block // 3)))
                self._tick()

    def _rebalance(self, ex: str) -> None:
        """Keep the hot wallet small: top it up from cold storage, push the excess back.
        (A hot wallet spending one huge coin would re-create most exchange supply as young change.)"""
        hot, cold = self.hot[ex], self.cold[ex]
        bal = hot.balance(include_mempool=True)
        if bal < HOT_LOW * COIN:
            self._send(cold, [(hot, HOT_TARGET * COIN)], select="oldest")
        elif bal > HOT_HIGH * COIN:
            self._send(hot, [(cold, int(bal - HOT_TARGET * COIN))], select="oldest")

    def _buy(self) -> None:
        rng = self.rng
        ex = self._exchange()
        hot = self.hot[ex]
        if not self.buyers or rng.random() < 0.45:
            self.buyers.append(self.cb.wallet(f"buyer{len(self.buyers):04d}", SCRIPT_MIX[len(self.buyers) % len(SCRIPT_MIX)]))
            dest = self.buyers[-1]
        else:
            dest = self.buyers[int(rng.integers(len(self.buyers)))]
            dest.new_address()
        btc = float(min(rng.lognormal(np.log(1.5), 1.0), 40.0))
        self._send(hot, [(dest, self._sats(btc))], select="smallest")

    def _miner_sells(self) -> None:
        """While the miner is a >= 1,000 BTC wallet it sells OTC to holders (not on exchanges),
        so the only whale-size exchange deposits are the scenario's whale days."""
        cb, rng = self.cb, self.rng
        nh = cb.height + 1
        spendable = sum(c.value for c in cb.miner.coins.values() if not c.coinbase or nh - c.height >= 100)
        if cb.balance(cb.miner, include_mempool=True) >= MINER_WHALE_GUARD * COIN:
            if spendable > 30 * COIN:
                picks = rng.choice(len(self.holders), 3, replace=False)
                share = int(spendable * 0.8 / 3)
                self._send(cb.miner, [(self.holders[int(i)], share) for i in picks])
        elif spendable > 20 * COIN and rng.random() < 0.1:
            self._deposit(cb.miner, min(spendable * 0.5 / COIN, MINER_SALE_MAX))

    def _whale_deposit(self, d: date, btc: float) -> None:
        """Old whales split a large deposit into a few transactions to one exchange's deposit addresses."""
        ex = self.sc.exchanges[0]
        left = btc
        # the biggest holder moves first: the deposit comes from a wallet holding >= 1,000 BTC
        for w in sorted(self.whales, key=lambda w: -w.balance(include_mempool=True)):
            if left <= 0:
                break
            bal = w.balance(include_mempool=True) / COIN
            amt = min(left, bal * 0.9)
            if amt < 100:
                continue
            self.deposits[ex].new_address()
            if self._send(w, [(self.deposits[ex], self._sats(amt))]):
                self.whale_log.append((d, w.name, amt))
                left -= amt

    def _tick(self) -> None:
        if self.progress:
            self.progress()

    def labels(self) -> list[dict]:
        """What a label provider would publish: hot and cold wallets (deposit addresses are discovered)."""
        rows = []
        for ex in self.sc.exchanges:
            for w, kind in ((self.hot[ex], "exchange"), (self.cold[ex], "exchange")):
                for a in w.addresses:
                    rows.append({"chain": "bitcoin-regtest", "address": a, "entity": ex, "label_type": kind})
        return rows


def simulate(datadir: Path, sc: Scenario, progress=None) -> SimResult:
    """Write the scenario's chain into `datadir/regtest` and return prices and labels."""
    now = day_start(sc.end) + 3 * DAY
    cb = ChainBuilder(datadir, start_time=day_start(sc.pre_start), seed=f"costbasis-demo-{sc.seed}", now=now)
    try:
        m = Market(cb, sc, progress)
        m.pre_history()
        m.active()
        return SimResult(prices=m.prices, labels=m.labels(), blocks=cb.height, txs=m.txs,
                         whale_deposits=m.whale_log)
    finally:
        cb.close()
