"""Train -> evaluate -> register against the real MLflow server, as the training pipeline runs them."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import onnx
import onnxruntime as ort
from mlflow.models import Model
from mlflow.tracking import MlflowClient

from trainer.schema import FEATURE_NAMES, feature_schema

from trainer_support import WEAK_HYPERPARAMETERS, Workspace


def test_a_first_model_is_trained_evaluated_registered_and_gets_the_alias(workspace: Workspace, client: MlflowClient):
    assert workspace.train() == 0
    info = workspace.run_info()
    assert set(info["metrics"]) == {"auc", "accuracy", "f1", "log_loss"}
    assert info["metrics"]["auc"] > 0.75
    run = client.get_run(info["run_id"])
    assert run.data.params["n_estimators"] == "30"
    assert run.data.tags["git_sha"] == "0123abc"
    assert run.data.metrics["onnx_parity_max_abs_diff"] <= 1e-5

    assert workspace.evaluate() == 0
    evaluation = workspace.evaluation()
    assert evaluation["metrics"]["auc"]["value"] > 0.75
    assert evaluation["champion"] == {"alias": "champion", "version": None, "metrics": {"auc": {"value": 0.0}}}
    assert evaluation["gate"]["metric"] == "auc" and evaluation["gate"]["threshold"] == 0.6
    assert evaluation["gate"]["passed"] is True

    assert workspace.register() == 0
    registration = workspace.registration()
    name = workspace.env["MODEL_NAME"]
    version = client.get_model_version_by_alias(name, "champion")
    assert registration["version"] == version.version and registration["alias_moved"] is True
    assert version.run_id == info["run_id"]
    assert version.tags["run_id"] == info["run_id"]
    assert version.tags["data_uri"] == "s3://bucket/train/2026-11-23/"
    assert version.tags["git_sha"] == "0123abc"
    assert float(version.tags["metric.auc"]) == evaluation["metrics"]["auc"]["value"]
    assert not workspace.failure.exists()


def test_the_registered_model_is_a_single_onnx_file_with_the_scorer_contract(workspace: Workspace, tmp_path: Path):
    assert workspace.train() == 0 and workspace.evaluate() == 0 and workspace.register() == 0
    name = workspace.env["MODEL_NAME"]
    local = Path(mlflow.artifacts.download_artifacts(f"models:/{name}@champion", dst_path=str(tmp_path / "dl")))

    assert Model.load(str(local)).metadata["feature_schema"] == feature_schema()
    onnx_files = list(local.rglob("*.onnx"))
    assert [p.name for p in onnx_files] == ["model.onnx"]
    proto = onnx.load(str(onnx_files[0]), load_external_data=False)
    assert not any(t.data_location == onnx.TensorProto.EXTERNAL for t in proto.graph.initializer)
    assert [n.op_type for n in proto.graph.node if n.op_type == "ZipMap"] == []

    sess = ort.InferenceSession(str(onnx_files[0]), providers=["CPUExecutionProvider"])
    [inp] = sess.get_inputs()
    assert (inp.name, inp.type, inp.shape[1]) == ("features", "tensor(float)", len(FEATURE_NAMES))
    rows = np.full((3, len(FEATURE_NAMES)), np.nan, dtype=np.float32)  # all missing is a valid row
    rows[1] = [12, 70.5, 846, 2, 1, 20.0, 3, 0, 0, 3, 1]
    label, proba = sess.run(["label", "probabilities"], {"features": rows})
    assert label.dtype == np.int64 and label.shape == (3,)
    assert proba.dtype == np.float32 and proba.shape == (3, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)


def test_rerunning_register_reuses_the_version_instead_of_adding_one(workspace: Workspace, client: MlflowClient):
    assert workspace.train() == 0 and workspace.evaluate() == 0
    assert workspace.register() == 0
    first = workspace.registration()
    assert workspace.register() == 0
    second = workspace.registration()

    name = workspace.env["MODEL_NAME"]
    assert len(client.search_model_versions(f"name='{name}'")) == 1
    assert second["version"] == first["version"]
    assert second["reused_existing_version"] is True and second["alias_moved"] is False
    assert client.get_model_version_by_alias(name, "champion").version == first["version"]


def test_the_gate_refuses_a_worse_model_and_leaves_the_alias_on_the_champion(workspace: Workspace, client: MlflowClient):
    assert workspace.train("good") == 0 and workspace.evaluate("good") == 0 and workspace.register("good") == 0
    champion = workspace.registration("good")["version"]

    assert workspace.train("weak", hp=WEAK_HYPERPARAMETERS) == 0
    assert workspace.evaluate("weak") == 0
    evaluation = workspace.evaluation("weak")
    assert evaluation["champion"]["version"] == champion
    assert evaluation["metrics"]["auc"]["value"] < evaluation["champion"]["metrics"]["auc"]["value"]
    assert evaluation["gate"]["passed"] is False
    assert "champion" in evaluation["gate"]["reason"]

    assert workspace.register("weak") == 0
    registration = workspace.registration("weak")
    assert registration["alias_moved"] is False and registration["gate_passed"] is False
    name = workspace.env["MODEL_NAME"]
    assert client.get_model_version_by_alias(name, "champion").version == champion
    refused = client.get_model_version(name, registration["version"])
    assert refused.tags["gate.passed"] == "false"


def test_evaluate_compares_with_compare_alias_when_it_differs_from_the_target(workspace: Workspace, monkeypatch):
    assert workspace.train() == 0 and workspace.evaluate() == 0 and workspace.register() == 0
    monkeypatch.setenv("COMPARE_ALIAS", "prod-champion")  # nobody holds it: the candidate is compared with 0
    assert workspace.evaluate() == 0
    evaluation = workspace.evaluation()
    assert evaluation["champion"]["alias"] == "prod-champion" and evaluation["champion"]["version"] is None
