"""fairgate's benchmark suite: `make bench` (full) or `make bench QUICK=1` (small variants, < 10 min).

Writes bench/results.json (one flat object per benchmark, stable keys) and BENCHMARKS.md. Ratios are
measured side by side in one run; absolute times only compare on the same machine.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bench.common import (
    BIN,
    QUICK,
    REPO,
    RESULTS,
    _env,
    fresh_project,
    project_copy,
    set_params,
    timed,
)

BARE_IMPORTS = """from pathlib import Path
from fairgate.adapters.params_file import load_params
from fairgate.adapters import source
from fairgate.core import validate, preprocess, evaluate
from fairgate.core.contract import resolve_schema
from fairgate.core.backends import load_backend"""


def timed_with_cpu(args: list[str], root: Path) -> tuple[float, float]:
    """Wall seconds, and CPU seconds (user and system) of the command and of every process under it that its
    parent waited for. fairgate waits for the Prefect server and the side process it starts, so their CPU
    counts; a process left to init would be missed, which can only make the CPU figure smaller."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, _ = timed(args, root)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bare_pipeline(rows: int, root: Path) -> tuple[float, float]:
    """The same stage work in one process, no Prefect, no DVC, no MLflow: its wall and CPU seconds."""
    script = f"""
import time; started = time.perf_counter()
{BARE_IMPORTS}
p = load_params(Path("params.yaml"))
raw = source.load(p.data, Path("."))
schema = resolve_schema(p.data, list(raw.columns), raw.dtypes)
assert validate.run_suite(raw, validate.raw_suite(schema, p.validate_cfg))["success"]
s = preprocess.split(raw, schema, p.preprocess); prep = preprocess.fit_preprocessor(s.train, schema)
arrays = [prep.transform(s.train), preprocess.encode_labels(s.train, schema),
          prep.transform(s.val), preprocess.encode_labels(s.val, schema)]
b = load_backend(p.train.framework); model = b.fit(*arrays, p.train).model
proba = b.predict_proba(model, prep.transform(s.test))
evaluate.evaluate(preprocess.encode_labels(s.test, schema), proba, s.test[list(schema.sensitive)], p.evaluate)
print(time.perf_counter() - started)
"""
    return timed_with_cpu([sys.executable, "-c", script], root)


def import_seconds(module: str, root: Path) -> float:
    seconds, done = timed([sys.executable, "-c", f"import time; t = time.perf_counter(); import {module}; "
                           "print(time.perf_counter() - t)"], root)
    return float(done.stdout.strip().splitlines()[-1])


def prefect_start_s(root: Path) -> float:
    script = ("import time; from prefect import flow\n@flow\ndef f(): return 1\n"
              "t = time.perf_counter(); f(); print(time.perf_counter() - t)")
    _, done = timed([sys.executable, "-c", script], root)
    return float(done.stdout.strip().splitlines()[-1])


def least(measured: list[tuple[float, float]]) -> tuple[float, float]:
    """The least wall and the least CPU seconds of repeated runs of the same work."""
    return min(wall for wall, _ in measured), min(cpu for _, cpu in measured)


def overhead(rows: int) -> dict:
    """The full run against the bare script, each twice and interleaved (best of two each), in fresh copies.
    Their CPU seconds too, every process counted: on a machine with few cores, these bound how far
    overlapping the run's work can ever bring its wall time down (``summarise``'s floor)."""
    root, second = fresh_project(rows), fresh_project(rows)
    runs = [timed_with_cpu([str(BIN / "fairgate"), "run"], root)]
    stats = json.loads((root / ".fairgate" / "last_run.json").read_text())
    bares = [bare_pipeline(rows, root)]
    runs.append(timed_with_cpu([str(BIN / "fairgate"), "run"], second))
    bares.append(bare_pipeline(rows, root))
    (run_s, run_cpu_s), (bare_s, bare_cpu_s) = least(runs), least(bares)
    shutil.rmtree(second, ignore_errors=True)
    noop_dvc_s, _ = timed([str(BIN / "dvc"), "repro"], root)
    # The first rerun still has work: drift compares the snapshot with the champion the run just promoted.
    rerun_s, _ = timed([str(BIN / "fairgate"), "run"], root)
    noop_run_s, _ = timed([str(BIN / "fairgate"), "run"], root)
    breakdown = {
        "imports_s": round(sum(import_seconds(m, root) for m in ("prefect", "mlflow", "dvc.repo")), 2),
        "prefect_start_s": round(prefect_start_s(root), 2),
        "prefect_wait_s": round(stats.get("prefect_wait_s", 0.0), 2),
        "mlflow_logging_s": round(stats["tracking_s"], 2),
        "dvc_hashing_s": round(stats["dvc_s"], 2),
        "stage_work_s": round(stats["work_s"] - stats["tracking_s"], 2),
    }
    shutil.rmtree(root, ignore_errors=True)
    return {"rows": rows, "fairgate_run_s": round(run_s, 2), "bare_script_s": round(bare_s, 2),
            "overhead_ratio": round(run_s / bare_s, 2), "overhead_breakdown": breakdown,
            "fairgate_run_cpu_s": round(run_cpu_s, 2), "bare_script_cpu_s": round(bare_cpu_s, 2),
            "noop_dvc_repro_s": round(noop_dvc_s, 2), "noop_fairgate_run_s": round(noop_run_s, 2),
            "rerun_after_promotion_s": round(rerun_s, 2)}


def overhead_at(rows: int) -> dict:
    """The same ratio on more rows, once each: the costs fairgate adds are mostly fixed, so it falls."""
    root = fresh_project(rows)
    run_s, _ = timed([str(BIN / "fairgate"), "run"], root)
    bare_s, _ = bare_pipeline(rows, root)
    warm_s = warm_run_s(fresh_project(rows))
    shutil.rmtree(root, ignore_errors=True)
    return {"fairgate_run_s": round(run_s, 2), "bare_script_s": round(bare_s, 2), "ratio": round(run_s / bare_s, 2),
            "warm_fairgate_run_s": round(warm_s, 2), "warm_ratio": round(warm_s / bare_s, 2)}


@contextmanager
def warm_worker(root: Path) -> Iterator[None]:
    """`fairgate warm` serving ``root``, its standby warm (its imports done, Prefect's server up)."""
    log = root / ".fairgate-warm.log"
    with log.open("w") as handle:
        worker = subprocess.Popen([str(BIN / "fairgate"), "warm"], cwd=root, env=_env(root), stdout=handle,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while "warm in" not in log.read_text():
            if worker.poll() is not None:
                raise RuntimeError(f"fairgate warm exited:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield
    finally:
        # SIGTERM, not Ctrl+C's SIGINT: a bench started as a shell's background job (`make bench &`) passes on
        # that SIGINT is ignored, and `fairgate warm` then rightly ignores it too.
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=120)


def warm_run_s(root: Path) -> float:
    """A first `fairgate run` in the fresh project ``root``, handed to its `fairgate warm`; ``root`` is removed."""
    with warm_worker(root):
        seconds, done = timed([str(BIN / "fairgate"), "run"], root)
    shutil.rmtree(root, ignore_errors=True)
    if "running in the warm worker" not in done.stderr:
        raise RuntimeError(f"the run was not served warm:\n{done.stderr[:3000]}")
    return seconds


def overhead_warm(rows: int, bare_s: float) -> dict:
    """The first run of a fresh project with `fairgate warm` serving it, as for `overhead` (best of two), against
    the same bare script. The bare script pays its imports; `bare_imports_s` says how much of it that is."""
    run_s = min(warm_run_s(fresh_project(rows)) for _ in range(2))
    return {"warm_fairgate_run_s": round(run_s, 2), "overhead_fixed_warm_s": round(run_s - bare_s, 2),
            "overhead_ratio_warm": round(run_s / bare_s, 2), "bare_imports_s": round(bare_imports_s(), 2)}


def bare_imports_s() -> float:
    """What the bare script spends importing, before its own work starts (best of two)."""
    script = f"import time; t = time.perf_counter()\n{BARE_IMPORTS}\nload_backend('torch')\nprint(time.perf_counter() - t)"
    return min(float(timed([sys.executable, "-c", script], REPO)[1].stdout.strip().splitlines()[-1])
               for _ in range(2))


def create_prefect_database() -> None:
    """What the first Prefect command on a machine does once: create and migrate its database."""
    script = "from pathlib import Path; from fairgate.adapters.infra.prefect_api import RunServer\n" \
             "with RunServer(Path('.')) as s: s.start(); s.wait_ready()"
    timed([sys.executable, "-c", script], Path(tempfile.mkdtemp()))


def overhead_first_use(rows: int, bare_s: float) -> dict:
    """The same full run on a machine where Prefect has never run: its database is created during the run."""
    root = fresh_project(rows)
    run_s, _ = timed([str(BIN / "fairgate"), "run"], root, {"PREFECT_HOME": str(root / ".prefect-home")})
    shutil.rmtree(root, ignore_errors=True)
    return {"first_use_fairgate_run_s": round(run_s, 2), "overhead_ratio_first_use": round(run_s / bare_s, 2)}


def overhead_served(rows: int, bare_s: float) -> dict:
    """The same full run and no-op rerun with a long-lived Prefect server already up, as under
    `fairgate serve` or `fairgate services up`: the per-run cost of starting one disappears."""
    from fairgate.adapters.infra.prefect_api import prefect_api
    from fairgate.adapters.infra.processes import free_port

    root = fresh_project(rows)
    with prefect_api(root, free_port()) as api:
        run_s, _ = timed([str(BIN / "fairgate"), "run"], root, {"PREFECT_API_URL": api})
        rerun_s, _ = timed([str(BIN / "fairgate"), "run"], root, {"PREFECT_API_URL": api})
    shutil.rmtree(root, ignore_errors=True)
    return {"served_fairgate_run_s": round(run_s, 2), "overhead_ratio_served": round(run_s / bare_s, 2),
            "rerun_after_promotion_served_s": round(rerun_s, 2)}


def scale(rows: int) -> dict:
    root = project_copy()
    set_params(root, [f"data.synthetic.rows={rows}", "train.epochs=1", "validate.min_rows=1000"])
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    seconds, _ = timed([str(BIN / "fairgate"), "run"], root)
    peak_kb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    shutil.rmtree(root, ignore_errors=True)
    return {"rows": rows, "wall_s": round(seconds, 1), "peak_rss_gb": round(peak_kb / 1024**2, 2)}


def gx_rows_per_s(rows: int) -> float:
    from fairgate.adapters import source
    from fairgate.adapters.infra.memory import freeze_what_exists
    from fairgate.core import validate
    from fairgate.core.config import build_params
    from fairgate.core.contract import resolve_schema

    freeze_what_exists()  # as a run does once its imports are done
    params = build_params({"data": {"synthetic": {"rows": rows}, "label_values": [">50K", "<=50K"]},
                          "validate": {"ranges": {"hours_per_week": [1, 99], "education_num": [1, 16]}}})
    raw = source.load(params.data, REPO)
    suite = validate.raw_suite(resolve_schema(params.data, list(raw.columns), raw.dtypes), params.validate_cfg)
    validate.run_suite(raw.head(1000), suite)  # warm-up
    best = float("inf")
    for _ in range(3):  # best of three: this is a shared host
        started = time.perf_counter()
        assert validate.run_suite(raw, suite)["success"]
        best = min(best, time.perf_counter() - started)
    return rows / best


def model_log_s() -> float:
    script = """
import os, tempfile, time
from pathlib import Path
import mlflow
from fairgate.core.bundle import ModelBundle
from fairgate.adapters.model_files import save_bundle
from fairgate.adapters.backends import backend_files
from fairgate.core.config import build_params
from fairgate.core.contract import resolve_schema
from fairgate.adapters.source import load
from fairgate.core.preprocess import fit_preprocessor, encode_labels
from fairgate.core.backends import load_backend
from fairgate.adapters.infra.pyfunc import log_bundle
root = Path(tempfile.mkdtemp())
os.chdir(root)  # the store's default artifact root is ./mlruns: keep it out of the repository
mlflow.set_tracking_uri(f"sqlite:///{root / 'm.db'}")
p = build_params({"data": {"synthetic": {"rows": 2000}}, "train": {"epochs": 1}})
raw = load(p.data, root); schema = resolve_schema(p.data, list(raw.columns), raw.dtypes)
prep = fit_preprocessor(raw, schema); X, y = prep.transform(raw), encode_labels(raw, schema)
backend = load_backend("torch"); model = backend.fit(X, y, X, y, p.train).model
save_bundle(ModelBundle(prep, model, "torch"), root / "b", n_features=X.shape[1], cfg=p.train)
example = raw[prep.numeric + prep.categorical].head(5)
requirements = backend_files("torch").pip_requirements()
with mlflow.start_run():
    log_bundle(root / "b", example, requirements)  # warm-up
    t = time.perf_counter(); log_bundle(root / "b", example, requirements)
    print(time.perf_counter() - t)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def init_s(rows: int) -> float:
    """`fairgate init` on a census-like CSV of ``rows`` rows with every quirk (best of two)."""
    from bench import census

    root = project_copy()
    data = census.write(root / "census.csv", rows=rows)
    best = min(timed([str(BIN / "fairgate"), "init", "--data", str(data), "--sensitive", "sex,race"], root)[0]
               for _ in range(2))
    shutil.rmtree(root, ignore_errors=True)
    return best


def main() -> None:
    from bench.mitigation import diagnosis_share, mitigation
    from bench.models import encodings, explain_cost, models
    from bench.scoring import scoring
    from bench.throughput import measure
    from bench.tuning import scale as tuning_scale

    results: dict[str, object] = {"machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores",
                                  "date": datetime.now(UTC).isoformat(timespec="seconds"), "quick": QUICK}
    steps = [
        ("throughput", lambda: {
            "torch": measure("torch", 100_000 if QUICK else 400_000, 2),
            "tensorflow": measure("tensorflow", 100_000 if QUICK else 400_000, 2)}),
        ("prefect_database", create_prefect_database),
        ("overhead", lambda: overhead(50_000 if QUICK else 200_000)),
        ("overhead_first_use", lambda: overhead_first_use(50_000 if QUICK else 200_000,
                                                          results["overhead"]["bare_script_s"])),
        ("overhead_served", lambda: overhead_served(50_000 if QUICK else 200_000,
                                                    results["overhead"]["bare_script_s"])),
        ("overhead_warm", lambda: overhead_warm(50_000 if QUICK else 200_000, results["overhead"]["bare_script_s"])),
        ("gx", lambda: {"gx_rows_per_s": round(gx_rows_per_s(1_000_000))}),
        ("model_log", lambda: {"model_log_s": round(model_log_s(), 3)}),
        ("init", lambda: {"init_1m_s": round(init_s(1_000_000), 2)}),
        ("mitigation", lambda: mitigation(50_000 if QUICK else 200_000)),
        ("diagnosis", lambda: diagnosis_share(200_000 if QUICK else 1_000_000)),
        ("scoring", lambda: scoring([200_000, 1_000_000])),
        ("models", lambda: models([50_000] if QUICK else [200_000, 1_000_000])),
        ("encodings", lambda: encodings(50_000 if QUICK else 200_000)),
        ("explain", lambda: explain_cost(50_000 if QUICK else 200_000)),
        ("tuning", lambda: tuning_scale(20_000 if QUICK else 60_000, 16 if QUICK else 48)),
    ]
    if not QUICK:
        steps += [("overhead_1m", lambda: overhead_at(1_000_000)), ("overhead_10m", lambda: overhead_at(10_000_000)),
                  ("scale_1m", lambda: scale(1_000_000)), ("scale_10m", lambda: scale(10_000_000)),
                  ("scale_30m", lambda: scale(30_000_000))]
    for name, step in steps:
        started = time.perf_counter()
        print(f"bench: {name} ...", flush=True)
        results[name] = step()
        print(f"bench: {name} done in {time.perf_counter() - started:.0f} s: {results[name]}", flush=True)
    flat = summarise(results)
    RESULTS.write_text(json.dumps(flat | keys_kept(), indent=2) + "\n")
    write_markdown(flat)


def keys_kept() -> dict:
    """The keys other benches wrote into results.json: `make bench GPU=1` the `gpu_*` keys, often on another
    machine, and `make bench-statistics`, `make bench-monitoring` and `make bench-tuning` their studies; a run of
    this one must not erase them."""
    earlier = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    return {key: value for key, value in earlier.items()
            if key.startswith("gpu_") or key in ("statistics", "monitoring", "tuning")}


def summarise(results: dict) -> dict:
    """The stable, flat keys other runs compare against."""
    from fairgate.app.warmup import usable_cores  # the cores the runs could use, as fairgate itself counts them

    flat = {k: results[k] for k in ("machine", "date", "quick")}
    throughput = results["throughput"]
    flat["torch_throughput_ratio"] = throughput["torch"]["ratio"]
    flat["tf_throughput_ratio"] = throughput["tensorflow"]["ratio"]
    flat["torch_samples_per_s"] = throughput["torch"]["ours"]
    flat["torch_naive_samples_per_s"] = throughput["torch"]["naive"]
    flat["tf_samples_per_s"], flat["tf_naive_samples_per_s"] = (throughput["tensorflow"]["ours"],
                                                                throughput["tensorflow"]["naive"])
    flat.update({k: v for k, v in results["overhead"].items() if k != "rows"})
    flat["overhead_rows"] = results["overhead"]["rows"]
    flat["overhead_fixed_s"] = round(results["overhead"]["fairgate_run_s"] - results["overhead"]["bare_script_s"], 2)
    flat.update(cpu_floor(results["overhead"], usable_cores()))
    flat.update(results["overhead_first_use"])
    flat.update(results["overhead_served"])
    flat.update(results["overhead_warm"])
    flat.update(results["gx"])
    flat.update(results["model_log"])
    flat.update(results["init"])
    flat.update({f"mitigation_s_{method}": s for method, s in results["mitigation"]["seconds"].items()})
    flat["mitigation_rows"] = results["mitigation"]["rows"]
    flat["mitigation_frontier_bias1"] = results["mitigation"]["test"]
    flat["diagnosis_share_of_validate"] = results["diagnosis"]["diagnosis_share_of_validate"]
    flat["diagnosis_s"] = results["diagnosis"]["diagnosis_s"]
    flat.update(results["scoring"])
    flat["score_rows_per_s"] = results["scoring"]["score_rows_per_s_1m"]
    flat.update({f"model_{key}": value for key, value in results["models"].items()})
    flat.update({f"encoding_{key}": value for key, value in results["encodings"].items()})
    flat.update({f"explain_{key}": value for key, value in results["explain"].items()})
    flat.update({f"tune_{key}": results["tuning"][key] for key in ("trials_per_min_1w", "trials_per_min_2w",
                                                                   "speedup_2w", "start_s_2w")})
    if "overhead_1m" in results:
        flat["overhead_ratio_1m"] = results["overhead_1m"]["ratio"]
        flat["fairgate_run_1m_s"] = results["overhead_1m"]["fairgate_run_s"]
        flat["bare_script_1m_s"] = results["overhead_1m"]["bare_script_s"]
        flat["overhead_ratio_10m"] = results["overhead_10m"]["ratio"]
        flat["fairgate_run_10m_s"] = results["overhead_10m"]["fairgate_run_s"]
        flat["bare_script_10m_s"] = results["overhead_10m"]["bare_script_s"]
        flat["overhead_ratio_10m_warm"] = results["overhead_10m"]["warm_ratio"]
        flat["warm_fairgate_run_10m_s"] = results["overhead_10m"]["warm_fairgate_run_s"]
    if "scale_10m" in results:
        flat["scale_1m_wall_s"] = results["scale_1m"]["wall_s"]
        flat["scale_10m_wall_s"] = results["scale_10m"]["wall_s"]
        flat["scale_10m_peak_rss_gb"] = results["scale_10m"]["peak_rss_gb"]
        flat["scale_ratio_10m_1m"] = round(results["scale_10m"]["wall_s"] / results["scale_1m"]["wall_s"], 2)
        flat["scale_30m_wall_s"] = results["scale_30m"]["wall_s"]
        flat["scale_30m_peak_rss_gb"] = results["scale_30m"]["peak_rss_gb"]
        flat["scale_ratio_30m_10m"] = round(results["scale_30m"]["wall_s"] / results["scale_10m"]["wall_s"], 2)
    return flat


def cpu_floor(overhead: dict, cores: int) -> dict:
    """The CPU seconds fairgate adds, and the least ``overhead_fixed_s`` they allow on ``cores`` cores: even with
    every process busy all the time, a run cannot take less wall time than its CPU seconds over the cores."""
    return {"overhead_cpu_s": round(overhead["fairgate_run_cpu_s"] - overhead["bare_script_cpu_s"], 2),
            "overhead_fixed_floor_s": round(max(0.0, overhead["fairgate_run_cpu_s"] / cores
                                                - overhead["bare_script_s"]), 2), "overhead_cores": cores}


TARGETS = {
    "overhead_ratio": "(information)", "overhead_fixed_s": "<= 5 (aim 3)",
    "overhead_fixed_floor_s": "(the least `overhead_fixed_s` this CPU allows on these cores)",
    "overhead_ratio_10m": "<= 1.15",
    "overhead_fixed_warm_s": "<= 5 (aim 3), served by `fairgate warm`", "overhead_ratio_10m_warm": "<= 1.15",
    "torch_throughput_ratio": ">= 3", "tf_throughput_ratio": ">= 1.5",
    "noop_dvc_repro_s": "<= 1.5", "noop_fairgate_run_s": "<= 10 (goal 5)", "overhead_ratio_served": "(<= 1.3)",
    "overhead_ratio_first_use": "(<= 1.3)",
    "rerun_after_promotion_s": "", "rerun_after_promotion_served_s": "", "scale_10m_wall_s": "<= 900",
    "scale_10m_peak_rss_gb": "<= 8", "scale_ratio_10m_1m": "<= 11",
    "scale_30m_peak_rss_gb": "<= 8", "scale_ratio_30m_10m": "<= 3.3", "gx_rows_per_s": ">= 2,000,000",
    "model_log_s": "<= 1", "init_1m_s": "< 10", "diagnosis_share_of_validate": "a few percent",
    "score_peak_rss_gb_1m": "bounded (about the 200k figure)", "tune_speedup_2w": ">= 1.6",
}


def write_markdown(flat: dict) -> None:
    command = "make bench QUICK=1" if flat["quick"] else "make bench"
    lines = ["# Benchmarks", "", f"Machine: {flat['machine']}. Date: {flat['date']}. Reproduce: `{command}`.", "",
             "Ratios are measured side by side in one run; absolute times compare only on the same machine.", "",
             "| key | value | target |", "| --- | --- | --- |"]
    for key, value in flat.items():
        if key in ("machine", "date", "quick"):
            continue
        shown = json.dumps(value) if isinstance(value, dict) else value
        lines.append(f"| `{key}` | {shown} | {TARGETS.get(key, '')} |")
    history = REPO / "BENCHMARKS.md"
    notes = ""
    if history.exists() and "## Notes" in history.read_text():
        notes = history.read_text()[history.read_text().index("## Notes"):]
    history.write_text("\n".join(lines) + "\n\n" + (notes or "## Notes\n"))


if __name__ == "__main__":
    main()
