"""Fairness monitoring when labels arrive: join them to the scored predictions on ``monitor.key``, judge the
rows on their own with the gate's statistics, add them as a look to the version's monitoring record, judge the
record with anytime-valid intervals, write the report and the timeline, and act on a cumulative breach."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from fairgate.adapters import monitor_run
from fairgate.adapters.infra import files, ledger, mlflow_store, monitoring_store, promotion, registry
from fairgate.adapters.infra.lineage import lineage_tags
from fairgate.adapters.infra.locks import exclusive
from fairgate.adapters.source import load
from fairgate.core import monitor as core
from fairgate.core import monitoring_record as records
from fairgate.core.config import Params
from fairgate.core.contract import resolve_schema
from fairgate.core.errors import StageError
from fairgate.core.preprocess import encode_labels

log = logging.getLogger(__name__)
REPORT, REPORT_MD = "reports/monitor/report.json", "reports/monitor/report.md"
TIMELINE = "reports/monitor/timeline.png"


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


def joined_rows(params: Params, root: Path, labels: Path, predictions: Path | list[Path],
                version: str | None = None) -> pd.DataFrame:
    """The scored rows that have a label, with the label beside the prediction; from several scored files (the
    last one's row wins for a key), and only the rows ``version`` scored when it is given."""
    key = params.monitor.key
    if not key:
        raise StageError("monitor", "monitor.key is not set, so labels cannot be matched to predictions",
                         "set monitor.key to the id column the scored batch and the labels share, then score again")
    sources = predictions if isinstance(predictions, list) else [predictions]
    for path in sources:
        if not path.is_file():
            raise StageError("monitor", f"no scored predictions at '{path}'",
                             "run `fairgate score` first, or pass --predictions with its output")
    if not sources:
        raise StageError("monitor", "no batch has been scored in this project yet", "run `fairgate score` first")
    predictions = sources[-1]
    scored = pd.concat([pd.read_parquet(path) for path in sources], ignore_index=True)
    needed = [key, "prediction", "model_version", *params.data.sensitive]
    missing = [c for c in needed if c not in scored.columns]
    if missing:
        raise StageError("monitor", f"the predictions '{predictions.name}' lack the columns {missing}",
                         "score the batch again with monitor.key set and the sensitive columns in it (the key and the "
                         "sensitive columns are carried into the predictions, even where the model does not read them)")
    if version is not None:
        scored = scored[scored["model_version"].astype("str") == version]
    if len(sources) > 1:
        scored = scored.drop_duplicates(key, keep="last")
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
    """With ``monitor.on_breach: rollback``, a cumulative breach shown at this look moves the champion back."""
    shown_now = (report["record"]["first_breach"] or {}).get("look") == report["look"]["number"]
    if not shown_now or params.monitor.on_breach != "rollback":
        return None
    name, alias, version = params.promote.model_name, params.promote.alias, report["version"]
    if registry.champion_version(name, alias) != version:
        return f"no rollback: version {version} is no longer the champion"
    try:
        entry = promotion.rollback(name, alias, None, core.breach_reason(report), lineage_tags(root), cause="breach")
    except StageError as exc:  # the breach still stands and is reported; the rollback's failure beside it
        log.error("monitor: the rollback after the breach failed: %s", exc.problem)
        return f"rollback FAILED: {exc.problem} ({exc.fix})"
    return f"rolled back from version {version} to version {entry['version']} (ledger entry {entry['seq']})"


def digest_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_monitor(root: Path, params: Params, labels: Path, predictions: Path | list[Path],
                version: str | None = None) -> dict[str, Any]:
    """One look: the labelled rows judged on their own and added to the version's record, whose anytime-valid
    verdict is the report's; with ``monitor.on_breach: rollback`` a breach moves the champion back through the
    audited rollback path. A labels file already judged (same content) is refused: its rows would count twice."""
    mlflow_store.configure(root, params.tracking.experiment)
    joined = joined_rows(params, root, labels, predictions, version)
    version, name = str(joined["model_version"].iloc[0]), params.promote.model_name
    labels_y = encode_labels(joined, resolve_schema(params.data, list(joined.columns)))
    sensitive = joined[list(params.data.sensitive)]
    predicted = joined["prediction"].to_numpy()
    own = core.judge_production(labels_y, predicted, sensitive, params.gate, gate_evidence(name, version))
    digest = digest_of(labels)
    with exclusive(monitoring_store.lock(name)):
        record = monitoring_store.read_record(name, version) or records.new_record(
            name, version, records.groups_seen(sensitive), params.monitor.alpha, params.monitor.horizon)
        earlier = records.judged_look(record, digest)
        if earlier:
            raise StageError("monitor", f"'{labels.name}' was already judged as look {earlier['look']} of version "
                             f"{version}'s record ('{earlier['file']}', same content)",
                             "send each labels file once: its rows would otherwise count twice in the cumulative "
                             "verdict")
        cells = records.look_counts(labels_y, predicted, sensitive, record["groups"])
        record, checks = records.add_look(record, cells, labels.name, digest, ledger.now(), own, params.gate)
        report = core.cumulative_report(record, checks, own) | {
            "model": name, "version": version, "key": params.monitor.key, "labels": str(labels),
            "predictions": str(predictions if isinstance(predictions, Path) else predictions[-1]),
            "champion": registry.champion_version(name, params.promote.alias)}
        report["action"] = _act(root, params, report)
        files.write_json(root / REPORT, report)
        files.write_text(root / REPORT_MD, core.markdown(report))
        monitor_run.save_timeline(root / TIMELINE, record)
        record["run_id"] = monitor_run.log_look(root, params, record, report, [root / REPORT, root / REPORT_MD,
                                                                                root / TIMELINE])
        monitoring_store.write_record(name, record)
        monitoring_store.mark_judged(name, digest, {"file": labels.name, "version": version,
                                                    "look": report["look"]["number"]})
    log.info("monitor: look %d of version %s on %d labelled rows: %s (this look alone: %s)",
             report["look"]["number"], version, report["rows"], report["verdict"], own["verdict"])
    return report
