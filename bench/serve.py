"""Bench: `costbasis serve` latency on loopback, the demo store, N concurrent clients.

Three rounds over a mix of endpoints (status, cohorts, urpd, bands, flows, whales):
  cold   - the first request of each query (engine work; the cache is empty),
  cached - the same queries again from many clients at once (served from the answer cache),
  304    - the same with If-None-Match (the ETag check alone).
Prints p50/p99 per round and requests/s. Not asserted anywhere (tests check counts and answers).

    .venv/bin/python bench/serve.py [--clients 200] [--requests 2000] [--days 60] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

QUERIES = ["/v1/status", "/v1/cohorts?asof={end}", "/v1/cohorts?from={start}&to={end}&cohort=sth",
           "/v1/urpd?asof={end}", "/v1/bands?asof={end}", "/v1/flows", "/v1/whales", "/v1/sopr",
           "/v1/bands?from={start}&to={end}&no-urpd=true"]


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q / 100 * len(xs)))]


def round_(name, url, paths, clients, headers_of=lambda p: {}):
    from support.serve_helpers import get

    def one(p):
        t0 = time.perf_counter()
        a = get(url + p, headers_of(p))
        return a.status, time.perf_counter() - t0

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        res = list(pool.map(one, paths))
    wall = time.perf_counter() - t0
    lat = [d * 1000 for _, d in res]
    statuses = sorted({s for s, _ in res})
    print(f"{name:7s} {len(res):5d} requests, {clients:3d} clients: p50 {pct(lat, 50):7.1f} ms  "
          f"p99 {pct(lat, 99):7.1f} ms  max {max(lat):7.1f} ms  {len(res) / wall:7.0f} req/s  status {statuses}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--keep", type=Path, default=None, help="keep the demo here (reused when present)")
    args = ap.parse_args()

    from costbasis.demo.run import run_demo
    from support.serve_helpers import get, running_server

    tmp = Path(tempfile.mkdtemp(prefix="bench_serve_"))
    out = args.keep or tmp / "demo"
    try:
        if not (out / "cache").is_dir():
            t0 = time.perf_counter()
            run_demo(out, days=args.days, progress=False, log=lambda m: None, context=None)
            print(f"demo store ({args.days} days) built in {time.perf_counter() - t0:.1f} s")
        end = get_end(out / "cache")
        start = (end_date := __import__("datetime").date.fromisoformat(end)) - __import__("datetime").timedelta(days=30)
        paths = [q.format(start=start.isoformat(), end=end_date.isoformat()) for q in QUERIES]
        with running_server(out / "cache") as (url, _):
            round_("cold", url, paths, len(paths))
            mix = [paths[i % len(paths)] for i in range(args.requests)]
            round_("cached", url, mix, args.clients)
            tags = {p: get(url + p).headers["etag"] for p in paths}
            round_("304", url, mix, args.clients, lambda p: {"If-None-Match": tags[p]})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def get_end(cache: Path) -> str:
    import costbasis
    rows = costbasis.status(cache).to_pylist()
    return max(r["last_block_time"][:10] for r in rows)


if __name__ == "__main__":
    main()
