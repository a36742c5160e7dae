"""`fairgate init`: draft the data contract of a user's file into params.yaml, explaining each choice.

The draft is built so that a `fairgate run` on the same file passes validate: the roles and tokens
are decided from the file's text, and every tolerance is then measured on the very frame ingest
makes of it (``source.load`` with the drafted contract), which is what validate will check.
"""

from __future__ import annotations

import difflib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from fairgate.adapters.sniff import TextFormat, sniff, value_counts
from fairgate.core import draft as rules
from fairgate.core.config import ConfigError, DataConfig, Params, build_params
from fairgate.core.contract import resolve_schema
from fairgate.core.draft import Draft, DraftError
from fairgate.core.errors import StageError
from fairgate.core.preprocess import category_text
from fairgate.core.rows import duplicated_rows

INPUT_DIR = Path("data/input")
NOT_FEATURES = ("identifier", "datetime", "constant", "empty", "nested")


@dataclass
class InitResult:
    draft: Draft
    params_text: str
    diff: str
    source: str
    copied_from: Path | None
    rows: int


class NeedsSensitive(DraftError):
    """``--sensitive`` was not given: the candidates are listed for the user to choose from."""

    def __init__(self, candidates: list[tuple[str, str]], columns: list[str]) -> None:
        self.candidates, self.columns = candidates, columns
        super().__init__("choose the sensitive columns with --sensitive")


def model_name(path: Path) -> str:
    """A registered-model name from the file's name, so a new dataset never competes with another's champion."""
    return re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "dataset"


def _place(root: Path, path: Path, dry_run: bool) -> tuple[str, Path | None]:
    """The file's path for data.source: under data/input/ (copied there when it lies elsewhere), so DVC versions it."""
    inputs = (root / INPUT_DIR).resolve()
    resolved = path.resolve()
    if inputs in resolved.parents:
        return resolved.relative_to(root.resolve()).as_posix(), None
    target = inputs / path.name
    if not dry_run:
        inputs.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(resolved, target)
    return (INPUT_DIR / path.name).as_posix(), resolved


def _labels(draft: Draft, target: str, counts: pd.Series, tokens: set[str], positive: str | None) -> None:
    values = [v for v in counts.index if v not in tokens]
    mapping = rules.label_map(values)
    labels = sorted(set(values) - set(mapping))
    if len(labels) != 2:
        raise DraftError(f"the target '{target}' has {len(labels)} values {labels[:10]}: fairgate gates binary "
                         "classifiers; pass --target with a two-valued column, or map the values to two in the file")
    missing = int(counts[[v in tokens for v in counts.index]].sum())
    if missing:
        raise DraftError(f"the target '{target}' is missing in {missing} rows; rows without a label cannot be "
                         "trained on or judged: remove them from the file")
    merged = counts.groupby(lambda v: mapping.get(v, v)).sum()
    if positive is None:
        positive, why = rules.guess_positive(labels, merged)
    elif mapping.get(positive, positive) not in labels:
        raise DraftError(f"--positive '{positive}' is not a value of '{target}'; its values are {labels}")
    else:
        positive, why = mapping.get(positive, positive), "as given by --positive"
    draft.choose("data", "label_values", labels, f"the values of '{target}'" + (
        " after the label map" if mapping else ""))
    draft.choose("data", "label_map", mapping, "values that repeat another with a trailing '.' (as in a census "
                 "test file) are mapped onto it" if mapping else "no label needs rewriting")
    draft.choose("data", "positive_label", positive, why)


def _roles(draft: Draft, columns: list[str], counts: dict[str, pd.Series], rows: int, tokens: set[str],
           target: str, sensitive: list[str]) -> None:
    numeric, categorical, dropped = [], [], []
    decimal = draft.data.get("decimal", ".")
    for column in columns:
        if column == target:
            continue
        role, why = rules.column_role(column, counts[column], rows, tokens, decimal)
        notation = rules.other_notation(counts[column], tokens, decimal) if role == "categorical" else None
        if notation:
            draft.warnings.append(f"column '{column}' reads as text, but its values are numbers written with "
                                  f"{notation}: it becomes a categorical with {len(counts[column])} values; if they "
                                  f"are numbers, set data.decimal to {'.' if decimal == ',' else ','!r} (or rewrite "
                                  "the column) and run init again")
        if column in sensitive:
            if role == "numeric" and len(counts[column]) > 20:
                draft.warnings.append(f"sensitive column '{column}' is numeric with {len(counts[column])} values: each "
                                      "value is a group; bin it into a few groups in the file for a fairness check "
                                      "with enough rows per group")
            categorical.append(column)
            continue
        if role in NOT_FEATURES:
            dropped.append(column)
            draft.choices.append(rules.Choice("data.drop", column, f"{role}: {why}"))
            if role == "identifier" and "key" not in draft.monitor and _unique(counts[column], rows, tokens):
                draft.choose("monitor", "key", column, "an identifier, every value distinct: production labels join "
                             "the scored rows on it (it is carried through scoring and monitoring, not a feature)")
        else:
            (numeric if role == "numeric" else categorical).append(column)
    draft.choose("data", "numeric", numeric, "columns whose every value reads as a number")
    draft.choose("data", "categorical", categorical, "text columns and the sensitive columns")
    draft.data["drop"] = dropped


def _unique(counts: pd.Series, rows: int, tokens: set[str]) -> bool:
    present = counts[[str(v) not in tokens for v in counts.index]]
    return int(present.sum()) == rows and int(present.max()) == 1


def _enough_rows(rows: int, params: Params) -> None:
    """A file too small for the split and the gate fails here, plainly, rather than later in preprocess."""
    test_size, min_group = params.preprocess.test_size, params.gate.min_group_size
    needed = rules.rows_needed(test_size, min_group)
    if rows < needed:
        raise DraftError(f"the file has {rows} rows, too few to judge fairness: its test split "
                         f"(preprocess.test_size={test_size}) must hold at least gate.min_group_size={min_group} rows "
                         f"in each of two groups, so it needs at least {needed} rows (more when groups are unequal); "
                         "supply more rows")


def _measured_rules(draft: Draft, frame: pd.DataFrame, cfg: DataConfig) -> None:
    """The validate section, measured on the frame ingest makes of the file under the drafted contract."""
    schema = resolve_schema(cfg, list(frame.columns), frame.dtypes)
    rows = len(frame)
    draft.choose("validate", "min_rows", min(1000, rows), f"the default 1000, or the file's {rows} rows if fewer")
    groups = {c: category_text(frame[c]).value_counts() for c in schema.sensitive}
    smallest = min(int(g.min()) for g in groups.values())
    if smallest < 30:
        tiny = {c: {k: int(v) for k, v in g.items() if v < 30} for c, g in groups.items()}
        draft.warnings.append(f"tiny groups {tiny}: the gate reports insufficient_evidence for a group with fewer than "
                              "gate.min_group_size test rows; merge them or collect more rows")
    draft.choose("validate", "min_group_rows", min(30, smallest),
                 f"the default 30, or the smallest group's {smallest} rows if fewer")
    draft.choose("validate", "max_null_fraction", rules.headroom_share(0.0),
                 "columns without missing values: 0 observed, x 1.5 + 0.01")
    nulls = frame[list(schema.required)].isna().mean()
    tolerance = {c: rules.headroom_share(float(share)) for c, share in nulls.items() if share > 0}
    draft.choose("validate", "null_tolerance", tolerance, "; ".join(
        f"{c}: {nulls[c]:.2%} missing -> {t}" for c, t in tolerance.items()) or "no column has missing values")
    ranges = {}
    for column in schema.numeric:
        values = pd.to_numeric(frame[column], errors="coerce").dropna()
        if len(values):
            whole = bool((values % 1 == 0).all())
            ranges[column] = rules.headroom_range(float(values.min()), float(values.max()), whole)
    draft.choose("validate", "ranges", ranges, "observed [min, max] widened by 10% of the span each end, not below 0 "
                 "where no value is negative, whole numbers for integer columns")
    duplicates = float(duplicated_rows(frame[list(schema.required)]).mean())
    draft.choose("validate", "max_duplicate_fraction", rules.headroom_share(duplicates),
                 f"{duplicates:.2%} of rows have an identical twin; x 1.5 + 0.01")
    draft.choose("validate", "extra_columns", "allow", "a later file may add columns; they are not features unless listed")


def _sensitive(columns: list[str], counts: dict[str, pd.Series], given: list[str] | None) -> list[str]:
    if not given:
        raise NeedsSensitive(rules.protected_candidates(columns, counts), columns)
    unknown = [c for c in given if c not in columns]
    if unknown:
        raise DraftError(f"--sensitive names {unknown}, which are not columns; the columns are {columns}")
    return given


def draft_contract(root: Path, source: str, path: Path, target: str | None, positive: str | None,
                   sensitive: list[str] | None) -> tuple[Draft, int]:
    """The drafted contract for the file at ``path`` (read as ``source`` from ``root``) and its row count."""
    fmt: TextFormat | None = None if path.suffix.lower() == ".parquet" else sniff(path)
    columns, counts, rows = value_counts(path, fmt)
    tokens = rules.missing_tokens(counts)
    draft = Draft()
    draft.choose("data", "source", source, "the file, under data/input/ so that DVC versions it")
    if fmt is not None:
        draft.choose("data", "delimiter", fmt.delimiter, fmt.why)
        draft.choose("data", "strip_whitespace", True, "spaces around values and names are never meant")
        draft.choose("data", "decimal", fmt.decimal, "numbers are written with a decimal comma (4,1)"
                     if fmt.decimal == "," else "numbers are written with a decimal point")
        draft.choose("data", "encoding", fmt.encoding, "announced by the file's byte-order mark" if fmt.encoding != "utf-8"
                     else "UTF-8 (a UTF-8 byte-order mark is skipped)")
    draft.choose("data", "na_values", [t for t in tokens if t], "tokens found as whole values: " + (
        ", ".join(repr(t) for t in tokens) if tokens else "none") + "; empty cells are always missing")
    if target is None:
        target, why = rules.guess_target(columns, counts, set(tokens))
    elif target not in columns:
        raise DraftError(f"--target '{target}' is not a column; the columns are {columns}")
    else:
        why = "as given by --target"
    draft.choose("data", "target", target, why)
    chosen = _sensitive([c for c in columns if c != target], counts, sensitive)
    draft.choose("data", "sensitive", chosen, "as given by --sensitive")
    _labels(draft, target, counts[target], set(tokens), positive)
    _roles(draft, columns, counts, rows, set(tokens), target, chosen)
    cfg = DataConfig.model_validate(draft.data | {"source": str(path.resolve())})
    from fairgate.adapters.source import load

    _measured_rules(draft, load(cfg, root), cfg)
    return draft, rows


def _current_data(params_path: Path) -> dict[str, Any]:
    from fairgate.core import params_yaml

    try:
        current = params_yaml.load(params_path.read_text()) if params_path.exists() else {}
    except params_yaml.ParamsYAMLError:
        return {}
    return (current or {}).get("data") or {}


def init_params(root: Path, params_path: Path, data: Path, target: str | None = None, positive: str | None = None,
         sensitive: list[str] | None = None, dry_run: bool = False) -> InitResult:
    """Draft the contract of ``data`` and (unless ``dry_run``) write it into ``params_path``."""
    from fairgate.adapters.params_file import render, set_values

    if not data.is_file():
        raise DraftError(f"--data '{data}' is not a file")
    if data.suffix.lower() not in (".csv", ".parquet"):
        raise DraftError(f"--data '{data.name}': fairgate reads .csv and .parquet files")
    source, copied = _place(root, data, dry_run=True)
    draft, rows = draft_contract(root, source, data, target, positive, sensitive)
    name = model_name(data)
    draft.choices.append(rules.Choice("promote.model_name", name, "from the file's name, so this data never "
                                      "competes with another dataset's champion"))
    values: list[tuple[list[str], Any]] = [(["data", k], v) for k, v in draft.data.items()]
    if _current_data(params_path).get("features") is not None:
        values.append((["data", "features"], None))
        draft.choices.append(rules.Choice("data.features", None, "every column not dropped and not the target"))
    values += [(["validate", k], v) for k, v in draft.validate.items()] + [(["promote", "model_name"], name)]
    values += [(["monitor", k], v) for k, v in draft.monitor.items()]
    before = params_path.read_text() if params_path.exists() else ""
    text = render(params_path, values)
    from fairgate.core import params_yaml

    try:
        drafted = build_params(params_yaml.load(text))
    except ConfigError as exc:  # a drafted value the params cannot hold: a bug here, not the user's
        raise StageError("init", f"the drafted params are invalid: {exc}", "report this; pass the keys by hand") from None
    _enough_rows(rows, drafted)
    diff = "".join(difflib.unified_diff(before.splitlines(True), text.splitlines(True), "params.yaml", "params.yaml"))
    if not dry_run:
        source, copied = _place(root, data, dry_run=False)
        set_values(params_path, values)
    return InitResult(draft, text, diff, source, copied, rows)
