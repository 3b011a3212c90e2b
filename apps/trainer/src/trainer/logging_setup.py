"""Progress logs go to stdout (SageMaker and the local runner collect it); one format for every entrypoint."""

import logging
import sys


class _StdoutHandler(logging.StreamHandler):
    """Marks our handler so that calling configure_logging again (tests run several steps) replaces only it."""


def configure_logging() -> None:
    handler = _StdoutHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not isinstance(h, _StdoutHandler)] + [handler]
    root.setLevel(logging.INFO)
    # MLflow and urllib3 are chatty at INFO; their warnings still show.
    for noisy in ("mlflow", "urllib3", "alembic", "botocore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
