"""The engine's face: one function per metric, the same whichever chain family a chain is.

The CLI, the charts, the HTTP API and library users call these; each validates its arguments the
way the CLI documents them (one-line CostbasisError / UsageError), picks the family once
(engine/family.py) and calls the Bitcoin or the EVM implementation. Option names in messages are
the CLI's (`--asof`), so every front end reports the same mistake the same way.

`store` is a costbasis.Store or a cache path. Results are pyarrow Tables of flat snake_case
columns (what `--format json` prints, row for row).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pyarrow as pa

from costbasis import limits
from costbasis.engine.family import EVM, bitcoin_only, default_chain, pick_engine
from costbasis.errors import UsageError
from costbasis.quantiles import parse_quantile_list
from costbasis.store import Store


def _store(store) -> Store:
    return store if isinstance(store, Store) else Store(Path(store))


def cohorts(store, chain: str | None = None, *, asof=None, date_from=None, date_to=None,
            holder_split: str = "hard", quantiles=None, cohort: str | None = None, asset: str | None = None,
            token: str | None = None, method: str | None = None) -> pa.Table:
    """One row per (date, cohort): supply, realized cap/price, MVRV, cost-basis std, % in profit."""
    import pyarrow.compute as pc

    from costbasis.engine.age_bands import check_cohort
    from costbasis.quantiles import parse_quantiles

    limits.check_dates(**{"--asof": asof, "--from": date_from, "--to": date_to})
    limits.check_quantile_names(parse_quantiles(quantiles))
    store = _store(store)
    family, chain = pick_engine(store, chain, **{"--token": token, "--method": method})
    if cohort:
        check_cohort(cohort)
    if family == EVM:
        from costbasis.engine.evm.cohorts import cohort_series
        if holder_split != "hard":
            raise UsageError("--holder-split logistic works only on Bitcoin chains (EVM: hard 155-day split)")
        t = cohort_series(store, chain, asof, date_from, date_to, method or "avg", token, quantiles, asset)
    else:
        from costbasis.engine.bitcoin.cohorts import cohort_series
        t = cohort_series(store, chain, asof, date_from, date_to, holder_split, quantiles, asset or "BTC")
    return t.filter(pc.equal(t["cohort"], cohort)) if cohort else t


def urpd(store, chain: str | None = None, *, asof=None, cohort: str = "all", buckets: int | None = None,
         log_buckets: int | None = None, bucket_usd: float | None = None, asset: str | None = None,
         token: str | None = None, method: str | None = None) -> pa.Table:
    """Live supply by creation-price (EVM: holder cost-basis) bucket as of a date."""
    limits.check_dates(**{"--asof": asof})
    limits.check_price(bucket_usd, "--bucket-usd")  # a bucket wider than any price is one bucket of everything
    store = _store(store)
    family, chain = pick_engine(store, chain, **{"--token": token, "--method": method})
    if buckets is not None and (log_buckets is not None or bucket_usd is not None):
        raise UsageError("use only one of --buckets, --log-buckets, --bucket-usd")
    if family == EVM:
        from costbasis.engine.evm.urpd import urpd as evm_urpd
        return evm_urpd(store, chain, asof, cohort, buckets, log_buckets, bucket_usd, method or "avg", token, asset)
    from costbasis.engine.bitcoin.urpd import urpd as btc_urpd
    return btc_urpd(store, chain, asof, cohort, buckets, log_buckets, bucket_usd, asset or "BTC")


def sopr(store, chain: str | None = None, *, date_from=None, date_to=None, asset: str = "BTC") -> pa.Table:
    """Per spend day: SOPR (all, STH, LTH) and coin-days destroyed. Bitcoin chains only."""
    from costbasis.engine.bitcoin.sopr import sopr_series

    limits.check_dates(**{"--from": date_from, "--to": date_to})
    store = _store(store)
    family, chain = pick_engine(store, chain)
    if family == EVM:
        # SOPR compares each spent coin's spend and creation price; accounts have no spent coins
        raise UsageError(f"sopr is defined for Bitcoin (UTXO) chains only; "
                             f"chain {chain or default_chain(store)} is an EVM chain")
    return sopr_series(store, chain, date_from, date_to, asset)


def _bands_checks(price, window, merge_pct) -> None:
    limits.check_price(price)
    limits.check_range(merge_pct, "--merge-pct", limits.MERGE_PCT_MAX)


def bands(store, chain: str | None = None, *, asof=None, price: float | None = None, window: int = 365,
          quantiles="75,85,95", merge_pct: float = 0.5, token: str | None = None, asset: str | None = None,
          method: str | None = None) -> pa.Table:
    """Support/resistance levels of one day; the schema metadata carries chain, date and price_usd."""
    limits.check_dates(**{"--asof": asof})
    qs = parse_quantile_list(quantiles)
    _bands_checks(price, window, merge_pct)
    from costbasis.bands.assemble import bands as one_day
    return one_day(_store(store), chain, asof, price, window, qs, merge_pct, token=token, asset=asset, method=method)


def bands_series(store, chain: str | None = None, *, date_from, date_to, window: int = 365,
                 quantiles="75,85,95", merge_pct: float = 0.5, with_urpd: bool = True,
                 progress: Callable[[int, int], None] | None = None, token: str | None = None,
                 asset: str | None = None, method: str | None = None) -> pa.Table:
    """Levels per day from date_from to date_to (long format, with date and price_usd columns)."""
    if date_from is None or date_to is None:
        raise UsageError("--from and --to go together")
    limits.check_dates(**{"--from": date_from, "--to": date_to})
    qs = parse_quantile_list(quantiles)
    _bands_checks(None, window, merge_pct)
    from costbasis.bands.assemble import bands_series as per_day
    return per_day(_store(store), chain, date_from, date_to, window, qs, merge_pct, with_urpd=with_urpd,
                   progress=progress, token=token, asset=asset, method=method)


def flows(store, chain: str | None = None, *, date_from=None, date_to=None, entity: str | None = None,
          by: str = "day", per_entity: bool = False, token: str | None = None,
          asset: str | None = None) -> pa.Table:
    """Exchange inflow/outflow/netflow per day or hour, with counts, top-10 sum and whale ratio."""
    limits.check_dates(**{"--from": date_from, "--to": date_to})
    store = _store(store)
    family, chain = pick_engine(store, chain, **{"--token": token, "--asset": asset})
    if family == EVM:
        from costbasis.flows.evm_flows import flows as evm_flows
        return evm_flows(store, chain=chain, date_from=date_from, date_to=date_to, entity=entity, by=by,
                         per_entity=per_entity, token=token, asset=asset)
    from costbasis.flows.flows import exchange_flows
    return exchange_flows(store, chain=chain, date_from=date_from, date_to=date_to, entity=entity,
                          by=by, per_entity=per_entity)


def whales(store, chain: str | None = None, *, date_from=None, date_to=None, min_btc: float | None = None,
           min_usd: float | None = None, min_amount: float | None = None, whale_amount: float | None = None,
           window: int = 30, z: float = 2.0, deposits: bool = False, token: str | None = None,
           asset: str | None = None, method: str | None = None) -> pa.Table:
    """Daily whale deposits (USD and amount, z-score against the trailing window, signal), or with
    `deposits=True` the deposits themselves (txid, exchange, source, age band, cost basis)."""
    limits.check_dates(**{"--from": date_from, "--to": date_to})
    limits.check_range(min_btc, "--min-btc", limits.BTC_SUPPLY_MAX, unit=" BTC (the whole supply)")
    limits.check_range(min_usd, "--min-usd", limits.USD_MAX, unit=" USD")
    limits.check_range(min_amount, "--min-amount", limits.AMOUNT_MAX)
    limits.check_range(whale_amount, "--whale-amount", limits.AMOUNT_MAX)
    limits.check_range(z, "--z", limits.Z_MAX)
    store = _store(store)
    family, chain = pick_engine(store, chain, **{"--min-amount": min_amount, "--whale-amount": whale_amount,
                                                 "--token": token, "--asset": asset, "--method": method})
    bitcoin_only(family, **{"--min-btc (use --min-amount)": min_btc})
    if family == EVM:
        from costbasis.flows.evm_flows import whale_signals, whales as evm_deposits
        if min_amount is not None and min_usd is not None:
            raise UsageError("use either --min-amount or --min-usd, not both")
        opts = {"min_amount": 1000.0 if min_amount is None else min_amount, "min_usd": min_usd,
                "whale_amount": 10_000.0 if whale_amount is None else whale_amount,
                "method": method or "avg", "token": token, "asset": asset}
        if deposits:
            return evm_deposits(store, chain, date_from, date_to, **opts)
        t = whale_signals(store, chain, date_from, date_to, window=window, z=z, **opts)
        unit = amount_unit(store, chain, token=token, asset=asset)
        return _with_threshold(t, min_usd, opts["min_amount"], unit)
    from costbasis.flows.whales import whale_deposits, whale_signals
    if min_btc is not None and min_usd is not None:
        raise UsageError("use either --min-btc or --min-usd, not both")
    mb = 100 if min_btc is None else min_btc
    if deposits:
        return whale_deposits(store, chain=chain, date_from=date_from, date_to=date_to, min_btc=mb, min_usd=min_usd)
    t = whale_signals(store, chain=chain, date_from=date_from, date_to=date_to, min_btc=mb, min_usd=min_usd,
                      window=window, z=z)
    return _with_threshold(t, min_usd, mb, "BTC")


def _with_threshold(t: pa.Table, min_usd, min_amount, unit: str) -> pa.Table:
    """Daily whale rows carry what a deposit had to reach, for titles (schema metadata `threshold`)."""
    what = f"≥ {min_usd:,.0f} USD" if min_usd else f"≥ {min_amount:g} {unit}"
    return t.replace_schema_metadata({**(t.schema.metadata or {}), b"threshold": what.encode()})


def session(store, chain: str | None = None, *, token: str | None = None, asset: str | None = None,
            method: str | None = None):
    """An open cohort session of either family, for callers that need several days of one chain
    (charts, dashboards): `cohort_table(first, last, quantiles)`, `distribution(day)`, `chain`,
    `first_date`, `last_date`, `supply_column`, `unit`, `price_unit`, `label`
    (costbasis.engine.session). Use it as a context manager."""
    from costbasis.engine.session import open_session
    return open_session(_store(store), chain, token=token, asset=asset, method=method)


def refresh_state(store, chain: str | None = None) -> bool:
    """Bring the chain's persisted cohort state up to the store tip so the next query answers at
    once; False when the chain's family keeps none (EVM metrics walk the chain per query)."""
    store = _store(store)
    family, chain = pick_engine(store, chain)
    if family == EVM:
        return False
    from costbasis.engine.bitcoin.context import open_chain
    open_chain(store, chain, with_lots=True).con.close()
    return True


def amount_unit(store, chain: str | None = None, *, token: str | None = None, asset: str | None = None) -> str:
    """What a chain's amounts are of: BTC on Bitcoin; ETH, or the token's price series name, on EVM."""
    family, _ = pick_engine(_store(store), chain, **{"--token": token, "--asset": asset})
    if family != EVM:
        from costbasis.engine.bitcoin.session import BitcoinSession
        return BitcoinSession.unit
    from costbasis.engine.evm.session import amount_unit as evm_unit
    return evm_unit(token, asset)


def expand_labels(store, chain: str | None = None, *, progress: bool = False, build_flows: bool = True, **options):
    """`labels expand` (sweeps and common-input clusters, costbasis.labels.expand), then the stored
    flow tables brought up to date with the new labels, so the next flows/whales query answers at
    once (labels sit below flows: the labels layer never calls up into flows itself)."""
    import time

    from costbasis.labels.expand import expand_labels as expand

    res = expand(_store(store), chain, progress=progress, **options)
    if build_flows:
        from costbasis.flows.context import open_flows
        t0 = time.perf_counter()
        open_flows(_store(store), chain)
        res.seconds["flow_tables"] = time.perf_counter() - t0
    return res


def check(store, repair: bool = False) -> pa.Table:
    """`costbasis check [--repair]`: every committed file against its manifest, every derived
    state's stamps (with the flow tables' own segment stamps), the imported datasets; one row per
    finding, empty when the store is sound."""
    from costbasis.store.check import check_store
    return check_store(_store(store), repair=repair, validators={"flows": _flow_stamps_problem})


def _flow_stamps_problem(cs, ds) -> str | None:
    from costbasis.flows.stored import read_state
    if read_state(None, cs.name, ds)[0] is None:
        return "flow segments not stamped for this state (foreign, damaged or of an older format)"
    return None


def status(store) -> pa.Table:
    """Per chain and table: height range, rows, files, bytes, last block time."""
    from costbasis.status import store_status
    return store_status(_store(store))


def prices(store, asset: str = "BTC") -> pa.Table:
    """The stored price series of `asset` (date, price_usd, time)."""
    from costbasis.prices import load_prices
    return load_prices(_store(store), asset)
