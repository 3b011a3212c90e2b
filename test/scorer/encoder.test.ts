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
