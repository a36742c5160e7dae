"""gate and promote against a real SQLite registry: CAS promotion, ledger, history and rollback."""

import dataclasses
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import mlflow
import pytest

from fairgate.adapters.infra import ledger, promotion, registry
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.runner import champion_moved, run_stage
from fairgate.core.errors import StageError

LOOSE = {"min_accuracy": 0.5, "min_roc_auc": 0.5, "max_demographic_parity_difference": 1.0,
         "max_equalized_odds_difference": 1.0, "margin": 1.0}


def _fresh_name(request) -> str:
    return f"m-{request.node.name[:40]}"


def _versions(name: str, count: int, model_uri: str, scores=None) -> list[str]:
    client = mlflow.MlflowClient()
    experiment = client.get_experiment_by_name("fairgate").experiment_id
    out = []
    for i in range(count):
        run_id = client.create_run(experiment).info.run_id
        tags = {} if scores is None else {"test.score": str(scores[i])}
        out.append(registry.register(name, model_uri, run_id, tags))
    return out


def _decision(champion, verdict="pass"):
    return {"verdict": verdict, "champion_version": champion, "reasons": [] if verdict == "pass" else ["bad"]}


def test_gate_and_promote_stages_make_the_first_passing_model_champion(slice_ctx, request):
    name = _fresh_name(request)
    ctx = dataclasses.replace(slice_ctx, params=slice_ctx.params.model_copy(update={
        "gate": slice_ctx.params.gate.model_copy(update=LOOSE),
        "promote": slice_ctx.params.promote.model_copy(update={"model_name": name})}))
    decision = run_stage(ctx, "gate")
    assert decision["verdict"] == "pass" and decision["statistics"]["n_resamples"] == 1000
    card = json.loads(ctx.path(paths.CARD).read_text())
    assert card["reproduce"].endswith("&& dvc repro") and card["data"]["raw_md5"]
    selection = run_stage(ctx, "mitigate")
    assert selection["candidate"] == "unmitigated" and selection["decision"]["verdict"] == "pass"
    first = run_stage(ctx, "promote")
    assert first["promoted"] and registry.champion_version(name, "champion") == first["version"]
    description = mlflow.MlflowClient().get_model_version(name, first["version"]).description
    assert description.startswith("# Promotion card")
    assert not champion_moved(ctx), "a candidate that became champion is not a moved champion"
    again = run_stage(ctx, "promote")
    assert again["already_champion"] and len(ledger.read(name)) == 1


def test_failed_decision_is_recorded_and_champion_stays(slice_ctx, request):
    name = _fresh_name(request)
    model_uri = json.loads(slice_ctx.path(paths.TRAIN_RUN).read_text())["model_uri"]
    v1, v2 = _versions(name, 2, model_uri)
    promotion.promote(name, "champion", v1, _decision(None), pytest.fail, {})
    outcome = promotion.promote(name, "champion", v2, _decision(v1, "fail"), pytest.fail, {})
    assert outcome["action"] == "rejected" and registry.champion_version(name, "champion") == v1
    repeat = promotion.promote(name, "champion", v2, _decision(v1, "fail"), pytest.fail, {})
    assert repeat["recorded"] is False, "the same evidence is not recorded twice"
    assert [e["action"] for e in ledger.read(name)] == ["promoted", "rejected"]
    assert registry.version_tags(name, v2)["gate.verdict"] == "fail"


def test_candidate_that_loses_the_race_is_reevaluated_not_overwriting(slice_ctx, request):
    name = _fresh_name(request)
    model_uri = json.loads(slice_ctx.path(paths.TRAIN_RUN).read_text())["model_uri"]
    v1, v2 = _versions(name, 2, model_uri)
    promotion.promote(name, "champion", v1, _decision(None), pytest.fail, {})
    seen = []

    def reevaluate(champion):
        seen.append(champion)
        return _decision(champion, "fail")

    outcome = promotion.promote(name, "champion", v2, _decision(None), reevaluate, {})
    assert seen == [v1] and outcome["reevaluated"] and outcome["action"] == "rejected"
    assert registry.champion_version(name, "champion") == v1


def test_rollback_restores_previous_champion_and_ledger_shows_both_moves(slice_ctx, request):
    name = _fresh_name(request)
    model_uri = json.loads(slice_ctx.path(paths.TRAIN_RUN).read_text())["model_uri"]
    v1, v2 = _versions(name, 2, model_uri)
    promotion.promote(name, "champion", v1, _decision(None), pytest.fail, {})
    between = datetime.now(UTC)
    promotion.promote(name, "champion", v2, _decision(v1), pytest.fail, {})
    entry = promotion.rollback(name, "champion", None, "v2 misbehaves in production", {})
    assert registry.champion_version(name, "champion") == v1 == entry["version"]
    entries = ledger.read(name)
    assert [(e["action"], e["champion_after"]) for e in entries] == [
        ("promoted", v1), ("promoted", v2), ("rolled_back", v1)]
    assert entries[-1]["reasons"] == ["v2 misbehaves in production"] and entries[-1]["previous_champion"] == v2
    assert ledger.champion_at(entries, between) == v1
    assert ledger.champion_at(entries, datetime.fromisoformat(entries[1]["time"])) == v2
    with pytest.raises(StageError, match="no version 99"):
        promotion.rollback(name, "champion", "99", "typo", {})


def test_concurrent_promotions_give_one_consistent_chain_and_lose_no_entry(slice_ctx, request):
    name = _fresh_name(request)
    model_uri = json.loads(slice_ctx.path(paths.TRAIN_RUN).read_text())["model_uri"]
    scores = [3, 1, 4, 2, 5]
    versions = _versions(name, len(scores), model_uri, scores)
    store = mlflow.get_tracking_uri()
    root = Path(__file__).resolve().parents[2]
    workers = [subprocess.Popen([sys.executable, "-m", "tests.code.promotion_worker", store, name, v],
                                cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for v in versions]
    outcomes = []
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        outcomes.append(json.loads(out.strip().splitlines()[-1]))
    best = versions[scores.index(max(scores))]
    assert registry.champion_version(name, "champion") == best
    entries = ledger.read(name)
    assert sorted(e["version"] for e in entries) == sorted(versions), "one ledger entry per candidate"
    assert [e["seq"] for e in entries] == list(range(1, len(versions) + 1))
    champion = None
    for entry in entries:
        assert entry["previous_champion"] == champion, entries
        champion = entry["champion_after"]
    assert champion == best
    assert sum(o["action"] == "promoted" for o in outcomes) == sum(e["action"] == "promoted" for e in entries)


def test_a_waiting_candidate_is_recorded_once_and_gets_its_alias_back_after_a_crash(slice_ctx, request):
    name = _fresh_name(request)
    model_uri = json.loads(slice_ctx.path(paths.TRAIN_RUN).read_text())["model_uri"]
    champion, waiting = _versions(name, 2, model_uri)
    promotion.promote(name, "champion", champion, _decision(None), lambda c: _decision(c), {})
    first = promotion.promote(name, "champion", waiting, _decision(champion), lambda c: _decision(c), {},
                              pending_alias="candidate")
    assert first["action"] == "awaiting_approval" and registry.champion_version(name, "champion") == champion
    assert registry.champion_version(name, "candidate") == waiting
    registry.delete_alias(name, "candidate")  # as if the process died between the ledger entry and the alias
    again = promotion.promote(name, "champion", waiting, _decision(champion), lambda c: _decision(c), {},
                              pending_alias="candidate")
    assert again["action"] == "awaiting_approval" and not again["recorded"]
    assert registry.champion_version(name, "candidate") == waiting
    assert [e["action"] for e in ledger.read(name)] == ["promoted", "awaiting_approval"]


def _registered(slice_ctx, request, count: int) -> tuple[str, list[str]]:
    """A fresh model name with ``count`` versions of the slice's model, none champion yet."""
    name = _fresh_name(request)
    return name, _versions(name, count, json.loads(slice_ctx.path(paths.TRAIN_RUN).read_text())["model_uri"])


def test_rollback_refuses_a_version_that_was_never_champion_even_with_force(slice_ctx, request):
    name, (v1, v2) = _registered(slice_ctx, request, 2)
    promotion.promote(name, "champion", v1, _decision(None, "fail"), pytest.fail, {})
    with pytest.raises(StageError, match=f"version {v1} of '{name}' was never champion"):
        promotion.rollback(name, "champion", v1, "x", {})
    promotion.promote(name, "champion", v2, _decision(None), pytest.fail, {})
    with pytest.raises(StageError, match="was never champion"):
        promotion.rollback(name, "champion", v1, "an override cannot pass the gate", {}, force=True)
    with pytest.raises(StageError, match="no earlier champion to roll back to"):
        promotion.rollback(name, "champion", None, "nothing before", {})
    assert registry.champion_version(name, "champion") == v2
    assert [e["action"] for e in ledger.read(name)] == ["rejected", "promoted"]


def test_rollback_skips_a_version_monitoring_removed_and_force_records_an_override(slice_ctx, request):
    name, (v1, v2) = _registered(slice_ctx, request, 2)
    promotion.promote(name, "champion", v1, _decision(None), pytest.fail, {})
    promotion.promote(name, "champion", v2, _decision(v1), pytest.fail, {})
    promotion.rollback(name, "champion", None, "monitor: breach on 600 labelled production rows: eo[sex]", {},
                       cause="breach")
    assert registry.champion_version(name, "champion") == v1
    with pytest.raises(StageError, match=f"no earlier champion to roll back to .*version {v2} \\(removed by monitoring"):
        promotion.rollback(name, "champion", None, "test", {})
    with pytest.raises(StageError, match=f"version {v2} was removed by monitoring") as refused:
        promotion.rollback(name, "champion", v2, "test", {})
    assert "--force" in refused.value.fix
    with pytest.raises(StageError, match="--reason is empty"):
        promotion.rollback(name, "champion", v2, "  ", {}, force=True)
    entry = promotion.rollback(name, "champion", v2, "the breach was a labelling error", {}, force=True)
    assert entry["override"] is True and registry.champion_version(name, "champion") == v2
    assert ledger.read(name)[-1]["override"] is True
    back = promotion.rollback(name, "champion", None, "v2 again misbehaves", {})
    assert back["version"] == v1 and "override" not in back, "a plain move back needs no override"


def test_a_manual_rollback_can_be_undone_but_a_reviewer_rejection_cannot(slice_ctx, request):
    name, (v1, v2) = _registered(slice_ctx, request, 2)
    promotion.promote(name, "champion", v1, _decision(None), pytest.fail, {})
    promotion.promote(name, "champion", v2, _decision(v1), pytest.fail, {})
    promotion.rollback(name, "champion", None, "checking something", {})
    assert promotion.rollback(name, "champion", None, "checked, v2 is fine", {})["version"] == v2
    ledger.append(name, {"action": "rejected", "version": v1, "reasons": ["re-gated: accuracy"], "model": name,
                         "verdict": "fail"})
    with pytest.raises(StageError, match=f"version {v1} was rejected \\(ledger #5: re-gated: accuracy\\)"):
        promotion.rollback(name, "champion", v1, "x", {})


def test_approve_reject_and_rollback_refuse_an_empty_reason(slice_ctx, request):
    from fairgate.adapters.infra import approval

    name, (champion, waiting) = _registered(slice_ctx, request, 2)
    promotion.promote(name, "champion", champion, _decision(None), pytest.fail, {})
    promotion.promote(name, "champion", waiting, _decision(champion), pytest.fail, {}, pending_alias="candidate")
    with pytest.raises(StageError, match="--reason is empty"):
        approval.approve(name, "champion", "candidate", waiting, "", pytest.fail, {})
    with pytest.raises(StageError, match="--reason is empty"):
        approval.reject(name, "champion", "candidate", waiting, " ", {})
    assert registry.champion_version(name, "candidate") == waiting
    assert registry.champion_version(name, "champion") == champion
