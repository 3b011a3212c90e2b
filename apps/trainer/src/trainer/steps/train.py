"""Train: read the train channel, fit the pipeline, export ONNX (parity-checked), log everything to MLflow,
write the model folder for the next steps."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import mlflow.onnx
import numpy as np
from mlflow.models import ModelSignature
from mlflow.types import Schema, TensorSpec
from sklearn.model_selection import train_test_split

from ..data.encode import encode, require_two_classes
from ..data.reader import read_table
from ..errors import ConfigError
from ..model.artifacts import ModelBundle, write_bundle
from ..model.metrics import classification_metrics
from ..model.onnx_export import check_parity, to_onnx
from ..model.pipeline import Hyperparameters, build_pipeline
from ..schema import FEATURES, INPUT_NAME, feature_schema
from ..settings import Settings
from ..tracking import connect, mlflow_errors

log = logging.getLogger(__name__)

MIN_ROWS_PER_CLASS = 5  # enough for a stratified split with a few of each class on both sides


@dataclass(frozen=True)
class TrainPaths:
    train_dir: Path
    hyperparameters: Path
    model_dir: Path


def load_hyperparameters(path: Path) -> Hyperparameters:
    if not path.exists():
        log.info("no hyperparameters file at %s: using defaults", path)
        return Hyperparameters()
    try:
        raw = json.loads(path.read_text() or "{}")
    except json.JSONDecodeError as exc:
        raise ConfigError(f"hyperparameters file {path} is not valid JSON: {exc}", cause=exc) from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"hyperparameters file {path} must hold a JSON object")
    return Hyperparameters.from_mapping(raw)


def _signature(n_features: int) -> ModelSignature:
    return ModelSignature(
        inputs=Schema([TensorSpec(np.dtype(np.float32), (-1, n_features), INPUT_NAME)]),
        outputs=Schema(
            [
                TensorSpec(np.dtype(np.int64), (-1,), "label"),
                TensorSpec(np.dtype(np.float32), (-1, 2), "probabilities"),
            ]
        ),
    )


def run_train(paths: TrainPaths, settings: Settings) -> dict[str, Any]:
    hp = load_hyperparameters(paths.hyperparameters)
    settings.require("tracking_uri")
    connect(settings.tracking_uri)  # before the work: an unreachable server fails in seconds

    table = read_table(paths.train_dir)
    data = encode(table, FEATURES, with_target=True)
    assert data.y is not None
    require_two_classes(data.y, MIN_ROWS_PER_CLASS, f"training data {paths.train_dir}")
    X_fit, X_val, y_fit, y_val = train_test_split(
        data.X, data.y, test_size=hp.validation_fraction, stratify=data.y, random_state=hp.random_seed
    )
    log.info("training on %d rows, validating on %d (positive rate %.3f)", len(y_fit), len(y_val), float(data.y.mean()))

    started = time.perf_counter()
    pipeline = build_pipeline(FEATURES, hp).fit(X_fit, y_fit)
    fit_seconds = time.perf_counter() - started
    metrics = classification_metrics(y_val, pipeline.predict_proba(X_val)[:, 1])
    log.info("fitted in %.1fs; validation metrics %s", fit_seconds, {k: round(v, 4) for k, v in metrics.items()})

    model = to_onnx(pipeline, len(FEATURES), INPUT_NAME)
    parity = check_parity(pipeline, model, X_val[: hp.parity_sample])
    schema = feature_schema(FEATURES)
    data_uri = settings.data_uri or str(paths.train_dir)

    with mlflow_errors(f"log the training run in experiment '{settings.experiment_name}'"):
        mlflow.set_experiment(settings.experiment_name)
        tags = {"data_uri": data_uri, "git_sha": settings.git_sha, "run_date": settings.run_date, "step": "train"}
        with mlflow.start_run(tags={k: v for k, v in tags.items() if v}) as run:
            mlflow.log_params({**hp.to_params(), "rows_fit": len(y_fit), "rows_validation": len(y_val)})
            mlflow.log_metrics({**metrics, "onnx_parity_max_abs_diff": parity.max_abs_diff, "fit_seconds": fit_seconds})
            mlflow.log_dict(schema, "feature_schema.json")
            info = mlflow.onnx.log_model(
                onnx_model=model,
                name="model",
                save_as_external_data=False,  # one self-contained model.onnx for the scorer
                metadata={"feature_schema": schema},
                signature=_signature(len(FEATURES)),
                # The flavor's own pins (onnx, onnxruntime): inferring them spawns a Python subprocess (~10 s).
                pip_requirements=mlflow.onnx.get_default_pip_requirements(),
            )
        run_id = run.info.run_id

    run_info = {
        "run_id": run_id,
        "experiment_id": run.info.experiment_id,
        "model_id": info.model_id,
        "model_uri": info.model_uri,
        "metrics": metrics,
        "onnx_parity_max_abs_diff": parity.max_abs_diff,
        "data_uri": data_uri,
        "git_sha": settings.git_sha,
        "run_date": settings.run_date,
        "hyperparameters": hp.to_params(),
    }
    write_bundle(paths.model_dir, ModelBundle(model.SerializeToString(), schema, run_info))
    log.info("logged run %s, model %s; wrote %s", run_id, info.model_uri, paths.model_dir)
    return run_info
