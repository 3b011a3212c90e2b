import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Returns a maker of temporary directories that are all removed after the test file. */
export function temporaryDirectories(): (prefix: string) => string {
  const made: string[] = [];
  afterAll(() => {
    for (const directory of made) rmSync(directory, { recursive: true, force: true });
  });
  return (prefix) => {
    const directory = mkdtempSync(path.join(tmpdir(), prefix));
    made.push(directory);
    return directory;
  };
}
