"""`costbasis context import/list/show`: every real export in ../shared/data/context imports,
hand-computed values come out, each format's malformed variant fails with its line and writes nothing."""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from costbasis.context.catalog import list_series
from costbasis.context.formats import parse_file
from costbasis.context.importer import import_file
from costbasis.errors import CostbasisError
from costbasis.store import Store

DAY = 86400
JAN20 = int(datetime(2026, 1, 20, tzinfo=timezone.utc).timestamp())


def _context(shared: Path) -> Path:
    return shared / "context"


def _show(cli, cache, *args) -> list[dict]:
    p = cli("context", "show", *args, "--format", "json", cache=cache)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_every_real_export_imports(shared_data, tmp_path):
    store = Store(tmp_path / "cache")
    files = sorted(p for p in _context(shared_data).rglob("*") if p.suffix in (".csv", ".json"))
    assert len(files) >= 39
    for f in files:
        summary = import_file(store, f)
        assert summary["rows_in_file"] > 0, f.name
    listed = list_series(store)
    assert len(set(listed["series"].to_pylist())) == len(files)
    rows = {(r["series"], r["metric"]): r for r in listed.to_pylist()}
    kl = rows[("binance_um_btcusdt-1h", "net_taker_btc")]
    assert (kl["interval"], kl["agg"], kl["first"], kl["last"], kl["rows"]) == \
        ("1h", "sum", "2026-01-08 00:00", "2026-01-27 23:00", 480)
    assert rows[("coinglass_btc_aggregated_liquidation_history_4h", "long_liquidations_usd")]["interval"] == "4h"
    assert rows[("binance_um_btcusdt-fundingrate", "funding_rate_pct")]["interval"] == "8h"
    assert rows[("dxy_tvc_daily", "dxy")]["agg"] == "last"
    # the inventory text is not a series: one line, nothing stored
    with pytest.raises(CostbasisError, match="cannot tell the kind"):
        import_file(store, _context(shared_data) / "cryptoquant" / "BTC_Metrics.txt")


def test_hand_computed_values(shared_data, tmp_path, cli):
    ctx = _context(shared_data)
    cache = tmp_path / "cache"
    farside = ctx / "farside_btc_etf_flows_daily_2024-01-11_2026-04-10.csv"
    hourly = ctx / "binance_um_BTCUSDT-1h_2026-01-08_2026-01-27.csv"
    p = cli("context", "import", str(farside), str(hourly), cache=cache)
    assert p.returncode == 0, p.stderr
    rows = _show(cli, cache, "--metric", "etf_flow_total_usd,net_taker_btc,net_taker_usd",
                 "--from", "2026-01-20", "--to", "2026-01-21")
    assert [r["date"] for r in rows] == ["2026-01-20", "2026-01-21"]
    assert rows[0]["etf_flow_total_usd"] == pytest.approx(-479.7e6, abs=1)
    assert rows[1]["etf_flow_total_usd"] == pytest.approx(-708.7e6, abs=1)
    # independent: net taker = taker buy - (volume - taker buy), summed over the 24 hourly klines of Jan 20
    net_btc = net_usd = 0.0
    n = 0
    with hourly.open() as f:
        for r in csv.DictReader(f):
            t = int(r["open_time"]) // 1000
            if JAN20 <= t < JAN20 + DAY:
                buy, vol, q = float(r["taker_buy_base"]), float(r["volume"]), float(r["taker_buy_quote"])
                net_btc += buy - (vol - buy)
                net_usd += q - (vol - buy) * q / buy
                n += 1
    assert n == 24
    assert rows[0]["net_taker_btc"] == pytest.approx(net_btc, rel=1e-9)
    assert rows[0]["net_taker_usd"] == pytest.approx(net_usd, rel=1e-9)
    # holiday rows (blank funds, Total 0.0) are not sessions: 2026-01-19 (MLK day) is absent
    week = _show(cli, cache, "--metric", "etf_flow_total_usd", "--from", "2026-01-17", "--to", "2026-01-20")
    assert [r["date"] for r in week] == ["2026-01-20"]


def test_list_and_reimport_upserts(tmp_path, cli):
    cache = tmp_path / "cache"
    f = tmp_path / "dxy_daily.csv"
    f.write_text("date,open,high,low,close\n2026-01-20,99,99,98,98.559\n2026-01-21,98,99,98,98.79\n")
    assert cli("context", "import", str(f), cache=cache).returncode == 0
    f.write_text("date,open,high,low,close\n2026-01-21,98,99,98,98.80\n2026-01-22,98,99,98,98.267\n")
    p = cli("context", "import", str(f), "--format", "json", cache=cache)
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)[0]
    assert (s["series"], s["rows_added"], s["rows_updated"], s["rows_total"]) == ("dxy_daily", 1, 1, 3)
    rows = _show(cli, cache, "--metric", "dxy")
    assert [(r["date"], r["dxy"]) for r in rows] == [("2026-01-20", 98.559), ("2026-01-21", 98.80),
                                                     ("2026-01-22", 98.267)]
    listed = json.loads(cli("context", "list", "--format", "json", cache=cache).stdout)
    assert [(r["series"], r["metric"], r["interval"], r["first"], r["last"], r["rows"]) for r in listed] == \
        [("dxy_daily", "dxy", "1d", "2026-01-20", "2026-01-22", 3)]
    meta = json.loads(__import__("pyarrow.parquet", fromlist=["x"]).read_schema(
        cache / "context" / "dxy_daily.parquet").metadata[b"costbasis.context"])
    assert meta["kind"] == "index" and [i["file"] for i in meta["imports"]] == ["dxy_daily.csv"] * 2
    assert all(len(i["sha256"]) == 64 and i["imported_at"].endswith("Z") for i in meta["imports"])


def test_farside_copy_paste_form(tmp_path):
    f = tmp_path / "farside_paste.txt"
    f.write_text("Date\tIBIT\tFBTC\tGBTC\tTotal\n"
                 "Fee\t0.25%\t0.25%\t1.50%\t\n"
                 "11 Jan 2024\t111.7\t227.0\t(95.1)\t243.6\n"
                 "12 Jan 2024\t1,386.0\t-\t(484.1)\t901.9\n"
                 "15 Jan 2024\t-\t-\t-\t0.0\n"
                 "Total\t1,497.7\t227.0\t(579.2)\t1,145.5\n"
                 "Average\t748.9\t113.5\t(289.6)\t572.8\n")
    t = parse_file(f, "etf_flows").table.to_pylist()
    got = {(r["metric"], datetime.fromtimestamp(r["time"], timezone.utc).date().isoformat()): r["value"] for r in t}
    assert got == {("etf_flow_ibit_usd", "2024-01-11"): 111.7e6, ("etf_flow_fbtc_usd", "2024-01-11"): 227.0e6,
                   ("etf_flow_gbtc_usd", "2024-01-11"): -95.1e6, ("etf_flow_total_usd", "2024-01-11"): 243.6e6,
                   ("etf_flow_ibit_usd", "2024-01-12"): 1386.0e6, ("etf_flow_gbtc_usd", "2024-01-12"): -484.1e6,
                   ("etf_flow_total_usd", "2024-01-12"): 901.9e6}


def test_kline_layouts_agree(shared_data, tmp_path):
    """The 12-column archive file with its header, without it, and with µs open times give the same rows."""
    src = _context(shared_data) / "binance_um_BTCUSDT-1h-2025-04-15_vision12col.csv"
    lines = src.read_text().splitlines()
    headerless = tmp_path / "BTCUSDT-1h-2025-04-15.csv"
    headerless.write_text("\n".join(lines[1:]) + "\n")
    micro = tmp_path / "BTCUSDT-1h-2025-04-15-us.csv"
    micro.write_text("\n".join([lines[0]] + [r.split(",", 1)[0] + "000," + r.split(",", 1)[1] for r in lines[1:]]))
    a, b, c = (parse_file(p).table.drop_columns(["source"]) for p in (src, headerless, micro))
    assert a.equals(b) and a.equals(c) and a.num_rows == 24 * 13
    # with quote_volume the USD net taker is exact: 2 * taker_buy_quote - quote_volume
    rows = list(csv.DictReader(src.open()))
    exact = sum(2 * float(r["taker_buy_quote_volume"]) - float(r["quote_volume"]) for r in rows)
    usd = sum(r["value"] for r in a.to_pylist() if r["metric"] == "net_taker_usd")
    assert usd == pytest.approx(exact, rel=1e-9)


MALFORMED = {
    # name: (file name, content, line the error must name)
    "farside": ("farside_etf.csv", "Date,IBIT,GBTC,Total\n2026-01-20,-56.9,-160.8,-479.7\n2026-01-21,-356.6,abc,-708.7\n", 3),
    "farside_date": ("farside_etf.csv", "Date,IBIT,GBTC,Total\n2026-01-20,1,2,3\nJan twentieth,1,2,3\n", 3),
    "klines_12": ("BTCUSDT-1h.csv", "1744675200000,84553.9,84934.8,84303.0,84876.2,5182.873,1744678799999,438630207.6,102599,2864.45,242514243.9,0\n"
                  "1744678800000,84876.2,85103.2,84489.4,84947.1,5573.685,1744682399999,473053739.3,118673,6000.0,272536537.3,0\n", 2),
    "klines_8": ("BTCUSDT-1h-8.csv", "open_time,open,high,low,close,volume,taker_buy_base,taker_buy_quote\n"
                 "1767830400000,91328.1,91524.1,91037.9,91356.8,3127.591,1736.266,158464878.9\n"
                 "1767834000000,91356.8,91266.0,91259.0,91386.0,3274.232,1920.783,175641709.9\n", 3),
    "funding": ("BTCUSDT-fundingRate.csv", "funding_time,funding_interval_hours,funding_rate\n1764547200000,8,0.00003593\n"
                "yesterday,8,0.0001\n", 3),
    "coinglass_csv": ("coinglass_liquidation_4h.csv", "time,aggregated_long_liquidation_usd,aggregated_short_liquidation_usd\n"
                      "1747598400000,2469489.0,4688197.8\n1747612800000,-5,1730401.7\n", 3),
    "coinglass_json": ("coinglass_etf.json", '[\n {"timestamp": 1704931200000, "flow_usd": 655300000.0, "etf_flows": []},\n'
                       ' {"timestamp": "soon", "flow_usd": 1.0, "etf_flows": []}\n]\n', 3),
    "cryptoquant": ("cq_btc_long_liquidations_usd_day.csv", "Datetime,Long Liquidations USD\n2026-01-21T00:00:00Z,220083223.6\n"
                    "2026-01-20T00:00:00Z,-\n2026-01-32T00:00:00Z,1\n", 4),
    "index": ("dxy_daily.csv", "date,open,high,low,close\n2026-01-20,99,99,98,98.559\n2026-01-21,98,99,98,ninety\n", 3),
    "generic": ("mine.csv", "time,metric,value\n2026-01-20,my_metric,1\n2026-01-21,Bad Name,2\n", 3),
    "duplicate": ("dxy_dup.csv", "date,close\n2026-01-20,98.5\n2026-01-20,98.6\n", 3),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_rows_name_their_line_and_write_nothing(case, tmp_path):
    name, text, line = MALFORMED[case]
    f = tmp_path / name
    f.write_text(text)
    store = Store(tmp_path / "cache")
    with pytest.raises(CostbasisError, match=rf"{name} line {line}\b") as e:
        import_file(store, f)
    assert "\n" not in str(e.value)
    assert not (tmp_path / "cache").exists()


def test_cli_bad_file_among_several_writes_nothing(tmp_path, cli):
    good, bad = tmp_path / "dxy_daily.csv", tmp_path / "farside_etf.csv"
    good.write_text("date,close\n2026-01-20,98.5\n")
    bad.write_text("Date,IBIT,Total\n2026-01-20,(1.0),x\n")
    p = cli("context", "import", str(good), str(bad), cache=tmp_path / "cache")
    assert p.returncode == 1 and p.stderr.startswith("error: farside_etf.csv line 2:") and p.stderr.count("\n") == 1
    assert not (tmp_path / "cache" / "context").exists()
    p = cli("context", "import", str(good), "--kind", "klines", cache=tmp_path / "cache")
    assert p.returncode == 1 and "does not look like a Binance kline CSV" in p.stderr
    p = cli("context", "import", str(good), "--kind", "nope", cache=tmp_path / "cache")
    assert p.returncode == 2 and "unknown --kind" in p.stderr
    p = cli("context", "show", "--metric", "dxy", cache=tmp_path / "cache")
    assert p.returncode == 1 and "no context imported" in p.stderr


def test_import_help_says_how_usd_is_estimated(cli):
    p = cli("context", "import", "--help", env={"COLUMNS": "300"})
    assert p.returncode == 0
    text = " ".join(re.sub(r"[│╭╮╰╯─]", " ", p.stdout).split())
    assert "Without quote_volume" in text and "taker-buy average price" in text and "Example:" in text


def test_check_reports_a_damaged_series(tmp_path):
    from costbasis.store.check import check_store

    store = Store(tmp_path / "cache")
    f = tmp_path / "dxy_daily.csv"
    f.write_text("date,close\n2026-01-20,98.5\n")
    out = Path(import_file(store, f)["stored_at"])
    assert check_store(store).num_rows == 0
    out.write_bytes(b"not parquet")
    rows = check_store(store).to_pylist()
    assert [(r["part"], r["action"]) for r in rows] == [("context", "none: import it again")]
    with pytest.raises(CostbasisError, match="unreadable"):
        list_series(store)
