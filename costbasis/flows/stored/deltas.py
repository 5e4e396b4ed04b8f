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

from costbasis.bitcoin import address_sql
from costbasis.engine.db import script, sql_text
from costbasis.flows.stored.wallets import register_member_base

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
    """Temp table wallet_rows: the deposit_sources rows of the deposits of temp table cand_wallet (in the
    range of `p`) under the new clusters, from the range's stored files and the balance indexes of every
    range before it (`indexes`). Needs view cluster_changed (grows_only) and temp table `clusters`."""
    # the new wallets' size and display address, as a build gives them
    con.execute("CREATE OR REPLACE TEMP TABLE exchange_txs AS SELECT * FROM read_parquet($xt) "
                "SEMI JOIN cand_wallet USING (height, tx_index)", {"xt": old_exchange_txs})
    script(con, "whales_source_keys", p)
    address_sql.register(con)
    con.execute(sql_text("whales_key_addresses"), {"network": network})
    con.execute(sql_text("whales_wallet_meta"))
    con.execute("DROP TABLE exchange_txs; DROP TABLE dep_keys; DROP TABLE dep_key_addr")
    # what each wallet gained just before each deposit: parts added and taken (whales_delta_members.sql),
    # each part's balance by sql/whales_source_balances.sql (a part summed script by script)
    script(con, "whales_delta_members", p)
    con.execute("CREATE OR REPLACE TEMP TABLE dep_key_addr (key BLOB, address VARCHAR); "
                "CREATE OR REPLACE TEMP TABLE range_clustered (cluster BIGINT, pos BIGINT, delta BIGINT); "
                "CREATE OR REPLACE TEMP TABLE cluster_base (cluster BIGINT, balance BIGINT); "
                "CREATE OR REPLACE TEMP TABLE wallet_delta (height INTEGER, tx_index INTEGER, balance BIGINT)")
    balances = sql_text("whales_source_balances").rstrip().rstrip(";")
    for sign in (1, -1):
        script(con, "whales_delta_side", {"sign": sign})
        register_member_base(con, indexes)
        con.execute(f"INSERT INTO wallet_delta SELECT height, tx_index, $sign * balance FROM ({balances})",
                    dict(p, sign=sign))
        con.execute("DROP TABLE dep_keys; DROP TABLE dep_members; DROP TABLE member_base")
    con.read_parquet(old_sources).create_view("old_sources", replace=True)
    con.execute(sql_text("whales_wallet_rows"))
    con.execute("DROP VIEW old_sources; DROP TABLE wallet_meta; DROP TABLE wallet_delta; DROP TABLE delta_in; "
                "DROP TABLE delta_big; DROP TABLE delta_refs; DROP TABLE delta_parts; DROP TABLE dep_key_addr; "
                "DROP TABLE range_clustered; DROP TABLE cluster_base")
