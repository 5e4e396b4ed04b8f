"""Charts from plain inputs: files are written, are PNGs of the requested pixel size, and
carry drawing (not a blank canvas)."""

from __future__ import annotations

import math
import struct
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from costbasis.bands.assemble import assemble_levels
from costbasis.bands.classify import SupplyIndex
from costbasis.bands.level import point
from costbasis.bands.sth_sigma import rolling_sigma_bands
from costbasis.bands.urpd_clusters import cluster_levels
from costbasis.charts.bands_chart import plot_bands
from costbasis.charts.urpd_chart import log_buckets, plot_urpd
from costbasis.charts.whales_chart import plot_whales
from costbasis.errors import CostbasisError


def png_size(path: Path) -> tuple[int, int]:
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def distinct_colors(path: Path) -> int:
    from matplotlib.image import imread
    img = imread(str(path))
    return len(np.unique((img[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0))


def _series(n=200):
    rng = np.random.default_rng(0)
    days = [date(2025, 1, 1) + timedelta(days=i) for i in range(n)]
    price = 60000 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    w = min(30, n)
    sth = np.convolve(price, np.ones(w) / w, mode="same")
    return days, price, {"sth": sth, "lth": sth * 0.6, "1m-3m": sth * 1.02}


def test_bands_chart_written_with_requested_size(tmp_path):
    days, price, realized = _series()
    sigma = rolling_sigma_bands(realized["sth"], price / realized["sth"], 90)
    out = plot_bands(days, price, realized, sigma, tmp_path / "bands.png", size=(1000, 600))
    assert png_size(out) == (1000, 600)
    assert out.stat().st_size > 20_000
    assert distinct_colors(out) > 50


def test_urpd_chart_written_with_bands(tmp_path):
    rng = np.random.default_rng(1)
    p = np.concatenate([np.exp(rng.normal(math.log(c), 0.03, 3000)) for c in (60000, 90000, 105000)])
    s = np.full(p.size, 0.1)
    price = 95000.0
    t = assemble_levels(cluster_levels(p, s, price) + [point("sth", 99300, "cohort", "STH")], price, SupplyIndex(p, s))
    lo, hi, sup = log_buckets(p, s, price / 2.5, price * 2.5)
    assert sup.sum() == pytest.approx(s[(p >= price / 2.5) & (p <= price * 2.5)].sum())
    out = plot_urpd(lo, hi, sup, price, t, tmp_path / "urpd.png", size=(900, 700))
    assert png_size(out) == (900, 700)
    assert distinct_colors(out) > 20


def test_whales_chart_written(tmp_path):
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(31)]
    usd = [1e8 + 1e7 * (i % 5) for i in range(31)]
    usd[14], usd[19] = 5e8, 4e8
    z = [(u - 1.2e8) / 1e8 for u in usd]
    t = pa.table({"date": days, "whale_deposit_usd": usd, "whale_deposit_btc": [u / 9e4 for u in usd],
                  "zscore": z, "signal": [v > 2 for v in z]})
    out = plot_whales(t, tmp_path / "whales.png", size=(800, 500))
    assert png_size(out) == (800, 500)
    assert distinct_colors(out) > 20


def test_chart_input_errors_are_clear(tmp_path):
    days, price, realized = _series(1)
    with pytest.raises(CostbasisError, match="at least two days"):
        plot_bands(days, price, realized, {}, tmp_path / "x.png")
    with pytest.raises(CostbasisError, match=r"\.png"):
        days, price, realized = _series(10)
        plot_bands(days, price, realized, {}, tmp_path / "x.jpg")
    with pytest.raises(CostbasisError, match="no whale deposit days"):
        plot_whales(pa.table({"date": pa.array([], pa.date32()), "whale_deposit_usd": pa.array([], pa.float64()),
                              "zscore": pa.array([], pa.float64())}), tmp_path / "w.png")
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "w.png").exists()


def test_whales_chart_through_cli(tmp_path):
    """The flow-test story (tests/support/flows_scenario.py) written with the fake chain: whale deposits
    on known days; the chart is drawn from costbasis.flows.whales.whale_signals."""
    import sys
    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import run_cli
    from support.flows_factory import FakeChain
    from support.flows_scenario import T0, play, prices_table

    from costbasis.store import Store

    cb = FakeChain(T0)
    story = play(cb)
    cache = tmp_path / "cache"
    cb.commit(Store(cache))
    Store(cache).write_dataset("prices", "BTC", prices_table())
    (tmp_path / "labels.csv").write_text(story.labels_csv)
    out = tmp_path / "whales.png"
    p = run_cli("chart", "whales", "--out", str(out), cache=cache)
    assert p.returncode != 0 and "labels" in p.stderr and "Traceback" not in p.stderr  # no labels yet
    run_cli("labels", "import", str(tmp_path / "labels.csv"), cache=cache, check=True)
    run_cli("chart", "whales", "--out", str(out), "--width", "1000", "--height", "600", "--window", "5",
            cache=cache, check=True)
    assert png_size(out) == (1000, 600) and distinct_colors(out) > 20
