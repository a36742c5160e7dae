"""tune: search model families and their params for models that are accurate and fair on the validation rows,
and write the chosen trial's ``train`` params, which train then fits (docs/tuning.md). The test rows are never
read here: the gate judges the chosen model on them once, as it judges any candidate."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from pydantic import ValidationError

from fairgate.adapters.infra import figures, files, tracking
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext, stage_run
from fairgate.adapters.stages.inputs import training_arrays
from fairgate.adapters.tune_log import TrialLog
from fairgate.adapters.tune_study import open_study, run_trials, study_name, trial_fit, trial_runner
from fairgate.core.errors import StageError
from fairgate.core.tune import ceilings_of, choose, corner_train, corner_values, train_overrides
from fairgate.core.tune_trial import TrialRows

log = logging.getLogger(__name__)
COLUMNS = ["number", "family", "primary", "largest_gap", "on_front", "chosen"]


def trial_rows(ctx: StageContext) -> TrialRows:
    folder = ctx.path(paths.PROCESSED)
    return TrialRows(*training_arrays(ctx), pd.read_parquet(folder / paths.VAL_GROUPS))


def check_space(ctx: StageContext) -> None:
    """Every family's params at both ends of their ranges are ones the family accepts, before any trial runs."""
    for family, dims in ctx.params.tune.dimensions().items():
        for end in ("low", "high"):
            try:
                corner_train(ctx.params.train, family, dims, end)
            except ValidationError as exc:
                problem = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()).replace(
                    "train.estimator_params.", f"tune.space.{family}.")
                raise StageError("tune", f"tune.space.{family} cannot be fitted with {corner_values(dims, end)}: "
                                 f"{problem}",
                                 f"fix the names or ranges under tune.space.{family} (docs/tuning.md)") from None


def settings(ctx: StageContext) -> dict[str, Any]:
    """What decides a trial's scores, besides the rows (the study's name changes with any of it)."""
    params = ctx.params
    return {"tune": params.section("tune") | {"trials": None, "workers": None, "scheduler": None},
            "train": params.section("train"), "threshold": params.evaluate.threshold,
            "primary": params.gate.primary_metric, "ceilings": ceilings_of(params.gate)}


def run(ctx: StageContext) -> dict[str, Any]:
    cfg = ctx.params.tune
    if cfg.trials == 0:
        _write(ctx, {"trials": 0, "train": {}}, pd.DataFrame(columns=COLUMNS))
        return {"trials": 0}
    check_space(ctx)
    rows = trial_rows(ctx)
    name = study_name(rows, settings(ctx))
    with stage_run(ctx, "tune") as run_:
        trial_log = TrialLog(ctx.root, ctx.params.tracking.experiment, ctx.params.gate.primary_metric, name,
                             cfg.trials)
        log.info("tune: study %s, %d trials on %s", name, cfg.trials, cfg.scheduler or f"{cfg.workers} worker(s)")
        with trial_runner(cfg, rows, ctx.params.train) as runner:
            study = run_trials(lambda seed: open_study(ctx.root, name, seed), cfg, ctx.params.train, runner,
                               trial_fit(ctx.params.evaluate, ctx.params.gate.primary_metric), trial_log.done)
        points, ceilings = trial_log.points(study), ceilings_of(ctx.params.gate)
        picked = choose(points, ceilings, cfg.margin)
        record = _record(ctx, name, points, picked, trial_log.parent)
        table = pd.DataFrame([{"number": p["number"], "family": p["family"], "primary": p["primary"],
                               "largest_gap": p["largest_gap"], "on_front": i in picked["front"],
                               "chosen": i == picked["index"]} for i, p in enumerate(points)], columns=COLUMNS)
        limit = min(ceilings.values()) - cfg.margin
        drawing = figures.draw([figures.Figure("tune_front_figure", (points, picked["front"], picked["index"],
                                                                     ctx.params.gate.primary_metric, limit),
                                               ctx.path(paths.TUNE_FRONT_PLOT))])
        _write(ctx, record, table)
        drawing.wait()
        trial_log.finish(record, [ctx.path(paths.TUNE_FRONT_PLOT), ctx.path(paths.TUNE_FRONT_CSV),
                                  ctx.path(paths.TUNED)])
        tracking.set_tags({"tune.study": name, "tune.chosen_trial": str(record["chosen"]["number"]),
                           "tune.chosen_family": record["chosen"]["family"], "tune.run_id": trial_log.parent})
        tracking.log_files([ctx.path(paths.TUNE_FRONT_PLOT), ctx.path(paths.TUNE_FRONT_CSV)], "tune")
    chosen = record["chosen"]
    log.info("tune: chose trial %d (%s): %s %.4f, largest gap %.4f on validation rows%s", chosen["number"],
             chosen["family"], ctx.params.gate.primary_metric, chosen["primary"], chosen["largest_gap"],
             "" if chosen["cleared"] else f" (no trial on the front cleared the ceilings by {cfg.margin})")
    return {"trials": cfg.trials, "study": name, "chosen": chosen, "run_id": run_.info.run_id}


def _record(ctx: StageContext, name: str, points: list[dict[str, Any]], picked: dict[str, Any],
            parent: str) -> dict[str, Any]:
    point = points[picked["index"]]
    base, cfg = ctx.params.train, ctx.params.tune
    return {"trials": cfg.trials, "study": name, "seed": cfg.seed, "margin": cfg.margin,
            "primary_metric": ctx.params.gate.primary_metric, "mlflow_run_id": parent,
            "chosen": point | {"cleared": picked["cleared"]},
            "front": [points[i] for i in picked["front"]],
            "train": train_overrides(base, point["family"], point["values"])}


def _write(ctx: StageContext, record: dict[str, Any], table: pd.DataFrame) -> None:
    files.write_atomic(ctx.path(paths.TUNE_FRONT_CSV), lambda tmp: table.to_csv(tmp, index=False))
    files.write_json(ctx.path(paths.TUNED), record)
