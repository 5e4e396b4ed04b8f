"""A simulated market context for the demo window, written as the real exports are (Farside ETF
table, Binance 8-column hourly klines and funding, CryptoQuant liquidation exports newest first,
a DXY close file) so the demo imports it through the same parsers as real files.

Used when no real context folder is present. Shape only: ETF outflows and long liquidations on
down days, net taker selling into the final drop, the dollar index drifting below 98.
"""

from __future__ import annotations

import csv
import math
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from costbasis.demo.scenario import Scenario, price_path

KLINE_DAYS = 14


def _ts(d: date, hour: int = 0) -> int:
    return int(datetime(d.year, d.month, d.day, hour, tzinfo=timezone.utc).timestamp())


def _write(path: Path, header: list[str], rows) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_simulated_context(folder: Path, sc: Scenario) -> list[Path]:
    rng = np.random.default_rng(sc.seed + 14)
    folder.mkdir(parents=True, exist_ok=True)
    prices = {d: p for d, p in price_path(sc) if d >= sc.start - timedelta(days=1)}
    days = [d for d in sorted(prices) if d >= sc.start]
    ret = {d: prices[d] / prices[d - timedelta(days=1)] - 1 for d in days}
    out = []

    etf = []
    for d in days:
        if d.weekday() >= 5:
            continue  # ETFs trade on weekdays only
        total = 9000 * ret[d] + rng.normal(0, 120)
        ibit, fbtc = total * 0.55 + rng.normal(0, 20), total * 0.3 + rng.normal(0, 10)
        gbtc = total - ibit - fbtc
        etf.append([d.isoformat()] + [f"{v:.1f}" for v in (ibit, fbtc, gbtc)] + [f"{ibit + fbtc + gbtc:.1f}"])
    out.append(_write(folder / "farside_sim_btc_etf_flows_daily.csv", ["Date", "IBIT", "FBTC", "GBTC", "Total"], etf))

    liq = {d: (abs(rng.normal(60e6, 20e6)) + max(-ret[d], 0) * 8e9, abs(rng.normal(40e6, 15e6)) + max(ret[d], 0) * 6e9)
           for d in days}
    for i, side in enumerate(("Long", "Short")):
        rows = [[f"{d.isoformat()}T00:00:00Z", f"{liq[d][i]:.2f}"] for d in reversed(days)]  # newest first
        out.append(_write(folder / f"cq_sim_btc_{side.lower()}_liquidations_usd_day.csv",
                          ["Datetime", f"{side} Liquidations USD"], rows))

    klines, prev = [], prices[days[-KLINE_DAYS] - timedelta(days=1)]
    for d in days[-KLINE_DAYS:]:
        for h in range(24):
            close = prev * math.exp(math.log(prices[d] / prev) / (24 - h) + rng.normal(0, 0.003))
            if h == 23:
                close = prices[d]
            vol = abs(rng.normal(3000, 800))
            share = min(max(0.5 + 12 * math.log(close / prev) + rng.normal(0, 0.02), 0.05), 0.95)
            hi, lo = max(prev, close) * (1 + abs(rng.normal(0, 0.002))), min(prev, close) * (1 - abs(rng.normal(0, 0.002)))
            buy = vol * share
            klines.append([_ts(d, h) * 1000, f"{prev:.1f}", f"{hi:.1f}", f"{lo:.1f}", f"{close:.1f}", f"{vol:.3f}",
                           f"{buy:.3f}", f"{buy * (prev + close) / 2:.5f}"])
            prev = close
    out.append(_write(folder / "binance_sim_BTCUSDT-1h.csv", ["open_time", "open", "high", "low", "close", "volume",
                                                                "taker_buy_base", "taker_buy_quote"], klines))

    funding = [[_ts(d, h) * 1000, 8, f"{0.0001 * (1 + 20 * ret[d]) + rng.normal(0, 0.00002):.8f}"]
               for d in days for h in (0, 8, 16)]
    out.append(_write(folder / "binance_sim_BTCUSDT-fundingRate.csv",
                      ["funding_time", "funding_interval_hours", "funding_rate"], funding))

    dxy = [[d.isoformat(), f"{99.4 - 1.6 * i / len(days) + rng.normal(0, 0.12):.3f}"]
           for i, d in enumerate(days) if d.weekday() < 5]
    out.append(_write(folder / "dxy_sim_daily.csv", ["date", "close"], dxy))
    return out
