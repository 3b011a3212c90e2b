"""Binary classification metrics, all from the positive-class probability. Names match evaluation.json."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

# Metrics the quality gate may use: the pipeline's Condition step checks `>=`, so only higher-is-better ones.
GATE_METRICS = ("auc", "accuracy", "f1")


def classification_metrics(y: np.ndarray, p1: np.ndarray) -> dict[str, float]:
    p1 = np.clip(p1.astype(np.float64), 0.0, 1.0)
    label = (p1 >= 0.5).astype(np.int64)
    return {
        "auc": float(roc_auc_score(y, p1)),
        "accuracy": float(accuracy_score(y, label)),
        "f1": float(f1_score(y, label, zero_division=0)),
        "log_loss": float(log_loss(y, np.column_stack([1 - p1, p1]), labels=[0, 1])),
    }
