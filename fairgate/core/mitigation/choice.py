"""Which constraints to mitigate after the gate's first verdict, which candidate wins, and why none could."""

from __future__ import annotations

from typing import Any

from fairgate.core.gate import check_parts
from fairgate.core.mitigation.thresholds import DEMOGRAPHIC_PARITY, EQUALIZED_ODDS

GAP_CONSTRAINT = {"demographic_parity_difference": DEMOGRAPHIC_PARITY, "equalized_odds_difference": EQUALIZED_ODDS}


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
    features = list(dict.fromkeys(check_parts(n)[1] for n in names))
    if constraint != "auto":
        return [constraint], features, f"ran for {constraint} (mitigate.constraint), as {names} failed"
    found = list(dict.fromkeys(GAP_CONSTRAINT[m] for m in (check_parts(n)[0] for n in names) if m in GAP_CONSTRAINT))
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
