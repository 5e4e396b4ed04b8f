"""The logistic holder split in the persisted cohort state, maintained like the hard split's rows.

The logistic split differs from the hard one only in sth and lth: their constant parts are the age
ranges [0, 100) and [210, inf) (events, like every band), and the 100-210 day window is shared by
weight, which depends on the exact creation block time. Three more tables of the state hold it,
built by the first logistic call (from the whole store) and then extended with every update of
the state, as the hard tables are:
  tlots   lots by creation block time, cut to the window (sql/cohorts/logistic_lots_delta.sql)
  levents events of sth [0, 100) and lth [210, inf) (sql/cohorts/cohort_events.sql)
  ldaily  finished sth/lth rows per day up to the last block day (sql/cohorts/cohorts_daily.sql)
so a logistic query reads stored rows (sql/cohorts/cohorts_stored_logistic.sql) as a hard one does,
and an update costs the new blocks plus ~110 days of transition per changed creation block.
Re-imported prices drop these tables (the next logistic call builds them again).
"""

from __future__ import annotations

import pyarrow as pa

from costbasis.engine import db
from costbasis.engine.age_bands import cohort_table
from costbasis.engine.bitcoin import state_sql
from costbasis.engine.spark import hooks as spark_hooks


def split_bands() -> pa.Table:
    """The logistic sth/lth bands alone: what the logistic tables hold."""
    t = cohort_table("logistic")
    return t.filter(pa.compute.is_in(t["cohort"], pa.array(["sth", "lth"])))


def transition(con, from_day: int, to_day: int) -> None:
    """Temp tables transition_live / cohort_transition for [from_day, to_day], added to cohort_live."""
    p = {"from_day": from_day, "to_day": to_day}
    spark_hooks.script(con, "logistic_transition", p) or db.script(con, "logistic_transition", p)


def live(con, from_day: int, to_day: int, base_day: int | None) -> None:
    """cohort_live (with the logistic shares) and cohort_transition for [from_day, to_day], for the
    cohort_bands registered (the logistic split's)."""
    state_sql.live_for_days(con, from_day, to_day, base_day)
    transition(con, from_day, to_day)


def build(con, old_files: dict, after: int, start: int, last_day: int, base_day: int | None,
          gen: int) -> dict[str, str]:
    """The new logistic segments as temp tables {table: temp table}: lots and events of the blocks
    above `after` (event_lots holds their lot changes), rows for [start, last_day].
    Leaves cohort_bands on the hard split and the views as state_views.sql makes them."""
    db.register_arrow(con, "cohort_bands", split_bands())
    try:
        state_sql.tmp(con, "__tlots_delta", state_sql.q("logistic_lots_delta"), {"after": after})
        state_sql.tmp(con, "__levents_delta", state_sql.q("cohort_events"))
        state_sql.segments(con, "tlots", old_files.get("tlots", []), ["__tlots_delta"])
        state_sql.segments(con, "levents", old_files.get("levents", []), ["__levents_delta"])
        state_sql.attach_views(con)
        out = {"tlots": "__tlots_delta", "levents": "__levents_delta"}
        if start <= last_day:
            con.execute(db.sql_text("cohort_events_logistic_split"))
            live(con, start, last_day, base_day)
            state_sql.tmp(con, "__ldaily_new", f"SELECT {int(gen)}::BIGINT AS gen, * FROM ({state_sql.q('cohorts_daily')})",
                          {"from_day": start, "to_day": last_day})
            out["ldaily"] = "__ldaily_new"
        for t in ("cohort_live", "live_events", "transition_live"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
        return out
    finally:
        db.register_arrow(con, "cohort_bands", cohort_table("hard"))
        state_sql.attach_views(con)
