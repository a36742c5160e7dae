"""Bias mitigation fitted on training or validation rows only: reweighing (Kamiran & Calders: each (group, label)
cell weighted P(group) P(label) / P(group, label)) and one decision threshold per group, chosen on validation rows
(fairlearn's ThresholdOptimizer without its coin flips: each group's rates within a band of width ``slack``
around a common target, the most accurate target winning), so the served model answers a row the same way
every time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fairgate.core.preprocess import MISSING

DEMOGRAPHIC_PARITY, EQUALIZED_ODDS = "demographic_parity", "equalized_odds"
CANDIDATES = 101        # thresholds tried per group: quantiles of its validation scores
TARGET_GRID = np.linspace(0.0, 1.0, 51)


def reweighing_weights(groups: pd.Series, labels: np.ndarray) -> np.ndarray:
    """Per-row weights P(group) P(label) / P(group, label); a cell with no rows never occurs in the data."""
    cells = pd.DataFrame({"g": groups.to_numpy(), "y": np.asarray(labels)})
    n = len(cells)
    p_group = cells["g"].map(cells["g"].value_counts() / n)
    p_label = cells["y"].map(cells["y"].value_counts() / n)
    p_cell = cells.groupby(["g", "y"])["y"].transform("size") / n
    return (p_group * p_label / p_cell).to_numpy(dtype=np.float32)


@dataclass
class GroupThresholds:
    """Per-group thresholds on the model's probability, and the one for groups seen too rarely to fit."""

    feature: str | list[str]
    thresholds: dict[str, float]
    default: float
    constraint: str
    slack: float
    validation: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GroupThresholds:
        return cls(**data)

    def adjust(self, proba: np.ndarray, groups: pd.Series) -> np.ndarray:
        """Map each row's probability so that its group's threshold lands on 0.5, keeping the order within a
        group: what is at or above the group's threshold is at or above 0.5, and nothing else is."""
        cut = groups.map(self.thresholds).fillna(self.default).to_numpy(dtype=np.float64)
        proba = np.asarray(proba, dtype=np.float64)
        below = 0.5 * proba / np.maximum(cut, 1e-12)
        above = 0.5 + 0.5 * (proba - cut) / np.maximum(1.0 - cut, 1e-12)
        return np.clip(np.where(proba >= cut, above, below), 0.0, 1.0)


def group_labels(frame: pd.DataFrame, features: list[str]) -> pd.Series:
    """The group of each row: the value of one sensitive feature, or the intersection of several."""
    text = [frame[f].astype("str").mask(frame[f].isna(), MISSING) for f in features]
    if len(text) == 1:
        return text[0].reset_index(drop=True)
    joined = text[0].str.cat(text[1:], sep=" x ")
    return joined.reset_index(drop=True)


def _candidates(scores: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """For each candidate threshold of one group: selection rate, TPR, FPR and correct decisions."""
    cuts = np.unique(np.quantile(scores, np.linspace(0, 1, CANDIDATES)))
    cuts = np.r_[cuts, 1.0 + 1e-9]  # select nobody
    order = np.sort(scores)
    positives = np.sort(scores[labels == 1])
    negatives = np.sort(scores[labels == 0])
    chosen = len(order) - np.searchsorted(order, cuts, side="left")
    true_pos = len(positives) - np.searchsorted(positives, cuts, side="left")
    false_pos = len(negatives) - np.searchsorted(negatives, cuts, side="left")
    return {"cut": cuts, "rate": chosen / max(len(order), 1),
            "tpr": true_pos / max(len(positives), 1), "fpr": false_pos / max(len(negatives), 1),
            "correct": true_pos + (len(negatives) - false_pos)}


def _best_in_band(table: dict[str, np.ndarray], constraint: str, target: tuple[float, float], slack: float) -> int | None:
    half = slack / 2
    if constraint == DEMOGRAPHIC_PARITY:
        ok = np.abs(table["rate"] - target[0]) <= half
    else:
        ok = (np.abs(table["tpr"] - target[0]) <= half) & (np.abs(table["fpr"] - target[1]) <= half)
    if not ok.any():
        return None
    return int(np.flatnonzero(ok)[np.argmax(table["correct"][ok])])


def fit_group_thresholds(scores: np.ndarray, groups: pd.Series, labels: np.ndarray, constraint: str, slack: float,
                         min_rows: int, feature: str | list[str]) -> GroupThresholds:
    """Per-group thresholds from validation rows (see the module's docstring). Groups with fewer than
    ``min_rows`` validation rows keep the accuracy-best common threshold."""
    scores, labels, names = np.asarray(scores, float), np.asarray(labels, int), groups.to_numpy()
    sizes = pd.Series(names).value_counts()
    fitted = [g for g in sizes.index if sizes[g] >= min_rows]
    overall = _candidates(scores, labels)
    default = float(overall["cut"][int(np.argmax(overall["correct"]))])
    tables = {g: _candidates(scores[names == g], labels[names == g]) for g in fitted}
    targets = [(t, 0.0) for t in TARGET_GRID] if constraint == DEMOGRAPHIC_PARITY else \
        [(tpr, fpr) for tpr in TARGET_GRID for fpr in TARGET_GRID if fpr <= tpr]
    best, best_correct = None, -1
    for target in targets:
        picks = {g: _best_in_band(table, constraint, target, slack) for g, table in tables.items()}
        if any(p is None for p in picks.values()):
            continue
        correct = sum(int(tables[g]["correct"][p]) for g, p in picks.items())
        if correct > best_correct:
            best, best_correct = (target, picks), correct
    if best is None:  # no band fits every group: keep the common threshold, and the gate will say so
        return GroupThresholds(feature, {}, default, constraint, slack, {"feasible": False})
    target, picks = best
    thresholds = {str(g): float(tables[g]["cut"][p]) for g, p in picks.items()}
    rates = {str(g): {k: round(float(tables[g][k][p]), 4) for k in ("rate", "tpr", "fpr")} for g, p in picks.items()}
    return GroupThresholds(feature, thresholds, default, constraint, slack,
                           {"feasible": True, "target": [round(float(t), 4) for t in target],
                            "accuracy": round(best_correct / max(len(scores), 1), 4), "groups": rates})


GAP_CONSTRAINT = {"demographic_parity_difference": DEMOGRAPHIC_PARITY, "equalized_odds_difference": EQUALIZED_ODDS}


def _feature_of(check_name: str) -> str:
    return check_name[check_name.index("[") + 1:-1]


def plan(decision: dict[str, Any], methods: list[str], constraint: str) -> tuple[list[str], list[str], str]:
    """(constraints to mitigate, sensitive features whose checks failed, why) for the unmitigated decision.

    Mitigation runs only when fairness checks fail and nothing else does: trading accuracy for fairness
    cannot lift a floor or win a comparison with the champion, so then it says so and runs nothing.
    """
    failed = [c for c in decision["checks"] if c["status"] == "fail"]
    if not failed:
        verdict = decision["verdict"]
        return [], [], ("not needed: the candidate passed the gate" if verdict == "pass" else
                        "not run: no check failed; some checks have insufficient evidence (their intervals straddle "
                        "the ceiling, or a group is too small to judge), and a gap that is not shown is not "
                        "mitigated: more test rows decide it (the card says about how many)")
    other = [c["name"] for c in failed if c["kind"] != "fairness"]
    if other:
        return [], [], (f"cannot help: the candidate fails {other}, and mitigation trades accuracy for "
                        "fairness, so it can only make those worse")
    if not methods:
        return [], [], "off: mitigate.methods is empty"
    names = [c["name"] for c in failed]
    features = list(dict.fromkeys(_feature_of(n) for n in names))
    if constraint != "auto":
        return [constraint], features, f"ran for {constraint} (mitigate.constraint), as {names} failed"
    found = list(dict.fromkeys(GAP_CONSTRAINT[n.split("[")[0]] for n in names if n.split("[")[0] in GAP_CONSTRAINT))
    return found, features, f"ran for the failed constraints {found} ({names})"


def primary_estimate(decision: dict[str, Any]) -> float:
    return float(decision["statistics"]["primary"]["candidate"]["estimate"])


def _excess(decision: dict[str, Any]) -> float:
    """How far the failed checks miss their rules, summed: 0 for a candidate that passes."""
    total = 0.0
    for check in decision["checks"]:
        if check["status"] == "fail" and check["value"] is not None:
            total += abs(float(check["value"]) - float(check["threshold"]))
    return total


def choose(decisions: dict[str, dict[str, Any]]) -> tuple[str, bool]:
    """(name, passed): the passing candidate with the best primary metric, else the closest to passing
    (fewest failed checks, then the smallest total miss)."""
    passing = {name: d for name, d in decisions.items() if d["verdict"] == "pass"}
    if passing:
        return max(passing, key=lambda name: (primary_estimate(passing[name]), name == "unmitigated")), True
    closest = min(decisions, key=lambda name: (sum(c["status"] == "fail" for c in decisions[name]["checks"]),
                                               _excess(decisions[name])))
    return closest, False


def frontier_points(decisions: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One point per candidate, plus the champion: the primary metric and every fairness gap, with their CIs."""
    points = []
    for name, decision in decisions.items():
        stats = decision["statistics"]
        gaps = {f"{metric}[{feature}]": values["candidate"]
                for feature, metrics in stats["fairness"].items() for metric, values in metrics.items()}
        points.append({"candidate": name, "verdict": decision["verdict"], "primary_metric": stats["primary_metric"],
                       "primary": stats["primary"]["candidate"], "gaps": gaps})
    first = next(iter(decisions.values()))
    stats = first["statistics"]
    if first.get("champion_version") is not None and stats["primary"].get("champion"):
        gaps = {f"{metric}[{feature}]": values["champion"] for feature, metrics in stats["fairness"].items()
                for metric, values in metrics.items() if values.get("champion")}
        points.append({"candidate": f"champion (version {first['champion_version']})", "verdict": "champion",
                       "primary_metric": stats["primary_metric"], "primary": stats["primary"]["champion"], "gaps": gaps})
    return points


def explain_infeasible(diagnosis: dict[str, Any] | None, features: list[str], gate: dict[str, float],
                       best: dict[str, Any]) -> list[str]:
    """Why no candidate passes, from the data: each feature's base rates, and the bound both ceilings put on
    accuracy. With equal TPR and FPR across groups (equalized odds), the demographic-parity gap is
    (TPR - FPR) x (base-rate gap); so both gaps below their ceilings force TPR - FPR <= c / base-rate gap,
    and a classifier with TPR - FPR <= J and positive rate p <= 0.5 is at most (1 - p) + p J accurate. The
    gate judges the upper end of each gap's CI, so c is the ceiling less the half-width seen here."""
    lines = []
    for feature in features:
        found = (diagnosis or {}).get("features", {}).get(feature)
        if not found:
            continue
        rates = {g: v["positive_rate"] for g, v in found["groups"].items()}
        shares = {g: v["share"] for g, v in found["groups"].items()}
        gap = max(rates.values()) - min(rates.values())
        lines.append(f"base rates of {feature}: " + ", ".join(f"{g} {r:.3f}" for g, r in rates.items())
                     + f" (gap {gap:.3f})")
        dp, eo = gate["max_demographic_parity_difference"], gate["max_equalized_odds_difference"]
        if gap > 0 and dp < 1.0 and eo < 1.0:
            seen = best["gaps"].get(f"demographic_parity_difference[{feature}]") or {}
            width = max(0.0, (seen.get("high") or 0.0) - (seen.get("estimate") or 0.0))
            room = max(0.0, dp - width)
            p = sum(rates[g] * shares[g] for g in rates)
            youden = min(1.0, room / gap)
            bound = (1 - p) + p * youden if p <= 0.5 else p + (1 - p) * youden
            verdict = "below" if bound < gate["min_accuracy"] else "just above"
            lines.append(f"with both ceilings (demographic parity {dp}, equalized odds {eo}), and the gate judging the "
                         f"upper end of a CI about {width:.3f} wide here, the gap must stay near {room:.3f}: TPR - FPR "
                         f"at most {room:.3f} / {gap:.3f} = {youden:.3f}, which caps accuracy near {bound:.3f} at a "
                         f"positive rate of {p:.3f}, {verdict} the floor gate.min_accuracy {gate['min_accuracy']}")
    lines.append(f"the closest candidate, {best['candidate']}, reaches {best['primary_metric']} "
                 f"{best['primary']['estimate']:.4f} and misses: " + "; ".join(best.get("reasons", [])))
    return lines
