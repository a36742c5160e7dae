"""The promotion card: one JSON document per candidate with all the evidence, and its Markdown."""

from __future__ import annotations

from typing import Any

from fairgate.core.config import Params
from fairgate.core.train_config import TrainConfig


def build_card(decision: dict[str, Any], report: dict[str, Any], validation: dict[str, Any] | None,
               lineage: dict[str, str], params: Params, mitigation: dict[str, Any] | None = None,
               tuning: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything a reviewer needs to trust (or challenge) one gate decision: with the bias found in the data
    (from validate) and, once mitigate has run, what it tried, the frontier and what it chose."""
    stats = decision.get("statistics", {})
    return {
        "model": params.promote.model_name,
        "trained": trained_model(params.train),
        "tuning": tuning,
        "verdict": decision["verdict"],
        "reasons": decision["reasons"],
        "champion_version": decision.get("champion_version"),
        "data": {
            "source": params.data.source,
            "raw_md5": lineage.get("data.raw_md5"),
            "processed_md5": lineage.get("data.processed_md5"),
            "validation": None if validation is None else
            {k: validation.get(k) for k in ("success", "rows", "evaluated", "failed")},
        },
        "metrics": report["metrics"],
        "champion_metrics": decision.get("champion_metrics"),
        "intervals": {k: stats.get(k) for k in ("primary_metric", "confidence", "method", "n_resamples", "seed", "primary",
                                                 "fairness")},
        "groups": {feature: fairness["groups"] for feature, fairness in report["fairness"].items()},
        "checks": decision["checks"],
        "git": {"commit": lineage.get("git.commit"), "dirty": lineage.get("git.dirty")},
        "params_digest": params.digest(),
        "reproduce": f"git checkout {lineage.get('git.commit', '<commit>')} && dvc repro",
        "diagnosis": (validation or {}).get("bias"),
        "mitigation": mitigation,
        "explanations": report.get("explanations"),
    }


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _interval(interval: dict[str, Any] | None) -> str:
    if not interval:
        return "n/a"
    return f"{_fmt(interval['estimate'])} [{_fmt(interval['low'])}, {_fmt(interval['high'])}]"


def trained_model(train: TrainConfig) -> dict[str, Any]:
    """What was trained: the estimator's class and the params set in params.yaml, or fairgate's network and its
    shape."""
    if train.framework == "sklearn":
        return {"framework": "sklearn", "class": train.estimator, "params": dict(train.estimator_params)}
    return {"framework": train.framework, "class": "fairgate MLP",
            "params": {"hidden_sizes": train.hidden_sizes, "dropout": train.dropout,
                       "learning_rate": train.learning_rate}}


def card_markdown(card: dict[str, Any]) -> str:
    """The card for people: verdict, data, metrics with CIs, per-group table, checks, how to reproduce."""
    intervals = card["intervals"]
    lines = [f"# Promotion card: `{card['model']}` - {card['verdict'].upper()}", ""]
    lines.append(f"Compared against champion: {card['champion_version'] or 'none (first model: absolute checks only)'}")
    trained = card.get("trained") or {}
    if trained:
        settings = ", ".join(f"{k}={v}" for k, v in trained["params"].items()) or "its defaults"
        lines.append(f"\nModel: `{trained['class']}` ({trained['framework']}) with {settings}")
    lines += _tuning_lines(card.get("tuning"))
    if card["reasons"]:
        lines += ["", "## Reasons", "", *[f"- {r}" for r in card["reasons"]]]
    data = card["data"]
    validation = data["validation"] or {}
    lines += ["", "## Data", "", f"- source: `{data['source']}`", f"- raw data md5 (DVC): `{data['raw_md5']}`",
              f"- processed data md5 (DVC): `{data['processed_md5']}`",
              f"- validation: {'passed' if validation.get('success') else 'failed'}, "
              f"{validation.get('evaluated')} expectations on {validation.get('rows')} rows"]
    confidence = intervals.get("confidence") or 0.95
    lines += ["", f"## Metrics ({confidence:.0%} CIs: the primary metric by a paired bootstrap of "
                  f"{intervals.get('n_resamples')} resamples, the fairness gaps by score intervals; docs/statistics.md)", "",
              "| metric | candidate | champion |", "| --- | --- | --- |"]
    champion = card.get("champion_metrics") or {}
    for name, value in card["metrics"].items():
        lines.append(f"| {name} | {_fmt(value)} | {_fmt(champion.get(name))} |")
    primary = intervals.get("primary") or {}
    lines += ["", f"Primary metric `{intervals.get('primary_metric')}`: candidate {_interval(primary.get('candidate'))}"
              + (f", champion {_interval(primary.get('champion'))}, difference {_interval(primary.get('difference'))}"
                 if primary.get("difference") else "")]
    lines += ["", "| feature | gap | candidate | champion | difference |", "| --- | --- | --- | --- | --- |"]
    for feature, gaps in (intervals.get("fairness") or {}).items():
        for gap, values in gaps.items():
            lines.append(f"| {feature} | {gap} | {_interval(values.get('candidate'))} | "
                         f"{_interval(values.get('champion'))} | {_interval(values.get('difference'))} |")
    for feature, groups in card["groups"].items():
        lines += ["", f"### Groups of `{feature}`", "",
                  "| group | count | selection rate | TPR | FPR | accuracy |", "| --- | --- | --- | --- | --- | --- |"]
        for group, row in groups.items():
            lines.append(f"| {group} | {int(row['count'])} | {_fmt(row['selection_rate'])} | {_fmt(row['tpr'])} "
                         f"| {_fmt(row['fpr'])} | {_fmt(row['accuracy'])} |")
    lines += _diagnosis_lines(card.get("diagnosis")) + _mitigation_lines(card.get("mitigation"))
    lines += ["", "## Gate checks", "", "| check | value | rule | status | detail |", "| --- | --- | --- | --- | --- |"]
    for check in card["checks"]:
        status = check["status"] if check["status"] == "pass" else f"**{check['status']}**"
        lines.append(f"| {check['name']} | {_fmt(check['value'])} | {check['comparison']} {check['threshold']} "
                     f"| {status} | {check['detail']} |")
    lines += ["", "## Reproduce", "", "```bash", card["reproduce"], "```",
              "", f"git dirty: {card['git']['dirty']}; params digest `{card['params_digest']}`"]
    lines += _explanation_lines(card.get("explanations"))  # last: where a store caps a description, it goes first
    return "\n".join(lines) + "\n"


def _explanation_lines(explained: dict[str, Any] | None) -> list[str]:
    if not explained:
        return []
    ranked = sorted(explained["importance"].items(), key=lambda kv: -kv[1])  # JSON keeps keys sorted by name
    top = ", ".join(f"`{c}` {v:.4f}" for c, v in ranked[:8])
    lines = ["", "## Explanations", "",
             f"Of {explained['of']}: {explained['method']}, in {explained['output_space']} space, on "
             f"{explained['rows']} validation rows against {explained['background_rows']} background rows "
             f"(base value {explained['base_value']:.4f}). Each row's parts add up to its probability minus the base "
             "value, so each gap below splits exactly into the columns' parts.", "",
             f"Importance (mean |attribution|): {top}"]
    for feature, split in explained["gaps"].items():
        high, low = split["groups"]
        lines += ["", f"### The `{feature}` gap, split by column", "",
                  f"Mean probability of `{high}` minus `{low}` on these rows: {split['gap']:.4f} "
                  f"(the parts sum to {split['parts_sum']:.4f}).", "",
                  "| column | part | share of the gap | proxy of the attribute (diagnosis) |", "| --- | --- | --- | --- |"]
        for row in split["top"]:
            share = "" if row["share"] is None else f"{row['share']:.1%}"
            lines.append(f"| {row['column']} | {row['part']:.4f} | {share} | {'**yes**' if row['proxy'] else ''} |")
        direct = split.get("direct_share")
        lines.append("")
        lines.append(f"`{feature}` itself carries {direct:.1%} of the gap." if direct is not None else
                     f"`{feature}` is not a feature: the gap comes from the other columns.")
        if split["proxies_in_top"]:
            lines.append(f"Proxies of `{feature}` among the top columns: {', '.join(split['proxies_in_top'])}.")
    return lines


def _tuning_lines(tuning: dict[str, Any] | None) -> list[str]:
    if not tuning:
        return []
    chosen, metric = tuning["chosen"], tuning["primary_metric"]
    rule = (f"the most accurate trial on the front whose validation gaps sit {tuning['margin']} below their ceilings"
            if chosen["cleared"] else f"no trial on the front cleared the ceilings by {tuning['margin']}, so the "
            "fairest one on it")
    lines = ["", "## Tuning (chosen on validation rows; the gate's test rows were not used to choose)", "",
             f"{tuning['trials']} trials (study `{tuning['study']}`, seed {tuning['seed']}); chosen: trial "
             f"{chosen['number']} ({chosen['family']}), {rule}.", "",
             f"| trial | family | {metric} | largest gap | |", "| --- | --- | --- | --- | --- |"]
    for point in sorted(tuning["front"], key=lambda p: p["largest_gap"]):
        mark = "**chosen**" if point["number"] == chosen["number"] else "front"
        lines.append(f"| {point['number']} | {point['family']} | {point['primary']:.4f} | "
                     f"{point['largest_gap']:.4f} | {mark} |")
    return lines


def _diagnosis_lines(diagnosis: dict[str, Any] | None) -> list[str]:
    if not diagnosis:
        return []
    lines = ["", "## Bias in the data (before any model)", "",
             "| feature | group | share of rows | positive-label rate |", "| --- | --- | --- | --- |"]
    for feature, found in diagnosis["features"].items():
        for group, row in found["groups"].items():
            lines.append(f"| {feature} | {group} | {row['share']:.3f} | {row['positive_rate']:.3f} |")
    for feature, found in diagnosis["features"].items():
        proxies = ", ".join(f"`{p['feature']}` {p['nmi']:.3f}" for p in found["proxies"][:5]) or "none"
        lines += ["", f"`{feature}`: largest gap in positive-label rate between groups {found['positive_rate_gap']:.3f}; "
                      f"strongest proxies (normalised mutual information with it): {proxies}"]
    return lines


def knob_summary(knobs: dict[str, Any]) -> str:
    """A mitigation's knobs in one line: thresholds per group, cell weights, or the reduction's settings."""
    if knobs.get("method") == "threshold":
        found = ", ".join(f"{g} {t:.3f}" for g, t in knobs.get("thresholds", {}).items())
        return (f"group thresholds {{{found}}} (others {knobs.get('default', 0):.3f}) for {knobs.get('constraint')}, "
                f"rates within {knobs.get('slack')} of each other on validation")
    if knobs.get("method") == "reweigh":
        return "weights per (group, label) cell " + ", ".join(f"{c} {w}" for c, w in knobs.get("cell_weights", {}).items())
    return ", ".join(f"{k} {v}" for k, v in knobs.items() if k not in ("features",))


def _mitigation_lines(mitigation: dict[str, Any] | None) -> list[str]:
    if not mitigation:
        return []
    lines = ["", "## Mitigation", "", f"Mitigation {mitigation['why']}."]  # ran for ... / not needed: ... / cannot help: ...
    lines += [f"- left out: {s}" for s in mitigation.get("skipped", [])]
    if mitigation.get("frontier") and len(mitigation["frontier"]) > 1:
        gaps = sorted({g for p in mitigation["frontier"] for g in p["gaps"]})
        lines += ["", "### Frontier (every candidate through the same gate; test rows, 95% CIs)", "",
                  "| candidate | verdict | " + " | ".join([mitigation["frontier"][0]["primary_metric"], *gaps]) + " |",
                  "| --- | --- | " + " | ".join(["---"] * (len(gaps) + 1)) + " |"]
        for point in mitigation["frontier"]:
            cells = [_interval(point["primary"])] + [_interval(point["gaps"].get(g)) for g in gaps]
            lines.append(f"| {point['candidate']} | {point['verdict']} | " + " | ".join(cells) + " |")
    if mitigation.get("closest"):
        lines += ["", f"No mitigated candidate passes; the closest is `{mitigation['closest']}` (on the frontier above), "
                      f"so the unmitigated candidate is the one recorded as rejected."]
    selected = mitigation.get("selected")
    if selected and selected != "unmitigated":
        lines += ["", f"Selected `{selected}`, which {'passes' if mitigation['passed'] else 'comes closest'}; "
                      f"chosen on the validation rows: {knob_summary(mitigation.get('knobs') or {})}."]
        if mitigation.get("accuracy_given_up"):
            lines.append(f"{mitigation.get('primary_metric', 'accuracy')} given up against the unmitigated candidate "
                         f"(paired, same test rows; negative: gained): {_interval(mitigation['accuracy_given_up'])}.")
        if mitigation.get("uses_sensitive_at_prediction"):
            lines.append("This model reads the sensitive attribute when it decides (group thresholds); some "
                         "jurisdictions restrict that. `mitigate.use_sensitive_at_prediction: false` rules it out.")
    if mitigation.get("explanation"):
        lines += ["", "### Why no candidate passes", "", *[f"- {line}" for line in mitigation["explanation"]]]
    return lines
