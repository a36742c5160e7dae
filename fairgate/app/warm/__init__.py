"""`fairgate warm`: a long-lived process that keeps this project's runs warm.

``client`` is the `fairgate run` side, ``supervisor`` the `fairgate warm` process, ``standby`` the process that
serves one run.

A cold `fairgate run` spends most of its fixed cost before any stage works: importing MLflow, Prefect, DVC,
Great Expectations and torch, and booting Prefect's local server. `fairgate warm` pays both once: it keeps
a Prefect server up and one standby process that has imported everything a run needs. `fairgate run` in the
project hands its streams and arguments to the standby over a Unix socket, and the standby runs the very
same command (the same code, the same checks, the same output) in its own process, then exits; the
supervisor starts the next standby at once. A run never shares a process with another run.

A standby declines a run whose environment differs in what libraries read when imported (PREFECT_*,
MLFLOW_*, ...), from another Python, or after fairgate's code or the installed packages changed (then it
restarts); the run then goes on cold, as without the worker, and says why.
"""
