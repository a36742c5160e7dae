"""The tiers docs/testing.md names: `make test-fast` leaves out exactly the end-to-end tests, and every test that
runs a server or a browser is end-to-end too."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import pytest

from tests.project import REPO

# One collection of the whole suite, writing each test's markers to the file named by argv[1].
COLLECT = """
import json, sys, pytest
class Markers:
    def pytest_collection_modifyitems(self, items):
        json.dump({i.nodeid: sorted({m.name for m in i.iter_markers()}) for i in items}, open(sys.argv[1], "w"))
sys.exit(pytest.main(["--collect-only", "-q", "-p", "no:randomly", "-p", "no:xdist"], plugins=[Markers()]))
"""


@pytest.fixture(scope="module")
def markers(tmp_path_factory) -> dict[str, set[str]]:
    out = tmp_path_factory.mktemp("collected") / "markers.json"
    done = subprocess.run([sys.executable, "-c", COLLECT, str(out)], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {node: set(names) for node, names in json.loads(out.read_text()).items()}


def test_make_test_fast_leaves_out_the_end_to_end_tests_and_nothing_else(markers):
    dry = subprocess.run(["make", "-n", "test-fast"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    command = next(shlex.split(line) for line in dry.splitlines() if "pytest" in line)
    options = command[command.index("pytest") + 1:]
    assert options[options.index("-m") + 1] == "not e2e"
    fast = {node.split("::")[0] for node, names in markers.items() if "e2e" not in names}
    assert not {f for f in fast if f.startswith("tests/e2e/")}, "an end-to-end module would run in the fast tier"
    assert {"tests/code/test_gate.py", "tests/faults/test_bad_config.py"} <= fast
    assert "tests/faults/test_faults.py" not in fast


def test_services_and_browser_tests_are_end_to_end(markers):
    for marker, module in (("services", "tests/e2e/test_services.py"), ("browser", "tests/e2e/test_ui_browser.py")):
        marked = {node for node, names in markers.items() if marker in names}
        assert marked and {node.split("::")[0] for node in marked} == {module}
        assert all("e2e" in markers[node] for node in marked)
