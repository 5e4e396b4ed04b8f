"""URPD clusters and air gaps from live supply by creation price.

Method (deliberately simple, numpy only):
1. Histogram the live supply on log-spaced price bins (`bin_pct` wide, default 0.5%),
   padded with empty bins so that smoothing and peak search see a floor at both ends.
2. Smooth it with a Gaussian kernel of `smooth_pct` (in log-price, default 2.5%), so that
   a cluster is a band of prices rather than one day's spike.
3. Peaks are local maxima of the smoothed curve (a plateau counts once, at its middle).
   A peak's prominence is how far it rises above the higher of the two lowest points
   between it and the nearest higher ground on either side (the definition of
   scipy.signal.peak_prominences). Peaks whose prominence is at least `min_prominence`
   × the highest smoothed bin inside the focus range are clusters.
4. A cluster's range is where the curve stays above peak − prominence/2 (scipy's
   peak_widths with rel_height=0.5): the full width at half maximum measured from the
   peak's own base, interpolated between bins. For a lone peak on an empty floor this
   is the plain FWHM.
5. Air gaps are runs of bins whose lightly smoothed (`gap_smooth_pct`) supply is below `gap_frac` × the mean
   of that curve per bin in the focus range, at least `min_gap_pct` wide and bounded
   by denser prices on both sides (no gap is reported above the highest or below the
   lowest creation price).
The focus range is [price / span, price × span]: clusters whose peak lies there and gaps
that overlap it are reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from costbasis.bands.level import Level, usd_short


@dataclass(frozen=True)
class ClusterParams:
    bin_pct: float = 0.5          # bin width, % of price
    smooth_pct: float = 2.5       # Gaussian sigma, % of price
    min_prominence: float = 0.10  # fraction of the highest smoothed bin in the focus range
    span: float = 2.5             # focus range factor around the price
    gap_frac: float = 0.10        # air gap: density below this fraction of the mean in the focus range
    min_gap_pct: float = 3.0      # air gap minimum width, % of price
    gap_smooth_pct: float = 0.75  # lighter smoothing for gaps, so dense edges do not bleed into them


@dataclass(frozen=True)
class LogHistogram:
    log_lo: float        # natural log of the lower edge of bin 0
    dw: float            # bin width in natural-log units
    supply: np.ndarray   # raw supply per bin
    smooth: np.ndarray   # smoothed supply per bin (clusters)
    fine: np.ndarray     # lightly smoothed supply per bin (air gaps)

    def price_at(self, x: float | np.ndarray) -> float | np.ndarray:
        """Price at fractional bin position x (bin i's centre is x = i)."""
        return np.exp(self.log_lo + (np.asarray(x, dtype=float) + 0.5) * self.dw)

    def position_of(self, price: float) -> float:
        return (math.log(price) - self.log_lo) / self.dw - 0.5


def gaussian_smooth(y: np.ndarray, sigma_bins: float) -> np.ndarray:
    """Convolve with a normalised Gaussian truncated at 4 sigma (zero outside the array)."""
    if sigma_bins <= 0:
        return y.astype(float)
    r = max(1, int(math.ceil(4 * sigma_bins)))
    t = np.arange(-r, r + 1, dtype=float)
    k = np.exp(-0.5 * (t / sigma_bins) ** 2)
    k /= k.sum()
    return np.convolve(y, k, mode="same") if y.size >= k.size else np.convolve(y, k, mode="full")[r:r + y.size]


def log_histogram(prices: Sequence[float], supply: Sequence[float], params: ClusterParams = ClusterParams()) -> LogHistogram | None:
    """Smoothed log-spaced histogram of supply; None when no coin has a positive price."""
    p = np.asarray(prices, dtype=float)
    w = np.asarray(supply, dtype=float)
    keep = np.isfinite(p) & (p > 0) & np.isfinite(w) & (w > 0)
    p, w = p[keep], w[keep]
    if p.size == 0:
        return None
    dw = math.log1p(params.bin_pct / 100)
    sigma_bins = math.log1p(params.smooth_pct / 100) / dw
    pad = int(math.ceil(4 * sigma_bins)) + 2
    lp = np.log(p)
    lo = lp.min() - pad * dw
    n = int(math.floor((lp.max() - lo) / dw)) + 1 + pad
    idx = np.minimum(((lp - lo) / dw).astype(np.int64), n - 1)
    raw = np.bincount(idx, weights=w, minlength=n).astype(float)
    fine_bins = math.log1p(params.gap_smooth_pct / 100) / dw
    return LogHistogram(lo, dw, raw, gaussian_smooth(raw, sigma_bins), gaussian_smooth(raw, fine_bins))


def local_maxima(y: np.ndarray) -> np.ndarray:
    """Indices of strict local maxima; a flat top counts once at its middle; ends excluded."""
    peaks = []
    i, n = 1, y.size
    while i < n - 1:
        if y[i - 1] < y[i]:
            j = i
            while j + 1 < n - 1 and y[j + 1] == y[i]:
                j += 1
            if y[j + 1] < y[i]:
                peaks.append((i + j) // 2)
            i = j + 1
        else:
            i += 1
    return np.asarray(peaks, dtype=np.int64)


def prominences(y: np.ndarray, peaks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(prominence, left_base, right_base) per peak, as scipy.signal.peak_prominences."""
    prom = np.empty(peaks.size)
    lb = np.empty(peaks.size, dtype=np.int64)
    rb = np.empty(peaks.size, dtype=np.int64)
    for n, p in enumerate(peaks):
        higher_left = np.nonzero(y[:p] > y[p])[0]
        start = higher_left[-1] + 1 if higher_left.size else 0
        higher_right = np.nonzero(y[p + 1:] > y[p])[0]
        stop = p + 1 + higher_right[0] if higher_right.size else y.size
        # the lowest point on each side; among equal minima take the one nearest the peak
        left = y[start:p + 1]
        lb[n] = start + (left.size - 1 - int(np.argmin(left[::-1])))
        right = y[p:stop]
        rb[n] = p + int(np.argmin(right))
        prom[n] = y[p] - max(y[lb[n]], y[rb[n]])
    return prom, lb, rb


def half_prominence_range(y: np.ndarray, peak: int, prom: float, lb: int, rb: int) -> tuple[float, float]:
    """Fractional bin positions where y crosses peak − prom/2 on each side (scipy peak_widths)."""
    h = y[peak] - prom / 2
    i = peak
    while i > lb and h < y[i]:
        i -= 1
    left = float(i)
    if y[i] < h:
        left += (h - y[i]) / (y[i + 1] - y[i])
    i = peak
    while i < rb and h < y[i]:
        i += 1
    right = float(i)
    if y[i] < h:
        right -= (h - y[i]) / (y[i - 1] - y[i])
    return left, right


def _focus(hist: LogHistogram, price: float, span: float) -> tuple[int, int]:
    """[first, last] bin indices inside [price/span, price*span], clipped to the histogram."""
    n = hist.supply.size
    a = int(math.floor(hist.position_of(price / span) + 0.5))
    b = int(math.floor(hist.position_of(price * span) + 0.5))
    return max(0, a), min(n - 1, b)


def find_clusters(hist: LogHistogram, price: float, params: ClusterParams = ClusterParams()) -> list[tuple[float, float, float]]:
    """(low_usd, peak_usd, high_usd) of each cluster whose peak lies in the focus range, by price."""
    y = hist.smooth
    a, b = _focus(hist, price, params.span)
    if a > b:
        return []
    top = float(y[a:b + 1].max())
    if top <= 0:
        return []
    peaks = local_maxima(y)
    peaks = peaks[(peaks >= a) & (peaks <= b)]
    if peaks.size == 0:
        return []
    prom, lb, rb = prominences(y, peaks)
    out = []
    for p, pr, l, r in zip(peaks, prom, lb, rb):
        if pr <= 0 or pr < params.min_prominence * top:
            continue
        left, right = half_prominence_range(y, int(p), float(pr), int(l), int(r))
        out.append((float(hist.price_at(left)), float(hist.price_at(p)), float(hist.price_at(right))))
    return out


def find_air_gaps(hist: LogHistogram, price: float, params: ClusterParams = ClusterParams()) -> list[tuple[float, float]]:
    """(low_usd, high_usd) of low-density runs overlapping the focus range, by price."""
    y = hist.fine
    a, b = _focus(hist, price, params.span)
    if a > b:
        return []
    thresh = params.gap_frac * float(y[a:b + 1].mean())
    if thresh <= 0:
        return []
    sparse = y < thresh
    min_bins = math.log1p(params.min_gap_pct / 100) / hist.dw
    out = []
    i, n = 0, y.size
    while i < n:
        if not sparse[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and sparse[j + 1]:
            j += 1
        bounded = i > 0 and j < n - 1
        if bounded and (j - i + 1) >= min_bins and j >= a and i <= b:
            # run edges: the bin boundaries between the dense neighbours and the run
            out.append((float(hist.price_at(i - 0.5)), float(hist.price_at(j + 0.5))))
        i = j + 1
    return out


def cluster_levels(prices: Sequence[float], supply: Sequence[float], price: float,
                   params: ClusterParams = ClusterParams()) -> list[Level]:
    """URPD cluster and air-gap levels around `price` from a (creation price, supply) distribution."""
    hist = log_histogram(prices, supply, params)
    if hist is None or not (price and price > 0):
        return []
    levels = []
    for low, peak, high in find_clusters(hist, price, params):
        levels.append(Level(f"urpd cluster {usd_short(peak)}", low, high, "urpd_cluster",
                            f"URPD cluster (peak {usd_short(peak)})"))
    for low, high in find_air_gaps(hist, price, params):
        levels.append(Level(f"air gap {usd_short(low)}-{usd_short(high)}", low, high, "air_gap",
                            "air gap in the URPD"))
    return levels
