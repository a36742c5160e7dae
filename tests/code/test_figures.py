"""Figures drawn by the side process (fairgate.adapters.infra.figures), and drawn here when it cannot."""

from __future__ import annotations

import pandas as pd
import pytest

from fairgate.adapters.infra import figures, processes, side_process

ROC = pd.DataFrame({"fpr": [0.0, 0.2, 1.0], "tpr": [0.0, 0.7, 1.0]})
CALIBRATION = pd.DataFrame({"predicted": [0.1, 0.5, 0.9], "observed": [0.12, 0.45, 0.93], "count": [5, 5, 5]})


def _figures(folder) -> list[figures.Figure]:
    return [figures.Figure("roc_figure", (ROC, 0.81), folder / "roc.png"),
            figures.Figure("calibration_figure", (CALIBRATION, 0.03), folder / "calibration.png")]


def _is_png(path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def helper():
    side_process.start([figures.PREPARE])
    yield side_process._helper
    side_process.stop()


def test_the_helper_draws_the_figures_and_ends_with_the_run(tmp_path, helper):
    drawing = figures.draw(_figures(tmp_path))
    handed = list(drawing.pending)
    assert all(pending.job is not None for pending in handed)  # handed off, not drawn here
    drawing.wait()
    assert all(pending.made_beside for pending in handed)
    assert _is_png(tmp_path / "roc.png") and _is_png(tmp_path / "calibration.png")
    pid = helper.process.pid
    side_process.stop()
    assert not processes.alive(pid) and side_process._helper is None


def test_figures_are_drawn_here_without_a_helper(tmp_path):
    assert side_process._helper is None
    drawing = figures.draw(_figures(tmp_path))
    assert all(pending.job is None for pending in drawing.pending)
    drawing.wait()
    assert _is_png(tmp_path / "roc.png") and _is_png(tmp_path / "calibration.png")


def test_a_helper_that_died_leaves_the_figures_to_be_drawn_here(tmp_path, helper):
    helper.process.kill()
    helper.process.wait()
    drawing = figures.draw(_figures(tmp_path))
    drawing.wait()
    assert _is_png(tmp_path / "roc.png") and _is_png(tmp_path / "calibration.png")


def test_a_figure_that_cannot_be_drawn_raises_its_own_error_here(tmp_path, helper):
    broken = figures.Figure("roc_figure", (ROC.rename(columns={"fpr": "x"}), 0.8), tmp_path / "roc.png")
    drawing = figures.draw([broken, *_figures(tmp_path)[1:]])
    with pytest.raises(KeyError, match="fpr"):
        drawing.wait()
    later = figures.draw(_figures(tmp_path))  # the helper goes on serving after one bad figure
    assert all(pending.job is not None for pending in later.pending)
    later.wait()
    assert _is_png(tmp_path / "roc.png")
