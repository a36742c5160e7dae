"""The typed, validated configuration loaded once from params.yaml."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from fairgate.core.explain_config import ExplainConfig
from fairgate.core.monitor_config import MonitorConfig
from fairgate.core.train_config import TrainConfig, tree_model
from fairgate.core.tune_config import TuneConfig


class ConfigError(ValueError):
    """A params file or override that cannot be used; the message names the key and the fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_text(value: Any) -> Any:
    """Column names and label values are text even where YAML reads a number, a boolean (``True``/``False``, as
    pandas writes them) or a date."""
    if isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


Text = Annotated[str, BeforeValidator(_as_text)]


class SyntheticConfig(_Strict):
    rows: int = Field(50_000, ge=100)
    seed: int = 42
    bias: float = Field(0.0, ge=0.0, le=1.0)


class DataConfig(_Strict):
    source: str = "synthetic"
    target: Text = "income"
    positive_label: Text = ">50K"
    label_values: list[Text] | None = None
    sensitive: list[Text] = Field(default_factory=lambda: ["sex", "age_group"], min_length=1)
    sensitive_as_feature: bool = True  # false: grouped on, never read by the model (docs/own-data.md)
    features: list[Text] | None = None
    categorical: list[Text] | None = None
    numeric: list[Text] | None = None
    drop: list[Text] = Field(default_factory=list)
    na_values: list[Text] = Field(default_factory=list)
    delimiter: str = Field(",", min_length=1, max_length=1)
    decimal: str = Field(".", min_length=1, max_length=1)  # of a CSV source's numbers: "." or "," (4,1)
    encoding: str = "utf-8"      # of a CSV source: utf-8 (a BOM is skipped), utf-16, latin-1, ...
    strip_whitespace: bool = True
    label_map: dict[Text, Text] = Field(default_factory=dict)
    synthetic: SyntheticConfig = SyntheticConfig()

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"'{value}' is not an encoding Python knows, such as utf-8, utf-16 or latin-1") from None
        return value

    @field_validator("source")
    @classmethod
    def _source_kind(cls, value: str) -> str:
        if value != "synthetic" and not value.lower().endswith((".csv", ".parquet")):
            raise ValueError("must be 'synthetic' or a path ending in .csv or .parquet")
        return value


class ValidateConfig(_Strict):
    min_rows: int = Field(1000, ge=1)
    min_group_rows: int = Field(30, ge=1)
    max_null_fraction: float = Field(0.05, ge=0.0, le=1.0)
    null_tolerance: dict[Text, float] = Field(default_factory=dict)
    ranges: dict[Text, tuple[float | None, float | None]] = Field(default_factory=dict)
    extra_columns: Literal["allow", "reject"] = "allow"
    max_duplicate_fraction: float = Field(0.1, ge=0.0, le=1.0)

    @field_validator("null_tolerance")
    @classmethod
    def _fractions(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not 0.0 <= v <= 1.0}
        if bad:
            raise ValueError(f"null tolerances must lie in [0, 1], got {bad}")
        return value


class PreprocessConfig(_Strict):
    seed: int = 42
    test_size: float = Field(0.2, gt=0.0, lt=0.5)
    val_size: float = Field(0.1, gt=0.0, lt=0.5)
    min_category_count: int = Field(10, ge=1)  # rarer categories share one "infrequent" column (min_frequency)
    max_categories: int = Field(100, ge=2)  # one-hot columns per feature at most, the infrequent one included
    # a categorical as one-hot columns, or as one column of category codes; auto: codes for tree models
    encoding: Literal["auto", "onehot", "ordinal"] = "auto"


class EvaluateConfig(_Strict):
    threshold: float = Field(0.5, gt=0.0, lt=1.0)
    calibration_bins: int = Field(10, ge=2)
    # infrequent: a category training never saw joins the column's infrequent bucket; error: evaluate stops
    unseen_categories: Literal["infrequent", "error"] = "infrequent"
    max_unseen_share: float = Field(0.05, ge=0.0, le=1.0)  # warn when more test rows hold unseen categories


class BootstrapConfig(_Strict):
    n: int = Field(1000, ge=100, le=100_000)
    seed: int = 0
    confidence: float = Field(0.95, gt=0.5, lt=1.0)


class GateConfig(_Strict):
    mode: Literal["non_inferiority", "superiority"] = "non_inferiority"
    primary_metric: Literal["accuracy", "balanced_accuracy"] = "accuracy"
    margin: float = Field(0.01, ge=0.0, le=1.0)
    min_accuracy: float = Field(0.78, ge=0.0, le=1.0)
    min_roc_auc: float = Field(0.83, ge=0.0, le=1.0)
    max_demographic_parity_difference: float = Field(0.10, ge=0.0, le=1.0)
    max_equalized_odds_difference: float = Field(0.10, ge=0.0, le=1.0)
    max_fairness_increase: float | None = Field(None, ge=0.0, le=1.0)
    min_group_size: int = Field(30, ge=1)
    on_insufficient_evidence: Literal["block", "allow"] = "block"
    intersectional: bool = False
    bootstrap: BootstrapConfig = BootstrapConfig()


class PromoteConfig(_Strict):
    model_name: str = Field("fairgate", min_length=1)
    alias: str = Field("champion", min_length=1)
    require_approval: bool = False  # a passing candidate waits under pending_alias for `fairgate approve`
    pending_alias: str = Field("candidate", min_length=1)

    @model_validator(mode="after")
    def _distinct_aliases(self) -> PromoteConfig:
        if self.pending_alias == self.alias:
            raise ValueError(f"promote.pending_alias must differ from promote.alias ('{self.alias}')")
        return self


class ScoreConfig(_Strict):
    # error: a category the champion never saw is refused (score and serve-model); infrequent: scored as rare
    unseen_categories: Literal["infrequent", "error"] = "error"


class TrackingConfig(_Strict):
    experiment: str = Field("fairgate", min_length=1)


class MitigateConfig(_Strict):
    """What runs when the unmitigated candidate fails fairness checks and nothing else (docs/mitigation.md)."""

    methods: list[Literal["reweigh", "threshold", "reduction"]] = Field(default_factory=lambda: ["reweigh", "threshold"])
    constraint: Literal["auto", "demographic_parity", "equalized_odds"] = "auto"  # auto: the failed ones
    use_sensitive_at_prediction: bool = True   # false rules out group thresholds, which read it at scoring time
    max_iter: int = Field(10, ge=1, le=200)    # ExponentiatedGradient's iterations (a model trained per iteration)
    slack: float = Field(0.5, gt=0.0, le=1.0)  # group thresholds: the band of rates, as a share of the ceiling

    @field_validator("methods")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class DriftConfig(_Strict):
    warn_above: float | None = Field(0.1, ge=0.0)   # PSI; null turns the check off
    fail_above: float | None = Field(0.25, ge=0.0)

    @model_validator(mode="after")
    def _ordered(self) -> DriftConfig:
        if self.warn_above is not None and self.fail_above is not None and self.fail_above < self.warn_above:
            raise ValueError(f"drift.fail_above ({self.fail_above}) must not be below drift.warn_above "
                             f"({self.warn_above})")
        return self


class ScheduleConfig(_Strict):
    cron: str = "0 3 * * *"
    timezone: str = "UTC"

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from datetime import datetime

        from cronsim import CronSim, CronSimError

        try:
            CronSim(value, datetime.now())
        except CronSimError as exc:
            raise ValueError(f"'{value}' is not a cron expression such as '0 3 * * *' (minute hour day month "
                             f"weekday): {exc}") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not an IANA time zone such as 'UTC' or 'Europe/Berlin'") from None
        return value


class Params(_Strict):
    data: DataConfig = DataConfig()
    validate_: ValidateConfig = Field(ValidateConfig(), alias="validate")
    preprocess: PreprocessConfig = PreprocessConfig()
    tune: TuneConfig = TuneConfig()
    train: TrainConfig = TrainConfig()
    evaluate: EvaluateConfig = EvaluateConfig()
    gate: GateConfig = GateConfig()
    promote: PromoteConfig = PromoteConfig()
    tracking: TrackingConfig = TrackingConfig()
    mitigate: MitigateConfig = MitigateConfig()
    drift: DriftConfig = DriftConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    score: ScoreConfig = ScoreConfig()
    monitor: MonitorConfig = MonitorConfig()
    explain: ExplainConfig = ExplainConfig()

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _columns_consistent(self) -> Params:
        data = self.data
        if data.target in data.sensitive:
            raise ValueError(f"data.sensitive must not contain the target column '{data.target}'")
        dropped = set(data.drop) & (set(data.sensitive) | {data.target})
        if dropped:
            raise ValueError(f"data.drop removes required columns {sorted(dropped)}")
        if self.preprocess.test_size + self.preprocess.val_size >= 0.8:
            raise ValueError("preprocess.test_size + preprocess.val_size must leave at least 20% to train")
        return self

    @property
    def encoding(self) -> str:
        """``preprocess.encoding`` resolved: ``auto`` is ``ordinal`` for a tree model, else ``onehot``."""
        if self.preprocess.encoding != "auto":
            return self.preprocess.encoding
        return "ordinal" if tree_model(self.train) else "onehot"

    @property
    def validate_cfg(self) -> ValidateConfig:
        return self.validate_

    @property
    def production_data(self) -> DataConfig:
        """``data`` as production reads it: ``monitor.key`` is carried through scoring and monitoring even when
        ``data.drop`` keeps it out of training (an identifier must not be a feature, but labels join on it)."""
        key = self.monitor.key
        if not key or key not in self.data.drop:
            return self.data
        return self.data.model_copy(update={"drop": [c for c in self.data.drop if c != key]})

    def section(self, name: str) -> dict[str, Any]:
        """One params section as plain data, keyed as in params.yaml."""
        return self.model_dump(mode="json", by_alias=True)[name]

    def digest(self) -> str:
        """A short, stable hash of every param, for tagging runs."""
        payload = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _describe(error: dict[str, Any]) -> str:
    key = ".".join(str(p) for p in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"unknown key '{key}': remove it or check its spelling against docs/params.md"
    if error["type"] == "literal_error":
        return f"'{key}': {error['msg'].replace('Input should be', 'allowed values are')}"
    if error["type"] == "value_error" and isinstance(error.get("input"), dict):  # a whole section's own check
        return f"'{key}': {error['msg'].removeprefix('Value error, ')}"
    return f"'{key}': {error['msg']} (got {error.get('input')!r})"


def build_params(raw: dict[str, Any]) -> Params:
    """Validate a params mapping, turning pydantic errors into one readable ConfigError."""
    try:
        return Params.model_validate(raw or {})
    except ValidationError as exc:
        lines = [_describe(e) for e in exc.errors()]
        raise ConfigError("invalid params:\n  - " + "\n  - ".join(lines)) from None
