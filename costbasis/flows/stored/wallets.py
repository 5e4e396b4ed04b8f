"""Source-wallet balances during a flow-table build: a clustered wallet's balance is its cluster's,
kept running from step to step, so no step lists or looks up a cluster's members one by one.

Before: every step expanded each depositing cluster into its member scripts, looked each up in every
balance index and joined the step's blocks against them; a big cluster deposits in every step, so a
step cost the clustered scripts, and a build the chain times the steps (labels expand x2.5 per
doubling). Now a step reads its own blocks' rows of clustered scripts once (sql/whales_range_clustered.sql:
the range is the hash side, the build's clusters are probed) and:
- the wallets' events inside the step are their clusters' rows of that table;
- the balance before the step is temp table `cluster_base` (cluster, balance): looked up once per call
  from the stored balance indexes (the members of the clusters the call can need; none for a build
  from height 0) and advanced by each step's rows (sql/whales_cluster_base_advance.sql).
A build that is not a sweep in height order (new labels redoing a few segments) starts a
ClusterBalances per segment for the clusters of that segment's new deposits only, their stored sums
carried from the redo's earlier segments (PrefixSums: each index searched once per cluster).
Unclustered wallets (one script) are looked up in the indexes per step as before: one lookup each.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from costbasis.engine.db import register_arrow, sql_text
from costbasis.engine.spark import hooks as spark_hooks
from costbasis.flows.balance_index import balances_by, member_balances

EMPTY = pa.schema([("cluster", pa.int64()), ("balance", pa.int64())]).empty_table()


class PrefixSums:
    """Per deposit cluster, its members' stored changes summed over the first k of a redo's balance
    indexes, kept from segment to segment of that redo: segment i needs its deposits' clusters' balance
    over indexes [0, i), and a cluster seen at segment j < i adds only indexes [j, i). A big cluster
    deposits in every segment: looked up afresh per segment, its members were searched in i indexes for
    segment i (segments^2 / 2 index searches of them in all, ~30 s at 40 M txs); now once per index."""

    def __init__(self, indexes: list[Path]):
        self.indexes = list(indexes)            # the redo's whole list (segment i uses its first i)
        self.ids = np.empty(0, np.int64)        # sorted cluster numbers seen
        self.upto = np.empty(0, np.int64)       # ... the indexes [0, upto) summed for each
        self.sums = np.empty(0, np.int64)

    def balances(self, con, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(sorted clusters of temp table dep_keys, their members' changes over the first n indexes)."""
        need = np.unique(con.execute("SELECT DISTINCT cluster FROM dep_keys WHERE cluster IS NOT NULL")
                         .fetchnumpy()["cluster"].astype(np.int64))
        ids = np.union1d(self.ids, need)
        upto, sums = np.zeros(len(ids), np.int64), np.zeros(len(ids), np.int64)
        old = np.searchsorted(ids, self.ids)     # the clusters seen so far keep their sums
        upto[old], sums[old] = self.upto, self.sums
        wanted = np.isin(ids, need)
        for k in np.unique(upto[wanted & (upto < n)]):
            todo = ids[wanted & (upto == k)]
            con.register("__prefix_todo", pa.table({"cluster": pa.array(todo, pa.int64())}))
            got, add = balances_by(con, self.indexes[int(k):n],
                                   "SELECT c.cluster AS grp, c.script FROM clusters c "
                                   "SEMI JOIN __prefix_todo t ON t.cluster = c.cluster")
            con.unregister("__prefix_todo")
            sums[np.searchsorted(ids, got)] += add
            upto[np.searchsorted(ids, todo)] = n   # todo: sorted, all in ids
        self.ids, self.upto, self.sums = ids, upto, sums
        return need, sums[np.searchsorted(ids, need)]


class ClusterBalances:
    """Temp table cluster_base: the balance of the build's clusters before height `at`."""

    def __init__(self, con, indexes: list[Path], at: int, only_deposits: bool = False,
                 prefix: PrefixSums | None = None):
        # the members of every cluster of temp table `clusters` (or only of temp table dep_keys' wallets)
        members = ("SELECT c.cluster AS grp, c.script FROM clusters c"
                   + (" SEMI JOIN (SELECT DISTINCT cluster FROM dep_keys) d ON d.cluster = c.cluster"
                      if only_deposits else ""))
        self.at = at
        self.only_deposits = only_deposits
        base = EMPTY
        if indexes:
            # a redo's segments in height order: the deposit clusters' sums carried (prefix.indexes
            # starts with `indexes`)
            ids, sums = prefix.balances(con, len(indexes)) if prefix is not None else balances_by(con, indexes, members)
            base = pa.table({"cluster": pa.array(ids, pa.int64()), "balance": pa.array(sums, pa.int64())})
        con.register("__cluster_base_init", base)
        con.execute("CREATE OR REPLACE TEMP TABLE cluster_base AS SELECT * FROM __cluster_base_init")
        con.unregister("__cluster_base_init")

    def range_events(self, con, h_from: int, h_to: int) -> None:
        """Temp table range_clustered for the step [h_from, h_to] (must start where the balances are)."""
        if h_from != self.at:
            raise ValueError(f"cluster balances are at height {self.at}, the step starts at {h_from}")
        p = {"h_from": h_from, "h_to": h_to, "deposits_only": self.only_deposits}
        if not spark_hooks.create(con, "whales_range_clustered", p):   # --engine spark: on Spark, kept on both
            con.execute(sql_text("whales_range_clustered"), p)

    def advance(self, con, h_to: int) -> None:
        """The balances after the step whose rows are in range_clustered (dropped)."""
        con.execute(sql_text("whales_cluster_base_advance"))
        con.execute("DROP TABLE cluster_base; ALTER TABLE cluster_base_next RENAME TO cluster_base; "
                    "DROP TABLE range_clustered")
        self.at = h_to + 1

    @staticmethod
    def drop(con) -> None:
        con.execute("DROP TABLE IF EXISTS cluster_base; DROP TABLE IF EXISTS range_clustered")


def register_member_base(con, indexes: list[Path]) -> None:
    """Temp table member_base (kid, balance) for temp table dep_keys: unclustered wallets looked up in
    `indexes` (dep_members), clustered ones from cluster_base (sql/whales_member_base.sql)."""
    register_arrow(con, "single_base", member_balances(con, indexes))
    con.execute(sql_text("whales_member_base"))
    con.execute("DROP VIEW single_base")
    con.unregister("__arrow_single_base")
