"""Common-input clustering (labels/expand.py) on Spark: the connected components of the edges.

DuckDB numbers the scripts (the ids the union-find is kept in) and finds the new blocks'
multi-input edges (their keys are DuckDB's hash()); Spark finds the components and the
union-find takes one (component minimum, id) pair per vertex instead of every edge.
"""

from __future__ import annotations

from costbasis.engine.spark import trace
from costbasis.engine.spark.settings import enabled

MAX_CC_ROUNDS = 200


def union_components(con, edges_sql: str, union, root, chunk: int = 1 << 20) -> int | None:
    """With --engine spark: the connected components of the new blocks' input edges
    (sql/labels/labels_cluster_edges.sql, (a, b) = (smallest script id of a tx, script id)) found
    on Spark by an iterative DataFrame loop (minimum-label propagation with pointer jumping, each
    round checkpointed), then handed to `union(a, b)` (the caller's union-find, numpy arrays) as (component minimum, id) pairs:
    the same roots as the edges themselves give (a root is its component's smallest id), from
    far fewer unions. Returns the number of edges (as the DuckDB loop counts them); None: not
    with --engine spark. The edges come from DuckDB (their script keys are DuckDB's hash())."""
    if not enabled():
        return None
    import pyarrow.dataset as pads
    from costbasis.engine.spark import session
    spark = session.get()
    scratch = session.Scratch(root)
    try:
        ep = scratch.new("edges.parquet")
        con.execute(f"COPY ({edges_sql.rstrip().rstrip(';')}) TO $p (FORMAT parquet)", {"p": str(ep)})
        n = con.execute("SELECT count(*) FROM read_parquet($p)", {"p": str(ep)}).fetchall()[0][0]
        if n == 0:
            return 0
        labels = components(spark, spark.read.parquet(ep.as_uri()))
        out = scratch.new("roots")
        labels.where("label <> v").selectExpr("label AS a", "v AS b").write.parquet(out.as_uri())
        for batch in pads.dataset(str(out), format="parquet").to_batches(batch_size=chunk):
            union(batch.column(0).to_numpy(), batch.column(1).to_numpy())
        trace.ran("clusters")
        return int(n)
    finally:
        scratch.close()


def components(spark, edges):
    """DataFrame (v, label): label = the smallest vertex of v's connected component, for every
    vertex of `edges` (columns a, b). Iterative: each round every vertex takes the smallest label
    among itself and its neighbours, then the label of its label (pointer jumping), until no
    label changes."""
    from pyspark.sql import functions as F
    e = edges.select(F.col("a").cast("long").alias("u"), F.col("b").cast("long").alias("w")) \
        .where("u <> w").distinct()
    e = e.unionByName(e.select(F.col("w").alias("u"), F.col("u").alias("w"))).localCheckpoint()
    lab = edges.select(F.col("a").cast("long").alias("v")).unionByName(
        edges.select(F.col("b").cast("long").alias("v"))).distinct() \
        .withColumn("label", F.col("v")).localCheckpoint()
    for _ in range(MAX_CC_ROUNDS):
        nb = e.join(lab.withColumnRenamed("v", "u"), "u").select(F.col("w").alias("v"), "label")
        new = nb.unionByName(lab).groupBy("v").agg(F.min("label").alias("label"))
        jump = new.alias("x").join(new.alias("y"), F.col("x.label") == F.col("y.v")) \
            .select(F.col("x.v").alias("v"), F.least(F.col("x.label"), F.col("y.label")).alias("label"))
        jump = jump.localCheckpoint()
        changed = jump.alias("n").join(lab.alias("o"), "v").where("n.label <> o.label").limit(1).count()
        lab = jump
        if not changed:
            return lab
    raise RuntimeError("connected components did not converge")   # diameter > 2^200: impossible
