"""Moving the champion alias safely: compare-and-set under the promotion lock, audited in the ledger."""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import socket
from collections.abc import Callable
from typing import Any

from fairgate.errors import StageError
from fairgate.infra import ledger, registry
from fairgate.infra.locks import exclusive, lock_path

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def evidence_digest(decision: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(decision, sort_keys=True, default=str).encode()).hexdigest()


def _store_uri() -> str:
    import mlflow

    return mlflow.get_tracking_uri()


def promote(name: str, alias: str, version: str, decision: dict[str, Any],
            reevaluate: Callable[[str | None], dict[str, Any]], lineage: dict[str, str]) -> dict[str, Any]:
    """Move ``alias`` to ``version`` only if the gate passed against the champion it still points at.

    Under the lock the alias is re-read: if it moved since the gate read it, the lock is released and
    the candidate is re-evaluated against the new champion (``reevaluate``), then tried again. Every
    decision, promoted or rejected, is appended to the ledger; the same evidence is never recorded twice.
    """
    reevaluated = False
    for _ in range(MAX_ATTEMPTS):
        with exclusive(lock_path(_store_uri(), name)):
            current = registry.champion_version(name, alias)
            if current == version:
                return {"action": "already_champion", "version": version, "champion": version,
                        "previous_champion": current, "decision": decision, "reevaluated": reevaluated}
            if current == decision["champion_version"]:
                return _record(name, alias, version, current, decision, lineage) | {
                    "decision": decision, "reevaluated": reevaluated}
        log.info("promote: the champion moved to %s after the gate read it; re-evaluating", current)
        decision, reevaluated = reevaluate(current), True
    raise StageError("promote", f"the champion kept moving; gave up after {MAX_ATTEMPTS} re-evaluations",
                     "run `fairgate run` again when other promotions have finished")


def _record(name: str, alias: str, version: str, current: str | None, decision: dict[str, Any],
            lineage: dict[str, str]) -> dict[str, Any]:
    digest = evidence_digest(decision)
    tags = registry.version_tags(name, version)
    passed = decision["verdict"] == "pass"
    if tags.get("gate.evidence_digest") == digest and not passed:
        return {"action": "rejected", "version": version, "champion": current, "previous_champion": current,
                "recorded": False}
    if passed:
        registry.set_alias(name, alias, version)
    action = "promoted" if passed else "rejected"
    entry = ledger.append(name, {
        "action": action, "model": name, "version": version, "previous_champion": current,
        "champion_after": version if passed else current, "verdict": decision["verdict"],
        "reasons": decision["reasons"], "evidence_sha256": digest, "actor": actor(),
        "git_commit": lineage.get("git.commit"), "data_md5": lineage.get("data.raw_md5"),
    })
    registry.tag_version(name, version, {"gate.verdict": decision["verdict"], "gate.evidence_digest": digest,
                                         "gate.reasons": "; ".join(decision["reasons"])[:5000] or "all checks passed",
                                         "ledger.seq": str(entry["seq"])})
    return {"action": action, "version": version, "champion": entry["champion_after"],
            "previous_champion": current, "recorded": True, "ledger_seq": entry["seq"]}


def rollback(name: str, alias: str, to: str | None, reason: str, lineage: dict[str, str]) -> dict[str, Any]:
    """Move the alias back (to ``to``, else to the champion before the current one) and record why."""
    with exclusive(lock_path(_store_uri(), name)):
        current = registry.champion_version(name, alias)
        if to is None:
            moves = [e for e in ledger.read(name) if e.get("champion_after") == current
                     and e["action"] in ("promoted", "rolled_back") and e.get("previous_champion") != current]
            if current is None or not moves or moves[-1].get("previous_champion") is None:
                raise StageError("rollback", f"no earlier champion to roll back to (champion is {current})",
                                 "name a version with `fairgate rollback --to VERSION`")
            to = moves[-1]["previous_champion"]
        if not registry.version_exists(name, to):
            raise StageError("rollback", f"model '{name}' has no version {to}",
                             "see `fairgate history` for the versions that were champion")
        registry.set_alias(name, alias, to)
        return ledger.append(name, {
            "action": "rolled_back", "model": name, "version": to, "previous_champion": current,
            "champion_after": to, "verdict": None, "reasons": [reason], "actor": actor(),
            "git_commit": lineage.get("git.commit"), "data_md5": lineage.get("data.raw_md5"),
        })
