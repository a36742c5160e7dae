"""Reading the configured source: the synthetic generator, or a CSV or Parquet file, checked and normalised
into the raw snapshot every later stage reads."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from fairgate.adapters.parquet_rows import frame_chunks
from fairgate.core.config import DataConfig
from fairgate.core.errors import StageError
from fairgate.core.ingest import normalise
from fairgate.core.synthetic import generate


def read_source(cfg: DataConfig, root: Path) -> pd.DataFrame:
    """Read ``cfg.source``: the synthetic generator, or a CSV or Parquet file relative to ``root``."""
    if cfg.source == "synthetic":
        return generate(cfg.synthetic, target=cfg.target, positive_label=str(cfg.positive_label))
    path = source_path(cfg, root)
    with reading(path, cfg):
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
            _check_unique_names(list(frame.columns), path)
        else:
            _check_unique_names(header(path, cfg), path)
            frame = pd.read_csv(path, **_csv_options(cfg))
    _check_shape(frame, path, cfg.delimiter)
    return frame


def source_path(cfg: DataConfig, root: Path) -> Path:
    path = Path(cfg.source)
    path = path if path.is_absolute() else root / path
    if not path.is_file():
        raise StageError("ingest", f"data.source file '{path}' does not exist",
                         "put the file there or set data.source to its path (or to 'synthetic')")
    return path


@contextlib.contextmanager
def reading(path: Path, cfg: DataConfig, stage: str = "ingest") -> Iterator[None]:
    """Reading errors as the user's fix: an empty file, the wrong encoding, an unreadable format."""
    try:
        yield
    except pd.errors.EmptyDataError:
        raise StageError(stage, f"'{path}' is empty", "supply a file with a header row and data rows") from None
    except UnicodeError:
        raise StageError(stage, f"'{path.name}' is not {cfg.encoding} text{_encoding_hint(path)}",
                         "set data.encoding to the file's encoding (utf-16, latin-1, ...) or save it as UTF-8") from None
    except (ValueError, OSError) as exc:
        raise StageError(stage, f"cannot read '{path}': {exc}", "check the file format") from None


def _csv_options(cfg: DataConfig) -> dict[str, Any]:
    return {"sep": cfg.delimiter, "na_values": cfg.na_values or None, "encoding": cfg.encoding,
            "skipinitialspace": cfg.strip_whitespace, "decimal": cfg.decimal}


def source_chunks(cfg: DataConfig, root: Path, rows: int, whole_below: int) -> Iterator[pd.DataFrame]:
    """The source's rows, ``rows`` at a time, as reading it whole would give them.

    A Parquet or CSV file of ``whole_below`` bytes or more is never read whole. Parquet's types are the
    file's own. pandas infers a CSV chunk's column types on its own (a column with a missing value only in
    a later chunk would be integers in one chunk and floats in the next; a text column numbers where a
    chunk holds only digits), so a first pass reads every chunk's types and settles each column's as a
    whole read would settle it, and the second pass reads the chunks with those types. Where no type
    settles it (true/false with missing values), the file is read whole.
    """
    path = source_path(cfg, root) if cfg.source != "synthetic" else None
    large = path is not None and path.stat().st_size >= whole_below
    if large and path.suffix.lower() == ".parquet":
        with reading(path, cfg):
            _check_unique_names(pq.ParquetFile(path).schema_arrow.names, path)
            chunks = frame_chunks(path, rows)
            first = next(chunks)
            _check_shape(first, path, cfg.delimiter)
            yield first
            yield from chunks
        return
    if large:
        with reading(path, cfg):
            _check_unique_names(header(path, cfg), path)
            types = _settled_csv_types(path, cfg, rows)
        if types is not None:
            with reading(path, cfg):
                yield from pd.read_csv(path, **_csv_options(cfg), dtype=types, chunksize=rows)
            return
    whole = read_source(cfg, root)
    for start in range(0, max(len(whole), 1), rows):
        yield whole.iloc[start:start + rows]


def _settled_csv_types(path: Path, cfg: DataConfig, rows: int) -> dict[str, Any] | None:
    """Each column's type in a whole read of the CSV, from the types pandas gives each chunk; None if unsure."""
    seen: dict[str, set[str]] = {}
    total, first = 0, None
    for chunk in pd.read_csv(path, **_csv_options(cfg), chunksize=rows):
        first = chunk if first is None else first
        total += len(chunk)
        for column in chunk.columns:
            seen.setdefault(column, set()).add(_type_kind(chunk[column]))
    if first is None:
        first = pd.read_csv(path, **_csv_options(cfg), nrows=0)
    _check_shape(first, path, cfg.delimiter)
    settled = {column: _settle(kinds) for column, kinds in seen.items()}
    return None if None in settled.values() else settled


def _type_kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if series.dtype == "int64":
        return "int64"
    if series.dtype == "float64":
        return "empty" if series.isna().all() else "float64"
    if pd.api.types.is_string_dtype(series):
        return "str"
    return f"other:{series.dtype}"


def _settle(kinds: set[str]) -> str | None:
    """What pandas infers for a column whose chunks have these types, read whole (None: no one type says it).

    Numbers with a missing value anywhere are floats; text anywhere makes the column text, kept as written
    (so a chunk read as numbers is re-read as text); a wholly empty chunk adds only missing values.
    """
    if any(kind.startswith("other:") for kind in kinds):
        return None
    filled = kinds - {"empty"}
    if not filled:
        return "float64"
    if "str" in filled or ("bool" in filled and len(filled) > 1):
        return "str"
    if filled == {"bool"}:
        return "bool" if "empty" not in kinds else None
    return "float64" if "float64" in filled or "empty" in kinds else "int64"


def header(path: Path, cfg: DataConfig) -> list[str]:
    """The CSV's column names exactly as written (pandas would rename a repeated ``sex`` to ``sex.1``)."""
    first = pd.read_csv(path, sep=cfg.delimiter, header=None, nrows=1, dtype="str", encoding=cfg.encoding,
                        skipinitialspace=cfg.strip_whitespace, keep_default_na=False)
    names = [str(v) for v in first.iloc[0]] if len(first) else []
    return [n.strip() for n in names] if cfg.strip_whitespace else names


def _check_unique_names(names: list[str], path: Path) -> None:
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise StageError("ingest", f"'{path.name}' names the columns {repeated} more than once, so a stage would read "
                         "one and train on the other", "rename or remove the repeated columns in the file")


BOMS = {b"\xff\xfe": "UTF-16 (little-endian)", b"\xfe\xff": "UTF-16 (big-endian)", b"\xef\xbb\xbf": "UTF-8"}


def encoding_from_bom(path: Path) -> str | None:
    """The encoding a byte-order mark at the start of the file announces, or None."""
    with path.open("rb") as handle:
        start = handle.read(3)
    return next((name for bom, name in BOMS.items() if start.startswith(bom)), None)


def _encoding_hint(path: Path) -> str:
    found = encoding_from_bom(path)
    return f": it starts with a {found} byte-order mark" if found else ""


def _check_shape(frame: pd.DataFrame, path: Path, delimiter: str) -> None:
    """Catch a wrong delimiter (everything in one column) and a header with no data rows."""
    if frame.shape[1] == 1:
        header = str(frame.columns[0])
        for other in (";", "\t", "|", ","):
            if other != delimiter and other in header:
                raise StageError("ingest", f"'{path.name}' parsed as a single column '{header[:60]}': "
                                 f"the delimiter looks like {other!r}, not {delimiter!r}",
                                 f"set data.delimiter: {other!r} in params.yaml")
    if len(frame) == 0:
        raise StageError("ingest", f"'{path.name}' has a header ({len(frame.columns)} columns) but no data rows",
                         "supply a file with data rows")


def load(cfg: DataConfig, root: Path) -> pd.DataFrame:
    """Read and normalise the source; the result is the raw snapshot."""
    return _with_columns(normalise(read_source(cfg, root), cfg).reset_index(drop=True))


def _with_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame``, once it is known to have columns left after normalising (data.drop may remove them all)."""
    if frame.shape[1] == 0:
        raise StageError("ingest", "the source has no columns", "check the delimiter and the header row")
    return frame


def write_snapshot(cfg: DataConfig, root: Path, target: Path, rows: int, whole_below: int) -> tuple[int, list[str]]:
    """Read the source and write it, normalised, to ``target`` as Parquet; return its row count and columns.

    Normalising treats each value on its own, so it runs ``rows`` rows at a time and the normalised copy
    (text columns as strings) never sits whole in memory beside the source; a CSV of ``whole_below`` bytes or
    more is read ``rows`` rows at a time too (``source_chunks``). Where a column's Arrow type would differ
    between chunks (untyped object columns), the whole frame is normalised and written at once.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    written, columns = 0, []
    writer: pq.ParquetWriter | None = None
    try:
        for chunk in source_chunks(cfg, root, rows, whole_below):
            chunk = _with_columns(normalise(chunk, cfg).reset_index(drop=True))
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if writer is None:
                writer, columns = pq.ParquetWriter(target, table.schema), list(chunk.columns)
            elif not table.schema.equals(writer.schema, check_metadata=False):
                writer.close()
                writer = None
                whole = load(cfg, root)
                whole.to_parquet(target, index=False)
                return len(whole), list(whole.columns)
            writer.write_table(table)
            written += len(chunk)
    finally:
        if writer is not None:
            writer.close()
    return written, columns
