import { messageHeaders, predictionMessage, RunContext } from '../../apps/scorer/src/contract';
import { MessageValidator, RawMessage, loadContractValidator } from '../../scripts/topics/contract';
import { formatSummary } from '../../scripts/topics/read';
import { formatRuns, runCompleteness } from '../../scripts/topics/run-records';
import { producerCommittedRecord, shardCommittedRecord } from '../../apps/scorer/src/contract/run-record';

const run: RunContext = { modelName: 'churn-classifier', modelVersion: '7', runId: 'run-1', runDate: '2026-11-23', shardId: '0' };

function message(overrides: { value?: unknown; key?: string | null; headers?: Record<string, string> } = {}): RawMessage {
  const value = overrides.value ?? predictionMessage(run, 'c-42', [0, 1], 1, Float32Array.from([0.2, 0.8]), 0, '2026-11-23T03:30:00.000Z');
  const key = overrides.key === undefined ? 'c-42' : overrides.key;
  return {
    key: key === null ? null : Buffer.from(key),
    value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    headers: Object.fromEntries(Object.entries(overrides.headers ?? messageHeaders(run)).map(([k, v]) => [k, Buffer.from(v)])),
  };
}

describe('validating prediction messages against the contract', () => {
  let validate: MessageValidator;
  beforeAll(async () => {
    validate = await loadContractValidator('docs/prediction-message.schema.json');
  });

  it('accepts a message built by the scorer, and reports its model version', () => {
    const verdict = validate(message());
    expect(verdict.problems).toEqual([]);
    expect(verdict.valid).toBe(true);
    expect(verdict.modelVersion).toBe('7');
  });

  it('names the missing field of a value that breaks the schema', () => {
    const value = predictionMessage(run, 'c-42', [0, 1], 1, Float32Array.from([0.2, 0.8]), 0, '2026-11-23T03:30:00.000Z') as unknown as Record<string, unknown>;
    delete value.scored_at;
    const verdict = validate(message({ value }));
    expect(verdict.valid).toBe(false);
    expect(verdict.problems).toContain("value: must have required property 'scored_at'");
  });

  it('names the field and the rule for a wrong type or format', () => {
    const value = { ...predictionMessage(run, 'c-42', [0, 1], 1, Float32Array.from([0.2, 0.8]), 0, 'yesterday'), schema_version: '2.0' };
    const verdict = validate(message({ value }));
    expect(verdict.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^value\/schema_version: must match pattern/), 'value/scored_at: must match format "date-time"']));
  });

  it('rejects a value that is not JSON, and an empty value', () => {
    expect(validate(message({ value: '{"entity_id": ' })).problems[0]).toMatch(/^value: is not JSON/);
    expect(validate({ key: Buffer.from('c-42'), value: null }).problems[0]).toMatch(/tombstone/);
  });

  it('requires the key to be the entity id', () => {
    expect(validate(message({ key: 'c-43' })).problems).toEqual(['key: must equal entity_id "c-42" (got "c-43")']);
    expect(validate(message({ key: null })).problems).toEqual(['key: must equal entity_id "c-42" (got no key)']);
  });

  it('requires the headers to repeat the value\'s model version, run id and schema version', () => {
    const headers = { ...messageHeaders(run), 'model-version': '6' };
    delete (headers as Record<string, string>)['run-id'];
    const verdict = validate(message({ headers }));
    expect(verdict.problems).toEqual(['headers.model-version: "6" differs from the value\'s "7"', 'headers.run-id: missing (the contract repeats it from the value)']);
    expect(verdict.modelVersion).toBe('7');
  });

  it('fails clearly when the schema file cannot be read', async () => {
    await expect(loadContractValidator('docs/no-such-schema.json')).rejects.toThrow('Could not load the prediction message schema docs/no-such-schema.json');
  });
});

describe('the topic summary', () => {
  it('states counts that reconcile and the counts per model version in numeric order', () => {
    const lines = formatSummary({
      topic: 't', isolation: 'read_committed', read: 5, valid: 4, invalid: 1, stoppedBecause: 'idle', elapsedMs: 1234, invalidSamples: [],
      byModelVersion: { '10': { valid: 1, invalid: 0 }, '9': { valid: 3, invalid: 1 } }, byRun: {},
    });
    expect(lines[0]).toContain('Read 5 message(s) from t (read_committed) in 1.2s');
    expect(lines[0]).toContain('4 valid, 1 invalid');
    expect(lines.slice(1)).toEqual(['  model version 9: 3 valid, 1 invalid', '  model version 10: 1 valid, 0 invalid']);
  });
});

describe('the end-of-run records of a topic', () => {
  const run = { modelName: 'churn', modelVersion: '7', runId: 'r1', runDate: '2026-11-23', shardId: 'algo-1' };
  const context = (shard: string) => ({ run: { ...run, shardId: shard }, shards: ['algo-1', 'algo-2'], topic: 'p', deadLetterTopic: 'p.dlq' });
  const shardRecord = (shard: string, perPartition: Record<string, number>) =>
    shardCommittedRecord(context(shard), { read: 10, scored: 10, rejected: 0 }, [{ index: 0, transactionalId: `t.${shard}.0`, partitions: { p: perPartition } }], new Date('2026-11-23T03:00:00Z'));

  it('call a run complete when every shard committed and the messages read match their counts', () => {
    const records = [shardRecord('algo-1', { '0': 4, '1': 2 }), shardRecord('algo-2', { '0': 3 })];
    const [complete] = runCompleteness(records, { r1: { messages: 9, partitions: { '0': 7, '1': 2 } } });
    expect(complete).toMatchObject({ runId: 'r1', shards: ['algo-1', 'algo-2'], committedShards: ['algo-1', 'algo-2'], expected: 9, read: 9, complete: true });
    const lines = formatRuns({ topic: 'p.runs', exists: true, records, invalid: 0 }, [complete]);
    expect(lines).toEqual(['End-of-run records on p.runs: 2 (0 invalid), 1 run(s).', '  run r1: complete, 2/2 shard(s) committed, 9 of 9 messages read']);
  });

  it('say which shard is missing, or how many messages were read of how many', () => {
    const producerOnly = producerCommittedRecord(context('algo-2'), { index: 0, count: 1, transactional_id: 't.algo-2.0' }, { p: { '0': 3 } }, new Date());
    expect(runCompleteness([shardRecord('algo-1', { '0': 6 }), producerOnly], { r1: { messages: 9, partitions: {} } })[0]).toMatchObject({ complete: false, reason: 'shard(s) algo-2 not committed' });
    expect(runCompleteness([shardRecord('algo-1', { '0': 6 }), shardRecord('algo-2', { '0': 3 })], { r1: { messages: 5, partitions: {} } })[0]).toMatchObject({ complete: false, reason: '5 of 9 prediction messages read' });
  });

  it('say when there is no end-of-run topic', () => {
    expect(formatRuns({ topic: 'p.runs', exists: false, records: [], invalid: 0 }, [])).toEqual(['No end-of-run records: p.runs does not exist (scorers before contract 1.2 did not write them).']);
  });
});
