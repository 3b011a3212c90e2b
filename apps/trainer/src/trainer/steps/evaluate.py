"""Evaluate: holdout metrics of the candidate (scored with its ONNX file, as the scorer will), compared with the
model that holds COMPARE_ALIAS scored on the same rows; writes evaluation.json for the Condition step."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from mlflow.tracking import MlflowClient

from ..data.encode import encode, require_two_classes
from ..data.reader import Table, read_table
from ..errors import InputDataError, ModelArtifactError
from ..model.artifacts import read_bundle
from ..model.metrics import classification_metrics
from ..model.onnx_export import onnx_probabilities, session
from ..registry import download_version, version_by_alias
from ..schema import features_from_schema
from ..settings import Settings
from ..tracking import connect, mlflow_errors

log = logging.getLogger(__name__)

EVALUATION_FILE = "evaluation.json"


@dataclass(frozen=True)
class EvaluatePaths:
    model_dir: Path
    test_dir: Path
    evaluation_dir: Path


def _score(onnx_bytes: bytes, schema: dict[str, Any], table: Table) -> dict[str, float]:
    data = encode(table, features_from_schema(schema), with_target=True)
    assert data.y is not None
    _, proba = onnx_probabilities(session(onnx_bytes), data.X)
    return classification_metrics(data.y, proba[:, 1])


def _champion(client: MlflowClient, settings: Settings, table: Table) -> dict[str, Any] | None:
    version = version_by_alias(client, settings.model_name, settings.compare_alias)
    if version is None:
        log.info("no model holds alias '%s' of '%s': first model, no comparison", settings.compare_alias, settings.model_name)
        return None
    model = download_version(settings.model_name, version)
    source = "rescored on this test data"
    metrics: dict[str, float] = {}
    try:
        if model.feature_schema is None:
            raise InputDataError("it has no metadata.feature_schema")
        metrics = _score(model.onnx_bytes, model.feature_schema, table)
    except InputDataError as exc:
        # An older model whose schema this data no longer fits: fall back to the metrics registered with it.
        metrics = {k.removeprefix("metric."): float(v) for k, v in version.tags.items() if k.startswith("metric.")}
        source = f"registered metrics (cannot rescore: {exc})"
        if settings.quality_metric not in metrics:
            raise ModelArtifactError(
                f"cannot compare with '{settings.model_name}' version {version.version} holding alias "
                f"'{settings.compare_alias}': {exc}, and it has no registered metric.{settings.quality_metric} tag",
                cause=exc,
            ) from exc
    log.info("champion version %s (%s): %s", version.version, source, {k: round(v, 4) for k, v in metrics.items()})
    return {"version": str(version.version), "run_id": version.run_id, "metrics": metrics, "source": source}


def gate(settings: Settings, metrics: dict[str, float], champion: dict[str, Any] | None) -> dict[str, Any]:
    name, threshold = settings.quality_metric, settings.quality_threshold
    value = metrics[name]
    champion_value = champion["metrics"][name] if champion else 0.0
    passed = value >= threshold and value >= champion_value
    vs_threshold = f"{name} {value:.4f} {'>=' if value >= threshold else '<'} threshold {threshold}"
    if champion:
        reason = f"{vs_threshold} and {'>=' if value >= champion_value else '<'} champion {champion_value:.4f}"
    else:
        reason = f"{vs_threshold}, no champion to compare with"
    return {"metric": name, "threshold": threshold, "passed": passed, "reason": reason}


def run_evaluate(paths: EvaluatePaths, settings: Settings) -> dict[str, Any]:
    settings.require("tracking_uri", "model_name", "compare_alias")
    candidate = read_bundle(paths.model_dir)
    connect(settings.tracking_uri)
    table = read_table(paths.test_dir)
    features = features_from_schema(candidate.feature_schema)
    test = encode(table, features, with_target=True)
    assert test.y is not None
    require_two_classes(test.y, 1, f"test data {paths.test_dir}")
    _, proba = onnx_probabilities(session(candidate.onnx_bytes), test.X)
    metrics = classification_metrics(test.y, proba[:, 1])
    log.info("candidate holdout metrics on %d rows: %s", len(test.y), {k: round(v, 4) for k, v in metrics.items()})

    client = MlflowClient()
    champion = _champion(client, settings, table)
    verdict = gate(settings, metrics, champion)
    log.info("gate %s: %s", "PASSED" if verdict["passed"] else "FAILED", verdict["reason"])

    run_id = candidate.run_info.get("run_id")
    if run_id:
        with mlflow_errors(f"record holdout metrics on run {run_id}"):
            for key, value in metrics.items():
                client.log_metric(run_id, f"holdout_{key}", value)

    evaluation = {
        "metrics": {k: {"value": v} for k, v in metrics.items()},
        "champion": {
            "alias": settings.compare_alias,
            "version": champion["version"] if champion else None,
            # 0 when there is no champion, so that the Condition step's second check passes.
            "metrics": {k: {"value": v} for k, v in (champion["metrics"] if champion else {verdict["metric"]: 0.0}).items()},
        },
        "gate": verdict,
        "candidate": {"run_id": run_id, "model_uri": candidate.run_info.get("model_uri")},
        "test_rows": int(len(test.y)),
        "positive_rate": float(np.mean(test.y)),
    }
    paths.evaluation_dir.mkdir(parents=True, exist_ok=True)
    out = paths.evaluation_dir / EVALUATION_FILE
    out.write_text(json.dumps(evaluation, indent=2) + "\n")
    log.info("wrote %s", out)
    return evaluation
