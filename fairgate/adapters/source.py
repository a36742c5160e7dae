"""Reading the configured source: the synthetic generator, or a CSV or Parquet file, checked and normalised
into the raw snapshot every later stage reads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fairgate.core.config import DataConfig
from fairgate.core.errors import StageError
from fairgate.core.ingest import normalise
from fairgate.core.synthetic import generate


def read_source(cfg: DataConfig, root: Path) -> pd.DataFrame:
    """Read ``cfg.source``: the synthetic generator, or a CSV or Parquet file relative to ``root``."""
    if cfg.source == "synthetic":
        return generate(cfg.synthetic, target=cfg.target, positive_label=str(cfg.positive_label))
    path = Path(cfg.source)
    path = path if path.is_absolute() else root / path
    if not path.is_file():
        raise StageError("ingest", f"data.source file '{path}' does not exist",
                         "put the file there or set data.source to its path (or to 'synthetic')")
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
            _check_unique_names(list(frame.columns), path)
        else:
            _check_unique_names(header(path, cfg), path)
            frame = pd.read_csv(path, sep=cfg.delimiter, na_values=cfg.na_values or None, encoding=cfg.encoding,
                                skipinitialspace=cfg.strip_whitespace)
    except pd.errors.EmptyDataError:
        raise StageError("ingest", f"'{path}' is empty", "supply a file with a header row and data rows") from None
    except UnicodeError:
        raise StageError("ingest", f"'{path.name}' is not {cfg.encoding} text{_encoding_hint(path)}",
                         "set data.encoding to the file's encoding (utf-16, latin-1, ...) or save it as UTF-8") from None
    except (ValueError, OSError) as exc:
        raise StageError("ingest", f"cannot read '{path}': {exc}", "check the file format") from None
    _check_shape(frame, path, cfg.delimiter)
    return frame


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


def write_snapshot(cfg: DataConfig, root: Path, target: Path, rows: int) -> tuple[int, list[str]]:
    """Read the source and write it, normalised, to ``target`` as Parquet; return its row count and columns.

    Normalising treats each value on its own, so it runs ``rows`` rows at a time and the normalised copy
    (text columns as strings) never sits whole in memory beside the source. Where a column's Arrow type
    would differ between chunks (untyped object columns), the whole frame is normalised and written at once.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = read_source(cfg, root)
    written, columns = 0, []
    writer: pq.ParquetWriter | None = None
    try:
        for start in range(0, max(len(source), 1), rows):
            chunk = _with_columns(normalise(source.iloc[start:start + rows], cfg).reset_index(drop=True))
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if writer is None:
                writer, columns = pq.ParquetWriter(target, table.schema), list(chunk.columns)
            elif not table.schema.equals(writer.schema, check_metadata=False):
                writer.close()
                writer = None
                whole = normalise(source, cfg).reset_index(drop=True)
                whole.to_parquet(target, index=False)
                return len(whole), list(whole.columns)
            writer.write_table(table)
            written += len(chunk)
    finally:
        if writer is not None:
            writer.close()
    return written, columns
