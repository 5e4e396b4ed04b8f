"""New labels or new clusters on the same chain: only what depends on them is rewritten (the rest of
the stored segments keep their files), committed once."""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from costbasis.engine.db import narrowed, script, sql_text
from costbasis.flows.stored.build import _coins_query, _drop_source_keys, _query, _source_keys, _write_sources
from costbasis.flows.stored.state import (FILES, HOURS, INDEX, LABEL_REDO_MAX, LABELS, META_KEY, SOURCES, TABLES,
                                          _file_stamp, _names, _next_gen, _seg_clusters, _seg_labels)
from costbasis.flows.stored.wallets import ClusterBalances, PrefixSums
from costbasis.flows.stored.write import _SELECT, _copy, _write_hours, _write_labels
from costbasis.store.derived import DerivedSet

def _redo_sources(con, ds: DerivedSet, state: dict, want: dict, files: dict, steps: dict, network: str) -> None:
    """New clusters: only deposit_sources depends on them, so only its segments are rewritten (names put
    in `files`), per stored range, from that range's stored exchange txs, its blocks' deposit inputs and
    members' events, and the balance indexes before it; exchange_txs, deposit_coins and the balances are kept."""
    t0 = time.perf_counter()
    gen = _next_gen(ds, state)
    wallets = ClusterBalances(con, [], 0)   # in height order from 0: the clusters' balances kept running
    for i, ((lo, hi), lab) in enumerate(zip(state["segments"], _seg_labels(state))):
        p = {"h_from": lo, "h_to": hi}
        con.execute("CREATE OR REPLACE TEMP TABLE exchange_txs AS SELECT * FROM read_parquet($f)",
                    {"f": str(ds.path / files["exchange_txs"][i])})
        _source_keys(con, p, [ds.path / f for f in files[INDEX][:i]], network, wallets)
        out = ds.path / f"{SOURCES}-{gen:08d}-{i}.parquet"
        _write_sources(con, p, out, _file_stamp(want, lo, hi, SOURCES, lab))
        wallets.advance(con, hi)
        files[SOURCES][i] = out.name
        con.execute("DROP TABLE exchange_txs")
        _drop_source_keys(con)
    ClusterBalances.drop(con)
    steps["sources"] = steps.get("sources", 0.0) + time.perf_counter() - t0


def _end_redo(con, *tables: str) -> None:
    """After one segment's redo: its temp tables (names of ours), the source-wallet tables and the
    clusters' balances looked up for that segment alone."""
    con.execute("; ".join(f"DROP TABLE {t}" for t in tables))
    _drop_source_keys(con)
    ClusterBalances.drop(con)


def _replace_rows(con, table: str, old_file, gone: str, new_rows: str, p: dict, out: Path, stamp: str) -> None:
    """Segment file `old_file` of `table` without the txs of temp table `gone` (a name of ours), plus the
    rows of query `new_rows` (binding `p`), written to `out`."""
    rows = (f"(SELECT * FROM read_parquet($f_old) ANTI JOIN {gone} USING (height, tx_index) "
            f"UNION ALL SELECT * FROM {new_rows})")
    query = _SELECT[table].format(src=rows)
    _copy(con, query, dict(p, f_old=str(old_file)), out, stamp)


def _changed_scripts(con, ds: DerivedSet, state: dict) -> bool:
    """Temp table label_changed (script): every script whose label was added, removed or moved to another
    entity since `state` was built. False (rebuild instead) when the stored labels are missing or not the
    state's, or when the change is too large (LABEL_REDO_MAX)."""
    old = ds.files(state, LABELS)
    try:
        if len(old) != 1 or (pq.read_schema(old[0]).metadata or {}).get(META_KEY, b"").decode() != state["labels"]:
            return False
    except (pa.ArrowException, OSError):
        return False
    con.execute("CREATE OR REPLACE TEMP TABLE label_changed AS "
                "SELECT coalesce(o.script, n.script) AS script, o.entity IS DISTINCT FROM n.entity AS changed "
                "FROM read_parquet($f) o FULL JOIN xlabels n ON o.script = n.script", {"f": str(old[0])})
    n_changed, n_all = con.execute("SELECT count(*) FILTER (WHERE changed), count(*) FROM label_changed").fetchone()
    con.execute("DELETE FROM label_changed WHERE NOT changed")
    return n_changed <= LABEL_REDO_MAX * n_all


def _redo_segments(con, ds: DerivedSet, state: dict, want: dict, files: dict, steps: dict, network: str,
                   relabel: bool, changes: Path | None, sources: bool = True) -> list[str] | None:
    """New labels and/or new clusters with their changes file, one pass per stored range.

    Labels (`relabel`): only the txs with an output or input among the changed scripts
    (sql/flows_touched_txs.sql) get their exchange rows recomputed (sql/flows_exchange_txs.sql over just
    those txs, engine/db.narrowed; a tx's rows depend on its own scripts' labels only); the other rows
    are kept. Clusters (`changes`: the scripts whose wallet changed, costbasis/store/digest.clusters_changes):
    the deposits with an input among them are recomputed. Of the deposit tables only these txs are
    redone, in one computation of their source wallets per range: the candidates the labels dropped
    removed, those they added and those of changed wallets computed (a deposit's rows depend on its own
    tx, the clusters and the balances only, sql/whales_source_*.sql). The balances never depend on
    either: kept. A range where nothing changed keeps its files (their stamps, in the per-segment label
    and cluster lists, name what they were written under: the same rows under both).
    `sources` False: deposit_sources is left to _redo_sources (new clusters without a changes file
    rewrite it whole). Puts the rewritten files' names in `files`; returns the new per-segment label
    stamps, or None when a rebuild is due (see _changed_scripts)."""
    t0 = time.perf_counter()
    if relabel and not _changed_scripts(con, ds, state):
        return None
    if changes is not None:
        con.read_parquet(str(changes)).create_view("cluster_changed", replace=True)
    gen = _next_gen(ds, state)
    seg_labels = list(_seg_labels(state))
    rewritten = redone = 0
    cand = "SELECT DISTINCT height, tx_index FROM {} WHERE direction = 'in' AND NOT from_exchange"
    # the deposit clusters' stored balances, carried from segment to segment (the indexes are kept)
    prefix = PrefixSums([ds.path / f for f in files[INDEX]])
    for i, (lo, hi) in enumerate(state["segments"]):
        p = {"h_from": lo, "h_to": hi}
        old = {t: str(ds.path / files[t][i]) for t in TABLES}
        touched = relabel and _touched_exchange_txs(con, lo, hi, old["exchange_txs"])
        if touched:   # the candidates the new labels drop (cand_gone) and add (cand_add)
            con.execute(f"CREATE OR REPLACE TEMP TABLE cand_gone AS {cand.format('xt_old')} EXCEPT {cand.format('xt_new')}")
            con.execute(f"CREATE OR REPLACE TEMP TABLE cand_add AS {cand.format('xt_new')} EXCEPT {cand.format('xt_old')}")
        else:
            con.execute("CREATE OR REPLACE TEMP TABLE cand_gone (height INTEGER, tx_index INTEGER); "
                        "CREATE OR REPLACE TEMP TABLE cand_add (height INTEGER, tx_index INTEGER)")
        # the kept candidates with an input whose wallet changed
        con.execute("CREATE OR REPLACE TEMP TABLE cand_wallet (height INTEGER, tx_index INTEGER)")
        if changes is not None:
            con.execute(f"INSERT INTO cand_wallet SELECT DISTINCT i.height, i.tx_index FROM inputs i "
                        f"SEMI JOIN cluster_changed c ON i.script = c.script "
                        f"SEMI JOIN ({cand.format('read_parquet($xt)')} EXCEPT SELECT * FROM cand_gone) d "
                        f"ON i.height = d.height AND i.tx_index = d.tx_index "
                        f"WHERE i.height BETWEEN $h_from AND $h_to", dict(p, xt=old["exchange_txs"]))
        wallets_changed = con.execute("SELECT count(*) FROM cand_wallet").fetchall()[0][0] > 0
        if not touched and not wallets_changed:
            con.execute("DROP TABLE cand_gone; DROP TABLE cand_add; DROP TABLE cand_wallet")
            continue
        # the deposits to compute (their exchange rows under the new labels) and the deposit rows that go
        new_rows = ("(SELECT * FROM read_parquet($xt) ANTI JOIN touched_txs USING (height, tx_index) "
                    "UNION ALL SELECT * FROM xt_new)") if touched else "read_parquet($xt)"
        con.execute(f"CREATE OR REPLACE TEMP TABLE exchange_txs AS SELECT * FROM {new_rows} "
                    f"SEMI JOIN (SELECT * FROM cand_add UNION ALL SELECT * FROM cand_wallet) r USING (height, tx_index)",
                    {"xt": old["exchange_txs"]})
        con.execute("CREATE OR REPLACE TEMP TABLE dep_gone AS SELECT * FROM cand_gone UNION ALL SELECT * FROM cand_wallet")
        _source_keys(con, p, [ds.path / f for f in files[INDEX][:i]], network, prefix=prefix)
        out = _names(ds, gen, i)
        lab = want["labels"] if touched else seg_labels[i]
        srcs = {"exchange_txs": "xt_new", SOURCES: "(" + _query(con, "whales_source_balances", p) + ")",
                "deposit_coins": "(" + _coins_query(con, p) + ")"}
        # a touched range's labelled files all carry the new labels' stamp; deposit_coins depend on the
        # chain only, so a change of wallets alone leaves them (recomputed alike in a touched range)
        for t in (TABLES if touched else ()) + ((SOURCES,) if not touched and wallets_changed else ()):
            if t == SOURCES and not sources:
                continue
            gone = "touched_txs" if t == "exchange_txs" else "dep_gone"
            _replace_rows(con, t, old[t], gone, srcs[t], p, out[t], _file_stamp(want, lo, hi, t, lab))
            files[t][i] = out[t].name
        if touched:
            _write_hours(con, out["exchange_txs"], out[HOURS], _file_stamp(want, lo, hi, HOURS))
            files[HOURS][i] = out[HOURS].name
            seg_labels[i] = want["labels"]
            rewritten += 1
            con.execute("DROP TABLE xt_new; DROP TABLE xt_old; DROP TABLE touched_txs")
        redone += wallets_changed
        _end_redo(con, "exchange_txs", "cand_gone", "cand_add", "cand_wallet", "dep_gone")
    if relabel:
        con.execute("DROP TABLE label_changed")
    if changes is not None:
        con.execute("DROP VIEW cluster_changed")
    steps["redo"] = steps.get("redo", 0.0) + time.perf_counter() - t0
    steps["label_segments"] = rewritten
    steps["source_segments"] = redone
    return seg_labels


def _touched_exchange_txs(con, lo: int, hi: int, old_file: str) -> bool:
    """Temp tables touched_txs (the txs of [lo, hi] a changed label touches), xt_new (their exchange rows
    under the new labels) and xt_old (their stored rows in `old_file`), when some touched tx's rows
    changed; False (nothing left behind) when none did."""
    script(con, "flows_touched_txs", {"h_lo": lo, "h_hi": hi})
    changed = False
    if con.execute("SELECT count(*) FROM touched_txs").fetchall()[0][0]:
        # DuckDB even under --engine spark: the touched txs are few, and this reads the narrowed views
        with narrowed(con, {"outputs": "touched_outputs", "inputs": "touched_inputs"}):
            con.execute(sql_text("flows_exchange_txs"), {"h_lo": lo, "h_hi": hi})
        con.execute("ALTER TABLE exchange_txs RENAME TO xt_new")
        con.execute("CREATE OR REPLACE TEMP TABLE xt_old AS SELECT * FROM read_parquet($f) "
                    "SEMI JOIN touched_txs USING (height, tx_index)", {"f": old_file})
        changed = con.execute("SELECT EXISTS (SELECT * FROM xt_new EXCEPT ALL SELECT * FROM xt_old) OR "
                              "EXISTS (SELECT * FROM xt_old EXCEPT ALL SELECT * FROM xt_new)").fetchone()[0]
        if not changed:
            con.execute("DROP TABLE xt_new; DROP TABLE xt_old")
    con.execute("DROP TABLE touched_outputs; DROP TABLE touched_inputs")
    if not changed:
        con.execute("DROP TABLE touched_txs")
    return changed


def _redo(con, ds: DerivedSet, state: dict, want: dict, relabel: bool, sources: bool, steps: dict,
          network: str, changes: Path | None = None) -> dict | None:
    """The stored segments brought to new labels and/or clusters, committed once (kill -9: redone next
    call); None when a rebuild is due instead. `changes`: the clusters' changes file leading from the
    state's clusters to the new ones (only the deposits it touches are redone), None: every deposit."""
    files = {t: [f.name for f in ds.files(state, t)] for t in FILES + (LABELS,)}
    seg_labels = _seg_labels(state)
    seg_clusters = list(_seg_clusters(state))
    partial = sources and changes is not None
    if relabel or partial:
        before = list(files[SOURCES])
        # one pass per range for new labels and the wallets of the changes file; every deposit's source
        # row is redone below instead when new clusters come without a changes file
        seg_labels = _redo_segments(con, ds, state, want, files, steps, network, relabel,
                                    changes if partial else None, sources=partial or not sources)
        if seg_labels is None:
            return None
        if relabel:
            files[LABELS] = [_write_labels(con, ds, _next_gen(ds, state), want["labels"])]
        seg_clusters = [want["clusters"] if f != b else c for f, b, c in zip(files[SOURCES], before, seg_clusters)]
    if sources and not partial:
        _redo_sources(con, ds, dict(state, seg_labels=seg_labels), want, files, steps, network)
        seg_clusters = [want["clusters"]] * len(seg_clusters)
    new_state = {k: v for k, v in state.items() if k not in ("tables", "sizes", "previous")}
    return ds.commit(dict(new_state, **want, seg_labels=seg_labels, seg_clusters=seg_clusters,
                          gen=_next_gen(ds, state)), lists=files, keep_previous=True)
