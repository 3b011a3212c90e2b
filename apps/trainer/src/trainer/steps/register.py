"""Register: a model version for the candidate (tagged with run id, data URI, git sha, metrics) and the alias moved
to it only when the gate passed. Rerunning it reuses the version already registered for the same logged model."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from ..errors import ModelArtifactError
from ..model.artifacts import read_bundle
from ..registry import version_by_alias
from ..settings import Settings
from ..tracking import connect, mlflow_errors

log = logging.getLogger(__name__)

REGISTRATION_FILE = "registration.json"


@dataclass(frozen=True)
class RegisterPaths:
    model_dir: Path
    evaluation: Path
    output_dir: Path


def _load_evaluation(path: Path, run_id: str, metric: str) -> dict[str, Any]:
    try:
        evaluation = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ModelArtifactError(f"evaluation file {path} does not exist: run evaluate first", cause=exc) from exc
    except json.JSONDecodeError as exc:
        raise ModelArtifactError(f"evaluation file {path} is not valid JSON: {exc}", cause=exc) from exc
    try:
        gate = evaluation["gate"]
        value = float(evaluation["metrics"][gate["metric"]]["value"])
        champion = float(evaluation["champion"]["metrics"][gate["metric"]]["value"])
        threshold = float(gate["threshold"])
        passed = bool(gate["passed"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelArtifactError(f"evaluation file {path} lacks {exc} (expected the shape in docs/container-interface.md)", cause=exc) from exc
    evaluated = (evaluation.get("candidate") or {}).get("run_id")
    if evaluated and evaluated != run_id:
        raise ModelArtifactError(f"evaluation file {path} is for run {evaluated}, but the model folder holds run {run_id}")
    if gate["metric"] != metric:
        raise ModelArtifactError(f"evaluation file {path} gated on '{gate['metric']}' but QUALITY_METRIC is '{metric}'")
    # Never trust a flag alone: the alias moves only if the numbers themselves pass.
    evaluation["gate"]["passed"] = passed and value >= threshold and value >= champion
    return evaluation


def _existing_version(client: MlflowClient, name: str, run_id: str, model_uri: str) -> ModelVersion | None:
    with mlflow_errors(f"search versions of model '{name}'"):
        try:
            versions = client.search_model_versions(f"name='{name}' and run_id='{run_id}'")
        except MlflowException as exc:
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise
    same = [v for v in versions if v.source == model_uri or v.tags.get("model_uri") == model_uri]
    return min(same, key=lambda v: int(v.version)) if same else None


def run_register(paths: RegisterPaths, settings: Settings) -> dict[str, Any]:
    settings.require("tracking_uri", "model_name", "target_alias")
    bundle = read_bundle(paths.model_dir)
    run_id, model_uri = bundle.run_info.get("run_id"), bundle.run_info.get("model_uri")
    if not run_id or not model_uri:
        raise ModelArtifactError(f"run_info.json in {paths.model_dir} lacks run_id or model_uri")
    evaluation = _load_evaluation(paths.evaluation, run_id, settings.quality_metric)
    passed = evaluation["gate"]["passed"]
    connect(settings.tracking_uri)
    client = MlflowClient()
    name = settings.model_name

    version = _existing_version(client, name, run_id, model_uri)
    reused = version is not None
    tags = {
        "run_id": run_id,
        "model_uri": model_uri,
        "data_uri": bundle.run_info.get("data_uri") or settings.data_uri,
        "git_sha": bundle.run_info.get("git_sha") or settings.git_sha,
        "run_date": bundle.run_info.get("run_date") or settings.run_date,
        "gate.passed": str(passed).lower(),
        "gate.reason": evaluation["gate"].get("reason", ""),
        "champion_version": str(evaluation["champion"].get("version") or ""),
        **{f"metric.{k}": str(v["value"]) for k, v in evaluation["metrics"].items()},
    }
    tags = {k: v for k, v in tags.items() if v}
    if version is None:
        with mlflow_errors(f"register {model_uri} as model '{name}'"):
            version = mlflow.register_model(model_uri, name, tags=tags)
        log.info("registered '%s' version %s from run %s", name, version.version, run_id)
    else:
        log.info("'%s' version %s already holds run %s: reusing it", name, version.version, run_id)
    with mlflow_errors(f"tag '{name}' version {version.version}"):
        for key, value in tags.items():
            if version.tags.get(key) != value:
                client.set_model_version_tag(name, version.version, key, value)

    previous = version_by_alias(client, name, settings.target_alias)
    alias_moved = False
    if passed:
        if previous is None or previous.version != version.version:
            with mlflow_errors(f"move alias '{settings.target_alias}' of '{name}' to version {version.version}"):
                client.set_registered_model_alias(name, settings.target_alias, version.version)
            alias_moved = True
        log.info("alias '%s' -> version %s (was %s)", settings.target_alias, version.version, previous.version if previous else "unset")
    else:
        log.info("gate failed (%s): alias '%s' stays on %s", evaluation["gate"].get("reason"), settings.target_alias,
                 previous.version if previous else "no version")

    registration = {
        "model_name": name,
        "version": str(version.version),
        "reused_existing_version": reused,
        "run_id": run_id,
        "model_uri": model_uri,
        "alias": settings.target_alias,
        "gate_passed": passed,
        "alias_moved": alias_moved,
        "alias_version": str(version.version) if passed else (str(previous.version) if previous else None),
        "previous_alias_version": str(previous.version) if previous else None,
    }
    paths.output_dir.mkdir(parents=True, exist_ok=True)
    (paths.output_dir / REGISTRATION_FILE).write_text(json.dumps(registration, indent=2) + "\n")
    return registration
