import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeExitMessage } from '../../apps/scorer/src/main';

describe("the scorer's ExitMessage (/opt/ml/output/message)", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'exit-message-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the reason where the platform provides the output folder, cut to the 1 KB SageMaker shows', () => {
    const file = path.join(dir, 'message');
    writeExitMessage(`INPUT_EMPTY: ${'x'.repeat(2000)}`, file);
    const written = readFileSync(file, 'utf8');
    expect(written.startsWith('INPUT_EMPTY: xxx')).toBe(true);
    expect(Buffer.byteLength(written)).toBe(1024);
  });

  it('writes nothing outside SageMaker and the local executor (no /opt/ml/output)', () => {
    const file = path.join(dir, 'missing-folder', 'message');
    writeExitMessage('PUBLISH_FAILED: broker down', file);
    expect(existsSync(file)).toBe(false);
  });
});
