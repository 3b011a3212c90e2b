"""The churn table's feature schema: the single source of truth for the generator, training, and the model's
`metadata.feature_schema` that the scorer reads (see docs/container-interface.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = 1
ENTITY_ID = "customer_id"
TARGET = "churned"
INPUT_NAME = "features"
CLASS_LABELS = [0, 1]


@dataclass(frozen=True)
class Feature:
    name: str
    type: str  # "number" | "category"
    categories: tuple[str, ...] = ()
    nullable: bool = True

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.type == "category":
            out["categories"] = list(self.categories)
        out["nullable"] = self.nullable
        return out


# Column order here is the column order of the ONNX input tensor.
FEATURES: tuple[Feature, ...] = (
    Feature("tenure_months", "number"),
    Feature("monthly_charges", "number"),
    Feature("total_charges", "number"),
    Feature("num_products", "number"),
    Feature("support_tickets_90d", "number"),
    Feature("avg_session_minutes", "number"),
    Feature("days_since_last_login", "number"),
    Feature("plan", "category", ("basic", "standard", "premium")),
    Feature("contract", "category", ("month-to-month", "one-year", "two-year")),
    Feature("payment_method", "category", ("card", "bank-transfer", "paypal", "invoice")),
    Feature("region", "category", ("north", "south", "east", "west")),
)

FEATURE_NAMES = [f.name for f in FEATURES]
NUMBER_FEATURES = [f.name for f in FEATURES if f.type == "number"]
CATEGORY_FEATURES = [f for f in FEATURES if f.type == "category"]


def feature_schema(features: tuple[Feature, ...] = FEATURES) -> dict[str, Any]:
    """The JSON document stored as `metadata.feature_schema` on the logged model."""
    return {
        "schema_version": SCHEMA_VERSION,
        "entity_id": ENTITY_ID,
        "target": TARGET,
        "input_name": INPUT_NAME,
        "features": [f.to_json() for f in features],
        "class_labels": list(CLASS_LABELS),
        "outputs": {"label": "label", "probabilities": "probabilities"},
    }


def features_from_schema(doc: dict[str, Any]) -> tuple[Feature, ...]:
    """Rebuilds the feature list of a stored schema (used to score a champion trained with an older schema)."""
    return tuple(
        Feature(f["name"], f["type"], tuple(f.get("categories", ())), bool(f.get("nullable", True)))
        for f in doc["features"]
    )
