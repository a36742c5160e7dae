"""Prefect tasks: thin wrappers over the stage adapters (retries only where there is I/O to retry)."""
