import { loadConfig } from '../../../apps/scorer/src/config';
import { toNightlyOptions } from '../../../scripts/local/nightly/local-run';
import { DEFAULTS, runFolders, scorerEnv, trainerEnv } from '../../../scripts/local/nightly/plan';
import { formatSummary } from '../../../scripts/local/nightly/summary';

const id = { runId: 'local-1', runDate: '2026-11-23', gitSha: 'abc1234' };
const options = { ...DEFAULTS, workDir: '/tmp/nightly' };

describe('the local nightly run plan', () => {
  it('gives the scorer a configuration its own validation accepts, pointed at the run folders and the local services', () => {
    const folders = runFolders(options.workDir, id.runId);
    const config = loadConfig({ env: scorerEnv(options, id, folders, 'http://127.0.0.1:5000', ['127.0.0.1:9092']), argv: [] });
    expect(config.inputPath).toBe('/tmp/nightly/local-1/data/score');
    expect(config.outputPath).toBe('/tmp/nightly/local-1/score-output');
    expect(config.model).toEqual({ name: 'churn-classifier', alias: 'champion' });
    expect(config.kafka).toMatchObject({ brokers: ['127.0.0.1:9092'], topic: 'local.predictions', dlqTopic: 'local.predictions.dlq', createTopics: true });
    expect(config.runId).toBe('local-1');
    expect(config.runDate).toBe('2026-11-23');
  });

  it('gives the trainer steps the alias it scores with, so the model registered tonight is the one scored tonight', () => {
    const env = trainerEnv(options, id, 'http://127.0.0.1:5000', '/data/train');
    expect(env).toMatchObject({ MODEL_NAME: 'churn-classifier', TARGET_ALIAS: 'champion', COMPARE_ALIAS: 'champion', GIT_SHA: 'abc1234', DATA_URI: '/data/train' });
    expect(Number(env.QUALITY_THRESHOLD)).toBeGreaterThan(0);
  });

  it('keeps every run in a folder of its own, so a rerun never overwrites the last one', () => {
    expect(runFolders('/w', 'a').root).not.toBe(runFolders('/w', 'b').root);
  });
});

describe('the local nightly run options', () => {
  it('uses the documented defaults when no flag is given', () => {
    expect(toNightlyOptions({})).toMatchObject({ trainRows: 20_000, scoreRows: 100_000, badRows: 25, scoreFormat: 'parquet', keepServices: false });
  });

  it('names the flag and the value when a number is not a number', () => {
    expect(() => toNightlyOptions({ 'score-rows': 'lots' })).toThrow(/--score-rows: expected a positive whole number \(got "lots"\)/);
  });

  it('refuses more bad rows than rows in the batch', () => {
    expect(() => toNightlyOptions({ 'score-rows': '10', 'bad-rows': '11' })).toThrow(/--bad-rows 11 is more than --score-rows 10/);
  });

  it('refuses a training set too small to learn from', () => {
    expect(() => toNightlyOptions({ 'train-rows': '50' })).toThrow(/--train-rows: expected at least 200 rows/);
  });
});

describe('the nightly summary', () => {
  const base = {
    runId: 'r', model: 'm v1', gate: 'passed', auc: 0.8, consumed: { ofThisRun: 9, invalid: 0 }, throughputRowsPerSecond: 1000,
    scoreSeconds: 1, totalSeconds: 2, outputs: { root: '/o', manifest: '/o/m', rejectedRows: '/o/r', logs: '/o/l' },
    topics: { predictions: 'p', deadLetter: 'd' }, status: 'succeeded', error: undefined,
  };

  it('shows that rows read reconcile with rows published plus rows rejected', () => {
    const lines = formatSummary({ ...base, counts: { read: 10, scored: 9, rejected: 1, published: 9, deadLettered: 1 } });
    expect(lines.find((l) => l.startsWith('rows'))).toContain('read 10 = published 9 + rejected 1  ✓ reconciled');
  });

  it('says loudly when the counts do not reconcile', () => {
    const lines = formatSummary({ ...base, counts: { read: 10, scored: 9, rejected: 0, published: 9, deadLettered: 0 } });
    expect(lines.find((l) => l.startsWith('rows'))).toContain('DOES NOT RECONCILE');
  });
});
