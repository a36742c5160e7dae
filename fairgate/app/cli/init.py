"""`fairgate init`: draft the data contract of the user's file into params.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fairgate.app.cli.common import PARAMS, app, console, err, project_root, setup_logging, workspace_lock


@app.command()
def init(
    data: Annotated[Path, typer.Option("--data", help="the CSV or Parquet file to draft the contract of")],
    target: Annotated[str | None, typer.Option(help="the label column (default: guessed and explained)")] = None,
    positive: Annotated[str | None, typer.Option(help="the positive label value (default: guessed and explained)")] = None,
    sensitive: Annotated[str | None, typer.Option(help="sensitive columns, comma-separated: sex,race")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show the draft and the diff, write nothing")] = False,
) -> None:
    """Draft the data contract (data.* and validate.*) of your file into params.yaml, explaining each choice."""
    from fairgate.app.init_command import run_init

    setup_logging()
    root = project_root()
    chosen = [c.strip() for c in sensitive.split(",") if c.strip()] if sensitive else None
    with workspace_lock(root, "`fairgate init`"):
        code = run_init(console, err, root, root / PARAMS, data, target, positive, chosen, dry_run)
    if code:
        raise typer.Exit(code)
