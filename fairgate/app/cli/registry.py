"""`fairgate history` and `fairgate rollback`: the promotion ledger, read and acted on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fairgate.adapters.before_run import reconcile_champion
from fairgate.app.cli.common import app, console, fail, registry_context, setup_logging, workspace_lock
from fairgate.core.errors import StageError

if TYPE_CHECKING:
    from fairgate.core.config import Params


@app.command()
def history(at: Annotated[str | None, typer.Option(help="ISO time, e.g. 2026-11-23T14:00:00Z: "
                                                          "which version was champion then")] = None) -> None:
    """Print the promotion ledger (or, with --at, the champion at a given time)."""
    from datetime import UTC, datetime

    from fairgate.adapters.infra import ledger

    setup_logging()
    root, params = registry_context()
    reconcile_champion(root, params)
    entries = ledger.read(params.promote.model_name)
    if at is not None:
        try:
            when = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            raise fail(ValueError(f"--at '{at}' is not an ISO time such as 2026-11-23T14:00:00Z"), 2) from None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        version = ledger.champion_at(entries, when)
        console.print(f"champion of '{params.promote.model_name}' at {when.isoformat()}: "
                      f"{'version ' + version if version else 'none'}")
        return
    if not entries:
        console.print(f"no ledger entries yet for '{params.promote.model_name}'")
        return
    console.print(f"Promotion ledger of '{params.promote.model_name}' (oldest first):")
    for e in entries:
        why = "; ".join(e.get("reasons") or [])
        mitigated = e.get("mitigation")
        how = (f" [mitigated by {mitigated['candidate']}; the unmitigated candidate failed: "
               f"{'; '.join(mitigated['unmitigated_failed'])}]") if mitigated else ""
        console.print(f"#{e['seq']} {e['time']} {e['action']} version {e['version']} "
                      f"(champion {e.get('previous_champion')} -> {e.get('champion_after')}) "
                      f"verdict={e.get('verdict')} by {e.get('actor', '?')}" + (" OVERRIDE" if e.get("override") else "")
                      + (f": {why}" if why else "") + how,
                      markup=False, soft_wrap=True)


@app.command()
def rollback(to: Annotated[str | None, typer.Option("--to", help="version to restore (default: the latest earlier "
                                                                   "champion that may come back)")] = None,
             reason: Annotated[str | None, typer.Option(help="why, for the ledger")] = None,
             force: Annotated[bool, typer.Option("--force", help="bring back a version that monitoring removed or a "
                                                                  "reviewer rejected; needs --reason")] = False) -> None:
    """Move the champion alias back to a version that was champion before, and record why in the ledger."""
    from fairgate.adapters.infra import promotion
    from fairgate.adapters.infra.lineage import lineage_tags

    setup_logging()
    root, params = registry_context()
    if force and reason is None:
        raise fail(StageError("rollback", "--force overrides a removal, so the ledger needs to say why",
                              "add --reason 'why this version may come back'"), 2)
    try:
        entry = promotion.rollback(params.promote.model_name, params.promote.alias, to, reason or "manual rollback",
                                   lineage_tags(root), force=force)
    except StageError as exc:
        raise fail(exc) from None
    override = " as an OVERRIDE of its removal" if entry.get("override") else ""
    console.print(f"champion of '{params.promote.model_name}' moved from version {entry['previous_champion']} "
                  f"back to version {entry['version']}{override} (ledger entry {entry['seq']})", markup=False)


def _regate(root, params, version: str):
    """Judge the waiting ``version`` again against a champion that moved since its gate ran: possible while this
    workspace still holds that candidate's test rows and selection."""
    from fairgate.adapters.infra import files, registry
    from fairgate.adapters.stages import gate_decision, paths
    from fairgate.adapters.stages.context import StageContext

    ctx = StageContext.from_env(root, params)

    def again(champion: str | None) -> dict:
        selection = files.read_json(ctx.path(paths.SELECTION)) if ctx.path(paths.SELECTION).exists() else None
        if selection is None or registry.version_of_run(params.promote.model_name, selection["run_id"]) != version:
            raise StageError("approve", f"the champion moved to version {champion} after version {version} was gated, "
                             "and this workspace no longer holds that candidate to judge again",
                             f"run `fairgate run` to gate a fresh candidate, or `fairgate reject {version}`")
        return gate_decision.rejudge_selection(ctx, selection, champion)

    return again


def _decide_waiting(decide: Callable[[Path, Params], dict]) -> tuple[dict, str]:
    """The ledger entry ``decide`` writes for a waiting version, and the model's name; a refusal exits 1 with
    its message."""
    setup_logging()
    root, params = registry_context()
    try:
        return decide(root, params), params.promote.model_name
    except StageError as exc:
        raise fail(exc) from None


@app.command()
def approve(version: Annotated[str, typer.Argument(help="the waiting version")],
            reason: Annotated[str, typer.Option(help="why, for the ledger")]) -> None:
    """Make a version that passed the gate and waits for approval the champion (re-gated if the champion moved)."""
    from fairgate.adapters.infra import approval
    from fairgate.adapters.infra.lineage import lineage_tags

    def decide(root: Path, params: Params) -> dict:
        cfg = params.promote
        with workspace_lock(root, "`fairgate approve`"):  # re-gating rewrites the gate's reports
            return approval.approve(cfg.model_name, cfg.alias, cfg.pending_alias, version, reason,
                                    _regate(root, params, version), lineage_tags(root))

    entry, model = _decide_waiting(decide)
    regated = " after re-gating it against the current champion" if entry["regated"] else ""
    if entry["action"] == "rejected":
        console.print(f"version {version} failed the gate when judged again{regated} and was not approved: "
                      + "; ".join(entry["reasons"]), markup=False)
        raise typer.Exit(1)
    console.print(f"champion of '{model}' moved from version {entry['previous_champion']} to version "
                  f"{version}{regated}, approved by {entry['actor']} (ledger entry {entry['seq']})", markup=False)


@app.command()
def reject(version: Annotated[str, typer.Argument(help="the waiting version")],
           reason: Annotated[str, typer.Option(help="why, for the ledger")]) -> None:
    """Turn down a version that waits for approval: its pending alias is cleared, the champion stays."""
    from fairgate.adapters.infra import approval
    from fairgate.adapters.infra.lineage import lineage_tags

    def decide(root: Path, params: Params) -> dict:
        cfg = params.promote
        return approval.reject(cfg.model_name, cfg.alias, cfg.pending_alias, version, reason, lineage_tags(root))

    entry, _ = _decide_waiting(decide)
    console.print(f"version {version} rejected by {entry['actor']} (ledger entry {entry['seq']}); the champion stays "
                  f"version {entry['champion_after']}", markup=False)
