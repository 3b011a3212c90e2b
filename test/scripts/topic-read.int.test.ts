// topic:read and readAndValidate against the real broker: committed, aborted and invalid messages written
// with a transactional producer, read back with read_committed (the default) and read_uncommitted.
import { randomUUID } from 'node:crypto';
import { Kafka, Producer, logLevel } from 'kafkajs';
import { RunContext, messageHeaders, predictionMessage } from '../../apps/scorer/src/contract';
import { ExitCode } from '../../scripts/cli/errors';
import { readCommand } from '../../scripts/topics/read';
import { readAndValidate } from '../../scripts/topics/read-and-validate';
import { captureIo } from './support';

jest.setTimeout(90_000);

const brokers = process.env.KAFKA_BROKERS!.split(',');
// Silent: kafkajs logs retried transactional races (CONCURRENT_TRANSACTIONS) as errors; real failures still throw.
const kafka = new Kafka({ clientId: 'topic-read-test', brokers, logLevel: logLevel.NOTHING });
const suffix = randomUUID().slice(0, 8);
const mixedTopic = `scripts.read.mixed.${suffix}`;
const cleanTopic = `scripts.read.clean.${suffix}`;

function record(run: RunContext, entityId: string) {
  const value = predictionMessage(run, entityId, [0, 1], 1, Float32Array.from([0.3, 0.7]), 0, new Date().toISOString());
  return { key: entityId, value: JSON.stringify(value), headers: messageHeaders(run) };
}

const run = (version: string): RunContext => ({ modelName: 'churn-classifier', modelVersion: version, runId: `run-${version}`, runDate: '2026-11-23', shardId: '0' });

async function inTransaction(producer: Producer, topic: string, messages: Array<{ key: string; value: string; headers?: Record<string, string> }>, commit: boolean) {
  const transaction = await producer.transaction();
  await transaction.send({ topic, messages });
  await (commit ? transaction.commit() : transaction.abort());
}

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: mixedTopic, numPartitions: 2 }, { topic: cleanTopic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, transactionalId: `topic-read-test-${suffix}`, maxInFlightRequests: 1 });
  await producer.connect();
  // mixed: 3 valid from version 6 and 2 from version 7 (committed), 1 invalid (committed), 4 aborted.
  await inTransaction(producer, mixedTopic, ['a', 'b', 'c'].map((id) => record(run('6'), id)), true);
  await inTransaction(producer, mixedTopic, [...['d', 'e'].map((id) => record(run('7'), id)), { ...record(run('7'), 'f'), key: 'not-f' }], true);
  await inTransaction(producer, mixedTopic, ['w', 'x', 'y', 'z'].map((id) => record(run('8'), id)), false);
  await inTransaction(producer, cleanTopic, ['a', 'b'].map((id) => record(run('7'), id)), true);
  await producer.disconnect();
});

describe('reading and validating the prediction topic', () => {
  it('counts committed messages only with read_committed, valid and invalid per model version', async () => {
    const summary = await readAndValidate({ brokers, topic: mixedTopic, fromBeginning: true, idleTimeoutMs: 3_000 });
    expect(summary).toMatchObject({ isolation: 'read_committed', read: 6, valid: 5, invalid: 1, stoppedBecause: 'idle' });
    expect(summary.byModelVersion).toEqual({ '6': { valid: 3, invalid: 0 }, '7': { valid: 2, invalid: 1 } });
    expect(summary.invalidSamples).toEqual([expect.objectContaining({ key: 'not-f', problems: ['key: must equal entity_id "f" (got "not-f")'] })]);
  });

  it('also sees the aborted run with read_uncommitted', async () => {
    const summary = await readAndValidate({ brokers, topic: mixedTopic, fromBeginning: true, isolation: 'read_uncommitted', idleTimeoutMs: 3_000 });
    expect(summary.read).toBe(10);
    expect(summary.byModelVersion['8']).toEqual({ valid: 4, invalid: 0 });
  });

  it('stops at --max', async () => {
    const summary = await readAndValidate({ brokers, topic: mixedTopic, fromBeginning: true, max: 2, idleTimeoutMs: 10_000 });
    expect(summary).toMatchObject({ read: 2, stoppedBecause: 'max' });
    expect(summary.valid + summary.invalid).toBe(2);
  });

  it('topic:read exits 1 when a message is invalid and prints it with the reason', async () => {
    const io = captureIo();
    await expect(readCommand(['--brokers', brokers.join(','), '--topic', mixedTopic, '--from-beginning', '--timeout', '3s'], io)).resolves.toBe(ExitCode.failed);
    expect(io.stderr.join('\n')).toMatch(/INVALID\s+p\d@\d+ key=not-f model=7\n\s+key: must equal entity_id "f"/);
    expect(io.stdout.join('\n')).toMatch(/Read 6 message\(s\) .* 5 valid, 1 invalid\.\n {2}model version 6: 3 valid, 0 invalid\n {2}model version 7: 2 valid, 1 invalid/);
  });

  it('topic:read exits 0 on a topic of valid messages and prints each with --print', async () => {
    const io = captureIo();
    await expect(readCommand(['-b', brokers.join(','), '-t', cleanTopic, '--from-beginning', '--timeout', '3s', '--print'], io)).resolves.toBe(ExitCode.ok);
    expect(io.stdout.filter((line) => line.startsWith('valid '))).toHaveLength(2);
  });

  it('fails clearly for a topic that does not exist, without creating it', async () => {
    const io = captureIo();
    await expect(readCommand(['-b', brokers.join(','), '-t', `scripts.read.missing.${suffix}`, '--timeout', '2s'], io)).resolves.toBe(ExitCode.failed);
    expect(io.stderr.join('\n')).toContain(`Topic scripts.read.missing.${suffix} does not exist on the broker`);
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.listTopics()).not.toContain(`scripts.read.missing.${suffix}`);
    await admin.disconnect();
  });
});
