import { murmur2 } from '../../../apps/scorer/src/publish/partitioner';
import { MessageBatch, OutgoingMessage, PredictionPublisher, PublishStats, batchMessages } from '../../../apps/scorer/src/publish/publisher';

/** Records what would be published; `committed` is what a read_committed consumer would see. */
export class MemoryPublisher implements PredictionPublisher {
  pending: { topic: string; message: OutgoingMessage }[] = [];
  committed: { topic: string; message: OutgoingMessage }[] = [];
  started = false;
  aborted = false;
  closed = false;
  commits = 0;

  /** `partitions`: how many each topic has (default 3), to count per partition as the Kafka publisher does. */
  constructor(private readonly partitions: (topic: string) => number = () => 3) {}

  async start(): Promise<void> {
    this.started = true;
  }
  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    for (const message of messages) this.pending.push({ topic, message });
  }
  async publishBatch(topic: string, batch: MessageBatch): Promise<void> {
    await this.publish(topic, batchMessages(batch));
  }
  async flush(): Promise<PublishStats> {
    return this.stats();
  }
  async commit(): Promise<PublishStats> {
    this.committed.push(...this.pending);
    this.pending = [];
    this.commits++;
    return this.stats();
  }
  async beginTransaction(): Promise<void> {}
  async abort(): Promise<void> {
    this.aborted = true;
    this.pending = [];
  }
  stats(): PublishStats {
    const stats: PublishStats = { acknowledged: {}, byPartition: {} };
    for (const { topic, message } of [...this.committed, ...this.pending]) {
      stats.acknowledged[topic] = (stats.acknowledged[topic] ?? 0) + 1;
      const partition = message.key === null ? 0 : (murmur2(Buffer.from(message.key)) & 0x7fffffff) % this.partitions(topic);
      const byPartition = (stats.byPartition[topic] ??= {});
      byPartition[partition] = (byPartition[partition] ?? 0) + 1;
    }
    return stats;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  on(topic: string): OutgoingMessage[] {
    return this.committed.filter((m) => m.topic === topic).map((m) => m.message);
  }
}
