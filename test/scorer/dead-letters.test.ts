import { SCHEMA_VERSION } from '../../apps/scorer/src/contract/message';
import {
  DEAD_LETTER_FIELD_LIMIT_BYTES,
  RunContext,
  boundedDeadLetter,
  deadLetterMessage,
  truncateUtf8,
} from '../../apps/scorer/src/contract/message';
import { deadLetterValidator } from './support/contract-validator';

const run: RunContext = { modelName: 'churn', modelVersion: '4', runId: 'run-1', runDate: '2026-11-23', shardId: '0' };
const at = '2026-11-23T02:00:00.000Z';
const source = { uri: 's3://bucket/batch/part-0.csv', row: 17 };
const validate = deadLetterValidator();
const bytes = (text: string | null) => Buffer.byteLength(text ?? '');

describe('dead letters', () => {
  it('carry a small rejected row whole, flagged as not truncated, on the topic as in the file', () => {
    const full = deadLetterMessage(run, { source, reason: 'feature "plan" has unknown category "gold"', entityId: 'c1', record: { customer_id: 'c1', plan: 'gold', n: 5n } }, at);
    expect(full).toMatchObject({ schema_version: SCHEMA_VERSION, entity_id: 'c1', record: { customer_id: 'c1', plan: 'gold', n: '5' }, raw: null, truncated: false });
    expect(boundedDeadLetter(full)).toEqual(full);
    expect(validate(full)).toEqual([]);
  });

  it('carry at most 8 KiB of an oversized row on the topic, flagged truncated, while the file keeps all of it', () => {
    const huge = 'x'.repeat(10 * 1024 * 1024);
    const full = deadLetterMessage(run, { source, reason: 'feature "tenure_months" is not a number: "xxx..."', entityId: 'c1', record: { customer_id: 'c1', tenure_months: huge } }, at);
    const topic = boundedDeadLetter(full);
    expect(full.record).toEqual({ customer_id: 'c1', tenure_months: huge });
    expect(topic).toMatchObject({ entity_id: 'c1', record: null, truncated: true });
    expect(bytes(topic.raw)).toBeLessThanOrEqual(DEAD_LETTER_FIELD_LIMIT_BYTES);
    expect(topic.raw).toBe(JSON.stringify(full.record).slice(0, DEAD_LETTER_FIELD_LIMIT_BYTES));
    expect(bytes(JSON.stringify(topic))).toBeLessThan(12 * 1024);
    expect(validate(topic)).toEqual([]);
    expect(validate(full)).toEqual([]);
  });

  it('drop an entity id longer than the limit instead of publishing it cut', () => {
    const id = 'C'.repeat(DEAD_LETTER_FIELD_LIMIT_BYTES + 1);
    const topic = boundedDeadLetter(deadLetterMessage(run, { source, reason: 'too long', entityId: id, record: { customer_id: id } }, at));
    expect(topic).toMatchObject({ entity_id: null, record: null, truncated: true });
  });

  it('cut the text of an unparseable line to the limit and keep a short one whole', () => {
    const long = boundedDeadLetter(deadLetterMessage(run, { source, reason: 'invalid JSON', raw: `{"a":"${'é'.repeat(10_000)}` }, at));
    expect(long).toMatchObject({ record: null, truncated: true });
    expect(bytes(long.raw)).toBeLessThanOrEqual(DEAD_LETTER_FIELD_LIMIT_BYTES);
    const short = boundedDeadLetter(deadLetterMessage(run, { source, reason: 'invalid JSON', raw: '{broken' }, at));
    expect(short).toMatchObject({ record: null, raw: '{broken', truncated: false });
  });
});

describe('truncating UTF-8 text', () => {
  it.each([
    ['ASCII', 'a'.repeat(100), 10, 'a'.repeat(10)],
    ['two-byte characters', 'é'.repeat(100), 11, 'é'.repeat(5)],
    ['four-byte characters', '😀'.repeat(10), 9, '😀'.repeat(2)],
    ['text that fits', 'héllo', 6, 'héllo'],
  ])('never splits a character: %s', (_, text, max, expected) => {
    const cut = truncateUtf8(text, max);
    expect(cut).toBe(expected);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(max);
    expect(cut).not.toContain('\uFFFD');
  });
});
