"""The promotion gate: every check evaluated and recorded, then one verdict with its reasons."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from fairgate.config import GateConfig

PASS, FAIL = "pass", "fail"


@dataclass(frozen=True)
class Check:
    name: str
    kind: str
    value: float | None
    threshold: float
    comparison: str
    passed: bool
    detail: str = ""


@dataclass
class Decision:
    verdict: str
    checks: list[Check]
    reasons: list[str] = field(default_factory=list)
    champion_version: str | None = None

    @property
    def passed(self) -> bool:
        return self.verdict == PASS

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "reasons": self.reasons,
            "champion_version": self.champion_version,
            "checks": [asdict(c) for c in self.checks],
        }


def _at_least(name: str, kind: str, value: float | None, floor: float, detail: str = "") -> Check:
    ok = value is not None and not math.isnan(value) and value >= floor
    return Check(name, kind, value, floor, ">=", ok, detail)


def _at_most(name: str, kind: str, value: float | None, ceiling: float, detail: str = "") -> Check:
    ok = value is not None and not math.isnan(value) and value <= ceiling
    return Check(name, kind, value, ceiling, "<=", ok, detail)


def absolute_checks(report: dict[str, Any], cfg: GateConfig) -> list[Check]:
    metrics = report["metrics"]
    return [
        _at_least("accuracy", "floor", metrics["accuracy"], cfg.min_accuracy),
        _at_least("roc_auc", "floor", metrics["roc_auc"], cfg.min_roc_auc),
    ]


def fairness_checks(report: dict[str, Any], cfg: GateConfig) -> list[Check]:
    checks = []
    for feature, fairness in report["fairness"].items():
        checks.append(_at_most(f"demographic_parity_difference[{feature}]", "fairness",
                               fairness["demographic_parity_difference"], cfg.max_demographic_parity_difference))
        checks.append(_at_most(f"equalized_odds_difference[{feature}]", "fairness",
                               fairness["equalized_odds_difference"], cfg.max_equalized_odds_difference))
    return checks


def regression_checks(report: dict[str, Any], champion: dict[str, Any], cfg: GateConfig) -> list[Check]:
    """Candidate minus champion on the same test rows must not drop by more than the tolerance."""
    checks = []
    for metric, tolerance in (("accuracy", cfg.max_accuracy_drop), ("roc_auc", cfg.max_roc_auc_drop)):
        ours, theirs = report["metrics"][metric], champion["metrics"][metric]
        checks.append(_at_least(f"{metric}_vs_champion", "non_regression", ours - theirs, -tolerance,
                                f"candidate {ours:.4f} vs champion {theirs:.4f}"))
    return checks


def decide(candidate: dict[str, Any], champion: dict[str, Any] | None, cfg: GateConfig,
           champion_version: str | None = None) -> Decision:
    """Evaluate every check (never stopping at the first failure) and give the verdict with reasons."""
    checks = absolute_checks(candidate, cfg) + fairness_checks(candidate, cfg)
    if champion is not None:
        checks += regression_checks(candidate, champion, cfg)
    reasons = [
        f"{c.name} = {c.value if c.value is None else round(c.value, 4)} is not {c.comparison} {c.threshold}"
        for c in checks if not c.passed
    ]
    return Decision(FAIL if reasons else PASS, checks, reasons, champion_version)
