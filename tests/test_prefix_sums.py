"""flows/stored/wallets.PrefixSums (a redo's deposit clusters' stored balances carried from segment to
segment) against a fresh lookup per segment (balance_index.balances_by over the segment's first i
indexes, what each segment of a redo did before): clusters that deposit in every segment, clusters
first seen late, clusters seen, skipped and seen again, and a segment with no indexes before it."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from costbasis.engine.db import register_script_key2
from costbasis.flows.balance_index import balances_by, write_index
from costbasis.flows.stored.wallets import PrefixSums


def test_carried_sums_equal_a_fresh_lookup_per_segment(tmp_path):
    rng = np.random.default_rng(3)
    con = duckdb.connect()
    register_script_key2(con)
    scripts = [f"script-{i}".encode() for i in range(400)]
    cluster = rng.integers(0, 40, len(scripts))            # 40 clusters of ~10 scripts
    con.register("clusters", pa.table({"script": pa.array(scripts, pa.binary()),
                                       "cluster": pa.array(cluster, pa.int64())}))
    indexes = []
    for j in range(6):                                      # one balance index per segment
        some = rng.random(len(scripts)) < 0.5
        con.register("changes", pa.table({"script": pa.array([s for s, k in zip(scripts, some) if k], pa.binary()),
                                          "delta": pa.array(rng.integers(-10**6, 10**6, int(some.sum())), pa.int64())}))
        out = tmp_path / f"balance_index-{j}.i64"
        write_index(con, "SELECT hash(script) AS key, script_key2(script) AS key2, delta FROM changes "
                         "ORDER BY key, key2", {}, out, f"segment {j}")
        con.unregister("changes")
        indexes.append(out)
    prefix = PrefixSums(indexes)
    always = {0, 1}
    for i in range(7):                                      # segment i's deposits: indexes [0, i) before it
        clusters = always | set(int(c) for c in rng.choice(40, 8, replace=False))
        if i == 4:
            clusters = always                               # the others skipped here, seen again later
        con.register("dep_keys", pa.table({"cluster": pa.array(sorted(clusters) + [None], pa.int64())}))
        ids, sums = prefix.balances(con, i)
        want_ids, want = balances_by(con, indexes[:i], "SELECT c.cluster AS grp, c.script FROM clusters c "
                                                       "SEMI JOIN dep_keys d ON d.cluster = c.cluster")
        assert list(ids) == sorted(clusters)
        got = dict(zip(ids.tolist(), sums.tolist()))
        assert {c: got[c] for c in want_ids.tolist()} == dict(zip(want_ids.tolist(), want.tolist()))
        assert all(got[c] == 0 for c in set(got) - set(want_ids.tolist()))   # none before the first index
        con.unregister("dep_keys")
