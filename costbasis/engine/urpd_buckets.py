"""URPD bucketing, the same for both chain families: --buckets N (linear), --log-buckets N or
--bucket-usd W (sql/urpd/urpd_buckets.sql turns the mode into bucket edges)."""

from __future__ import annotations

import math

from costbasis.errors import UsageError

MAX_BUCKETS = 100_000


def bucket_spec(buckets: int | None, log_buckets: int | None, bucket_usd: float | None) -> tuple[str, int, float]:
    """(mode, count, width) for sql/urpd/urpd_buckets.sql; one of the three options at most."""
    given = [x is not None for x in (log_buckets, bucket_usd)]
    if sum(given) > 1:
        raise UsageError("use only one of --buckets, --log-buckets, --bucket-usd")
    if log_buckets is not None:
        if not 1 <= log_buckets <= MAX_BUCKETS:
            raise UsageError(f"--log-buckets must be between 1 and {MAX_BUCKETS}")
        return "log", int(log_buckets), 1.0
    if bucket_usd is not None:
        if not (math.isfinite(bucket_usd) and bucket_usd > 0):
            raise UsageError("--bucket-usd must be a positive width in USD")
        return "usd", 0, float(bucket_usd)
    n = 100 if buckets is None else buckets
    if not 1 <= n <= MAX_BUCKETS:
        raise UsageError(f"--buckets must be between 1 and {MAX_BUCKETS}")
    return "linear", int(n), 1.0
