"""The options (and their --help texts) every query command shares for both chain families.

The dispatch itself (which family a chain is, EVM-only and Bitcoin-only options) lives in
costbasis/engine/family.py; commands call costbasis.engine.api and never branch on the family.
"""

from __future__ import annotations

import typer

# For --help texts of the commands that work on both families.
CHAIN_HELP = "Stored chain (default: the only bitcoin chain); an EVM chain such as ethereum runs the account-model engine."
TOKEN_HELP = "EVM only: an ERC-20 contract address (0x...); needs --asset with its imported price series."
METHOD_HELP = "EVM only: per-address weighted-average cost (avg, default) or FIFO lots (fifo)."


# the options every query command shares, declared once (typer copies an Option per command)
ChainOpt = typer.Option(None, "--chain", help=CHAIN_HELP)
TokenOpt = typer.Option(None, "--token", help=TOKEN_HELP)
MethodOpt = typer.Option(None, "--method", help=METHOD_HELP)
EvmAssetOpt = typer.Option(None, "--asset", help="EVM only: price series (default ETH; required with --token).")
AssetOpt = typer.Option(None, "--asset", help="Price series to use (default BTC; ETH on an EVM chain).")
