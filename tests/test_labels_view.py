"""The exchange labels as a DuckDB view (labels.dataset.register_exchange_labels): the rows an
independent reference of the rule picks (exchange_scripts reads the same view), a content
fingerprint cached per labels file, and a pinned file per connection."""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa

from costbasis.labels.dataset import FINGERPRINTS, exchange_scripts, register_exchange_labels, write_labels
from costbasis.store import Store

ROWS = [  # chain, address, entity, label_type, script, heuristic
    ("bitcoin", "a1", "ExB", "exchange", b"\x01", "sweep"),
    ("bitcoin", "a1", "ExA", "exchange", b"\x01", "import"),        # the imported label wins
    ("bitcoin", "a2", "ExC", "exchange_deposit", b"\x02", "sweep"),
    ("bitcoin", "a2", "ExB", "exchange", b"\x02", "common_input"),  # then the first entity
    ("bitcoin", "a3", "ExA", "exchange", b"\x03", None),
    ("bitcoin", "a4", "Fund", "fund", b"\x04", "import"),           # not an exchange
    ("bitcoin", "a5", "ExA", "exchange", None, "import"),           # no script
    ("bitcoin-regtest", "r1", "ExZ", "exchange", b"\x01", "import"),  # another chain
]


def _store(tmp_path, rows=ROWS) -> Store:
    store = Store(tmp_path / "c")
    cols = list(zip(*rows))
    write_labels(store, pa.table({
        "chain": pa.array(cols[0], pa.string()), "address": pa.array(cols[1], pa.string()),
        "entity": pa.array(cols[2], pa.string()), "label_type": pa.array(cols[3], pa.string()),
        "script": pa.array(cols[4], pa.binary()), "heuristic": pa.array(cols[5], pa.string()),
        "derived_from": pa.nulls(len(rows), pa.string())}))
    return store


def _view(con) -> list[tuple]:
    return con.execute("SELECT script, entity, address, label_type, heuristic FROM xlabels ORDER BY script").fetchall()


def _reference(rows, chain: str, imported_only: bool) -> list[tuple]:
    """The rule, written out: exchange rows of `chain` with a script; per script the imported label,
    then a derived one, then one without a heuristic; ties by entity, then the file's order."""
    rank = {"import": 0, None: 2}
    keep = [(i, r) for i, r in enumerate(rows) if r[0] == chain and r[4] is not None and r[3].startswith("exchange")
            and (not imported_only or r[5] == "import")]
    best = {}
    for i, r in sorted(keep, key=lambda x: (rank.get(x[1][5], 1), x[1][2], x[0])):
        best.setdefault(r[4], (r[4], r[2], r[1], r[3], r[5]))
    return [best[s] for s in sorted(best)]


def test_view_has_the_rows_the_rule_picks(tmp_path):
    store = _store(tmp_path)
    for imported_only in (False, True):
        con = duckdb.connect()
        fp, n = register_exchange_labels(con, store, "bitcoin", imported_only=imported_only)
        ref = _reference(ROWS, "bitcoin", imported_only)
        assert _view(con) == ref and n == len(ref) == (1 if imported_only else 3)
        assert [tuple(r.values()) for r in exchange_scripts(store, "bitcoin", imported_only).to_pylist()] == ref


def test_fingerprint_follows_the_content_not_the_file(tmp_path):
    store = _store(tmp_path)
    fp, _ = register_exchange_labels(duckdb.connect(), store, "bitcoin")
    cache = json.loads((store.root / "labels" / FINGERPRINTS).read_text())
    assert [v[0] for v in cache["digests"].values()] == [fp]
    # the same labels in another order, rewritten: another file, the same fingerprint
    store2 = _store(tmp_path / "b", list(reversed(ROWS)))
    assert register_exchange_labels(duckdb.connect(), store2, "bitcoin")[0] == fp
    # a label of a script flows count changes: another fingerprint; a non-exchange row does not count
    changed = [r if r[1] != "a3" else (*r[:2], "ExD", *r[3:]) for r in ROWS]
    assert register_exchange_labels(duckdb.connect(), _store(tmp_path / "d", changed), "bitcoin")[0] != fp
    extra = ROWS + [("bitcoin", "a9", "Fund", "fund", b"\x09", "import")]
    assert register_exchange_labels(duckdb.connect(), _store(tmp_path / "e", extra), "bitcoin")[0] == fp


def test_a_connection_keeps_reading_the_labels_it_opened(tmp_path):
    store = _store(tmp_path)
    con = duckdb.connect()
    register_exchange_labels(con, store, "bitcoin")
    before = _view(con)
    _store(tmp_path, ROWS[:1])          # labels replaced (atomic rename) while the connection is open
    assert _view(con) == before
    pins = list((store.root / "labels").glob(".labels-pin-*"))
    assert len(pins) == 1
    del con
    assert not pins[0].exists()         # unlinked with the connection
    con = duckdb.connect()
    register_exchange_labels(con, store, "bitcoin")
    assert len(_view(con)) == 1


def test_no_labels_file_gives_an_empty_view(tmp_path):
    con = duckdb.connect()
    assert register_exchange_labels(con, Store(tmp_path / "none"), "bitcoin") == ("empty", 0)
    assert _view(con) == []
