"""``-S key.path=value`` overrides: each value parsed as the type its key expects, then set in the params."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from fairgate.core import params_yaml
from fairgate.core.config import ConfigError, Params


def _annotation(path: list[str]) -> Any:
    """The declared type of the param at ``path`` (None when no such key exists)."""
    model: type[BaseModel] = Params
    for position, part in enumerate(path):
        fields = {field.alias or name: field for name, field in model.model_fields.items()}
        if part not in fields:
            return None
        annotation = fields[part].annotation
        if position == len(path) - 1:
            return annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return None


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) is Annotated:
        return _without_none(get_args(annotation)[0])
    if get_origin(annotation) in (Union, type(int | None)):
        kinds = [a for a in get_args(annotation) if a is not type(None)]
        return kinds[0] if len(kinds) == 1 else annotation
    return annotation


def _is_text(annotation: Any) -> bool:
    annotation = _without_none(annotation)
    return annotation is str or (get_origin(annotation) is Literal and all(isinstance(a, str) for a in get_args(annotation)))


def _is_text_list(annotation: Any) -> bool:
    annotation = _without_none(annotation)
    return get_origin(annotation) is list and _is_text(get_args(annotation)[0])


def _literal_value(key: str, text: str, annotation: Any, problem: str) -> Any:
    """What an override means when its value is not valid YAML: the text itself, as the user typed it."""
    if _is_text_list(annotation) and text.startswith("[") and text.endswith("]"):
        return [item.strip().strip("'\"") for item in text[1:-1].split(",") if item.strip()]
    if get_origin(_without_none(annotation)) is dict:
        raise ConfigError(f"'{key}': '{text}' is not a YAML mapping ({problem}); write it like "
                          f"-S '{key}={{\">50K.\": \">50K\"}}', quoting values that start with > < or *")
    return text


def parse_override(item: str) -> tuple[list[str], Any]:
    """Split ``a.b=value`` into its key path and its value.

    The value is parsed as YAML where YAML gives the type the key expects; otherwise it is the literal
    text: ``data.positive_label=>50K`` is the string ``>50K`` (YAML would start a block scalar), and a
    text key keeps ``yes``, ``1.0`` or ``2024-01-01`` exactly as typed.
    """
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override '{item}' must look like key.path=value, as in `-S train.epochs=5`")
    key, text = key.strip(), raw.strip()
    path = key.split(".")
    if not text:
        return path, ""
    annotation = _annotation(path)
    try:
        value = params_yaml.load(text)
    except params_yaml.ParamsYAMLError as exc:
        return path, _literal_value(key, text, annotation, str(exc))
    if _is_text(annotation) and value is not None and not isinstance(value, str):
        return path, text
    if _is_text_list(annotation) and isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        return path, _literal_value(key, text, annotation, "not a list of values")  # [?] is a YAML mapping
    return path, value


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return ``raw`` with each ``key.path=value`` override set (see ``parse_override``)."""
    merged = json.loads(json.dumps(raw, default=str))
    for item in overrides:
        path, value = parse_override(item)
        node = merged
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"override '{item}': '{part}' is a value, not a section")
            node = child
        node[path[-1]] = value
    return merged
