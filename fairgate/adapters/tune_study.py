"""The tuning study: its Optuna journal under .fairgate/ (an interrupted tune leaves it whole, and a rerun resumes
it), asked a batch of trials at a time on this process, with the trials fitted here or on Dask workers."""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from fairgate.core.backends import load_backend
from fairgate.core.errors import StageError
from fairgate.core.train_config import TrainConfig
from fairgate.core.tune import DIRECTIONS, corner_train, suggest, train_overrides, tuned_train
from fairgate.core.tune_config import FAMILIES, TuneConfig
from fairgate.core.tune_trial import TrialRows, fit_and_judge, thread_limit

log = logging.getLogger(__name__)
JOURNAL = ".fairgate/tune/journal.log"
THREADS_PER_TRIAL = 1
CONNECT_TIMEOUT_S = 10
WARM_UP_ROWS = 256
WORKER_DEFAULTS = ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
FAMILY_COST = {"mlp": 4}  # sort key only: a network's trial (epochs over every row) usually outlasts a booster's
Job = tuple[Any, str, dict[str, Any], TrainConfig]  # (Optuna trial, family, values, its train config)


def study_name(rows: TrialRows, settings: dict[str, Any]) -> str:
    """A name that changes with the rows and with everything that decides what a trial scores (not with the number
    of trials: asking for more continues the same study)."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for part in (rows.X_train, rows.y_train, rows.X_val, rows.y_val):
        digest.update(np.ascontiguousarray(part).tobytes())
    return f"fairgate-{digest.hexdigest()[:12]}"


def open_study(root: Path, name: str, seed: int) -> Any:
    """The study named ``name`` in the project's journal, created on first use, with a sampler seeded by ``seed``."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path = root / JOURNAL
    path.parent.mkdir(parents=True, exist_ok=True)
    storage = JournalStorage(JournalFileBackend(str(path)))
    return optuna.create_study(study_name=name, storage=storage, directions=list(DIRECTIONS), load_if_exists=True,
                               sampler=optuna.samplers.TPESampler(seed=seed))


def recover(study: Any) -> int:
    """Trials a stopped tune left running are marked failed and queued again with the same params (the workspace
    lock means no other tune is running them); returns how many."""
    from optuna.trial import TrialState

    stale = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    for trial in stale:
        study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        study.enqueue_trial(trial.params, skip_if_exists=False)
    return len(stale)


def complete(study: Any) -> list[Any]:
    from optuna.trial import TrialState

    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


class LocalTrials:
    """Trials fitted one after another in this process."""

    def __init__(self, rows: TrialRows) -> None:
        self.rows = rows

    def results(self, jobs: list[Job], fit: Callable[..., dict[str, Any]]) -> Iterator[tuple[Job, Any]]:
        for job in jobs:
            try:
                yield job, fit(self.rows, job[3])
            except Exception as exc:  # noqa: BLE001 - the study records it as a failed trial
                yield job, exc


class DaskTrials:
    """Trials fitted on a Dask cluster's workers; the rows are sent to every worker once. Each worker thread holds
    one trial at a time (the slowest family's first): a trial queued behind a long one would wait while others
    idle."""

    def __init__(self, client: Any, rows: TrialRows) -> None:
        self.client, self.rows = client, client.scatter(rows, broadcast=True)

    def results(self, jobs: list[Job], fit: Callable[..., dict[str, Any]]) -> Iterator[tuple[Job, Any]]:
        from distributed import as_completed

        waiting = sorted(jobs, key=lambda job: -FAMILY_COST.get(job[1], 1))
        slots = max(1, sum(self.client.nthreads().values()))
        running: dict[Any, Job] = {}
        finished = as_completed()
        try:
            while waiting or running:
                while waiting and len(running) < slots:
                    job = waiting.pop(0)
                    future = self.client.submit(fit, self.rows, job[3], pure=False)
                    running[future] = job
                    finished.add(future)
                future = next(finished)
                error = future.exception()
                yield running.pop(future), error if error is not None else future.result()
        except BaseException:  # Ctrl+C or a failed trial: no worker goes on with this batch
            self.client.cancel(list(running))
            raise


@contextmanager
def trial_runner(cfg: TuneConfig, rows: TrialRows, base: TrainConfig) -> Iterator[LocalTrials | DaskTrials]:
    """Where trials run: an existing Dask cluster (``tune.scheduler``), a local one of ``tune.workers``
    single-threaded processes, or this process alone for one worker. A local cluster's workers stop with it."""
    configs, few = warm_up_configs(cfg, base), rows.head(WARM_UP_ROWS)
    if cfg.scheduler is None and cfg.workers == 1:
        warm_up(few, configs)
        yield LocalTrials(rows)
        return
    from distributed import Client, LocalCluster

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Dask's notes on ports and memory limits are not the user's business
        if cfg.scheduler is not None:
            try:
                client = Client(cfg.scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
            except OSError as exc:
                raise StageError("tune", f"tune.scheduler: no Dask scheduler answered at {cfg.scheduler} within "
                                 f"{CONNECT_TIMEOUT_S} s ({exc})", "start one (`dask scheduler`, then `dask worker "
                                 "ADDRESS` on each machine), or set tune.scheduler to null for a local "
                                 "cluster") from None
            cluster = None
        else:
            import dask

            # Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536, which also turns off glibc's adaptive mmap
            # threshold (each batch's tensors were mapped and unmapped again), and OMP_NUM_THREADS=1, under which
            # torch ran slower than with one thread set by thread_limit: a network's trial took a third longer in a
            # worker than here. Workers start with this process's defaults; each trial limits its own threads.
            with dask.config.set({"distributed.nanny.pre-spawn-environ": dict.fromkeys(WORKER_DEFAULTS)}):
                cluster = LocalCluster(n_workers=cfg.workers, threads_per_worker=THREADS_PER_TRIAL, processes=True,
                                       dashboard_address=None)
            client = Client(cluster)
    try:
        client.run(warm_up, few, configs)
        yield DaskTrials(client, rows)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def warm_up(few: TrialRows, configs: list[TrainConfig]) -> None:
    """Fit each family once on a few rows: a library's first fit in a process (torch's above all, about 2 s) is
    paid when the workers start, not by whichever trial comes first."""
    for cfg in configs:
        with thread_limit(cfg, THREADS_PER_TRIAL) as limited:
            try:
                load_backend(limited.framework).fit(few.X_train, few.y_train, few.X_val, few.y_val, limited)
            except Exception:  # noqa: BLE001 - a few rows may hold one class; the trials then pay the first fit
                log.debug("tune: warm-up fit of %s failed", limited.estimator, exc_info=True)


def warm_up_configs(cfg: TuneConfig, base: TrainConfig) -> list[TrainConfig]:
    """One small config per family of the space (its params' low ends; one epoch for a network)."""
    return [corner_train(base, family, dims, "low", **({} if FAMILIES[family].framework == "sklearn" else {"epochs": 1}))
            for family, dims in cfg.dimensions().items()]


def run_trials(open_: Callable[[int], Any], cfg: TuneConfig, base: TrainConfig, runner: LocalTrials | DaskTrials,
               fit: Callable[..., dict[str, Any]], on_done: Callable[[Any, str, dict[str, Any], dict[str, Any]], None]
               ) -> Any:
    """Run trials until the study holds ``cfg.trials`` complete ones, ``cfg.batch`` at a time; return the study.

    Each batch's sampler is seeded with the seed plus the trials complete, and a batch is asked whole before any
    of it is told, so what is asked does not depend on which worker finishes first. A stopped batch's unfinished
    trials are queued again and finish that batch first, so a resumed study asks what an unstopped one would.
    """
    space = cfg.dimensions()
    study = open_(cfg.seed)
    if requeued := recover(study):
        log.info("tune: %d trial(s) a stopped tune left running will run again", requeued)
    while (done := len(complete(study))) < cfg.trials:
        study = open_(cfg.seed + done)
        jobs = []
        for _ in range(min(cfg.batch - done % cfg.batch, cfg.trials - done)):
            trial = study.ask()
            family, values = suggest(trial, space)
            jobs.append((trial, family, values, tuned_train(base, train_overrides(base, family, values))))
        for (trial, family, values, _), result in runner.results(jobs, fit):
            if isinstance(result, Exception):
                study.tell(trial, state=_failed())
                raise StageError("tune", f"trial {trial.number} ({family}, {values}) failed: "
                                 f"{type(result).__name__}: {result}",
                                 f"narrow tune.space.{family} to values this family can fit; run again to resume "
                                 "(finished trials are kept)")
            trial.set_user_attr("values", values)
            trial.set_user_attr("gaps", result["gaps"])
            on_done(trial, family, values, result)  # logged first: a stop between the two reruns the trial, not hides it
            study.tell(trial, [result["primary"], result["largest_gap"]])
    return study


def _failed() -> Any:
    from optuna.trial import TrialState

    return TrialState.FAIL


def trial_fit(evaluate_cfg: Any, primary_metric: str) -> Callable[[TrialRows, TrainConfig], dict[str, Any]]:
    """The function each trial runs: fit on the training rows, judge on the validation rows, one thread."""
    from functools import partial

    return partial(_fit, evaluate_cfg=evaluate_cfg, primary_metric=primary_metric)


def _fit(rows: TrialRows, cfg: TrainConfig, evaluate_cfg: Any, primary_metric: str) -> dict[str, Any]:
    return fit_and_judge(rows, cfg, evaluate_cfg, primary_metric, THREADS_PER_TRIAL)
