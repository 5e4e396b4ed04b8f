"""The dashboard at / in a real browser (Debian's chromium, driven by playwright with the system
binary) against `costbasis demo --serve`: the charts hold data points, each links to the API call
that fed it (same row count), the console has no errors, nothing leaves the loopback server, the
screenshot is not blank; /docs (Swagger UI) renders offline too."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.serve_helpers import get

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# the flags that work as root on a machine with a closed network (see the README's test notes)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    out = tmp_path_factory.mktemp("serve_demo") / "demo"
    proc = subprocess.Popen([sys.executable, "-m", "costbasis", "demo", "--days", "50", "--out", str(out),
                             "--context", "simulated", "--serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = None
        for line in proc.stdout:   # the demo's report, then the serve line
            m = re.match(r"costbasis serve: (http://127\.0\.0\.1:\d+)/ ", line)
            if m:
                url = m.group(1)
                break
        assert url, "costbasis demo --serve printed no URL"
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (make setup installs Debian's chromium as root: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    log = {"console": [], "errors": [], "requests": []}
    page.on("console", lambda m: log["console"].append((m.type, m.text)))
    page.on("pageerror", lambda e: log["errors"].append(str(e)))
    page.on("request", lambda r: log["requests"].append(r.url))
    page.on("requestfailed", lambda r: log["errors"].append(f"failed {r.url}"))
    page.goto(url, wait_until="networkidle")
    return page, log


def test_dashboard_charts_in_chromium(demo_server, browser, tmp_path):
    page, log = open_page(browser, demo_server + "/")
    points = {}
    for name, n in page.eval_on_selector_all("svg [data-series]", "els => els.map(e => [e.dataset.series, +e.dataset.points])"):
        points[name] = points.get(name, 0) + n
    for series in ("price", "sth cost basis", "lth cost basis", "sth -1σ .. sth +1σ", "urpd",
                   "level support", "level resistance", "whale deposits (USD)", "netflow (BTC)"):
        assert points.get(series, 0) > 0, (series, points)
    assert page.locator("svg").count() == 4
    assert page.locator("select[name=chain] option").all_inner_texts() == ["bitcoin-regtest"]
    assert page.locator("input[type=date][name=asof]").input_value() == "2026-01-22"
    # each chart links to the API call that fed it: same rows as it drew
    links = page.eval_on_selector_all(".src a", "els => els.map(e => e.getAttribute('href'))")
    assert len(links) == 6 and all(h.startswith("/v1/") for h in links)
    whales = next(h for h in links if h.startswith("/v1/whales"))
    assert len(get(demo_server + whales).json()) == points["whale deposits (USD)"]
    urpd = next(h for h in links if h.startswith("/v1/urpd"))
    assert len(get(demo_server + urpd).json()) == points["urpd"]
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert log["console"] == [] and log["errors"] == [], log
    assert log["requests"] and all(u.startswith(demo_server + "/") for u in log["requests"]), log["requests"]
    _not_blank(shot)

    # the form: another window and URPD day, through the browser
    page.fill("input[name=from]", "2026-01-10")
    page.fill("input[name=asof]", "2026-01-15")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "asof=2026-01-15" in page.url
    n = page.eval_on_selector("svg [data-series='price']", "e => +e.dataset.points")
    assert n == 13   # 2026-01-10 .. 2026-01-22
    assert "URPD as of 2026-01-15" in page.content()
    assert log["errors"] == [], log


def test_docs_render_offline_in_chromium(demo_server, browser):
    page, log = open_page(browser, demo_server + "/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/v1/bands" in paths and "/v1/urpd" in paths
    assert all(u.startswith(demo_server + "/") for u in log["requests"]), log["requests"]
    assert log["errors"] == [] and not [c for c in log["console"] if c[0] == "error"], log


def _not_blank(png: Path) -> None:
    from PIL import Image
    img = Image.open(png).convert("RGB")
    assert img.width >= 1000 and img.height >= 1000
    colors = img.getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 50, "the screenshot is (nearly) one colour"
