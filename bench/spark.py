"""Benchmark: the same heavy builds on DuckDB and on Spark (issue 16).

Builds timed, each in a fresh child process (so a JVM or a DuckDB never starts warm):
  cohorts  the cold cohort-state build (block prices, lot changes, events, daily rows) + its rows
  logistic the logistic holder split's first build beside it (its lots, events, 100-210 day shares)
  urpd     URPD as of the last day (the live supply by price over the state's lot segments)
  sopr     daily SOPR over all of coin_flows
  whales   the flow tables' cold build (exchange txs, deposit sources' balances, deposited coins,
           balance changes) + the daily whale signals, on bench/flows.py's mainnet-shaped chain;
           whales --list then reads the stored tables (DuckDB on either engine: a query)
Engines: DuckDB; Spark local[2] (driver and executors in one JVM on this machine); Spark on a
two-worker standalone cluster on this machine (`spark://127.0.0.1:<port>`, a master and two
workers of one core each, started here from pyspark's bundled bin/spark-class and stopped by pid
at the end). Spark's start-up (JVM + SparkSession) is timed apart from the builds and stated.
The chain is bench/cohorts.py's synthetic one, written through the real store.

Usage: .venv/bin/python bench/spark.py [--coins 1000000] [--days 400] [--flow-days 7]
                                      [--tx-per-block 300] [--no-cluster]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))


def child(cache: str, engine: str, master: str, flows_cache: str) -> None:
    """One engine run: prints a JSON line of timings."""
    from costbasis.engine import api
    from costbasis.engine.spark import session, settings
    from costbasis.store import Store
    settings.use(engine, master, ["spark.driver.memory=2g", "spark.executor.memory=1g"])
    out = {"engine": engine, "master": master if engine == "spark" else ""}
    if engine == "spark":
        t = time.perf_counter()
        session.get()
        out["startup_s"] = time.perf_counter() - t
    shutil.rmtree(Path(cache) / "bitcoin" / "_derived", ignore_errors=True)
    t = time.perf_counter()
    rows = api.cohorts(Store(cache)).num_rows
    out["cohorts_s"], out["cohort_rows"] = time.perf_counter() - t, rows
    t = time.perf_counter()
    out["logistic_rows"] = api.cohorts(Store(cache), holder_split="logistic").num_rows
    out["logistic_s"] = time.perf_counter() - t
    t = time.perf_counter()
    out["urpd_supply"] = sum(api.urpd(Store(cache), buckets=200)["supply_btc"].to_pylist())
    out["urpd_s"] = time.perf_counter() - t
    t = time.perf_counter()
    api.sopr(Store(cache))
    out["sopr_s"] = time.perf_counter() - t
    for d in Path(flows_cache).glob("*/_derived/flows"):
        shutil.rmtree(d)
    t = time.perf_counter()
    w = api.whales(Store(flows_cache), min_btc=10)
    out["whales_s"], out["whale_usd"] = time.perf_counter() - t, sum(w["whale_deposit_usd"].to_pylist())
    t = time.perf_counter()
    out["whale_deposits"] = api.whales(Store(flows_cache), min_btc=10, deposits=True).num_rows
    out["whales_list_s"] = time.perf_counter() - t
    # what a query does after the build, on whatever engine built it: reads the derived state
    settings.use("duckdb")
    t = time.perf_counter()
    api.cohorts(Store(cache))
    out["warm_query_s"] = time.perf_counter() - t
    print(json.dumps(out), flush=True)
    session.stop()


def run_child(cache: Path, flows_cache: Path, engine: str, master: str = "local[2]") -> dict:
    t = time.perf_counter()
    p = subprocess.run([sys.executable, __file__, "--child", str(cache), engine, master, str(flows_cache)],
                       capture_output=True, text=True, timeout=3600)
    if p.returncode != 0:
        raise SystemExit(f"{engine} {master} failed:\n{p.stderr[-3000:]}")
    r = json.loads(p.stdout.strip().splitlines()[-1])
    r["process_s"] = time.perf_counter() - t
    return r


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_cluster(workers: int = 2, log_dir: Path | None = None) -> tuple[str, list[subprocess.Popen]]:
    """A standalone master and `workers` workers (1 core, 1 GB each) on 127.0.0.1."""
    import pyspark
    home = Path(pyspark.__file__).parent
    cls = home / "bin" / "spark-class"
    env = dict(os.environ, SPARK_HOME=str(home), PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="spark-cluster-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    procs = [subprocess.Popen([str(cls), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                               "--port", str(port), "--webui-port", str(_free_port())],
                              env=env, stdout=open(log_dir / "master.log", "w"), stderr=subprocess.STDOUT)]
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    else:
        stop_cluster(procs)
        raise SystemExit(f"standalone master did not start; see {log_dir}/master.log")
    for i in range(workers):
        procs.append(subprocess.Popen([str(cls), "org.apache.spark.deploy.worker.Worker", url, "--cores", "1",
                                       "--memory", "1g", "--webui-port", str(_free_port()),
                                       "--work-dir", str(log_dir / f"work{i}")],
                                      env=env, stdout=open(log_dir / f"worker{i}.log", "w"), stderr=subprocess.STDOUT))
    deadline = time.time() + 60
    while time.time() < deadline:   # both workers registered with the master
        if (log_dir / "master.log").read_text().count("Registering worker") >= workers:
            return url, procs
        time.sleep(0.5)
    stop_cluster(procs)
    raise SystemExit(f"workers did not register; see {log_dir}")


def stop_cluster(procs: list[subprocess.Popen]) -> None:
    for p in reversed(procs):   # the processes we started, by pid
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return child(*sys.argv[2:6])
    ap = argparse.ArgumentParser()
    ap.add_argument("--coins", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=400)
    ap.add_argument("--flow-days", type=int, default=7)
    ap.add_argument("--tx-per-block", type=int, default=300)
    ap.add_argument("--no-cluster", action="store_true")
    args = ap.parse_args()
    import numpy as np
    from cohorts import add_prices, synth, write_store
    from flows import fabricate
    from costbasis.store import Store
    tmp = Path(tempfile.mkdtemp(prefix="spark-bench-"))
    procs: list = []
    try:
        t = time.perf_counter()
        btime, c_h, value, s_h = synth(args.coins, args.days)
        store = write_store(tmp / "store", btime, c_h, value, s_h, len(btime) - 1)
        add_prices(store, args.days, tmp)
        print(f"chain: {args.coins:,} coins, {len(btime):,} blocks, {args.days} days; "
              f"stored in {time.perf_counter() - t:.1f}s; {os.cpu_count()} cores here")
        t = time.perf_counter()
        flows_cache = tmp / "flows"
        n_scripts = int(0.4 * args.flow_days * 144 * args.tx_per_block * 2.6)
        totals = fabricate(Store(flows_cache), args.flow_days, args.tx_per_block, np.random.default_rng(7), n_scripts, 2000)
        print(f"flows chain: {totals['tx']:,} txs over {args.flow_days} days ({args.tx_per_block} a block); "
              f"stored in {time.perf_counter() - t:.1f}s")
        results = [run_child(tmp / "store", flows_cache, "duckdb"),
                   run_child(tmp / "store", flows_cache, "spark", "local[2]")]
        for r in results:
            print(json.dumps(r), flush=True)
        if not args.no_cluster:
            url, procs = start_cluster(2, tmp / "cluster")
            results.append(run_child(tmp / "store", flows_cache, "spark", url))
        cols = ("startup", "cohorts", "logistic", "urpd", "sopr", "whales", "whales_list", "process")
        print(f"{'engine':<34}" + "".join(f"{c.replace('_list', ' --list'):>15}" for c in cols) + f"{'query after':>15}")
        for r in results:
            name = r["engine"] + (f" {r['master']}" if r["master"] else "")
            print(f"{name:<34}" + "".join(f"{r.get(c + '_s', 0.0):>14.1f}s" for c in cols) + f"{r['warm_query_s']:>14.2f}s")
        for k in ("cohort_rows", "logistic_rows", "whale_deposits"):   # the same results on every engine
            assert len({r[k] for r in results}) == 1, k
        for k in ("urpd_supply", "whale_usd"):
            assert all(abs(r[k] - results[0][k]) <= 1e-9 * abs(results[0][k]) for r in results), k
        print("start-up: JVM + SparkSession (DuckDB: none). cohorts: cold state build + rows. logistic: the "
              "logistic split's first build. whales: flow tables' cold build + daily signals. process: the child "
              "process's wall time. query after: a DuckDB query reading the state built.")
    finally:
        if procs:
            stop_cluster(procs)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
