"""A user's own network: ``train.network: networks/my_net.py:build`` names a file under ``networks/`` and a
callable in it that takes the input width and returns a ``torch.nn.Module`` (one logit per row) or a
``keras.Model`` (one probability per row). fairgate's loop, early stopping and logging train it unchanged."""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fairgate.core.errors import StageError

FOLDER = "networks"  # a DVC dependency of train: editing a file in it reruns train and nothing before it
SPEC = re.compile(rf"^{FOLDER}/[\w./-]+\.py:[A-Za-z_]\w*$")


def spec_problem(spec: str) -> str | None:
    """Why ``spec`` cannot name a network (None when it can)."""
    if not SPEC.match(spec) or ".." in spec:
        return (f"train.network '{spec}' must name a file under {FOLDER}/ and the callable in it, e.g. "
                f"{FOLDER}/my_net.py:build")
    return None


def builder(spec: str, root: Path | None = None) -> Callable[[int], Any]:
    """The callable ``spec`` names. The file is executed without writing ``__pycache__`` beside it, which
    would change the folder DVC hashes."""
    relative, _, name = spec.partition(":")
    path = (root or Path.cwd()) / relative
    if not path.is_file():
        raise StageError("train", f"train.network names {relative}, which does not exist",
                         f"write {relative} with a function {name}(n_features), or set train.network: null")
    module = types.ModuleType(f"fairgate_network_{path.stem}")
    module.__file__ = str(path)
    exec(compile(path.read_text(), str(path), "exec"), module.__dict__)  # noqa: S102  (the user's own file)
    found = module.__dict__.get(name)
    if not callable(found):
        raise StageError("train", f"{relative} has no function {name}",
                         f"define {name}(n_features) there, returning the network")
    return found


def build(spec: str, n_features: int, kind: type, contract: str, root: Path | None = None) -> Any:
    """The network ``spec`` builds for ``n_features`` inputs, checked to be a ``kind`` (``contract`` says what the
    callable must return)."""
    model = builder(spec, root)(n_features)
    if not isinstance(model, kind):
        raise StageError("train", f"{spec} returned {type(model).__name__}, not {contract}", f"return {contract}")
    return model
