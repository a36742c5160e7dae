"""Great Expectations on disk: suites saved as stable JSON, and validation that also builds Data Docs HTML.

The stages do not import this module themselves: they hand ``check_raw_file`` and ``check_matrix`` to the side
process, which imports it while the run imports its own modules (see ``side_process`` and ``warmup``).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import great_expectations as gx
import pyarrow.parquet as pq

from fairgate.adapters.infra.memory import rows_per_chunk
from fairgate.adapters.parquet_rows import frame_chunks, rows_at
from fairgate.core.validate import (
    let_go_of,
    prepared,
    processed_rows_clean,
    processed_suite,
    raw_suite,
    run_suite_in_chunks,
    summary_of,
)
from fairgate.core.validate_chunks import fold_chunks


def checked_rows(columns: int) -> int:
    """Rows GX checks at a time: a fifth of the memory available at about 200 bytes a value (GX's masks and
    copies included), and large chunks, since GX spends about half a second per run on a suite of 50
    expectations whatever the rows (at 30M rows: 15 chunks of 2M)."""
    return rows_per_chunk(200 * columns, 5, 250_000, 2_000_000)


def save_suite(suite: gx.ExpectationSuite, path: Path) -> None:
    """Write the suite as JSON, without the random ids GX assigns, so unchanged params give an unchanged file."""
    payload = suite.to_json_dict()
    payload.pop("id", None)
    for expectation in payload["expectations"]:
        expectation.pop("id", None)
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")


def _forget_results(store: Any) -> None:
    for key in store.list_keys():
        store.remove_key(key)


def run_suite_with_docs(path: Path, suite: gx.ExpectationSuite, docs_dir: Path, rows: int) -> dict[str, Any]:
    """Validate the Parquet file at ``path`` against ``suite``, ``rows`` rows at a time, and build Data Docs HTML of
    the combined result into ``docs_dir``: the same report as one run on the whole file (``SuiteFold``)."""
    context, definition = prepared(suite)
    context.add_data_docs_site(site_name="fairgate", site_config={
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    store = context.validation_results_store
    # only the last chunk's result stays in the store, to be replaced by the combined one
    fold, cells = fold_chunks(definition, frame_chunks(path, rows), functools.partial(_forget_results, store),
                              total_rows=pq.ParquetFile(path).metadata.num_rows)
    outcome = fold.outcome(lambda positions, columns: rows_at(path, positions, columns, rows))
    [key] = store.list_keys()
    store.set(key, outcome)
    context.build_data_docs(site_names=["fairgate"])
    summary = summary_of(outcome, suite.name, fold.rows)
    del outcome, fold, definition, context, store
    let_go_of(cells)
    return summary


def check_raw_file(path: Path, schema: Any, cfg: Any, suite_path: Path, docs_dir: Path, columns: int) -> dict[str, Any]:
    """validate's check: the raw suite the contract (``schema``, ``cfg``) gives, saved at ``suite_path``, run on
    the Parquet file of ``columns`` columns at ``path``, with its Data Docs built into the empty ``docs_dir``
    (emptied first, so that a second try after a failed one starts clean)."""
    import shutil

    from fairgate.adapters.infra.files import write_atomic

    shutil.rmtree(docs_dir, ignore_errors=True)
    docs_dir.mkdir(parents=True)
    suite = raw_suite(schema, cfg)
    write_atomic(suite_path, lambda tmp: save_suite(suite, tmp))
    return run_suite_with_docs(path, suite, docs_dir, checked_rows(columns))


def check_matrix(X: Any, y: Any, names: list[str], label: str, first_rows: int, suite_path: Path,
                 rows: int | None = None) -> dict[str, Any]:
    """preprocess's check: the processed suite, saved at ``suite_path``, on the encoded rows (views of ``X``, never
    a copy of it), ``rows`` at a time (by default as many as memory allows).

    GX checks a small first chunk of ``first_rows``, and every chunk holding a value the suite would find
    unexpected; the other chunks are proven clean with numpy (``processed_rows_clean``) and counted, so the
    report is exactly GX's on the whole matrix at a fraction of the cost.
    """
    import pandas as pd

    from fairgate.adapters.infra.files import write_atomic

    rows = rows or checked_rows(len(names) + 1)
    starts = [0, *range(min(rows, first_rows), len(X), rows)] if len(X) else [0]

    def chunks():
        for start, end in zip(starts, [*starts[1:], max(len(X), 1)], strict=True):
            frame = pd.DataFrame(X[start:end], columns=names, copy=False)
            frame[label] = y[start:end]
            yield frame

    suite = processed_suite(names, label)
    write_atomic(suite_path, lambda tmp: save_suite(suite, tmp))
    return run_suite_in_chunks(chunks(), suite, total_rows=len(X),
                               clean=functools.partial(processed_rows_clean, label=label))
