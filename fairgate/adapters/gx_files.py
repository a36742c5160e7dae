"""Great Expectations on disk: suites saved as stable JSON, and validation that also builds Data Docs HTML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import great_expectations as gx
import pandas as pd

from fairgate.core.validate import let_go_of, prepared, summary_of


def save_suite(suite: gx.ExpectationSuite, path: Path) -> None:
    """Write the suite as JSON, without the random ids GX assigns, so unchanged params give an unchanged file."""
    payload = suite.to_json_dict()
    payload.pop("id", None)
    for expectation in payload["expectations"]:
        expectation.pop("id", None)
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")


def run_suite_with_docs(frame: pd.DataFrame, suite: gx.ExpectationSuite, docs_dir: Path) -> dict[str, Any]:
    """Validate ``frame`` against ``suite`` through a checkpoint that builds Data Docs HTML into ``docs_dir``."""
    context, definition = prepared(suite)
    context.add_data_docs_site(site_name="fairgate", site_config={
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    checkpoint = context.checkpoints.add(gx.Checkpoint(
        name=suite.name, validation_definitions=[definition], result_format="SUMMARY",
        actions=[gx.checkpoint.UpdateDataDocsAction(name="docs", site_names=["fairgate"])]))
    outcome = next(iter(checkpoint.run(batch_parameters={"dataframe": frame}).run_results.values()))
    summary = summary_of(outcome, suite.name, len(frame))
    del outcome, checkpoint, definition, context
    let_go_of(frame)
    return summary
