import type { KafkaConfig } from '../config/schema';
import type { EncodedMessages } from './message-batch';
import type { PublishStats } from './publisher';

/** What the main thread hands the producer thread at start (plain data: functions cannot cross threads). */
export interface ProducerThreadData {
  config: KafkaConfig;
  aws: { region: string | undefined; endpoint: string | undefined };
}

export type ProducerRequest =
  | { id: number; op: 'start' }
  | { id: number; op: 'publish'; topic: string; messages: EncodedMessages }
  | { id: number; op: 'commit' }
  | { id: number; op: 'abort' }
  | { id: number; op: 'close' };

export interface SerializedError {
  name: string;
  code: string;
  message: string;
  retryable: boolean;
}

export type ProducerReply =
  | { kind: 'reply'; id: number; ok: true; stats: PublishStats }
  | { kind: 'reply'; id: number; ok: false; error: SerializedError; stats: PublishStats }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; event: string; fields?: Record<string, unknown> };
