"""Network parameters needed to derive rows: subsidy schedule and magic bytes."""

from __future__ import annotations

from dataclasses import dataclass

from costbasis.errors import CostbasisError

COIN = 100_000_000


@dataclass(frozen=True)
class NetworkParams:
    name: str
    halving_interval: int
    magic: bytes          # message start bytes that prefix every record in blk/rev files
    genesis_hash: str
    datadir_subdir: str   # Bitcoin Core puts non-main networks in a subdirectory of the datadir


NETWORKS = {
    "main": NetworkParams("main", 210_000, bytes.fromhex("f9beb4d9"),
                          "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f", ""),
    "testnet": NetworkParams("testnet", 210_000, bytes.fromhex("0b110907"),
                             "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943", "testnet3"),
    "testnet4": NetworkParams("testnet4", 210_000, bytes.fromhex("1c163f28"),
                              "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043", "testnet4"),
    "signet": NetworkParams("signet", 210_000, bytes.fromhex("0a03cf40"),
                            "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6", "signet"),
    "regtest": NetworkParams("regtest", 150, bytes.fromhex("fabfb5da"),
                             "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206", "regtest"),
}


def params(network: str) -> NetworkParams:
    try:
        return NETWORKS[network]
    except KeyError:
        raise CostbasisError(f"unknown network {network!r}; use one of {', '.join(NETWORKS)}") from None


def subsidy(height: int, halving_interval: int = 210_000) -> int:
    """Block subsidy in satoshis (GetBlockSubsidy): 50 BTC halved every interval, zero after 64 halvings."""
    halvings = height // halving_interval
    if halvings >= 64:
        return 0
    return (50 * COIN) >> halvings


def median_time_past(times: list[int]) -> int:
    """GetMedianTimePast over the last (up to) 11 block times, including the block itself."""
    last = sorted(times[-11:])
    return last[len(last) // 2]
