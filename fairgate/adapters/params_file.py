"""params.yaml on disk: loading it (validated, with overrides) and writing values into it in place,
keeping its comments and layout (ruamel's round trip)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import yaml

from fairgate.core import params_yaml
from fairgate.core.config import ConfigError, Params, build_params
from fairgate.core.overrides import apply_overrides


def _styled(value: Any) -> Any:
    """How a value is written: strings a YAML 1.1 reader would take for something else (``yes``, ``1.0``)
    quoted, lists of plain values on one line (``[sex, race]``), as params.yaml writes them."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, str):
        try:
            plain = yaml.safe_load(value)
        except yaml.YAMLError:
            return DoubleQuotedScalarString(value)
        return value if plain == value else DoubleQuotedScalarString(value)
    if isinstance(value, list):
        seq = CommentedSeq(_styled(v) for v in value)
        if all(not isinstance(v, dict | list) for v in value):
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, dict):
        mapping = CommentedMap((_styled(k), _styled(v)) for k, v in value.items())
        if not value:
            mapping.fa.set_flow_style()
        return mapping
    return value


def render(path: Path, values: list[tuple[list[str], Any]]) -> str:
    """The text of ``path`` with each (key path, value) set, comments kept."""
    from ruamel.yaml import YAML

    yaml_rt = YAML()
    yaml_rt.preserve_quotes = True
    yaml_rt.width = 4096
    yaml_rt.representer.add_representer(type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null"))
    data = (yaml_rt.load(path.read_text()) if path.exists() else None) or {}
    for keys, value in values:
        node = data
        for part in keys[:-1]:
            node = node.setdefault(part, {})
        node[keys[-1]] = _styled(value)
    out = io.StringIO()
    yaml_rt.dump(data, out)
    return out.getvalue()


def set_values(path: Path, values: list[tuple[list[str], Any]]) -> None:
    """Set each (key path, value) in the params file at ``path``."""
    from fairgate.adapters.infra.files import write_text

    write_text(path, render(path, values))


def load_params(path: Path, overrides: list[str] | None = None) -> Params:
    """Load params.yaml (if present), apply overrides, and validate the result."""
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = params_yaml.load(path.read_text()) or {}
        except params_yaml.ParamsYAMLError as exc:
            raise ConfigError(f"{path} is not valid YAML: {exc}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path} must hold a mapping of sections, got {type(raw).__name__}")
    elif overrides is None:
        raise ConfigError(f"params file {path} not found; run from the project root or pass --params")
    return build_params(apply_overrides(raw, overrides or []))
