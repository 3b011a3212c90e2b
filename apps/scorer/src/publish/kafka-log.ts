import { logLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from '../log';

// kafkajs' table of protocol errors (code, message, retriable); not part of its typed API, stable in the pinned 2.2.4.
const { errorCodes } = require('kafkajs/src/protocol/error') as { errorCodes: Array<{ message: string; retriable: boolean }> };
const RETRIABLE_ERRORS = new Set(errorCodes.filter((e) => e.retriable).map((e) => e.message));

const SEND_RETRIED = 'Failed to send messages: ';
const IDEMPOTENT_RETRIES_WARNING = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';

/**
 * Whether a kafkajs log line is noise on a healthy run:
 * - kafkajs logs every error response at ERROR before it retries the request, so a fresh broker's "The coordinator
 *   is loading" or "The group coordinator is not available" appears on clean runs. A retriable error that persists
 *   still surfaces: as the error of the call that gave up, which the caller reports.
 * - kafkajs logs a produce request it is about to retry at ERROR too ("Failed to send messages: <error>").
 * - kafkajs warns that bounded retries "may invalidate EoS guarantees" for any idempotent producer. The scorer bounds
 *   them on purpose (a broker that is gone must fail the run, not hang it); a send that exhausts them fails the run
 *   and is never re-sent by the scorer, and with transactions the run's messages are aborted as a whole.
 */
export function isKafkaNoise(entry: Pick<LogEntry['log'], 'message'> & { error?: unknown }): boolean {
  if (entry.message === IDEMPOTENT_RETRIES_WARNING) return true;
  // A send that kafkajs retries (e.g. "another concurrent operation on the same transaction" right after a
  // transaction began): logged at ERROR with the protocol error's text; if retries run out, the run fails with it.
  if (entry.message.startsWith(SEND_RETRIED) && RETRIABLE_ERRORS.has(entry.message.slice(SEND_RETRIED.length))) return true;
  return entry.message.startsWith('Response ') && typeof entry.error === 'string' && RETRIABLE_ERRORS.has(entry.error);
}

/**
 * kafkajs' log lines (WARN and up, minus the noise above) as events of the scorer's JSON logger. `observe` sees
 * every line first, noise included (the publisher notes the broker's refusals there, see kafka-errors.ts).
 */
export function kafkaLogCreator(log: Pick<Logger, 'warn' | 'error'>, observe?: (entry: LogEntry['log']) => void): logCreator {
  return () => ({ level, log: entry }) => {
    observe?.(entry);
    if (isKafkaNoise(entry)) return;
    const { message, ...fields } = entry;
    const emit = level <= logLevel.ERROR ? log.error : log.warn;
    emit('kafka', { message, ...fields });
  };
}
