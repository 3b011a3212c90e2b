"""Command line: `train` (SageMaker's convention) and `python -m trainer train|evaluate|register|generate-data`.

Defaults are SageMaker's container paths; every path has a flag for local runs. Environment variables are read
here once (settings_from_env) and passed down. Exit codes: 0 ok, 1 unexpected error, 2 bad input or config
(retrying will not help), 3 a dependency (MLflow) unavailable (a retry may help). On any failure the reason is
written to the failure file: /opt/ml/output/failure for training (SageMaker shows it as the job's FailureReason),
/opt/ml/output/message for the processing steps (shown as the processing job's ExitMessage).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Callable, Sequence

from .errors import TrainerError
from .logging_setup import configure_logging

log = logging.getLogger("trainer")

# Where SageMaker looks for a container's reason to fail: a training job's FailureReason comes from
# /opt/ml/output/failure, a processing job's ExitMessage from /opt/ml/output/message.
FAILURE_FILE = "/opt/ml/output/failure"
MESSAGE_FILE = "/opt/ml/output/message"
EXIT_UNEXPECTED, EXIT_INPUT, EXIT_RETRYABLE = 1, 2, 3


def _write_failure(path: str | None, message: str) -> None:
    if not path:
        return
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(message + "\n")
    except OSError as exc:
        # The original failure matters more; say that the file could not be written and go on exiting non-zero.
        log.error("could not write failure file %s: %s", path, exc)


def run_step(step: Callable[[], object], failure_file: str | None) -> int:
    try:
        step()
        return 0
    except TrainerError as exc:
        message = f"{exc.kind}: {exc} (retryable: {'yes' if exc.retryable else 'no'})"
        log.error("%s", message)
        _write_failure(failure_file, message)
        return EXIT_RETRYABLE if exc.retryable else EXIT_INPUT
    except Exception as exc:  # a bug: still leave a reason for the operator
        log.error("unexpected error: %s\n%s", exc, traceback.format_exc())
        _write_failure(failure_file, f"unexpected: {type(exc).__name__}: {exc}")
        return EXIT_UNEXPECTED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m trainer", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="fit, export ONNX, log to MLflow, write the model folder")
    _train_args(train)

    evaluate = sub.add_parser("evaluate", help="holdout metrics vs the model holding COMPARE_ALIAS -> evaluation.json")
    evaluate.add_argument("--model-dir", type=Path, default=Path("/opt/ml/processing/model"))
    evaluate.add_argument("--test-dir", type=Path, default=Path("/opt/ml/processing/test"))
    evaluate.add_argument("--evaluation-dir", type=Path, default=Path("/opt/ml/processing/evaluation"))
    evaluate.add_argument("--failure-file", default=MESSAGE_FILE)

    register = sub.add_parser("register", help="register the model version; move TARGET_ALIAS if the gate passed")
    register.add_argument("--model-dir", type=Path, default=Path("/opt/ml/processing/model"))
    register.add_argument("--evaluation", type=Path, default=Path("/opt/ml/processing/evaluation/evaluation.json"))
    register.add_argument("--output-dir", type=Path, default=Path("/opt/ml/processing/output"))
    register.add_argument("--failure-file", default=MESSAGE_FILE)

    gen = sub.add_parser("generate-data", help="write a synthetic churn data set (see trainer/data/generator.py)")
    gen.add_argument("--rows", type=int, required=True)
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--format", choices=["csv", "parquet"], default="csv")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--files", type=int, default=1)
    gen.add_argument("--bad-rows", type=int, default=0, help="rows spoiled for dead-letter tests (odd: unknown plan, even: non-numeric monthly_charges)")
    gen.add_argument("--no-target", action="store_true", help="omit the churned column (a scoring batch)")
    gen.add_argument(
        "--label-noise", type=float, default=0.0,
        help="share of rows (0-1) whose label is a coin flip; 1 gives labels without signal (AUC about 0.5)",
    )
    gen.add_argument("--overwrite", action="store_true", help="replace data files already in --out")
    gen.add_argument("--manifest", type=Path, help="also write a JSON summary (files, bad rows with their ids)")
    gen.add_argument("--failure-file", default=None)
    return parser


def _train_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--train-dir", type=Path, default=Path("/opt/ml/input/data/train"))
    parser.add_argument("--hyperparameters", type=Path, default=Path("/opt/ml/input/config/hyperparameters.json"))
    parser.add_argument("--model-dir", type=Path, default=Path("/opt/ml/model"))
    parser.add_argument("--failure-file", default=FAILURE_FILE)


def _dispatch(args: argparse.Namespace) -> int:
    # Imported late so that `--help` and generate-data do not pay for MLflow / scikit-learn imports.
    from .settings import settings_from_env

    def step() -> object:
        if args.command == "generate-data":
            from .data.generator import GenerateOptions, generate, write_manifest

            result = generate(
                GenerateOptions(
                    rows=args.rows, out=args.out, fmt=args.format, seed=args.seed, files=args.files,
                    bad_rows=args.bad_rows, with_target=not args.no_target, overwrite=args.overwrite,
                    label_noise=args.label_noise,
                )
            )
            if args.manifest:
                write_manifest(result, args.manifest)
            return result
        settings = settings_from_env(os.environ)
        if args.command == "train":
            from .steps.train import TrainPaths, run_train

            return run_train(TrainPaths(args.train_dir, args.hyperparameters, args.model_dir), settings)
        if args.command == "evaluate":
            from .steps.evaluate import EvaluatePaths, run_evaluate

            return run_evaluate(EvaluatePaths(args.model_dir, args.test_dir, args.evaluation_dir), settings)
        from .steps.register import RegisterPaths, run_register

        result = run_register(RegisterPaths(args.model_dir, args.evaluation, args.output_dir), settings)
        print(json.dumps(result))
        return result

    return run_step(step, args.failure_file)


def main(argv: Sequence[str] | None = None) -> int:
    configure_logging()
    return _dispatch(_parser().parse_args(argv))


def train_main() -> None:
    """The `train` executable. SageMaker runs it as `train` with no arguments; flags are for local runs."""
    configure_logging()
    parser = argparse.ArgumentParser(prog="train", description="Train step (SageMaker training-container convention)")
    _train_args(parser)
    args = parser.parse_args(sys.argv[1:] if sys.argv[1:2] != ["train"] else sys.argv[2:])
    args.command = "train"
    sys.exit(_dispatch(args))
