"""What a cohort state update computes (engine/bitcoin/cohort_state.py): the new segments, as
DuckDB temp tables, from the state as it was and the blocks added since (all of them for a build
from scratch). Every query is a file of sql/cohorts/ (or sql/prices/); cohort_state.py persists
the result."""

from __future__ import annotations

from costbasis.engine import db
from costbasis.engine.bitcoin import logistic_state, state_sql
from costbasis.engine.bitcoin.state_sql import TABLES, live_for_days, q, segments, tmp

BASE_LAG = 2        # days: blocks may arrive late (non-monotonic times) on the last days
MAX_SEGMENTS = 12   # per table; beyond that the table is compacted into one file
VERSION = 2


def build(con, ds, st: dict | None, tip, fp: str, files: str, prev_gen: int = -1):
    """The new segments as temp tables: (state, append, replace, old_files), or None to start over."""
    old_files = {t: (ds.files(st, t) if st else []) for t in TABLES}
    after = st["tip"][0] if st else -1
    for t in TABLES:
        segments(con, t, old_files[t], [])
    # the old block prices stay readable under their own name (views bind late)
    segments(con, "height_price_old", old_files["height_price"], [], like="height_price")
    con.execute(db.sql_text("height_price_old"))
    state_sql.attach_views(con)

    # 1. block prices: only new blocks, unless the prices changed (then all, and note which moved)
    repriced = 0
    replace_hp = st is None or st["prices_fp"] != fp
    tmp(con, "__hp_new", q("height_price_select"), {"after": -1 if replace_hp else after})
    if replace_hp and st is not None:
        repriced = state_sql.value(con, "state_repriced")
    segments(con, "height_price", [] if replace_hp else old_files["height_price"], ["__hp_new"])
    state_sql.attach_views(con)

    first_new, last_new = db.script(con, "state_new_days", {"after": after}).fetchall()[0]
    if st is not None and first_new is not None and first_new < st["first_day"]:
        return None
    if st is None:
        first_day, last_day = first_new, last_new
        old_last, base_day = first_day - 1, None
    else:
        first_day = st["first_day"]
        last_day = st["last_day"] if last_new is None else max(st["last_day"], last_new)
        old_last, base_day = st["last_day"], st["base_day"]

    # 2. lot changes: new blocks, plus re-priced old blocks
    if repriced:
        tmp(con, "__lots_new", q("cohort_lots_delta"), {"after": after})
        tmp(con, "__lots_reprice", q("cohort_lots_reprice"), {"after": after})
        con.execute(db.sql_text("cohort_lots_merge"))
    else:
        tmp(con, "__lots_delta", q("cohort_lots_delta"), {"after": after})
    con.execute("CREATE OR REPLACE TEMP VIEW event_lots AS SELECT * FROM __lots_delta")
    tmp(con, "__events_delta", q("cohort_events"))
    segments(con, "lots", old_files["lots"], ["__lots_delta"])
    segments(con, "events", old_files["events"], ["__events_delta"])
    state_sql.attach_views(con)

    # 3. first day whose rows change: per creation key, its creation day when its total changed,
    #    else the earliest spend day that changed; days whose price row changed; the new days
    start = old_last + 1
    r = state_sql.value(con, "state_first_changed")
    if r is not None:
        start = min(start, int(r))
    if st is not None and st["prices_fp"] != fp:
        r = state_sql.value(con, "state_first_repriced")
        if r is not None:
            start = min(start, int(r))
    start = max(start, first_day)

    # 4. rows for [start, last_day]; 5. move the snapshot to last_day - BASE_LAG
    gen = prev_gen + 1   # 0 for a first build; file names never reuse a published one
    append = {"lots": "__lots_delta", "events": "__events_delta"}
    if start <= last_day:
        live_for_days(con, start, last_day, base_day)
        con.execute(db.sql_text("cohort_transition_empty"))
        tmp(con, "__daily_new", f"SELECT {gen}::BIGINT AS gen, * FROM (" + q("cohorts_daily") + ")",
            {"from_day": start, "to_day": last_day})
        append["daily"] = "__daily_new"
        segments(con, "daily", old_files["daily"], ["__daily_new"])
        state_sql.attach_views(con)
    for t in ("cohort_live", "live_events"):   # keys x days: the biggest tables of a cold build
        con.execute(f"DROP TABLE IF EXISTS {t}")
    # the logistic split's tables, when the state has them and the prices did not change
    logistic = bool(st and st.get("logistic")) and not replace_hp
    if logistic:
        append.update(logistic_state.build(con, old_files, after, start, last_day, base_day, gen))
    new_base_day = last_day - BASE_LAG
    if base_day is not None and start > base_day and new_base_day >= base_day:
        con.execute(db.sql_text("recent_lots"), {"base_day": base_day})
        tmp(con, "__base_new", q("cohort_dist_base_roll"), {"base_day": base_day, "new_base_day": new_base_day})
    else:
        tmp(con, "__base_new", q("cohort_dist_base"), {"base_day": new_base_day})

    # 6. the new segments: append (compact a table that has too many), replace the rest
    replace = {"base": "__base_new"}
    (replace if replace_hp else append)["height_price"] = "__hp_new"
    for t in list(append):
        if len(old_files[t]) + 1 > MAX_SEGMENTS:
            segments(con, t, old_files[t], [append[t]])
            state_sql.attach_views(con)
            replace[t] = state_sql.compact(con, t)
            del append[t]
    state = {"version": VERSION, "tip": list(tip), "files": files, "prices_fp": fp, "first_day": first_day,
             "last_day": last_day, "base_day": new_base_day, "gen": gen, "logistic": logistic}
    return state, append, replace, old_files
