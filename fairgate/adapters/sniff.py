"""Reading an unknown CSV or Parquet file as text: its delimiter, spacing and every column's value counts."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fairgate.core.errors import StageError

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
DECIMAL_POINT = re.compile(r"^-?\d+\.\d+$")


@dataclass(frozen=True)
class TextFormat:
    delimiter: str
    skip_initial_space: bool
    why: str
    encoding: str = "utf-8"
    decimal: str = "."


def sniff(path: Path) -> TextFormat:
    """The delimiter (csv.Sniffer over the first 64 KB, else the most common candidate in the header)
    and whether values follow it after a space (``a, b``), which the reader then skips."""
    from fairgate.adapters.source import encoding_from_bom

    encoding = "utf-16" if (encoding_from_bom(path) or "").startswith("UTF-16") else "utf-8"
    with path.open("rb") as handle:
        raw = handle.read(SAMPLE_BYTES)
    sample = raw.decode("utf-8-sig" if encoding == "utf-8" else encoding, errors="replace")
    lines = sample.splitlines()
    if not lines:
        raise StageError("init", f"'{path.name}' is empty", "supply a file with a header row and data rows")
    try:
        delimiter = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=DELIMITERS).delimiter
        why = "sniffed from the first rows"
    except csv.Error:
        delimiter = max(DELIMITERS, key=lines[0].count)
        why = "the most frequent candidate in the header"
    body = "\n".join(lines[:200])
    after = body.count(delimiter + " ")
    spaced = after > 0.5 * max(body.count(delimiter), 1)
    return TextFormat(delimiter, spaced, why + ("; values follow it after a space, which is stripped" if spaced else ""),
                      encoding, _decimal(lines[1:200], delimiter))


def _decimal(lines: list[str], delimiter: str) -> str:
    """"," when the fields write numbers with a decimal comma (``4,1``) more often than with a point; only a
    file whose delimiter is not a comma can."""
    if delimiter == ",":
        return "."
    fields = [f.strip() for line in lines for f in line.split(delimiter)]
    commas = sum(bool(DECIMAL_COMMA.match(f)) for f in fields)
    points = sum(bool(DECIMAL_POINT.match(f)) for f in fields)
    return "," if commas > points else "."


def value_counts(path: Path, fmt: TextFormat | None) -> tuple[list[str], dict[str, pd.Series], int]:
    """(column names, each column's counts of its stripped text values, row count), nothing parsed as missing."""
    if fmt is None:
        frame = pd.read_parquet(path)
        text = {c: frame[c].astype("str").where(frame[c].notna(), "") for c in frame.columns}
    else:
        frame = pd.read_csv(path, sep=fmt.delimiter, dtype="str", keep_default_na=False, na_filter=False,
                            skipinitialspace=fmt.skip_initial_space, encoding=fmt.encoding)
        text = {c: frame[c] for c in frame.columns}
    counts = {}
    for column, values in text.items():
        raw = values.value_counts(sort=False)
        counts[str(column).strip()] = raw.groupby(raw.index.str.strip(), sort=False).sum().sort_values(ascending=False)
    return list(counts), counts, len(frame)
