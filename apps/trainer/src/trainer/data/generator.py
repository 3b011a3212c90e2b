"""Deterministic synthetic customer-churn table, any size, written chunk by chunk.

Row i is a function of (seed, i // CHUNK_ROWS) only, so the data is the same for a seed whatever --files is,
and memory stays at one chunk (CHUNK_ROWS rows) whatever --rows is.

The known signal: churn is more likely on month-to-month contracts, short tenure, many support tickets, high
monthly charges, long since the last login, invoice payment and few products; less likely on premium plans.

Bad rows (--bad-rows R, for the scorer's dead-letter tests): R distinct rows, chosen by the seed, are spoiled;
the k-th of them (in row order) gets, for even k, `monthly_charges` = "not-a-number" (a non-numeric number),
and for odd k, `plan` = "platinum" (an unknown category). Everything else in those rows stays valid. With
R > 0, `monthly_charges` is stored as text in every file (Parquet: a string column; CSV: unchanged digits).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import ConfigError
from ..schema import ENTITY_ID, TARGET

log = logging.getLogger(__name__)

CHUNK_ROWS = 100_000
BAD_NUMBER = ("monthly_charges", "not-a-number")
BAD_CATEGORY = ("plan", "platinum")
FORMATS = ("csv", "parquet")

PLANS = np.array(["basic", "standard", "premium"], dtype=object)
CONTRACTS = np.array(["month-to-month", "one-year", "two-year"], dtype=object)
PAYMENTS = np.array(["card", "bank-transfer", "paypal", "invoice"], dtype=object)
REGIONS = np.array(["north", "south", "east", "west"], dtype=object)


@dataclass(frozen=True)
class GenerateOptions:
    rows: int
    out: Path
    fmt: str = "csv"
    seed: int = 42
    files: int = 1
    bad_rows: int = 0
    with_target: bool = True
    overwrite: bool = False
    # Share of rows whose label is a coin flip instead of the churn model's draw: 1.0 gives labels that carry no
    # signal at all (holdout AUC about 0.5), e.g. to see a quality gate refuse a model.
    label_noise: float = 0.0

    def validate(self) -> None:
        if self.rows < 1:
            raise ConfigError(f"--rows must be at least 1, got {self.rows}")
        if self.fmt not in FORMATS:
            raise ConfigError(f"--format must be one of {FORMATS}, got {self.fmt!r}")
        if not 1 <= self.files <= self.rows:
            raise ConfigError(f"--files must be between 1 and --rows ({self.rows}), got {self.files}")
        if not 0 <= self.bad_rows <= self.rows:
            raise ConfigError(f"--bad-rows must be between 0 and --rows ({self.rows}), got {self.bad_rows}")
        if not 0.0 <= self.label_noise <= 1.0:
            raise ConfigError(f"--label-noise must be between 0 and 1, got {self.label_noise}")


@dataclass
class GenerateResult:
    rows: int
    files: list[str]
    bad_rows: list[dict[str, object]] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {"rows": self.rows, "files": self.files, "bad_rows": self.bad_rows, "seconds": round(self.seconds, 3)}


def customer_id(row: int) -> str:
    return f"C{row:010d}"


def _chunk_columns(seed: int, chunk: int, n: int, first_row: int, label_noise: float = 0.0) -> dict[str, np.ndarray]:
    """One chunk of clean data as numpy arrays; NaN / None mark missing values."""
    rng = np.random.default_rng([seed, chunk])
    tenure = rng.integers(0, 73, n)
    contract = rng.choice(3, n, p=[0.55, 0.25, 0.20])
    plan = rng.choice(3, n, p=[0.45, 0.35, 0.20])
    payment = rng.choice(4, n, p=[0.40, 0.25, 0.20, 0.15])
    region = rng.integers(0, 4, n)
    monthly = np.clip(np.array([35.0, 65.0, 95.0])[plan] + rng.normal(0, 8, n), 10, 150).round(2)
    total = (tenure * monthly * (1 + rng.normal(0, 0.03, n))).round(2)
    products = rng.integers(1, 6, n)
    tickets = rng.poisson(1.0, n)
    session = rng.gamma(2.0, 12.0, n).round(1)
    days = np.minimum(rng.geometric(0.08, n) - 1, 365)

    logit = (
        -1.3
        + 2.0 * (contract == 0)
        - 1.0 * (contract == 2)
        - 0.05 * tenure
        + 0.6 * tickets
        + 0.025 * (monthly - 65)
        + 0.05 * np.minimum(days, 60)
        - 0.35 * products
        + 0.8 * (payment == 3)
        - 0.5 * (plan == 2)
    )
    churned = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    if label_noise > 0:
        # Its own generator, so the features (and the labels without noise) stay those of the same seed.
        noise = np.random.default_rng([seed, chunk, 1])
        churned = np.where(noise.random(n) < label_noise, noise.integers(0, 2, n), churned).astype(np.int8)

    # Missing values, drawn after the target so that the signal does not depend on them.
    total = np.where((tenure == 0) | (rng.random(n) < 0.02), np.nan, total)
    session = np.where(rng.random(n) < 0.08, np.nan, session)
    days_missing = rng.random(n) < 0.04
    region_missing = rng.random(n) < 0.03
    return {
        ENTITY_ID: np.array([customer_id(first_row + i) for i in range(n)], dtype=object),
        "tenure_months": tenure,
        "monthly_charges": monthly,
        "total_charges": total,
        "num_products": products,
        "support_tickets_90d": tickets,
        "avg_session_minutes": session,
        "days_since_last_login": np.ma.masked_array(days, mask=days_missing),
        "plan": PLANS[plan],
        "contract": CONTRACTS[contract],
        "payment_method": PAYMENTS[payment],
        "region": np.where(region_missing, None, REGIONS[region]),
        TARGET: churned,
    }


def _bad_row_positions(seed: int, rows: int, count: int) -> np.ndarray:
    """`count` distinct rows, without materialising a permutation of all rows."""
    rng = np.random.default_rng([seed, 0xBAD])
    chosen: set[int] = set()
    while len(chosen) < count:
        chosen.update(int(r) for r in rng.integers(0, rows, count - len(chosen)))
    return np.array(sorted(chosen), dtype=np.int64)


def _to_table(cols: dict[str, np.ndarray], with_target: bool, text_numbers: bool) -> pa.Table:
    arrays: dict[str, pa.Array] = {}
    for name, values in cols.items():
        if name == TARGET and not with_target:
            continue
        if isinstance(values, np.ma.MaskedArray):
            arr = pa.array(values.data, mask=values.mask)
        elif values.dtype == object:
            arr = pa.array(values, type=pa.string())
        elif values.dtype.kind == "f":
            arr = pa.array(values, from_pandas=True)  # NaN -> null, written as an empty CSV field
        else:
            arr = pa.array(values)
        if text_numbers and name == BAD_NUMBER[0] and arr.type != pa.string():
            arr = arr.cast(pa.string())
        arrays[name] = arr
    return pa.table(arrays)


def _spoil(cols: dict[str, np.ndarray], local_rows: np.ndarray, kinds: np.ndarray) -> None:
    """Replaces values in place; number columns holding a bad value become text columns for this chunk."""
    if not len(local_rows):
        return
    numbers = local_rows[kinds == 0]
    if len(numbers):
        col, value = BAD_NUMBER
        text = np.array([repr(float(v)) if not np.isnan(v) else None for v in cols[col]], dtype=object)
        text[numbers] = value
        cols[col] = text
    categories = local_rows[kinds == 1]
    if len(categories):
        col, value = BAD_CATEGORY
        cols[col] = cols[col].copy()
        cols[col][categories] = value


def _chunks(start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(chunk index, first row, last row + 1) of each piece of [start, end) cut at chunk boundaries."""
    row = start
    while row < end:
        chunk = row // CHUNK_ROWS
        stop = min(end, (chunk + 1) * CHUNK_ROWS)
        yield chunk, row, stop
        row = stop


def iter_tables(opts: GenerateOptions, start: int, end: int, bad: np.ndarray) -> Iterator[pa.Table]:
    """The rows [start, end) as Arrow tables of at most CHUNK_ROWS rows each."""
    # One column type per data set: with bad rows the spoiled number column is text everywhere.
    text_numbers = opts.bad_rows > 0
    for chunk, lo, hi in _chunks(start, end):
        first = chunk * CHUNK_ROWS
        n = min(CHUNK_ROWS, opts.rows - first)
        cols = _chunk_columns(opts.seed, chunk, n, first, opts.label_noise)
        cols = {k: v[lo - first : hi - first] for k, v in cols.items()}
        in_piece = (bad >= lo) & (bad < hi)
        _spoil(cols, bad[in_piece] - lo, np.flatnonzero(in_piece) % 2)
        yield _to_table(cols, opts.with_target, text_numbers)


def _prepare_out(opts: GenerateOptions) -> None:
    opts.out.mkdir(parents=True, exist_ok=True)
    existing = sorted(p.name for p in opts.out.iterdir() if p.suffix in (".csv", ".parquet", ".jsonl"))
    if existing and not opts.overwrite:
        raise ConfigError(
            f"--out {opts.out} already holds data files ({', '.join(existing[:3])}...): "
            "choose an empty folder or pass --overwrite"
        )
    for name in existing:
        (opts.out / name).unlink()


def generate(opts: GenerateOptions) -> GenerateResult:
    opts.validate()
    _prepare_out(opts)
    began = time.perf_counter()
    bad = _bad_row_positions(opts.seed, opts.rows, opts.bad_rows)
    result = GenerateResult(rows=opts.rows, files=[])
    for k, row in enumerate(bad):
        column, value = BAD_NUMBER if k % 2 == 0 else BAD_CATEGORY
        result.bad_rows.append({"row": int(row), ENTITY_ID: customer_id(int(row)), "column": column, "value": value})

    written = 0
    for i in range(opts.files):
        start, end = i * opts.rows // opts.files, (i + 1) * opts.rows // opts.files
        path = opts.out / f"part-{i:05d}.{opts.fmt}"
        writer: pacsv.CSVWriter | pq.ParquetWriter | None = None
        try:
            for table in iter_tables(opts, start, end, bad):
                if writer is None:
                    writer = (
                        pacsv.CSVWriter(path, table.schema, write_options=pacsv.WriteOptions(quoting_style="none"))
                        if opts.fmt == "csv"
                        else pq.ParquetWriter(path, table.schema, compression="snappy")
                    )
                writer.write_table(table)
                written += table.num_rows
                if written % (10 * CHUNK_ROWS) == 0 or written == opts.rows:
                    log.info("generated %d / %d rows", written, opts.rows)
        finally:
            if writer is not None:
                writer.close()
        result.files.append(str(path))
    result.seconds = time.perf_counter() - began
    log.info(
        "wrote %d rows in %d %s file(s) under %s in %.1fs (%.0f rows/s), %d bad row(s)",
        opts.rows, opts.files, opts.fmt, opts.out, result.seconds, opts.rows / max(result.seconds, 1e-9), len(bad),
    )
    return result


def write_manifest(result: GenerateResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_json(), indent=2) + "\n")
