// `npm run nightly -- --secure`: the night as deployed, against secured services — the broker takes SASL_SSL with
// SCRAM-SHA-512 and ACLs only, MLflow requires a user — with `local` deployed like staging (TLS, the SCRAM secret and
// its KMS key, the CA as the Score step's processing input, the MLflow credentials secret). Every step authenticates
// from the secrets the deployed definitions name; the topic is read back as the consumer user.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../scripts/local/nightly/local-run';

jest.setTimeout(8 * 60_000);

describe('the local nightly run, secured', () => {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'nightly-secure-'));
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('trains, registers, scores and publishes over the secured transports, and the consumer user reads every message back', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['--secure', '--train-rows', '2000', '--score-rows', '3000', '--bad-rows', '7', '--format', 'csv', '--work-dir', workDir], {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    });
    expect(err).toEqual([]);
    expect(out.find((l) => l.startsWith('══ local night'))).toMatch(/SUCCEEDED/);
    expect(code).toBe(0);
    expect(out.find((l) => l.startsWith('model'))).toMatch(/churn-classifier v1/);
    expect(out.find((l) => l.startsWith('rows'))).toContain('read 3,000 = scored 2,993 + rejected 7  ✓ reconciled');
    expect(out.find((l) => l.startsWith('consumed'))).toMatch(/^consumed {7}2,993 messages of this run .* 0 invalid against the contract {2}✓ = published/);
    // The steps read their credentials from the secrets the deployed definitions name, never from the run's output.
    expect(out.some((l) => /MLflow: credentials from secret arn:aws:secretsmanager:eu-central-1:000000000000:secret:local-services\/mlflow-app-/.test(l))).toBe(true);
    expect(out.join('\n')).not.toMatch(/MLFLOW_TRACKING_PASSWORD|"password"/);
  });
});
