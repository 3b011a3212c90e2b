"""Generator throughput: `python -m trainer.data.bench [--rows N]` prints rows/s for CSV and Parquet."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from .generator import GenerateOptions, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    for fmt in ("csv", "parquet"):
        with tempfile.TemporaryDirectory() as tmp:
            result = generate(GenerateOptions(rows=args.rows, out=Path(tmp), fmt=fmt, seed=args.seed))
            size = sum(p.stat().st_size for p in Path(tmp).iterdir())
        print(f"{fmt:8s} {args.rows:>10d} rows  {result.seconds:6.2f} s  {args.rows / result.seconds:>10.0f} rows/s  {size / 1e6:7.1f} MB")


if __name__ == "__main__":
    main()
