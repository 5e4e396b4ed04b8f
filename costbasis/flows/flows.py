"""Exchange inflow, outflow and netflow per day or hour: sql/flows_by_period.sql over the stored
exchange_txs (sql/flows_exchange_txs.sql, kept up to date by costbasis/flows/stored/)."""

from __future__ import annotations

import pyarrow as pa

from costbasis.engine.db import run, sql_text
from costbasis.errors import CostbasisError
from costbasis.dates import time_bounds
from costbasis.flows.context import open_flows
from costbasis.store import Store

UNITS = ("day", "hour")
# flows_by_period.sql names amounts without a unit (shared with EVM); Bitcoin columns say _btc
BTC_COLUMNS = {"inflow", "outflow", "netflow", "inflow_mean", "top10_inflow"}


def exchange_flows(store: Store, chain: str | None = None, date_from=None, date_to=None,
                   entity: str | None = None, by: str = "day", per_entity: bool = False,
                   threads: int | None = None) -> pa.Table:
    """Exchange flows per period: inflow/outflow/netflow BTC and USD, tx counts, inflow mean,
    top-10 inflow sum and whale ratio. All exchanges together unless `entity` or `per_entity`.
    A continuous calendar: every period of the range covered by stored blocks, zeros where nothing moved."""
    if by not in UNITS:
        raise CostbasisError(f"--by must be day or hour, got {by!r}")
    t_from, t_to = time_bounds(date_from, date_to)
    con, _ = open_flows(store, chain, threads=threads)
    if entity is not None and not con.execute("SELECT count(*) FROM xlabels WHERE lower(entity) = lower(?)",
                                              [entity]).fetchall()[0][0]:
        raise CostbasisError(f"no Bitcoin exchange labels for entity {entity!r}; see `costbasis labels list`")
    con.execute(sql_text("flows_inputs_bitcoin"))
    t = run(con, "flows_by_period", {"unit": by, "per_entity": per_entity, "entity": entity,
                                     "t_from": t_from, "t_to": t_to, "scale": 1e8})
    t = t.rename_columns([c + "_btc" if c in BTC_COLUMNS else c for c in t.column_names])
    if by == "day":
        t = t.set_column(0, "date", t.column("period").cast(pa.date32()))
    else:
        t = t.rename_columns(["hour"] + t.column_names[1:])
    return t
