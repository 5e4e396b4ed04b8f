"""Figure creation and atomic PNG writing shared by the charts."""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from costbasis.errors import CostbasisError, UsageError
from costbasis.store.atomic import atomic_write_bytes

DPI = 100
DEFAULT_SIZE = (1400, 800)   # pixels
MAX_PX = 10_000


def new_figure(width_px: int = DEFAULT_SIZE[0], height_px: int = DEFAULT_SIZE[1], layout: str | None = "constrained") -> Figure:
    if width_px < 200 or height_px < 150:
        raise UsageError(f"chart size {width_px}x{height_px} is too small (minimum 200x150 pixels)")
    if width_px > MAX_PX or height_px > MAX_PX:
        raise UsageError(f"chart size {width_px}x{height_px} is too large (maximum {MAX_PX}x{MAX_PX} pixels)")
    return Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI, layout=layout)


def plain(text: str) -> str:
    """Escape "$" so matplotlib does not read "$1k-$2k" as mathtext."""
    return text.replace("$", r"\$")


def check_png_path(out: Path | str) -> Path:
    out = Path(out)
    if out.suffix.lower() != ".png":
        raise UsageError(f"--out {out} should end in .png")
    if not out.parent.is_dir():
        raise CostbasisError(f"--out {out}: directory {out.parent} does not exist")
    return out


def save_png(fig: Figure, out: Path | str) -> Path:
    """Write the figure as PNG at exactly its pixel size (no tight bbox), atomically."""
    out = check_png_path(out)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    atomic_write_bytes(out, buf.getvalue())
    return out


def usd_axis_label(v: float, _pos=None) -> str:
    a = abs(v)
    if a >= 1e6:
        return f"${v / 1e6:g}M"
    if a >= 1e3:
        return f"${v / 1e3:g}k"
    if a >= 1:
        return f"${v:g}"
    return f"${v:.2g}"


USD_FORMATTER = FuncFormatter(usd_axis_label)


def date_axis(ax) -> None:
    """Concise auto-located dates on the x axis."""
    import matplotlib.dates as mdates

    loc = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))


def log_usd_axis(ax, which: str = "y") -> None:
    """Log scale with $ labels; over less than a decade, evenly spaced round ticks instead
    of the bare powers of ten a log axis would show."""
    from matplotlib.ticker import LogLocator, MaxNLocator, NullFormatter, NullLocator

    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    lo, hi = ax.get_ylim() if which == "y" else ax.get_xlim()
    if lo > 0 and hi / lo < 30:
        axis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]))
    else:
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_minor_locator(NullLocator())
    axis.set_minor_formatter(NullFormatter())
    axis.set_major_formatter(USD_FORMATTER)
