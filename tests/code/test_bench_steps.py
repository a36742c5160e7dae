"""Bench steps that call fairgate's code directly run against today's API (`make bench` is too long for CI)."""

from bench import run


def test_the_model_log_step_logs_a_bundle_and_times_it():
    seconds = run.model_log_s()
    assert 0 < seconds < 60


def test_the_throughput_step_times_both_loops():
    from bench.throughput import measure

    result = measure("torch", 8_000, 1)
    assert result["ours"] > 0 and result["naive"] > 0
    assert result["ratio"] == round(result["ours"] / result["naive"], 2)


def test_the_warm_step_times_a_run_served_by_fairgate_warm():
    seconds = run.warm_run_s(run.fresh_project(20_000))  # raises unless `fairgate warm` served the run
    assert 0 < seconds < 300
    assert 0 < run.bare_imports_s() < 60
