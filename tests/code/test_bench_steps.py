"""Bench steps that call fairgate's code directly run against today's API (`make bench` is too long for CI)."""

from bench import run


def test_the_model_log_step_logs_a_bundle_and_times_it():
    seconds = run.model_log_s()
    assert 0 < seconds < 60
