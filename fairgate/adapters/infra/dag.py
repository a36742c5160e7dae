"""The one DAG: dvc.yaml's stages, their staleness as DVC sees it, and recording them in dvc.lock."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml


def stage_order(root: Path) -> list[str]:
    """Stage names in dvc.yaml order (each stage's inputs come from stages before it)."""
    spec = yaml.safe_load((root / "dvc.yaml").read_text()) or {}
    return list(spec.get("stages", {}))


def tracked_paths(root: Path) -> list[Path]:
    """Every path dvc.yaml names as a stage's dependency or output, and the target of every ``.dvc`` file under
    data/."""
    dvc_yaml = root / "dvc.yaml"
    spec = (yaml.safe_load(dvc_yaml.read_text()) if dvc_yaml.is_file() else None) or {}
    named = []
    for stage in spec.get("stages", {}).values():
        for entry in [*(stage.get("deps") or []), *(stage.get("outs") or [])]:
            named.append(next(iter(entry)) if isinstance(entry, dict) else entry)
    pointers = [p.with_suffix("") for p in root.glob("data/**/*.dvc")]
    return [root / str(n) for n in named] + pointers


BUSY = ("this workspace is busy: another DVC command (`dvc repro`?) holds its DVC lock; wait for it to "
        "finish, then run again")


@contextmanager
def dvc_lock_as_busy() -> Iterator[None]:
    """DVC's LockError, raised when `dvc repro` runs beside us, as the same clear 'workspace busy' error."""
    from dvc.lock import LockError

    from fairgate.adapters.infra.locks import WorkspaceBusy

    try:
        yield
    except LockError:
        raise WorkspaceBusy(BUSY) from None


class Dag:
    """DVC's view of the workspace, used in-process so stages need not start a new interpreter."""

    def __init__(self, root: Path) -> None:
        from dvc.repo import Repo

        # DVC raises its own logger to INFO on import; keep its per-stage chatter out of fairgate's output.
        logging.getLogger("dvc").setLevel(logging.WARNING)
        self.root = root
        self.repo = Repo(str(root))
        self.stages = stage_order(root)
        self._unwritten: dict[str, object] = {}  # stage name -> DVC stage saved and cached, not yet in dvc.lock

    def changes(self, stage: str) -> list[str]:
        """What DVC says changed for this stage, one short line each (empty when it is up to date)."""
        lines = []
        with dvc_lock_as_busy():
            status = self.repo.status(targets=[stage])
        for change in status.get(stage, []):
            if isinstance(change, dict):
                lines += [f"{kind}: {', '.join(map(str, detail))}" if isinstance(detail, dict) else f"{kind}: {detail}"
                          for kind, detail in change.items()]
            else:
                lines.append(str(change))
        return lines

    def record(self, stage: str) -> None:
        """Hash the stage's deps and outs and cache its outputs now, as `dvc repro` would; its dvc.lock entry is
        written by ``write_records``.

        DVC's own `repo.commit` re-parses and re-dumps the whole dvc.lock (ruamel round-trip) for every stage,
        0.2-0.4 s each; a run writes its stages' entries in one go instead. The hashes are known at once, so
        the stages that follow read their inputs' lineage from ``lineage.recorded`` meanwhile.
        """
        from dvc.repo import lock_repo

        from fairgate.adapters.infra import lineage

        with dvc_lock_as_busy(), lock_repo(self.repo):
            for info in self.repo.stage.collect_granular(stage):
                info.stage.save()
                info.stage.commit(filter_info=info.filter_info, relink=True)
                self._unwritten[stage] = info.stage
                lineage.recorded(self.root, {str(out.def_path): out.hash_info.value for out in info.stage.outs})

    def write_records(self) -> None:
        """Write every recorded stage's entry to dvc.lock in one rewrite of the file."""
        if not self._unwritten:
            return
        from dvc.repo import lock_repo

        from fairgate.adapters.infra import lineage

        stages = list(self._unwritten.values())
        with dvc_lock_as_busy(), lock_repo(self.repo):
            stages[0].dvcfile.dump_stages(stages, update_pipeline=False)
        self._unwritten.clear()
        lineage.forget_recorded(self.root)

    def stale(self) -> set[str]:
        """The stages DVC sees as changed."""
        with dvc_lock_as_busy():
            return set(self.repo.status())

    def close(self) -> None:
        """Write what was recorded (also when a stage failed after others ran), then let go of the repo."""
        try:
            self.write_records()
        finally:
            self.repo.close()
