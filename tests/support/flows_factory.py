"""A tiny UTXO chain that writes the Bitcoin tables straight into a store.

It mirrors the calls of costbasis.regtest.ChainBuilder that the flow tests
use (wallet, send, sweep, mine, balance) so one scenario runs on either. It exists to
develop and cross-check the flow SQL without signing or validating blocks; the main
end-to-end test uses the real generator and ingest.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa

from costbasis.bitcoin.address import script_to_address
from costbasis.bitcoin.outpoints import tx_key
from costbasis.bitcoin.schema import BLOCKS, COIN_FLOWS, INPUTS, KEYS, OUTPUTS
from costbasis.store import Store

COINBASE_MATURITY = 100


def subsidy(height: int) -> int:
    return (50 * 100_000_000) >> (height // 150)   # regtest halving interval


class FakeWallet:
    def __init__(self, name: str):
        self.name = name
        self.scripts: list[bytes] = []
        self.coins: dict[tuple[str, int], list] = {}  # outpoint -> [value, script, height, coinbase]
        self.new_script()

    def new_script(self) -> bytes:
        h = hashlib.sha256(f"{self.name}/{len(self.scripts)}".encode()).digest()[:20]
        self.scripts.append(b"\x00\x14" + h)
        return self.scripts[-1]

    def new_address(self) -> str:
        self.new_script()
        return self.address

    @property
    def script(self) -> bytes:
        return self.scripts[-1]

    @property
    def address(self) -> str:
        return script_to_address("p2wpkh", self.script, "regtest")

    def balance(self, include_mempool: bool = False) -> int:
        return sum(c[0] for c in self.coins.values() if include_mempool or c[2] is not None)


class FakeChain:
    def __init__(self, start_time: int):
        self.start_time = start_time
        self._times: list[int] = [start_time - 86400 * 365]
        self.wallets: dict[str, FakeWallet] = {}
        self._owner: dict[bytes, FakeWallet] = {}
        self.mempool: list[dict] = []
        self.rows = {"blocks": [], "outputs": [], "inputs": []}
        self._n = 0
        self.miner = self.wallet("miner")
        self._block(0, self._times[0], [self._coinbase_tx(0, b"\x00\x14" + b"\x00" * 20)])

    @property
    def height(self) -> int:
        return len(self._times) - 1

    def block_time(self, h: int) -> int:
        return self._times[h]

    def wallet(self, name: str, script_type: str = "p2wpkh") -> FakeWallet:
        if name not in self.wallets:
            w = FakeWallet(name)
            orig = w.new_script

            def new_script():
                s = orig()
                self._owner[s] = w
                return s
            w.new_script = new_script
            for s in w.scripts:
                self._owner[s] = w
            self.wallets[name] = w
        return self.wallets[name]

    def balance(self, w: FakeWallet, include_mempool: bool = False) -> int:
        return w.balance(include_mempool)

    def _script_of(self, dest) -> bytes:
        return dest.script if isinstance(dest, FakeWallet) else bytes(dest)

    def _txid(self) -> str:
        self._n += 1
        return hashlib.sha256(f"tx{self._n}".encode()).hexdigest()

    def _coinbase_tx(self, height: int, script: bytes) -> dict:
        return {"txid": self._txid(), "ins": [], "outs": [(subsidy(height), script)], "coinbase": True}

    def _select(self, src: FakeWallet, need: int, coins) -> list:
        nh = self.height + 1
        if coins is not None:
            chosen = [(op, src.coins[op]) for op in coins]
        else:
            chosen, total = [], 0
            for op, c in src.coins.items():
                if c[3] and (c[2] is None or nh - c[2] < COINBASE_MATURITY):
                    continue
                chosen.append((op, c))
                total += c[0]
                if total >= need:
                    break
        if sum(c[0] for _, c in chosen) < need:
            raise ValueError(f"wallet {src.name} cannot pay {need}")
        return chosen

    def send(self, src, outputs, fee: int = 1000, change=None, select: str = "oldest", coins=None) -> str:
        outs = [(int(v), self._script_of(d)) for d, v in outputs]
        need = sum(v for v, _ in outs) + fee
        chosen = self._select(src, need, coins)
        rest = sum(c[0] for _, c in chosen) - need
        if rest > 0:
            outs.append((rest, self._script_of(src if change is None else change)))
        return self._submit(src, chosen, outs)

    def sweep(self, src, dest, fee: int = 1000, coins=None) -> str:
        nh = self.height + 1
        chosen = [(op, c) for op, c in src.coins.items()
                  if not c[3] or (c[2] is not None and nh - c[2] >= COINBASE_MATURITY)] if coins is None \
            else self._select(src, 0, coins)
        total = sum(c[0] for _, c in chosen)
        return self._submit(src, chosen, [(total - fee, self._script_of(dest))])

    def _submit(self, src, chosen, outs) -> str:
        txid = self._txid()
        for op, _ in chosen:
            del src.coins[op]
        for n, (v, s) in enumerate(outs):
            w = self._owner.get(s)
            if w is not None:
                w.coins[(txid, n)] = [v, s, None, False]
        self.mempool.append({"txid": txid, "ins": [(op, c) for op, c in chosen], "outs": outs, "coinbase": False})
        return txid

    def coins_of(self, src: FakeWallet, script: bytes) -> list:
        return [op for op, c in src.coins.items() if c[1] == script]

    def mine(self, n: int = 1, to=None, time: int | None = None, time_step: int = 600) -> list[str]:
        out = []
        for i in range(n):
            t = int(time) + i * time_step if time is not None else (
                self.start_time if self.height == 0 else self._times[-1] + time_step)
            h = self.height + 1
            pay = self._script_of(self.miner if to is None else to)
            fees = sum(sum(c[0] for _, c in tx["ins"]) - sum(v for v, _ in tx["outs"]) for tx in self.mempool)
            cb = self._coinbase_tx(h, pay)
            cb["outs"][0] = (cb["outs"][0][0] + fees, pay)
            txs, self.mempool = [cb] + self.mempool, []
            self._times.append(t)
            self._block(h, t, txs)
            for tx in txs:
                for n_, (v, s) in enumerate(tx["outs"]):
                    w = self._owner.get(s)
                    if w is not None:
                        w.coins[(tx["txid"], n_)] = [v, s, h, tx["coinbase"]]
            out.append(f"{h:064x}")
        return out

    def _block(self, h: int, t: int, txs: list[dict]) -> None:
        fees = 0
        for ti, tx in enumerate(txs):
            for vin, (op, c) in enumerate(tx["ins"]):
                self.rows["inputs"].append(dict(
                    height=h, tx_index=ti, txid=tx["txid"], vin=vin, prev_tx_key=tx_key(op[0]), prev_vout=op[1],
                    created_height=c[2], value=c[0], script_type="p2wpkh",
                    address=script_to_address("p2wpkh", c[1], "regtest"), script=c[1], is_coinbase=c[3]))
            for vout, (v, s) in enumerate(tx["outs"]):
                self.rows["outputs"].append(dict(
                    height=h, tx_index=ti, txid=tx["txid"], vout=vout, value=v, script_type="p2wpkh",
                    address=script_to_address("p2wpkh", s, "regtest"), script=s, is_coinbase=tx["coinbase"],
                    spendable=h > 0))
            if not tx["coinbase"]:
                fees += sum(c[0] for _, c in tx["ins"]) - sum(v for v, _ in tx["outs"])
        self.rows["blocks"].append(dict(height=h, hash=f"{h:064x}", prev_hash=f"{max(h - 1, 0):064x}", time=t,
                                        median_time=t, tx_count=len(txs), size=0, weight=0, subsidy=subsidy(h), fees=fees))

    def commit(self, store: Store, chain: str = "bitcoin-regtest") -> None:
        tables = {name: pa.Table.from_pylist(self.rows[name], schema=schema)
                  for name, schema in (("blocks", BLOCKS), ("outputs", OUTPUTS), ("inputs", INPUTS))}
        tables["coin_flows"] = COIN_FLOWS.empty_table()
        cs = store.chain(chain)
        with cs.writer_lock():
            cs.commit(0, self.height, tables, f"{self.height:064x}", {self.height: f"{self.height:064x}"}, KEYS)
