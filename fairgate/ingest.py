"""Load the configured source into one normalised raw frame (the snapshot every later stage reads)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fairgate.config import DataConfig
from fairgate.errors import StageError
from fairgate.synthetic import generate


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype)


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
        else:
            frame = pd.read_csv(path, sep=cfg.delimiter, na_values=cfg.na_values or None,
                                skipinitialspace=cfg.strip_whitespace)
    except pd.errors.EmptyDataError:
        raise StageError("ingest", f"'{path}' is empty", "supply a file with a header row and data rows") from None
    except (ValueError, OSError) as exc:
        raise StageError("ingest", f"cannot read '{path}': {exc}", "check the file format") from None
    _check_shape(frame, path, cfg.delimiter)
    return frame


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


def normalise(frame: pd.DataFrame, cfg: DataConfig) -> pd.DataFrame:
    """Apply the configured clean-up: drop columns, strip whitespace, NA tokens and the label map.

    The target and the sensitive columns become strings, because they are compared with configured
    values (labels and group names) rather than used as numbers.
    """
    frame = frame.drop(columns=[c for c in cfg.drop if c in frame.columns])
    frame.columns = [str(c).strip() for c in frame.columns] if cfg.strip_whitespace else frame.columns
    na_tokens = set(cfg.na_values)
    for column in frame.columns:
        series = frame[column]
        if not _is_text(series):
            continue
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype("str")
        if cfg.strip_whitespace:
            series = series.str.strip()
        if na_tokens:
            series = series.mask(series.isin(na_tokens))
        frame[column] = series
    for column in [cfg.target, *cfg.sensitive]:
        if column in frame.columns:
            frame[column] = _as_labels(frame[column])
    if cfg.target in frame.columns and cfg.label_map:
        frame[cfg.target] = frame[cfg.target].replace(cfg.label_map)
    return frame


def _as_labels(series: pd.Series) -> pd.Series:
    """Render values as strings, keeping missing values missing."""
    as_text = series.astype("str")
    return as_text.mask(series.isna())


def load(cfg: DataConfig, root: Path) -> pd.DataFrame:
    """Read and normalise the source; the result is the raw snapshot."""
    frame = normalise(read_source(cfg, root), cfg)
    if frame.shape[1] == 0:
        raise StageError("ingest", "the source has no columns", "check the delimiter and the header row")
    return frame.reset_index(drop=True)
