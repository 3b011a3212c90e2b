"""ONNX export (float32 input named by the schema, no ZipMap) and the parity check against scikit-learn."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import onnx
import onnxruntime as ort
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.pipeline import Pipeline

from ..errors import ExportError

log = logging.getLogger(__name__)

PARITY_TOLERANCE = 1e-5


@dataclass(frozen=True)
class Parity:
    max_abs_diff: float
    rows: int
    labels_agree: bool


def to_onnx(pipeline: Pipeline, n_features: int, input_name: str) -> onnx.ModelProto:
    try:
        model = convert_sklearn(
            pipeline,
            name="churn",
            initial_types=[(input_name, FloatTensorType([None, n_features]))],
            options={id(pipeline.steps[-1][1]): {"zipmap": False}},
        )
    except Exception as exc:  # skl2onnx raises assorted types for unsupported models
        raise ExportError(f"ONNX conversion failed: {exc}", cause=exc) from exc
    outputs = [o.name for o in model.graph.output]
    if outputs != ["label", "probabilities"]:
        raise ExportError(f"ONNX outputs are {outputs}, expected ['label', 'probabilities']")
    return model


def session(model: onnx.ModelProto | bytes) -> ort.InferenceSession:
    data = model if isinstance(model, bytes) else model.SerializeToString()
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


def onnx_probabilities(sess: ort.InferenceSession, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    input_name = sess.get_inputs()[0].name
    label, proba = sess.run(["label", "probabilities"], {input_name: X.astype(np.float32)})
    return label, proba


def check_parity(pipeline: Pipeline, model: onnx.ModelProto, X: np.ndarray, tolerance: float = PARITY_TOLERANCE) -> Parity:
    """ONNX Runtime's probabilities must match scikit-learn's on held-out rows, else the run fails."""
    label, proba = onnx_probabilities(session(model), X)
    expected = pipeline.predict_proba(X)
    diff = float(np.max(np.abs(proba.astype(np.float64) - expected))) if len(X) else 0.0
    parity = Parity(diff, len(X), bool(np.array_equal(label, pipeline.predict(X))))
    log.info("ONNX parity on %d held-out rows: max abs diff %.3g (tolerance %g)", len(X), diff, tolerance)
    if not diff <= tolerance:
        raise ExportError(
            f"ONNX probabilities differ from scikit-learn by {diff:.3g} on {len(X)} held-out rows "
            f"(tolerance {tolerance}); the exported model would not score like the trained one"
        )
    return parity
