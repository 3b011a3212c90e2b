import { checkOverrides, declaredParameters, parseParameterOverrides } from '../../scripts/pipelines/parameters';
import { UsageError } from '../../scripts/cli/errors';

const definition = JSON.stringify({
  Version: '2020-12-01',
  Parameters: [
    { Name: 'RunDate', Type: 'String', DefaultValue: 'today' },
    { Name: 'QualityThreshold', Type: 'Float', DefaultValue: 0.7 },
  ],
  Steps: [],
});

describe('pipeline parameter overrides', () => {
  it('turns Name=Value pairs into SageMaker parameters, keeping "=" inside values', () => {
    expect(parseParameterOverrides(['RunDate=2026-11-23', 'InputUri=s3://b/p?x=1'])).toEqual([
      { Name: 'RunDate', Value: '2026-11-23' },
      { Name: 'InputUri', Value: 's3://b/p?x=1' },
    ]);
  });

  it('accepts an empty value, which SageMaker passes on as an empty string', () => {
    expect(parseParameterOverrides(['RunDate='])).toEqual([{ Name: 'RunDate', Value: '' }]);
  });

  it.each([['RunDate'], ['=2026-11-23'], ['Run Date=x']])('rejects the malformed pair %s', (pair) => {
    expect(() => parseParameterOverrides([pair])).toThrow(UsageError);
  });

  it('rejects the same parameter given twice, naming both values', () => {
    expect(() => parseParameterOverrides(['RunDate=a', 'RunDate=b'])).toThrow(/RunDate is given twice \("a" and "b"\)/);
  });

  it('reads the declared parameters of a pipeline definition', () => {
    expect(declaredParameters(definition).map((p) => p.name)).toEqual(['RunDate', 'QualityThreshold']);
  });

  it('refuses overrides the pipeline does not declare and lists the declared ones', () => {
    expect(() => checkOverrides([{ Name: 'RunDat', Value: 'x' }], declaredParameters(definition), 'p')).toThrow(
      '--param RunDat: pipeline p declares no such parameter; it declares: RunDate, QualityThreshold',
    );
    expect(() => checkOverrides([{ Name: 'RunDate', Value: 'x' }], declaredParameters(definition), 'p')).not.toThrow();
  });

  it('refuses a value that does not fit the declared parameter type', () => {
    expect(() => checkOverrides([{ Name: 'QualityThreshold', Value: 'high' }], declaredParameters(definition), 'p')).toThrow(
      '--param QualityThreshold=high: p declares QualityThreshold as Float; expected a number, e.g. 0.75',
    );
    expect(() => checkOverrides([{ Name: 'QualityThreshold', Value: '0.8' }], declaredParameters(definition), 'p')).not.toThrow();
  });
});
