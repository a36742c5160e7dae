"""Fairness monitoring when labels arrive: join them to the scored predictions on ``monitor.key``, judge the
champion on those rows with the gate's statistics, write the report, and act on a breach."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from fairgate.adapters.infra import files, ledger, mlflow_store, promotion, registry, run_pages, tracking
from fairgate.adapters.infra.lineage import lineage_tags
from fairgate.adapters.source import load
from fairgate.core import monitor as core
from fairgate.core.config import Params
from fairgate.core.contract import resolve_schema
from fairgate.core.errors import StageError
from fairgate.core.preprocess import encode_labels

log = logging.getLogger(__name__)
REPORT, REPORT_MD = "reports/monitor/report.json", "reports/monitor/report.md"


def _read_labels(params: Params, root: Path, labels: Path) -> pd.DataFrame:
    """The labels file, read and normalised like the training data (tokens, label map), one label per key."""
    key, target = params.monitor.key, params.data.target
    if not labels.is_file():
        raise StageError("monitor", f"the labels file '{labels}' does not exist", "pass --labels with a CSV or Parquet file")
    cfg = params.production_data.model_copy(update={"source": str(labels.resolve())})
    try:
        frame = load(cfg, root)
    except StageError as exc:
        raise StageError("monitor", exc.problem, exc.fix) from None
    missing = [c for c in (key, target) if c not in frame.columns]
    if missing:
        raise StageError("monitor", f"the labels file '{labels.name}' lacks the columns {missing}",
                         f"supply the key '{key}' (monitor.key) and the label '{target}' (data.target)")
    frame = frame[[key, target]]
    unlabelled = int(frame[target].isna().sum())
    if unlabelled:
        raise StageError("monitor", f"{unlabelled} rows of '{labels.name}' have no label in '{target}'",
                         "drop the rows whose label has not arrived yet")
    allowed = params.data.label_values
    if allowed:
        odd = sorted(set(frame[target].astype("str")) - {str(v) for v in allowed})
        if odd:
            raise StageError("monitor", f"the labels in '{target}' hold values outside data.label_values {list(allowed)}: "
                             f"{odd[:5]}", "map them with data.label_map, as for the training data")
    conflicting = frame.drop_duplicates().loc[lambda f: f[key].duplicated(), key]
    if len(conflicting):
        raise StageError("monitor", f"{len(conflicting)} keys in '{labels.name}' carry two different labels, e.g. "
                         f"{conflicting.astype('str').head(3).tolist()}", f"keep one label per '{key}'")
    return frame.drop_duplicates(key)


def joined_rows(params: Params, root: Path, labels: Path, predictions: Path) -> pd.DataFrame:
    """The scored rows that have a label, with the label beside the prediction."""
    key = params.monitor.key
    if not key:
        raise StageError("monitor", "monitor.key is not set, so labels cannot be matched to predictions",
                         "set monitor.key to the id column the scored batch and the labels share, then score again")
    if not predictions.is_file():
        raise StageError("monitor", f"no scored predictions at '{predictions}'",
                         "run `fairgate score` first, or pass --predictions with its output")
    scored = pd.read_parquet(predictions)
    needed = [key, "prediction", "model_version", *params.data.sensitive]
    missing = [c for c in needed if c not in scored.columns]
    if missing:
        raise StageError("monitor", f"the predictions '{predictions.name}' lack the columns {missing}",
                         "score the batch again with monitor.key set and the sensitive columns in it (the key and the "
                         "sensitive columns are carried into the predictions, even where the model does not read them)")
    joined = scored.merge(_read_labels(params, root, labels), on=key, how="inner")
    if joined.empty:
        raise StageError("monitor", f"no label in '{labels.name}' matches a prediction in '{predictions.name}' on "
                         f"'{key}'", "check that the labels belong to this scored batch")
    versions = sorted(joined["model_version"].astype("str").unique())
    if len(versions) > 1:
        raise StageError("monitor", f"the labelled rows were scored by several versions {versions}",
                         "monitor one version's predictions at a time")
    return joined


def gate_evidence(name: str, version: str) -> dict[str, Any] | None:
    """The checks the gate recorded when ``version`` was promoted, by name (from the ledger)."""
    promoted = [e for e in ledger.read(name) if e.get("version") == version and e.get("verdict") == "pass"]
    return promoted[-1].get("evidence") if promoted else None


def _act(root: Path, params: Params, report: dict[str, Any]) -> str | None:
    if report["verdict"] != core.BREACH or params.monitor.on_breach != "rollback":
        return None
    name, alias, version = params.promote.model_name, params.promote.alias, report["version"]
    if registry.champion_version(name, alias) != version:
        return f"no rollback: version {version} is no longer the champion"
    failed = [c["name"] for c in report["checks"] if c["status"] == core.BREACH]
    reason = f"monitor: breach on {report['rows']} labelled production rows: {', '.join(failed)}"
    try:
        entry = promotion.rollback(name, alias, None, reason, lineage_tags(root), cause="breach")
    except StageError as exc:  # the breach still stands and is reported; the rollback's failure beside it
        log.error("monitor: the rollback after the breach failed: %s", exc.problem)
        return f"rollback FAILED: {exc.problem} ({exc.fix})"
    return f"rolled back from version {version} to version {entry['version']} (ledger entry {entry['seq']})"


def run_monitor(root: Path, params: Params, labels: Path, predictions: Path) -> dict[str, Any]:
    """The verdict on labelled production rows; with ``monitor.on_breach: rollback`` a breach moves the
    champion back through the audited rollback path."""
    mlflow_store.configure(root, params.tracking.experiment)
    joined = joined_rows(params, root, labels, predictions)
    version, name = str(joined["model_version"].iloc[0]), params.promote.model_name
    labels_y = encode_labels(joined, resolve_schema(params.data, list(joined.columns)))
    report = core.judge_production(labels_y, joined["prediction"].to_numpy(), joined[list(params.data.sensitive)],
                                   params.gate, gate_evidence(name, version))
    report |= {"model": name, "version": version, "key": params.monitor.key, "labels": str(labels),
               "predictions": str(predictions),
               "champion": registry.champion_version(name, params.promote.alias)}
    report["action"] = _act(root, params, report)
    files.write_json(root / REPORT, report)
    files.write_text(root / REPORT_MD, core.markdown(report))
    run_id = tracking.new_run(root, params.tracking.experiment, f"monitor v{version}: {report['verdict']}",
                              tags={"fairgate.monitoring": "labels", "monitor.verdict": report["verdict"],
                                    "monitor.model_version": version})
    with tracking.open_run(root, params.tracking.experiment, run_id, {}):
        tracking.log_flat_metrics({f"monitor.{c['name']}": c["interval"]["estimate"] for c in report["checks"]
                                   if c["interval"]["estimate"] is not None} | {"monitor.rows": report["rows"]})
        tracking.log_files([root / REPORT, root / REPORT_MD], "monitor")
    run_pages.describe(run_id, note=core.markdown(report))
    log.info("monitor: %s on %d labelled rows of version %s", report["verdict"], report["rows"], version)
    return report
