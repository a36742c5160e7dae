"""The ``monitor`` section of params.yaml: how labelled production rows are matched and judged over time."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class MonitorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str | None = None  # the id column shared by the scored batch and the labels that arrive later
    on_breach: Literal["alert", "rollback"] = "alert"
    # the chance of any false breach, over every look at a champion and every check together
    alpha: float = Field(0.05, gt=0.0, lt=0.5)
    horizon: int = Field(52, ge=1, le=10_000)  # looks planned per champion (weekly: a year); more are still covered
