"""`costbasis demo`: simulate -> real regtest datadir -> ingest -> prices/labels -> analysis.

Everything after `simulate` is the production path: the datadir source reads the blocks the
kernel wrote, and the printed figures come from the engine, the bands and the whale SQL.
"""

from __future__ import annotations

import csv
import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa

from costbasis.demo.scenario import MAX_DAYS, MIN_DAYS, PRE_ANCHORS, TAIL_DAYS, Scenario
from costbasis.errors import CostbasisError, UsageError
from costbasis.store import Store

MARKER = ".costbasis-demo"
MADE = ("datadir", "cache", "charts", "prices.csv", "labels.csv", "context")  # what a run writes into --out
SEED_MAX = 2**64 - 1
# libbitcoinkernel refuses to start below 50 MiB free plus a 16 MiB block-file chunk
# ("Failed to create ChainstateManager"); the store and CSVs of a long demo add a few MiB.
MIN_FREE_BYTES = 80 * 2**20


@dataclass
class DemoResult:
    out: Path
    cache: Path
    datadir: Path
    start: date
    end: date
    blocks: int
    txs: int
    cohorts: pa.Table
    bands: pa.Table
    whales: pa.Table
    reading: str
    charts: list[Path]
    brief: str = ""                  # `costbasis brief` for the last day (text)
    context: str = ""                # where the market context came from: a folder, or "simulated"


def check_out(out: Path) -> None:
    """Reuse `out` only if an earlier demo made it (never wipe a user's folder); nothing written."""
    if out.exists() and not out.is_dir():
        raise CostbasisError(f"--out {out} is a file, not a folder; choose another --out")
    if out.exists() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise CostbasisError(f"{out} exists and was not made by `costbasis demo`; choose another --out")


def prepare_out(out: Path) -> None:
    check_out(out)
    for sub in MADE:
        _remove(out / sub)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / MARKER).write_text("made by costbasis demo; safe to delete\n")
    except OSError as e:
        raise CostbasisError(f"--out {out}: cannot create the demo folder ({e.strerror or e})") from None


def _remove(path: Path) -> None:
    # a symlink or file is unlinked, never followed; a folder removed with what is in it
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def _existing_ancestor(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_charts(folder: Path, out: Path) -> None:
    """--charts must be a folder we can write, checked before the demo runs (not after a minute):
    an existing folder gets a probe file, a missing one is created and removed again."""
    if folder.exists() and not folder.is_dir():
        raise CostbasisError(f"--charts {folder} is a file, not a folder")
    inside = folder.absolute()
    for sub in ("datadir", "cache"):
        if inside == (out / sub).absolute() or (out / sub).absolute() in inside.parents:
            raise CostbasisError(f"--charts {folder} is inside the demo's {sub} folder; choose another folder")
    created = []
    try:
        missing = [p for p in [inside, *inside.parents] if not p.exists()]
        folder.mkdir(parents=True, exist_ok=True)
        created = list(missing)  # deepest first
        import tempfile
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise CostbasisError(f"--charts {folder}: cannot write charts there ({e.strerror or e})") from None
    finally:
        for p in created:
            try:
                p.rmdir()
            except OSError:
                break


def check_space(out: Path) -> None:
    import shutil as sh

    free = sh.disk_usage(_existing_ancestor(out)).free
    if free < MIN_FREE_BYTES:
        raise CostbasisError(f"not enough free disk space for the demo in {out}: {free / 2**20:.0f} MiB free, "
                             f"it needs about {MIN_FREE_BYTES // 2**20} MiB; free some space or choose another --out")


def _no_space(e: BaseException) -> bool:
    import errno
    return getattr(e, "errno", None) == errno.ENOSPC or "No space left on device" in str(e) \
        or "[errno 28]" in str(e)


def write_prices_csv(path: Path, prices) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["date", "price_usd"])
        for d, p in prices:
            w.writerow([d.isoformat(), f"{p:.2f}"])


def write_labels_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["chain", "address", "entity", "label_type"])
        w.writeheader()
        w.writerows(rows)


def default_context_dir() -> Path:
    """The real context files: $COSTBASIS_SHARED/data/context, else ../shared/data/context."""
    shared = os.environ.get("COSTBASIS_SHARED")
    return (Path(shared) if shared else Path("..") / "shared") / "data" / "context"


def context_files(context) -> tuple[list, str]:
    """(parsed context files, their folder) for "auto" (the default folder when present), a folder,
    or None (simulated: ([], "simulated")). Parsed here, before anything is written: a bad file is
    one line and the demo has not started."""
    from costbasis.context.importer import prepare

    if context is None:
        return [], "simulated"
    folder = default_context_dir() if context == "auto" else Path(context)
    if not folder.is_dir():
        if context == "auto":
            return [], "simulated"
        raise CostbasisError(f"--context {folder} is not a folder")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in (".csv", ".json"))
    if not files:
        raise CostbasisError(f"--context {folder}: no .csv or .json exports in it")
    return [prepare(p) for p in files], str(folder)


def run_demo(out: Path, seed: int = 7, days: int = 120, charts: Path | None = None, progress: bool = True,
             log=print, context="auto") -> DemoResult:
    """Validate every option (and the disk space) before anything is written, then run.
    `context`: "auto" (the real files in ../shared/data/context when present, else simulated), a
    folder of exports, or None (simulated)."""
    # One DuckDB thread: parallel float sums vary in the last bit, and the demo promises
    # byte-identical Parquet (including the engine's saved state) for the same seed.
    os.environ.setdefault("COSTBASIS_THREADS", "1")
    if days < MIN_DAYS:
        raise UsageError(f"--days must be >= {MIN_DAYS} (the scenario needs a run-up, a slide, "
                             f"{TAIL_DAYS} days of consolidation, a bounce and two whale days)")
    if days > MAX_DAYS:
        raise UsageError(f"--days must be <= {MAX_DAYS} (the active window starts after the simulated "
                             f"pre-history, which ends on {PRE_ANCHORS[-1][0]})")
    if not 0 <= seed <= SEED_MAX:
        raise UsageError(f"--seed must be between 0 and {SEED_MAX}, got {seed}")
    sc = Scenario(seed=seed, days=days)
    out = Path(out)
    check_out(out)
    pending, context_from = context_files(context)
    if charts is not None:
        check_charts(Path(charts), out)
    check_space(out)
    fresh = not out.exists()
    had_marker = (out / MARKER).is_file()
    charts_fresh = charts is not None and not Path(charts).exists()
    prepare_out(out)
    try:
        return _run(out, sc, days, charts, progress, log, pending, context_from)
    except BaseException as e:
        # a failed demo leaves no half-made folder behind: what this run made is removed
        if fresh:
            shutil.rmtree(out, ignore_errors=True)
        else:
            for sub in MADE + (() if had_marker else (MARKER,)):
                _remove(out / sub)
        if charts_fresh:
            shutil.rmtree(charts, ignore_errors=True)
        if isinstance(e, Exception) and not isinstance(e, CostbasisError) and _no_space(e):
            raise CostbasisError(f"no space left on the device of {out} while writing the demo; "
                                 f"it needs about {MIN_FREE_BYTES // 2**20} MiB free") from None
        if isinstance(e, RuntimeError) and "ChainstateManager" in str(e):
            check_space(out)  # the kernel's only word for too little disk space
        raise


def _run(out: Path, sc: Scenario, days: int, charts: Path | None, progress: bool, log, pending=(),
         context_from: str = "simulated") -> DemoResult:
    from costbasis.bands.assemble import bands
    from costbasis.bitcoin.datadir import DatadirSource
    from costbasis.bitcoin.ingest import ingest
    from costbasis.demo.market import simulate
    from costbasis.demo.reading import reading
    from costbasis.flows.whales import whale_signals
    from costbasis.engine.api import cohorts as cohort_series, expand_labels
    from costbasis.labels.importer import import_labels
    from costbasis.prices.importer import import_prices

    datadir, cache = out / "datadir", out / "cache"
    store = Store(cache)

    log(f"[1/5] simulating {days} days of market ({sc.start} .. {sc.end}) into a regtest datadir (libbitcoinkernel)")
    sim = _with_spinner(progress, "mining blocks", lambda tick: simulate(datadir, sc, progress=tick))
    log(f"      {sim.blocks} blocks, {sim.txs} transactions -> {datadir}")

    log("[2/5] ingesting the datadir into the Parquet store")
    source = DatadirSource(datadir, "regtest")
    try:
        ingest(source, store, progress=progress)
    finally:
        source.close()

    log("[3/5] importing prices and exchange labels; discovering deposit addresses")
    write_prices_csv(out / "prices.csv", sim.prices)
    write_labels_csv(out / "labels.csv", sim.labels)
    import_prices(store, out / "prices.csv", "BTC")
    import_labels(store, out / "labels.csv")
    expand_labels(store)

    import_context(store, out, sc, pending, context_from, log)

    log("[4/5] computing cohorts, bands and whale signals")
    cohorts = cohort_series(store, asof=sc.end)
    levels = bands(store, asof=sc.end)
    whales = whale_signals(store, date_from=sc.start, date_to=sc.end)
    text = reading(cohorts, levels, whales)
    from costbasis.brief.build import build
    from costbasis.brief.render import render
    brief = render(build(store, sc.end), "text")

    made = []
    if charts is not None:
        log(f"[5/5] writing charts to {charts}")
        made = write_charts(store, Path(charts), sc)
    return DemoResult(out, cache, datadir, sc.start, sc.end, sim.blocks, sim.txs, cohorts, levels, whales, text, made,
                      brief, context_from)


def import_context(store: Store, out: Path, sc: Scenario, pending, context_from: str, log) -> None:
    """The real context files (parsed up front) or a simulated context written as real exports.
    Stamped as imported at the end of the demo's last day, so the same seed gives the same bytes."""
    from datetime import datetime, time, timezone

    from costbasis.context.importer import commit, prepare
    from costbasis.demo.context_sim import write_simulated_context

    stamp = datetime.combine(sc.end, time(23, 59, 59), timezone.utc)
    if not pending:
        log("      market context: simulated (no ../shared/data/context; see --context)")
        pending = [prepare(p) for p in write_simulated_context(out / "context", sc)]
    else:
        log(f"      market context: {len(pending)} real exports from {context_from}")
    for p in pending:
        commit(store, p, imported_at=stamp)


def write_charts(store: Store, folder: Path, sc: Scenario) -> list[Path]:
    from costbasis.charts.bands_chart import bands_chart
    from costbasis.charts.urpd_chart import urpd_chart
    from costbasis.charts.whales_chart import whales_chart

    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "bands.png", folder / "urpd.png", folder / "whales.png"]
    bands_chart(store, None, sc.start, sc.end, paths[0])
    urpd_chart(store, None, sc.end, paths[1])
    whales_chart(store, None, sc.start, sc.end, paths[2])
    return paths


def _with_spinner(enabled: bool, what: str, fn):
    if not enabled:
        return fn(None)
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed} blocks"),
                  TimeElapsedColumn(), transient=True) as p:
        task = p.add_task(what, total=None)
        return fn(lambda: p.advance(task))
