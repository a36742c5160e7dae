"""How much memory the machine has free now, for sizing chunks so that nobody has to pick a number."""

from __future__ import annotations

import os

FALLBACK = 2 << 30  # where the OS does not say


def available_bytes() -> int:
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return FALLBACK
