"""The MLflow UI in a real browser: headless Chromium (Debian's package) opens the experiment of a
completed pipeline run and shows the run, a metric value, and the fairness and promotion artifacts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fairgate.adapters.infra.processes import free_port
from tests.project import BIN, REPO, SMALL, make_project
from tests.servers import stop_group, wait_for

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = REPO / "build" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("no chromium: install Debian's package (apt-get install -y chromium); .ci/run does")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra: make install")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    """A completed pipeline run, served by `fairgate ui --port N` on loopback."""
    project = make_project(tmp_path_factory.mktemp("ui"), tmp_path_factory.mktemp("prefect-home"))
    project.fairgate("run", *SMALL)
    port = free_port()
    server = subprocess.Popen([str(BIN / "fairgate"), "ui", "--port", str(port)], cwd=project.root, env=project.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(f"{base}/health"), 90, "the MLflow UI to answer", poll_s=0.5)
        yield project, base
    finally:
        stop_group(server)


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_experiment_run_metric_and_artifacts_are_visible(ui, browser):
    project, base = ui
    client = project.client()
    experiment = client.get_experiment_by_name("fairgate")
    (run,) = client.search_runs([experiment.experiment_id])
    accuracy = run.data.metrics["test.accuracy"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.set_default_timeout(30_000)

    page.goto(f"{base}/#/experiments/{experiment.experiment_id}/runs")
    page.get_by_role("link", name="fairgate run").first.click()
    metric = page.get_by_role("row").filter(has_text="test.accuracy").first
    metric.wait_for()
    assert str(round(accuracy, 4))[:5] in metric.inner_text(), metric.inner_text()
    metric.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "mlflow-run-metrics.png"))

    page.get_by_text("Artifacts", exact=True).first.click()
    page.get_by_text("evaluate", exact=True).first.click()
    page.get_by_text("plots", exact=True).first.click()
    page.get_by_text("groups_sex.png", exact=True).first.click()
    page.get_by_text("evaluate/plots/groups_sex.png").first.wait_for()
    assert page.get_by_text("report.json", exact=True).first.is_visible()  # the fairness report
    page.screenshot(path=str(SCREENSHOTS / "mlflow-fairness.png"))

    page.get_by_text("promote", exact=True).first.click()
    page.get_by_text("card.md", exact=True).first.click()
    page.get_by_text("Promotion card:").first.wait_for()
    assert page.get_by_text("card.json", exact=True).first.is_visible()
    page.screenshot(path=str(SCREENSHOTS / "mlflow-promotion-card.png"))
    assert (SCREENSHOTS / "mlflow-promotion-card.png").stat().st_size > 10_000
