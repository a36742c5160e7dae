"""Figures drawn by a helper process, beside the run's own work.

matplotlib costs a cold run about 1.5 s of its critical path: 0.6 s to import it, the rest drawing. A run that
will draw calls ``start`` while it imports (``warm_up``). The helper then imports matplotlib on the other core,
and a stage hands it its figures (``draw``) and goes on with its own writes and MLflow logging until it needs the
files (``Drawing.wait``). Without a helper (`dvc repro` running one stage, or a helper that died) the figures
are drawn in this process, the same way. Each figure is one of ``fairgate.core.plots``'s functions, saved with
``files.save_figure``.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
_jobs = count()


@dataclass(frozen=True)
class Figure:
    """One figure to draw: ``plots.<function>(*args)``, saved as PNG at ``path``."""

    function: str
    args: tuple[Any, ...]
    path: Path

    def draw_here(self) -> None:
        from fairgate.adapters.infra.files import save_figure
        from fairgate.core import plots

        save_figure(getattr(plots, self.function)(*self.args), self.path)


class _Helper:
    """The helper process. ``-P``: a project directory holding its own copy of the package must not shadow the
    installed one."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-P", "-m", __name__], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        self.drawn: dict[int, str | None] = {}  # job -> None when drawn, else the helper's error

    def send(self, job: int, figure: Figure) -> bool:
        try:
            pickle.dump((job, figure), self.process.stdin)
            self.process.stdin.flush()
            return True
        except (OSError, ValueError):
            return False

    def outcome(self, job: int) -> bool:
        """True once the helper has drawn ``job``; False when it could not (the caller draws it instead)."""
        try:
            while job not in self.drawn:
                answered, error = pickle.load(self.process.stdout)
                self.drawn[answered] = error
        except (OSError, EOFError, pickle.UnpicklingError):
            return False
        error = self.drawn.pop(job)
        if error is not None:
            log.debug("the figure helper could not draw job %s: %s", job, error)
        return error is None

    def stop(self) -> None:
        try:
            self.process.stdin.close()  # the helper exits at the end of its input
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


_helper: _Helper | None = None


def start() -> None:
    """Start the helper, so that it has imported matplotlib by the time a stage draws; a no-op if running."""
    global _helper
    if _helper is None:
        _helper = _Helper()


def stop() -> None:
    global _helper
    if _helper is not None:
        _helper.stop()
        _helper = None


@dataclass
class Drawing:
    """Figures being drawn; ``wait`` returns once every file is written."""

    sent: list[tuple[int, Figure]] = field(default_factory=list)
    here: list[Figure] = field(default_factory=list)

    def wait(self) -> None:
        for job, figure in self.sent:
            if _helper is None or not _helper.outcome(job):
                figure.draw_here()  # the same figure, drawn here; a real error in it surfaces here
        for figure in self.here:
            figure.draw_here()
        self.sent, self.here = [], []


def draw(figures: list[Figure]) -> Drawing:
    """Hand ``figures`` to the helper when one runs (else keep them to draw in ``wait``)."""
    drawing = Drawing()
    for figure in figures:
        job = next(_jobs)
        if _helper is not None and _helper.send(job, figure):
            drawing.sent.append((job, figure))
        else:
            drawing.here.append(figure)
    return drawing


def _serve() -> None:
    """The helper: draw each figure read from stdin, answer (job, error or None) on stdout, until stdin ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # fairgate itself handles Ctrl+C, then closes our input
    from fairgate.core.plots import pyplot

    pyplot()
    source, answers = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            job, figure = pickle.load(source)
        except EOFError:  # the run is done with us: end without tearing down matplotlib, nothing is left to write
            os._exit(0)
        try:
            figure.draw_here()
            error = None
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        pickle.dump((job, error), answers)
        answers.flush()


if __name__ == "__main__":
    _serve()
