"""Which engine a chain runs on: the Bitcoin (UTXO) engine or the EVM (account-model) one.

The one place the chain-family dispatch lives (the CLI, the charts, the HTTP API and library users
go through costbasis.engine.api, which asks here once per call).

The family comes from the chain's store manifest: `costbasis ingest evm` records meta
family=evm, `costbasis ingest bitcoin` family=bitcoin; a chain without a recorded family is
Bitcoin. Without a chain the Bitcoin chain is used (only a store holding nothing but one EVM chain
defaults to it).

Column naming on EVM chains: amounts carry no unit suffix, e.g. `supply`, `inflow`, `amount`,
because the unit is the chain's native coin (ETH) or, with a token, the token's whole units; USD
columns keep `_usd`. Bitcoin results keep their `*_btc` columns.
"""

from __future__ import annotations

from costbasis.engine.db import resolve_chain
from costbasis.errors import UsageError
from costbasis.store.names import validate_chain_name

BITCOIN, EVM = "bitcoin", "evm"


def evm_chains(store) -> list[str]:
    return [c for c in store.chains() if store.chain(c).meta.get("family") == EVM]


def chain_family(store, chain: str | None) -> str:
    """BITCOIN or EVM for `chain`; None is the default chain (see default_chain).

    An unknown chain name raises the same one-line error the engines give; a name that is no chain
    name at all ("", "../x", "prices") is a usage error (exit 2)."""
    if chain is not None:
        validate_chain_name(chain)  # "" is a bad name, not "no --chain"
    if chain is None:
        return EVM if default_chain(store) is not None else BITCOIN
    if chain in store.chains():
        return EVM if store.chain(chain).meta.get("family") == EVM else BITCOIN
    resolve_chain(store, chain, BITCOIN)  # raises "no data for chain ..." unless chain is "bitcoin"
    return BITCOIN


def default_chain(store) -> str | None:
    """Without a chain the commands use the Bitcoin chain; only a store holding no Bitcoin chain
    and exactly one EVM chain defaults to that EVM chain (returned here)."""
    chains = store.chains()
    evm = evm_chains(store)
    return evm[0] if len(evm) == 1 and len(chains) == 1 else None


def pick_engine(store, chain: str | None, **evm_options) -> tuple[str, str | None]:
    """(family, chain to pass on) plus a one-line error for EVM-only options on a Bitcoin chain.

    evm_options: option name -> value given (None or False = not given), e.g. {"--token": token}."""
    family = chain_family(store, chain)
    if family == EVM:
        return EVM, chain or default_chain(store)
    for opt, value in evm_options.items():
        if value is not None and value is not False:
            where = f"chain {chain}" if chain else "the default chain"
            raise UsageError(f"{opt} works only on EVM chains; {where} is Bitcoin (UTXO cost basis is exact "
                                 f"per coin); pass --chain ethereum or another ingested EVM chain")
    return BITCOIN, chain


def bitcoin_only(family: str, **options) -> None:
    """One-line error for Bitcoin-only options used on an EVM chain."""
    if family != EVM:
        return
    for opt, value in options.items():
        if value is not None and value is not False:
            raise UsageError(f"{opt} works only on Bitcoin chains")
