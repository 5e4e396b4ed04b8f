"""OpenSSL's SHA-256 callable from numba kernels (no Python call per hash).

Hashing every txid through hashlib costs ~1 µs of interpreter overhead per call; calling
the same libcrypto (the one Python's hashlib is linked to, SHA-NI accelerated) from inside a
nogil numba loop removes it. The library is found in the running process (/proc/self/maps
after importing _hashlib), then by name; the result is checked against hashlib at import.
Import fails with ImportError when no usable libcrypto is found: callers fall back to the
pure-Python parser.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import sys

import llvmlite.binding as llvm
import numpy as np
from numba import njit, types

from costbasis.bitcoin.jitcache import ensure_numba_cache_dir

ensure_numba_cache_dir()   # before the first @njit(cache=True) of the package (this module's)


def _find_libcrypto() -> str:
    import _hashlib  # noqa: F401  (loads the libcrypto hashlib uses)

    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if "/libcrypto" in path and ".so" in path:
                    return path
    except OSError:
        pass
    if not sys.platform.startswith("linux"):
        # e.g. macOS: loading a libcrypto by name may abort the process; use the Python fallback
        raise ImportError("libcrypto used by hashlib not located on this platform")
    name = ctypes.util.find_library("crypto")
    if not name:
        raise ImportError("libcrypto not found")
    return name


def _load() -> str:
    path = _find_libcrypto()
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise ImportError(f"cannot load {path}: {e}") from None
    # The low-level SHA256_* calls (deprecated in OpenSSL 3 but exported) go straight to the SHA-NI
    # code: ~110 ns for a 21-byte sha256d, vs ~3x that through EVP's provider lookups.
    for sym in ("SHA256_Init", "SHA256_Update", "SHA256_Final"):
        if not hasattr(lib, sym):
            raise ImportError(f"{path} has no {sym}")
    llvm.load_library_permanently(path)
    return path


LIBCRYPTO = _load()
CTX_BYTES = 256   # >= sizeof(SHA256_CTX) (112)

_init = types.ExternalFunction("SHA256_Init", types.int32(types.voidptr))
_update = types.ExternalFunction("SHA256_Update", types.int32(types.voidptr, types.voidptr, types.uintp))
_final = types.ExternalFunction("SHA256_Final", types.int32(types.voidptr, types.voidptr))


@njit(nogil=True, cache=True)
def ctx_new():
    """Scratch for one hashing loop: a SHA256_CTX and a 32-byte intermediate digest."""
    return np.empty(CTX_BYTES + 32, np.uint8)


@njit(nogil=True, cache=True)
def sha256d3(ctx, p1, n1, p2, n2, p3, n3, out):
    """out[:32] = SHA256(SHA256(seg1 || seg2 || seg3)); p* are raw addresses, ctx from ctx_new()."""
    c = ctx.ctypes.data
    tmp = c + CTX_BYTES
    _init(c)
    _update(c, p1, n1)
    if n2 > 0:
        _update(c, p2, n2)
    if n3 > 0:
        _update(c, p3, n3)
    _final(tmp, c)
    _init(c)
    _update(c, tmp, 32)
    _final(out.ctypes.data, c)


@njit(nogil=True, cache=True)
def _sha256d_rows(data, offsets, out):
    ctx = ctx_new()
    base = data.ctypes.data
    for k in range(offsets.size - 1):
        sha256d3(ctx, base + offsets[k], offsets[k + 1] - offsets[k], 0, 0, 0, 0, out[k])


def sha256d_many(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(n, 32) digests of data[offsets[k]:offsets[k+1]] for k < n."""
    out = np.empty((max(offsets.size - 1, 0), 32), np.uint8)
    if out.shape[0]:
        _sha256d_rows(np.ascontiguousarray(data, np.uint8), offsets.astype(np.int64), out)
    return out


def _self_test() -> None:
    msg = np.frombuffer(b"abcdefgh" * 9, np.uint8)
    got = sha256d_many(msg, np.array([0, 3, 72], np.int64))
    want = [hashlib.sha256(hashlib.sha256(m).digest()).digest() for m in (b"abc", (b"abcdefgh" * 9)[3:])]
    if [got[0].tobytes(), got[1].tobytes()] != want:
        raise ImportError(f"{LIBCRYPTO}: SHA256 through numba disagrees with hashlib")


_self_test()
