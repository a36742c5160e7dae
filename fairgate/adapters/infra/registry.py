"""The MLflow Model Registry: find the champion, register versions idempotently, move the alias."""

from __future__ import annotations

from typing import Any


def _client():
    import mlflow

    return mlflow.MlflowClient()


def _missing(exc: Exception) -> bool:
    code = getattr(exc, "error_code", "")
    return code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE") or "not found" in str(exc).lower()


def champion(name: str, alias: str) -> tuple[str, str] | None:
    """(version, run id) the alias points at, or None when there is no model or no alias yet."""
    from mlflow.exceptions import MlflowException

    try:
        found = _client().get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if _missing(exc):
            return None
        raise
    return str(found.version), str(found.run_id)


def champion_version(name: str, alias: str) -> str | None:
    """The version the alias points at, or None."""
    found = champion(name, alias)
    return found[0] if found else None


def load_version(name: str, version: str) -> Any:
    """Load a registered version as a pyfunc model (pinned by number, never by moving alias)."""
    import mlflow.pyfunc

    return mlflow.pyfunc.load_model(f"models:/{name}/{version}")


def version_of_run(name: str, run_id: str) -> str | None:
    """The version registered from run ``run_id``, or None."""
    for found in _client().search_model_versions(f"name='{name}' and run_id='{run_id}'"):
        return str(found.version)
    return None


def register(name: str, model_uri: str, run_id: str, tags: dict[str, str]) -> str:
    """Register the run's model, or return the version already registered for that run."""
    from mlflow.exceptions import MlflowException

    client = _client()
    try:
        client.get_registered_model(name)
    except MlflowException as exc:
        if not _missing(exc):
            raise
        client.create_registered_model(name, description="Models trained and gated by fairgate.")
    existing = version_of_run(name, run_id)
    if existing is not None:
        return existing
    # A logged model's URI is models:/<model id>; a tracking server wants that id passed explicitly.
    model_id = model_uri.removeprefix("models:/") if model_uri.startswith("models:/m-") else None
    version = client.create_model_version(name, model_uri, run_id=run_id, tags=tags, model_id=model_id)
    return str(version.version)


def tag_version(name: str, version: str, tags: dict[str, str]) -> None:
    client = _client()
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)


def set_alias(name: str, alias: str, version: str) -> None:
    _client().set_registered_model_alias(name, alias, version)


def delete_alias(name: str, alias: str) -> None:
    _client().delete_registered_model_alias(name, alias)


def version_tags(name: str, version: str) -> dict[str, str]:
    return dict(_client().get_model_version(name, version).tags)


def version_exists(name: str, version: str) -> bool:
    from mlflow.exceptions import MlflowException

    try:
        _client().get_model_version(name, version)
    except MlflowException:
        return False
    return True


VERSION_DESCRIPTION_LIMIT = 5000  # MLflow's SQL stores hold a version's description in VARCHAR(5000)
CUT = "\n\n(The card continues in the training run's description and in its artifacts, gate/card.md.)"


def describe_version(name: str, version: str, text: str) -> None:
    """Set the version's description, cut at a line end to what every MLflow store holds."""
    if len(text) > VERSION_DESCRIPTION_LIMIT:
        text = text[:text.rfind("\n", 0, VERSION_DESCRIPTION_LIMIT - len(CUT))] + CUT
    _client().update_model_version(name, version, description=text)
