"""Helpers shared by the trainer tests: hyperparameters for fast and deliberately weak models, and a workspace
that runs the entrypoints exactly as the container does (`python -m trainer ...` argv, exit code, failure file)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from trainer.cli import main

FAST_HYPERPARAMETERS = {"n_estimators": "30", "max_depth": "3", "learning_rate": "0.2", "random_seed": "7"}
WEAK_HYPERPARAMETERS = {"n_estimators": "1", "max_depth": "1", "learning_rate": "0.01", "random_seed": "7"}



@dataclass
class Workspace:
    """One pipeline run's folders and environment, isolated by a unique model name."""

    root: Path
    env: dict[str, str]
    train_dir: Path
    test_dir: Path

    @property
    def failure(self) -> Path:
        return self.root / "failure"

    def hyperparameters(self, values: dict[str, str], name: str = "hp.json") -> Path:
        path = self.root / name
        path.write_text(json.dumps(values))
        return path

    def train(self, model_dir: str = "model", hp: dict[str, str] | None = None, train_dir: Path | None = None) -> int:
        return main([
            "train", "--train-dir", str(train_dir or self.train_dir),
            "--hyperparameters", str(self.hyperparameters(hp or FAST_HYPERPARAMETERS, f"{model_dir}-hp.json")),
            "--model-dir", str(self.root / model_dir), "--failure-file", str(self.failure),
        ])

    def evaluate(self, model_dir: str = "model", test_dir: Path | None = None) -> int:
        return main([
            "evaluate", "--model-dir", str(self.root / model_dir), "--test-dir", str(test_dir or self.test_dir),
            "--evaluation-dir", str(self.root / model_dir / "eval"), "--failure-file", str(self.failure),
        ])

    def register(self, model_dir: str = "model") -> int:
        return main([
            "register", "--model-dir", str(self.root / model_dir),
            "--evaluation", str(self.root / model_dir / "eval" / "evaluation.json"),
            "--output-dir", str(self.root / model_dir / "out"), "--failure-file", str(self.failure),
        ])

    def evaluation(self, model_dir: str = "model") -> dict:
        return json.loads((self.root / model_dir / "eval" / "evaluation.json").read_text())

    def registration(self, model_dir: str = "model") -> dict:
        return json.loads((self.root / model_dir / "out" / "registration.json").read_text())

    def run_info(self, model_dir: str = "model") -> dict:
        return json.loads((self.root / model_dir / "run_info.json").read_text())
