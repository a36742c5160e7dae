"""drift: compare the new raw snapshot with the champion's training rows before anything trains.

Flow-only, like promote: its reference lives in the model registry, not in a file DVC can hash, so
it runs on every `fairgate run` (and so on every scheduled run) right after validate.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from fairgate.adapters.infra import files, mlflow_store, registry, tracking
from fairgate.adapters.infra.lineage import dvc_out_hashes
from fairgate.adapters.parquet_rows import ParquetColumns
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext, stage_run
from fairgate.core import drift
from fairgate.core.contract import CHANGED_CONTRACT_FIX, column_change, resolve_schema
from fairgate.core.errors import StageError

log = logging.getLogger(__name__)


def champion_profile(champion: tuple[str, str] | None) -> tuple[str, dict[str, Any]] | None:
    """(version, reference profile) of the champion, or None when there is no champion or it has no profile."""
    import mlflow
    from mlflow.exceptions import MlflowException

    if champion is None:
        return None
    version, run_id = champion
    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=paths.REFERENCE_PROFILE_ARTIFACT,
                                                        dst_path=tmp)
        except (MlflowException, OSError):
            log.warning("drift: champion version %s has no %s (trained before drift checks existed); "
                        "nothing to compare with", version, paths.REFERENCE_PROFILE_ARTIFACT)
            return None
        return version, files.read_json(Path(local))


def _key(ctx: StageContext, champion: tuple[str, str] | None) -> dict[str, Any]:
    cfg = ctx.params.drift
    return {"raw_md5": dvc_out_hashes(ctx.root).get(paths.RAW), "champion_version": champion and champion[0],
            "warn_above": cfg.warn_above, "fail_above": cfg.fail_above}


def _matching_report(ctx: StageContext, key: dict[str, Any]) -> dict[str, Any] | None:
    """The last report when it was made under ``key``: same snapshot, champion and thresholds."""
    path = ctx.path(paths.DRIFT_REPORT)
    if not key["raw_md5"] or not path.exists():
        return None
    report = files.read_json(path)
    return report if report.get("key") == key else None


def reusable_report(ctx: StageContext, champion: tuple[str, str] | None) -> dict[str, Any] | None:
    """The last report, when it compared this very snapshot with this champion under these thresholds."""
    return _matching_report(ctx, _key(ctx, champion))


def run(ctx: StageContext) -> dict[str, Any]:
    cfg = ctx.params.drift
    mlflow_store.configure(ctx.root, ctx.params.tracking.experiment)
    champion = registry.champion(ctx.params.promote.model_name, ctx.params.promote.alias)
    key = _key(ctx, champion)
    report = _matching_report(ctx, key)
    if report is not None:
        log.info("drift: same snapshot and champion as the last check; reusing %s", paths.DRIFT_REPORT)
        return _act(report, cfg)
    reference = champion_profile(champion)
    if reference is None:
        report = {"status": "no_reference", "champion_version": None, "key": key}
        files.write_json(ctx.path(paths.DRIFT_REPORT), report)
        log.info("drift: no champion with a reference profile yet; nothing to compare")
        return report
    version, profile = reference
    raw = ParquetColumns(ctx.path(paths.RAW))  # compared column by column: never whole in memory
    schema = resolve_schema(ctx.params.data, list(raw.columns), raw.dtypes, raw)
    changed = column_change({role: list(profile[role]) for role in ("numeric", "categorical")},
                            {"numeric": list(schema.numeric), "categorical": list(schema.categorical)})
    if changed:
        raise StageError("drift", f"model '{ctx.params.promote.model_name}' version {version}: {changed}",
                         CHANGED_CONTRACT_FIX)
    report = drift.compare(profile, raw, schema)
    report |= {"champion_version": version, "warn_above": cfg.warn_above, "fail_above": cfg.fail_above,
               "status": drift.verdict(report["max_psi"], cfg.warn_above, cfg.fail_above), "key": key}
    files.write_json(ctx.path(paths.DRIFT_REPORT), report)
    with stage_run(ctx, "drift"):
        tracking.log_flat_metrics({"drift.max_psi": report["max_psi"]}
                                  | {f"drift.psi.{name.replace(':', '.')}": check["psi"]
                                     for name, check in report["checks"].items()})
        tracking.set_tags({"drift.status": report["status"], "drift.worst": report["worst"],
                           "drift.champion_version": version})
        tracking.log_files([ctx.path(paths.DRIFT_REPORT)], "drift")
    return _act(report, cfg)


def _act(report: dict[str, Any], cfg) -> dict[str, Any]:
    """Stop above fail_above, warn above warn_above, else just say how far the data moved."""
    version = report["champion_version"]
    if report["status"] == "no_reference":
        return report
    if report["status"] == "fail":
        raise StageError("drift", f"the new raw data drifted from champion version {version}'s training rows "
                         f"(max PSI {report['max_psi']:.3f} > drift.fail_above {cfg.fail_above}):\n"
                         f"{drift.describe(report, cfg.fail_above)}",
                         f"inspect {paths.DRIFT_REPORT}; if the shift is expected, retrain on purpose with "
                         f"`fairgate run -S drift.fail_above=null`")
    if report["status"] == "warn":
        log.warning("drift: max PSI %.3f against champion version %s is above drift.warn_above %s:\n%s",
                    report["max_psi"], version, cfg.warn_above, drift.describe(report, cfg.warn_above))
    else:
        log.info("drift: max PSI %.3f against champion version %s (%s)", report["max_psi"], version, report["worst"])
    return report
