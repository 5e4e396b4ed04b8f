"""`costbasis labels import|list`: the real labels file, and bad files with line-numbered errors."""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import run_cli
from costbasis.labels.dataset import read_labels
from costbasis.store import Store

# Independent vectors: BIP-173 P2WPKH example and the well-known P2PKH/P2SH examples.
P2WPKH = ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "0014751e76e8199196d454941c45d1b3a323f1433bd6")
P2PKH = ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "76a91477bff20c60e522dfaa3350c39b030a5d004e839a88ac")
P2SH = ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb87")
ETH_OK = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"      # EIP-55 test vector
ETH_BAD = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"     # last letter's case flipped


def write_csv(path, rows, header="chain,address,entity,label_type,note"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def test_real_labels_file_imports(tmp_path, shared_data):
    src = shared_data / "labels" / "exchange_address_labels.csv"
    with open(src, newline="") as f:
        rows = list(csv.DictReader(f))
    n_btc = sum(r["chain"] == "bitcoin" for r in rows)
    n_eth = sum(r["chain"] == "ethereum" for r in rows)
    p = run_cli("labels", "import", str(src), cache=tmp_path, check=True)
    assert f"imported {len(rows)} labels" in p.stdout and "skipped 0" in p.stdout
    t = read_labels(Store(tmp_path))
    assert t.num_rows == len(rows)
    btc = t.filter(pa.compute.equal(t["chain"], "bitcoin"))
    assert btc.num_rows == n_btc == 1942 and n_eth == 617
    assert btc["script"].null_count == 0
    # extra columns kept
    assert {"source", "checksum_ok"} <= set(t.column_names)
    # scripts have the shape of the address type (independent of the decoder)
    for a, s in zip(btc["address"].to_pylist(), btc["script"].to_pylist()):
        if a.startswith("1"):
            assert len(s) == 25 and s[:3] == b"\x76\xa9\x14", a
        elif a.startswith("3"):
            assert len(s) == 23 and s[:2] == b"\xa9\x14", a
        elif a.lower().startswith("bc1q"):
            assert s[0] == 0 and len(s) in (22, 34), a
        elif a.lower().startswith("bc1p"):
            assert s[:2] == b"\x51\x20", a
    p = run_cli("labels", "list", "--entity", "binance", "--chain", "bitcoin", "--format", "json", cache=tmp_path, check=True)
    listed = json.loads(p.stdout)
    want = sum(r["chain"] == "bitcoin" and r["entity"].lower() == "binance" for r in rows)
    assert len(listed) == want > 0 and all(r["entity"].lower() == "binance" for r in listed)


def test_known_vectors_and_evm(tmp_path):
    f = write_csv(tmp_path / "l.csv", [f"bitcoin,{P2WPKH[0]},A,exchange,x", f"bitcoin,{P2PKH[0]},B,exchange,y",
                                       f"bitcoin,{P2SH[0]},C,exchange,z", f"ethereum,{ETH_OK},D,exchange,w"])
    run_cli("labels", "import", str(f), cache=tmp_path / "c", check=True)
    t = read_labels(Store(tmp_path / "c"))
    got = dict(zip(t["address"].to_pylist(), t["script"].to_pylist()))
    assert got[P2WPKH[0]].hex() == P2WPKH[1]
    assert got[P2PKH[0]].hex() == P2PKH[1]
    assert got[P2SH[0]].hex() == P2SH[1]
    assert got[ETH_OK.lower()] is None
    assert t["note"].to_pylist() == ["x", "y", "z", "w"]


def test_bad_file_reports_lines_and_imports_nothing(tmp_path):
    cache = tmp_path / "c"
    good = write_csv(tmp_path / "good.csv", [f"bitcoin,{P2PKH[0]},B,exchange,y"])
    run_cli("labels", "import", str(good), cache=cache, check=True)
    before = read_labels(Store(cache))
    bad_b58 = P2PKH[0][:-1] + ("3" if P2PKH[0][-1] != "3" else "4")
    bad_bech = P2WPKH[0][:-1] + ("5" if P2WPKH[0][-1] != "5" else "6")
    f = write_csv(tmp_path / "bad.csv", [
        f"bitcoin,{P2SH[0]},C,exchange,ok",        # line 2
        f"bitcoin,{bad_b58},X,exchange,bad",       # line 3
        f"ethereum,{ETH_OK},D,exchange,ok",        # line 4
        f"bitcoin,{bad_bech},Y,exchange,bad",      # line 5
        f"ethereum,{ETH_BAD},Z,exchange,bad",      # line 6
        "ethereum,0x1234,Q,exchange,bad",          # line 7
    ])
    p = run_cli("labels", "import", str(f), cache=cache)
    assert p.returncode != 0 and "Traceback" not in p.stderr
    err = p.stderr
    assert "4 invalid row(s), nothing imported" in err
    for line in (3, 5, 6, 7):
        assert f"line {line}:" in err
    for line in (2, 4):
        assert f"line {line}:" not in err
    assert "EIP-55" in err and "checksum" in err
    assert read_labels(Store(cache)).equals(before)            # nothing imported

    p = run_cli("labels", "import", str(f), "--skip-invalid", cache=cache, check=True)
    assert "imported 2 labels" in p.stdout and "skipped 4" in p.stdout
    assert "skipped line 3:" in p.stderr and "skipped line 7:" in p.stderr
    t = read_labels(Store(cache))
    assert sorted(t["entity"].to_pylist()) == ["B", "C", "D"]


def test_malformed_files(tmp_path):
    f = tmp_path / "nocol.csv"
    f.write_text("chain,address,entity\nbitcoin,x,y\n")
    p = run_cli("labels", "import", str(f), cache=tmp_path / "c")
    assert p.returncode != 0 and "missing column(s) label_type" in p.stderr
    f = tmp_path / "ragged.csv"
    f.write_text(f"chain,address,entity,label_type\nbitcoin,{P2PKH[0]},B,exchange\nbitcoin,{P2SH[0]},C\n")
    p = run_cli("labels", "import", str(f), cache=tmp_path / "c")
    assert p.returncode != 0 and "line 3" in p.stderr and "Traceback" not in p.stderr
    f = tmp_path / "empty.csv"
    f.write_text(f"chain,address,entity,label_type\nbitcoin,,B,exchange\n")
    p = run_cli("labels", "import", str(f), cache=tmp_path / "c")
    assert p.returncode != 0 and "line 2" in p.stderr
    p = run_cli("labels", "import", str(tmp_path / "missing.csv"), cache=tmp_path / "c")
    assert p.returncode != 0 and "not found" in p.stderr


def test_parquet_input_with_row_lines(tmp_path):
    f = tmp_path / "l.parquet"
    pq.write_table(pa.table({"chain": ["bitcoin", "bitcoin"], "address": [P2SH[0], P2PKH[0][:-1] + "3"],
                             "entity": ["C", "X"], "label_type": ["exchange", "exchange"], "tag": ["t1", "t2"]}), f)
    p = run_cli("labels", "import", str(f), cache=tmp_path / "c")
    assert p.returncode != 0 and "line 3:" in p.stderr
    run_cli("labels", "import", str(f), "--skip-invalid", cache=tmp_path / "c", check=True)
    t = read_labels(Store(tmp_path / "c"))
    assert t["address"].to_pylist() == [P2SH[0]] and t["tag"].to_pylist() == ["t1"]


def test_reimport_replaces_same_address(tmp_path):
    cache = tmp_path / "c"
    run_cli("labels", "import", str(write_csv(tmp_path / "a.csv", [f"bitcoin,{P2SH[0]},Old,exchange,1"])),
            cache=cache, check=True)
    run_cli("labels", "import", str(write_csv(tmp_path / "b.csv", [f"bitcoin,{P2SH[0]},New,exchange,2",
                                                                     f"bitcoin,{P2PKH[0]},B,exchange,3"])),
            cache=cache, check=True)
    t = read_labels(Store(cache))
    assert sorted(zip(t["address"].to_pylist(), t["entity"].to_pylist())) == sorted([(P2SH[0], "New"), (P2PKH[0], "B")])


@pytest.mark.parametrize("cmd", [["labels", "import"], ["labels", "list"], ["labels", "expand"], ["flows"], ["whales"]])
def test_help_has_example(cmd):
    p = run_cli(*cmd, "--help", check=True)
    assert "Example:" in p.stdout
