import { RunContext, deadLetterMessage, messageHeaders, predictionMessage, DeadLetterMessage } from '../contract/message';
import type { InputRow } from '../input/types';
import type { RejectedRowsFile } from '../manifest/rejected-rows';
import { FeatureEncoder } from '../model/encoder';
import type { FeatureSchema } from '../model/feature-schema';
import type { OnnxModel } from '../model/onnx-model';
import type { OutgoingMessage, PredictionPublisher } from '../publish/publisher';

export interface ScoreCounts {
  read: number;
  scored: number;
  rejected: number;
}

/**
 * Validates rows into a fixed float32 buffer, scores it when full and hands the messages to the publisher.
 * Holds at most one batch of rows; the publisher's backpressure paces the reading.
 */
export class BatchScorer {
  readonly counts: ScoreCounts = { read: 0, scored: 0, rejected: 0 };
  private readonly encoder: FeatureEncoder;
  private readonly features: Float32Array;
  private readonly headers: Record<string, string>;
  private entityIds: string[] = [];

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
    },
  ) {
    this.encoder = new FeatureEncoder(deps.schema);
    this.features = new Float32Array(deps.batchSize * this.encoder.width);
    this.headers = messageHeaders(deps.run);
  }

  get columns(): string[] {
    return this.encoder.columns;
  }

  /** Per-file row and rejection counts are returned so the manifest can account for every file. */
  async add(source: string, rows: InputRow[]): Promise<{ read: number; rejected: number }> {
    const rejected: DeadLetterMessage[] = [];
    const at = this.deps.now().toISOString();
    for (const row of rows) {
      this.counts.read++;
      if (row.error !== undefined || row.values === undefined) {
        rejected.push(deadLetterMessage(this.deps.run, { uri: source, row: row.row }, row.error ?? 'empty row', undefined, undefined, at));
        continue;
      }
      const result = this.encoder.encode(row.values, this.features, this.entityIds.length);
      if (!result.ok) {
        rejected.push(deadLetterMessage(this.deps.run, { uri: source, row: row.row }, result.reason, result.entityId, row.values, at));
        continue;
      }
      this.entityIds.push(result.entityId);
      if (this.entityIds.length === this.deps.batchSize) await this.flush();
    }
    if (rejected.length > 0) {
      this.counts.rejected += rejected.length;
      await this.deps.rejectedRows.write(rejected);
      await this.deps.publisher.publish(
        this.deps.deadLetterTopic,
        rejected.map((m) => ({ key: m.entity_id, value: JSON.stringify(m), headers: this.headers })),
      );
    }
    return { read: rows.length, rejected: rejected.length };
  }

  /** Scores what is buffered; call once more after the last rows. */
  async flush(): Promise<void> {
    const rows = this.entityIds.length;
    if (rows === 0) return;
    const ids = this.entityIds;
    this.entityIds = [];
    const predictions = await this.deps.model.score(this.features, rows);
    const scoredAt = this.deps.now().toISOString();
    const labels = this.deps.schema.class_labels;
    const messages: OutgoingMessage[] = new Array(rows);
    for (let r = 0; r < rows; r++) {
      const message = predictionMessage(this.deps.run, ids[r], labels, predictions.labelIndex[r], predictions.probabilities, r * predictions.classes, scoredAt);
      messages[r] = { key: ids[r], value: JSON.stringify(message), headers: this.headers };
    }
    this.counts.scored += rows;
    await this.deps.publisher.publish(this.deps.topic, messages);
  }
}
