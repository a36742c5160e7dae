"""The promotion gate: every check evaluated on bootstrap intervals and recorded, then one verdict.

Rules (values from ``GateConfig``):

- floors: accuracy and ROC AUC point estimates must reach ``min_accuracy`` and ``min_roc_auc``;
- fairness ceilings, per sensitive feature: the upper CI bound of the candidate's gap must lie below
  the ceiling; a feature with a group smaller than ``min_group_size`` gives ``insufficient_evidence``;
- against a champion (paired, same rows): in ``non_inferiority`` mode the lower CI bound of
  (candidate - champion) on the primary metric must be at least ``-margin``; in ``superiority`` mode
  it must be above 0; optionally no fairness gap may grow by more than ``max_fairness_increase``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from fairgate.core.config import GateConfig

PASS, FAIL, INSUFFICIENT = "pass", "fail", "insufficient_evidence"
CEILINGS = {
    "demographic_parity_difference": "max_demographic_parity_difference",
    "equalized_odds_difference": "max_equalized_odds_difference",
}


@dataclass(frozen=True)
class Check:
    name: str
    kind: str
    value: float | None
    threshold: float
    comparison: str
    status: str
    detail: str = ""
    interval: dict[str, float | None] | None = None

    @property
    def passed(self) -> bool:
        return self.status == PASS


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
            "checks": [asdict(c) | {"passed": c.passed} for c in self.checks],
        }


def _holds(value: float | None, comparison: str, threshold: float) -> bool:
    if value is None or math.isnan(value):
        return False
    return {">=": value >= threshold, ">": value > threshold, "<": value < threshold, "<=": value <= threshold}[comparison]


def _check(name: str, kind: str, value: float | None, comparison: str, threshold: float,
           detail: str = "", interval: dict | None = None) -> Check:
    status = PASS if _holds(value, comparison, threshold) else FAIL
    return Check(name, kind, value, threshold, comparison, status, detail, interval)


def _ci(interval: dict[str, Any], confidence: float) -> str:
    return f"estimate {interval['estimate']}, {confidence:.0%} CI [{interval['low']}, {interval['high']}]"


def floor_checks(report: dict[str, Any], cfg: GateConfig) -> list[Check]:
    metrics = report["metrics"]
    return [
        _check("accuracy", "floor", metrics["accuracy"], ">=", cfg.min_accuracy),
        _check("roc_auc", "floor", metrics["roc_auc"], ">=", cfg.min_roc_auc),
    ]


def small_groups(stats: dict[str, Any], feature: str, cfg: GateConfig) -> dict[str, int]:
    """The feature's groups with fewer rows than ``gate.min_group_size``: too few to judge."""
    return {g: n for g, n in stats["group_counts"][feature].items() if n < cfg.min_group_size}


def fairness_checks(stats: dict[str, Any], cfg: GateConfig) -> list[Check]:
    """Ceilings on each feature's gaps, judged on the CI upper bound; small groups mean no verdict."""
    checks = []
    for feature, metrics in stats["fairness"].items():
        small = small_groups(stats, feature, cfg)
        for metric, key in CEILINGS.items():
            name, ceiling, interval = f"{metric}[{feature}]", getattr(cfg, key), metrics[metric]["candidate"]
            if small:
                checks.append(Check(name, "fairness", interval["high"], ceiling, "<", INSUFFICIENT,
                                    f"groups below gate.min_group_size={cfg.min_group_size}: {small}", interval))
            else:
                checks.append(_check(name, "fairness", interval["high"], "<", ceiling,
                                     _ci(interval, stats["confidence"]), interval))
    return checks


def champion_checks(stats: dict[str, Any], cfg: GateConfig) -> list[Check]:
    """Paired comparison with the champion on the same rows."""
    diff = stats["primary"]["difference"]
    comparison, threshold = (">", 0.0) if cfg.mode == "superiority" else (">=", -cfg.margin)
    checks = [_check(f"{stats['primary_metric']}_vs_champion[{cfg.mode}]", "champion", diff["low"], comparison,
                     threshold, "lower CI bound of (candidate - champion); " + _ci(diff, stats["confidence"]), diff)]
    if cfg.max_fairness_increase is not None:
        for feature, metrics in stats["fairness"].items():
            for metric in CEILINGS:
                delta = metrics[metric]["difference"]
                checks.append(_check(f"{metric}_increase[{feature}]", "champion", delta["high"], "<=",
                                     cfg.max_fairness_increase, _ci(delta, stats["confidence"]), delta))
    return checks


def _reason(check: Check) -> str:
    if check.status == INSUFFICIENT:
        return f"{check.name}: insufficient evidence ({check.detail})"
    value = "n/a" if check.value is None else round(check.value, 4)
    return f"{check.name} = {value} is not {check.comparison} {check.threshold}"


def decide(report: dict[str, Any], stats: dict[str, Any], cfg: GateConfig, champion_version: str | None = None) -> Decision:
    """Evaluate every check (never stopping at the first failure) and give the verdict with reasons.

    ``report`` holds the candidate's point metrics; ``stats`` the paired bootstrap (with a champion
    when ``champion_version`` is set). The first model gets the absolute checks only.
    """
    checks = floor_checks(report, cfg) + fairness_checks(stats, cfg)
    if champion_version is not None:
        checks += champion_checks(stats, cfg)
    failed = [c for c in checks if c.status == FAIL]
    unsure = [c for c in checks if c.status == INSUFFICIENT]
    if failed:
        verdict = FAIL
    elif unsure and cfg.on_insufficient_evidence == "block":
        verdict = INSUFFICIENT
    else:
        verdict = PASS
    return Decision(verdict, checks, [_reason(c) for c in failed + unsure], champion_version)
