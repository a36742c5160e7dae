"""The ``explain`` section of params.yaml: the attributions evaluate computes for every candidate."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ExplainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    rows: int = Field(2000, ge=20, le=100_000)  # validation rows explained (a seeded sample)
    background: int = Field(16, ge=1, le=500)   # validation rows a column's absence is averaged over
    permutations: int = Field(2, ge=2, le=64)   # sampled orders of the columns per row, in antithetic pairs
    seed: int = 0
