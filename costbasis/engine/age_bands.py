"""Cohort definitions (DESIGN.md "Definitions"): age bands in whole days, STH/LTH split.

A coin created at block time t is, as of day D, aged (D+1)*86400 - t seconds; it is in band
[lo, hi) when lo*86400 <= age < hi*86400. Because band edges are whole days this is the same as
lo <= D + 1 - ceil(t / 86400) < hi, which lets every query work on integer days.
"""

from __future__ import annotations

import math

import pyarrow as pa

from costbasis.errors import UsageError

EDGES = [1, 7, 30, 90, 180, 365, 730, 1095, 1825, 2555, 3650]
AGE_BANDS = ["<1d", "1d-1w", "1w-1m", "1m-3m", "3m-6m", "6m-12m", "1y-2y", "2y-3y", "3y-5y", "5y-7y", "7y-10y", ">10y"]
STH_DAYS = 155
COHORTS = AGE_BANDS + ["sth", "lth", "all"]

# Logistic holder split: w_LTH(a) = 1/(1+exp(-0.1*(a-155))), 0 below 100 d, 1 at/above 210 d.
LOGISTIC_LO, LOGISTIC_HI, LOGISTIC_K = 100, 210, 0.1


def cohort_intervals(holder_split: str = "hard") -> list[tuple[str, int, int, int | None]]:
    """(cohort, order, lo_days, hi_days or None). For the logistic split sth/lth hold only the ages
    where the weight is exactly 1 ([0, 100) and [210, inf)); sql/logistic_transition.sql adds the rest."""
    lows = [0] + EDGES
    highs = EDGES + [None]
    rows = [(n, i, lo, hi) for i, (n, lo, hi) in enumerate(zip(AGE_BANDS, lows, highs))]
    if holder_split == "logistic":
        rows += [("sth", 12, 0, LOGISTIC_LO), ("lth", 13, LOGISTIC_HI, None)]
    else:
        rows += [("sth", 12, 0, STH_DAYS), ("lth", 13, STH_DAYS, None)]
    rows += [("all", 14, 0, None)]
    return rows


def cohort_table(holder_split: str = "hard") -> pa.Table:
    rows = cohort_intervals(holder_split)
    return pa.table({
        "cohort": [r[0] for r in rows], "ord": pa.array([r[1] for r in rows], pa.int32()),
        "lo_days": pa.array([r[2] for r in rows], pa.int32()), "hi_days": pa.array([r[3] for r in rows], pa.int32()),
    })


def check_cohort(name: str) -> str:
    if name not in COHORTS:
        raise UsageError(f"unknown cohort {name!r}; use one of {' '.join(COHORTS)}")
    return name


def lth_weight(age_days: float) -> float:
    """Logistic LTH weight (reference formula; the SQL uses the same expression)."""
    if age_days < LOGISTIC_LO:
        return 0.0
    if age_days >= LOGISTIC_HI:
        return 1.0
    return 1.0 / (1.0 + math.exp(-LOGISTIC_K * (age_days - STH_DAYS)))
