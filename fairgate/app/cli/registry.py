"""`fairgate history` and `fairgate rollback`: the promotion ledger, read and acted on."""

from __future__ import annotations

from typing import Annotated

import typer

from fairgate.app.cli.common import app, console, fail, registry_context, setup_logging
from fairgate.app.run_service import reconcile_champion
from fairgate.core.errors import StageError


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
                      f"verdict={e.get('verdict')} by {e.get('actor', '?')}" + (f": {why}" if why else "") + how,
                      markup=False, soft_wrap=True)


@app.command()
def rollback(to: Annotated[str | None, typer.Option("--to", help="version to restore (default: previous champion)")] = None,
             reason: Annotated[str, typer.Option(help="why, for the ledger")] = "manual rollback") -> None:
    """Move the champion alias back and record why in the ledger."""
    from fairgate.adapters.infra import promotion
    from fairgate.adapters.infra.lineage import lineage_tags

    setup_logging()
    root, params = registry_context()
    try:
        entry = promotion.rollback(params.promote.model_name, params.promote.alias, to, reason, lineage_tags(root))
    except StageError as exc:
        raise fail(exc) from None
    console.print(f"champion of '{params.promote.model_name}' moved from version {entry['previous_champion']} "
                  f"back to version {entry['version']} (ledger entry {entry['seq']})")
