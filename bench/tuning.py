"""Tuning benchmarks: trials per minute on one and on two local workers (the same study, side by side), and the
census-like comparison of a 40-trial tune against the default MLP (`make bench-tuning`; `make bench` runs the
first)."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import BIN, QUICK, timed

START, END = "<!-- bench:tuning -->", "<!-- /bench:tuning -->"


def _trial_rows(rows: int):
    from fairgate.core.config import build_params
    from fairgate.core.contract import resolve_schema
    from fairgate.core.ingest import normalise
    from fairgate.core.preprocess import encode_labels, fit_preprocessor, split
    from fairgate.core.synthetic import generate
    from fairgate.core.tune_trial import TrialRows

    params = build_params({"data": {"synthetic": {"rows": rows, "seed": 5, "bias": 0.5}}})
    raw = normalise(generate(params.data.synthetic), params.data)
    schema = resolve_schema(params.data, list(raw.columns), raw.dtypes)
    parts = split(raw, schema, params.preprocess)
    prep = fit_preprocessor(parts.train, schema, params.preprocess)
    return params, TrialRows(prep.transform(parts.train), encode_labels(parts.train, schema), prep.transform(parts.val),
                             encode_labels(parts.val, schema), parts.val[list(schema.sensitive)])


def scale(rows: int, trials: int, repeats: int = 2) -> dict[str, Any]:
    """Trials per minute of the default space on 1 worker (this process) and on a local cluster of 2 single-threaded
    workers, interleaved and best of ``repeats``. The study is seeded and asked in batches, so every run fits exactly
    the same trials; a cluster's start (and its workers' warm-up) is timed apart from its trials."""
    params, rows_ = _trial_rows(rows)
    best: dict[int, tuple[float, float]] = {}
    families: dict[str, int] = {}
    for _ in range(repeats):
        for workers in (1, 2):
            start_s, trials_s, families = _one_study(params, rows_, trials, workers)
            if workers not in best or trials_s < best[workers][1]:
                best[workers] = (start_s, trials_s)
    result: dict[str, Any] = {"rows": rows, "trials": trials, "repeats": repeats, "families": families}
    for workers, (start_s, trials_s) in best.items():
        result[f"trials_per_min_{workers}w"] = round(trials / trials_s * 60, 1)
        result[f"start_s_{workers}w"] = round(start_s, 2)
    result["speedup_2w"] = round(result["trials_per_min_2w"] / result["trials_per_min_1w"], 2)
    return result


def _one_study(params: Any, rows: Any, trials: int, workers: int) -> tuple[float, float, dict[str, int]]:
    """(start seconds, trials seconds, trials per family) of one study on ``workers`` local workers."""
    from fairgate.adapters.tune_study import open_study, run_trials, trial_fit, trial_runner
    from fairgate.core.tune_config import TuneConfig

    cfg = TuneConfig(trials=trials, workers=workers, batch=8)
    folder = Path(tempfile.mkdtemp(prefix="fairgate-bench-tune-"))
    started = time.perf_counter()
    with trial_runner(cfg, rows, params.train) as runner:
        ready = time.perf_counter()
        study = run_trials(lambda seed: open_study(folder, "bench", seed), cfg, params.train, runner,
                           trial_fit(params.evaluate, params.gate.primary_metric), lambda *_: None)
        finished = time.perf_counter()
    names = [t.params["family"] for t in study.get_trials()]
    shutil.rmtree(folder, ignore_errors=True)
    return ready - started, finished - ready, {name: names.count(name) for name in sorted(set(names))}


def _test_figures(root: Path) -> dict[str, float]:
    report = json.loads((root / "reports/evaluate/report.json").read_text())
    gaps = {f"{metric}[{feature}]": round(fair[metric], 4) for feature, fair in report["fairness"].items()
            for metric in ("demographic_parity_difference", "equalized_odds_difference")}
    return {"accuracy": round(report["metrics"]["accuracy"], 4), "largest_gap": max(gaps.values()), "gaps": gaps}


def census(rows: int, trials: int, workers: int = 2) -> dict[str, Any]:
    """The default MLP and a ``trials``-trial tune on the same census-like project, each judged by evaluate on the
    same test rows (the tune chose on validation rows only)."""
    from bench import census as census_file
    from bench.common import project_copy

    root = project_copy()
    data = census_file.write(root / "data/input/census.csv", rows=rows)
    timed([str(BIN / "fairgate"), "init", "--data", str(data), "--sensitive", "sex,race"], root)
    default_s, _ = timed([str(BIN / "fairgate"), "run"], root)
    default = _test_figures(root)
    tune_s, _ = timed([str(BIN / "fairgate"), "tune", "--trials", str(trials), "--workers", str(workers)], root)
    tuned = _test_figures(root)
    record = json.loads((root / "models/tuned.json").read_text())
    shutil.rmtree(root, ignore_errors=True)
    chosen = record["chosen"]
    return {"rows": rows, "trials": trials, "workers": workers, "default_mlp": default, "tuned": tuned,
            "chosen": {"trial": chosen["number"], "family": chosen["family"], "values": chosen["values"],
                       "val_accuracy": round(chosen["primary"], 4), "val_largest_gap": round(chosen["largest_gap"], 4),
                       "cleared_margin": chosen["cleared"]},
            "front_size": len(record["front"]), "run_s": round(default_s, 1), "tune_s": round(tune_s, 1),
            "accuracy_within_0_005": tuned["accuracy"] >= default["accuracy"] - 0.005,
            "gap_no_larger": tuned["largest_gap"] <= default["largest_gap"]}


def markdown(found: dict[str, Any]) -> str:
    scaled, census_ = found["scale"], found["census"]
    default, tuned, chosen = census_["default_mlp"], census_["tuned"], census_["chosen"]
    return "\n".join([
        f"Scale: the default space, {scaled['trials']} trials on {scaled['rows']:,} generated rows, best of "
        f"{scaled['repeats']} (a cluster's start, its workers' warm-up included, is timed apart):", "",
        "| workers | trials per minute | start (s) |", "| --- | --- | --- |",
        f"| 1 (this process) | {scaled['trials_per_min_1w']} | {scaled['start_s_1w']} |",
        f"| 2 (local Dask, one thread each) | {scaled['trials_per_min_2w']} | {scaled['start_s_2w']} |", "",
        f"2 workers: **{scaled['speedup_2w']}x** the trials per minute of 1 (target >= 1.6).", "",
        f"Census-like file ({census_['rows']:,} rows, `bench/census.py`), the same test rows judged by evaluate:", "",
        "| model | test accuracy | largest test gap |", "| --- | --- | --- |",
        f"| default MLP (`fairgate run`) | {default['accuracy']} | {default['largest_gap']} |",
        f"| tuned: {census_['trials']} trials, trial {chosen['trial']} ({chosen['family']}) | {tuned['accuracy']} | "
        f"{tuned['largest_gap']} |", "",
        f"Chosen on validation rows: accuracy {chosen['val_accuracy']}, largest gap {chosen['val_largest_gap']} "
        f"({'cleared' if chosen['cleared_margin'] else 'did not clear'} the ceilings by `tune.margin`; "
        f"front of {census_['front_size']}). Accuracy within 0.005 of the default: "
        f"{census_['accuracy_within_0_005']}; largest gap no larger: {census_['gap_no_larger']}. "
        f"`fairgate tune` took {census_['tune_s']} s on {census_['workers']} workers."])


def main() -> None:
    from bench.study_files import write_study

    found = {"scale": scale(20_000 if QUICK else 60_000, 16 if QUICK else 48),
             "census": census(10_000 if QUICK else 30_000, 12 if QUICK else 40)}
    root = Path(__file__).resolve().parents[1]
    write_study("tuning", found, markdown(found), root / "bench" / "results.json", root / "docs" / "tuning.md",
                (START, END))
    print(json.dumps(found, indent=2))
    print(markdown(found))


if __name__ == "__main__":
    main()
