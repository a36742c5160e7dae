"""A separate process promoting one candidate; its quality is a version tag (`test.score`).

Used by the concurrency test: the CAS and the ledger are real, the re-evaluation rule is a score
comparison so the expected winner is known.
"""

from __future__ import annotations

import json
import sys


def main(store: str, name: str, version: str) -> None:
    import mlflow

    from fairgate.adapters.infra import promotion, registry

    mlflow.set_tracking_uri(store)

    def score(v: str | None) -> float:
        return float("-inf") if v is None else float(registry.version_tags(name, v)["test.score"])

    def reevaluate(champion: str | None) -> dict:
        verdict = "pass" if score(version) > score(champion) else "fail"
        return {"verdict": verdict, "champion_version": champion, "reasons": [] if verdict == "pass" else ["worse"]}

    outcome = promotion.promote(name, "champion", version, reevaluate(None), reevaluate, {})
    outcome.pop("decision")
    print(json.dumps(outcome))


if __name__ == "__main__":
    main(*sys.argv[1:4])
