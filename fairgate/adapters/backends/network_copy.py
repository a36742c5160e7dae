"""The user's network file, copied into the model bundle so that the bundle rebuilds the network wherever it is
loaded (a model server, another machine), whatever later happens to ``networks/``."""

from __future__ import annotations

import shutil
from pathlib import Path

from fairgate.core.config import TrainConfig

BUNDLED = "network.py"


def keep_network_file(cfg: TrainConfig, directory: Path) -> str | None:
    """Copy ``train.network``'s file into ``directory``; the spec that names the copy, or None for fairgate's MLP."""
    if cfg.network is None:
        return None
    relative, _, name = cfg.network.partition(":")
    shutil.copyfile(Path.cwd() / relative, directory / BUNDLED)
    return f"{BUNDLED}:{name}"
