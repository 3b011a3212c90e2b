/** What the scorer needs from a message broker; the run logic depends on this, not on kafkajs. */
export interface OutgoingMessage {
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/**
 * Messages whose values are written as bytes straight into the records being built, instead of one string each
 * (the prediction messages: see predictionBytesWriter).
 */
export interface MessageBatch {
  count: number;
  headers: Record<string, string>;
  key(i: number): string | null;
  /** An upper bound of message i's value in bytes. */
  maxValueBytes(i: number): number;
  /** Writes message i's value at `at` of `target` (which has room for maxValueBytes); returns where it ends. */
  writeValue(i: number, target: Buffer, at: number): number;
}

/** A batch's messages as strings (for publishers that keep messages, not bytes). */
export function batchMessages(batch: MessageBatch): OutgoingMessage[] {
  const out: OutgoingMessage[] = [];
  for (let i = 0; i < batch.count; i++) {
    const target = Buffer.allocUnsafe(batch.maxValueBytes(i));
    const end = batch.writeValue(i, target, 0);
    out.push({ key: batch.key(i), value: target.toString('utf8', 0, end), headers: batch.headers });
  }
  return out;
}

export interface PublishStats {
  /** Messages per topic acknowledged by the broker (inside the transaction when transactions are on). */
  acknowledged: Record<string, number>;
  /** The same per topic and partition (partition number as a string key), for the end-of-run records. */
  byPartition: Record<string, Record<string, number>>;
}

export interface PredictionPublisher {
  /** Connects and, with transactions on, begins the run's transaction. */
  start(): Promise<void>;
  /**
   * Queues messages. Resolves as soon as they are buffered; when the buffer is full it waits for the send in
   * flight, which is how scoring is slowed to the broker's pace (memory stays bounded).
   */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  /** The same for messages whose values are written as bytes. */
  publishBatch(topic: string, batch: MessageBatch): Promise<void>;
  /** Sends what is buffered and waits until the broker acknowledged all of it (nothing committed yet). */
  flush(): Promise<PublishStats>;
  /** Sends what is buffered and commits: afterwards read_committed consumers see every message of the run. */
  commit(): Promise<PublishStats>;
  /** Begins another transaction after a commit (no-op without transactions). */
  beginTransaction(): Promise<void>;
  /** Discards the run: aborts the transaction so read_committed consumers never see its messages. */
  abort(): Promise<void>;
  /** Acknowledged so far; without transactions this is what consumers can already see. */
  stats(): PublishStats;
  close(): Promise<void>;
}

export const emptyStats = (): PublishStats => ({ acknowledged: {}, byPartition: {} });

/** Adds `from` into `into` (counts per topic and per partition). */
export function addStats(into: PublishStats, from: PublishStats): PublishStats {
  for (const [topic, n] of Object.entries(from.acknowledged)) into.acknowledged[topic] = (into.acknowledged[topic] ?? 0) + n;
  for (const [topic, partitions] of Object.entries(from.byPartition)) {
    const target = (into.byPartition[topic] ??= {});
    for (const [partition, n] of Object.entries(partitions)) target[partition] = (target[partition] ?? 0) + n;
  }
  return into;
}
