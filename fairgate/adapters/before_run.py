"""What every pipeline run does first, from `fairgate run` or a schedule: the checks that need no work (the
columns params name exist, the tracking store answers), the repair of an interrupted promotion, and the
closing of the runs of killed processes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from fairgate.core.config import ConfigError, Params
from fairgate.core.synthetic import generate

PARAMS = "params.yaml"


def source_columns(params: Params, root: Path) -> list[str] | None:
    """The source's column names, read from the header only; None when the file cannot be read yet."""
    data = params.data
    if data.source == "synthetic":
        return list(generate(data.synthetic.model_copy(update={"rows": 100}), data.target,
                             str(data.positive_label)).columns)
    path = Path(data.source) if Path(data.source).is_absolute() else root / data.source
    try:
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names)
        header = pd.read_csv(path, sep=data.delimiter, nrows=0, skipinitialspace=data.strip_whitespace,
                             encoding=data.encoding)
    except (OSError, ValueError, UnicodeError, pd.errors.EmptyDataError):
        return None  # ingest reports missing, empty and unreadable files with their own fix
    return [str(c).strip() if data.strip_whitespace else str(c) for c in header.columns]


def check_columns(params: Params, root: Path) -> None:
    """The target and sensitive columns named in params must exist; the error names the key and the column."""
    columns = source_columns(params, root)
    if columns is None or len(columns) == 1:  # unreadable or wrongly delimited: ingest explains
        return
    data, present = params.data, set(columns) - set(params.data.drop)
    # The target and the sensitive columns define the task itself; the feature contract (types,
    # ranges, nulls) is the validate stage's to check, with its Data Docs.
    named = [("data.target", data.target)] + [("data.sensitive", c) for c in data.sensitive]
    missing = [f"{key} names '{column}'" for key, column in named if column not in present]
    if missing:
        raise ConfigError("params name columns the data does not have:\n  - " + "\n  - ".join(missing)
                          + f"\n  columns in {data.source}: {sorted(present)}")


def preflight(root: Path, params: Params) -> None:
    """What needs no work: the named columns exist (ConfigError), a network file named in params defines its
    function, and the tracking store answers (StageError)."""
    from fairgate.adapters.infra.mlflow_store import check_reachable, tracking_uri

    check_columns(params, root)
    if params.train.network is not None:  # its file and function exist before any stage works
        from fairgate.core.network_file import builder

        builder(params.train.network, root)
    check_reachable(tracking_uri(root))


def reconcile_champion(root: Path, params: Params) -> None:
    """Repair what a crash during an earlier promotion left behind, before anything reads the champion."""
    from fairgate.adapters.infra import promotion
    from fairgate.adapters.infra.mlflow_store import configure

    configure(root, params.tracking.experiment)
    promotion.reconcile(params.promote.model_name, params.promote.alias)


def reap_killed_runs(root: Path, params: Params) -> None:
    """Close the MLflow runs, and the Prefect flow runs they name, of fairgate processes that were killed."""
    from fairgate.adapters.infra.prefect_api import crash_flow_runs
    from fairgate.adapters.infra.tracking import reap_orphaned_runs

    reaped = reap_orphaned_runs(root, params.tracking.experiment)
    flow_runs = sorted({tags["prefect.flow_run_id"] for tags in reaped if tags.get("prefect.flow_run_id")})
    if flow_runs:
        crash_flow_runs(flow_runs, "its fairgate process was killed")


@contextmanager
def scheduled(root: Path) -> Iterator[Params]:
    """For a scheduled flow run: the params read now, checked, earlier runs repaired, the workspace held."""
    from fairgate.adapters.infra.locks import workspace
    from fairgate.adapters.params_file import load_params

    os.chdir(root)
    params = load_params(root / PARAMS)
    preflight(root, params)
    with workspace(root, "the scheduled `fairgate-scheduled` flow run"):
        reap_killed_runs(root, params)
        reconcile_champion(root, params)
        yield params
