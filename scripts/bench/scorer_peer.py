"""The benchmark's Python peer: the batch scorer as a Python team would write it, the classic design.

pyarrow reads the input in record batches (CSV or Parquet), numpy encodes the features as the trainer does
(numbers as float32, categories as their index, missing as NaN), onnxruntime scores, and confluent-kafka (librdkafka)
publishes one message per row, idempotent, acks=all, in one transaction, with the same value bytes, key and headers as
the TypeScript scorer. Validation is the vectorised kind (no per-row rejection reasons): the bench's data has no bad
rows. Prints one JSON line: rows, seconds (from loading the model to the commit), rows_per_second.

Used only by `npm run bench:scorer` (scripts/bench/scorer.ts); its dependencies are in requirements-dev.txt.
"""

import argparse
import datetime as dt
import json
import pathlib
import time

import numpy as np
import onnxruntime as ort
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from confluent_kafka import KafkaException, Producer


def batches(folder: pathlib.Path, fmt: str, columns: list[str]):
    for path in sorted(folder.glob(f"*.{fmt}")):
        if fmt == "parquet":
            yield from pq.ParquetFile(path).iter_batches(batch_size=65536, columns=columns)
        else:
            # Every column as text, as the TypeScript scorer reads CSV; the encoding below parses numbers.
            options = pacsv.ConvertOptions(include_columns=columns, column_types={c: pa.string() for c in columns})
            yield from pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 22), convert_options=options)


def encode(batch: pa.RecordBatch, schema: dict) -> np.ndarray:
    out = np.empty((batch.num_rows, len(schema["features"])), dtype=np.float32)
    for i, feature in enumerate(schema["features"]):
        column = batch.column(feature["name"])
        if feature["type"] == "number":
            if pa.types.is_string(column.type):
                column = pc.cast(pc.if_else(pc.equal(pc.utf8_trim_whitespace(column), ""), None, column), pa.float64())
            out[:, i] = column.to_numpy(zero_copy_only=False).astype(np.float32)
        else:
            index = pc.index_in(column, value_set=pa.array(feature["categories"]))
            out[:, i] = pc.fill_null(pc.cast(index, pa.float64()), np.nan).to_numpy()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for flag in ("input", "format", "model", "schema", "brokers", "topic", "run-id", "run-date", "model-name", "model-version"):
        parser.add_argument(f"--{flag}", required=True)
    parser.add_argument("--shard", default="0")
    parser.add_argument("--compression", default="none")
    args = parser.parse_args()

    schema = json.loads(pathlib.Path(args.schema).read_text())
    entity = schema["entity_id"]
    columns = [entity] + [f["name"] for f in schema["features"]]
    labels = schema["class_labels"]
    label_json = [json.dumps(label) for label in labels]
    keys = [json.dumps(str(label)) for label in labels]
    head = '{"schema_version":"1.2","entity_id":'
    tail = (',"model":' + json.dumps({"name": args.model_name, "version": args.model_version}, separators=(",", ":"))
            + ',"run":' + json.dumps({"id": args.run_id, "date": args.run_date, "shard": args.shard}, separators=(",", ":"))
            + ',"scored_at":"')
    headers = [("schema-version", b"1.2"), ("model-name", args.model_name.encode()),
               ("model-version", args.model_version.encode()), ("run-id", args.run_id.encode())]

    started = time.perf_counter()
    session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    producer = Producer({
        "bootstrap.servers": args.brokers,
        "transactional.id": f"bench-python-peer.{args.topic}",
        "enable.idempotence": True,
        "acks": "all",
        "compression.type": args.compression,
        "linger.ms": 5,
    })
    producer.init_transactions()
    producer.begin_transaction()
    rows = 0
    for batch in batches(pathlib.Path(args.input), args.format, columns):
        features = encode(batch, schema)
        label, probabilities = session.run([schema["outputs"]["label"], schema["outputs"]["probabilities"]], {schema["input_name"]: features})
        index = np.searchsorted(np.array(labels), label)
        scored_at = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + 'Z"}'
        rounded = np.round(probabilities.astype(np.float64), 6).tolist()
        ids = batch.column(entity).to_pylist()
        for r, entity_id in enumerate(ids):
            p = rounded[r]
            c = int(index[r])
            value = (head + json.dumps(entity_id) + ',"prediction":{"label":' + label_json[c] + ',"score":' + repr(p[c])
                     + ',"probabilities":{' + ",".join(keys[k] + ":" + repr(p[k]) for k in range(len(labels))) + "}}"
                     + tail + scored_at)
            while True:
                try:
                    producer.produce(args.topic, value=value, key=entity_id, headers=headers)
                    break
                except BufferError:
                    producer.poll(0.05)
            producer.poll(0)
        rows += len(ids)
    remaining = producer.flush(120)
    if remaining:
        raise KafkaException(f"{remaining} messages still unsent after flushing")
    producer.commit_transaction()
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": rows, "seconds": round(seconds, 3), "rows_per_second": round(rows / seconds)}))


if __name__ == "__main__":
    main()
