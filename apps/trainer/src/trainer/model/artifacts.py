"""The model folder Train writes and Evaluate / Register read: model.onnx, feature_schema.json, run_info.json.
SageMaker hands it to later steps as model.tar.gz; both forms are accepted."""

from __future__ import annotations

import json
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ModelArtifactError

MODEL_FILE = "model.onnx"
SCHEMA_FILE = "feature_schema.json"
RUN_INFO_FILE = "run_info.json"


@dataclass(frozen=True)
class ModelBundle:
    onnx_bytes: bytes
    feature_schema: dict[str, Any]
    run_info: dict[str, Any]


def write_bundle(folder: Path, bundle: ModelBundle) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MODEL_FILE).write_bytes(bundle.onnx_bytes)
    (folder / SCHEMA_FILE).write_text(json.dumps(bundle.feature_schema, indent=2) + "\n")
    (folder / RUN_INFO_FILE).write_text(json.dumps(bundle.run_info, indent=2) + "\n")


def _read_folder(folder: Path) -> ModelBundle:
    missing = [n for n in (MODEL_FILE, SCHEMA_FILE, RUN_INFO_FILE) if not (folder / n).is_file()]
    if missing:
        raise ModelArtifactError(f"model folder {folder} lacks {missing}: pass the Train step's model output")
    try:
        return ModelBundle(
            (folder / MODEL_FILE).read_bytes(),
            json.loads((folder / SCHEMA_FILE).read_text()),
            json.loads((folder / RUN_INFO_FILE).read_text()),
        )
    except json.JSONDecodeError as exc:
        raise ModelArtifactError(f"model folder {folder} holds invalid JSON: {exc}", cause=exc) from exc


def read_bundle(folder: Path) -> ModelBundle:
    if not folder.is_dir():
        raise ModelArtifactError(f"model folder {folder} does not exist")
    tarball = folder / "model.tar.gz"
    if (folder / RUN_INFO_FILE).exists() or not tarball.exists():
        return _read_folder(folder)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with tarfile.open(tarball) as tar:
                tar.extractall(tmp, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise ModelArtifactError(f"cannot unpack {tarball}: {exc}", cause=exc) from exc
        return _read_folder(Path(tmp))
