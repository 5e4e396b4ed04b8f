"""Chain names: the folder a chain's files live in, `<cache>/<chain>/`.

A chain name comes from the user (`--chain`) and becomes a path, so it must be one plain
folder name that cannot escape the cache (`..`, `/abs`), land in the cache root (``) or in
a folder the store itself uses (prices/, labels/, ...): lower-case letters, digits and
dashes, starting with a letter or digit, e.g. `bitcoin`, `bitcoin-regtest`, `ethereum`.
"""

from __future__ import annotations

import re

from costbasis.errors import UsageError

_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")
MAX_LENGTH = 64  # far below any file system's name limit, long enough for any real chain name
# Folders directly under the cache root that are not chains (a leading _ or . is refused anyway).
RESERVED = frozenset({"prices", "labels", "flows", "clusters", "context"})


def validate_chain_name(name: str) -> str:
    """`name` unchanged when it is a valid chain name; else a one-line UsageError (exit 2)."""
    if not isinstance(name, str) or not name:
        raise UsageError("--chain must not be empty; use a name such as bitcoin or ethereum")
    if len(name) > MAX_LENGTH or not _PATTERN.fullmatch(name):
        shown = name if len(name) <= MAX_LENGTH else name[:MAX_LENGTH] + "..."
        raise UsageError(f"invalid chain name {shown!r}: use lower-case letters, digits and '-' "
                         f"(starting with a letter or digit, at most {MAX_LENGTH} characters), e.g. ethereum")
    if name in RESERVED:
        raise UsageError(f"invalid chain name {name!r}: {name}/ is a store folder, not a chain; pick another name")
    return name


def is_chain_name(name: str) -> bool:
    try:
        validate_chain_name(name)
    except UsageError:
        return False
    return True
