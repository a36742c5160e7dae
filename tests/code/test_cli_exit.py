"""The `fairgate` executable ends without tearing down the interpreter, but only after what Python's own exit
does first: thread pools finish, exit handlers run, output is flushed, and the exit code is kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import atexit, concurrent.futures, pathlib, sys, time
from fairgate.app.cli import main

marker = pathlib.Path(sys.argv[1])
pool = concurrent.futures.ThreadPoolExecutor(1)  # its worker thread is not a daemon, as MLflow's are not
pool.submit(lambda: (time.sleep(0.5), marker.with_suffix(".pool").write_text("finished")))
atexit.register(lambda: marker.write_text("exit handler ran"))
sys.argv = ["fairgate", *sys.argv[2:]]
main()
"""


def _fairgate(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "marker"), *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)


def test_a_command_exits_with_its_code_after_the_pools_and_exit_handlers(tmp_path):
    done = _fairgate(tmp_path, "--help")
    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout and "run" in done.stdout
    assert (tmp_path / "marker").read_text() == "exit handler ran"
    assert (tmp_path / "marker.pool").read_text() == "finished"


def test_a_failing_command_keeps_its_exit_code_and_message(tmp_path):
    done = _fairgate(tmp_path, "run")  # no dvc.yaml here
    assert done.returncode == 2
    assert "no dvc.yaml here or above" in done.stderr
    assert (tmp_path / "marker").read_text() == "exit handler ran"
