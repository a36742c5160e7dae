"""Where a study's figures go: its key of bench/results.json, and its table between two markers in a docs page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_study(key: str, found: dict[str, Any], table: str, results: Path, doc: Path,
                markers: tuple[str, str]) -> None:
    earlier = json.loads(results.read_text()) if results.exists() else {}
    results.write_text(json.dumps(earlier | {key: found}, indent=2) + "\n")
    start, end = markers
    text = doc.read_text() if doc.exists() else ""
    if start in text and end in text:
        head, rest = text.split(start, 1)
        doc.write_text(head + start + "\n" + table + "\n" + end + rest.split(end, 1)[1])
