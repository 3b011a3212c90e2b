/**
 * @jest-environment ./test/scorer/support/onnx-environment.js
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { MlflowClient } from '../../apps/scorer/src/mlflow';
import { silentLogger } from '../../apps/scorer/src/log';
import { RunManifest } from '../../apps/scorer/src/manifest';
import { OnnxModel } from '../../apps/scorer/src/model/onnx-model';
import { openInputFile } from '../../apps/scorer/src/input/read-files';
import { DecodePermit } from '../../apps/scorer/src/input/decode-permit';
import { RunKafka, executeRun } from '../../apps/scorer/src/run/execute-run';
import { LocalPipeline } from '../../apps/scorer/src/run/pipeline';
import type { OutgoingMessage } from '../../apps/scorer/src/publish/publisher';
import { REPO_ROOT, deadLetterValidator, predictionValidator, runRecordValidator } from './support/contract-validator';
import { fakeMlflowFetch } from './support/fake-mlflow';
import { folderWith } from './support/files';
import { MemoryPublisher } from './support/memory-publisher';
import { testConfig } from './support/run-config';

const PARQUET = readFileSync(path.join(REPO_ROOT, 'test/scorer/fixtures/rows.parquet'));
const GOOD_CSV = 'customer_id,tenure_months,monthly_charges,plan\n' + Array.from({ length: 250 }, (_, i) => `k${i},${i % 70},${20 + (i % 9)},${['basic', 'standard', 'premium', ''][i % 4]}`).join('\n') + '\n';
const HEADER = 'customer_id,tenure_months,monthly_charges,plan\n';
const validate = predictionValidator();
const validateDeadLetter = deadLetterValidator();
const validateRunRecord = runRecordValidator();

interface RunOptions {
  mlflow?: ReturnType<typeof fakeMlflowFetch>;
  /** Pipeline 0's publisher; the others (KAFKA_PRODUCERS > 1) get MemoryPublishers of their own, in `publishers`. */
  publisher?: MemoryPublisher;
  stop?: AbortSignal;
}

async function run(files: Record<string, string | Buffer>, env: Record<string, string> = {}, options: RunOptions = {}) {
  const config = testConfig({ INPUT_PATH: folderWith(files), SCORE_BATCH_SIZE: '64', KAFKA_PRODUCERS: '1', ...env });
  const publisher = options.publisher ?? new MemoryPublisher();
  const publishers: MemoryPublisher[] = [];
  const fenced: string[] = [];
  const mlflow = options.mlflow ?? fakeMlflowFetch();
  const kafka: RunKafka = {
    prepareTopics: async () => new Map([[config.kafka.topic, 3], [config.kafka.dlqTopic, 3], [config.kafka.runsTopic, 1]]),
    fence: async (ids) => void fenced.push(...ids),
    pipeline: (data, rejectedRows, onProgress) => {
      const own = data.identity.index === 0 ? publisher : new MemoryPublisher();
      publishers[data.identity.index] = own;
      return new LocalPipeline({
        identity: data.identity,
        schema: data.model.featureSchema,
        loadModel: () => OnnxModel.load(data.model.onnxPath, data.model.featureSchema, data.model.threads),
        publisher: own,
        rejectedRows,
        run: data.run,
        records: { run: data.run, shards: config.shards, topic: config.kafka.topic, deadLetterTopic: config.kafka.dlqTopic, runsTopic: config.kafka.runsTopic },
        batchSize: config.batchSize,
        now: () => new Date(),
        openFile: (file) => openInputFile(file, () => {
          throw new Error('no S3');
        }),
        decodePermit: new DecodePermit(data.decodePermit),
        onProgress,
      });
    },
  };
  const manifest = await executeRun({
    config,
    log: silentLogger,
    mlflow: new MlflowClient({ trackingUri: config.mlflow.trackingUri, auth: { kind: 'none' }, fetchImpl: mlflow.fetch, retries: 0 }),
    kafka,
    s3: () => {
      throw new Error('no S3');
    },
    stop: options.stop,
    cpus: 2,
  });
  const onDisk = JSON.parse(readFileSync(path.join(config.outputPath, 'manifest.json'), 'utf8')) as RunManifest;
  const rejectedFile = readFileSync(path.join(config.outputPath, 'rejected-rows.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  /** What read_committed consumers of a topic see, over every pipeline's producer. */
  const committed = (topic: string) => publishers.flatMap((p) => p.on(topic));
  return { manifest, onDisk, publisher, publishers, committed, fenced, config, rejectedFile };
}

describe('a scoring run', () => {
  it('publishes one contract-valid message per good row, keyed by entity id, and commits', async () => {
    const { manifest, publisher } = await run({ 'a.csv': GOOD_CSV, 'b.parquet': PARQUET }, { MAX_REJECTED_RATIO: '0.5' });
    const predictions = publisher.on('predictions');
    expect(manifest.error).toBeUndefined();
    expect(manifest.status).toBe('succeeded');
    expect(predictions).toHaveLength(253);
    expect(new Set(predictions.map((m) => m.key)).size).toBe(253);
    for (const message of predictions) {
      const value = JSON.parse(message.value);
      expect(validate(value)).toEqual([]);
      expect(value.entity_id).toBe(message.key);
      expect(value.model).toEqual({ name: 'churn', version: '4' });
      expect(message.headers).toMatchObject({ 'model-version': '4', 'run-id': 'run-1', 'schema-version': value.schema_version });
    }
  });

  it('reconciles rows read with rows published and rejected, per file and in total', async () => {
    const { manifest, onDisk, publisher } = await run({ 'a.csv': GOOD_CSV, 'b.parquet': PARQUET }, { MAX_REJECTED_RATIO: '0.5' });
    expect(onDisk).toEqual(manifest);
    expect(manifest.counts).toEqual({ read: 255, scored: 253, rejected: 2, published: 253, deadLettered: 2 });
    expect(manifest.counts.read).toBe(manifest.counts.published + manifest.counts.rejected);
    expect(manifest.input.files.map((f) => [path.basename(f.source), f.rowsRead, f.rowsRejected])).toEqual([['a.csv', 250, 0], ['b.parquet', 5, 2]]);
    expect(publisher.on('predictions.dlq')).toHaveLength(2);
  });

  it('sends each bad row to the dead-letter topic and the rejected rows file with its source, row number and reason', async () => {
    const { publisher, rejectedFile } = await run({ 'b.parquet': PARQUET }, { MAX_REJECTED_RATIO: '0.5' });
    const deadLetters = publisher.on('predictions.dlq').map((m) => JSON.parse(m.value));
    expect(deadLetters).toEqual(rejectedFile);
    expect(deadLetters.map((d) => [path.basename(d.source.uri), d.source.row, d.entity_id, d.reason])).toEqual([
      ['b.parquet', 4, 'c4', 'missing value for non-nullable feature "monthly_charges"'],
      ['b.parquet', 5, 'c5', 'feature "plan" has unknown category "gold" (known: basic, standard, premium)'],
    ]);
    expect(deadLetters[0].record).toEqual({ customer_id: 'c4', tenure_months: '40', monthly_charges: null, plan: 'standard' });
  });

  it('fails and publishes nothing when the rejected share is above the limit', async () => {
    const { manifest, publisher } = await run({ 'b.parquet': PARQUET }, { MAX_REJECTED_RATIO: '0.1' });
    expect(manifest.status).toBe('failed');
    expect(manifest.error).toMatchObject({ code: 'TOO_MANY_REJECTED', retryable: false });
    expect(manifest.error?.message).toMatch(/2 of 5 rows rejected \(40\.00%\)/);
    expect(publisher.aborted).toBe(true);
    expect(publisher.committed).toEqual([]);
    expect(manifest.counts.published).toBe(0);
  });

  it('names a truncated Parquet file and a broken CSV, still accounts for the good file, and publishes nothing', async () => {
    const { manifest, publisher } = await run({
      'good.csv': GOOD_CSV,
      'cut.parquet': PARQUET.subarray(0, 200),
      'quote.csv': 'customer_id,tenure_months,monthly_charges,plan\nq1,1,2,basic\nq2,"1,2,basic\n',
    });
    expect(manifest.status).toBe('failed');
    expect(manifest.error?.code).toBe('INPUT_FILES_UNREADABLE');
    expect(manifest.error?.message).toMatch(/2 input file\(s\).*cut\.parquet.*quote\.csv/);
    const byFile = Object.fromEntries(manifest.input.files.map((f) => [path.basename(f.source), f]));
    expect(byFile['good.csv']).toEqual(expect.objectContaining({ rowsRead: 250, rowsRejected: 0 }));
    expect(byFile['good.csv'].error).toBeUndefined();
    expect(byFile['cut.parquet'].error).toMatch(/not a readable Parquet file/);
    expect(byFile['quote.csv'].error).toMatch(/after data row 1/);
    expect(manifest.counts.read).toBe(manifest.counts.scored + manifest.counts.rejected);
    expect(publisher.committed).toEqual([]);
  });

  it('fails clearly without starting the publisher when the alias does not exist', async () => {
    const { manifest, publisher } = await run({ 'a.csv': GOOD_CSV }, { MODEL_ALIAS: 'missing' });
    expect(manifest.status).toBe('failed');
    expect(manifest.error).toMatchObject({ code: 'MLFLOW_NOT_FOUND', retryable: false });
    expect(manifest.error?.message).toMatch(/alias missing not found/);
    expect(publisher.started).toBe(false);
  });

  it('fails as retryable without starting the publisher when MLflow is down', async () => {
    const { manifest, publisher } = await run({ 'a.csv': GOOD_CSV }, {}, { mlflow: fakeMlflowFetch({ failWith: 503 }) });
    expect(manifest.error).toMatchObject({ code: 'MLFLOW_FAILED', retryable: true });
    expect(publisher.started).toBe(false);
  });

  it('reads gzip-compressed CSV like plain CSV', async () => {
    const { manifest, publisher } = await run({ 'a.csv.gz': gzipSync(GOOD_CSV) });
    expect(manifest.status).toBe('succeeded');
    expect(publisher.on('predictions')).toHaveLength(250);
  });

  it('fails before publishing anything when a listed file is not one it reads, naming it in the manifest', async () => {
    const { manifest, publisher } = await run({ 'a.csv': GOOD_CSV, 'b.csv.zst': 'x', 'c.parquet.gz': gzipSync(PARQUET), _SUCCESS: '' });
    expect(manifest.status).toBe('failed');
    expect(manifest.error).toMatchObject({ code: 'INPUT_FILES_UNSUPPORTED', retryable: false });
    expect(manifest.error?.message).toMatch(/2 input file\(s\) cannot be read: .*b\.csv\.zst \(unsupported file type.*c\.parquet\.gz \(gzip-compressed Parquet/);
    expect(manifest.input.files.map((f) => [path.basename(f.source), f.error !== undefined])).toEqual([['a.csv', false], ['b.csv.zst', true], ['c.parquet.gz', true]]);
    expect(manifest.input.ignoredFiles.map((f) => path.basename(f))).toEqual(['_SUCCESS']);
    expect(publisher.started).toBe(false);
  });

  it.each([
    ['an empty folder', {}, /holds no data files/],
    ['a 0-byte file', { 'a.csv': '' }, /holds only empty files \(1\)/],
  ])('fails %s by default before connecting to Kafka', async (_, files, message) => {
    const { manifest, publisher } = await run(files);
    expect(manifest.status).toBe('failed');
    expect(manifest.error).toMatchObject({ code: 'INPUT_EMPTY', retryable: false });
    expect(manifest.error?.message).toMatch(message);
    expect(manifest.error?.message).toMatch(/upstream export failed \(set MIN_ROWS=0/);
    expect(publisher.started).toBe(false);
  });

  it('fails a header-only file by default, and commits nothing', async () => {
    const { manifest, publisher } = await run({ 'a.csv': HEADER, 'b.jsonl': '\n' });
    expect(manifest.error).toMatchObject({ code: 'INPUT_EMPTY' });
    expect(manifest.error?.message).toMatch(/has 0 data row\(s\) in 2 file\(s\), fewer than MIN_ROWS 1/);
    expect(publisher.aborted).toBe(true);
    expect(publisher.committed).toEqual([]);
  });

  it('lets MIN_ROWS=0 allow an empty batch, and MIN_ROWS above the rows read fail it', async () => {
    const allowed = await run({ 'a.csv': HEADER }, { MIN_ROWS: '0' });
    expect(allowed.manifest.status).toBe('succeeded');
    expect(allowed.manifest.counts).toEqual({ read: 0, scored: 0, rejected: 0, published: 0, deadLettered: 0 });
    const tooFew = await run({ 'a.csv': GOOD_CSV }, { MIN_ROWS: '251' });
    expect(tooFew.manifest.error).toMatchObject({ code: 'TOO_FEW_ROWS' });
    expect(tooFew.manifest.error?.message).toMatch(/has 250 data row\(s\) in 1 file\(s\), fewer than MIN_ROWS 251/);
  });

  it('rejects a row whose entity id is not UTF-8 and publishes no altered id', async () => {
    const bad = Buffer.concat([Buffer.from(`${HEADER}ok1,1,2,basic\nC`), Buffer.from([0xff]), Buffer.from('2,1,2,basic\n')]);
    const { manifest, publisher, rejectedFile } = await run({ 'a.csv': bad }, { MAX_REJECTED_RATIO: '0.5' });
    expect(manifest.counts).toMatchObject({ read: 2, scored: 1, rejected: 1 });
    expect(publisher.on('predictions').map((m) => m.key)).toEqual(['ok1']);
    const [deadLetter] = publisher.on('predictions.dlq');
    expect(deadLetter.key).toBeNull();
    expect(JSON.parse(deadLetter.value)).toMatchObject({ source: { row: 2 }, entity_id: null, record: null, raw: null, reason: expect.stringMatching(/invalid UTF-8 in column "customer_id"/) });
    expect(rejectedFile).toHaveLength(1);
  });

  it('publishes the good rows around a 10 MiB bad row, with at most 8 KiB of it on the dead-letter topic and all of it in the file', async () => {
    const huge = 'x'.repeat(10 * 1024 * 1024);
    const csv = HEADER + Array.from({ length: 999 }, (_, i) => `k${i},${i % 70},20,basic`).join('\n') + `\nbig,${huge},20,basic\n`;
    const { manifest, publisher, rejectedFile } = await run({ 'a.csv': csv }, { MAX_REJECTED_RATIO: '0.01' });
    expect(manifest.status).toBe('succeeded');
    expect(manifest.counts).toEqual({ read: 1000, scored: 999, rejected: 1, published: 999, deadLettered: 1 });
    const [deadLetter] = publisher.on('predictions.dlq');
    expect(Buffer.byteLength(deadLetter.value)).toBeLessThan(12 * 1024);
    const value = JSON.parse(deadLetter.value);
    expect(value).toMatchObject({ entity_id: 'big', record: null, truncated: true, source: { row: 1000 } });
    expect(validateDeadLetter(value)).toEqual([]);
    expect(rejectedFile[0]).toMatchObject({ entity_id: 'big', record: { tenure_months: huge }, raw: null, truncated: false });
  }, 60_000);

  it('rejects a good row whose prediction would exceed the broker\'s message size, and publishes the others', async () => {
    const longId = 'L'.repeat(600_000);
    const { manifest, publisher, rejectedFile } = await run({ 'a.csv': `${GOOD_CSV}${longId},1,20,basic\n` }, { MAX_REJECTED_RATIO: '0.01' });
    expect(manifest.status).toBe('succeeded');
    expect(manifest.counts).toMatchObject({ read: 251, scored: 250, rejected: 1, published: 250 });
    expect(rejectedFile[0].reason).toMatch(/entity id is 600000 bytes long: its prediction message would be about \d+ bytes, above the 1000000-byte message limit/);
    const deadLetter = JSON.parse(publisher.on('predictions.dlq')[0].value);
    expect(deadLetter).toMatchObject({ entity_id: null, truncated: true });
    expect(validateDeadLetter(deadLetter)).toEqual([]);
  });

  it('stops on a stop request: aborts, commits nothing and writes a stopped manifest whose counts reconcile', async () => {
    const stop = new AbortController();
    const publisher = new StoppingPublisher(() => stop.abort('SIGTERM'), 3);
    const { manifest, onDisk } = await run({ 'a.csv': GOOD_CSV, 'b.csv': GOOD_CSV.replace(/\nk/g, '\nm') }, {}, { publisher, stop: stop.signal });
    expect(onDisk).toEqual(manifest);
    expect(manifest.status).toBe('stopped');
    expect(manifest.error).toEqual({ code: 'STOPPED', message: 'stopped by SIGTERM', retryable: true });
    expect(publisher.aborted).toBe(true);
    expect(publisher.committed).toEqual([]);
    expect(manifest.counts.published).toBe(0);
    expect(manifest.counts.read).toBeGreaterThan(0);
    expect(manifest.counts.read).toBeLessThan(500);
    expect(manifest.counts.read).toBe(manifest.counts.scored + manifest.counts.rejected);
    expect(manifest.input.files.reduce((sum, f) => sum + f.rowsRead, 0)).toBe(manifest.counts.read);
  });

  it('stops at once even while a send hangs', async () => {
    const stop = new AbortController();
    const publisher = new StoppingPublisher(() => stop.abort('SIGINT'), 1, { hang: true });
    const started = Date.now();
    const { manifest } = await run({ 'a.csv': GOOD_CSV }, {}, { publisher, stop: stop.signal });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(manifest).toMatchObject({ status: 'stopped', error: { message: 'stopped by SIGINT' } });
    expect(publisher.aborted).toBe(true);
  });
});

describe('a scoring run with several pipelines', () => {
  const three = { 'a.csv': GOOD_CSV, 'b.csv': GOOD_CSV.replace(/\nk/g, '\nm'), 'c.parquet': PARQUET };

  it('hands the files out, each pipeline commits its own transaction (<base>.<k>) ending in its end-of-run record, then the shard record follows', async () => {
    const { manifest, publishers, committed, fenced, config } = await run(three, { KAFKA_PRODUCERS: '2', MAX_REJECTED_RATIO: '0.5' });
    expect(manifest.status).toBe('succeeded');
    expect(publishers).toHaveLength(2);
    const base = config.kafka.transactionalId!;
    expect(manifest.kafka.producers.map((p) => [p.transactionalId, p.committed])).toEqual([[`${base}.0`, true], [`${base}.1`, true]]);
    // Every pipeline scored something, and together every good row once.
    for (const p of publishers) expect(p.on('predictions').length).toBeGreaterThan(0);
    expect(committed('predictions')).toHaveLength(503);
    expect(new Set(committed('predictions').map((m) => m.key)).size).toBe(503);
    expect(manifest.counts).toMatchObject({ read: 505, published: 503, deadLettered: 2 });

    const records = (p: MemoryPublisher) => p.on('predictions.runs').map((m) => JSON.parse(m.value));
    // Each producer's record is the last message of its (first) transaction, and counts what that transaction holds.
    for (const [k, p] of publishers.entries()) {
      const [own] = records(p);
      expect(own).toMatchObject({ kind: 'producer-committed', producer: { index: k, count: 2, transactional_id: `${base}.${k}` }, run: { id: 'run-1', shard: '0' } });
      expect(own.predictions.messages).toBe(p.on('predictions').length);
      expect(own.dead_letters.messages).toBe(p.on('predictions.dlq').length);
      expect(own.predictions.partitions).toEqual(p.stats().byPartition.predictions);
      expect(validateRunRecord(own)).toEqual([]);
    }
    // The shard record: pipeline 0, a transaction of its own after both commits, totals matching what consumers see.
    expect(publishers[0].commits).toBe(2);
    const shard = records(publishers[0])[1];
    expect(shard).toMatchObject({
      kind: 'shard-committed',
      rows: { read: 505, scored: 503, rejected: 2 },
      predictions: { topic: 'predictions', messages: 503 },
      dead_letters: { topic: 'predictions.dlq', messages: 2 },
    });
    expect(shard.producers.map((p: { transactional_id: string }) => p.transactional_id)).toEqual([`${base}.0`, `${base}.1`]);
    expect(validateRunRecord(shard)).toEqual([]);
    // The ids this run does not use, up to the bound, are fenced (and the single id of scorers before sub-producers).
    expect(fenced).toEqual([base, ...Array.from({ length: 14 }, (_, i) => `${base}.${i + 2}`)]);
  });

  it('runs no more pipelines than there are files, and fences the ids of the rest', async () => {
    const { manifest, fenced, config } = await run({ 'a.csv': GOOD_CSV }, { KAFKA_PRODUCERS: '4' });
    expect(manifest.kafka.producers).toHaveLength(1);
    expect(fenced).toContain(`${config.kafka.transactionalId}.1`);
    expect(fenced).not.toContain(`${config.kafka.transactionalId}.0`);
  });

  it('fails when one producer cannot commit, says which did, and publishes no shard record', async () => {
    const failing = new (class extends MemoryPublisher {
      async commit(): Promise<never> {
        throw new Error('broker gone');
      }
    })();
    const { manifest, publishers } = await run(three, { KAFKA_PRODUCERS: '2', MAX_REJECTED_RATIO: '0.5' }, { publisher: failing });
    expect(manifest.status).toBe('failed');
    expect(manifest.error).toMatchObject({ code: 'COMMIT_INCOMPLETE', retryable: true });
    expect(manifest.error?.message).toMatch(/1 of 2 producers committed \(.*\.1\)/);
    expect(manifest.kafka.producers.map((p) => p.committed)).toEqual([false, true]);
    expect(manifest.counts.published).toBe(publishers[1].on('predictions').length);
    expect(publishers.flatMap((p) => p.on('predictions.runs')).map((m) => JSON.parse(m.value).kind)).toEqual(['producer-committed']);
  });

  it('commits nothing when a pipeline fails mid-run: every transaction is aborted', async () => {
    const failing = new (class extends MemoryPublisher {
      async publish(): Promise<never> {
        throw new Error('producing failed');
      }
    })();
    const { manifest, publishers } = await run(three, { KAFKA_PRODUCERS: '2' }, { publisher: failing });
    expect(manifest.status).toBe('failed');
    expect(publishers.every((p) => p.aborted && p.committed.length === 0)).toBe(true);
    expect(manifest.counts.published).toBe(0);
  });
});

/** Requests a stop during its n-th publish call; with `hang`, that call never settles (a send stuck on retries). */
class StoppingPublisher extends MemoryPublisher {
  private calls = 0;
  constructor(
    private readonly requestStop: () => void,
    private readonly atCall: number,
    private readonly options: { hang?: boolean } = {},
  ) {
    super();
  }
  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (++this.calls === this.atCall) {
      this.requestStop();
      if (this.options.hang) return new Promise<void>(() => undefined);
    }
    return super.publish(topic, messages);
  }
}
