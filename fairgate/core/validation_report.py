"""Validation results in words, without importing Great Expectations (which only the checks themselves need)."""

from __future__ import annotations

from typing import Any

NOT_NULL = "expect_column_values_to_not_be_null"


def describe_failures(summary: dict[str, Any]) -> str:
    """One line per failed expectation: what, which column, how many and some examples."""
    lines = []
    for check in summary["checks"]:
        if check["success"]:
            continue
        column = f" column '{check['column']}'" if check["column"] else ""
        parts = [f"{check['expectation']}{column}"]
        if check.get("notes"):
            parts.append(check["notes"])
        if check["expectation"] == NOT_NULL and check["unexpected_count"] is not None:
            tolerance = 1.0 - check["kwargs"].get("mostly", 1.0)
            parts.append(f"{check['unexpected_count']} missing values ({(check.get('unexpected_percent') or 0.0):.2f}% "
                         f"of rows), above its tolerance of {tolerance:.2%} (validate.null_tolerance.{check['column']}, "
                         "else validate.max_null_fraction)")
            lines.append("; ".join(parts))
            continue
        if check["kwargs"]:
            parts.append(f"expected {check['kwargs']}")
        if check["unexpected_count"] is not None:
            parts.append(f"{check['unexpected_count']} unexpected")
        if check["examples"]:
            parts.append(f"e.g. {check['examples']}")
        elif check["observed_value"] is not None:
            parts.append(f"observed {check['observed_value']}")
        if check["exception"]:
            parts.append(f"error: {check['exception'].splitlines()[0][:200]}")
        lines.append("; ".join(parts))
    return "\n".join(f"  - {line}" for line in lines)
