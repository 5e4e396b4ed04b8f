"""ChainBuilder: wallets + mempool + miner on top of a real regtest datadir (libbitcoinkernel)."""

from __future__ import annotations

import ctypes
import gc
import time as _time
from dataclasses import dataclass
from pathlib import Path

import pbk

from costbasis.bitcoin.address import address_to_script

from . import scripts as S
from .miner import assemble, subsidy
from .tx import Tx, TxIn, TxOut
from .wallet import Coin, Wallet

COINBASE_MATURITY = 100
MAX_BLOCK_WEIGHT = 3_990_000          # consensus 4,000,000 minus room for the coinbase
MAX_BLOCK_SIGOPS_COST = 79_000        # consensus 80,000
MAX_FUTURE_DRIFT = 2 * 60 * 60
Dest = "Wallet | str | bytes"


class BlockRejected(RuntimeError):
    """libbitcoinkernel did not accept a block the builder produced (a generator bug)."""


class InsufficientFunds(ValueError):
    pass


@dataclass(slots=True)
class _Pending:
    tx: Tx
    txid: bytes
    fee: int
    weight: int
    sigops: int
    created: list[Coin]


def _legacy_sigops(script: bytes) -> int:
    # Counting opcodes by byte value over-counts pushes that happen to contain 0xac/0xae,
    # which only makes the per-block budget more conservative.
    return script.count(b"\xac") + script.count(b"\xad") + 20 * (script.count(b"\xae") + script.count(b"\xaf"))


def _kernel_block(raw: bytes) -> "pbk.Block":
    # pbk.Block(raw) copies the buffer one element at a time (~100 ms per MB); a bulk copy
    # into the same C constructor is equivalent and far faster.
    try:
        import pbk.capi.bindings as k
        buf = (ctypes.c_ubyte * len(raw)).from_buffer_copy(raw)
        ptr = k.btck_block_create(buf, len(raw))
        if ptr:
            return pbk.Block._from_handle(ptr)
    except (ImportError, AttributeError):
        pass
    return pbk.Block(raw)


class ChainBuilder:
    """Build a consensus-valid regtest chain into `<datadir>/regtest` (Bitcoin Core's layout).

    All randomness is derived from `seed`, so the same calls give byte-identical blocks.
    """

    def __init__(self, datadir: str | Path, start_time: int, seed: bytes | str | int = b"costbasis",
                 now: int | None = None):
        self.datadir = Path(datadir)
        self.network_dir = self.datadir / "regtest"
        if (self.network_dir / "blocks").exists():
            raise FileExistsError(f"{self.network_dir} already holds a chain; ChainBuilder needs a fresh datadir")
        self.network_dir.mkdir(parents=True, exist_ok=True)
        if isinstance(seed, int):
            seed = seed.to_bytes(8, "big", signed=True)
        self.seed = seed.encode() if isinstance(seed, str) else bytes(seed)
        self.start_time = int(start_time)
        self._now = now
        self._last_state: list = []
        callbacks = pbk.ValidationInterfaceCallbacks(block_checked=self._on_block_checked)
        self.cm = pbk.load_chainman(self.network_dir, pbk.ChainType.REGTEST, validation_callbacks=callbacks)
        genesis = self.cm.get_active_chain().block_tree_entries[0]
        self._hashes: list[bytes] = [bytes(genesis.block_hash)]
        self._times: list[int] = [int(genesis.block_header.timestamp.timestamp())]
        self.wallets: dict[str, Wallet] = {}
        self._owner: dict[bytes, Wallet] = {}       # script -> wallet that can spend it
        self.mempool: list[_Pending] = []
        self.total_fees = 0
        self.miner = self.wallet("miner", "p2wpkh")

    # -- chain state ---------------------------------------------------------------------------
    @property
    def height(self) -> int:
        return len(self._hashes) - 1

    @property
    def tip_hash(self) -> str:
        return self._hashes[-1][::-1].hex()

    @property
    def block_hashes(self) -> list[str]:
        """Display-order hashes of heights 0..height."""
        return [h[::-1].hex() for h in self._hashes]

    @property
    def tip_time(self) -> int:
        return self._times[-1]

    def block_time(self, height: int) -> int:
        return self._times[height]

    def median_time_past(self) -> int:
        last = sorted(self._times[-11:])          # as Bitcoin Core's GetMedianTimePast
        return last[len(last) // 2]

    # -- wallets --------------------------------------------------------------------------------
    def wallet(self, name: str, script_type: str = "p2wpkh") -> Wallet:
        """Create (or return the existing) wallet `name`; keys derive from (seed, name)."""
        if name in self.wallets:
            w = self.wallets[name]
            if w.script_type != ("p2sh" if script_type == "p2sh-p2wpkh" else script_type):
                raise ValueError(f"wallet {name!r} exists with type {w.script_type}")
            return w
        w = Wallet(name, script_type, self.seed)
        owner = self._owner

        orig_new_script = w.new_script

        def new_script() -> bytes:
            s = orig_new_script()
            owner[s] = w
            return s
        w.new_script = new_script           # every script the wallet hands out is spendable by it
        for s in w.scripts:
            owner[s] = w
        self.wallets[name] = w
        return w

    def balance(self, wallet: Wallet, include_mempool: bool = False) -> int:
        return wallet.balance(include_mempool)

    def _script_of(self, dest) -> bytes:
        if isinstance(dest, Wallet):
            return dest.script
        if isinstance(dest, str):
            return address_to_script(dest, "regtest")
        if isinstance(dest, (bytes, bytearray)):
            return bytes(dest)
        raise TypeError(f"destination must be a Wallet, an address or a script, not {type(dest).__name__}")

    # -- transactions ---------------------------------------------------------------------------
    def _spendable(self, c: Coin, next_height: int) -> bool:
        return not c.coinbase or (c.height is not None and next_height - c.height >= COINBASE_MATURITY)

    def _select(self, src: Wallet, need: int, select: str, coins) -> list[Coin]:
        nh = self.height + 1
        if coins is not None:
            chosen = []
            for c in coins:
                op = c.outpoint if isinstance(c, Coin) else (bytes.fromhex(c[0])[::-1], c[1]) if isinstance(c[0], str) else tuple(c)
                coin = src.coins.get(op)
                if coin is None:
                    raise InsufficientFunds(f"coin {op[0][::-1].hex()}:{op[1]} is not an unspent coin of {src.name}")
                if not self._spendable(coin, nh):
                    raise InsufficientFunds(f"coinbase coin {coin.txid_hex}:{coin.vout} is immature")
                chosen.append(coin)
            if sum(c.value for c in chosen) < need:
                raise InsufficientFunds(f"given coins hold less than {need} sats")
            return chosen
        pool = src.coins.values()
        if select == "oldest":
            order = pool
        elif select == "newest":
            order = reversed(list(pool))
        elif select == "largest":
            order = sorted(pool, key=lambda c: -c.value)
        elif select == "smallest":
            order = sorted(pool, key=lambda c: c.value)
        else:
            raise ValueError("select must be oldest, newest, largest or smallest")
        chosen, total = [], 0
        for c in order:
            if self._spendable(c, nh):
                chosen.append(c)
                total += c.value
                if total >= need:
                    return chosen
        raise InsufficientFunds(f"wallet {src.name} has {total} spendable sats, needs {need}")

    def send(self, src: Wallet, outputs: list[tuple], fee: int = 1000, change=None,
             select: str = "oldest", coins=None) -> str:
        """Pay `outputs` [(Wallet | address | raw script bytes, sats), ...] from `src` into the
        mempool (mined by the next `mine`). Change (if any) goes to `change` or back to `src`.
        Coins: `coins` exactly if given, else `select` order over confirmed + mempool coins."""
        outs = [TxOut(int(v), self._script_of(d)) for d, v in outputs]
        if any(o.value < 0 for o in outs) or fee < 0:
            raise ValueError("values and fee must be >= 0")
        need = sum(o.value for o in outs) + fee
        chosen = self._select(src, need, select, coins)
        rest = sum(c.value for c in chosen) - need
        if rest > 0:
            outs.append(TxOut(rest, self._script_of(src if change is None else change)))
        return self._submit(src, chosen, outs, fee)

    def sweep(self, src: Wallet, dest, fee: int = 1000, coins=None) -> str:
        """Spend `coins` (default: every spendable coin of `src`) to one output at `dest`."""
        nh = self.height + 1
        chosen = [c for c in src.coins.values() if self._spendable(c, nh)] if coins is None \
            else self._select(src, 0, "oldest", coins)
        total = sum(c.value for c in chosen)
        if not chosen or total <= fee:
            raise InsufficientFunds(f"wallet {src.name} has {total} spendable sats, fee is {fee}")
        return self._submit(src, chosen, [TxOut(total - fee, self._script_of(dest))], fee)

    def send_op_return(self, src: Wallet, data: bytes, fee: int = 1000, value: int = 0) -> str:
        """OP_RETURN <data> output carrying `value` sats (burned: unspendable, not in the UTXO set)."""
        return self.send(src, [(S.op_return(data), value)], fee=fee)

    def _submit(self, src: Wallet, chosen: list[Coin], outs: list[TxOut], fee: int) -> str:
        tx = Tx([TxIn(c.txid, c.vout) for c in chosen], outs)
        src.sign(tx, chosen)
        for c in chosen:
            del src.coins[c.outpoint]
        txid = tx.txid_bytes()
        created = []
        for n, o in enumerate(outs):
            w = self._owner.get(o.script)
            if w is not None:
                coin = Coin(txid, n, o.value, o.script, None, False)
                w.coins[coin.outpoint] = coin
                created.append(coin)
        sigops = 4 * sum(_legacy_sigops(o.script) for o in outs) + 4 * len(chosen)
        self.mempool.append(_Pending(tx, txid, fee, tx.weight(), sigops, created))
        return txid[::-1].hex()

    # -- mining ---------------------------------------------------------------------------------
    def _on_block_checked(self, user_data, block, state) -> None:
        self._last_state[:] = [state.validation_mode, state.block_validation_result]

    def mine(self, n: int = 1, to=None, time: int | None = None, time_step: int = 600) -> list[str]:
        """Mine `n` blocks (mempool txs first come first, within weight limits) paying the
        coinbase to `to` (default the builder's `miner` wallet). Block i's time is
        time + i*time_step, or previous + time_step (the first block: start_time); it is
        raised to median-time-past + 1 when needed. Returns the display-order hashes."""
        pay_to = self._script_of(self.miner if to is None else to)
        hashes = []
        now = self._now if self._now is not None else int(_time.time())
        for i in range(n):
            if time is not None:
                t = int(time) + i * time_step
            else:
                t = self.start_time if self.height == 0 else self._times[-1] + time_step
            t = max(t, self.median_time_past() + 1)
            if t > now + MAX_FUTURE_DRIFT:
                raise ValueError(f"block time {t} is more than 2 hours after now ({now}); use an earlier start_time")
            hashes.append(self._mine_one(pay_to, t))
        return hashes

    def _mine_one(self, pay_to: bytes, t: int) -> str:
        height = self.height + 1
        take, weight, sigops = 0, 0, 0
        for p in self.mempool:
            if weight + p.weight > MAX_BLOCK_WEIGHT or sigops + p.sigops > MAX_BLOCK_SIGOPS_COST:
                break
            weight += p.weight
            sigops += p.sigops
            take += 1
        included, self.mempool = self.mempool[:take], self.mempool[take:]
        fees = sum(p.fee for p in included)
        raw, digest, cb = assemble(self._hashes[-1], height, t, [p.tx for p in included], fees, pay_to)
        self._last_state[:] = []
        try:
            self.cm.process_block(_kernel_block(raw))
        except pbk.ProcessBlockException as e:
            raise BlockRejected(f"block {height} rejected by libbitcoinkernel: {e} {self._last_state}") from None
        chain = self.cm.get_active_chain()
        if chain.height != height or bytes(chain.block_tree_entries[height].block_hash) != digest:
            raise BlockRejected(f"block {height} ({digest[::-1].hex()}) not connected: {self._last_state}")
        self._hashes.append(digest)
        self._times.append(t)
        self.total_fees += fees
        for p in included:
            for c in p.created:
                c.height = height
        w = self._owner.get(pay_to)
        if w is not None:
            cbid = cb.txid_bytes()
            coin = Coin(cbid, 0, cb.vout[0].value, pay_to, height, True)
            w.coins[coin.outpoint] = coin
        return digest[::-1].hex()

    # -- lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:
        """Flush and release the datadir (the kernel holds an exclusive lock while open)."""
        if getattr(self, "cm", None) is not None:
            self.cm = None
            gc.collect()

    def __enter__(self) -> "ChainBuilder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


__all__ = ["ChainBuilder", "BlockRejected", "InsufficientFunds", "COINBASE_MATURITY", "subsidy"]
