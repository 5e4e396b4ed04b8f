"""Band computation on plain inputs (no engine): expected values are hand-computed or
derived by brute force, never copied from the code's output."""

from __future__ import annotations

import math

import numpy as np
import pytest

from costbasis.bands.assemble import BANDS_SCHEMA, assemble_levels
from costbasis.bands.classify import SupplyIndex, distance_pct, kind_of
from costbasis.bands.cohort_levels import cohort_levels
from costbasis.bands.level import point
from costbasis.bands.merge import merge_levels
from costbasis.bands.quantile_levels import quantile_levels, weighted_quantile
from costbasis.bands.sth_sigma import rolling_sigma_bands, sth_sigma_levels
from costbasis.bands.urpd_clusters import (ClusterParams, cluster_levels, find_air_gaps, find_clusters,
                                           gaussian_smooth, half_prominence_range, local_maxima, log_histogram,
                                           prominences)


def test_cohort_levels_take_realized_prices_and_skip_empty_cohorts():
    rows = [
        {"cohort": "<1d", "realized_price_usd": 90100.0, "supply_btc": 10.0},
        {"cohort": "1d-1w", "realized_price_usd": 89812.0, "supply_btc": 300.0},
        {"cohort": "1w-1m", "realized_price_usd": 90004.0, "supply_btc": 500.0},
        {"cohort": "1m-3m", "realized_price_usd": 92500.0, "supply_btc": 900.0},
        {"cohort": "3m-6m", "realized_price_usd": None, "supply_btc": 0.0},
        {"cohort": "sth", "realized_price_usd": 99300.0, "supply_btc": 2000.0},
        {"cohort": "all", "realized_price_usd": 50000.0, "supply_btc": 9000.0},
    ]
    got = {lv.name: lv.low_usd for lv in cohort_levels(rows)}
    assert got == {"1d-1w": 89812.0, "1w-1m": 90004.0, "1m-3m": 92500.0, "sth": 99300.0}


def test_sth_sigma_levels_hand_computed():
    mvrv = [1.0, 1.2, 0.8, 1.0, None, float("nan")]
    # mean 1.0; sample sd = sqrt((0 + .04 + .04 + 0) / 3)
    sd = math.sqrt(0.08 / 3)
    levels = {lv.name: lv.low_usd for lv in sth_sigma_levels(100.0, mvrv, 365)}
    assert levels["sth mean"] == pytest.approx(100.0)
    assert levels["sth +1σ"] == pytest.approx(100 * (1 + sd))
    assert levels["sth -2σ"] == pytest.approx(100 * (1 - 2 * sd))
    assert all(lv.source == "sth_sigma" for lv in sth_sigma_levels(100.0, mvrv, 365))
    assert sth_sigma_levels(100.0, [1.1], 365) == []  # one value: no sd


def test_rolling_sigma_bands_use_trailing_window():
    rp = [100.0, 100.0, 200.0, 200.0]
    mvrv = [1.0, 2.0, 3.0, 5.0]
    b = rolling_sigma_bands(rp, mvrv, window_days=2, ks=(0, 1))
    assert math.isnan(b[0][0])
    # day 3: window [3, 5] -> mean 4, sd sqrt(2)
    assert b[0][3] == pytest.approx(200 * 4)
    assert b[1][3] == pytest.approx(200 * (4 + math.sqrt(2)))
    assert b[0][1] == pytest.approx(100 * 1.5)


def test_weighted_quantile_matches_expanded_sample():
    rng = np.random.default_rng(7)
    prices = rng.uniform(1000, 100000, 200).round(0)
    weights = rng.integers(1, 6, 200)
    expanded = np.sort(np.repeat(prices, weights))
    for q in (5, 50, 75, 85, 95):
        k = math.ceil(q / 100 * expanded.size) - 1
        assert weighted_quantile(prices, weights, q) == expanded[k]


def test_quantile_levels_read_engine_columns():
    row = {"cohort": "sth", "p75_usd": 95000.0, "p85_usd": 101000.0, "p95_usd": None}
    got = {lv.name: lv.low_usd for lv in quantile_levels(row, (75, 85, 95))}
    assert got == {"sth p75": 95000.0, "sth p85": 101000.0}


def test_local_maxima_and_prominences_hand_example():
    y = np.array([0, 1, 0, 2, 0, 3, 1, 2, 0], dtype=float)
    peaks = local_maxima(y)
    assert peaks.tolist() == [1, 3, 5, 7]
    prom, lb, rb = prominences(y, peaks)
    assert prom.tolist() == [1, 2, 3, 1]
    # a plateau counts once, at its middle
    assert local_maxima(np.array([0, 1, 2, 2, 2, 1, 0], dtype=float)).tolist() == [3]


def test_half_prominence_range_of_gaussian_is_fwhm():
    x = np.arange(401, dtype=float)
    sigma = 20.0
    y = np.exp(-0.5 * ((x - 200) / sigma) ** 2)
    p = local_maxima(y)
    prom, lb, rb = prominences(y, p)
    left, right = half_prominence_range(y, int(p[0]), float(prom[0]), int(lb[0]), int(rb[0]))
    assert right - left == pytest.approx(2 * math.sqrt(2 * math.log(2)) * sigma, rel=1e-3)


def test_gaussian_smooth_keeps_mass():
    y = np.zeros(100)
    y[50] = 7.0
    assert gaussian_smooth(y, 3.0).sum() == pytest.approx(7.0)


def _lognormal_cluster(rng, center, sd_log, btc, n=4000):
    return np.exp(rng.normal(math.log(center), sd_log, n)), np.full(n, btc / n)


def test_clusters_found_at_known_peaks():
    rng = np.random.default_rng(1)
    parts = [_lognormal_cluster(rng, c, 0.03, b) for c, b in ((30000, 500), (60000, 800), (90000, 1200))]
    # a thin uniform background in log price, 20k..150k
    bg = np.exp(rng.uniform(math.log(20000), math.log(150000), 3000))
    prices = np.concatenate([p for p, _ in parts] + [bg])
    supply = np.concatenate([s for _, s in parts] + [np.full(bg.size, 30 / bg.size)])
    params = ClusterParams(span=4.0)
    hist = log_histogram(prices, supply, params)
    found = find_clusters(hist, 60000, params)
    assert len(found) == 3
    smooth_log = math.log1p(params.smooth_pct / 100)
    half = math.sqrt(2 * math.log(2)) * math.sqrt(0.03 ** 2 + smooth_log ** 2)
    for (low, peak, high), c in zip(found, (30000, 60000, 90000)):
        assert peak == pytest.approx(c, rel=0.015)
        assert low < c < high
        # range at half maximum of (cluster ⊗ smoothing kernel), both Gaussian in log price
        assert math.log(high / low) == pytest.approx(2 * half, rel=0.15)


def test_small_bumps_are_not_clusters():
    rng = np.random.default_rng(2)
    big_p, big_s = _lognormal_cluster(rng, 50000, 0.04, 1000)
    tiny_p, tiny_s = _lognormal_cluster(rng, 80000, 0.04, 20)   # 2% of the big one: below 10% prominence
    hist = log_histogram(np.concatenate([big_p, tiny_p]), np.concatenate([big_s, tiny_s]))
    found = find_clusters(hist, 60000)
    assert [round(p, -3) for _, p, _ in found] == [50000]


def test_air_gap_between_two_dense_ranges():
    # uniform supply on 80k..85k and 95k..100k, nothing between: the gap is about 85k..95k
    prices = np.concatenate([np.linspace(80000, 85000, 2000), np.linspace(95000, 100000, 2000)])
    supply = np.full(prices.size, 0.5)
    params = ClusterParams(span=1.5)
    gaps = find_air_gaps(log_histogram(prices, supply, params), 90000, params)
    assert len(gaps) == 1
    low, high = gaps[0]
    assert 85000 < low < 88000 and 92000 < high < 95000
    levels = cluster_levels(prices, supply, 90000, params)
    assert [lv.source for lv in levels].count("air_gap") == 1
    # nothing is a gap above the highest creation price
    assert all(lv.high_usd <= 100000 for lv in levels if lv.source == "air_gap")


def test_merge_nearly_coincident_levels_and_state_it():
    levels = [point("1d-1w", 89812, "cohort", "1d-1w holders' cost basis"),
              point("1w-1m", 90004, "cohort", "1w-1m holders' cost basis"),
              point("1m-3m", 92500, "cohort", "1m-3m holders' cost basis"),
              point("sth p85", 92700, "quantile", "85% of STH supply was bought below this price")]
    merged = merge_levels(levels, merge_pct=0.5)
    assert [(m.low_usd, m.high_usd) for m in merged] == [(89812, 90004), (92500, 92700)]
    assert merged[0].name == "1d-1w + 1w-1m" and merged[0].source == "cohort"
    assert merged[1].source == "cohort+quantile"
    t = assemble_levels(levels, 91000.0, merge_pct=0.5)
    notes = t.column("note").to_pylist()
    assert any("merged, within 0.5%" in n and "1d-1w $89.8k" in n and "1w-1m $90.0k" in n for n in notes)
    # a tighter tolerance keeps them apart
    assert len(merge_levels(levels, merge_pct=0.1)) == 4


def test_kind_flips_when_price_crosses_a_level():
    levels = [point("1m-3m", 92500, "cohort", "1m-3m holders' cost basis")]
    below = assemble_levels(levels, 90000.0).to_pylist()[0]
    above = assemble_levels(levels, 95000.0).to_pylist()[0]
    at = assemble_levels(levels, 92500.0).to_pylist()[0]
    assert below["kind"] == "resistance" and below["distance_pct"] == pytest.approx((92500 - 90000) / 90000 * 100)
    assert above["kind"] == "support" and above["distance_pct"] == pytest.approx((92500 - 95000) / 95000 * 100)
    assert at["kind"] == "at_price" and at["distance_pct"] == 0
    assert "underwater" in below["note"] and "in profit" in above["note"]


def test_range_kind_and_distance():
    assert kind_of(100, 110, 105) == "at_price"
    assert distance_pct(100, 110, 120) == pytest.approx(-100 / 12)
    assert distance_pct(100, 110, 50) == pytest.approx(100.0)


def test_supply_index_matches_brute_force():
    rng = np.random.default_rng(3)
    p = rng.uniform(10, 1000, 5000)
    s = rng.uniform(0, 2, 5000)
    idx = SupplyIndex(p, s)
    for low, high in ((100, 200), (500, 500.5), (0, 2000), (990, 999)):
        brute = s[(p >= low) & (p <= high)].sum()
        if low == high:
            brute = s[(p >= low * 0.995) & (p <= high * 1.005)].sum()
        assert idx.between(low, high) == pytest.approx(brute)


def test_assembled_table_schema_and_order():
    levels = [point("sth", 99300, "cohort", "STH"), point("lth", 40000, "cohort", "LTH"),
              point("1m-3m", 92500, "cohort", "1m-3m")]
    t = assemble_levels(levels, 90000.0, SupplyIndex([40000, 99300, 99300], [1.0, 2.0, 3.0]))
    assert t.schema == BANDS_SCHEMA
    assert t.column("name").to_pylist() == ["sth", "1m-3m", "lth"]
    assert t.column("supply_btc").to_pylist() == [5.0, 0.0, 1.0]
