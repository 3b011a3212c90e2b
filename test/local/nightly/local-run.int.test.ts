// The README's first command, end to end: real Kafka and MLflow started by the run itself, the trainer's and
// scorer's real entrypoints, and the topic read back. Run twice to show it is rerunnable.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../scripts/local/nightly/local-run';

jest.setTimeout(8 * 60_000);

describe('the local nightly run', () => {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'nightly-'));
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  async function run(): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['--train-rows', '2000', '--score-rows', '3000', '--bad-rows', '7', '--format', 'csv', '--work-dir', workDir], {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    });
    return { code, out, err };
  }

  it('trains, registers, scores and publishes every good row once, and a rerun does it all again from a clean start', async () => {
    const first = await run();
    expect(first.err).toEqual([]);
    expect(first.code).toBe(0);
    expect(first.out).toContain('rows           read 3,000 = published 2,993 + rejected 7  ✓ reconciled');
    expect(first.out.find((l) => l.startsWith('consumed'))).toMatch(/^consumed {7}2,993 messages of this run .* 0 invalid/);
    expect(first.out.find((l) => l.startsWith('model'))).toMatch(/churn-classifier v1 \(@champion\)/);

    const manifestLine = first.out.find((l) => l.includes('manifest /'))!;
    const manifest = JSON.parse(readFileSync(manifestLine.split('manifest ')[1].trim(), 'utf8'));
    expect(manifest.counts).toMatchObject({ read: 3000, published: 2993, rejected: 7, deadLettered: 7 });

    const second = await run();
    expect(second.code).toBe(0);
    // Each run starts its own services with fresh state, so the rerun registers version 1 again.
    expect(second.out.find((l) => l.startsWith('model'))).toMatch(/churn-classifier v1 \(@champion\)/);
    expect(second.out[0]).not.toBe(first.out[0]); // a new run id and folder
    expect(second.out.find((l) => l.startsWith('consumed'))).toMatch(/2,993 messages of this run/);
  });
});
