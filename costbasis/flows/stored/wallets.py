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
ClusterBalances per segment for the clusters of that segment's new deposits only.
Unclustered wallets (one script) are looked up in the indexes per step as before: one lookup each.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from costbasis.engine.db import register_arrow, sql_text
from costbasis.engine.spark import hooks as spark_hooks
from costbasis.flows.balance_index import balances_by, member_balances

EMPTY = pa.schema([("cluster", pa.int64()), ("balance", pa.int64())]).empty_table()


class ClusterBalances:
    """Temp table cluster_base: the balance of the build's clusters before height `at`."""

    def __init__(self, con, indexes: list[Path], at: int, only_deposits: bool = False):
        # the members of every cluster of temp table `clusters` (or only of temp table dep_keys' wallets)
        members = ("SELECT c.cluster AS grp, c.script FROM clusters c"
                   + (" SEMI JOIN (SELECT DISTINCT cluster FROM dep_keys) d ON d.cluster = c.cluster"
                      if only_deposits else ""))
        self.at = at
        self.only_deposits = only_deposits
        base = EMPTY
        if indexes:
            ids, sums = balances_by(con, indexes, members)
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
