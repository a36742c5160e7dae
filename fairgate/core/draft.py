"""Drafting a data contract from a file's values: column roles, labels, and validation rules with headroom.

Like TFDV's and pandera's ``infer_schema``, but every inferred rule says why it was chosen and how
much room it leaves, so that a reviewer can accept or change it. The rules, applied to the rows the
file holds now:

- a column is numeric when every value that is not a missing-value token reads as a number;
  identifiers (near-unique text, or an integer column named like an id with every value distinct),
  timestamps, constant and empty columns are not features and are dropped at ingest;
- ranges: the observed [min, max] widened by 10% of the span at each end, never below 0 for a
  column with no negative value, rounded outwards to whole numbers for an integer column;
- null and duplicate tolerances: the observed share x 1.5 + 0.01, so a later file of the same kind
  passes and one with clearly more missing or repeated rows does not.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fairgate.core.contract import IDENTIFIER_SHARE

RANGE_HEADROOM = 0.10
SHARE_FACTOR, SHARE_MARGIN = 1.5, 0.01
MISSING_TOKENS = ("", "?", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "none", "#N/A", "-", "--")
TARGET_NAMES = ("income", "label", "target", "class", "outcome", "y")
POSITIVE_WORDS = ("1", "true", "yes", "y", "positive", "pos", "approved", "good")
PROTECTED = re.compile(r"(^|[^a-z])(sex|gender|race|racial|ethnic\w*|religio\w*|disab\w*|marital|age|"
                       r"nationality|citizen\w*|native|pregnan\w*|orientation)([^a-z]|$)")
PROTECTED_VALUES = {"sex": {"male", "female"}, "race": {"white", "black", "asian"},
                    "marital status": {"married", "divorced", "widowed", "never-married"}}
ID_NAME = re.compile(r"(^|[^a-z])(id|uuid|guid|key|identifier)([^a-z]|$)")


class DraftError(ValueError):
    """The file cannot be given a contract as asked; the message says what to pass instead."""


@dataclass
class Choice:
    key: str
    value: Any
    why: str


@dataclass
class Draft:
    """The drafted ``data``, ``validate`` and ``monitor`` sections, and one explained choice per decision."""

    data: dict[str, Any] = field(default_factory=dict)
    validate: dict[str, Any] = field(default_factory=dict)
    monitor: dict[str, Any] = field(default_factory=dict)
    choices: list[Choice] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def choose(self, section: str, key: str, value: Any, why: str) -> None:
        getattr(self, section)[key] = value
        self.choices.append(Choice(f"{section}.{key}", value, why))


def headroom_share(observed: float) -> float:
    """The tolerance for an observed share of rows (nulls, duplicates)."""
    return min(1.0, math.ceil((observed * SHARE_FACTOR + SHARE_MARGIN) * 10_000) / 10_000)


def headroom_range(low: float, high: float, integer: bool) -> list[float | int]:
    """The observed range widened by RANGE_HEADROOM of its span at each end (see the module's rules)."""
    pad = (high - low) * RANGE_HEADROOM or abs(high) * RANGE_HEADROOM or 1.0
    new_low, new_high = low - pad, high + pad
    if low >= 0:
        new_low = max(0.0, new_low)
    if integer:
        return [math.floor(new_low), math.ceil(new_high)]
    return [float(f"{new_low:.6g}"), float(f"{new_high:.6g}")]


def missing_tokens(values: dict[str, pd.Series]) -> list[str]:
    """The missing-value tokens that occur as whole values in any column (``values``: value counts)."""
    found = set()
    for counts in values.values():
        found |= set(counts.index) & set(MISSING_TOKENS)
    return [token for token in MISSING_TOKENS if token in found]


def _numbers(labels: pd.Index, decimal: str = ".") -> pd.Series:
    text = pd.Series(labels, dtype="str")
    return pd.to_numeric(text.str.replace(",", ".", regex=False) if decimal == "," else text, errors="coerce")


def other_notation(counts: pd.Series, tokens: set[str], decimal: str) -> str | None:
    """How a text column's values are numbers in a notation the reader does not use, when nine in ten are:
    decimal commas (``4,1``) read with a point, or the other way round."""
    present = [str(v) for v in counts.index if v not in tokens]
    other = "," if decimal == "." else "."
    if not present or _numbers(pd.Index(present), decimal).notna().mean() >= 0.9:
        return None
    if _numbers(pd.Index(present), other).notna().mean() < 0.9:
        return None
    example = next((v for v in present if other in v), present[0])
    return f"decimal {'commas' if other == ',' else 'points'} (e.g. {example!r})"


def column_role(name: str, counts: pd.Series, rows: int, tokens: set[str], decimal: str = ".") -> tuple[str, str]:
    """(role, why) for one column from its value counts: numeric, categorical, identifier, datetime,
    constant or empty; numbers are read with ``decimal`` as the decimal mark."""
    present = counts[[value not in tokens for value in counts.index]]
    filled = int(present.sum())
    if filled == 0:
        return "empty", "every value is missing"
    if len(present) == 1:
        return "constant", f"one value only ({present.index[0]!r})"
    numbers = _numbers(present.index, decimal)
    if numbers.notna().all():
        whole = bool(np.all(np.mod(numbers.to_numpy(), 1) == 0))
        if ID_NAME.search(name.lower()) and len(present) > IDENTIFIER_SHARE * filled:
            return "identifier", f"named like an id, {len(present)} distinct values in {filled} rows"
        if whole and len(present) == filled and filled > 100:
            return "identifier", f"whole numbers, every one of {filled} distinct (a row id)"
        return "numeric", "every value reads as a number"
    if _looks_like_time(present.index):
        return "datetime", "values read as dates or times; timestamps are not features (derive numeric ones in the file)"
    if len(present) > IDENTIFIER_SHARE * filled and len(present) > 50:
        return "identifier", (f"{len(present)} distinct values in {filled} rows (over {IDENTIFIER_SHARE:.0%}): "
                              "an id, not a category")
    return "categorical", f"text with {len(present)} distinct values"


def _looks_like_time(labels: pd.Index, sample: int = 200) -> bool:
    text = pd.Series(labels[:sample], dtype="str")
    if not text.str.contains(r"\d[-/:]\d|\d{4}-\d", regex=True).mean() > 0.9:
        return False
    parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() > 0.9)


def label_map(values: list[str]) -> dict[str, str]:
    """Values that are another value with a trailing '.', as in a census test file (``>50K.`` -> ``>50K``)."""
    present = set(values)
    return {v: v[:-1] for v in values if v.endswith(".") and v[:-1] in present}


def guess_target(columns: list[str], counts: dict[str, pd.Series], tokens: set[str]) -> tuple[str, str]:
    """(target, why): a column named like a label, else the last column with two values."""
    for column in columns:
        if column.lower() in TARGET_NAMES:
            return column, f"named like a label ('{column}'); pass --target to choose another"
    for column in reversed(columns):
        values = [v for v in counts[column].index if v not in tokens]
        if len(set(values) - set(label_map(values))) == 2:
            return column, "the last column with two values; pass --target to choose another"
    raise DraftError("no column looks like a binary label; name it with --target COLUMN")


def guess_positive(labels: list[str], counts: pd.Series) -> tuple[str, str]:
    """(positive label, why) for a two-valued target."""
    for label in labels:
        if label.lower() in POSITIVE_WORDS:
            return label, f"'{label}' reads as the positive outcome; pass --positive to choose"
    for label in labels:
        if label.startswith(">"):
            return label, f"'{label}' is the upper class; pass --positive to choose"
    rarer = min(labels, key=lambda label: (counts.get(label, 0), label))
    return rarer, f"the rarer class ({int(counts.get(rarer, 0))} rows), as outcomes usually are; pass --positive to choose"


def protected_candidates(columns: list[str], counts: dict[str, pd.Series]) -> list[tuple[str, str]]:
    """Columns whose names or values look like protected attributes, with the reason for each."""
    found = []
    for column in columns:
        lowered = column.lower().replace("-", "_").replace(" ", "_")
        match = PROTECTED.search(lowered.replace("_", " "))
        values = {str(v).lower() for v in counts[column].index[:50]}
        if match:
            found.append((column, f"its name mentions '{match.group(2)}'"))
            continue
        for attribute, markers in PROTECTED_VALUES.items():
            if len(values & markers) >= 2:
                found.append((column, f"its values look like {attribute} ({', '.join(sorted(values & markers))})"))
                break
    return found


def rows_needed(test_size: float, min_group_size: int) -> int:
    """The fewest rows from which the test split holds ``min_group_size`` rows in each of two equal groups: below
    it, no gap can be judged at all."""
    return math.ceil(2 * min_group_size / test_size)
