"""Daily (or finer) USD price series per asset: import from common exports, load for the engine."""

from costbasis.prices.table import PRICES_SCHEMA, load_prices

__all__ = ["PRICES_SCHEMA", "load_prices", "import_prices"]


def import_prices(store, path, asset):  # thin re-export; importer pulls in the parsers lazily
    from costbasis.prices.importer import import_prices as _imp
    return _imp(store, path, asset)
