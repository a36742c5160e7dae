"""Reading params YAML the way DVC reads params.yaml (YAML 1.2 scalars), and safely.

PyYAML follows YAML 1.1, where ``yes``, ``no``, ``on`` and ``off`` are booleans and ``2024-01-01`` is a
date; DVC reads params.yaml with YAML 1.2 rules, where they are strings. Reading them as 1.2 does
keeps a label called ``yes`` a label. Two more rules keep a bad file from doing harm: a key repeated
in one mapping is an error naming the key and its line (DVC itself would crash on it later), and
aliases (``*name``) are refused, so a "billion laughs" document cannot expand into gigabytes.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent

_BOOL_1_2 = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


class ParamsYAMLError(ValueError):
    """A params document that cannot be read; the message names the line and the problem."""


class _Loader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise ComposerError(None, None, f"aliases (*{event.anchor}) are not allowed in params", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise ConstructorError(None, None, f"duplicate key '{key}' (first on line {seen[key]})",
                                       key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


def _yaml_1_2_resolvers() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items():
        kept = []
        for tag, pattern in entries:
            if tag == "tag:yaml.org,2002:timestamp":
                continue
            kept.append((tag, _BOOL_1_2) if tag == "tag:yaml.org,2002:bool" else (tag, pattern))
        resolvers[first] = kept
    return resolvers


_Loader.yaml_implicit_resolvers = _yaml_1_2_resolvers()


def load(text: str) -> Any:
    """Parse one YAML document with YAML 1.2 scalars, no duplicate keys and no aliases."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ParamsYAMLError(f"{where}{problem}"[:500]) from None
