"""The `fairgate` command: run the flow, run one stage (what dvc.yaml calls), open the MLflow UI."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from fairgate.adapters.stages import STAGES
from fairgate.app.run_service import outside_source_stale, reap_killed_runs, reconcile_champion
from fairgate.core.config import ConfigError, Params, load_params, parse_override
from fairgate.core.errors import StageError

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console(stderr=False, soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
PARAMS = "params.yaml"


def _setup_logging(verbose: bool = False) -> None:
    """fairgate's own progress at INFO; the libraries' chatter only when asked for with --verbose."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")  # the summary names the UI once
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "INFO" if verbose else "ERROR")
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


def _fail(exc: Exception, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]fairgate failed[/] {escape(str(exc))}")
    return typer.Exit(code)


def write_params(root: Path, params_file: Path | None, overrides: list[str]) -> None:
    """Persist what the user asked for into params.yaml (as `dvc exp run -S` does), keeping comments."""
    from fairgate.adapters.params_file import set_values

    target = root / PARAMS
    if params_file is not None and params_file.resolve() != target.resolve():
        shutil.copyfile(params_file, target)
    if overrides:
        set_values(target, [parse_override(item) for item in overrides])


@contextmanager
def workspace_lock(root: Path, holder: str = "`fairgate run`"):
    """One pipeline command per workspace at a time; a second one exits with a clear message."""
    from fairgate.adapters.infra.locks import WorkspaceBusy, workspace

    try:
        with workspace(root, holder):
            yield
    except WorkspaceBusy as exc:
        err.print(f"[red]fairgate: {escape(str(exc))}[/]")
        raise typer.Exit(3) from None


def up_to_date(root: Path, params: Params, stale: list[str]) -> bool:
    """Say so and return True when a flow run would change nothing (see orchestrate.nothing_to_do)."""
    from fairgate.adapters.infra.dag import stage_order
    from fairgate.adapters.stages.context import StageContext
    from fairgate.app.orchestrate import nothing_to_do

    if not nothing_to_do(StageContext(root=root, params=params), stale):
        return False
    log = logging.getLogger("fairgate")
    for stage in stage_order(root):
        log.info("%s: up to date, skipped", stage)
    log.info("drift, promote: same snapshot, candidate and champion as the last run; nothing to do, "
             "so no Prefect flow run was started")
    return True


def _pipeline_once(root: Path, checked: Params, params_file: Path | None, overrides: list[str]) -> dict:
    """Run the stale stages (or say there is nothing to do) under the workspace lock; return where time went."""
    from fairgate.adapters.infra.prefect_api import RunServer

    with workspace_lock(root), RunServer(root) as server:
        write_params(root, params_file, overrides)
        os.chdir(root)
        from fairgate.adapters.infra import files, timing
        from fairgate.adapters.infra.dag import stage_order
        from fairgate.app.warmup import stale_from, warm_up

        started = time.perf_counter()
        timing.reset()
        reconcile_champion(root, checked)
        with timing.spent("dvc"):
            stale = outside_source_stale(root, checked) or stale_from(root)
        if stale:
            server.start()  # boots on the other core while the stale stages' modules import
        if up_to_date(root, checked, stale):
            outcome = {"stages": dict.fromkeys(stage_order(root), False)}
        else:
            warm_up(checked, stale, server)
            from flows.pipeline import pipeline

            reap_killed_runs(root, checked)
            outcome = pipeline(root=str(root), params=checked)
        spent = timing.snapshot() | {"total_s": round(time.perf_counter() - started, 3)}
        files.write_json(root / ".fairgate" / "last_run.json", spent | {"stages_run": outcome["stages"]})
    return spent


@app.command()
def run(
    params: Annotated[Path | None, typer.Option("--params", help="params file to run with (copied to params.yaml)")] = None,
    set_: Annotated[list[str] | None, typer.Option("-S", "--set", help="override a param: key.path=value (YAML)")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run the whole pipeline as a Prefect flow; stages DVC sees as up to date are skipped."""
    _setup_logging(verbose)
    root = project_root()
    overrides = list(set_ or [])
    try:
        checked: Params = load_params(params or root / PARAMS, overrides)
        from fairgate.app.preflight import check_columns

        check_columns(checked, root)
    except ConfigError as exc:
        raise _fail(exc, 2) from None
    from fairgate.adapters.infra.tracking import check_reachable, redact, tracking_uri

    try:
        check_reachable(tracking_uri(root))
    except StageError as exc:
        raise _fail(exc) from None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the local Prefect server stops too
    try:
        spent = _pipeline_once(root, checked, params, overrides)
    except StageError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        err.print("[bold red]fairgate: interrupted[/] - the stage that was running stopped; its MLflow run is marked "
                  "FAILED and the Prefect flow run CRASHED; nothing was promoted. Run `fairgate run` again to resume: "
                  "finished stages are not redone.")
        raise typer.Exit(130) from None
    from fairgate.app.summary import load_evidence, print_summary

    uri = redact(tracking_uri(root))
    print_summary(console, load_evidence(root), uri if uri.startswith("http") else f"fairgate ui  (store: {uri})")
    console.print(f"Took {spent['total_s']:.1f} s: stage work {spent.get('work_s', 0):.1f} s, of which MLflow "
                  f"{spent.get('tracking_s', 0):.1f} s; DVC {spent.get('dvc_s', 0):.1f} s.")


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

    _setup_logging()
    root = project_root()
    chosen = [c.strip() for c in sensitive.split(",") if c.strip()] if sensitive else None
    with workspace_lock(root, "`fairgate init`"):
        code = run_init(console, err, root, root / PARAMS, data, target, positive, chosen, dry_run)
    if code:
        raise typer.Exit(code)


@app.command()
def stage(name: Annotated[str, typer.Argument(help=f"one of: {', '.join(STAGES)}")]) -> None:
    """Run one stage in this process; this is what each `cmd:` in dvc.yaml calls."""
    _setup_logging()
    if name not in STAGES:
        raise _fail(ValueError(f"unknown stage '{name}'; stages are: {', '.join(STAGES)}"), 2)
    root = project_root()
    try:
        params = load_params(root / PARAMS)
    except ConfigError as exc:
        raise _fail(exc, 2) from None
    from fairgate.adapters.stages.context import StageContext
    from fairgate.app.orchestrate import run_stage

    ctx = StageContext.from_env(root, params)
    try:
        with workspace_lock(root, f"`fairgate stage {name}` (run by `dvc repro`?)"):
            if name == "ingest":
                from fairgate.adapters.stages.ingest import warn_if_outside

                warn_if_outside(ctx)
            run_stage(ctx, name)
    except StageError as exc:
        raise _fail(exc) from None


def _registry_context(params_path: Path | None = None) -> tuple[Path, Params]:
    root = project_root()
    try:
        params = load_params(params_path or root / PARAMS)
    except ConfigError as exc:
        raise _fail(exc, 2) from None
    from fairgate.adapters.infra.tracking import configure

    configure(root, params.tracking.experiment)
    return root, params


@app.command()
def history(at: Annotated[str | None, typer.Option(help="ISO time, e.g. 2026-11-23T14:00:00Z: "
                                                          "which version was champion then")] = None) -> None:
    """Print the promotion ledger (or, with --at, the champion at a given time)."""
    from datetime import UTC, datetime

    from fairgate.adapters.infra import ledger

    _setup_logging()
    root, params = _registry_context()
    reconcile_champion(root, params)
    entries = ledger.read(params.promote.model_name)
    if at is not None:
        try:
            when = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            raise _fail(ValueError(f"--at '{at}' is not an ISO time such as 2026-11-23T14:00:00Z"), 2) from None
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
        console.print(f"#{e['seq']} {e['time']} {e['action']} version {e['version']} "
                      f"(champion {e.get('previous_champion')} -> {e.get('champion_after')}) "
                      f"verdict={e.get('verdict')} by {e.get('actor', '?')}" + (f": {why}" if why else ""),
                      markup=False, soft_wrap=True)


@app.command()
def rollback(to: Annotated[str | None, typer.Option("--to", help="version to restore (default: previous champion)")] = None,
             reason: Annotated[str, typer.Option(help="why, for the ledger")] = "manual rollback") -> None:
    """Move the champion alias back and record why in the ledger."""
    from fairgate.adapters.infra import promotion
    from fairgate.adapters.infra.lineage import lineage_tags

    _setup_logging()
    root, params = _registry_context()
    try:
        entry = promotion.rollback(params.promote.model_name, params.promote.alias, to, reason, lineage_tags(root))
    except StageError as exc:
        raise _fail(exc) from None
    console.print(f"champion of '{params.promote.model_name}' moved from version {entry['previous_champion']} "
                  f"back to version {entry['version']} (ledger entry {entry['seq']})")


@app.command()
def sweep(seeds: Annotated[str, typer.Option(help="seeds to train: 1,2,3 or a range 1-5")] = "1-3",
          task_runner: Annotated[str, typer.Option(help="threads (one process) or dask (a local Dask cluster, "
                                                        "or --dask-address)")] = "threads",
          workers: Annotated[int, typer.Option(min=1, help="parallel trainings")] = 2,
          dask_address: Annotated[str | None, typer.Option(help="scheduler of an existing Dask cluster, "
                                                                "e.g. tcp://10.0.0.5:8786")] = None,
          verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    """Train one model per seed in parallel and report the spread; each seed is an MLflow child run."""
    _setup_logging(verbose)
    root = project_root()
    params = _load(root)
    from fairgate.core import sweep as core

    try:
        chosen = core.parse_seeds(seeds)
    except ValueError as exc:
        raise _fail(exc, 2) from None
    if task_runner not in ("threads", "dask"):
        raise _fail(ValueError(f"--task-runner '{task_runner}': use threads or dask"), 2)
    threads = max(1, (os.cpu_count() or 1) // min(workers, len(chosen)))
    with workspace_lock(root, "`fairgate sweep`"):
        os.chdir(root)
        from flows.sweep import sweep as sweep_flow
        from flows.sweep import task_runner as make_runner

        try:
            outcome = sweep_flow.with_options(task_runner=make_runner(task_runner, workers, dask_address))(
                root=str(root), params=params, seeds=chosen, threads=threads)
        except StageError as exc:
            raise _fail(exc) from None
    from fairgate.app.summary import print_sweep

    print_sweep(console, outcome, params.gate)


SCHEDULE_HELP = "run every N seconds instead of the params' schedule.cron (to try it out)"


def _load(root: Path) -> Params:
    try:
        return load_params(root / PARAMS)
    except ConfigError as exc:
        raise _fail(exc, 2) from None


@app.command()
def serve(interval: Annotated[float | None, typer.Option(help=SCHEDULE_HELP)] = None,
          name: Annotated[str, typer.Option(help="deployment name")] = "scheduled",
          port: Annotated[int, typer.Option(help="port of the local Prefect server started "
                                                 "when PREFECT_API_URL is not set")] = 4200) -> None:
    """Serve the pipeline as a Prefect deployment on the params' schedule until stopped (Ctrl+C)."""
    _setup_logging()
    root = project_root()
    params = _load(root)
    from fairgate.adapters.infra.prefect_api import prefect_api, quiet_env
    from fairgate.app import scheduling

    os.environ.update(quiet_env())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that a local server we started stops too
    try:
        with prefect_api(root, port) as api:
            console.print(f"Serving deployment 'fairgate-scheduled/{name}' on {api}, "
                          f"{scheduling.describe(params.schedule, interval)} (Ctrl+C to stop)")
            scheduling.serve(root, params.schedule, interval, name)
    except StageError as exc:
        raise _fail(exc) from None


@app.command()
def deploy(pool: Annotated[str, typer.Option(help="work pool (a process pool is created if missing)")] = "fairgate",
           interval: Annotated[float | None, typer.Option(help=SCHEDULE_HELP)] = None,
           name: Annotated[str, typer.Option(help="deployment name")] = "scheduled") -> None:
    """Register the pipeline as a deployment on the Prefect server at PREFECT_API_URL, for a work pool."""
    _setup_logging()
    root = project_root()
    params = _load(root)
    if not os.environ.get("PREFECT_API_URL"):
        raise _fail(ValueError("PREFECT_API_URL is not set, so there is no server to deploy to; start one with "
                               "`fairgate services up` and export what it prints, or use `fairgate serve`"), 2)
    from fairgate.app import scheduling

    deployment_id = scheduling.deploy(root, params.schedule, interval, name, pool)
    console.print(f"Deployment 'fairgate-scheduled/{name}' ({deployment_id}) registered for work pool '{pool}', "
                  f"{scheduling.describe(params.schedule, interval)}.\nStart a worker: prefect worker start --pool {pool}")


services_app = typer.Typer(no_args_is_help=True, help="The production profile: MLflow and Prefect servers on "
                                                          "PostgreSQL, and a process worker, on loopback.")
app.add_typer(services_app, name="services")


@services_app.command("up")
def services_up(postgres: Annotated[str | None, typer.Option(help="PostgreSQL server URL without a database "
                                                                  "[env FAIRGATE_POSTGRES_URL]")] = None,
                prefix: Annotated[str, typer.Option(help="databases are PREFIX_mlflow and PREFIX_prefect")] = "fairgate",
                mlflow_port: Annotated[int, typer.Option()] = 5000,
                prefect_port: Annotated[int, typer.Option()] = 4200,
                pool: Annotated[str, typer.Option(help="process work pool the worker serves")] = "fairgate") -> None:
    """Start the servers and a worker in the background; print the environment that points at them."""
    from fairgate.app import services

    _setup_logging()
    root = project_root()
    settings = services.settings_from(postgres, prefix=prefix, mlflow_port=mlflow_port,
                                      prefect_port=prefect_port, pool=pool)
    try:
        state = services.up(root, settings)
    except StageError as exc:
        raise _fail(exc) from None
    for name, service in state["services"].items():
        console.print(f"{name:8} pid {service['pid']:<7} {service['url']}  (log: {service['log']})", markup=False)
    console.print("Use them from this shell (then `fairgate run` or `fairgate deploy`):")
    console.print("\n".join(f"export {k}={v}" for k, v in state["env"].items()), markup=False)


@services_app.command("down")
def services_down() -> None:
    """Stop the services `fairgate services up` started from this project."""
    from fairgate.app import services

    stopped = services.down(project_root())
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "no services were running")


@services_app.command("status")
def services_status() -> None:
    """List the services started from this project and whether each is still running."""
    from fairgate.app import services

    root = project_root()
    state, alive = services.read_state(root), services.running(root)
    if not state:
        console.print("no services started from this project")
        return
    for name, service in state["services"].items():
        console.print(f"{name:8} {'running' if name in alive else 'STOPPED'}  {service['url']}", markup=False)


@app.command()
def ui(port: Annotated[int, typer.Option(help="port to serve on")] = 5000,
       host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1") -> None:
    """Serve the MLflow UI over this project's tracking store."""
    from fairgate.adapters.infra.tracking import tracking_uri

    root = project_root()
    command = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", tracking_uri(root),
               "--host", host, "--port", str(port)]
    console.print(f"MLflow UI on http://{host}:{port} (Ctrl+C to stop)")
    os.chdir(root)
    os.execv(sys.executable, command)  # become the server, so signals reach it directly


if __name__ == "__main__":
    app()
