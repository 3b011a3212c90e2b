"""Reads from the MLflow model registry: who holds an alias, and that model's ONNX file and feature schema."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.models import Model
from mlflow.tracking import MlflowClient

from .tracking import mlflow_errors

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AliasedModel:
    version: ModelVersion
    onnx_bytes: bytes
    feature_schema: dict[str, Any] | None


def _is_missing(exc: MlflowException) -> bool:
    return exc.error_code == "RESOURCE_DOES_NOT_EXIST" or "not found" in exc.message.lower()


def version_by_alias(client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    """The version holding `alias`, or None when the model or the alias does not exist (e.g. the first night)."""
    # The model first: MLflow's basic-auth app answers an alias lookup on a model that does not exist with 403
    # (as if the user lacked permission), while the model lookup answers 404. Without authentication both say 404.
    with mlflow_errors(f"look up model '{name}'"):
        try:
            client.get_registered_model(name)
        except MlflowException as exc:
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise
    with mlflow_errors(f"look up alias '{alias}' of model '{name}'"):
        try:
            return client.get_model_version_by_alias(name, alias)
        except MlflowException as exc:
            if _is_missing(exc):
                return None
            raise


def download_version(name: str, version: ModelVersion) -> AliasedModel:
    with mlflow_errors(f"download model '{name}' version {version.version}"), tempfile.TemporaryDirectory() as tmp:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}/{version.version}", dst_path=tmp))
        onnx_files = sorted(local.rglob("*.onnx"))
        if not onnx_files:
            raise MlflowException(f"model '{name}' version {version.version} holds no .onnx file")
        meta = Model.load(str(local)).metadata if (local / "MLmodel").exists() else None
        schema = (meta or {}).get("feature_schema")
        return AliasedModel(version, onnx_files[0].read_bytes(), schema)
