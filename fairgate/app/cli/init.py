"""`fairgate init`: draft the data contract of the user's file into params.yaml, ask for what only the user can
choose, and show each choice with its reason."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from fairgate.app.cli.common import PARAMS, app, console, err, project_root, setup_logging, workspace_lock

if TYPE_CHECKING:
    from fairgate.app.init_draft import InitResult, NeedsSensitive


@app.command()
def init(
    data: Annotated[Path, typer.Option("--data", help="the CSV or Parquet file to draft the contract of")],
    target: Annotated[str | None, typer.Option(help="the label column (default: guessed and explained)")] = None,
    positive: Annotated[str | None, typer.Option(help="the positive label value (default: guessed and explained)")] = None,
    sensitive: Annotated[str | None, typer.Option(help="sensitive columns, comma-separated: sex,race")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show the draft and the diff, write nothing")] = False,
) -> None:
    """Draft the data contract (data.* and validate.*) of your file into params.yaml, explaining each choice."""
    setup_logging()
    root = project_root()
    chosen = [c.strip() for c in sensitive.split(",") if c.strip()] if sensitive else None
    with workspace_lock(root, "`fairgate init`"):
        code = run_init(console, err, root, root / PARAMS, data, target, positive, chosen, dry_run)
    if code:
        raise typer.Exit(code)


def run_init(console: Console, err: Console, root: Path, params: Path, data: Path, target: str | None,
             positive: str | None, sensitive: list[str] | None, dry_run: bool) -> int:
    """Run `fairgate init` and return its exit code (0 done, 2 the user must choose or fix something)."""
    from fairgate.app.init_draft import NeedsSensitive, init_params
    from fairgate.core.draft import DraftError
    from fairgate.core.errors import StageError

    for _ in range(2):
        try:
            result = init_params(root, params, data, target, positive, sensitive, dry_run)
        except NeedsSensitive as needed:
            sensitive = _ask_sensitive(console, err, needed)
            if sensitive is None:
                return 2
            continue
        except (DraftError, StageError) as exc:
            err.print(f"[bold red]fairgate init failed[/] {escape(str(exc))}")
            return 2
        _show(console, result, dry_run)
        return 0
    return 2


def _ask_sensitive(console: Console, err: Console, needed: NeedsSensitive) -> list[str] | None:
    """List the candidate columns; ask for a choice when a person is at the terminal, else say how to give it."""
    if needed.candidates:
        err.print("These columns look like protected attributes (fairgate does not choose for you):")
        for column, why in needed.candidates:
            err.print(f"  - {escape(column)}: {escape(why)}")
    else:
        err.print("No column looks like a protected attribute by its name or values.")
    if not sys.stdin.isatty():
        example = ",".join(c for c, _ in needed.candidates[:2]) or "COLUMN"
        err.print(f"[red]fairgate init: choose the sensitive columns with --sensitive, e.g. --sensitive {escape(example)}[/]"
                  f"\n  columns: {escape(', '.join(needed.columns))}")
        return None
    from rich.prompt import Prompt

    answer = Prompt.ask("Sensitive columns, comma-separated", console=console)
    return [c.strip() for c in answer.split(",") if c.strip()] or None


def _show(console: Console, result: InitResult, dry_run: bool) -> None:
    console.print("[bold]Drafted data contract[/] (each choice, then why):")
    for choice in result.draft.choices:
        value = choice.value if isinstance(choice.value, str) else repr(choice.value)
        console.print(f"  {choice.key}: {value}\n      {choice.why}", markup=False, highlight=False)
    for warning in result.draft.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    if result.copied_from is not None:
        verb = "would copy" if dry_run else "copied"
        console.print(f"{verb} {escape(str(result.copied_from))} to {escape(result.source)} so that DVC versions it")
    console.print(result.diff or "params.yaml already holds this contract", markup=False, highlight=False)
    if dry_run:
        console.print("--dry-run: nothing written")
    else:
        console.print(f"params.yaml updated for {result.rows} rows of {escape(result.source)}. Next: fairgate run")
