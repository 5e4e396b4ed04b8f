"""Where numba keeps the compiled kernels when the package folder is read-only.

numba caches next to the source (__pycache__), else in ~/.cache; when neither is writable
(a system-wide install run by another user, a container with no home) decorating a
`cache=True` function raises RuntimeError at import. Then the cache goes to a private
folder under the temp dir instead, so the fast parser still loads (and compiles once).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK | os.X_OK)


def ensure_numba_cache_dir(package_dir: Path | None = None, home_cache: Path | None = None) -> str | None:
    """Point numba at a private temp folder when neither its default places is writable; returns the
    folder set (None: numba's defaults work, or the user set NUMBA_CACHE_DIR)."""
    from numba.core import config

    if config.CACHE_DIR:
        return None  # NUMBA_CACHE_DIR given by the user
    here = package_dir or Path(__file__).resolve().parent
    if _writable(here / "__pycache__"):
        return None
    try:
        home = home_cache or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "numba"
        if _writable(home):
            return None
    except RuntimeError:  # no home directory
        pass
    config.CACHE_DIR = str(Path(tempfile.gettempdir()) / f"costbasis-numba-{os.getuid()}")
    return config.CACHE_DIR
