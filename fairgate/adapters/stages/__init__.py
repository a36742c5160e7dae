"""One adapter per stage: read inputs, call the core, write outputs atomically, log to MLflow."""

STAGES = ("ingest", "validate", "drift", "preprocess", "train", "evaluate", "gate", "promote")
# Not in dvc.yaml: each reads the model registry, which DVC cannot hash, so only the flow runs them.
FLOW_ONLY = ("drift", "promote")
