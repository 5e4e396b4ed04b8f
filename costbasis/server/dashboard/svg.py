"""Server-rendered SVG charts: no script, no CDN, so the page works offline and in any browser.

Each drawn series carries data-series (its name) and data-points (how many values it drew), which
the browser test reads.
"""

from __future__ import annotations

import math
from datetime import date
from html import escape

W, H = 960, 340
PAD_L, PAD_R, PAD_T, PAD_B = 70, 150, 16, 30
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"]


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step) + 1)]


def fmt_num(v: float) -> str:
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:.1f}B"
    if a >= 1e6:
        return f"{v / 1e6:.1f}M"
    if a >= 1e3:
        return f"{v / 1e3:.0f}k" if a >= 1e4 else f"{v / 1e3:.1f}k"
    return f"{v:.4g}"


class Frame:
    """x: dates (or numbers), y: numbers, mapped into the plot area."""

    def __init__(self, x0, x1, y0: float, y1: float, x_is_date: bool = True):
        self.x_is_date = x_is_date
        self.x0, self.x1 = self._n(x0), self._n(x1)
        if self.x1 == self.x0:
            self.x0, self.x1 = self.x0 - 1, self.x1 + 1
        pad = (y1 - y0) * 0.05 or abs(y0) * 0.05 or 1.0
        self.y0, self.y1 = y0 - pad, y1 + pad

    def _n(self, x) -> float:
        return float(x.toordinal()) if isinstance(x, date) else float(x)

    def px(self, x) -> float:
        return PAD_L + (self._n(x) - self.x0) / (self.x1 - self.x0) * (W - PAD_L - PAD_R)

    def py(self, y: float) -> float:
        return PAD_T + (self.y1 - y) / (self.y1 - self.y0) * (H - PAD_T - PAD_B)

    def axes(self, y_label: str = "") -> str:
        out = [f'<rect x="{PAD_L}" y="{PAD_T}" width="{W - PAD_L - PAD_R}" height="{H - PAD_T - PAD_B}" '
               f'fill="#fff" stroke="#ccc"/>']
        for t in nice_ticks(self.y0, self.y1):
            y = self.py(t)
            out.append(f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
                       f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{fmt_num(t)}</text>')
        for t in nice_ticks(self.x0, self.x1, 6):
            x = self.px(t)
            label = date.fromordinal(int(t)).isoformat() if self.x_is_date else fmt_num(t)
            out.append(f'<text x="{x:.1f}" y="{H - PAD_B + 16}" text-anchor="middle" class="tick">{label}</text>')
        if y_label:
            out.append(f'<text x="14" y="{PAD_T + 10}" class="tick">{escape(y_label)}</text>')
        return "".join(out)


def svg(body: str, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>{body}</svg>')


def legend(items: list[tuple[str, str]]) -> str:
    out = []
    for i, (name, color) in enumerate(items):
        y = PAD_T + 14 + i * 16
        out.append(f'<rect x="{W - PAD_R + 10}" y="{y - 9}" width="12" height="10" fill="{color}"/>'
                   f'<text x="{W - PAD_R + 26}" y="{y}" class="legend">{escape(name)}</text>')
    return "".join(out)


def polyline(f: Frame, xs: list, ys: list, name: str, color: str, width: float = 1.5, dash: str = "") -> str:
    pts = [(f.px(x), f.py(y)) for x, y in zip(xs, ys) if y is not None and math.isfinite(y)]
    d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<polyline data-series="{escape(name)}" data-points="{len(pts)}" points="{d}" fill="none" '
            f'stroke="{color}" stroke-width="{width}"{dash_attr}/>')


def band(f: Frame, xs: list, lows: list, highs: list, name: str, color: str) -> str:
    pts = [(x, lo, hi) for x, lo, hi in zip(xs, lows, highs) if lo is not None and hi is not None]
    if not pts:
        return ""
    top = [f"{f.px(x):.1f},{f.py(hi):.1f}" for x, _, hi in pts]
    bottom = [f"{f.px(x):.1f},{f.py(lo):.1f}" for x, lo, _ in reversed(pts)]
    return (f'<polygon data-series="{escape(name)}" data-points="{len(pts)}" points="{" ".join(top + bottom)}" '
            f'fill="{color}" fill-opacity="0.15" stroke="none"/>')


def bars(f: Frame, xs: list, ys: list, name: str, color_of, width_px: float) -> str:
    out = [f'<g data-series="{escape(name)}" data-points="{sum(1 for y in ys if y is not None)}">']
    zero = f.py(0.0)
    for x, y in zip(xs, ys):
        if y is None:
            continue
        top = f.py(y)
        out.append(f'<rect x="{f.px(x) - width_px / 2:.1f}" y="{min(top, zero):.1f}" width="{width_px:.1f}" '
                   f'height="{abs(zero - top):.1f}" fill="{color_of(x, y)}"><title>{escape(str(x))}: '
                   f'{fmt_num(y)}</title></rect>')
    return "".join(out) + "</g>"


def hline(f: Frame, y: float, label: str, color: str, name: str, dash: str = "4 3") -> str:
    py = f.py(y)
    return (f'<g data-series="{escape(name)}" data-points="1"><line x1="{PAD_L}" x2="{W - PAD_R}" y1="{py:.1f}" '
            f'y2="{py:.1f}" stroke="{color}" stroke-dasharray="{dash}"/><text x="{W - PAD_R + 4}" y="{py + 4:.1f}" '
            f'class="level" fill="{color}">{escape(label)}</text></g>')


def message(text: str, title: str) -> str:
    return svg(f'<rect x="0" y="0" width="{W}" height="{H}" fill="#fafafa"/>'
               f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" class="empty">{escape(text)}</text>', title)
