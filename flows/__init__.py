"""Prefect flows: wiring of the stage tasks, and nothing else."""
