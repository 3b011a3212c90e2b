/** What the scorer needs from a message broker; the run logic depends on this, not on kafkajs. */
export interface OutgoingMessage {
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

export interface PublishStats {
  /** Messages per topic acknowledged by the broker (inside the transaction when transactions are on). */
  acknowledged: Record<string, number>;
}

export interface PredictionPublisher {
  /** Connects and, with transactions on, begins the run's transaction. */
  start(): Promise<void>;
  /**
   * Queues messages. Resolves as soon as they are buffered; when the buffer is full it waits for the send in
   * flight, which is how scoring is slowed to the broker's pace (memory stays bounded).
   */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  /** Sends what is buffered and commits: afterwards read_committed consumers see every message of the run. */
  commit(): Promise<PublishStats>;
  /** Discards the run: aborts the transaction so read_committed consumers never see its messages. */
  abort(): Promise<void>;
  /** Acknowledged so far; without transactions this is what consumers can already see. */
  stats(): PublishStats;
  close(): Promise<void>;
}
