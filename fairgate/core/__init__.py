"""The pure core: typed functions and records per stage. No Prefect, MLflow or DVC; no files."""
