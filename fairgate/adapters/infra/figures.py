"""Figures drawn by the helper process (``side_process``), beside the run's own work.

matplotlib costs a cold run about 1.5 s of its critical path: 0.6 s to import it, the rest drawing. A run that
will draw starts the helper preparing ``PREPARE`` (``warmup``), and a stage hands it its figures (``draw``) and
goes on with its own writes and MLflow logging until it needs the files (``Drawing.wait``). Without a helper
(`dvc repro` running one stage, or a helper that died) the figures are drawn in this process, the same way.
Each figure is one of ``fairgate.core.plots``'s functions, saved with ``files.save_figure``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fairgate.adapters.infra import side_process

PREPARE = "fairgate.core.plots:pyplot"


@dataclass(frozen=True)
class Figure:
    """One figure to draw: ``plots.<function>(*args)``, saved as PNG at ``path``."""

    function: str
    args: tuple[Any, ...]
    path: Path


def draw_figure(figure: Figure) -> None:
    from fairgate.adapters.infra.files import save_figure
    from fairgate.core import plots

    save_figure(getattr(plots, figure.function)(*figure.args), figure.path)


@dataclass
class Drawing:
    """Figures being drawn; ``wait`` returns once every file is written."""

    pending: list[side_process.Pending] = field(default_factory=list)

    def wait(self) -> None:
        for pending in self.pending:
            pending.result()
        self.pending = []


def draw(figures: list[Figure]) -> Drawing:
    """Hand ``figures`` to the helper when it prepared to draw (else they are drawn here, in ``wait``)."""
    return Drawing([side_process.submit(side_process.Call(__name__, "draw_figure", (figure,)), PREPARE)
                    for figure in figures])
