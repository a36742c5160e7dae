"""The GPU benchmark is ready for a lent device: here, without CUDA, it runs the same paths on the CPU and says
so, writing every gpu_* key."""

import pytest

from bench import gpu


@pytest.mark.skipif(gpu._cuda(), reason="this checks the CPU fallback; on a GPU `make bench GPU=1` is the check")
def test_without_cuda_the_gpu_bench_runs_on_the_cpu_and_says_so():
    results = gpu.run(rows=3000, epochs=1)
    assert results["gpu_device"].startswith("none: no CUDA device")
    for prefix in ("gpu_torch", "gpu_tf"):
        assert results[f"{prefix}_device"] == "cpu" and results[f"{prefix}_precision"] == "fp32"
        assert results[f"{prefix}_samples_per_s"] > 0 and results[f"{prefix}_naive_samples_per_s"] > 0
        assert results[f"{prefix}_ratio"] > 0 and results[f"{prefix}_peak_memory_gb"] is None
        assert results[f"{prefix}_default_batch_ratio"] > 0


def test_a_framework_that_is_not_installed_is_reported_as_not_measured(monkeypatch):
    # TensorFlow is installed here, so its absence (as on a GPU machine without it) is simulated
    real_find_spec = gpu.importlib.util.find_spec
    monkeypatch.setattr(gpu.importlib.util, "find_spec",
                        lambda name, *a: None if name == "tensorflow" else real_find_spec(name, *a))
    results = gpu.run(rows=3000, epochs=1)
    assert results["gpu_tf_device"] == "not measured: tensorflow is not installed on this machine"
    assert not any(key.startswith("gpu_tf_") and key != "gpu_tf_device" for key in results)
    assert results["gpu_torch_samples_per_s"] > 0 and results["gpu_torch_default_batch_ratio"] > 0
