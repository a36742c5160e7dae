"""The `fairgate` command. Each module registers its subcommands on the one Typer app, in help order."""

# isort: skip_file
from fairgate.app.cli import run, init, registry, production, schedule, services  # noqa: F401  (registers the commands)
from fairgate.app.cli.common import app

__all__ = ["app"]
