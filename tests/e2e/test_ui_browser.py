"""The MLflow UI as a reviewer reads it, in headless Chromium (Debian's package, no download): the runs table
names each outcome and shows its datasets, a failed run is failed and says why, the run page carries the
promotion card, and the model page shows the champion alias on the promoted version."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from fairgate.adapters.infra.processes import free_port
from tests.faults.conftest import clean_frame
from tests.project import BIN, REPO
from tests.servers import stop_group, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
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
def ui(browser, trained, copy_of):
    """A realistic history - one promoted run, one rejected, one validation failure - served by `fairgate ui`."""
    project = copy_of(trained.project, "ui")  # the promoted run
    project.fairgate("run", "-S", "data.synthetic.bias=1", "-S", "gate.max_demographic_parity_difference=0.05",
                     "-S", "mitigate.methods=[]")
    bad = clean_frame(2000)
    bad.loc[:40, "hours_per_week"] = 400
    bad.to_csv(project.root / "data/input/bad.csv", index=False)
    assert project.fairgate("run", "-S", "data.source=data/input/bad.csv", check=False).returncode == 1
    port = free_port()
    server = subprocess.Popen([str(BIN / "fairgate"), "ui", "--port", str(port)], cwd=project.root, env=project.env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        link = server.stdout.readline()
        wait_for(lambda: _answers(f"{base}/health"), 90, "the MLflow UI to answer", poll_s=0.5)
        yield project, base, link.split("the runs: ")[-1].strip()
    finally:
        stop_group(server)


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    return path


def test_a_reviewer_reads_what_happened_in_each_run(ui, browser):
    project, base, link = ui
    client = project.client()
    experiment = client.get_experiment_by_name("fairgate")
    runs = {r.info.run_name: r for r in client.search_runs([experiment.experiment_id])}
    promoted = next(name for name in runs if name.startswith("v1 promoted (acc "))
    rejected = next(name for name in runs if name.startswith("v2 rejected: demographic_parity[sex]"))
    failed = next(name for name in runs if name.startswith("validate failed: 1 expectation"))
    assert runs[failed].info.status == "FAILED" and runs[rejected].info.status == "FINISHED"
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.set_default_timeout(30_000)

    assert link.startswith(base) and link.endswith("workflowType=machine_learning"), link
    page.goto(link)
    page.get_by_role("columnheader", name="Run Name").first.wait_for()
    for name in (promoted, rejected, failed):
        page.get_by_role("link", name=name).first.wait_for()
    assert page.get_by_role("columnheader", name="Dataset").first.is_visible()
    chips = page.get_by_text(re.compile(r"^raw \([0-9a-f]{8}"))  # the Dataset cell: the snapshot, by DVC's md5
    chips.first.wait_for()
    assert chips.count() >= 3, "every run shows the data it saw"
    _shot(page, "mlflow-runs-table")

    page.get_by_role("link", name=failed).first.click()
    page.get_by_text("About this run").wait_for()
    assert page.get_by_text("Failed", exact=True).first.is_visible()
    assert page.get_by_text("expect_column_values_to_be_between column 'hours_per_week'").first.is_visible()
    _shot(page, "mlflow-failed-run")

    page.goto(link)
    page.get_by_role("link", name=promoted).first.click()
    page.get_by_text("Promotion card: fairgate - PASS").first.wait_for()
    _shot(page, "mlflow-run-card")
    more = page.get_by_text("Show more").first  # the description opens collapsed; the explanations end the card
    if more.is_visible():
        more.click()
    explanations = page.get_by_text("Explanations", exact=True).first
    explanations.wait_for()
    explanations.scroll_into_view_if_needed()
    assert page.get_by_text("gap, split by column").first.is_visible()
    _shot(page, "mlflow-run-explanations")

    page.goto(f"{base}/#/models/fairgate?workflowType=machine_learning")
    version = page.get_by_role("row").filter(has_text="Version 1").first
    version.wait_for()
    assert "champion" in version.inner_text()
    assert "champion" not in page.get_by_role("row").filter(has_text="Version 2").first.inner_text()
    version.scroll_into_view_if_needed()
    _shot(page, "mlflow-model-champion")
