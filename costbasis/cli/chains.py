"""--help texts of the options every command shares for both chain families.

The dispatch itself (which family a chain is, EVM-only and Bitcoin-only options) lives in
costbasis/engine/family.py; commands call costbasis.engine.api and never branch on the family.
"""

from __future__ import annotations

# For --help texts of the commands that work on both families.
CHAIN_HELP = "Stored chain (default: the only bitcoin chain); an EVM chain such as ethereum runs the account-model engine."
TOKEN_HELP = "EVM only: an ERC-20 contract address (0x...); needs --asset with its imported price series."
METHOD_HELP = "EVM only: per-address weighted-average cost (avg, default) or FIFO lots (fifo)."
