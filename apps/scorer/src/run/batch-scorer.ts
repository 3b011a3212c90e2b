import {
  DeadLetterMessage,
  MAX_MESSAGE_BYTES,
  Rejection,
  RunContext,
  boundedDeadLetter,
  deadLetterMessage,
  messageHeaders,
  predictionBytesWriter,
  predictionMessage,
} from '../contract/message';
import type { InputRow } from '../input/types';
import type { RejectedRowsFile } from '../manifest/rejected-rows';
import { FeatureEncoder } from '../model/encoder';
import type { FeatureSchema } from '../model/feature-schema';
import type { OnnxModel } from '../model/onnx-model';
import type { MessageBatch, OutgoingMessage, PredictionPublisher } from '../publish/publisher';

export interface ScoreCounts {
  read: number;
  scored: number;
  rejected: number;
}

/**
 * Validates rows into a fixed float32 buffer, scores it when full and hands the messages to the publisher.
 * Holds at most one batch of rows; the publisher's backpressure paces the reading.
 *
 * A row is counted (in total and for its file) when its fate is decided: scored, or rejected and written to the
 * rejected rows file. Rows still waiting in the buffer when a run stops are not counted, so `read = scored + rejected`
 * holds at every moment, also in the manifest of a stopped or failed run.
 */
export class BatchScorer {
  readonly counts: ScoreCounts = { read: 0, scored: 0, rejected: 0 };
  /** Decided rows per source file. */
  readonly bySource = new Map<string, { read: number; rejected: number }>();
  private readonly encoder: FeatureEncoder;
  private readonly features: Float32Array;
  private readonly headers: Record<string, string>;
  private readonly predictionBytes: ReturnType<typeof predictionBytesWriter>;
  /** Bytes of a prediction message besides its entity id (which it carries twice: key and value). */
  private readonly messageOverhead: number;
  private entityIds: string[] = [];
  private sources: string[] = [];

  constructor(
    private readonly deps: {
      schema: FeatureSchema;
      model: Pick<OnnxModel, 'score'>;
      publisher: PredictionPublisher;
      rejectedRows: Pick<RejectedRowsFile, 'write'>;
      run: RunContext;
      topic: string;
      deadLetterTopic: string;
      batchSize: number;
      now: () => Date;
      maxMessageBytes?: number;
    },
  ) {
    this.encoder = new FeatureEncoder(deps.schema);
    this.features = new Float32Array(deps.batchSize * this.encoder.width);
    this.headers = messageHeaders(deps.run);
    this.predictionBytes = predictionBytesWriter(deps.run, deps.schema.class_labels);
    this.messageOverhead = predictionOverhead(deps.run, deps.schema.class_labels, this.headers);
  }

  get columns(): string[] {
    return this.encoder.columns;
  }

  /** The model's feature columns (not the entity id). */
  get featureColumns(): string[] {
    return this.encoder.featureColumns;
  }

  async add(source: string, rows: InputRow[], int64AsNumber?: ReadonlySet<string>): Promise<void> {
    const rejected: Rejection[] = [];
    for (const row of rows) {
      if (row.error !== undefined || row.values === undefined) {
        rejected.push({ source: { uri: source, row: row.row }, reason: row.error ?? 'empty row', raw: row.raw });
        continue;
      }
      const result = this.encoder.encode(row.values, this.features, this.entityIds.length);
      if (!result.ok) {
        rejected.push({ source: { uri: source, row: row.row }, reason: result.reason, entityId: result.entityId, record: row.values, int64AsNumber });
        continue;
      }
      const tooLarge = this.oversizedMessage(result.entityId);
      if (tooLarge) {
        rejected.push({ source: { uri: source, row: row.row }, reason: tooLarge, entityId: result.entityId, record: row.values, int64AsNumber });
        continue;
      }
      this.entityIds.push(result.entityId);
      this.sources.push(source);
      if (this.entityIds.length === this.deps.batchSize) await this.flush();
    }
    if (rejected.length > 0) await this.reject(source, rejected);
  }

  /** Scores what is buffered; call once more after the last rows. */
  async flush(): Promise<void> {
    const rows = this.entityIds.length;
    if (rows === 0) return;
    const ids = this.entityIds;
    const sources = this.sources;
    this.entityIds = [];
    this.sources = [];
    const predictions = await this.deps.model.score(this.features, rows);
    const scoredAt = Buffer.from(this.deps.now().toISOString());
    const writer = this.predictionBytes;
    const { labelIndex, probabilities, classes } = predictions;
    const batch: MessageBatch = {
      count: rows,
      headers: this.headers,
      key: (r) => ids[r],
      maxValueBytes: (r) => writer.maxBytes(ids[r], scoredAt),
      writeValue: (r, target, at) => writer.write(target, at, ids[r], labelIndex[r], probabilities, r * classes, scoredAt),
    };
    this.counts.read += rows;
    this.counts.scored += rows;
    for (let r = 0; r < rows; r++) {
      // Consecutive rows nearly always share a file: look the account up once per run of equal sources.
      if (r === 0 || sources[r] !== sources[r - 1]) this.account(sources[r]).read += countRun(sources, r);
    }
    await this.deps.publisher.publishBatch(this.deps.topic, batch);
  }

  /** The complete rejections go to the file, bounded copies to the dead-letter topic. */
  private async reject(source: string, rejections: Rejection[]): Promise<void> {
    const at = this.deps.now().toISOString();
    const full = rejections.map((r) => deadLetterMessage(this.deps.run, r, at));
    await this.deps.rejectedRows.write(full);
    this.counts.read += full.length;
    this.counts.rejected += full.length;
    const account = this.account(source);
    account.read += full.length;
    account.rejected += full.length;
    await this.deps.publisher.publish(this.deps.deadLetterTopic, full.map((m) => this.deadLetterRecord(boundedDeadLetter(m))));
  }

  private deadLetterRecord(message: DeadLetterMessage): OutgoingMessage {
    return { key: message.entity_id, value: JSON.stringify(message), headers: this.headers };
  }

  private account(source: string): { read: number; rejected: number } {
    let account = this.bySource.get(source);
    if (!account) this.bySource.set(source, (account = { read: 0, rejected: 0 }));
    return account;
  }

  /** Why a row's prediction could not be published (bigger than the broker takes), or undefined when it fits. */
  private oversizedMessage(entityId: string): string | undefined {
    const limit = this.deps.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    // JSON escaping makes a character at most 6 bytes: short ids (all real ones) need no exact count.
    if (this.messageOverhead + entityId.length * 9 <= limit) return undefined;
    const bytes = this.messageOverhead + Buffer.byteLength(entityId) + Buffer.byteLength(JSON.stringify(entityId));
    if (bytes <= limit) return undefined;
    return `entity id is ${Buffer.byteLength(entityId)} bytes long: its prediction message would be about ${bytes} bytes, above the ${limit}-byte message limit`;
  }
}

function countRun(sources: string[], from: number): number {
  let to = from + 1;
  while (to < sources.length && sources[to] === sources[from]) to++;
  return to - from;
}

/** Size of a prediction message and its headers with an empty entity id, with room for the widest scores. */
function predictionOverhead(run: RunContext, labels: ReadonlyArray<number | string>, headers: Record<string, string>): number {
  const widest = new Float32Array(labels.length).fill(0.1234567);
  const message = predictionMessage(run, '', labels, 0, widest, 0, new Date(0).toISOString());
  const headerBytes = Object.entries(headers).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  // Record framing (lengths, offsets, timestamps) is a few dozen bytes; 512 leaves margin.
  return Buffer.byteLength(JSON.stringify(message)) + headerBytes + 512;
}
