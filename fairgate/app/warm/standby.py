"""The standby: a process that has imported what a run needs, serves exactly one `fairgate run`, and exits.

It declines a run whose environment differs in what libraries read when imported, from another Python, or
after fairgate's code or the installed packages changed (then it restarts)."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fairgate.adapters.infra import warm_socket
from fairgate.adapters.infra.prefect_api import API_ENV
from fairgate.app.warm import client

log = logging.getLogger("fairgate.warm")
# Environment variables libraries read once, at import: a standby imported with other values cannot serve.
READ_AT_IMPORT = ("PREFECT_", "MLFLOW_", "FAIRGATE_", "PYTHON", "TF_", "CUDA_", "OMP_", "MKL_", "TORCH",
                  "GX_", "LD_", "HOME", "VIRTUAL_ENV")
# Besides what a cold run's warm-up imports: what a run went on importing lazily, from a profile of one.
EXTRA_MODULES = ("flows.pipeline", "fairgate.adapters.gx_files", "fairgate.app.cli", "fairgate.app.summary",
                 "fairgate.adapters.infra.dag", "fairgate.adapters.infra.pyfunc", "dvc.repo", "dvc.scm", "git",
                 "mlflow.store.tracking.sqlalchemy_store", "alembic.config", "prefect.flow_engine",
                 "anyio._backends._asyncio", "tabulate")
# torch's optimizer imports torch._dynamo on its first step
FIRST_STEP_IMPORTS = {"torch": ("torch._dynamo",), "tensorflow": (), "sklearn": ()}


def standby(cli: Callable[..., Any], setup_logging: Callable[[], None]) -> None:
    """Import what a run needs, then serve exactly one `fairgate run` from the inherited listening socket with
    ``cli`` (the CLI hands itself down: `fairgate.app.cli.standby`)."""
    listener = socket.socket(fileno=int(sys.argv[1]))
    root = Path.cwd()
    # As in a terminal's command, whatever the supervisor inherited (a shell's background job ignores SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    setup_logging()  # the environment a run sets before it imports, so that the libraries see the same
    try:
        started, baseline = time.perf_counter(), dict(os.environ)
        warm_up(root)
        set_by_imports = {key: value for key, value in os.environ.items() if baseline.get(key) != value}
        fingerprint = code_fingerprint()
        log.info("warm in %.1f s: `fairgate run` in %s now starts here", time.perf_counter() - started, root)
        while True:
            connection, _ = listener.accept()
            with connection:
                if _answer(connection, root, baseline, fingerprint, set_by_imports, cli):
                    return
    except KeyboardInterrupt:
        sys.exit(130)


def warm_up(root: Path) -> None:
    from fairgate.adapters.infra.memory import freeze_what_exists
    from fairgate.adapters.params_file import load_params
    from fairgate.adapters.stages import STAGES
    from fairgate.app.warmup import modules_for
    from fairgate.core.config import ConfigError, Params
    from fairgate.core.plots import pyplot

    try:
        params = load_params(root / "params.yaml")
    except ConfigError:
        params = Params()  # the run itself will say what is wrong; warm what the defaults need
    for module in (*modules_for(list(STAGES), params), *EXTRA_MODULES,
                   *FIRST_STEP_IMPORTS[params.train.framework]):
        importlib.import_module(module)
    pyplot()
    freeze_what_exists()


def _answer(connection: socket.socket, root: Path, baseline: dict[str, str], fingerprint: str,
            set_by_imports: dict[str, str], cli: Callable[..., Any]) -> bool:
    """Serve or decline one connection; True when this standby is done (it ran a run, or must restart)."""
    received = warm_socket.receive_request(connection) if warm_socket.same_user(connection) else None
    if received is None:
        return False  # a probe (`fairgate warm` checking for a running worker), or a stranger
    request, streams = received
    why, restart = declined(request, root, baseline, fingerprint)
    if why:
        for fd in streams:
            os.close(fd)
        _tell(connection, {"declined": why})
        return restart
    _tell(connection, {"pid": os.getpid()})
    _tell(connection, {"exit": serve(request, streams, set_by_imports, cli)})
    return True


def _tell(connection: socket.socket, message: dict) -> None:
    with contextlib.suppress(OSError):  # the `fairgate run` that asked was stopped; nothing waits for the answer
        warm_socket.send_line(connection, message)


def declined(request: dict, root: Path, baseline: dict[str, str], fingerprint: str) -> tuple[str | None, bool]:
    """Why this standby cannot serve ``request`` (None when it can), and whether it must restart."""
    if request["executable"] != sys.executable:
        return f"it runs {sys.executable}, this command {request['executable']}", False
    if Path(request["root"]) != root:
        return f"it serves {root}, not {request['root']}", False
    env = request["env"]
    changed = sorted(key for key in {*baseline, *env} if key.startswith(READ_AT_IMPORT) and key != API_ENV
                     and baseline.get(key) != env.get(key))
    if changed:
        return (f"the environment differs in {', '.join(changed)}, which libraries read when imported "
                "(start `fairgate warm` from this shell to serve it)", False)
    if env.get(API_ENV) not in (None, baseline.get(API_ENV)):
        return f"{API_ENV} names another Prefect server than the worker's", False
    if code_fingerprint() != fingerprint:
        return "fairgate's code or the installed packages changed since it started; it restarts", True
    return None, False


def code_fingerprint() -> str:
    """Changes when a source file of fairgate, its flows or tasks, or the set of installed packages changes."""
    digest = hashlib.sha1()
    for package in ("fairgate", "flows", "tasks"):
        for path in sorted(Path(importlib.import_module(package).__file__).parent.rglob("*.py")):
            stat = path.stat()
            digest.update(f"{path}:{stat.st_mtime_ns}:{stat.st_size}\n".encode())
    for entry in sys.path:
        if entry and os.path.isdir(entry):  # installing or removing a package changes its directory's entries
            digest.update(f"{entry}:{os.stat(entry).st_mtime_ns}\n".encode())
    return digest.hexdigest()


def serve(request: dict, streams: list[int], set_by_imports: dict[str, str], cli: Callable[..., Any]) -> int:
    """Run the client's command line in this process, writing to its streams; its exit code.

    The environment is the client's, plus what the imports set in ours (as they would in a cold run)."""
    client.serving = True
    for target, fd in zip(warm_socket.STANDARD_STREAMS, streams, strict=True):
        os.dup2(fd, target)
        os.close(fd)
    sys.stdout.reconfigure(line_buffering=sys.stdout.isatty())
    api = os.environ[API_ENV]
    os.environ.clear()
    os.environ.update(request["env"] | set_by_imports)
    os.environ.setdefault(API_ENV, api)
    os.chdir(request["cwd"])
    from fairgate.adapters.infra.prefect_api import send_queued_logs_and_events

    try:
        cli(args=request["argv"], prog_name="fairgate")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except BaseException:  # as Python would for a cold run: the traceback, exit code 1
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        send_queued_logs_and_events()  # while the worker's Prefect server still listens
        sys.stdout.flush()
        sys.stderr.flush()
    return code
