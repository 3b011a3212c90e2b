import type { OutgoingMessage, PredictionPublisher, PublishStats } from '../../../apps/scorer/src/publish/publisher';

/** Records what would be published; `committed` is what a read_committed consumer would see. */
export class MemoryPublisher implements PredictionPublisher {
  pending: { topic: string; message: OutgoingMessage }[] = [];
  committed: { topic: string; message: OutgoingMessage }[] = [];
  started = false;
  aborted = false;
  closed = false;

  async start(): Promise<void> {
    this.started = true;
  }
  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    for (const message of messages) this.pending.push({ topic, message });
  }
  async commit(): Promise<PublishStats> {
    this.committed.push(...this.pending);
    this.pending = [];
    return this.stats();
  }
  async abort(): Promise<void> {
    this.aborted = true;
    this.pending = [];
  }
  stats(): PublishStats {
    const acknowledged: Record<string, number> = {};
    for (const { topic } of [...this.committed, ...this.pending]) acknowledged[topic] = (acknowledged[topic] ?? 0) + 1;
    return { acknowledged };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  on(topic: string): OutgoingMessage[] {
    return this.committed.filter((m) => m.topic === topic).map((m) => m.message);
  }
}
