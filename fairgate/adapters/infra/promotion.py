"""Moving the champion alias safely: compare-and-set under the promotion lock, audited in the ledger."""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

from fairgate.adapters.infra import ledger, registry
from fairgate.adapters.infra.locks import exclusive, lock_path
from fairgate.core.errors import StageError

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def actor() -> str:
    """Who acts, for the ledger: FAIRGATE_ACTOR when set (a CI job, a named reviewer), else user@host."""
    if os.environ.get("FAIRGATE_ACTOR"):
        return os.environ["FAIRGATE_ACTOR"]
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def evidence_digest(decision: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(decision, sort_keys=True, default=str).encode()).hexdigest()


def store_uri() -> str:
    import mlflow

    return mlflow.get_tracking_uri()


def required_reason(verb: str, reason: str) -> str:
    """The reason a person gave, for the ledger; an empty one is refused."""
    if not reason.strip():
        raise StageError(verb, "--reason is empty", f"say why, for the ledger: fairgate {verb} ... --reason 'why'")
    return reason.strip()


def promote(name: str, alias: str, version: str, decision: dict[str, Any],
            reevaluate: Callable[[str | None], dict[str, Any]], lineage: dict[str, str],
            note: dict[str, Any] | None = None, pending_alias: str | None = None) -> dict[str, Any]:
    """Move ``alias`` to ``version`` only if the gate passed against the champion it still points at.

    Under the lock the ledger is reconciled first and the alias re-read: if it moved since the gate
    read it, the lock is released and the candidate is re-evaluated against the new champion
    (``reevaluate``), then tried again. Every decision, promoted or rejected, is in the ledger; the
    same evidence is never recorded twice. With ``pending_alias`` a passing candidate gets that alias and
    waits for `fairgate approve` instead of becoming champion.
    """
    reevaluated = False
    for _ in range(MAX_ATTEMPTS):
        with exclusive(lock_path(store_uri(), name)):
            reconcile_locked(name, alias)
            current = registry.champion_version(name, alias)
            if current == version:
                return {"action": "already_champion", "version": version, "champion": version,
                        "previous_champion": current, "decision": decision, "reevaluated": reevaluated}
            if current == decision["champion_version"]:
                return _record(name, alias, version, current, decision, lineage, note or {}, pending_alias) | {
                    "decision": decision, "reevaluated": reevaluated}
        log.info("promote: the champion moved to %s after the gate read it; re-evaluating", current)
        decision, reevaluated = reevaluate(current), True
    raise StageError("promote", f"the champion kept moving; gave up after {MAX_ATTEMPTS} re-evaluations",
                     "run `fairgate run` again when other promotions have finished")


def gate_tags(decision: dict[str, Any], digest: str, seq: int) -> dict[str, str]:
    failing = [c["name"] for c in decision.get("checks", []) if c.get("status") != "pass"]
    return {"gate.verdict": str(decision["verdict"]), "gate.evidence_digest": digest,
            # short: the failing checks' names; the reasons are on the card
            "gate.reasons": ", ".join(failing)[:250] or "all checks passed", "ledger.seq": str(seq)}


def evidence(decision: dict[str, Any]) -> dict[str, Any]:
    """The gate's checks as the ledger keeps them, for monitoring to compare production with."""
    return {c["name"]: {"value": c.get("value"), "interval": c.get("interval")} for c in decision.get("checks", [])}


def _record(name: str, alias: str, version: str, current: str | None, decision: dict[str, Any],
            lineage: dict[str, str], note: dict[str, Any], pending_alias: str | None = None) -> dict[str, Any]:
    digest = evidence_digest(decision)
    passed = decision["verdict"] == "pass"
    if not passed or pending_alias:
        mine = [e for e in ledger.read(name) if e.get("version") == version]
        if any(e.get("evidence_sha256") == digest for e in mine):
            # already decided: a waiting candidate keeps its last state (awaiting, or rejected by a person)
            last = mine[-1]["action"] if passed else "rejected"
            if last == "awaiting_approval":  # a crash may have come between the entry and the alias
                registry.set_alias(name, pending_alias, version)
            return {"action": last, "version": version, "champion": current, "previous_champion": current,
                    "recorded": False}
    entry = {"model": name, "version": version, "previous_champion": current,
             "champion_after": version if passed else current, "verdict": decision["verdict"],
             "reasons": decision["reasons"], "evidence_sha256": digest, "actor": actor(),
             "git_commit": lineage.get("git.commit"), "data_md5": lineage.get("data.raw_md5"),
             "evidence": evidence(decision)} | note
    if passed and pending_alias:
        entry = ledger.append(name, entry | {"action": "awaiting_approval", "champion_after": current,
                                             "pending_alias": pending_alias, "champion_at_gate": current})
        registry.set_alias(name, pending_alias, version)
        registry.tag_version(name, version, gate_tags(decision, digest, entry["seq"]))
    elif passed:
        entry = move_alias(name, alias, version, entry | {"action": "promoting"},
                           gate_tags(decision, digest, len(ledger.read(name)) + 1))
    else:
        entry = ledger.append(name, entry | {"action": "rejected"})
        registry.tag_version(name, version, gate_tags(decision, digest, entry["seq"]))
    return {"action": entry["action"], "version": version, "champion": entry["champion_after"],
            "previous_champion": current, "recorded": True, "ledger_seq": entry["seq"]}


def move_alias(name: str, alias: str, version: str, intent: dict[str, Any],
               tags: dict[str, str] | None = None) -> dict[str, Any]:
    """Write the intent, move the alias, tag the version, complete the intent: a crash anywhere is reconcilable."""
    written = ledger.append(name, intent)
    registry.set_alias(name, alias, version)
    if tags:
        registry.tag_version(name, version, tags)
    return ledger.settle(name, written["seq"], ledger.INTENTS[intent["action"]])


def reconcile(name: str, alias: str) -> list[str]:
    """Bring the ledger, the alias and the version tags back into agreement after a crash; what was done.

    Every command that reads or moves the champion calls this first. It reads without the lock and
    takes it only when something needs repair.
    """
    if not _needs_repair(name, alias):
        return []
    with exclusive(lock_path(store_uri(), name)):
        return reconcile_locked(name, alias)


def _needs_repair(name: str, alias: str) -> bool:
    entries = ledger.read(name)
    if ledger.open_intents(entries) or registry.champion_version(name, alias) != ledger.ledger_champion(entries):
        return True
    return bool(entries) and _untagged(name, entries[-1])


def _untagged(name: str, entry: dict[str, Any]) -> bool:
    if entry["action"] not in ("promoted", "rejected") or not registry.version_exists(name, entry["version"]):
        return False
    return registry.version_tags(name, entry["version"]).get("ledger.seq") != str(entry["seq"])


def reconcile_locked(name: str, alias: str) -> list[str]:
    """``reconcile`` for a caller that holds the promotion lock."""
    done = []
    entries = ledger.read(name)
    current = registry.champion_version(name, alias)
    for intent in ledger.open_intents(entries):
        if current == intent["version"]:
            ledger.settle(name, intent["seq"], ledger.INTENTS[intent["action"]], recovered=True)
            done.append(f"completed ledger entry #{intent['seq']}: the alias had moved to version {current} "
                        "before the process stopped")
        else:
            ledger.settle(name, intent["seq"], "aborted", champion_after=intent["previous_champion"],
                          reasons=[*(intent.get("reasons") or []), "the process stopped before the alias moved"])
            done.append(f"aborted ledger entry #{intent['seq']}: version {intent['version']} never became champion")
    entries = ledger.read(name)
    audited = ledger.ledger_champion(entries)
    if current != audited:
        log.error("AUDIT: alias '%s' of '%s' points at version %s, but the ledger's champion is %s; recording it as "
                  "unaudited", alias, name, current, audited)
        tags = registry.version_tags(name, current) if current is not None else {}
        ledger.append(name, {"action": "unaudited", "model": name, "version": current, "previous_champion": audited,
                             "champion_after": current, "verdict": tags.get("gate.verdict"), "actor": actor(),
                             "reasons": [f"the alias was found on version {current} with no ledger entry for the move"]})
        done.append(f"recorded an unaudited move of the champion to version {current}")
    done += _repair_tags(name, ledger.read(name))
    for line in done:
        log.warning("reconcile: %s", line)
    return done


def _repair_tags(name: str, entries: list[dict[str, Any]]) -> list[str]:
    """Re-tag the last decided version from its ledger entry when a crash cut the tagging short."""
    decided = [e for e in entries if e["action"] in ("promoted", "rejected")]
    if not decided or not _untagged(name, decided[-1]):
        return []
    entry = decided[-1]
    registry.tag_version(name, entry["version"], gate_tags(entry, entry.get("evidence_sha256", ""), entry["seq"]))
    return [f"re-tagged version {entry['version']} from ledger entry #{entry['seq']}"]


def rollback(name: str, alias: str, to: str | None, reason: str, lineage: dict[str, str], force: bool = False,
             cause: str = "manual") -> dict[str, Any]:
    """Move the alias back to an earlier champion and record why.

    Only a version that was champion before, per the ledger, can come back: the gate or a reviewer never passed
    any other. One that left the alias for a breach, or was rejected since, comes back only with ``force``, which
    the ledger records as an override. Without ``to``, the target is the latest earlier champion that may come
    back. ``cause`` is ``breach`` when monitoring rolls back.
    """
    reason = required_reason("rollback", reason)
    with exclusive(lock_path(store_uri(), name)):
        reconcile_locked(name, alias)
        current = registry.champion_version(name, alias)
        entries = ledger.read(name)
        to = _rollback_target(name, entries, current) if to is None else _checked_target(name, entries, current, to,
                                                                                          force)
        override = {"override": True} if force and ledger.removed_since_champion(entries, to) else {}
        return move_alias(name, alias, to, {
            "action": "rolling_back", "model": name, "version": to, "previous_champion": current,
            "champion_after": to, "verdict": None, "reasons": [reason], "actor": actor(), "cause": cause,
            "git_commit": lineage.get("git.commit"), "data_md5": lineage.get("data.raw_md5")} | override)


def _rollback_target(name: str, entries: list[dict[str, Any]], current: str | None) -> str:
    earlier = [v for v in reversed(ledger.champions(entries)) if v != current]
    for version in dict.fromkeys(earlier):
        if ledger.removed_since_champion(entries, version) is None:
            return version
    skipped = [f"version {v} ({ledger.removed_since_champion(entries, v)})" for v in dict.fromkeys(earlier)]
    raise StageError("rollback", f"no earlier champion to roll back to (champion is {current})"
                     + (f": {'; '.join(skipped)}" if skipped else ""),
                     "name a version with `fairgate rollback --to VERSION`" + (
                         " (with --force and a --reason to override a removal)" if skipped else ""))


def _checked_target(name: str, entries: list[dict[str, Any]], current: str | None, to: str, force: bool) -> str:
    if not registry.version_exists(name, to):
        raise StageError("rollback", f"model '{name}' has no version {to}",
                         "see `fairgate history` for the versions that were champion")
    if to == current:
        raise StageError("rollback", f"version {to} is already the champion", "see `fairgate history`")
    if to not in ledger.champions(entries):
        raise StageError("rollback", f"version {to} of '{name}' was never champion, so no gate and no reviewer made "
                         "it one", "a version becomes champion through the gate (`fairgate run`) or, when it waits, "
                         "`fairgate approve`; see `fairgate history` for the versions that were champion")
    removed = ledger.removed_since_champion(entries, to)
    if removed and not force:
        raise StageError("rollback", f"version {to} was {removed} since it was champion",
                         f"roll back to another version, or override with `fairgate rollback --to {to} --force "
                         "--reason WHY` (the ledger records the override)")
    return to
