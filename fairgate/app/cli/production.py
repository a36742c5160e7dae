"""After promotion: `fairgate serve-model` (MLflow's model server on the champion), `fairgate score` (a batch, as a
Prefect flow) and `fairgate monitor` (fairness on labelled production rows, as a Prefect flow)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from fairgate.app.cli.common import (
    app,
    console,
    err,
    fail,
    project_and_params,
    project_root,
    registry_context,
    setup_logging,
)
from fairgate.core.errors import StageError

BREACH_EXIT = 4


@app.command("serve-model")
def serve_model(port: Annotated[int, typer.Option(help="port to listen on")] = 5001,
                host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
                version: Annotated[str | None, typer.Option(help="a registered version (default: the champion)")] = None
                ) -> None:
    """Serve the champion (or --version) over HTTP with MLflow's model server, in this project's environment."""
    from fairgate.adapters.infra import processes, registry
    from fairgate.adapters.infra.mlflow_store import tracking_uri
    from fairgate.adapters.infra.pyfunc import UNSEEN_CATEGORIES_ENV

    setup_logging()
    root, params = registry_context()
    name, alias = params.promote.model_name, params.promote.alias
    if version is None:
        version = registry.champion_version(name, alias)
        if version is None:
            raise fail(StageError("serve-model", f"model '{name}' has no '{alias}' yet",
                                  "run `fairgate run` until a candidate is promoted, or pass --version"))
        uri = f"models:/{name}@{alias}"
    elif registry.version_exists(name, version):
        uri = f"models:/{name}/{version}"
    else:
        raise fail(StageError("serve-model", f"model '{name}' has no version {version}",
                              "see `fairgate history` for its versions"), 2)
    if not processes.port_free(host, port):
        raise fail(StageError("serve-model", f"port {port} on {host} is taken", "pass --port with a free port"), 2)
    console.print(f"Serving '{name}' version {version} ({uri}) at http://{host}:{port}/invocations "
                  "(POST raw feature rows as JSON, e.g. {\"dataframe_records\": [...]}; Ctrl+C to stop)")
    _serve([str(Path(sys.executable).with_name("mlflow")), "models", "serve", "-m", uri, "--env-manager", "local",
            "--host", host, "--port", str(port)], os.environ | {"MLFLOW_TRACKING_URI": tracking_uri(root),
                                                                UNSEEN_CATEGORIES_ENV: params.score.unseen_categories,
                                                                # MLflow starts uvicorn by name: this interpreter's
                                                                # bin first, so no activated venv is needed
                                                                "PATH": os.pathsep.join([str(Path(sys.executable).parent),
                                                                                         os.environ.get("PATH", "")])})


def _serve(command: list[str], env: dict[str, str]) -> None:
    """Run MLflow's server (its CLI and the uvicorn it starts) in a process group of its own, and stop the whole
    group on Ctrl+C or SIGTERM; it also dies with this process if this one is killed outright."""
    import subprocess

    from fairgate.adapters.infra import processes

    sys.stdout.flush()
    guarded = [sys.executable, "-m", "fairgate.adapters.infra.die_with_parent", str(os.getpid()), *command]
    server = subprocess.Popen(guarded, env=env, start_new_session=True)
    stopping = []

    def stop(*_: object) -> None:
        stopping.append(True)
        processes.stop(server.pid)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = server.wait()
    if stopping:
        console.print("model server stopped")
        return
    raise fail(RuntimeError(f"MLflow's model server exited with status {code}"), code or 1)


def _in_flow(run) -> dict:
    """Run a flow against a Prefect server: PREFECT_API_URL's, or a local one for this command."""
    from fairgate.adapters.infra.prefect_api import RunServer

    root = project_root()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the local Prefect server stops too
    with RunServer(root) as server:
        server.start()
        server.wait_ready()
        try:
            return run(root)
        except StageError as exc:
            raise fail(exc) from None
        except KeyboardInterrupt:
            err.print("[bold red]fairgate: interrupted[/] - nothing was written")
            raise typer.Exit(130) from None


@app.command()
def score(input_: Annotated[Path, typer.Option("--input", help="CSV or Parquet rows to score (no label needed)")],
          output: Annotated[Path | None, typer.Option(help="Parquet file to write (default: "
                                                           "predictions/<input>.scored.parquet)")] = None,
          verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    """Score a batch with the champion (a Prefect flow): checked against the contract, written atomically."""
    from fairgate.adapters.score import check_paths, default_output

    root, _ = project_and_params(verbose)
    try:
        check_paths(root, input_.resolve(), output.resolve() if output else default_output(root, input_.resolve()))
    except StageError as exc:
        raise fail(exc) from None

    def run(root: Path) -> dict:
        from flows.production import score as score_flow

        return score_flow(root=str(root), source=str(input_.resolve()), output=str(output.resolve()) if output else None)

    summary = _in_flow(run)
    console.print(f"Scored {summary['rows']} rows of {input_} with '{summary['model']}' version "
                  f"{summary['model_version']} into {summary['output']} ({summary['rows_per_s']:.0f} rows/s; positive "
                  f"rate {summary['positive_rate']:.3f}; MLflow run {summary['scoring_run_id']})")


@app.command()
def monitor(labels: Annotated[Path, typer.Option(help="CSV or Parquet with monitor.key and the label column")],
            predictions: Annotated[Path | None, typer.Option(help="scored Parquet file (default: the last "
                                                                  "`fairgate score` output)")] = None,
            verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    """Judge the champion's fairness on production rows whose labels arrived; a breach exits 4."""
    from fairgate.adapters.infra import files
    from fairgate.adapters.score import LAST_SCORE

    root, _ = project_and_params(verbose)
    if predictions is None:
        if not (root / LAST_SCORE).exists():
            raise fail(StageError("monitor", "no batch has been scored in this project yet",
                                  "run `fairgate score --input FILE` first, or pass --predictions"), 2)
        predictions = Path(files.read_json(root / LAST_SCORE)["output"])

    def run(root: Path) -> dict:
        from flows.production import monitor as monitor_flow

        return monitor_flow(root=str(root), labels=str(labels.resolve()), predictions=str(predictions.resolve()))

    report = _in_flow(run)
    from fairgate.core.monitor import BREACH, markdown

    console.print(markdown(report), markup=False, soft_wrap=True)
    console.print("Report: reports/monitor/report.json and report.md")
    if report["verdict"] == BREACH:
        raise typer.Exit(BREACH_EXIT)
