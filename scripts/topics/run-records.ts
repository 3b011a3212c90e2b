// The end-of-run records next to a prediction topic (`<topic>.runs`, docs/prediction-contract.md): read them, and say
// for each run whether it is complete, i.e. every shard committed and the messages read match their counts.
import { promises as fs } from 'node:fs';
import { runsTopicOf } from '../../apps/scorer/src/contract/run-record';
import type { RunRecord, ShardCommittedRecord } from '../../apps/scorer/src/contract/run-record';
import { contractValidator } from './contract';
import { ReadAndValidateOptions, ReadSummary, TopicReadError, readAndValidate } from './read-and-validate';

export const runRecordSchemaPath = 'docs/run-record.schema.json';

export interface RunRecords {
  topic: string;
  /** False when the topic does not exist (a scorer before contract 1.2, or not provisioned). */
  exists: boolean;
  records: RunRecord[];
  invalid: number;
}

/** Reads every end-of-run record of the prediction topic `options.topic`, validated against the schema. */
export async function readRunRecords(options: Omit<ReadAndValidateOptions, 'validator' | 'onMessage' | 'max' | 'fromBeginning'>): Promise<RunRecords> {
  const topic = runsTopicOf(options.topic);
  const schema = JSON.parse(await fs.readFile(runRecordSchemaPath, 'utf8')) as object;
  const records: RunRecord[] = [];
  let summary: ReadSummary;
  try {
    summary = await readAndValidate({
      ...options,
      topic,
      fromBeginning: true,
      validator: contractValidator(schema),
      onMessage: (message) => {
        if (message.verdict.valid) records.push(message.verdict.value as RunRecord);
      },
    });
  } catch (error) {
    if (error instanceof TopicReadError && !error.retryable && /does not exist/.test(error.message)) return { topic, exists: false, records: [], invalid: 0 };
    throw error;
  }
  return { topic, exists: true, records, invalid: summary.invalid };
}

export interface RunCompleteness {
  runId: string;
  /** Every shard of the run, from the records (empty when the platform did not say). */
  shards: string[];
  committedShards: string[];
  /** Prediction messages the shard records count, and how many of the run's were read. */
  expected: number;
  read: number;
  complete: boolean;
  /** Why not, in words. */
  reason?: string;
}

/** Per run with end-of-run records: complete when every shard committed and the messages read match their counts. */
export function runCompleteness(records: RunRecord[], byRun: ReadSummary['byRun']): RunCompleteness[] {
  const runs = new Map<string, RunRecord[]>();
  for (const record of records) runs.set(record.run.id, [...(runs.get(record.run.id) ?? []), record]);
  return [...runs].map(([runId, ofRun]) => {
    // A shard rerun with the same run id: its latest record counts.
    const latest = new Map<string, ShardCommittedRecord>();
    for (const record of ofRun) {
      if (record.kind !== 'shard-committed') continue;
      const seen = latest.get(record.run.shard);
      if (!seen || seen.committed_at < record.committed_at) latest.set(record.run.shard, record);
    }
    const named = ofRun.find((r) => r.shards !== null)?.shards ?? [];
    const shards = [...new Set([...named, ...ofRun.map((r) => r.run.shard)])].sort();
    const committedShards = [...latest.keys()].sort();
    const expected = [...latest.values()].reduce((sum, r) => sum + r.predictions.messages, 0);
    const read = byRun[runId]?.messages ?? 0;
    const missing = shards.filter((shard) => !latest.has(shard));
    const reason =
      missing.length > 0
        ? `shard(s) ${missing.join(', ')} not committed`
        : read !== expected
          ? `${read.toLocaleString('en-US')} of ${expected.toLocaleString('en-US')} prediction messages read`
          : undefined;
    return { runId, shards, committedShards, expected, read, complete: reason === undefined, ...(reason ? { reason } : {}) };
  });
}

export function formatRuns(runs: RunRecords, completeness: RunCompleteness[]): string[] {
  if (!runs.exists) return [`No end-of-run records: ${runs.topic} does not exist (scorers before contract 1.2 did not write them).`];
  const lines = [`End-of-run records on ${runs.topic}: ${runs.records.length} (${runs.invalid} invalid), ${completeness.length} run(s).`];
  for (const run of completeness) {
    const shards = `${run.committedShards.length}/${run.shards.length} shard(s) committed`;
    lines.push(`  run ${run.runId}: ${run.complete ? 'complete' : 'INCOMPLETE'}, ${shards}, ${run.read.toLocaleString('en-US')} of ${run.expected.toLocaleString('en-US')} messages read${run.reason && run.complete === false ? ` (${run.reason})` : ''}`);
  }
  return lines;
}
