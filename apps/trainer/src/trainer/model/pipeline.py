"""The scikit-learn pipeline: preprocessing + gradient-boosted trees, built only from parts that skl2onnx converts
exactly (HistGradientBoostingClassifier fails to convert with scikit-learn 1.9, and SimpleImputer's
add_indicator is dropped by the converter, so missing numbers get a sentinel that trees split on instead)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from ..errors import ConfigError
from ..schema import Feature

MISSING_NUMBER = -1.0e6  # far below every real value: a tree puts "missing" on one side of any split
MISSING_CATEGORY = -1.0


@dataclass(frozen=True)
class Hyperparameters:
    n_estimators: int = 150
    max_depth: int = 3
    learning_rate: float = 0.1
    subsample: float = 1.0
    min_samples_leaf: int = 20
    validation_fraction: float = 0.2  # held out inside Train for its metrics and the ONNX parity check
    parity_sample: int = 2000
    random_seed: int = 42

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> "Hyperparameters":
        """SageMaker passes every hyperparameter as a string; unknown keys are typos, except SageMaker's own."""
        known = {f.name: f.type for f in fields(cls)}
        unknown = sorted(k for k in raw if k not in known and not k.startswith("sagemaker_"))
        if unknown:
            raise ConfigError(f"unknown hyperparameter(s) {unknown}; known: {sorted(known)}")
        values: dict[str, Any] = {}
        for name, kind in known.items():
            if name not in raw:
                continue
            text = str(raw[name]).strip().strip('"')
            try:
                values[name] = int(text) if kind in ("int", int) else float(text)
            except ValueError as exc:
                raise ConfigError(f"hyperparameter {name}={raw[name]!r} is not a valid {kind}", cause=exc) from exc
        hp = cls(**values)
        hp.validate()
        return hp

    def validate(self) -> None:
        checks = [
            (self.n_estimators >= 1, "n_estimators must be >= 1"),
            (self.max_depth >= 1, "max_depth must be >= 1"),
            (0 < self.learning_rate <= 1, "learning_rate must be in (0, 1]"),
            (0 < self.subsample <= 1, "subsample must be in (0, 1]"),
            (self.min_samples_leaf >= 1, "min_samples_leaf must be >= 1"),
            (0 < self.validation_fraction < 1, "validation_fraction must be in (0, 1)"),
            (self.parity_sample >= 1, "parity_sample must be >= 1"),
        ]
        failed = [message for ok, message in checks if not ok]
        if failed:
            raise ConfigError("invalid hyperparameters: " + "; ".join(failed) + f" (got {asdict(self)})")

    def to_params(self) -> dict[str, Any]:
        return asdict(self)


def build_pipeline(features: tuple[Feature, ...], hp: Hyperparameters) -> Pipeline:
    number_cols = [i for i, f in enumerate(features) if f.type == "number"]
    category_cols = [i for i, f in enumerate(features) if f.type == "category"]
    category_values = [[MISSING_CATEGORY, *map(float, range(len(f.categories)))] for f in features if f.type == "category"]
    preprocess = ColumnTransformer(
        [
            ("numbers", SimpleImputer(strategy="constant", fill_value=MISSING_NUMBER), number_cols),
            (
                "categories",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY)),
                        ("one_hot", OneHotEncoder(categories=category_values, handle_unknown="ignore", sparse_output=False)),
                    ]
                ),
                category_cols,
            ),
        ]
    )
    classifier = GradientBoostingClassifier(
        n_estimators=hp.n_estimators,
        max_depth=hp.max_depth,
        learning_rate=hp.learning_rate,
        subsample=hp.subsample,
        min_samples_leaf=hp.min_samples_leaf,
        random_state=hp.random_seed,
    )
    return Pipeline([("preprocess", preprocess), ("classifier", classifier)])
