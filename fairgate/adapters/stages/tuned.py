"""What the tune stage chose, as every later stage reads it: the ``train`` section with the chosen trial's params,
and the summary the promotion card shows."""

from __future__ import annotations

from typing import Any

from fairgate.adapters.infra import files
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext
from fairgate.core.config import Params
from fairgate.core.tune import tuned_train

BEFORE_TUNE = ("ingest", "validate", "drift", "preprocess", "tune")


def chosen(ctx: StageContext) -> dict[str, Any] | None:
    """The tune stage's record when it ran trials (and still matches ``tune.trials``), else None."""
    path = ctx.path(paths.TUNED)
    if ctx.params.tune.trials == 0 or not path.exists():
        return None
    record = files.read_json(path)
    return record if record.get("trials") == ctx.params.tune.trials and record.get("train") else None


def stage_params(ctx: StageContext, stage: str) -> Params:
    """The params ``stage`` runs with: from train on, ``train`` carries the tuned trial's params."""
    record = None if stage in BEFORE_TUNE else chosen(ctx)
    if record is None:
        return ctx.params
    return ctx.params.model_copy(update={"train": tuned_train(ctx.params.train, record["train"])})


def card_summary(ctx: StageContext) -> dict[str, Any] | None:
    """How the candidate was chosen, for the card: the trials, the front, the chosen point and its rule."""
    record = chosen(ctx)
    if record is None:
        return None
    return {key: record[key] for key in ("trials", "study", "seed", "margin", "primary_metric", "chosen", "front")}
