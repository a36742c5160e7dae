"""Errors that tell the user which stage failed, what was wrong and how to fix it."""

from __future__ import annotations


class StageError(RuntimeError):
    """A stage cannot go on; ``problem`` names the column, key or value and ``fix`` says what to do."""

    def __init__(self, stage: str, problem: str, fix: str, headline: str = "") -> None:
        self.stage = stage
        self.problem = problem
        self.fix = fix
        self.headline = headline  # a few words for a run name: "2 expectations"
        super().__init__(f"[{stage}] {problem}\n  fix: {fix}")
