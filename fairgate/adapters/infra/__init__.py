"""Adapters' shared plumbing: files, lineage, tracking, registry and the DVC DAG."""
