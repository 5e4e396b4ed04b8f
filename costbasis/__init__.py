"""costbasis: on-chain holder cost-basis analytics (cohorts, URPD, bands, whale signals).

The library's face (the CLI and the HTTP API are thin layers over these)::

    import costbasis

    store = costbasis.Store("parquet_cache")
    costbasis.cohorts(store, asof="2026-01-22")               # pyarrow.Table, one row per cohort
    costbasis.bands(store, asof="2026-01-22", price=95000)
    costbasis.whales(store, date_from="2026-01-01", min_btc=100)
    costbasis.cohorts(store, "ethereum", asof="2018-01-10", method="fifo")   # EVM: same call

Every function takes the store (a Store or a cache path) and an optional chain name, works for
Bitcoin and EVM chains alike, and raises CostbasisError (one-line message) for bad input.
"""

__version__ = "0.1.0"

import sys as _sys
import types as _types

# Names resolved on first use, so `import costbasis` (and the CLI start-up) stays light.
_API = ("cohorts", "urpd", "sopr", "bands", "bands_series", "flows", "whales", "status", "prices")
__all__ = ["Store", "CostbasisError", "UsageError", "__version__", *_API]


def _api(name: str):
    from costbasis.engine import api
    return getattr(api, name)


class _Face(_types.ModuleType):
    """`costbasis.bands`, `.flows` and `.prices` are also subpackages; importing a subpackage sets
    it as an attribute of this module, which would hide the function of that name. A data
    descriptor on the module's type wins over the module's __dict__, so the function stays the
    face and the subpackage is still importable (the import system finds it in sys.modules)."""


def _face_property(name: str) -> property:
    return property(lambda self: _api(name), lambda self, value: None)


for _name in _API:
    setattr(_Face, _name, _face_property(_name))
_sys.modules[__name__].__class__ = _Face


def __getattr__(name: str):
    if name == "Store":
        from costbasis.store import Store
        return Store
    if name in ("CostbasisError", "UsageError"):
        from costbasis import errors
        return getattr(errors, name)
    raise AttributeError(f"module 'costbasis' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
