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
