import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FeatureEncoder } from '../../apps/scorer/src/model/encoder';
import { parseMlmodel } from '../../apps/scorer/src/model/feature-schema';
import { TINY_MODEL_DIR } from './support/fake-mlflow';

const schema = parseMlmodel(readFileSync(path.join(TINY_MODEL_DIR, 'MLmodel'), 'utf8')).featureSchema;

function encode(values: Record<string, unknown>) {
  const target = new Float32Array(3);
  return { result: new FeatureEncoder(schema).encode(values, target, 0), target: Array.from(target) };
}

describe('feature encoding', () => {
  it('writes numbers as themselves and categories as their index', () => {
    const { result, target } = encode({ customer_id: 'c1', tenure_months: '12', monthly_charges: 29.5, plan: 'premium' });
    expect(result).toEqual({ ok: true, entityId: 'c1' });
    expect(target).toEqual([12, 29.5, 2]);
  });

  it('encodes a missing nullable value as NaN', () => {
    const { result, target } = encode({ customer_id: 7n, tenure_months: '', monthly_charges: '1', plan: null });
    expect(result).toEqual({ ok: true, entityId: '7' });
    expect(target[0]).toBeNaN();
    expect(target[2]).toBeNaN();
  });

  it.each([
    ['12', 12],
    ['-3.5', -3.5],
    ['+7', 7],
    ['.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['2.5E-1', 0.25],
    [' 42 ', 42],
    [7n, 7],
  ])('reads the decimal number %p as %p', (value, expected) => {
    const { result, target } = encode({ customer_id: 'c', tenure_months: value, monthly_charges: '1', plan: 'basic' });
    expect(result.ok).toBe(true);
    expect(target[0]).toBe(expected);
  });

  it.each(['0x1A', '0b101', '0o7', 'Infinity', '-Infinity', 'NaN', '1_000', '1,5', '12abc', '١٢', true])(
    'rejects %p as a number, where JavaScript would have read one',
    (value) => {
      const { result } = encode({ customer_id: 'c', tenure_months: value, monthly_charges: '1', plan: 'basic' });
      expect(result).toEqual({ ok: false, entityId: 'c', reason: `feature "tenure_months" is not a number: ${JSON.stringify(value)} (only decimal numbers such as 12, -3.5 or 1e6)` });
    },
  );

  it('rejects a 10 MiB run of digits ending in a letter (a backtracking pattern would never return here)', () => {
    const { result } = encode({ customer_id: 'c', tenure_months: `${'9'.repeat(10 * 1024 * 1024)}x`, monthly_charges: '1', plan: 'basic' });
    expect(!result.ok && result.reason).toMatch(/"tenure_months" is not a number: "9999/);
  });

  it.each([['1e400'], ['4e38'], [Infinity]])('rejects %p as out of the model\'s float32 range', (value) => {
    const { result } = encode({ customer_id: 'c', tenure_months: value, monthly_charges: '1', plan: 'basic' });
    expect(!result.ok && result.reason).toMatch(/feature "tenure_months" is out of range/);
  });

  it.each([[''], ['   '], [null], [NaN]])('treats %p as a missing value: NaN where nullable, a rejection where not', (value) => {
    expect(encode({ customer_id: 'c', tenure_months: value, monthly_charges: '1', plan: 'basic' }).target[0]).toBeNaN();
    const { result } = encode({ customer_id: 'c', tenure_months: '1', monthly_charges: value, plan: 'basic' });
    expect(!result.ok && result.reason).toBe('missing value for non-nullable feature "monthly_charges"');
  });

  it('rejects an entity id holding a lone surrogate, which no UTF-8 key could carry unaltered', () => {
    const { result } = encode({ customer_id: 'c\ud800', tenure_months: '1', monthly_charges: '1', plan: 'basic' });
    expect(!result.ok && result.reason).toBe('entity id "customer_id" is not valid Unicode (it holds a lone surrogate)');
    expect(encode({ customer_id: 'c\u{1F600}', tenure_months: '1', monthly_charges: '1', plan: 'basic' }).result).toEqual({ ok: true, entityId: 'c\u{1F600}' });
  });

  it.each([
    [{ customer_id: 'c', tenure_months: '1', monthly_charges: '', plan: 'basic' }, /missing value for non-nullable feature "monthly_charges"/],
    [{ customer_id: 'c', tenure_months: 'abc', monthly_charges: '1', plan: 'basic' }, /"tenure_months" is not a number: "abc"/],
    [{ customer_id: 'c', tenure_months: '1', monthly_charges: '1', plan: 'gold' }, /unknown category "gold" \(known: basic, standard, premium\)/],
    [{ customer_id: 'c', tenure_months: '1', monthly_charges: '1' }, /column "plan" is missing/],
    [{ customer_id: ' ', tenure_months: '1', monthly_charges: '1', plan: 'basic' }, /entity id "customer_id" is missing/],
  ])('rejects %j with a reason naming the field and value', (values, reason) => {
    const { result } = encode(values);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });
});
