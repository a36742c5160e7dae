"""What every `fairgate` command shares: the Typer app, consoles, logging, the project root, clear failures."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from fairgate.adapters.params_file import load_params
from fairgate.core.config import ConfigError, Params

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="The `fairgate` command: run the flow, run one stage (what dvc.yaml calls), open the MLflow UI.")
console = Console(stderr=False, soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
PARAMS = "params.yaml"


def setup_logging(verbose: bool = False) -> None:
    """fairgate's own progress at INFO; the libraries' chatter only when asked for with --verbose."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")  # the summary names the UI once
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "INFO" if verbose else "ERROR")
    # MLflow's usage telemetry: a background thread posting to its makers on every run, off unless asked for.
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    handler = RichHandler(console=err, show_path=False, show_time=False, markup=False)
    if not verbose:
        handler.addFilter(lambda record: record.name.startswith("fairgate") or (
            record.levelno >= logging.ERROR and not record.name.startswith("prefect")))
        warnings.filterwarnings("ignore", module="mlflow")
    logging.basicConfig(level=logging.WARNING, handlers=[handler], format="%(message)s", force=True)
    logging.getLogger("fairgate").setLevel(logging.DEBUG if verbose else logging.INFO)


def project_root() -> Path:
    """The nearest directory upwards holding dvc.yaml."""
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "dvc.yaml").exists():
            return candidate
    err.print("[red]fairgate: no dvc.yaml here or above; run from the project root[/]")
    raise typer.Exit(2)


def fail(exc: Exception, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]fairgate failed[/] {escape(str(exc))}")
    return typer.Exit(code)


@contextmanager
def workspace_lock(root: Path, holder: str = "`fairgate run`") -> Iterator[None]:
    """One pipeline command per workspace at a time; a second one exits with a clear message."""
    from fairgate.adapters.infra.locks import WorkspaceBusy, workspace

    try:
        with workspace(root, holder):
            yield
    except WorkspaceBusy as exc:
        err.print(f"[red]fairgate: {escape(str(exc))}[/]")
        raise typer.Exit(3) from None


def load_or_exit(path: Path, overrides: list[str] | None = None) -> Params:
    """The validated params, or exit 2 naming the key at fault."""
    try:
        return load_params(path, overrides)
    except ConfigError as exc:
        raise fail(exc, 2) from None


def project_and_params(verbose: bool = False) -> tuple[Path, Params]:
    """Logging set up, the project root, and its params (or exit 2 naming the key at fault)."""
    setup_logging(verbose)
    root = project_root()
    return root, load_or_exit(root / PARAMS)


def registry_context() -> tuple[Path, Params]:
    """The project, its params, and MLflow pointed at its store, for the commands that read the registry."""
    from fairgate.adapters.infra.mlflow_store import configure

    root = project_root()
    params = load_or_exit(root / PARAMS)
    configure(root, params.tracking.experiment)
    return root, params
