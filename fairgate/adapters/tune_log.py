"""The study in MLflow: one parent run per study (a resumed tune finds it again by its tag), one child run per
trial with its family, params and both objectives, and the study's points read back for selection."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fairgate.adapters.infra import mlflow_store
from fairgate.adapters.infra.tracking import safe_key
from fairgate.adapters.tune_study import complete
from fairgate.core.gate import check_parts

log = logging.getLogger(__name__)
STUDY_TAG = "fairgate.tune_study"


class TrialLog:
    """Logs each finished trial as a child run of the study's run, and says how far the study has come."""

    def __init__(self, root: Path, experiment: str, primary_metric: str, study: str, trials: int) -> None:
        import mlflow

        self.experiment = mlflow_store.configure(root, experiment)
        self.client = mlflow.MlflowClient(mlflow_store.tracking_uri(root))
        self.trials, self.primary = trials, primary_metric
        found = self.client.search_runs([self.experiment], f"tags.`{STUDY_TAG}` = '{study}'", max_results=1)
        self.parent = found[0].info.run_id if found else self.client.create_run(
            self.experiment, run_name=f"tune {study}", tags={STUDY_TAG: study, "fairgate.tune": "study"}).info.run_id

    def done(self, trial: Any, family: str, values: dict[str, Any], result: dict[str, Any]) -> None:
        from mlflow.entities import Metric, Param

        metrics = {f"val.{self.primary}": result["primary"], "val.largest_gap": result["largest_gap"],
                   "trial.seconds": result["seconds"]}
        for name, value in result["gaps"].items():
            metric, feature = check_parts(name)
            metrics[safe_key(f"val.{feature}.{metric}")] = value
        child = self.client.create_run(self.experiment, run_name=f"trial {trial.number} {family}", tags={
            "mlflow.parentRunId": self.parent, "fairgate.tune": "trial", "tune.family": family,
            "tune.trial": str(trial.number), "tune.worker": result["worker"]})
        self.client.log_batch(child.info.run_id, metrics=[Metric(k, float(v), 0, 0) for k, v in metrics.items()],
                              params=[Param("family", family)] + [Param(safe_key(f"{family}.{k}"), str(v)[:500])
                                                                  for k, v in values.items()])
        self.client.set_terminated(child.info.run_id, "FINISHED")
        log.info("tune: trial %d done (%s): %s %.4f, largest gap %.4f, %.1f s on %s", trial.number, family,
                 self.primary, result["primary"], result["largest_gap"], result["seconds"], result["worker"])

    def points(self, study: Any) -> list[dict[str, Any]]:
        """The first ``trials`` complete trials, by number: their family, params and validation objectives."""
        finished = sorted(complete(study), key=lambda t: t.number)[:self.trials]
        return [{"number": t.number, "family": t.params["family"], "values": t.user_attrs["values"],
                 "primary": t.values[0], "largest_gap": t.values[1], "gaps": t.user_attrs["gaps"]} for t in finished]

    def finish(self, record: dict[str, Any], artifacts: list[Path]) -> None:
        """The study's run gets the chosen trial, the front and its files, and is marked finished."""
        from mlflow.entities import Metric

        chosen = record["chosen"]
        self.client.log_batch(self.parent, metrics=[
            Metric("tune.trials", float(record["trials"]), 0, 0),
            Metric("tune.front_size", float(len(record["front"])), 0, 0),
            Metric(f"chosen.val.{self.primary}", chosen["primary"], 0, 0),
            Metric("chosen.val.largest_gap", chosen["largest_gap"], 0, 0)])
        for key, value in {"tune.chosen_trial": chosen["number"], "tune.chosen_family": chosen["family"],
                           "tune.cleared_margin": chosen["cleared"]}.items():
            self.client.set_tag(self.parent, key, str(value))
        for path in artifacts:
            self.client.log_artifact(self.parent, str(path), "tune")
        self.client.set_terminated(self.parent, "FINISHED")
