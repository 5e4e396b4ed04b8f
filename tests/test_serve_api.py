"""`costbasis serve`'s API against a real uvicorn server on loopback (issue 15): every endpoint's
JSON equals the CLI's --format json for the same options, bad options give the CLI's one-line
message as {"error"} with 400/404, ETag/304 and the cache follow the store state, a request beside
an ingest sees one committed tip, 200 concurrent requests are all answered."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pyarrow.parquet as pq
import pytest

from conftest import run_cli
from support.serve_helpers import get, running_server
from support.anvil import anvil_factory  # noqa: F401  (fixture)
from tests.test_evm_cli import world  # noqa: F401  (fixture: a store ingested from a real anvil node)

ASOF = "2025-04-10"


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    from support.flows_chain import flow_chain
    return flow_chain(tmp_path_factory).expanded


@pytest.fixture(scope="module")
def server(cache):
    with running_server(cache) as (url, app):
        yield url, app


def cli(cache, *args, fmt="json"):
    p = run_cli(*args, "--format", fmt, cache=cache)
    assert p.returncode == 0, p.stderr
    return p.stdout


def cli_error(cache, *args) -> str:
    p = run_cli(*args, cache=cache)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert p.returncode != 0 and len(lines) == 1 and lines[0].startswith("error: "), p.stderr
    # run_cli runs `python -m costbasis`, which click names so in its hint; the installed script is `costbasis`
    return lines[0][len("error: "):].replace("`python -m costbasis ", "`costbasis ")


# (query string items, CLI arguments): the query names are the CLI flags without the dashes
CONTRACT = [
    ("cohorts", [("asof", ASOF)], ["cohorts", "--asof", ASOF]),
    ("cohorts", [("from", "2025-04-01"), ("to", ASOF), ("cohort", "sth"), ("quantiles", "5,50,95")],
     ["cohorts", "--from", "2025-04-01", "--to", ASOF, "--cohort", "sth", "--quantiles", "5,50,95"]),
    ("cohorts", [("asof", ASOF), ("holder-split", "logistic")], ["cohorts", "--asof", ASOF, "--holder-split", "logistic"]),
    ("urpd", [("asof", ASOF), ("cohort", "sth"), ("log-buckets", "20")],
     ["urpd", "--asof", ASOF, "--cohort", "sth", "--log-buckets", "20"]),
    ("urpd", [], ["urpd"]),
    ("sopr", [], ["sopr"]),
    ("bands", [("asof", ASOF)], ["bands", "--asof", ASOF]),
    ("bands", [("asof", ASOF), ("price", "90000"), ("quantiles", "80,90")],
     ["bands", "--asof", ASOF, "--price", "90000", "--quantiles", "80,90"]),
    ("bands", [("from", "2025-04-08"), ("to", ASOF), ("no-urpd", "true")],
     ["bands", "--from", "2025-04-08", "--to", ASOF, "--no-urpd"]),
    ("flows", [], ["flows"]),
    ("flows", [("per-entity", "true"), ("by", "hour")], ["flows", "--per-entity", "--by", "hour"]),
    ("whales", [("min-btc", "1")], ["whales", "--min-btc", "1"]),
    ("whales", [("min-btc", "1"), ("list", "true")], ["whales", "--min-btc", "1", "--list"]),
    ("status", [], ["status"]),
    ("brief", [("asof", ASOF)], ["brief", "--asof", ASOF]),
]


@pytest.mark.parametrize("name, items, args", CONTRACT, ids=[f"{c[0]}-{i}" for i, c in enumerate(CONTRACT)])
def test_endpoint_json_equals_cli_json(server, cache, name, items, args):
    url, _ = server
    a = get(f"{url}/v1/{name}?{urlencode(items)}")
    assert a.status == 200, a.body
    assert a.headers["content-type"].startswith("application/json")
    assert a.json() == json.loads(cli(cache, *args))
    assert a.json(), "an empty answer proves nothing"


def test_prices_is_the_stored_series(server, cache):
    import costbasis
    from costbasis.cli.output import to_json

    url, _ = server
    a = get(f"{url}/v1/prices?asset=BTC")
    assert a.status == 200 and a.json() == json.loads(to_json(costbasis.prices(cache, "BTC")))
    assert get(f"{url}/v1/prices?asset=ETH").json() == {"error": cli_error(cache, "prices", "show", "--asset", "ETH")}


def test_csv_and_parquet_by_format_or_accept(server, cache):
    url, _ = server
    q = f"{url}/v1/urpd?asof={ASOF}&buckets=12"
    want_csv = cli(cache, "urpd", "--asof", ASOF, "--buckets", "12", fmt="csv")
    for a in (get(q + "&format=csv"), get(q, {"Accept": "text/csv"})):
        assert a.status == 200 and a.headers["content-type"].startswith("text/csv")
        assert a.body.decode() == want_csv
    rows = json.loads(cli(cache, "urpd", "--asof", ASOF, "--buckets", "12"))
    for a in (get(q + "&format=parquet"), get(q, {"Accept": "application/vnd.apache.parquet"})):
        assert a.status == 200 and a.headers["content-type"] == "application/vnd.apache.parquet"
        assert pq.read_table(io.BytesIO(a.body)).to_pylist() == rows
    assert get(q, {"Accept": "text/html,*/*"}).json() == rows   # nothing we serve: JSON


BAD = [
    ("urpd", [("buckets", "x")], ["urpd", "--buckets", "x"], 400),
    ("urpd", [("nope", "1")], ["urpd", "--nope", "1"], 400),
    ("cohorts", [("asof", "2025-13-01")], ["cohorts", "--asof", "2025-13-01"], 400),
    ("cohorts", [("asof", "")], ["cohorts", "--asof", ""], 400),
    ("cohorts", [("cohort", "9y-99y")], ["cohorts", "--cohort", "9y-99y"], 400),
    ("cohorts", [("with", "no_such_series")], ["cohorts", "--with", "no_such_series"], 400),
    ("urpd", [("buckets", "10"), ("bucket-usd", "100")], ["urpd", "--buckets", "10", "--bucket-usd", "100"], 400),
    ("whales", [("min-btc", "1"), ("min-usd", "5")], ["whales", "--min-btc", "1", "--min-usd", "5"], 400),
    ("whales", [("z", "-1")], ["whales", "--z", "-1"], 400),
    ("bands", [("asof", ASOF), ("from", ASOF)], ["bands", "--asof", ASOF, "--from", ASOF], 400),
    ("bands", [("quantiles", "75,abc")], ["bands", "--quantiles", "75,abc"], 400),
    ("bands", [("with", "dxy")], ["bands", "--with", "dxy"], 400),
    ("sopr", [("from", "2025-04-10"), ("to", "2025-04-01")], ["sopr", "--from", "2025-04-10", "--to", "2025-04-01"], 400),
    ("flows", [("chain", "no-such-chain")], ["flows", "--chain", "no-such-chain"], 404),
    ("flows", [("chain", "../x")], ["flows", "--chain", "../x"], 400),
    ("brief", [("asof", "20250410")], ["brief", "--asof", "20250410"], 400),
]


@pytest.mark.parametrize("name, items, args, status", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_options_give_the_cli_message(server, cache, name, items, args, status):
    url, _ = server
    a = get(f"{url}/v1/{name}?{urlencode(items)}")
    assert a.status == status, a.body
    assert a.headers["content-type"] == "application/json"
    assert a.json() == {"error": cli_error(cache, *args)}


def test_server_errors_are_one_json_line(server, monkeypatch):
    url, _ = server
    assert get(f"{url}/v1/urpd?format=table").json() == {"error": "unknown format 'table'; use one of json, csv, parquet"}
    a = get(f"{url}/v1/nothing")
    assert a.status == 404 and a.json() == {"error": "no such endpoint /v1/nothing; see /docs"}
    a = get(f"{url}/v1/status", method="POST")
    assert a.status == 405 and "read-only" in a.json()["error"]
    assert get(f"{url}/v1/whales?list=maybe").json() == {
        "error": "--list is a flag: give list=true or list=false, not 'maybe'"}

    def boom(*a, **kw):
        raise ZeroDivisionError("a bug, with a secret path /home/x")
    monkeypatch.setattr("costbasis.engine.api.urpd", boom)   # the server runs in this process
    a = get(f"{url}/v1/urpd?buckets=7")
    assert a.status == 500 and a.json() == {"error": "internal error (the server log has the details)"}
    assert b"Traceback" not in a.body and b"secret" not in a.body


def test_etag_304_and_cache_follow_the_store(server, cache, tmp_path):
    url, app = server
    srv = app.state.server
    q = f"{url}/v1/cohorts?asof={ASOF}&cohort=all"
    first = get(q)
    tag = first.headers["etag"]
    assert first.status == 200 and tag.startswith('"')
    tip = first.headers["x-costbasis-tips"]
    assert tip.startswith("bitcoin-regtest=") and json.loads(cli(cache, "status"))[0]["last_height"] == int(
        tip.split("=")[1].split(":")[0])
    hits = srv.cache.hits
    again = get(q)
    assert again.body == first.body and again.headers["etag"] == tag and srv.cache.hits == hits + 1
    nm = get(q, {"If-None-Match": tag})
    assert nm.status == 304 and nm.body == b"" and nm.headers["etag"] == tag
    assert get(q, {"If-None-Match": '"other", ' + tag}).status == 304
    assert get(q, {"If-None-Match": '"other"'}).status == 200
    # the same options spelled differently are the same answer; another format is another one
    assert get(f"{url}/v1/cohorts?cohort=all&asof={ASOF}&holder-split=hard").headers["etag"] == tag
    assert get(q + "&format=csv").headers["etag"] != tag
    # a new price import changes the state: new ETag, the old one no longer matches, cache dropped
    prices = cache / "prices" / "BTC.parquet"
    saved = tmp_path / "BTC.parquet"
    shutil.copy2(prices, saved)
    try:
        t = pq.read_table(prices)
        from costbasis.store import Store
        Store(cache).write_dataset("prices", "BTC", t.set_column(1, "price_usd", t["price_usd"]))
        changed = get(q, {"If-None-Match": tag})
        assert changed.status == 200 and changed.headers["etag"] != tag
        assert changed.json() == first.json()   # same numbers, but the server could not know
        assert len(srv.cache) == 1
    finally:
        Store(cache).write_dataset("prices", "BTC", pq.read_table(saved))


def test_openapi_and_offline_docs(server):
    url, _ = server
    spec = get(f"{url}/openapi.json").json()
    paths = spec["paths"]
    assert {f"/v1/{n}" for n in ("cohorts", "urpd", "sopr", "bands", "flows", "whales", "status", "prices",
                                   "brief")} <= set(paths)
    params = {p["name"]: p for p in paths["/v1/urpd"]["get"]["parameters"]}
    assert params["log-buckets"]["schema"]["type"] == "integer" and params["cohort"]["schema"]["default"] == "all"
    assert "--log-buckets" in params["log-buckets"]["description"] and "format" in params
    assert params["format"]["schema"]["enum"] == ["json", "csv", "parquet"]
    docs = get(f"{url}/docs").body.decode()
    assert "http://" not in docs.replace("http://www.w3.org", "") and "https://" not in docs
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/static-offline-docs/{asset}" in docs
        a = get(f"{url}/static-offline-docs/{asset}")
        assert a.status == 200 and len(a.body) > 10_000


def test_200_concurrent_requests_all_answered(server, cache):
    url, _ = server
    qs = [f"/v1/status", f"/v1/cohorts?asof={ASOF}&cohort=sth", f"/v1/flows", f"/v1/urpd?asof={ASOF}&buckets=20",
          f"/v1/whales?min-btc=1"]
    want = {q: get(url + q).body for q in qs}
    # the first 50 leave together: identical requests arriving at once compute once, the rest wait
    start = threading.Barrier(50)

    def one(i):
        q = qs[i % len(qs)]
        if i < 50:
            start.wait(10)
        t0 = time.perf_counter()
        a = get(url + q, timeout=60)
        return q, a, time.perf_counter() - t0

    t0 = time.perf_counter()
    with ThreadPoolExecutor(200) as pool:
        got = list(pool.map(one, range(200)))
    took = time.perf_counter() - t0
    assert len(got) == 200 and all(a.status == 200 and a.body == want[q] for q, a, _ in got)
    assert took < 60, took


def test_requests_during_an_ingest_see_one_committed_tip(tmp_path, tmp_path_factory):
    """An ingest commits 2 blocks at a time while threads loop requests: every answer's tables all
    stop at the tip its header names (one snapshot, never files of one commit and the tip of
    another), and answers for the same tip are the same bytes."""
    from support.flows_chain import flow_chain
    fc = flow_chain(tmp_path_factory)
    cache = tmp_path / "c"
    cache.mkdir()
    for folder in ("prices", "labels"):
        shutil.copytree(fc.raw / folder, cache / folder)
    ingest = subprocess.Popen([sys.executable, "-m", "costbasis", "--cache", str(cache), "ingest", "bitcoin",
                               "--datadir", str(fc.datadir), "--network", "regtest", "--batch-blocks", "2"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen: list[tuple[str, str, str]] = []
    stop = threading.Event()
    with running_server(cache) as (url, _):
        def loop(path):
            while not stop.is_set():
                a = get(url + path)
                if a.status == 200:
                    seen.append((path, a.headers["x-costbasis-tips"], a.body.decode()))
                else:   # before the first commit there is no chain yet: a one-line error, never a traceback
                    assert set(a.json()) == {"error"}, a.body
        threads = [threading.Thread(target=loop, args=(p,)) for p in ("/v1/status", "/v1/status", "/v1/flows")]
        for t in threads:
            t.start()
        try:
            time.sleep(6)
        finally:
            stop.set()
            for t in threads:
                t.join(60)
            ingest.kill()
            ingest.wait()
    tips = {tip for _, tip, _ in seen}
    assert len(tips) >= 3, f"the ingest committed too slowly to overlap the requests: {tips}"
    by_tip: dict[tuple[str, str], set[str]] = {}
    for path, tip, body in seen:
        by_tip.setdefault((path, tip), set()).add(body)
        if path != "/v1/status":
            continue
        rows = json.loads(body)
        height = tip.split("=")[1].split(":")[0] if tip else "-"
        if height == "-":
            assert rows == []   # no block committed yet
        else:
            assert rows and {r["last_height"] for r in rows} == {int(height)}, (tip, rows)
    assert all(len(bodies) == 1 for bodies in by_tip.values())


def test_evm_endpoints_equal_cli(world):
    _, _, cache, has_labels = world
    cases = [("cohorts", [("chain", "ethereum"), ("asof", "2020-01-05"), ("method", "fifo")],
              ["cohorts", "--chain", "ethereum", "--asof", "2020-01-05", "--method", "fifo"]),
             ("urpd", [("chain", "ethereum"), ("buckets", "10")], ["urpd", "--chain", "ethereum", "--buckets", "10"])]
    if has_labels:   # flows need the real exchange labels (../shared); without them: the same error, below
        cases.append(("flows", [("chain", "ethereum")], ["flows", "--chain", "ethereum"]))
    with running_server(cache) as (url, _):
        for name, items, args in cases:
            a = get(f"{url}/v1/{name}?{urlencode(items)}")
            assert a.status == 200 and a.json() == json.loads(cli(cache, *args)), (name, a.body[:300])
        if not has_labels:
            a = get(f"{url}/v1/flows?chain=ethereum")
            assert a.status == 400 and a.json() == {"error": cli_error(cache, "flows", "--chain", "ethereum")}
        a = get(f"{url}/v1/sopr?chain=ethereum")
        assert a.status == 400 and a.json() == {"error": cli_error(cache, "sopr", "--chain", "ethereum")}
        # the dashboard on the EVM chain: the same four charts, drawn from the EVM columns
        page = get(f"{url}/?chain=ethereum&from=2020-01-01&to=2020-01-05")
        html = page.body.decode()
        assert page.status == 200 and html.count("<svg") == 4 and 'data-series="urpd"' in html
        assert 'data-series="price" data-points="5"' in html and "/v1/flows?chain=ethereum" in html


def test_serve_command(tmp_path, cache):
    p = run_cli("serve", "--port", "0", cache=tmp_path / "missing")
    assert p.returncode == 1 and p.stderr.startswith("error: no store at ") and len(p.stderr.splitlines()) == 1
    assert run_cli("serve", "--port", "70000", cache=cache).stderr.strip() == "error: --port 70000 must be between 0 and 65535"
    proc = subprocess.Popen([sys.executable, "-m", "costbasis", "--cache", str(cache), "serve", "--host", "0.0.0.0",
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("costbasis serve: http://0.0.0.0:"), line
        port = int(line.split("http://0.0.0.0:")[1].split("/")[0])
        a = get(f"http://127.0.0.1:{port}/v1/status")
        assert a.status == 200 and a.json() == json.loads(cli(cache, "status"))
    finally:
        proc.terminate()
        proc.wait(10)
    assert "warning: listening on 0.0.0.0: the API has no authentication" in proc.stderr.read()
