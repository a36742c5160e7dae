"""The promotion gate: every check evaluated on confidence intervals and recorded, then one verdict.

Rules (values from ``GateConfig``; the intervals come from ``gate_statistics``):

- floors: accuracy and ROC AUC point estimates must reach ``min_accuracy`` and ``min_roc_auc``;
- fairness ceilings, per sensitive feature, with three outcomes: ``pass`` when the gap's upper CI bound is
  below the ceiling, ``fail`` when its lower bound is above it (the evidence shows the gap), and
  ``insufficient_evidence`` when the interval straddles it, or when a group has fewer than ``min_group_size``
  of the rows the gap uses (rows for demographic parity; labelled positives and negatives for equalized
  odds). An insufficient check says about how many rows per group would decide it;
- against a champion (paired, same rows): in ``non_inferiority`` mode the lower CI bound of
  (candidate - champion) on the primary metric must be at least ``-margin``; in ``superiority`` mode
  it must be above 0; optionally no fairness gap may grow by more than ``max_fairness_increase``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from fairgate.core import gaps
from fairgate.core.config import GateConfig
from fairgate.core.gate_statistics import evidence_rates

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
    needed: dict[str, int | None] | None = None  # insufficient evidence: about this many per group would decide

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


TRIALS = {"selection": "rows", "tpr": "positives", "fpr": "negatives"}


def small_groups(stats: dict[str, Any], feature: str, metric: str, cfg: GateConfig) -> dict[str, dict[str, int]]:
    """Per kind of row the gap uses (rows; or labelled positives and negatives), the groups with fewer than
    ``gate.min_group_size`` of them: too few to judge."""
    small: dict[str, dict[str, int]] = {}
    for rate in gaps.COMPONENTS[metric]:
        kind = TRIALS[rate]
        found = {g: c[kind] for g, c in stats["evidence"][feature].items() if c[kind] < cfg.min_group_size}
        if found:
            small[kind] = found
    return small


def small_detail(small: dict[str, dict[str, int]], cfg: GateConfig) -> str:
    return f"groups below gate.min_group_size={cfg.min_group_size}: " + "; ".join(
        (f"{kind} " if kind != "rows" else "") + str(found) for kind, found in small.items())


def rows_needed(stats: dict[str, Any], feature: str, metric: str, ceiling: float) -> dict[str, int | None]:
    """About how many rows of each kind per group would decide a straddling check, at the rates seen: enough to
    put the upper bound below the ceiling when the estimate is below it, else the lower bound above it."""
    rates = evidence_rates(stats["evidence"][feature])
    parts = [rates[name] for name in gaps.COMPONENTS[metric]]
    m = int(gaps.contrasts(parts))
    estimates = {name: float(gaps.spread(rates[name])) for name in gaps.COMPONENTS[metric]}
    above = max(estimates.values()) >= ceiling
    if above:  # the gap is shown once its largest component's lower bound clears the ceiling
        name = max(estimates, key=estimates.get)
        return {TRIALS[name]: gaps.rows_to_decide(rates[name], stats["confidence"], ceiling, m, above=True)}
    open_parts = [name for name in gaps.COMPONENTS[metric]  # a rate whose own bound is below the ceiling is decided
                  if float(gaps.upper_bound([rates[name]], stats["confidence"])) >= ceiling]
    return {TRIALS[name]: gaps.rows_to_decide(rates[name], stats["confidence"], ceiling, m, above=False)
            for name in open_parts}


def needed_text(needed: dict[str, int | None], stats: dict[str, Any], feature: str) -> str:
    parts = []
    for kind, count in needed.items():
        seen = [c[kind] for c in stats["evidence"][feature].values()]
        now = f"now {min(seen):,}" + (f"-{max(seen):,}" if max(seen) != min(seen) else "")
        label = {"rows": "rows", "positives": "labelled positives", "negatives": "labelled negatives"}[kind]
        parts.append(f"about {count:,} {label} per group ({now})" if count is not None else
                     f"more {label} than any sample holds, as the estimate sits at the ceiling ({now})")
    return " and ".join(parts) + " would decide it"


def check_parts(name: str) -> tuple[str, str | None]:
    """A check's name, ``metric[feature]``, as (metric, feature); a name without a feature gives (name, None)."""
    metric, _, rest = name.partition("[")
    return metric, rest[:-1] if rest else None


def fairness_check(stats: dict[str, Any], feature: str, metric: str, cfg: GateConfig) -> Check:
    """One gap's check: fail when its lower CI bound is above the ceiling, pass when its upper bound is below it
    and every group has ``min_group_size`` of the rows it uses, else insufficient evidence."""
    name, ceiling = f"{metric}[{feature}]", getattr(cfg, CEILINGS[metric])
    interval = stats["fairness"][feature][metric]["candidate"]
    low, high, ci = interval["low"], interval["high"], _ci(interval, stats["confidence"])
    small = small_groups(stats, feature, metric, cfg)
    if low is not None and low > ceiling:
        return Check(name, "fairness", high, ceiling, "<", FAIL, f"{ci} lies above the ceiling {ceiling}", interval)
    if small:
        return Check(name, "fairness", high, ceiling, "<", INSUFFICIENT, small_detail(small, cfg), interval)
    if high is not None and high < ceiling:
        return Check(name, "fairness", high, ceiling, "<", PASS, ci, interval)
    needed = rows_needed(stats, feature, metric, ceiling)
    return Check(name, "fairness", high, ceiling, "<", INSUFFICIENT,
                 f"{ci} straddles the ceiling {ceiling}; {needed_text(needed, stats, feature)}", interval, needed)


def fairness_checks(stats: dict[str, Any], cfg: GateConfig) -> list[Check]:
    """Ceilings on each feature's gaps (see the module's docstring for the three outcomes)."""
    return [fairness_check(stats, feature, metric, cfg) for feature in stats["fairness"] for metric in CEILINGS]


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
    if check.kind == "fairness":
        return f"{check.name}: the gap is shown above the ceiling ({check.detail})"
    value = "n/a" if check.value is None else round(check.value, 4)
    return f"{check.name} = {value} is not {check.comparison} {check.threshold}"


def decide(report: dict[str, Any], stats: dict[str, Any], cfg: GateConfig, champion_version: str | None = None) -> Decision:
    """Evaluate every check (never stopping at the first failure) and give the verdict with reasons.

    ``report`` holds the candidate's point metrics; ``stats`` the gate's statistics (with a champion
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
