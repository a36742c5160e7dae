"""A helper process beside the run, on the other core, for work whose imports would cost the run's own path.

Great Expectations takes a cold run 3-4 s to import and matplotlib about 1 s; the stages that need them wait for
their results anyway. A run that will need them calls ``start`` with what to prepare (``warmup``); the helper
imports it while the run imports its own modules. A stage then hands the helper a call (``submit``) and collects
its result (``Pending.result``) when it needs it, never having imported those modules itself.

Whenever the helper cannot give a result (none runs, as under `dvc repro`; it was not started for that work; it
died; or the call raised there), the call is made here instead, the same way. So a real error surfaces here, with
its own traceback, and the results never depend on where they were computed.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import pickle
import select
import signal
import subprocess
import sys
from dataclasses import dataclass
from itertools import count
from typing import Any

log = logging.getLogger(__name__)
_jobs = count()


@dataclass(frozen=True)
class Call:
    """``module.function(*args)``, named rather than imported, so that the caller need not import the module."""

    module: str
    function: str
    args: tuple[Any, ...]

    def here(self) -> Any:
        return getattr(importlib.import_module(self.module), self.function)(*self.args)


def _prepare(what: str) -> None:
    """Import ``module``, or import ``module:function`` and call the function (matplotlib's backend set-up)."""
    module, _, function = what.partition(":")
    imported = importlib.import_module(module)
    if function:
        getattr(imported, function)()


class _Helper:
    """The helper process. ``-P``: a project directory holding its own copy of the package must not shadow the
    installed one."""

    def __init__(self, prepare: list[str]) -> None:
        self.prepared = set(prepare)
        self.process = subprocess.Popen([sys.executable, "-P", "-m", __name__, *prepare], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        self.answers: dict[int, tuple[bool, Any]] = {}  # job -> (True, result) or (False, the helper's error)

    def send(self, job: int, call: Call) -> bool:
        try:
            pickle.dump((job, call), self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()
            return True
        except (OSError, ValueError, pickle.PicklingError):
            return False

    def outcome(self, job: int) -> tuple[bool, Any]:
        """(True, result) once the helper has made call ``job``; (False, why) when it could not."""
        try:
            while job not in self.answers:
                answered, ok, value = pickle.load(self.process.stdout)
                self.answers[answered] = (ok, value)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError) as exc:
            return False, f"the helper stopped: {type(exc).__name__}"
        return self.answers.pop(job)

    def stop(self) -> None:
        try:
            self.process.stdin.close()  # the helper exits at the end of its input
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


_helper: _Helper | None = None


def start(prepare: list[str]) -> None:
    """Start the helper, preparing ``prepare`` (modules, or ``module:function`` to call once imported), unless it
    runs already or there is nothing to prepare."""
    global _helper
    if _helper is None and prepare:
        _helper = _Helper(prepare)


def prepared(what: str) -> bool:
    return _helper is not None and what in _helper.prepared


def stop() -> None:
    global _helper
    if _helper is not None:
        _helper.stop()
        _helper = None


@dataclass
class Pending:
    """A call handed to the helper (``job`` set), or kept to be made here; ``result`` waits for it, and then
    ``made_beside`` says where it was made."""

    call: Call
    job: int | None = None
    made_beside: bool = False

    def result(self) -> Any:
        if self.job is not None and _helper is not None:
            ok, value = _helper.outcome(self.job)
            if ok:
                self.made_beside = True
                return value
            log.debug("the helper could not make %s.%s: %s; making it here", self.call.module, self.call.function, value)
        return self.call.here()


def submit(call: Call, needs: str) -> Pending:
    """Hand ``call`` to the helper when it was started to prepare ``needs``; else keep it to make in ``result``."""
    if prepared(needs):
        job = next(_jobs)
        if _helper.send(job, call):
            return Pending(call, job)
    return Pending(call)


def _serve(prepare: list[str]) -> None:
    """The helper: prepare, then make each call read from stdin and answer (job, ok, result or error) on stdout,
    until stdin ends. A call that arrives while it still prepares is made first: its own imports come first."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # fairgate itself handles Ctrl+C, then closes our input
    source, answers = sys.stdin.buffer, sys.stdout.buffer
    for what in prepare:
        while select.select([source], [], [], 0)[0]:
            _answer_one(source, answers)
        with contextlib.suppress(Exception):  # a call that needs it then fails, and is made in the run itself
            _prepare(what)
    while True:
        _answer_one(source, answers)


def _answer_one(source: Any, answers: Any) -> None:
    try:
        job, call = pickle.load(source)
    except EOFError:  # the run is done with us: end without tearing down what we imported
        os._exit(0)
    try:
        payload = pickle.dumps((job, True, call.here()), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        payload = pickle.dumps((job, False, f"{type(exc).__name__}: {exc}"))
    answers.write(payload)
    answers.flush()


if __name__ == "__main__":
    _serve(sys.argv[1:])
