"""Run the promote stage of a project and die (os._exit) at one step of moving the champion.

A kill at a chosen instruction cannot be caused from outside reliably, so this process wraps the one
registry or ledger call that marks the step and exits there, as `kill -9` would.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

CRASHED = 137


def _die_around(module, name: str, before: bool, when=lambda *a, **k: True) -> None:
    original = getattr(module, name)

    def wrapped(*args, **kwargs):
        if before and when(*args, **kwargs):
            os._exit(CRASHED)
        result = original(*args, **kwargs)
        if not before and when(*args, **kwargs):
            os._exit(CRASHED)
        return result

    setattr(module, name, wrapped)


def main(root: str, step: str) -> None:
    from fairgate.adapters.infra import ledger, registry
    from fairgate.adapters.params_file import load_params
    from fairgate.adapters.stages.context import StageContext
    from fairgate.adapters.stages.runner import run_stage

    project = Path(root)
    os.chdir(project)
    if step == "before_intent":
        _die_around(ledger, "append", before=True, when=lambda name, entry: entry["action"] == "promoting")
    elif step == "after_intent":
        _die_around(registry, "set_alias", before=True)
    elif step == "after_alias":
        _die_around(registry, "set_alias", before=False)
    elif step == "after_ledger":
        _die_around(ledger, "settle", before=False)
    else:
        raise SystemExit(f"unknown step {step}")
    run_stage(StageContext(root=project, params=load_params(project / "params.yaml")), "promote")
    raise SystemExit("the promotion finished without reaching the crash point")


if __name__ == "__main__":
    main(*sys.argv[1:3])
