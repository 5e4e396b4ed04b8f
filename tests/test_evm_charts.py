"""`costbasis chart bands|urpd|whales --chain ethereum`: PNG charts from the account-model engine,
on the store test_evm_cli.py ingests from a real anvil node (4 blocks on 2020-01-02..05, ETH
prices 50, 100, 200, 150, 300 for 2020-01-01..05).

Each chart must be a PNG of the requested pixel size with drawing on it; bad options give
one-line errors. The data under the pictures is checked in test_evm_cli.py (same library calls).
"""

from __future__ import annotations

from datetime import date

import pytest

from support.anvil import anvil_factory  # noqa: F401
from tests.conftest import run_cli
from tests.test_charts import distinct_colors, png_size
from tests.test_evm_cli import ASOF, cli_error, world  # noqa: F401

pytestmark = pytest.mark.node   # a real node: anvil or the Bitcoin-Core-like RPC server


def chart(cache, tmp_path, kind, *args, size=(900, 520)):
    out = tmp_path / f"{kind}.png"
    p = run_cli("chart", kind, "--chain", "ethereum", "--out", str(out), "--width", str(size[0]),
                "--height", str(size[1]), *args, cache=cache)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == f"wrote {out}"
    assert png_size(out) == size
    assert distinct_colors(out) > 20   # lines, bars and text, not a blank canvas
    return out


def test_evm_bands_chart(world, tmp_path):
    _, _, cache, _ = world
    chart(cache, tmp_path, "bands", "--from", "2020-01-02", "--to", ASOF, "--window", "5")
    (tmp_path / "fifo").mkdir()
    chart(cache, tmp_path / "fifo", "bands", "--window", "5", "--method", "fifo", size=(640, 400))


def test_evm_urpd_chart(world, tmp_path):
    s, _, cache, _ = world
    chart(cache, tmp_path, "urpd", "--asof", ASOF, "--window", "5")
    (tmp_path / "fifo").mkdir()
    chart(cache, tmp_path / "fifo", "urpd", "--asof", ASOF, "--window", "5", "--method", "fifo")
    (tmp_path / "tok").mkdir()
    chart(cache, tmp_path / "tok", "urpd", "--asof", ASOF, "--window", "5", "--token", s.token, "--asset", "TKN",
          "--span", "10")


def test_evm_urpd_chart_after_the_last_block(world, tmp_path):
    """Like `cohorts --asof`: a day after the last block (2020-01-05) is computed (holdings keep
    ageing); it needs a price for that day or --price."""
    _, _, cache, _ = world
    chart(cache, tmp_path, "urpd", "--asof", "2020-01-09", "--window", "5", "--price", "250")
    msg = cli_error(cache, "chart", "urpd", "--chain", "ethereum", "--asof", "2020-01-09", "--window", "5",
                    "--out", str(tmp_path / "u.png"))
    assert "no price for 2020-01-09" in msg and "--price" in msg


def test_evm_whales_chart(world, tmp_path):
    _, _, cache, has_labels = world
    if not has_labels:
        pytest.skip("real exchange labels not found under ../shared/data/labels")
    chart(cache, tmp_path, "whales", "--min-amount", "1", "--whale-amount", "1000", "--window", "2")
    (tmp_path / "usd").mkdir()
    chart(cache, tmp_path / "usd", "whales", "--min-usd", "500", "--window", "2")


def test_evm_chart_errors_are_one_line(world, tmp_path):
    s, _, cache, _ = world
    out = str(tmp_path / "c.png")
    ev = ("--chain", "ethereum", "--out", out)
    assert "--method must be avg or fifo" in cli_error(cache, "chart", "urpd", *ev, "--method", "lifo")
    assert "--asset" in cli_error(cache, "chart", "bands", *ev, "--token", s.token)
    assert "malformed date '20200105'" in cli_error(cache, "chart", "urpd", *ev, "--asof", "20200105")
    assert "after today" in cli_error(cache, "chart", "urpd", *ev, "--asof", f"{date.today().year + 1}-01-01")
    assert "--min-btc" in cli_error(cache, "chart", "whales", *ev, "--min-btc", "5")
    assert "not both" in cli_error(cache, "chart", "whales", *ev, "--min-amount", "5", "--min-usd", "9")
    # EVM-only options on the Bitcoin chain that sits next to it
    for kind, opt in (("bands", ("--method", "fifo")), ("urpd", ("--token", s.token)),
                      ("whales", ("--min-amount", "5"))):
        msg = cli_error(cache, "chart", kind, "--chain", "bitcoin-regtest", "--out", out, *opt)
        assert f"{opt[0]} works only on EVM chains" in msg
    assert not (tmp_path / "c.png").exists()
