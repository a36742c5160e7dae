"""One adapter per stage: read inputs, call the core, write outputs atomically, log to MLflow."""

STAGES = ("ingest", "validate", "preprocess", "train", "evaluate", "gate", "promote")
