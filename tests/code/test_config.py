from pathlib import Path

import pytest

from fairgate.config import ConfigError, apply_overrides, build_params, load_params


def test_defaults_are_valid_and_match_the_documented_gate():
    params = build_params({})
    assert params.gate.max_demographic_parity_difference == 0.10
    assert params.gate.max_equalized_odds_difference == 0.10
    assert params.data.synthetic.rows == 50_000


def test_unknown_key_fails_naming_it():
    with pytest.raises(ConfigError, match=r"unknown key 'train\.epoch'"):
        build_params({"train": {"epoch": 3}})


def test_wrong_type_names_key_and_value():
    with pytest.raises(ConfigError, match=r"'train\.epochs'.*'many'"):
        build_params({"train": {"epochs": "many"}})


def test_out_of_range_threshold_is_rejected():
    with pytest.raises(ConfigError, match=r"gate\.max_demographic_parity_difference"):
        build_params({"gate": {"max_demographic_parity_difference": 1.5}})


def test_unknown_device_lists_allowed_values():
    with pytest.raises(ConfigError, match=r"train\.device.*'auto', 'cpu' or 'cuda'"):
        build_params({"train": {"device": "tpu"}})


def test_bias_must_lie_in_unit_interval():
    with pytest.raises(ConfigError, match="data.synthetic.bias"):
        build_params({"data": {"synthetic": {"bias": 2}}})


def test_overrides_are_parsed_as_yaml():
    merged = apply_overrides({"data": {"sensitive": ["a"]}}, ["data.sensitive=[sex]", "train.epochs=3"])
    assert merged == {"data": {"sensitive": ["sex"]}, "train": {"epochs": 3}}
    assert build_params(merged).train.epochs == 3


def test_malformed_override_is_explained():
    with pytest.raises(ConfigError, match="key.path=value"):
        apply_overrides({}, ["train.epochs"])


def test_project_params_file_loads(tmp_path: Path):
    root = Path(__file__).resolve().parents[2]
    params = load_params(root / "params.yaml", ["data.synthetic.rows=1000"])
    assert params.data.synthetic.rows == 1000
    with pytest.raises(ConfigError, match="not found"):
        load_params(tmp_path / "missing.yaml")


def test_digest_changes_with_any_param():
    assert build_params({}).digest() != build_params({"train": {"seed": 1}}).digest()
