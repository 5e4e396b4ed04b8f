"""Coin-age bands of DESIGN.md as a small table the SQL joins against (edges in days)."""

from __future__ import annotations

import pyarrow as pa

from costbasis.engine.age_bands import AGE_BANDS, EDGES

EDGES_DAYS = [0] + list(EDGES)
NAMES = list(AGE_BANDS)
BIG = 2**62


def age_bands_table() -> pa.Table:
    lo = [e * 86400 for e in EDGES_DAYS]
    lo[0] = -BIG  # a coin spent in the block that created it has age <= 0: youngest band
    hi = [e * 86400 for e in EDGES_DAYS[1:]] + [BIG]
    return pa.table({"band": NAMES, "ord": list(range(len(NAMES))), "lo_s": lo, "hi_s": hi})


def band_of(age_seconds: float) -> str:
    """Reference (used by tests): band name of an age in seconds."""
    for name, lo, hi in zip(NAMES, age_bands_table()["lo_s"].to_pylist(), age_bands_table()["hi_s"].to_pylist()):
        if lo <= age_seconds < hi:
            return name
    raise ValueError(age_seconds)
