"""Each deposit's source-wallet change since the start of a range: the running sum of the wallet's
events (the rows of sql/whales/whales_source_timeline.sql, computed by DuckDB or Spark) at the
deposit's marker.

Streamed, not a window: one big cluster deposits all through a segment, so a window partitioned by
wallet put its millions of events in one partition, sorted and summed on one thread (9 s of a 10 M-tx
redo's 37 s). DuckDB sorts the timeline (in parallel, spilling under the budget) and hands it over in
record batches; numpy sums each batch, carrying the last wallet's sum into the next, and the markers'
sums stream to a Parquet file in DuckDB's spill folder (the connection cannot take rows while its result
is open), then become temp table source_since (kid, pos, balance). Memory: a batch, not a segment.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from costbasis.engine.db import named
from costbasis.flows.balance_index import _record_batches

BATCH = 1 << 17   # rows a batch: its arrays and the sums' temporaries (~10 MB) are outside DuckDB's budget
SINCE = pa.schema([("kid", pa.int64()), ("pos", pa.int64()), ("balance", pa.int64())])


def source_since(con, timeline: str, params: dict) -> None:
    """Temp table source_since (kid, pos, balance) from the rows of query `timeline` (binding `params`)."""
    fd, tmp = tempfile.mkstemp(suffix=".parquet", prefix="source-since-", dir=_spill_dir(con))
    os.close(fd)
    try:
        query = ("SELECT kid::BIGINT AS kid, pos::BIGINT AS pos, ord::INTEGER AS ord, delta::BIGINT AS delta "
                 f"FROM ({timeline}) ORDER BY kid, pos, ord")
        reader = _record_batches(con.execute(query, named(query, params)), BATCH)
        last_kid, carry = None, 0
        with pq.ParquetWriter(tmp, SINCE) as w:
            for b in reader:
                if b.num_rows == 0:
                    continue
                kid = b.column(0).to_numpy(zero_copy_only=False)
                total = np.cumsum(b.column(3).to_numpy(zero_copy_only=False))
                first = np.flatnonzero(np.r_[True, kid[1:] != kid[:-1]])   # each wallet's first row in the batch
                start = np.r_[0, total[first[1:] - 1]]                     # the batch's sum before that row
                if kid[0] == last_kid:
                    start[0] -= carry                                      # the wallet goes on from the last batch
                run = total - np.repeat(start, np.diff(np.r_[first, len(kid)]))
                last_kid, carry = kid[-1], int(run[-1])
                marker = b.column(2).to_numpy(zero_copy_only=False) == 0
                w.write_batch(pa.record_batch([pa.array(kid[marker]),
                                               pa.array(b.column(1).to_numpy(zero_copy_only=False)[marker]),
                                               pa.array(run[marker])], schema=SINCE))
        del reader   # drained: the connection takes the next statement
        con.execute("CREATE OR REPLACE TEMP TABLE source_since AS SELECT * FROM read_parquet($f)", {"f": tmp})
    finally:
        Path(tmp).unlink(missing_ok=True)


def _spill_dir(con) -> str:
    """DuckDB's spill folder (<cache>/_tmp/<connection>/, engine/budget.py), made if missing; the system's
    temp folder for a connection without one."""
    d = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
    if not d or not os.path.isabs(d):
        return tempfile.gettempdir()
    os.makedirs(d, exist_ok=True)
    return d
