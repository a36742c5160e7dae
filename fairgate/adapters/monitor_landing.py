"""A landing folder of label files, judged on a schedule (`fairgate serve --monitor DIR`): each new file once, in
the order it landed, as a look at the champion. Which files were judged is kept beside the ledger
(``monitoring_store``), so a restart, or another machine, never judges the same file twice."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fairgate.adapters.infra import files, monitoring_store, registry
from fairgate.adapters.monitor import digest_of, run_monitor
from fairgate.adapters.score import LAST_SCORE
from fairgate.core.config import Params
from fairgate.core.errors import StageError

log = logging.getLogger(__name__)
LABEL_FILES = (".csv", ".parquet")


def landed(folder: Path) -> list[Path]:
    """The label files in ``folder``, oldest first (by modification time, then name); hidden files skipped."""
    if not folder.is_dir():
        raise StageError("monitor", f"the landing folder '{folder}' does not exist",
                         "create it, or pass --monitor with the folder the label files arrive in")
    found = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in LABEL_FILES
             and not p.name.startswith(".")]
    return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))


def scored_batches(root: Path) -> list[Path]:
    """Every batch `fairgate score` wrote into predictions/, and the last one wherever it went, oldest first."""
    batches = set((root / "predictions").glob("*.scored.parquet"))
    if (root / LAST_SCORE).exists():
        batches.add(Path(files.read_json(root / LAST_SCORE)["output"]))
    return sorted((p for p in batches if p.is_file()), key=lambda p: (p.stat().st_mtime_ns, p.name))


def judge_new_files(root: Path, params: Params, folder: Path) -> list[dict[str, Any]]:
    """Judge each label file not judged before against the champion's scored rows; a file that cannot be judged
    yet (no scored row of the champion matches it, or a fault in it) is named in the log and tried next time."""
    name, alias = params.promote.model_name, params.promote.alias
    judged = set(monitoring_store.judged_files(name))
    reports = []
    for path in landed(folder):
        digest = digest_of(path)
        if digest in judged:  # judged before, or a copy of a file judged in this run
            continue
        champion = registry.champion_version(name, alias)  # a breach's rollback may have moved it
        if champion is None:
            log.warning("monitor: model '%s' has no '%s'; the label files wait", name, alias)
            break
        try:
            reports.append(run_monitor(root, params, path, scored_batches(root), version=champion))
            judged.add(digest)
        except StageError as exc:
            log.warning("monitor: '%s' not judged: %s (%s)", path.name, exc.problem, exc.fix)
    if not reports:
        log.info("monitor: no new label file in %s", folder)
    return reports
