from pathlib import Path

import pytest

from fairgate.adapters.params_file import load_params
from fairgate.core.config import ConfigError, build_params
from fairgate.core.overrides import apply_overrides, parse_override


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


@pytest.mark.parametrize("value, expected", [
    (">50K", ">50K"), ("<=50K", "<=50K"), ('">50K"', ">50K"), ("yes", "yes"), ("no", "no"), ("on", "on"),
    ("1.0", "1.0"), ("2024-01-01", "2024-01-01"), ("true", "true"), ("1", "1"),
])
def test_a_text_key_keeps_the_value_as_typed(value, expected):
    params = build_params(apply_overrides({}, [f"data.positive_label={value}"]))
    assert params.data.positive_label == expected


def test_list_and_mapping_overrides_with_shell_stripped_quotes():
    merged = apply_overrides({}, ["data.label_values=[>50K, <=50K]", "data.sensitive=[sex, race]",
                                  'data.label_map={">50K.": ">50K", "<=50K.": "<=50K"}', "data.na_values=[?]"])
    params = build_params(merged)
    assert params.data.label_values == [">50K", "<=50K"] and params.data.sensitive == ["sex", "race"]
    assert params.data.label_map == {">50K.": ">50K", "<=50K.": "<=50K"} and params.data.na_values == ["?"]


def test_an_unparseable_mapping_or_a_wrong_type_is_a_params_error_naming_the_key():
    with pytest.raises(ConfigError, match=r"'data.label_map'.*not a YAML mapping"):
        apply_overrides({}, ["data.label_map={>50K.: >50K}"])
    with pytest.raises(ConfigError, match=r"'train.epochs'.*'on'"):
        build_params(apply_overrides({}, ["train.epochs=on"]))


def test_params_file_reads_yaml_1_2_scalars_as_dvc_does(tmp_path: Path):
    path = tmp_path / "params.yaml"
    path.write_text("data:\n  positive_label: yes\n  label_values: [yes, no]\n  target: 2024-01-01\n")
    data = load_params(path).data
    assert (data.positive_label, data.label_values, data.target) == ("yes", ["yes", "no"], "2024-01-01")


def test_a_duplicate_key_in_params_names_the_key_and_lines(tmp_path: Path):
    path = tmp_path / "params.yaml"
    path.write_text("train:\n  epochs: 3\n  seed: 1\n  epochs: 4\n")
    with pytest.raises(ConfigError, match=r"line 4.*duplicate key 'epochs' \(first on line 2\)"):
        load_params(path)


def test_a_yaml_alias_bomb_is_refused_fast_with_a_short_message(tmp_path: Path):
    import time

    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]" for i in range(9)]
    path = tmp_path / "params.yaml"
    path.write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="aliases") as info:
        load_params(path)
    assert time.perf_counter() - started < 1.0 and len(str(info.value)) < 500


def test_written_overrides_keep_comments_and_read_back_identically(tmp_path: Path):
    from fairgate.adapters.params_file import set_values

    path = tmp_path / "params.yaml"
    path.write_text("data:\n  positive_label: '>50K'   # the positive class\n  sensitive: [sex]\n")
    set_values(path, [parse_override("data.positive_label=yes"), parse_override("data.sensitive=[sex, race]")])
    text = path.read_text()
    assert "# the positive class" in text and "sensitive: [sex, race]" in text
    assert load_params(path).data.positive_label == "yes"
    import yaml

    assert yaml.safe_load(text)["data"]["positive_label"] == "yes", "quoted for YAML 1.1 readers too"


def test_the_pending_alias_must_differ_from_the_champion_alias():
    with pytest.raises(ConfigError, match="promote.pending_alias must differ"):
        build_params({"promote": {"require_approval": True, "pending_alias": "champion"}})
