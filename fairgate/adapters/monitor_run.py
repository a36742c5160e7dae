"""A monitoring record in MLflow and on disk: one run per record, a step per look, and the timeline figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fairgate.adapters.infra import files, run_pages, tracking
from fairgate.core import monitor as core
from fairgate.core.config import Params
from fairgate.core.monitor_figures import timeline_figure


def save_timeline(path: Path, record: dict[str, Any]) -> None:
    figure = timeline_figure(record)
    files.write_atomic(path, lambda tmp: files.save_figure(figure, tmp))


def log_look(root: Path, params: Params, record: dict[str, Any], report: dict[str, Any], artifacts: list[Path]) -> str:
    """Log the look into the record's run (made at its first look): each check's own and cumulative figures at
    ``step`` = look number, the verdict as tags, the report and timeline as artifacts. Returns the run's id."""
    experiment, version, look = params.tracking.experiment, record["version"], report["look"]["number"]
    run_id = record.get("run_id") or tracking.new_run(root, experiment, f"monitor v{version}",
                                                      tags={"fairgate.monitoring": "labels",
                                                            "monitor.model_version": version})
    metrics = []
    for check in report["checks"]:
        name, interval = check["name"], check["interval"]
        metrics += [(f"monitor.{name}", check["look"]["estimate"], look),
                    (f"monitor.cumulative.{name}", interval["estimate"], look),
                    (f"monitor.cumulative.{name}.low", interval["low"], look),
                    (f"monitor.cumulative.{name}.high", interval["high"], look)]
    metrics += [("monitor.rows", report["rows"], look), ("monitor.cumulative.rows", report["record"]["rows"], look)]
    with tracking.open_run(root, experiment, run_id, {}):
        tracking.log_metric_steps(metrics)
        tracking.log_files(artifacts, "monitor")
    run_pages.describe(run_id, name=f"monitor v{version}: {report['verdict']} after {look} looks",
                       note=core.markdown(report),
                       tags={"monitor.verdict": report["verdict"], "monitor.looks": str(look),
                             "monitor.look_verdict": report["look"]["verdict"]})
    return run_id
