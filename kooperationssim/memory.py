"""Allocator settings for long batch work (Linux with glibc only; elsewhere a no-op).

The NumPy engine allocates and frees many arrays of a few megabytes every week.  glibc
serves such blocks with ``mmap`` and gives them back at once, so every allocation costs
page faults and the kernel time can reach a quarter of the run time when two worker
processes run side by side.  :func:`tune_allocator` raises the ``mmap`` threshold to its
maximum (32 MiB) and keeps freed memory for reuse instead of returning it to the system
(``mallopt``).  The command-line tools and the sweep workers call it; a notebook may call
it too.  It changes speed and memory retention, never results.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["tune_allocator"]

_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
_done = False


def tune_allocator() -> bool:
    """Apply the allocator settings once per process; return whether they apply here."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = (mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1
          and mallopt(_M_TRIM_THRESHOLD, 1024 * 1024 * 1024) == 1
          and mallopt(_M_TOP_PAD, 64 * 1024 * 1024) == 1)
    _done = ok
    return ok
