"""Bench steps that call fairgate's code directly run against today's API (`make bench` is too long for CI)."""

import sys

import pytest

from bench import run


def test_the_model_log_step_logs_a_bundle_and_times_it():
    seconds = run.model_log_s()
    assert 0 < seconds < 60


def test_the_throughput_step_times_both_loops():
    from bench.throughput import measure

    result = measure("torch", 8_000, 1)
    assert result["ours"] > 0 and result["naive"] > 0
    assert result["ratio"] == round(result["ours"] / result["naive"], 2)


@pytest.mark.e2e
def test_the_warm_step_times_a_run_served_by_fairgate_warm():
    seconds = run.warm_run_s(run.fresh_project(5_000))  # raises unless `fairgate warm` served the run
    assert 0 < seconds < 300
    assert 0 < run.bare_imports_s() < 60


def test_the_overhead_step_counts_the_cpu_of_processes_the_command_starts(tmp_path):
    burn = "import time; end = time.process_time() + 0.5\nwhile time.process_time() < end: pass"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {burn!r}], check=True)"
    wall, cpu = run.timed_with_cpu([sys.executable, "-c", parent], tmp_path)
    assert cpu >= 0.5 and wall > 0  # the child's half second of CPU is counted with its parent's


def test_the_cpu_floor_is_the_cpu_spread_over_the_cores_less_the_bare_script():
    measured = {"fairgate_run_cpu_s": 48.0, "bare_script_cpu_s": 21.0, "bare_script_s": 19.0}
    assert run.cpu_floor(measured, 2) == {"overhead_cpu_s": 27.0, "overhead_fixed_floor_s": 5.0, "overhead_cores": 2}
    assert run.cpu_floor(measured, 16)["overhead_fixed_floor_s"] == 0.0


def test_a_cpu_bench_run_keeps_the_gpu_keys_and_the_statistics_study_other_runs_wrote(tmp_path, monkeypatch):
    results = tmp_path / "results.json"
    results.write_text('{"gpu_torch_ratio": 179.25, "gpu_device": "NVIDIA H200", "overhead_fixed_s": 16.7, '
                       '"statistics": {"trials": 4000}}')
    monkeypatch.setattr(run, "RESULTS", results)
    assert run.keys_kept() == {"gpu_torch_ratio": 179.25, "gpu_device": "NVIDIA H200", "statistics": {"trials": 4000}}
    results.unlink()
    assert run.keys_kept() == {}


def test_the_tuning_step_runs_one_study_on_one_worker_and_on_two():
    from bench.tuning import scale

    result = scale(3_000, 4, repeats=1)
    assert result["trials_per_min_1w"] > 0 and result["trials_per_min_2w"] > 0
    assert result["speedup_2w"] == round(result["trials_per_min_2w"] / result["trials_per_min_1w"], 2)
    assert sum(result["families"].values()) == 4
