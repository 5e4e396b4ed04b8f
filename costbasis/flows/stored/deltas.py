"""Deposits whose source wallet grew (new clusters): their stored row plus what the wallet gained just
before the deposit, not their whole wallet recomputed.

A deposit's source balance is a sum over its wallet's member scripts. As the chain grows, clusters only
merge (common-input unions are never undone), so under the new clusters a changed wallet is its old
wallet plus the rest of its new clusters (sql/whales_delta_members.sql, from the changes file's old and
new cluster of each changed script): per new cluster, its largest old part stays out of the sum unless
the deposit did not come from it, so a big cluster growing by a few change addresses a day costs its
deposits those addresses' events, not its own whole activity again in every stored range (as the full
recomputation did). Each part's balance just before the deposits is sql/whales_source_balances.sql's
(its base before the range: binary searches in the balance indexes); the size and display address come
from the new clusters as in a build. A changes file without the cluster columns, or one where a cluster
split (not a growth of the chain: a rebuild's business), leaves the redo to the full recomputation
(`grows_only` False).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from costbasis.bitcoin import address_sql
from costbasis.engine.db import narrowed, register_arrow, script, sql_text
from costbasis.flows.balance_index import balances_by

CHANGES_COLUMNS = {"script", "old_cluster", "new_cluster"}


def grows_only(con) -> bool:
    """Whether view cluster_changed has each script's old and new cluster and every old cluster lies
    in one new cluster (no script left the clusters, none split)."""
    cols = {r[0] for r in con.execute("DESCRIBE cluster_changed").fetchall()}
    if not CHANGES_COLUMNS <= cols:
        return False
    bad = con.execute(
        "SELECT (SELECT count(*) FROM cluster_changed WHERE new_cluster IS NULL) + "
        "(SELECT count(*) FROM (SELECT old_cluster FROM cluster_changed WHERE old_cluster IS NOT NULL "
        " GROUP BY old_cluster HAVING count(DISTINCT new_cluster) > 1))").fetchall()[0][0]
    return bad == 0


def wallet_rows(con, p: dict, old_sources: str, old_exchange_txs: str, indexes: list[Path], network: str) -> None:
    """Temp tables wallet_rows, the deposit_sources rows of the deposits of temp table cand_wallet (in the
    range of `p`) under the new clusters, and wallet_whole, those of them left to the caller to compute
    whole (sql/whales_delta_members.sql), wallet_rows from the range's stored files and the balance indexes of every
    range before it (`indexes`). Needs view cluster_changed (grows_only), temp table `clusters` and
    temp table cand_inputs (height, tx_index, script: the range's deposit candidates' inputs, read once
    by the caller: these steps read it instead of the range's inputs)."""
    address_sql.register(con)
    with narrowed(con, {"inputs": "cand_inputs"}):
        # the parts each wallet gained (and the deposit's own, taken back), with their members; the
        # deposits that would need a big part's history are left to the whole computation (wallet_whole)
        script(con, "whales_delta_members", p)
        # the new wallets' size and display address, as a build gives them
        con.execute("CREATE OR REPLACE TEMP TABLE exchange_txs AS SELECT * FROM read_parquet($xt) "
                    "SEMI JOIN cand_wallet USING (height, tx_index) ANTI JOIN wallet_whole USING (height, tx_index)",
                    {"xt": old_exchange_txs})
        script(con, "whales_source_keys", p)
        con.execute(sql_text("whales_key_addresses"), {"network": network})
        con.execute(sql_text("whales_wallet_meta"))
        con.execute("DROP TABLE exchange_txs; DROP TABLE dep_keys; DROP TABLE dep_key_addr")
    # their balance before the range, then just before each deposit: one pass over the range's rows
    kids, base = balances_by(con, indexes, "SELECT DISTINCT kid AS grp, member AS script FROM delta_parts")
    register_arrow(con, "part_base", pa.table({"kid": pa.array(kids, pa.int64()), "balance": pa.array(base, pa.int64())}))
    con.execute("CREATE OR REPLACE TEMP TABLE wallet_delta AS " + sql_text("whales_part_balances").rstrip().rstrip(";"), p)
    con.read_parquet(old_sources).create_view("old_sources", replace=True)
    con.execute(sql_text("whales_wallet_rows"))
    con.execute("DROP VIEW old_sources; DROP VIEW part_base; DROP TABLE wallet_meta; DROP TABLE wallet_delta; "
                "DROP TABLE delta_in; DROP TABLE delta_big; DROP TABLE delta_refs_all; DROP TABLE delta_refs; "
                "DROP TABLE delta_parts")
    con.unregister("__arrow_part_base")
