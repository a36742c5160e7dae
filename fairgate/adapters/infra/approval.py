"""A person approves. With ``promote.require_approval`` a candidate that passed the gate waits under the pending
alias; approve moves the champion to it through the same compare-and-set path as promote (re-gating it when the
champion moved since its gate ran), reject clears the pending alias. Both are ledger entries naming who acted,
when and why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fairgate.adapters.infra import ledger, registry
from fairgate.adapters.infra.locks import exclusive, lock_path
from fairgate.adapters.infra.promotion import (
    MAX_ATTEMPTS,
    actor,
    evidence,
    evidence_digest,
    gate_tags,
    move_alias,
    reconcile_locked,
    required_reason,
    store_uri,
)
from fairgate.core.errors import StageError

Reevaluate = Callable[[str | None], dict[str, Any]]


def waiting_entry(name: str, pending_alias: str, version: str, verb: str) -> dict[str, Any]:
    """The ledger entry of ``version`` waiting under ``pending_alias``, or a clear refusal."""
    pending = registry.champion_version(name, pending_alias)
    mine = [e for e in ledger.read(name) if e.get("version") == version]
    if pending == version and mine and mine[-1]["action"] == "awaiting_approval":
        return mine[-1]
    decided = [e for e in mine if e["action"] in ("rejected", "awaiting_approval", "promoted")]
    if decided and decided[-1]["action"] == "rejected":
        raise StageError(verb, f"version {version} failed the gate ({'; '.join(decided[-1].get('reasons') or [])}), "
                         f"so it cannot be {verb}d", "only a candidate that passed the gate waits for approval; fix "
                         "what failed and run `fairgate run` again")
    raise StageError(verb, f"version {version} of '{name}' is not waiting for approval (the '{pending_alias}' alias is "
                     f"on {'version ' + pending if pending else 'no version'})",
                     "see `fairgate history` for the versions that wait")


def _entry(name: str, version: str, current: str | None, after: str | None, reasons: list[str],
           lineage: dict[str, str], **more: Any) -> dict[str, Any]:
    return {"model": name, "version": version, "previous_champion": current, "champion_after": after,
            "reasons": reasons, "actor": actor(), "git_commit": lineage.get("git.commit"),
            "data_md5": lineage.get("data.raw_md5")} | more


def approve(name: str, alias: str, pending_alias: str, version: str, reason: str, reevaluate: Reevaluate,
            lineage: dict[str, str]) -> dict[str, Any]:
    """Move the champion to the waiting ``version``. Its gate evidence must be against the champion of now; when
    the champion moved since, the candidate is judged again (``reevaluate``) and waits anew or is rejected."""
    reason, regated = required_reason("approve", reason), False
    for _ in range(MAX_ATTEMPTS):
        with exclusive(lock_path(store_uri(), name)):
            reconcile_locked(name, alias)
            waiting = waiting_entry(name, pending_alias, version, "approve")
            current = registry.champion_version(name, alias)
            if current == waiting.get("champion_at_gate"):
                moved = move_alias(name, alias, version, _entry(
                    name, version, current, version, [f"approved: {reason}"], lineage, action="promoting",
                    verdict="pass", approved_entry=waiting["seq"], evidence_sha256=waiting.get("evidence_sha256"),
                    evidence=waiting.get("evidence")), gate_tags({"verdict": "pass"}, waiting.get("evidence_sha256", ""),
                                                              len(ledger.read(name)) + 1))
                registry.delete_alias(name, pending_alias)
                return moved | {"regated": regated}
        decision, regated = reevaluate(current), True
        with exclusive(lock_path(store_uri(), name)):
            if registry.champion_version(name, alias) != current:
                continue  # moved again while judging: judge again
            regate = _entry(name, version, current, current, decision["reasons"], lineage, verdict=decision["verdict"],
                            evidence_sha256=evidence_digest(decision), evidence=evidence(decision),
                            regated_for_approval=True, champion_at_gate=current, pending_alias=pending_alias)
            if decision["verdict"] != "pass":
                registry.delete_alias(name, pending_alias)
                return ledger.append(name, regate | {"action": "rejected"}) | {"regated": True}
            ledger.append(name, regate | {"action": "awaiting_approval"})
    raise StageError("approve", f"the champion kept moving; gave up after {MAX_ATTEMPTS} re-evaluations",
                     f"run `fairgate approve {version}` again when other promotions have finished")


def reject(name: str, alias: str, pending_alias: str, version: str, reason: str, lineage: dict[str, str]) -> dict[str, Any]:
    """Clear the pending alias from ``version``; the champion stays where it is."""
    reason = required_reason("reject", reason)
    with exclusive(lock_path(store_uri(), name)):
        reconcile_locked(name, alias)
        waiting = waiting_entry(name, pending_alias, version, "reject")
        current = registry.champion_version(name, alias)
        registry.delete_alias(name, pending_alias)
        return ledger.append(name, _entry(name, version, current, current, [f"rejected by a reviewer: {reason}"],
                                          lineage, action="approval_rejected", verdict=waiting.get("verdict")))
