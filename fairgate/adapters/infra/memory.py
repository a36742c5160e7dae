"""How much memory the machine has free now, for sizing chunks so that nobody has to pick a number."""

from __future__ import annotations

import gc
import os

FALLBACK = 2 << 30  # where the OS does not say


def available_bytes() -> int:
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return FALLBACK


def rows_per_chunk(bytes_per_row: int, share: int, least: int, most: int) -> int:
    """Rows a chunk holds when it may take 1/``share`` of the memory available now, kept within [least, most]."""
    return int(min(max(available_bytes() // share // max(bytes_per_row, 1), least), most))


def release_unused() -> None:
    """Hand the memory a finished stage freed back to the OS, so the next stage starts from a low mark.

    Arrow's allocator and glibc's heap keep freed memory for reuse, so without this a stage's peak stays
    resident under the stages after it and the run's peak is their sum rather than the largest stage's.
    """
    import contextlib
    import ctypes
    import sys

    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def freeze_what_exists() -> None:
    """Put every object alive now (imported modules, their caches, the run's settings) beyond the garbage
    collector, so a later full collection walks only what was made since.

    Call it once the imports a run needs are done and before any data is read. A full collection walks every
    tracked object: about 0.15 s with GX, pandas and Prefect imported, more with torch or TensorFlow, paid
    each time a validation lets go of a large frame (``core.validate.let_go_of``) and by Python's own full
    collections. Frozen objects are still freed by reference counting; only cycles among them would stay.
    """
    gc.freeze()
