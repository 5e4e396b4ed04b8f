"""Address labels: import (validated by checksum), storage, and expansion by heuristics.

Bitcoin labels carry the decoded scriptPubKey (`script`) so every join against
outputs/inputs is by script bytes, never by formatting addresses on the hot path.
"""

from costbasis.labels.dataset import LABEL_COLUMNS, exchange_scripts, read_labels, write_labels
from costbasis.labels.importer import import_labels, list_labels, read_label_file

__all__ = ["LABEL_COLUMNS", "exchange_scripts", "read_labels", "write_labels", "import_labels",
           "list_labels", "read_label_file"]
