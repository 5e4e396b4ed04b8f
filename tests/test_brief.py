"""`costbasis brief` on the demo store, with the real context imported and without any context:
every sentence's number is the engine's (recomputed here), missing data drops the sentence and is
null in JSON. Also `--with` on flows/whales and the whale-deposit event study on the same store."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest

from costbasis.demo.run import run_demo
from costbasis.store import Store

END = "2026-01-22"
CONTEXT_KEYS = ("liquidations", "etf_flows", "net_taker", "funding", "dxy")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("brief_demo") / "out"
    return run_demo(out, seed=7, days=60, progress=False, log=lambda m: None)


@pytest.fixture(scope="module")
def bare_cache(demo, tmp_path_factory):
    """The same store without its context series."""
    cache = tmp_path_factory.mktemp("bare") / "cache"
    shutil.copytree(demo.cache, cache)
    shutil.rmtree(cache / "context")
    return cache


def _brief(cli, cache, *args) -> dict:
    p = cli("brief", "--asof", END, "--format", "json", *args, cache=cache)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_brief_without_context_drops_the_context_sentences(bare_cache, cli):
    b = _brief(cli, bare_cache)
    assert all(b[k] is None for k in CONTEXT_KEYS)
    assert [s["topic"] for s in b["sentences"]] == ["price", "cost_basis", "levels", "whales", "netflow"]
    # the on-chain figures are the engine's
    from costbasis.engine.bitcoin.cohorts import cohort_series
    from costbasis.flows.flows import exchange_flows
    from costbasis.flows.whales import whale_signals

    store = Store(bare_cache)
    rows = {r["cohort"]: r for r in cohort_series(store, asof=END).to_pylist()}
    assert b["cost_basis"]["1w-1m"] == rows["1w-1m"]["realized_price_usd"]
    assert b["cost_basis"]["sth_realized_price_usd"] == rows["sth"]["realized_price_usd"]
    assert b["price"]["usd"] == rows["all"]["price_usd"]
    w = whale_signals(store, date_from="2026-01-16", date_to=END).to_pylist()
    top = max(w, key=lambda r: r["whale_deposit_usd"])
    assert b["whales"]["largest_7d"] == {"date": top["date"].isoformat(), "usd": top["whale_deposit_usd"],
                                         "btc": top["whale_deposit_btc"]}
    assert b["whales"]["zscore"] == w[-1]["zscore"]
    f = exchange_flows(store, date_from=END, date_to=END).to_pylist()[0]
    assert b["netflow"]["btc"] == f["netflow_btc"]
    text = cli("brief", "--asof", END, cache=bare_cache).stdout
    assert text.startswith(f"Market brief {END} (bitcoin-regtest)\n")
    assert "ETF" not in text and "DXY" not in text and "[prices/BTC]" in text
    assert f"${rows['sth']['realized_price_usd']:,.0f}" in text


def test_brief_with_the_real_context(demo, shared_data, cli):
    assert demo.context.endswith("context")  # the real files were imported, not a simulation
    b = _brief(cli, demo.cache)
    e = b["etf_flows"]
    assert [(s["date"], round(s["usd"] / 1e6, 1)) for s in e["sessions"]] == [("2026-01-21", -708.7), ("2026-01-22", -32.2)]
    assert e["total_usd"] == pytest.approx(-740.9e6, abs=1) and "farside" in e["source"]
    assert b["dxy"]["value"] == pytest.approx(98.267) and b["dxy"]["prev_value"] == pytest.approx(98.79)
    assert b["liquidations"]["long_usd"] == pytest.approx(180680918, abs=1)   # CryptoQuant 2026-01-22
    assert b["net_taker"]["btc"] == pytest.approx(-949.01, abs=0.01)            # Binance hourly, summed
    assert b["funding"]["interval"] == "8h"
    topics = [s["topic"] for s in b["sentences"]]
    assert topics[-5:] == list(CONTEXT_KEYS)
    assert all(s["source"] for s in b["sentences"])
    md = cli("brief", "--asof", "2026-01-20", "--format", "markdown", cache=demo.cache).stdout
    assert md.startswith("## Market brief 2026-01-20") and "−$479.7M on 2026-01-20" in md and "_[context " in md
    # the demo printed the same brief for its last day
    assert demo.brief == cli("brief", "--asof", END, cache=demo.cache).stdout


def test_brief_errors(demo, cli, tmp_path):
    p = cli("brief", "--asof", "2026-13-01", cache=demo.cache)
    assert p.returncode == 2 and "malformed date" in p.stderr and p.stderr.count("\n") == 1
    p = cli("brief", "--format", "pdf", cache=demo.cache)
    assert p.returncode == 2 and "unknown --format" in p.stderr
    p = cli("brief", cache=tmp_path / "empty")
    assert p.returncode == 1 and p.stderr.startswith("error: ")


def test_with_on_flows_and_whales(demo, shared_data, cli):
    # the real context files (../shared): Farside and CoinGlass both have etf_flow_total_usd
    p = cli("flows", "--with", "etf_flow_total_usd", cache=demo.cache)
    assert p.returncode == 1 and "several series have it" in p.stderr and "farside_btc_etf_flows_daily" in p.stderr
    etf = "farside_btc_etf_flows_daily.etf_flow_total_usd"
    p = cli("flows", "--from", "2026-01-18", "--to", END, "--with", f"{etf},dxy", "--format", "json",
            cache=demo.cache)
    assert p.returncode == 0, p.stderr
    rows = {r["date"]: r for r in json.loads(p.stdout)}
    assert rows["2026-01-20"][etf] == pytest.approx(-479.7e6, abs=1)
    assert rows["2026-01-18"][etf] is None   # a Sunday: no session, null not 0
    assert rows["2026-01-19"]["dxy"] is None and rows["2026-01-20"]["dxy"] == pytest.approx(98.559)
    liq = "cq_btc_long_liquidations_usd_all_exchanges_all_symbol_day.long_liquidations_usd"
    p = cli("whales", "--from", "2026-01-14", "--to", END, "--with", liq, "--format", "json", cache=demo.cache)
    assert p.returncode == 0, p.stderr
    rows = {r["date"]: r for r in json.loads(p.stdout)}
    assert rows["2026-01-20"][liq] == pytest.approx(543865635.67, abs=1)
    p = cli("whales", "--list", "--with", "dxy", cache=demo.cache)
    assert p.returncode == 2 and "not with --list" in p.stderr


def test_whale_deposit_event_study(demo, cli):
    from costbasis.flows.whales import whale_signals

    p = cli("events", "--signal", "whale_deposit", "--horizons", "1,2", "--from", "2026-01-01", "--list",
            "--format", "json", cache=demo.cache)
    assert p.returncode == 0, p.stderr
    listed = json.loads(p.stdout)
    w = whale_signals(Store(demo.cache), date_from="2026-01-01", date_to=END).to_pylist()
    sig = [r["date"].isoformat() for r in w if r["signal"]]
    assert sorted({r["date"] for r in listed}) == [d for d in sig if date.fromisoformat(d) <= date(2026, 1, 21)]
    prices = {r["date"].isoformat(): r["price_usd"] for r in
              __import__("costbasis.prices", fromlist=["x"]).load_prices(Store(demo.cache)).to_pylist()}
    for r in listed:
        d = date.fromisoformat(r["date"])
        later = date.fromordinal(d.toordinal() + r["horizon_days"]).isoformat()
        assert r["return_pct"] == pytest.approx((prices[later] / prices[r["date"]] - 1) * 100)


def test_chart_context(demo, bare_cache, cli, tmp_path):
    for cache, name in ((demo.cache, "with.png"), (bare_cache, "without.png")):
        p = cli("chart", "context", "--from", "2025-12-20", "--to", END, "--out", str(tmp_path / name), cache=cache)
        assert p.returncode == 0, p.stderr
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert (tmp_path / "with.png").stat().st_size > (tmp_path / "without.png").stat().st_size  # bars drawn
