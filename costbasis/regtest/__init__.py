"""Consensus-valid regtest chain generator (every block accepted by libbitcoinkernel).

    from costbasis.regtest import ChainBuilder

    cb = ChainBuilder(datadir, start_time=1_735_689_600, seed="demo")  # writes <datadir>/regtest
    alice = cb.wallet("alice", "p2wpkh")        # p2pkh p2wpkh p2sh(-p2wpkh) p2wsh p2tr p2pk multisig
    cb.mine(101)                                # coinbases to cb.miner; 100-block maturity
    txid = cb.send(cb.miner, [(alice, 5_000_000), ("bcrt1q...", 1000)], fee=500)
    k = alice.key.pub                            # 33-byte compressed pubkey of alice's current script
    cb.send(alice, [(p2pk(k), 1000), (multisig(1, [k, k]), 1000), (b"\\x51", 1000)], fee=400)  # raw scripts
    cb.send_op_return(alice, b"hello", fee=300, value=0)   # value > 0 burns sats
    cb.sweep(alice, cb.miner, fee=300)          # all of alice's spendable coins to one output
    cb.mine(1, to=alice, time=1_735_700_000)    # -> [block hash]; mempool txs go in first-come order
    cb.height, cb.tip_hash, cb.block_hashes, cb.block_time(h), cb.balance(alice)  # confirmed sats
    alice.address, alice.addresses, alice.script, alice.coins  # {(txid_le, vout): Coin(value, height, ...)}
    cb.close()                                  # flush; release the datadir lock

Destinations are a Wallet (its current receive script; `w.new_address()` rotates it), a regtest
address string, or raw scriptPubKey bytes (P2PK, bare multisig, nonstandard: see `scripts`).
Coin selection (`select=`): "oldest" (default, creation order), "newest", "largest",
"smallest", or exact `coins=[Coin | (txid_hex, vout)]`; confirmed and mempool coins are both
eligible (mempool parents are always mined no later than their children); immature coinbase
coins never are. Change goes back to the sender (or `change=`); no change output when zero.

Determinism: keys are sha256(seed, wallet name, index); ECDSA uses RFC6979, Schnorr zero aux
randomness; block times come from `start_time`/`time`/`time_step` only (raised to
median-time-past + 1 when needed), so identical calls give byte-identical blocks.
Regtest rules honoured: BIP34 height in the coinbase, witness commitment when a block has
segwit spends, subsidy 50 BTC halving every 150 blocks, coinbase maturity 100, times
<= now + 2 h (pass `now=` to pin the clock), block weight/sigops limits (excess stays queued).
`mine` raises BlockRejected if the kernel does not connect a block; `send` raises
InsufficientFunds. Build-to-test helper: `sample.build_sample_chain(datadir, blocks=330)`
(every output type, coin ages 0..300 blocks, OP_RETURN burns, two halvings).
"""

from . import scripts
from .builder import COINBASE_MATURITY, BlockRejected, ChainBuilder, InsufficientFunds
from .keys import Key, derive_key
from .miner import subsidy
from .scripts import multisig, op_return, p2pk
from .wallet import SCRIPT_TYPES, Coin, Wallet

__all__ = ["ChainBuilder", "Wallet", "Coin", "Key", "derive_key", "BlockRejected", "InsufficientFunds",
           "COINBASE_MATURITY", "SCRIPT_TYPES", "subsidy", "scripts", "p2pk", "multisig", "op_return"]
